#include "mlad/eval/Metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace mlad::eval {

namespace {

double ratio(uint64_t num, uint64_t den) {
    return den == 0 ? 0.0 : double(num) / double(den);
}

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using CurvePoint = ThresholdSweep::CurvePoint;

// Keeps the first and last point and thins the rest so that kept points are at least
// total_length / (m - 1) apart along the curve (L1 length in x, y). Spacing by length rather than
// by index keeps the visible shape: score-quantile spacing would crowd the flat tails.
std::vector<CurvePoint> thinByLength(std::vector<CurvePoint> pts, size_t maxPoints) {
    const size_t m = std::max<size_t>(maxPoints, 2);
    if (pts.size() <= m) return pts;
    std::vector<double> cum(pts.size(), 0.0);
    for (size_t i = 1; i < pts.size(); ++i) {
        cum[i] = cum[i - 1] + std::abs(pts[i].x - pts[i - 1].x) + std::abs(pts[i].y - pts[i - 1].y);
    }
    std::vector<CurvePoint> out;
    out.reserve(m);
    out.push_back(pts.front());
    const double total = cum.back();
    if (total > 0.0) {
        const double step = total / double(m - 1);
        double lastKept = 0.0;
        for (size_t i = 1; i + 1 < pts.size(); ++i) {
            if (cum[i] - lastKept >= step) {
                out.push_back(pts[i]);
                lastKept = cum[i];
            }
        }
    }
    // Rounding could let one point too many through; the last point always takes a slot.
    while (out.size() >= m) out.pop_back();
    out.push_back(pts.back());
    return out;
}

}  // namespace

// ---- Confusion ---------------------------------------------------------------------------------

double Confusion::precision() const {
    return ratio(tp, tp + fp);
}
double Confusion::recall() const {
    return ratio(tp, tp + fn);
}
double Confusion::f1() const {
    return ratio(2 * tp, 2 * tp + fp + fn);
}
double Confusion::specificity() const {
    return ratio(tn, tn + fp);
}
double Confusion::fpr() const {
    return ratio(fp, fp + tn);
}
double Confusion::accuracy() const {
    return ratio(tp + tn, total());
}

bool operator==(const Confusion& a, const Confusion& b) {
    return a.tp == b.tp && a.fp == b.fp && a.tn == b.tn && a.fn == b.fn;
}

// ---- ThresholdSweep ----------------------------------------------------------------------------

ThresholdSweep::ThresholdSweep(std::vector<double> scores, std::vector<uint8_t> labels) {
    if (scores.size() != labels.size()) {
        throw std::invalid_argument("ThresholdSweep: " + std::to_string(scores.size()) +
                                    " scores but " + std::to_string(labels.size()) + " labels");
    }
    const size_t n = scores.size();
    std::vector<std::pair<double, uint8_t>> pairs(n);
    for (size_t i = 0; i < n; ++i) {
        if (std::isnan(scores[i])) {
            throw std::invalid_argument("ThresholdSweep: NaN score at index " + std::to_string(i));
        }
        if (labels[i] > 1) {
            throw std::invalid_argument("ThresholdSweep: label " + std::to_string(labels[i]) +
                                        " at index " + std::to_string(i) + " is not 0 or 1");
        }
        pairs[i] = {scores[i], labels[i]};
    }
    // Order within a tie does not matter: every query looks at whole groups of equal scores.
    std::sort(pairs.begin(), pairs.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    labels.clear();
    labels.shrink_to_fit();
    sorted_ = std::move(scores);  // reuse the buffer
    posBelow_.assign(n + 1, 0);
    for (size_t i = 0; i < n; ++i) {
        sorted_[i] = pairs[i].first;
        posBelow_[i + 1] = posBelow_[i] + pairs[i].second;
    }
    positives_ = posBelow_[n];
}

Confusion ThresholdSweep::at(double threshold) const {
    if (std::isnan(threshold)) throw std::invalid_argument("ThresholdSweep::at: NaN threshold");
    // Everything before idx is < threshold (predicted normal), the rest is predicted anomalous.
    const size_t idx =
        size_t(std::lower_bound(sorted_.begin(), sorted_.end(), threshold) - sorted_.begin());
    Confusion c;
    c.fn = posBelow_[idx];
    c.tn = uint64_t(idx) - c.fn;
    c.tp = positives_ - c.fn;
    c.fp = uint64_t(sorted_.size() - idx) - c.tp;
    return c;
}

double ThresholdSweep::minScore() const {
    if (sorted_.empty()) throw std::out_of_range("ThresholdSweep::minScore: no scores");
    return sorted_.front();
}

double ThresholdSweep::maxScore() const {
    if (sorted_.empty()) throw std::out_of_range("ThresholdSweep::maxScore: no scores");
    return sorted_.back();
}

template <class Fn>
void ThresholdSweep::forEachDistinctDescending(Fn&& fn) const {
    const size_t n = sorted_.size();
    size_t i = n;
    while (i > 0) {
        const double s = sorted_[i - 1];
        size_t j = i - 1;
        while (j > 0 && sorted_[j - 1] == s) --j;
        // Threshold s: indices [j, n) are predicted anomalous.
        const uint64_t tp = positives_ - posBelow_[j];
        const uint64_t fp = uint64_t(n - j) - tp;
        fn(s, tp, fp);
        i = j;
    }
}

ThresholdSweep::Best ThresholdSweep::oracleBestF1() const {
    Best best{kInf, Confusion{}, 0.0};
    bool first = true;
    const uint64_t pos = positives(), neg = negatives();
    forEachDistinctDescending([&](double s, uint64_t tp, uint64_t fp) {
        Confusion c{tp, fp, neg - fp, pos - tp};
        const double f = c.f1();
        // Strictly greater: on ties the earlier (higher) threshold is kept.
        if (first || f > best.f1) {
            best = Best{s, c, f};
            first = false;
        }
    });
    return best;
}

double ThresholdSweep::rocAuc() const {
    const uint64_t pos = positives(), neg = negatives();
    if (pos == 0 || neg == 0) return kNaN;
    // 2U summed in integers (exact): each positive beats the negatives strictly below it and
    // ties half of the negatives with the same score.
    uint64_t twoU = 0;
    const size_t n = sorted_.size();
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && sorted_[j] == sorted_[i]) ++j;
        const uint64_t groupPos = posBelow_[j] - posBelow_[i];
        const uint64_t groupNeg = uint64_t(j - i) - groupPos;
        const uint64_t negBelow = uint64_t(i) - posBelow_[i];
        twoU += groupPos * (2 * negBelow + groupNeg);
        i = j;
    }
    return double(twoU) / (2.0 * double(pos) * double(neg));
}

double ThresholdSweep::averagePrecision() const {
    const uint64_t pos = positives();
    if (pos == 0) return kNaN;
    double ap = 0.0;
    uint64_t prevTp = 0;
    forEachDistinctDescending([&](double, uint64_t tp, uint64_t fp) {
        if (tp != prevTp) {
            ap += double(tp - prevTp) / double(pos) * (double(tp) / double(tp + fp));
            prevTp = tp;
        }
    });
    return ap;
}

std::vector<CurvePoint> ThresholdSweep::rocCurve(size_t maxPoints) const {
    struct Raw {
        uint64_t fp, tp;
        double threshold;
    };
    std::vector<Raw> raw;
    raw.push_back({0, 0, kInf});
    forEachDistinctDescending([&](double s, uint64_t tp, uint64_t fp) {
        raw.push_back({fp, tp, s});
    });

    // Drop intermediate points lying exactly on the segment between their neighbours (integer
    // cross product, so no rounding): the drawn curve and its area are unchanged.
    std::vector<Raw> kept;
    kept.reserve(raw.size());
    kept.push_back(raw.front());
    for (size_t i = 1; i + 1 < raw.size(); ++i) {
        const Raw& a = kept.back();
        const Raw& b = raw[i];
        const Raw& c = raw[i + 1];
        // Counts are monotone along the curve, so all differences are non-negative.
        const uint64_t lhs = (b.fp - a.fp) * (c.tp - b.tp);
        const uint64_t rhs = (b.tp - a.tp) * (c.fp - b.fp);
        if (lhs != rhs) kept.push_back(b);
    }
    if (raw.size() > 1) kept.push_back(raw.back());

    const uint64_t pos = positives(), neg = negatives();
    std::vector<CurvePoint> pts;
    pts.reserve(kept.size());
    for (const Raw& r : kept) pts.push_back({ratio(r.fp, neg), ratio(r.tp, pos), r.threshold});
    return thinByLength(std::move(pts), maxPoints);
}

std::vector<CurvePoint> ThresholdSweep::prCurve(size_t maxPoints) const {
    const uint64_t pos = positives();
    std::vector<CurvePoint> pts;
    pts.push_back({0.0, 1.0, kInf});
    forEachDistinctDescending([&](double s, uint64_t tp, uint64_t fp) {
        pts.push_back({ratio(tp, pos), ratio(tp, tp + fp), s});
    });
    return thinByLength(std::move(pts), maxPoints);
}

// ---- free functions ----------------------------------------------------------------------------

double quantile(std::vector<double> values, double q) {
    if (values.empty()) throw std::invalid_argument("quantile: empty sample");
    if (!(q >= 0.0 && q <= 1.0)) {
        throw std::invalid_argument("quantile: q must be in [0, 1], got " + std::to_string(q));
    }
    for (double v : values) {
        if (std::isnan(v)) throw std::invalid_argument("quantile: NaN in sample");
    }
    const size_t n = values.size();
    const double h = double(n - 1) * q;
    const size_t lo = std::min(size_t(std::floor(h)), n - 1);
    std::nth_element(values.begin(), values.begin() + lo, values.end());
    const double a = values[lo];
    const double t = h - double(lo);
    if (lo + 1 >= n || t == 0.0) return a;
    // After nth_element everything right of lo is >= a; the next order statistic is its minimum.
    const double b = *std::min_element(values.begin() + lo + 1, values.end());
    if (a == b) return a;  // also avoids inf - inf
    // Same two-sided lerp as numpy, which is exact at both ends.
    const double diff = b - a;
    return t < 0.5 ? a + diff * t : b - diff * (1.0 - t);
}

RateMetrics atPrevalence(const Confusion& c, double prevalence) {
    if (!(prevalence >= 0.0 && prevalence <= 1.0)) {
        throw std::invalid_argument("atPrevalence: prevalence must be in [0, 1], got " +
                                    std::to_string(prevalence));
    }
    const double tpr = c.recall();
    const double fpr = c.fpr();
    const double num = tpr * prevalence;
    const double den = num + fpr * (1.0 - prevalence);
    RateMetrics r{};
    r.precision = den > 0.0 ? num / den : 0.0;
    r.recall = tpr;
    r.f1 = (r.precision + r.recall) > 0.0 ? 2.0 * r.precision * r.recall / (r.precision + r.recall)
                                          : 0.0;
    r.specificity = c.specificity();
    return r;
}

}  // namespace mlad::eval
