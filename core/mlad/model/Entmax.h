#pragma once
// alpha-entmax normalisers (MODEL.md §3; Peters, Niculae, Martins, ACL 2019).
//
// entmax_alpha(z) = argmax_p <p, z> + H_alpha(p) over the probability simplex. alpha = 1 is
// softmax, alpha = 2 is sparsemax; alpha > 1 gives sparse outputs (entries exactly 0).
//
// Every function works along any dimension, in float32 and float64 (float16/bfloat16 are
// computed in float32 and cast back), on CPU and CUDA: only device-side tensor ops, no host
// synchronisation. Gradients come from custom autograd functions (closed-form Jacobian-vector
// products), not from autograd through the sort or the bisection loop; double backward is not
// supported.
//
// Masking: fill masked scores with kMaskValue (a large finite negative; -inf breaks the running
// sums of squares in the exact algorithm). A masked entry then gets exactly 0 probability as long
// as the unmasked scores of its row are far above kMaskValue (|score| << 1e4), and a row whose
// entries are all kMaskValue gets the uniform distribution, never NaN.
#include <torch/torch.h>

#include <cstdint>

namespace mlad::model {

/// Value to masked_fill masked scores with before any entmax/softmax in this project.
constexpr double kMaskValue = -1e4;

/// Exact sort-based 1.5-entmax. Backward: g = sqrt(p), dz = g*dp - g*sum(g*dp)/sum(g).
struct Entmax15Fn : public torch::autograd::Function<Entmax15Fn> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& z,
                                 int64_t dim);
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads);
};

/// Entmax for any alpha > 1 (row kernel or bisection, see entmaxBisect). Backward: g = p^(2-alpha)
/// on the support.
struct EntmaxBisectFn : public torch::autograd::Function<EntmaxBisectFn> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& z,
                                 double alpha, int64_t dim, int64_t iters);
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads);
};

/// Exact sort-based sparsemax (alpha = 2). Backward: dz = dp - mean_support(dp) on the support.
struct SparsemaxFn : public torch::autograd::Function<SparsemaxFn> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& z,
                                 int64_t dim);
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads);
};

/// Exact 1.5-entmax along `dim`.
torch::Tensor entmax15(const torch::Tensor& z, int64_t dim = -1);

/// alpha-entmax for any alpha > 1. On CPU along the last dimension with 1 < alpha < 2: an exact
/// row kernel (Newton's method on the norm form of the threshold equation; `iters` unused).
/// Elsewhere: bisection on the threshold tau (`iters` halvings of the initial bracket). The result
/// is renormalised to sum 1. Throws std::invalid_argument unless alpha > 1 and iters >= 0.
torch::Tensor entmaxBisect(const torch::Tensor& z, double alpha, int64_t dim = -1, int iters = 50);

/// Exact sparsemax along `dim`.
torch::Tensor sparsemax(const torch::Tensor& z, int64_t dim = -1);

/// Dispatch: alpha == 1 -> torch::softmax, 1.5 -> entmax15, 2 -> sparsemax, otherwise
/// entmaxBisect. Throws std::invalid_argument for alpha < 1 (or NaN).
torch::Tensor entmax(const torch::Tensor& z, double alpha, int64_t dim = -1);

}  // namespace mlad::model
