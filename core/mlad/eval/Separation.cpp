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

double histogramOverlap(const std::vector<double>& scores, const std::vector<uint8_t>& labels,
                        size_t bins) {
    checkScores(scores, labels);
    if (bins == 0) throw std::invalid_argument("histogramOverlap: bins must be >= 1");
    std::vector<double> all;
    size_t nNormal = 0, nAnomalous = 0;
    for (size_t i = 0; i < scores.size(); ++i) {
        if (labels[i] > 1 || !std::isfinite(scores[i])) continue;
        all.push_back(scores[i]);
        (labels[i] ? nAnomalous : nNormal)++;
    }
    if (nNormal == 0 || nAnomalous == 0) return NAN;
    double lo = quantile(all, 0.005), hi = quantile(all, 0.995);
    if (!(lo < hi)) {
        lo = *std::min_element(all.begin(), all.end());
        hi = *std::max_element(all.begin(), all.end());
    }
    std::vector<double> pn(bins, 0.0), pa(bins, 0.0);
    for (size_t i = 0; i < scores.size(); ++i) {
        if (labels[i] > 1 || !std::isfinite(scores[i])) continue;
        size_t b = 0;
        if (hi > lo) {
            const double pos = (scores[i] - lo) / (hi - lo) * double(bins);
            b = pos <= 0 ? 0 : std::min(size_t(pos), bins - 1);
        }
        (labels[i] ? pa : pn)[b] += 1.0;
    }
    double overlap = 0;
    for (size_t b = 0; b < bins; ++b)
        overlap += std::min(pn[b] / double(nNormal), pa[b] / double(nAnomalous));
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
