#include "mlad/model/Attention.h"

#include <ATen/Parallel.h>

#include <Eigen/Core>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlad/model/Entmax.h"
#include "mlad/model/detail/EntmaxRows.h"

namespace mlad::model {

namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct Shape {
    int64_t b, l, h, dk;
    int64_t dm() const { return h * dk; }
    int64_t rowStride() const { return 3 * h * dk; }  // one position's q|k|v
};

Shape checkShape(const Tensor& qkv, const Tensor& padMask, int64_t heads) {
    if (!qkv.defined() || qkv.dim() != 3)
        throw std::invalid_argument("attention: qkv must be [B,L,3*H*dk]");
    if (heads <= 0 || qkv.size(2) % (3 * heads) != 0)
        throw std::invalid_argument("attention: last dimension " + std::to_string(qkv.size(2)) +
                                    " is not 3 * heads * dk for " + std::to_string(heads) +
                                    " heads");
    if (!padMask.defined() || padMask.dim() != 2 || padMask.size(0) != qkv.size(0) ||
        padMask.size(1) != qkv.size(1) || padMask.scalar_type() != torch::kBool)
        throw std::invalid_argument("attention: padMask must be a [B,L] bool tensor");
    return {qkv.size(0), qkv.size(1), heads, qkv.size(2) / (3 * heads)};
}

// Blocks of (sequence, head) per parallel task: a block is ~4 L^2 dk flops.
int64_t grainFor(const Shape& s) {
    const int64_t work = std::max<int64_t>(1, 4 * s.l * s.l * s.dk);
    return std::max<int64_t>(1, 32768 / work);
}

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// A [rows, cols] row-major view into a strided buffer (one head's q, k or v of one sequence).
template <class T>
using View = Eigen::Map<RowMat<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <class T>
using ConstView = Eigen::Map<const RowMat<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

/// Which row normaliser the fused kernels use: softmax (alpha 1), the exact sort-based 1.5-entmax,
/// or the general Newton row kernel (1 < alpha < 2).
enum class Norm { Softmax, Entmax15, General };

Norm normFor(double alpha) {
    if (alpha == 1.0) return Norm::Softmax;
    if (alpha == 1.5) return Norm::Entmax15;
    return Norm::General;
}

template <class T, Norm kNorm>
void fusedForward(const Shape& s, const T* qkv, const bool* pad, T* ctx, T* w, double alpha) {
    const int64_t L = s.l, H = s.h, dk = s.dk, dm = s.dm(), stride = s.rowStride();
    const T scale = T(1) / std::sqrt(T(dk));
    at::parallel_for(0, s.b * H, grainFor(s), [&](int64_t begin, int64_t end) {
        RowMat<T> scores(L, L);
        std::vector<T> scratch(static_cast<size_t>(L));
        for (int64_t blk = begin; blk < end; ++blk) {
            const int64_t b = blk / H, h = blk % H;
            const T* base = qkv + b * L * stride + h * dk;
            const ConstView<T> q(base, L, dk, Eigen::OuterStride<>(stride));
            const ConstView<T> k(base + dm, L, dk, Eigen::OuterStride<>(stride));
            const ConstView<T> v(base + 2 * dm, L, dk, Eigen::OuterStride<>(stride));
            View<T> c(ctx + b * L * dm + h * dk, L, dk, Eigen::OuterStride<>(dm));
            View<T> p(w + blk * L * L, L, L, Eigen::OuterStride<>(L));
            scores.noalias() = (q * k.transpose()) * scale;
            const bool* pb = pad + b * L;
            for (int64_t j = 0; j < L; ++j)
                if (pb[j]) scores.col(j).setConstant(T(kMaskValue));
            for (int64_t i = 0; i < L; ++i) {
                if constexpr (kNorm == Norm::Softmax)
                    detail::softmaxRow(scores.row(i).data(), p.row(i).data(), L);
                else if constexpr (kNorm == Norm::Entmax15)
                    detail::entmax15Row(scores.row(i).data(), p.row(i).data(), L, scratch.data());
                else
                    detail::entmaxRow(scores.row(i).data(), p.row(i).data(), L, alpha,
                                      scratch.data());
            }
            c.noalias() = p * v;
        }
    });
}

// Every block writes only its own (sequence, head) slices of dqkv.
template <class T, Norm kNorm>
void fusedBackward(const Shape& s, const T* qkv, const bool* pad, const T* w, const T* dctx,
                   T* dqkv, double alpha) {
    const int64_t L = s.l, H = s.h, dk = s.dk, dm = s.dm(), stride = s.rowStride();
    const T scale = T(1) / std::sqrt(T(dk));
    at::parallel_for(0, s.b * H, grainFor(s), [&](int64_t begin, int64_t end) {
        RowMat<T> dp(L, L), ds(L, L);
        for (int64_t blk = begin; blk < end; ++blk) {
            const int64_t b = blk / H, h = blk % H;
            const T* base = qkv + b * L * stride + h * dk;
            T* dbase = dqkv + b * L * stride + h * dk;
            const ConstView<T> q(base, L, dk, Eigen::OuterStride<>(stride));
            const ConstView<T> k(base + dm, L, dk, Eigen::OuterStride<>(stride));
            const ConstView<T> v(base + 2 * dm, L, dk, Eigen::OuterStride<>(stride));
            View<T> dq(dbase, L, dk, Eigen::OuterStride<>(stride));
            View<T> dkk(dbase + dm, L, dk, Eigen::OuterStride<>(stride));
            View<T> dv(dbase + 2 * dm, L, dk, Eigen::OuterStride<>(stride));
            const ConstView<T> p(w + blk * L * L, L, L, Eigen::OuterStride<>(L));
            const ConstView<T> dc(dctx + b * L * dm + h * dk, L, dk, Eigen::OuterStride<>(dm));
            dp.noalias() = dc * v.transpose();
            for (int64_t i = 0; i < L; ++i) {
                if constexpr (kNorm == Norm::Softmax)
                    detail::softmaxBackwardRow(p.row(i).data(), dp.row(i).data(), ds.row(i).data(),
                                               L);
                else if constexpr (kNorm == Norm::Entmax15)
                    detail::entmax15BackwardRow(p.row(i).data(), dp.row(i).data(), ds.row(i).data(),
                                                L);
                else
                    detail::entmaxBackwardRow(p.row(i).data(), dp.row(i).data(), ds.row(i).data(),
                                              L, alpha);
            }
            // Filled (padded) scores do not depend on q or k.
            const bool* pb = pad + b * L;
            for (int64_t j = 0; j < L; ++j)
                if (pb[j]) ds.col(j).setZero();
            ds *= scale;
            dq.noalias() = ds * k;
            dkk.noalias() = ds.transpose() * q;
            dv.noalias() = p.transpose() * dc;
        }
    });
}

template <class T>
void dispatchForward(double alpha, const Shape& s, const Tensor& qkv, const Tensor& pad,
                     Tensor& ctx, Tensor& w) {
    const T* in = qkv.data_ptr<T>();
    const bool* pb = pad.data_ptr<bool>();
    switch (normFor(alpha)) {
        case Norm::Softmax:
            return fusedForward<T, Norm::Softmax>(s, in, pb, ctx.data_ptr<T>(), w.data_ptr<T>(),
                                                  alpha);
        case Norm::Entmax15:
            return fusedForward<T, Norm::Entmax15>(s, in, pb, ctx.data_ptr<T>(), w.data_ptr<T>(),
                                                   alpha);
        case Norm::General:
            return fusedForward<T, Norm::General>(s, in, pb, ctx.data_ptr<T>(), w.data_ptr<T>(),
                                                  alpha);
    }
}

template <class T>
void dispatchBackward(double alpha, const Shape& s, const Tensor& qkv, const Tensor& pad,
                      const Tensor& w, const Tensor& dctx, Tensor& dqkv) {
    const T* in = qkv.data_ptr<T>();
    const bool* pb = pad.data_ptr<bool>();
    const T* pw = w.data_ptr<T>();
    const T* dc = dctx.data_ptr<T>();
    switch (normFor(alpha)) {
        case Norm::Softmax:
            return fusedBackward<T, Norm::Softmax>(s, in, pb, pw, dc, dqkv.data_ptr<T>(), alpha);
        case Norm::Entmax15:
            return fusedBackward<T, Norm::Entmax15>(s, in, pb, pw, dc, dqkv.data_ptr<T>(), alpha);
        case Norm::General:
            return fusedBackward<T, Norm::General>(s, in, pb, pw, dc, dqkv.data_ptr<T>(), alpha);
    }
}

struct FusedAttentionFn : public torch::autograd::Function<FusedAttentionFn> {
    static variable_list forward(AutogradContext* ctx, const Tensor& qkvIn, const Tensor& padIn,
                                 int64_t heads, double alpha) {
        const Tensor qkv = qkvIn.contiguous();
        const Tensor pad = padIn.contiguous();
        const Shape s = checkShape(qkv, pad, heads);
        Tensor context = torch::empty({s.b, s.l, s.dm()}, qkv.options());
        Tensor weights = torch::empty({s.b, s.h, s.l, s.l}, qkv.options());
        if (qkv.scalar_type() == torch::kFloat)
            dispatchForward<float>(alpha, s, qkv, pad, context, weights);
        else
            dispatchForward<double>(alpha, s, qkv, pad, context, weights);
        ctx->save_for_backward({qkv, pad, weights});
        ctx->saved_data["heads"] = heads;
        ctx->saved_data["alpha"] = alpha;
        ctx->mark_non_differentiable({weights});
        return {context, weights};
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const Tensor &qkv = saved[0], &pad = saved[1], &weights = saved[2];
        if (!grads[0].defined()) return {Tensor(), Tensor(), Tensor(), Tensor()};
        const Tensor dctx = grads[0].to(qkv.scalar_type()).contiguous();
        const Shape s = checkShape(qkv, pad, ctx->saved_data["heads"].toInt());
        const double alpha = ctx->saved_data["alpha"].toDouble();
        Tensor dqkv = torch::empty_like(qkv);
        if (qkv.scalar_type() == torch::kFloat)
            dispatchBackward<float>(alpha, s, qkv, pad, weights, dctx, dqkv);
        else
            dispatchBackward<double>(alpha, s, qkv, pad, weights, dctx, dqkv);
        return {dqkv, Tensor(), Tensor(), Tensor()};
    }
};

}  // namespace

bool fusedAttentionApplies(const Tensor& qkv, double alpha) {
    return qkv.defined() && qkv.device().is_cpu() && alpha >= 1.0 && alpha < 2.0 &&
           (qkv.scalar_type() == torch::kFloat || qkv.scalar_type() == torch::kDouble);
}

AttentionResult entmaxAttentionReference(const Tensor& qkv, const Tensor& padMask, int64_t heads,
                                         double alpha) {
    const Shape s = checkShape(qkv, padMask, heads);
    const Tensor parts = qkv.view({s.b, s.l, 3, s.h, s.dk}).permute({2, 0, 3, 1, 4});
    const Tensor q = parts[0], k = parts[1], v = parts[2];  // [B,H,L,dk]
    Tensor scores = q.matmul(k.transpose(-2, -1)) / std::sqrt(static_cast<double>(s.dk));
    // Fill, not add: a fully padded row then becomes exactly uniform instead of NaN.
    scores = scores.masked_fill(padMask.view({s.b, 1, 1, s.l}), kMaskValue);
    const Tensor w = entmax(scores, alpha, -1);
    AttentionResult r;
    r.context = w.matmul(v).transpose(1, 2).reshape({s.b, s.l, s.dm()});
    r.weights = w.detach();
    return r;
}

AttentionResult entmaxAttention(const Tensor& qkv, const Tensor& padMask, int64_t heads,
                                double alpha) {
    if (!fusedAttentionApplies(qkv, alpha))
        return entmaxAttentionReference(qkv, padMask, heads, alpha);
    checkShape(qkv, padMask, heads);
    const variable_list out = FusedAttentionFn::apply(qkv, padMask, heads, alpha);
    return {out[0], out[1]};
}

}  // namespace mlad::model
