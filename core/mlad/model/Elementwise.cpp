#include "mlad/model/Elementwise.h"

#include "mlad/model/Shard.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlad::model {

namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr int64_t kGrain = 32768;

/// splitmix64 finaliser of seed + counter: a well-mixed 64-bit value per counter.
inline uint64_t hash64(uint64_t seed, uint64_t counter) {
    uint64_t z = seed + (counter + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/// Entry i is dropped when its 32-bit draw is below this threshold (p * 2^32; the kernel
/// compares the top 31 bits, so p is used to within 2^-31).
uint32_t dropThreshold(double p) {
    return static_cast<uint32_t>(std::min(p * 4294967296.0, 4294967295.0));
}

// The draws: the entries are cut into chunks of kChunk; chunk c runs kLanes xorshift32
// generators (Marsaglia 2003) side by side, lane l seeded from hash(seed, c * kLanes + l), and
// entry c * kChunk + kLanes * t + l takes lane l's (t+1)-th output. Chunks are independent, so
// any split of the work over threads gives the same mask, and the lanes have no multiply: the
// loop vectorises on plain SSE2 (a 64-bit hash per entry was 5x slower).
constexpr int64_t kChunk = 2048;
constexpr int kLanes = 8;

template <class T>
void maskChunk(const T* __restrict in, T* __restrict out, int64_t count, uint64_t seed,
               int64_t chunk, uint32_t threshold, T scale) {
    uint32_t st[kLanes];
    for (int l = 0; l < kLanes; ++l)
        st[l] = static_cast<uint32_t>(hash64(seed, static_cast<uint64_t>(chunk * kLanes + l))) | 1u;
    // x >= threshold without a compare (a compare-and-select kept GCC from vectorising):
    // on the top 31 bits, 1 + ((x' - t') >> 31) is 1 when kept and 0 when dropped.
    const int32_t t31 = static_cast<int32_t>(threshold >> 1);
    int64_t t = 0;
    for (; t + kLanes <= count; t += kLanes) {
        for (int l = 0; l < kLanes; ++l) {
            uint32_t x = st[l];
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            st[l] = x;
            const int32_t keep = 1 + ((static_cast<int32_t>(x >> 1) - t31) >> 31);
            out[t + l] = in[t + l] * (scale * static_cast<T>(keep));
        }
    }
    for (int l = 0; t + l < count; ++l) {
        uint32_t x = st[l];
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        const int32_t keep = 1 + ((static_cast<int32_t>(x >> 1) - t31) >> 31);
        out[t + l] = in[t + l] * (scale * static_cast<T>(keep));
    }
}

/// out[i] = in[i] * scale when kept, 0 when dropped, for the entries [offset, offset + n) of a
/// tensor whose entry 0 is at `offset` in the global numbering (data-parallel ranks hold slices
/// of one batch; model/Shard.h). The chunks are those of the global numbering, so a slice draws
/// what the whole tensor draws there; a chunk cut by the slice's ends is drawn whole into a
/// scratch buffer when the slice starts inside it (in * (scale * keep) is the same product).
template <class T>
void applyMask(const T* in, T* out, int64_t n, uint64_t seed, uint32_t threshold, T scale,
               int64_t offset = 0) {
    if (n <= 0) return;
    const int64_t firstChunk = offset / kChunk, endChunk = (offset + n + kChunk - 1) / kChunk;
    const int64_t chunks = endChunk - firstChunk;
    at::parallel_for(0, chunks, std::max<int64_t>(1, kGrain / kChunk), [=](int64_t c0, int64_t c1) {
        std::vector<T> ones, keep;
        for (int64_t c = firstChunk + c0; c < firstChunk + c1; ++c) {
            const int64_t begin = std::max(c * kChunk, offset);
            const int64_t end = std::min((c + 1) * kChunk, offset + n);
            if (begin == c * kChunk) {
                // The chunk starts in this slice: its first entries are drawn as always (a
                // chunk's entries do not depend on how many follow).
                maskChunk(in + (begin - offset), out + (begin - offset), end - begin, seed, c,
                          threshold, scale);
                continue;
            }
            ones.assign(size_t(kChunk), T(1));
            keep.resize(size_t(kChunk));
            maskChunk(ones.data(), keep.data(), kChunk, seed, c, threshold, scale);
            for (int64_t e = begin; e < end; ++e)
                out[e - offset] = in[e - offset] * keep[size_t(e - c * kChunk)];
        }
    });
}

uint64_t drawSeed() {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return at::check_generator<at::CPUGeneratorImpl>(gen)->random64();
}

void maskInto(const Tensor& in, Tensor& out, uint64_t seed, double p, int64_t offset) {
    const uint32_t threshold = dropThreshold(p);
    if (in.scalar_type() == torch::kFloat)
        applyMask<float>(in.data_ptr<float>(), out.data_ptr<float>(), in.numel(), seed, threshold,
                         float(1.0 / (1.0 - p)), offset);
    else
        applyMask<double>(in.data_ptr<double>(), out.data_ptr<double>(), in.numel(), seed,
                          threshold, 1.0 / (1.0 - p), offset);
}

// The global index of x's first entry when x is a data-parallel rank's slice of a batch (its
// first dimension the batch): rowOffset rows of the same size come before it.
int64_t globalOffset(const Tensor& x) {
    const BatchShard* shard = activeShard();
    if (shard == nullptr || x.dim() == 0 || x.size(0) == 0) return 0;
    return shard->rowOffset * (x.numel() / x.size(0));
}

struct DropoutFn : public torch::autograd::Function<DropoutFn> {
    static Tensor forward(AutogradContext* ctx, const Tensor& xIn, double p) {
        const Tensor x = xIn.contiguous();
        const uint64_t seed = drawSeed();
        const int64_t offset = globalOffset(x);
        Tensor y = torch::empty_like(x);
        maskInto(x, y, seed, p, offset);
        // The seed travels bit for bit as an int64 (IValue has no unsigned type).
        ctx->saved_data["seed"] = static_cast<int64_t>(seed);
        ctx->saved_data["p"] = p;
        ctx->saved_data["offset"] = offset;
        return y;
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        if (!grads[0].defined()) return {Tensor(), Tensor()};
        const Tensor dy = grads[0].contiguous();
        Tensor dx = torch::empty_like(dy);
        maskInto(dy, dx, static_cast<uint64_t>(ctx->saved_data["seed"].toInt()),
                 ctx->saved_data["p"].toDouble(), ctx->saved_data["offset"].toInt());
        return {dx, Tensor()};
    }
};

// d/dx = 1 for x > 0 and exp(x) = y + 1 otherwise, i.e. min(y + 1, 1). Eigen's packet min
// keeps it branch-free and vectorised.
template <class T>
void celuBackwardRange(const T* y, const T* dy, T* dx, int64_t begin, int64_t end) {
    using Arr = Eigen::Array<T, Eigen::Dynamic, 1>;
    const int64_t n = end - begin;
    const Eigen::Map<const Arr> ya(y + begin, n), dya(dy + begin, n);
    Eigen::Map<Arr> dxa(dx + begin, n);
    dxa = dya * (ya + T(1)).min(T(1));
}

template <class T>
void celuBackwardKernel(const T* y, const T* dy, T* dx, int64_t n) {
    at::parallel_for(0, n, kGrain,
                     [=](int64_t begin, int64_t end) { celuBackwardRange(y, dy, dx, begin, end); });
}

struct CeluFn : public torch::autograd::Function<CeluFn> {
    static Tensor forward(AutogradContext* ctx, const Tensor& x) {
        Tensor y = torch::celu(x.contiguous());
        ctx->save_for_backward({y});
        return y;
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        if (!grads[0].defined()) return {Tensor()};
        const Tensor y = ctx->get_saved_variables()[0];
        const Tensor dy = grads[0].to(y.scalar_type()).contiguous();
        Tensor dx = torch::empty_like(y);
        if (y.scalar_type() == torch::kFloat)
            celuBackwardKernel<float>(y.data_ptr<float>(), dy.data_ptr<float>(),
                                      dx.data_ptr<float>(), y.numel());
        else
            celuBackwardKernel<double>(y.data_ptr<double>(), dy.data_ptr<double>(),
                                       dx.data_ptr<double>(), y.numel());
        return {dx};
    }
};

bool cpuFloat(const Tensor& x) {
    return x.device().is_cpu() &&
           (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble);
}

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training) {
    if (!(p >= 0.0 && p < 1.0))
        throw std::invalid_argument("dropout: p must be in [0, 1), got " + std::to_string(p));
    if (!training || p == 0.0) return x;
    if (!cpuFloat(x)) return torch::dropout(x, p, /*train=*/true);
    return DropoutFn::apply(x, p);
}

Tensor celu(const Tensor& x) {
    if (!cpuFloat(x)) return torch::celu(x);
    return CeluFn::apply(x);
}

}  // namespace mlad::model
