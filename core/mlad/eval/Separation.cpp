#include "mlad/eval/Separation.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "mlad/eval/Metrics.h"

namespace mlad::eval {

namespace {
void checkScores(const std::vector<double>& scores, const std::vector<uint8_t>& labels) {
    if (scores.size() != labels.size())
        throw std::invalid_argument("separation: " + std::to_string(scores.size()) +
                                    " scores but " + std::to_string(labels.size()) + " labels");
    for (double s : scores)
        if (std::isnan(s)) throw std::invalid_argument("separation: NaN score");
}
}  // namespace

ClassShares robustClassShares(const std::vector<double>& scores, const std::vector<uint8_t>& labels,
                              size_t bins) {
    checkScores(scores, labels);
    if (bins == 0) throw std::invalid_argument("robustClassShares: bins must be >= 1");
    ClassShares out;
    out.normal.assign(bins, 0.0);
    out.anomalous.assign(bins, 0.0);
    std::vector<double> finite;
    for (size_t i = 0; i < scores.size(); ++i) {
        if (labels[i] > 1) continue;
        (labels[i] ? out.anomalousCount : out.normalCount)++;
        if (std::isfinite(scores[i])) finite.push_back(scores[i]);
    }
    if (finite.empty()) return out;
    double lo = quantile(finite, 0.005), hi = quantile(finite, 0.995);
    if (!(lo < hi)) {
        lo = *std::min_element(finite.begin(), finite.end());
        hi = *std::max_element(finite.begin(), finite.end());
    }
    for (size_t i = 0; i < scores.size(); ++i) {
        if (labels[i] > 1) continue;
        const double x = hi > lo ? (scores[i] - lo) / (hi - lo) : 0.5;
        const size_t b = x <= 0 ? 0 : std::min(size_t(x * double(bins)), bins - 1);
        if (labels[i] == 1)
            out.anomalous[b] += 1.0 / double(out.anomalousCount);
        else
            out.normal[b] += 1.0 / double(out.normalCount);
    }
    return out;
}

double histogramOverlap(const std::vector<double>& scores, const std::vector<uint8_t>& labels,
                        size_t bins) {
    const ClassShares s = robustClassShares(scores, labels, bins);
    if (s.normalCount == 0 || s.anomalousCount == 0) return NAN;
    double overlap = 0;
    for (size_t b = 0; b < bins; ++b) overlap += std::min(s.normal[b], s.anomalous[b]);
    return overlap;
}

double anomaliesInsideNormalRange(const std::vector<double>& scores,
                                  const std::vector<uint8_t>& labels, double lowQuantile,
                                  double highQuantile) {
    checkScores(scores, labels);
    std::vector<double> normal, anomalous;
    for (size_t i = 0; i < scores.size(); ++i) {
        if (labels[i] == 0) normal.push_back(scores[i]);
        if (labels[i] == 1) anomalous.push_back(scores[i]);
    }
    if (normal.empty() || anomalous.empty()) return NAN;
    const double lo = quantile(normal, lowQuantile), hi = quantile(normal, highQuantile);
    size_t inside = 0;
    for (double s : anomalous) inside += s >= lo && s <= hi;
    return double(inside) / double(anomalous.size());
}

double attentionSelfShare(const std::vector<float>& weights, int layers, int heads, int length) {
    if (layers < 1 || heads < 1 || length < 1)
        throw std::invalid_argument("attentionSelfShare: sizes must be >= 1");
    const size_t L = size_t(length);
    if (weights.size() != size_t(layers) * size_t(heads) * L * L)
        throw std::invalid_argument("attentionSelfShare: weights do not match the sizes");
    double sum = 0;
    for (size_t m = 0; m < size_t(layers) * size_t(heads); ++m)
        for (size_t i = 0; i < L; ++i) sum += double(weights[m * L * L + i * L + i]);
    return sum / (double(layers) * double(heads) * double(L));
}

}  // namespace mlad::eval
