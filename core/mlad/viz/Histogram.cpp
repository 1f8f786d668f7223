#include "mlad/viz/Histogram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

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

ScoreHistogram binScores(const std::vector<double>& scores, const std::vector<uint8_t>& labels,
                         size_t bins, bool logScale) {
    if (bins == 0) throw std::invalid_argument("binScores: bins must be >= 1");
    if (!labels.empty() && labels.size() != scores.size()) {
        throw std::invalid_argument("binScores: " + std::to_string(scores.size()) + " scores but " +
                                    std::to_string(labels.size()) + " labels");
    }
    ScoreHistogram h;
    h.logScale = logScale;
    h.normal.assign(bins, 0);
    h.anomalous.assign(bins, 0);
    h.unlabeled.assign(bins, 0);
    if (scores.empty()) return h;  // lo = 0, hi = 1 from the defaults

    double lo = scores.front(), hi = scores.front();
    for (size_t i = 0; i < scores.size(); ++i) {
        const double s = scores[i];
        if (!std::isfinite(s)) {
            throw std::invalid_argument("binScores: non-finite score at index " +
                                        std::to_string(i));
        }
        lo = std::min(lo, s);
        hi = std::max(hi, s);
    }
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
        const double pos = std::floor((forward(s, lo, logScale) - fLo) * scale);
        size_t b = pos <= 0.0 ? 0 : std::min(size_t(pos), bins - 1);
        // The arithmetic above can be off by one at an edge; settle on the bin whose reported
        // edges actually contain s, so binLow/binHigh and the counts always agree.
        while (b > 0 && s < edge(h, b)) --b;
        while (b + 1 < bins && s >= edge(h, b + 1)) ++b;
        const uint8_t label = labels.empty() ? uint8_t(2) : labels[i];
        if (label == 1) {
            ++h.anomalous[b];
        } else if (label == 0) {
            ++h.normal[b];
        } else {
            ++h.unlabeled[b];
        }
    }
    return h;
}

}  // namespace mlad::viz
