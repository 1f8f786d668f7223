#pragma once
// Summaries of a sequence's attention maps for the attention view: the mean over heads per
// layer, and attention rollout (Abnar & Zuidema, ACL 2020), which follows attention through
// the layers with the residual connection counted as half of each layer's mixing:
//   R_1 = 0.5 A_1 + 0.5 I,   R_l = (0.5 A_l + 0.5 I) R_{l-1},
// A_l the head average of layer l. Products of row-stochastic matrices stay row-stochastic, so
// every row of R_l sums to 1 when the attention rows do. Plain C++17 (no torch, no Qt).
#include <vector>

namespace mlad::viz {

/// weights: layers x heads x L x L, row-major (as attentionOf returns them). Returns
/// layers x L x L. Throws std::invalid_argument when the sizes disagree or a size is < 1.
std::vector<float> headAverage(const std::vector<float>& weights, int layers, int heads, int L);

/// Rollout up to each layer: layers x L x L, from the per-layer head averages (layers x L x L).
/// Throws std::invalid_argument when the sizes disagree.
std::vector<float> attentionRollout(const std::vector<float>& averaged, int layers, int L);

}  // namespace mlad::viz
