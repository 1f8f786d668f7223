#pragma once
// How well a score separates anomalies from normal sequences, as the identical-shortcut lesson
// and the run comparison describe it. These use the test labels, so they describe a run after
// the fact; none of them picks a threshold or a hyperparameter.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mlad::eval {

/// Each class's share of its labelled scores per bin: `bins` equal bins over the 0.5-99.5
/// percentile range of the finite labelled scores (their min-max when those coincide), scores
/// outside (infinities too) clipped into the end bins. normal and anomalous each sum to 1, or
/// are all 0 when the class is empty. Labels: 1 anomalous, 0 normal, others ignored. Throws
/// std::invalid_argument on a size mismatch, a NaN score or bins == 0.
struct ClassShares {
    std::vector<double> normal, anomalous;
    uint64_t normalCount = 0, anomalousCount = 0;
};
ClassShares robustClassShares(const std::vector<double>& scores, const std::vector<uint8_t>& labels,
                              size_t bins);

/// Overlap coefficient of the normal and the anomalous score distributions: the sum over the
/// bins of robustClassShares of min(normal share, anomalous share). 1 = the two histograms
/// coincide, 0 = disjoint. NaN when a class is empty. Throws as robustClassShares.
double histogramOverlap(const std::vector<double>& scores, const std::vector<uint8_t>& labels,
                        size_t bins = 30);

/// Share of the anomalies whose score lies inside the normal sequences' central range, between
/// the normal scores' lowQuantile and highQuantile (default 1st and 99th percentile): the
/// anomalies a threshold cannot flag without flagging normal ones too. NaN when a class is
/// empty.
double anomaliesInsideNormalRange(const std::vector<double>& scores,
                                  const std::vector<uint8_t>& labels, double lowQuantile = 0.01,
                                  double highQuantile = 0.99);

/// Mean attention a position pays to itself: the mean of w[i][i] over layers, heads and
/// positions (weights: layers x heads x L x L). A model that copies its input through the
/// attention (the identical shortcut) scores near 1; uniform attention scores 1/L. Throws
/// std::invalid_argument when the sizes disagree.
double attentionSelfShare(const std::vector<float>& weights, int layers, int heads, int length);

}  // namespace mlad::eval
