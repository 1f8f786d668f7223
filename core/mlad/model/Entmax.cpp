#include "mlad/model/Entmax.h"

#include "mlad/model/detail/EntmaxRows.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlad::model {

namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

int64_t wrapDim(const Tensor& z, int64_t dim) {
    const int64_t n = z.dim();
    if (n == 0) throw std::invalid_argument("entmax: input must have at least one dimension");
    const int64_t d = dim < 0 ? dim + n : dim;
    if (d < 0 || d >= n)
        throw std::invalid_argument("entmax: dim " + std::to_string(dim) + " out of range for a " +
                                    std::to_string(n) + "-d tensor");
    return d;
}

/// 1, 2, ..., d laid out along `dim` so that it broadcasts against `like`.
Tensor ranksAlong(const Tensor& like, int64_t dim) {
    const int64_t d = like.size(dim);
    std::vector<int64_t> shape(static_cast<size_t>(like.dim()), 1);
    shape[static_cast<size_t>(dim)] = d;
    return torch::arange(1, d + 1, like.options()).view(shape);
}

bool isReducedFloat(const Tensor& z) {
    return z.scalar_type() == torch::kHalf || z.scalar_type() == torch::kBFloat16;
}

void checkFloating(const Tensor& z, const char* who) {
    if (!z.defined()) throw std::invalid_argument(std::string(who) + ": undefined tensor");
    if (!z.is_floating_point())
        throw std::invalid_argument(std::string(who) + ": input must be a floating-point tensor");
}

/// Shared backward of every alpha-entmax: the Jacobian of p w.r.t. z is
/// diag(g) - g g^T / sum(g) with g = p^(2-alpha) on the support and 0 elsewhere.
Tensor entmaxJvp(const Tensor& g, const Tensor& dp, int64_t dim) {
    const Tensor gdp = g * dp;
    const Tensor q = gdp.sum(dim, /*keepdim=*/true) / g.sum(dim, /*keepdim=*/true);
    return gdp - g * q;
}

// Row-wise 1.5-entmax over the last dimension of a contiguous CPU tensor, parallel over rows.
// The attention maps are many short rows (B*H*L rows of L), where the generic tensor version
// spends its time in kernel launches (measured ~10x).
template <class T>
void entmax15Rows(const T* z, T* p, int64_t rows, int64_t d) {
    at::parallel_for(0, rows, 256, [&](int64_t begin, int64_t end) {
        std::vector<T> scratch(static_cast<size_t>(d));
        for (int64_t r = begin; r < end; ++r)
            detail::entmax15Row(z + r * d, p + r * d, d, scratch.data());
    });
}

template <class T>
void entmax15BackwardRows(const T* p, const T* dp, T* dz, int64_t rows, int64_t d) {
    at::parallel_for(0, rows, 256, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r)
            detail::entmax15BackwardRow(p + r * d, dp + r * d, dz + r * d, d);
    });
}

template <class T>
void entmaxRows(const T* z, T* p, int64_t rows, int64_t d, double alpha) {
    at::parallel_for(0, rows, 64, [&](int64_t begin, int64_t end) {
        std::vector<T> scratch(static_cast<size_t>(d));
        for (int64_t r = begin; r < end; ++r)
            detail::entmaxRow(z + r * d, p + r * d, d, alpha, scratch.data());
    });
}

template <class T>
void entmaxBackwardRows(const T* p, const T* dp, T* dz, int64_t rows, int64_t d, double alpha) {
    at::parallel_for(0, rows, 64, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r)
            detail::entmaxBackwardRow(p + r * d, dp + r * d, dz + r * d, d, alpha);
    });
}

bool rowKernelApplies(const Tensor& z, int64_t dim) {
    return z.device().is_cpu() && dim == z.dim() - 1 && z.size(dim) > 0 &&
           (z.scalar_type() == torch::kFloat || z.scalar_type() == torch::kDouble);
}

}  // namespace

// ---- 1.5-entmax, exact ----------------------------------------------------------------------

Tensor Entmax15Fn::forward(AutogradContext* ctx, const Tensor& z, int64_t dim) {
    if (rowKernelApplies(z, dim)) {
        const Tensor zc = z.contiguous();
        Tensor p = torch::empty_like(zc);
        const int64_t d = zc.size(-1), rows = zc.numel() / d;
        if (zc.scalar_type() == torch::kFloat)
            entmax15Rows<float>(zc.data_ptr<float>(), p.data_ptr<float>(), rows, d);
        else
            entmax15Rows<double>(zc.data_ptr<double>(), p.data_ptr<double>(), rows, d);
        ctx->save_for_backward({p});
        ctx->saved_data["dim"] = dim;
        return p;
    }
    // Shifting by the max keeps the running sums small; halving folds alpha-1 = 0.5 into z.
    const Tensor x = (z - std::get<0>(z.max(dim, /*keepdim=*/true))) / 2;
    const Tensor xs = std::get<0>(x.sort(dim, /*descending=*/true));
    const Tensor rho = ranksAlong(x, dim);
    const Tensor mean = xs.cumsum(dim) / rho;
    const Tensor meanSq = (xs * xs).cumsum(dim) / rho;
    const Tensor ss = rho * (meanSq - mean * mean);
    const Tensor delta = (1 - ss) / rho;
    const Tensor tau = mean - delta.clamp_min(0).sqrt();
    // k* >= 1 in exact arithmetic (tau_1 = max - 1); the clamp only guards NaN inputs.
    const Tensor support = (tau <= xs).sum(dim, /*keepdim=*/true).clamp_min(1);
    const Tensor tauStar = tau.gather(dim, support - 1);
    const Tensor p = (x - tauStar).clamp_min(0).pow(2);
    ctx->save_for_backward({p});
    ctx->saved_data["dim"] = dim;
    return p;
}

variable_list Entmax15Fn::backward(AutogradContext* ctx, variable_list grads) {
    const Tensor p = ctx->get_saved_variables()[0];
    const int64_t dim = ctx->saved_data["dim"].toInt();
    if (rowKernelApplies(p, dim) && grads[0].scalar_type() == p.scalar_type()) {
        const Tensor dp = grads[0].contiguous();
        Tensor dz = torch::empty_like(p);
        const int64_t d = p.size(-1), rows = p.numel() / d;
        if (p.scalar_type() == torch::kFloat)
            entmax15BackwardRows<float>(p.data_ptr<float>(), dp.data_ptr<float>(),
                                        dz.data_ptr<float>(), rows, d);
        else
            entmax15BackwardRows<double>(p.data_ptr<double>(), dp.data_ptr<double>(),
                                         dz.data_ptr<double>(), rows, d);
        return {dz, Tensor()};
    }
    return {entmaxJvp(p.sqrt(), grads[0], dim), Tensor()};
}

// ---- general alpha, bisection ----------------------------------------------------------------

Tensor EntmaxBisectFn::forward(AutogradContext* ctx, const Tensor& z, double alpha, int64_t dim,
                               int64_t iters) {
    if (alpha < 2.0 && rowKernelApplies(z, dim)) {
        // CPU rows: Newton on the norm form (detail::entmaxRow), exact to rounding.
        const Tensor zc = z.contiguous();
        Tensor p = torch::empty_like(zc);
        const int64_t d = zc.size(-1), rows = zc.numel() / d;
        if (zc.scalar_type() == torch::kFloat)
            entmaxRows<float>(zc.data_ptr<float>(), p.data_ptr<float>(), rows, d, alpha);
        else
            entmaxRows<double>(zc.data_ptr<double>(), p.data_ptr<double>(), rows, d, alpha);
        ctx->save_for_backward({p});
        ctx->saved_data["dim"] = dim;
        ctx->saved_data["alpha"] = alpha;
        return p;
    }
    const double am1 = alpha - 1.0;
    const double expo = 1.0 / am1;
    const int64_t d = z.size(dim);
    const Tensor zs = z * am1;
    const Tensor maxv = std::get<0>(zs.max(dim, /*keepdim=*/true));
    // f(tau) = sum_j max(zs_j - tau, 0)^(1/(alpha-1)) - 1 is decreasing in tau;
    // f(max - 1) >= 0 and f(max - d^(1-alpha)) <= 0 bracket the root.
    Tensor tauLo = maxv - 1.0;
    const Tensor tauHi = maxv - std::pow(1.0 / static_cast<double>(d), am1);
    Tensor width = tauHi - tauLo;
    for (int64_t i = 0; i < iters; ++i) {
        width = width / 2;
        const Tensor tauMid = tauLo + width;
        const Tensor f = (zs - tauMid).clamp_min(0).pow(expo).sum(dim, /*keepdim=*/true) - 1;
        tauLo = torch::where(f >= 0, tauMid, tauLo);
    }
    // At tauLo the sum is >= 1 (the max entry alone contributes 1), so renormalising is safe.
    Tensor p = (zs - tauLo).clamp_min(0).pow(expo);
    p = p / p.sum(dim, /*keepdim=*/true);
    ctx->save_for_backward({p});
    ctx->saved_data["dim"] = dim;
    ctx->saved_data["alpha"] = alpha;
    return p;
}

variable_list EntmaxBisectFn::backward(AutogradContext* ctx, variable_list grads) {
    const Tensor p = ctx->get_saved_variables()[0];
    const int64_t dim = ctx->saved_data["dim"].toInt();
    const double alpha = ctx->saved_data["alpha"].toDouble();
    if (alpha < 2.0 && rowKernelApplies(p, dim) && grads[0].scalar_type() == p.scalar_type()) {
        const Tensor dp = grads[0].contiguous();
        Tensor dz = torch::empty_like(p);
        const int64_t d = p.size(-1), rows = p.numel() / d;
        if (p.scalar_type() == torch::kFloat)
            entmaxBackwardRows<float>(p.data_ptr<float>(), dp.data_ptr<float>(),
                                      dz.data_ptr<float>(), rows, d, alpha);
        else
            entmaxBackwardRows<double>(p.data_ptr<double>(), dp.data_ptr<double>(),
                                       dz.data_ptr<double>(), rows, d, alpha);
        return {dz, Tensor(), Tensor(), Tensor()};
    }
    // p^(2-alpha) is infinite at p = 0 when alpha > 2; the support restriction removes it.
    const Tensor g = torch::where(p > 0, p.pow(2.0 - alpha), torch::zeros_like(p));
    return {entmaxJvp(g, grads[0], dim), Tensor(), Tensor(), Tensor()};
}

// ---- sparsemax, exact ------------------------------------------------------------------------

Tensor SparsemaxFn::forward(AutogradContext* ctx, const Tensor& z, int64_t dim) {
    const Tensor x = z - std::get<0>(z.max(dim, /*keepdim=*/true));
    const Tensor xs = std::get<0>(x.sort(dim, /*descending=*/true));
    const Tensor rho = ranksAlong(x, dim);
    const Tensor csm1 = xs.cumsum(dim) - 1;
    // Support: 1 + k z_(k) > sum_{j<=k} z_(j); always true for k = 1 (clamp guards NaN).
    const Tensor support = (rho * xs > csm1).sum(dim, /*keepdim=*/true).clamp_min(1);
    const Tensor tau = csm1.gather(dim, support - 1) / support.to(x.scalar_type());
    const Tensor p = (x - tau).clamp_min(0);
    ctx->save_for_backward({p});
    ctx->saved_data["dim"] = dim;
    return p;
}

variable_list SparsemaxFn::backward(AutogradContext* ctx, variable_list grads) {
    const Tensor p = ctx->get_saved_variables()[0];
    const int64_t dim = ctx->saved_data["dim"].toInt();
    return {entmaxJvp((p > 0).to(p.scalar_type()), grads[0], dim), Tensor()};
}

// ---- public entry points ---------------------------------------------------------------------

Tensor entmax15(const Tensor& z, int64_t dim) {
    checkFloating(z, "entmax15");
    const int64_t d = wrapDim(z, dim);
    if (z.size(d) == 0) return z.clone();
    if (isReducedFloat(z)) return Entmax15Fn::apply(z.to(torch::kFloat), d).to(z.scalar_type());
    return Entmax15Fn::apply(z, d);
}

Tensor entmaxBisect(const Tensor& z, double alpha, int64_t dim, int iters) {
    checkFloating(z, "entmaxBisect");
    if (!(alpha > 1.0)) throw std::invalid_argument("entmaxBisect: alpha must be > 1");
    if (iters < 0) throw std::invalid_argument("entmaxBisect: iters must be >= 0");
    const int64_t d = wrapDim(z, dim);
    if (z.size(d) == 0) return z.clone();
    const auto it = static_cast<int64_t>(iters);
    if (isReducedFloat(z))
        return EntmaxBisectFn::apply(z.to(torch::kFloat), alpha, d, it).to(z.scalar_type());
    return EntmaxBisectFn::apply(z, alpha, d, it);
}

Tensor sparsemax(const Tensor& z, int64_t dim) {
    checkFloating(z, "sparsemax");
    const int64_t d = wrapDim(z, dim);
    if (z.size(d) == 0) return z.clone();
    if (isReducedFloat(z)) return SparsemaxFn::apply(z.to(torch::kFloat), d).to(z.scalar_type());
    return SparsemaxFn::apply(z, d);
}

Tensor entmax(const Tensor& z, double alpha, int64_t dim) {
    if (!(alpha >= 1.0)) throw std::invalid_argument("entmax: alpha must be >= 1");
    if (alpha == 1.0) {
        checkFloating(z, "entmax");
        return torch::softmax(z, wrapDim(z, dim));
    }
    if (alpha == 1.5) return entmax15(z, dim);
    if (alpha == 2.0) return sparsemax(z, dim);
    return entmaxBisect(z, alpha, dim);
}

}  // namespace mlad::model
