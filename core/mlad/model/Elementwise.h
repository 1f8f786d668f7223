#pragma once
// Element-wise layers of the MLAD encoder with CPU kernels of their own. LibTorch 1.13's CPU
// dropout draws a Bernoulli tensor, divides it and multiplies (measured 63 ms for 2.6M floats
// on 2 cores) and its ELU backward recomputes the exponential; together they were a quarter of
// a training step. Off CPU both fall back to the ATen operators.
#include <torch/torch.h>

#include <cstdint>

namespace mlad::model {

/// Inverted dropout: when training, each entry is zeroed with probability p and the others are
/// scaled by 1/(1-p); otherwise (or p == 0) x is returned as is. Throws std::invalid_argument
/// unless 0 <= p < 1.
///
/// CPU: the keep/drop decision of entry i is a counter-based hash of (seed, i), the seed one
/// 64-bit draw from torch's default CPU generator. So torch::manual_seed makes it reproducible,
/// the result does not depend on the thread count, and backward recomputes the mask instead of
/// storing it.
torch::Tensor dropout(const torch::Tensor& x, double p, bool training);

/// CELU with alpha = 1 (= ELU): x for x > 0, exp(x) - 1 otherwise. Backward uses the output
/// (dy * (y + 1) for x <= 0) instead of a second exponential.
torch::Tensor celu(const torch::Tensor& x);

}  // namespace mlad::model
