#pragma once
// Peaks-over-threshold thresholds (extreme value theory; Siffer et al., "Anomaly Detection in
// Streams with Extreme Value Theory", KDD'17, the SPOT initialisation): the scores above an
// initial threshold t (a high empirical quantile of calibration scores) are modelled by a
// generalized Pareto distribution (GPD) of the excesses, fitted by maximum likelihood, and the
// threshold for a risk q is the level z_q that a calibration-like score exceeds with probability
// q:
//     z_q = t + sigma / gamma * ((q n / N_t)^(-gamma) - 1)   (gamma != 0)
//     z_q = t - sigma * log(q n / N_t)                        (gamma == 0, exponential tail)
// n the number of scores, N_t the number above t. Unlike the (1 - q) empirical quantile, z_q
// extrapolates beyond the largest calibration score when q < 1 / n, and it follows the shape of
// the tail rather than one order statistic. Plain C++17.
#include <cstddef>
#include <vector>

namespace mlad::eval {

struct PotFit {
    double initialThreshold = 0;  ///< t
    double gamma = 0, sigma = 0;  ///< GPD shape and scale of the excesses over t
    size_t n = 0, peaks = 0;      ///< scores, and scores above t
    /// z_q for risk q in (0, 1). When q n / N_t >= 1 (q is not in the fitted tail) it returns
    /// t: the fit says nothing about such a common level.
    double threshold(double q) const;
};

/// Fits the tail of `scores` above their `initialQuantile` (default 0.98, SPOT's) quantile,
/// lowered to 1 - 10 / n when that would leave fewer than 10 peaks (validation sets are often
/// a few hundred scores), and further to the highest score that 10 scores exceed when ties at
/// the top leave fewer. The shape is found by maximising Grimshaw's profile likelihood over
/// theta = gamma / sigma (a grid, then golden-section refinement; theta = 0 is the exponential
/// tail). Throws std::invalid_argument with fewer than 20 finite scores, fewer than 5 peaks
/// (ties), a NaN score, or an initialQuantile outside (0, 1).
PotFit fitPot(const std::vector<double>& scores, double initialQuantile = 0.98);

}  // namespace mlad::eval
