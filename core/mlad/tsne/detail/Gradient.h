#pragma once
// The t-SNE gradient's two halves (openTSNE's convention, without the constant factor 4):
//   grad_i = exaggeration * sum_j p_ij w_ij (y_i - y_j)  -  (1/Z) sum_j w_ij^2 (y_i - y_j),
//   w_ij = 1 / (1 + |y_i - y_j|^2),  Z = sum_{i != j} w_ij.
// The repulsive half is exact, Barnes-Hut or FFT-interpolated.
#include <cstdint>
#include <vector>

#include "mlad/tsne/Tsne.h"

namespace mlad::tsne::detail {

/// Unnormalised repulsion: rep[2i..2i+1] = sum_j w_ij^2 (y_i - y_j); returns Z.
double repulsionExact(const std::vector<double>& y, std::vector<double>& rep, int threads);
double repulsionBarnesHut(const std::vector<double>& y, std::vector<double>& rep, double theta,
                          int threads);
double repulsionFft(const std::vector<double>& y, std::vector<double>& rep, int nodesPerBox,
                    int minIntervals, int threads);

/// grad += exaggeration * sum_j p_ij w_ij (y_i - y_j). When `klZ` > 0, returns
/// KL(P || Q) with q_ij = w_ij / klZ (P unexaggerated), else 0.
double attraction(const Affinities& p, const std::vector<double>& y, double exaggeration,
                  std::vector<double>& grad, int threads, double klZ);

}  // namespace mlad::tsne::detail
