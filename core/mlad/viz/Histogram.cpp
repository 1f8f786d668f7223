#include "mlad/viz/Histogram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "mlad/eval/Metrics.h"

namespace mlad::viz {

namespace {

// Transform into the space where bins have equal width, and back.
double forward(double s, double lo, bool logScale) {
    return logScale ? std::log10(s - lo + 1.0) : s;
}
double inverse(double u, double lo, bool logScale) {
    return logScale ? std::pow(10.0, u) - 1.0 + lo : u;
}

// Edge k of n bins, k in [0, n]; the outer edges are exactly lo and hi.
double edge(const ScoreHistogram& h, size_t k) {
    const size_t n = h.bins();
    if (k == 0) return h.lo;
    if (k >= n) return h.hi;
    const double fLo = forward(h.lo, h.lo, h.logScale);
    const double fHi = forward(h.hi, h.lo, h.logScale);
    return inverse(fLo + (fHi - fLo) * (double(k) / double(n)), h.lo, h.logScale);
}

}  // namespace

double ScoreHistogram::binLow(size_t i) const {
    if (i >= bins()) throw std::out_of_range("ScoreHistogram::binLow: bin out of range");
    return edge(*this, i);
}

double ScoreHistogram::binHigh(size_t i) const {
    if (i >= bins()) throw std::out_of_range("ScoreHistogram::binHigh: bin out of range");
    return edge(*this, i + 1);
}

namespace {

void checkInput(const std::vector<double>& scores, const std::vector<uint8_t>& labels,
                size_t bins) {
    if (bins == 0) throw std::invalid_argument("binScores: bins must be >= 1");
    if (!labels.empty() && labels.size() != scores.size()) {
        throw std::invalid_argument("binScores: " + std::to_string(scores.size()) + " scores but " +
                                    std::to_string(labels.size()) + " labels");
    }
    for (size_t i = 0; i < scores.size(); ++i)
        if (!std::isfinite(scores[i]))
            throw std::invalid_argument("binScores: non-finite score at index " +
                                        std::to_string(i));
}

template <class Counts>
void countLabel(Counts& normal, Counts& anomalous, Counts& unlabeled, uint8_t label) {
    if (label == 1) {
        ++anomalous;
    } else if (label == 0) {
        ++normal;
    } else {
        ++unlabeled;
    }
}

// Bins the (checked) scores over [lo, hi]; scores outside go to h.below / h.above.
ScoreHistogram binOver(const std::vector<double>& scores, const std::vector<uint8_t>& labels,
                       size_t bins, bool logScale, double lo, double hi) {
    ScoreHistogram h;
    h.logScale = logScale;
    h.normal.assign(bins, 0);
    h.anomalous.assign(bins, 0);
    h.unlabeled.assign(bins, 0);
    if (lo == hi) {
        lo -= 0.5;
        hi += 0.5;
    }
    if (!std::isfinite(hi - lo)) throw std::invalid_argument("binScores: score range overflows");
    h.lo = lo;
    h.hi = hi;

    const double fLo = forward(lo, lo, logScale);
    const double fHi = forward(hi, lo, logScale);
    const double scale = double(bins) / (fHi - fLo);
    for (size_t i = 0; i < scores.size(); ++i) {
        const double s = scores[i];
        const uint8_t label = labels.empty() ? uint8_t(2) : labels[i];
        if (s < lo) {
            countLabel(h.below.normal, h.below.anomalous, h.below.unlabeled, label);
            continue;
        }
        if (s > hi) {
            countLabel(h.above.normal, h.above.anomalous, h.above.unlabeled, label);
            continue;
        }
        const double pos = std::floor((forward(s, lo, logScale) - fLo) * scale);
        size_t b = pos <= 0.0 ? 0 : std::min(size_t(pos), bins - 1);
        // The arithmetic above can be off by one at an edge; settle on the bin whose reported
        // edges actually contain s, so binLow/binHigh and the counts always agree.
        while (b > 0 && s < edge(h, b)) --b;
        while (b + 1 < bins && s >= edge(h, b + 1)) ++b;
        countLabel(h.normal[b], h.anomalous[b], h.unlabeled[b], label);
    }
    return h;
}

}  // namespace

ScoreHistogram binScores(const std::vector<double>& scores, const std::vector<uint8_t>& labels,
                         size_t bins, bool logScale) {
    checkInput(scores, labels, bins);
    if (scores.empty()) return binOver(scores, labels, bins, logScale, 0.0, 1.0);
    const auto [mn, mx] = std::minmax_element(scores.begin(), scores.end());
    return binOver(scores, labels, bins, logScale, *mn, *mx);
}

ScoreHistogram binScoresRobust(const std::vector<double>& scores,
                               const std::vector<uint8_t>& labels, size_t bins, bool logScale,
                               double lowQuantile, double highQuantile) {
    if (!(lowQuantile >= 0.0 && lowQuantile < highQuantile && highQuantile <= 1.0))
        throw std::invalid_argument("binScoresRobust: need 0 <= lowQuantile < highQuantile <= 1");
    checkInput(scores, labels, bins);
    if (scores.empty()) return binOver(scores, labels, bins, logScale, 0.0, 1.0);
    double lo = eval::quantile(scores, lowQuantile), hi = eval::quantile(scores, highQuantile);
    if (!(lo < hi)) {
        const auto [mn, mx] = std::minmax_element(scores.begin(), scores.end());
        lo = *mn;
        hi = *mx;
    }
    return binOver(scores, labels, bins, logScale, lo, hi);
}

}  // namespace mlad::viz
