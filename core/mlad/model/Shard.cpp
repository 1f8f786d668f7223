#include "mlad/model/Shard.h"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace mlad::model {

namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

thread_local const RankGroup* tlsGroup = nullptr;
thread_local const BatchShard* tlsShard = nullptr;

Tensor summed(const Tensor& x, const RankGroup& group) {
    Tensor y = x.detach().clone().contiguous();
    group.allReduceSum(y);
    return y;
}

// Forward: the sum of every rank's x. Backward: rank r's x enters every rank's sum, so its
// gradient is the sum of the gradients that reach the ranks' outputs.
struct AllReduceSumFn : public torch::autograd::Function<AllReduceSumFn> {
    static Tensor forward(AutogradContext* ctx, const Tensor& x) {
        // Backward may run on another thread (the autograd engine's device threads): the group
        // travels with the node. It outlives the graph (the run manager's scope).
        ctx->saved_data["group"] = static_cast<int64_t>(reinterpret_cast<intptr_t>(tlsGroup));
        return summed(x, *tlsGroup);
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto* group = reinterpret_cast<const RankGroup*>(
            static_cast<intptr_t>(ctx->saved_data["group"].toInt()));
        return {summed(grads[0], *group)};
    }
};

}  // namespace

GroupScope::GroupScope(const RankGroup& group) {
    if (tlsGroup != nullptr) throw std::logic_error("GroupScope: scopes do not nest");
    if (group.world < 1 || group.rank < 0 || group.rank >= group.world || !group.allReduceSum ||
        !group.allReduceMax)
        throw std::invalid_argument("GroupScope: incomplete group");
    tlsGroup = &group;
}

GroupScope::~GroupScope() {
    tlsGroup = nullptr;
}

const RankGroup* activeGroup() {
    return tlsGroup;
}

const BatchShard* activeShard() {
    return tlsShard;
}

ShardScope::ShardScope(const Tensor& rows) : rows_(rows) {
    if (tlsGroup == nullptr) return;
    if (tlsShard != nullptr) throw std::logic_error("ShardScope: scopes do not nest");
    const int64_t n = rows.size(0), w = tlsGroup->world, r = tlsGroup->rank;
    const int64_t begin = r * n / w, end = (r + 1) * n / w;
    rows_ = rows.narrow(0, begin, end - begin);
    shard_.rowOffset = begin;
    shard_.globalRows = n;
    shard_.world = int(w);
    tlsShard = &shard_;
    active_ = true;
}

ShardScope::~ShardScope() {
    if (active_) tlsShard = nullptr;
}

Tensor allReduceSum(const Tensor& x) {
    if (tlsShard == nullptr || tlsGroup == nullptr) return x;
    if (!torch::GradMode::is_enabled() || !x.requires_grad()) return summed(x, *tlsGroup);
    return AllReduceSumFn::apply(x);
}

Tensor allReduceSumNoGrad(const Tensor& x) {
    if (tlsShard == nullptr || tlsGroup == nullptr) return x;
    return summed(x, *tlsGroup);
}

int64_t globalMax(int64_t local) {
    if (tlsShard == nullptr || tlsGroup == nullptr) return local;
    Tensor t = torch::tensor({local}, torch::kInt64);
    tlsGroup->allReduceMax(t);
    return t.item<int64_t>();
}

Tensor shardRand(int64_t rows, int64_t cols, const torch::TensorOptions& options) {
    if (tlsShard == nullptr) return torch::rand({rows, cols}, options);
    if (tlsShard->rowOffset + rows > tlsShard->globalRows)
        throw std::logic_error("shardRand: " + std::to_string(rows) + " rows from offset " +
                               std::to_string(tlsShard->rowOffset) + " exceed the global batch");
    return torch::rand({tlsShard->globalRows, cols}, options).narrow(0, tlsShard->rowOffset, rows);
}

}  // namespace mlad::model
