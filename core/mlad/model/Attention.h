#pragma once
// The attention core of an MLAD encoder layer (MODEL.md §3): scaled dot products of queries and
// keys, padded keys masked, alpha-entmax over the keys, weighted sum of the values.
#include <torch/torch.h>

#include <cstdint>

namespace mlad::model {

struct AttentionResult {
    torch::Tensor context;  ///< [B,L,H*dk], heads side by side (ready for the output projection)
    torch::Tensor weights;  ///< [B,H,L,L], rows sum to 1; for inspection, carries no gradient
};

/// qkv: [B,L,3*H*dk], the output of one Linear(dModel, 3*dModel) laid out as
/// (q|k|v) x head x dk along the last dimension. padMask: [B,L] bool, true = padded key.
/// scores = q k^T / sqrt(dk); padded keys are filled with kMaskValue (a fully padded row becomes
/// uniform, never NaN); weights = entmax_alpha(scores) over the keys; context = weights v.
///
/// On CPU, for 1 <= alpha < 2 in float32/float64 (softmax, exact 1.5-entmax, or the Newton row
/// kernel for other alphas), one fused kernel computes forward
/// and backward per (sequence, head) block with small Eigen products on strided views: no
/// [B,H,L,dk] copies and no per-matrix batched-GEMM dispatch (LibTorch 1.13 spends most of a
/// small bmm in per-matrix overhead). Any other case runs
/// entmaxAttentionReference. Gradients flow to qkv only.
AttentionResult entmaxAttention(const torch::Tensor& qkv, const torch::Tensor& padMask,
                                int64_t heads, double alpha);

/// The same computation as tensor operations (any device, any alpha >= 1); the weights here are
/// detached too. Used off CPU and by the tests as the reference for the fused kernel.
AttentionResult entmaxAttentionReference(const torch::Tensor& qkv, const torch::Tensor& padMask,
                                         int64_t heads, double alpha);

/// Whether entmaxAttention takes the fused CPU kernel for these arguments.
bool fusedAttentionApplies(const torch::Tensor& qkv, double alpha);

}  // namespace mlad::model
