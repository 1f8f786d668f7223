#pragma once
// Threshold-dependent and threshold-free evaluation metrics for anomaly scores (MODEL.md §6).
//
// Conventions used throughout:
//   - higher score = more anomalous;
//   - a sequence is predicted anomalous iff score >= threshold;
//   - labels: 1 = anomalous (positive), 0 = normal (negative).
// Plain C++17: no torch, no Qt, so the CLI, the UI and the tests share it.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mlad::eval {

/// Confusion matrix at one threshold. Every ratio returns 0 when its denominator is 0 (e.g.
/// precision when nothing is predicted anomalous, recall when there are no anomalies,
/// specificity/fpr when there are no normal sequences, accuracy on an empty set).
struct Confusion {
    uint64_t tp = 0, fp = 0, tn = 0, fn = 0;

    double precision() const;    ///< tp / (tp + fp)
    double recall() const;       ///< tp / (tp + fn), the TPR
    double f1() const;           ///< 2tp / (2tp + fp + fn), the harmonic mean of P and R
    double specificity() const;  ///< tn / (tn + fp), the TNR
    double fpr() const;          ///< fp / (fp + tn)
    double accuracy() const;     ///< (tp + tn) / total
    uint64_t total() const { return tp + fp + tn + fn; }
};

bool operator==(const Confusion& a, const Confusion& b);
inline bool operator!=(const Confusion& a, const Confusion& b) {
    return !(a == b);
}

/// Sorts the scores once (O(n log n)); afterwards the confusion matrix at any threshold costs
/// O(log n) (binary search over the sorted scores + prefix counts of positives), and the
/// threshold-free metrics cost O(n).
///
/// Scores may be +-infinity; NaN scores are rejected. An empty sweep is allowed: at() gives an
/// all-zero Confusion, minScore()/maxScore() throw std::out_of_range, rocAuc() and
/// averagePrecision() are NaN, curves hold only their start point.
class ThresholdSweep {
  public:
    /// Throws std::invalid_argument on a size mismatch, a NaN score or a label other than 0/1.
    ThresholdSweep(std::vector<double> scores, std::vector<uint8_t> labels);

    /// Confusion matrix for "predict anomalous iff score >= threshold". Any threshold value
    /// works (+inf predicts nothing unless a score is +inf); NaN throws std::invalid_argument.
    Confusion at(double threshold) const;

    size_t size() const { return sorted_.size(); }
    uint64_t positives() const { return positives_; }
    uint64_t negatives() const { return uint64_t(sorted_.size()) - positives_; }
    double minScore() const;  ///< throws std::out_of_range when empty
    double maxScore() const;  ///< throws std::out_of_range when empty
    const std::vector<double>& sortedScores() const { return sorted_; }  ///< ascending

    struct Best {
        double threshold;
        Confusion confusion;
        double f1;
    };
    /// ORACLE: picks the threshold using the test labels, so it is an upper bound, never a
    /// deployable choice; label it as such wherever it is shown. Candidates are the distinct
    /// score values; among equal F1 the highest threshold (fewest alarms) wins. With no
    /// positives every F1 is 0 and the result is the maximum score. Empty: {+inf, {}, 0}.
    Best oracleBestF1() const;

    /// Area under the ROC curve = P(score of a random anomaly > score of a random normal),
    /// ties counted 1/2 (Mann-Whitney U / (P*N)). NaN when there are no positives or no
    /// negatives.
    double rocAuc() const;

    /// PR-AUC as average precision, sklearn's definition: sum over distinct thresholds
    /// (descending) of (R_k - R_{k-1}) * P_k, tied scores forming a single step (no
    /// interpolation). NaN when there are no positives; 1 when there are no negatives.
    double averagePrecision() const;

    struct CurvePoint {
        double x, y, threshold;
    };
    /// ROC curve as (x = fpr, y = tpr), from threshold +inf (0,0) down to the minimum score
    /// (1,1), one point per distinct score. Reduced to at most max(maxPoints, 2) points: first
    /// exactly collinear intermediate points are dropped, then points are thinned evenly along
    /// the curve's length; the first and last point are always kept. Every kept point is an
    /// exact point of the full curve (x, y equal at(threshold)).
    std::vector<CurvePoint> rocCurve(size_t maxPoints = 1000) const;
    /// PR curve as (x = recall, y = precision), ordered by increasing recall (decreasing
    /// threshold). Starts at (0, 1) with threshold +inf (sklearn's convention for "predict
    /// nothing"), then one point per distinct score. Reduced like rocCurve (length-based
    /// thinning only), endpoints kept.
    std::vector<CurvePoint> prCurve(size_t maxPoints = 1000) const;

  private:
    // Calls fn(score, tpSoFar, fpSoFar) once per distinct score, from the highest down, with the
    // counts for threshold = score.
    template <class Fn>
    void forEachDistinctDescending(Fn&& fn) const;

    std::vector<double> sorted_;      // ascending
    std::vector<uint64_t> posBelow_;  // posBelow_[i] = positives among sorted_[0..i), size n+1
    uint64_t positives_ = 0;
};

/// Linear-interpolation quantile (numpy's default "linear" method) of a sample:
/// sorted v, h = (n-1)q, result = v[floor h] + (h - floor h)(v[floor h + 1] - v[floor h]).
/// O(n) (selection, not a full sort). Throws std::invalid_argument when values is empty, holds
/// a NaN, or q is outside [0, 1] / NaN.
double quantile(std::vector<double> values, double q);

/// Metrics re-weighted to another anomaly prevalence (e.g. the natural rate instead of the
/// paper's balanced test set). TPR and FPR do not depend on prevalence, so with
/// TPR = c.recall() and FPR = c.fpr():
///   precision = TPR*pi / (TPR*pi + FPR*(1-pi))  (0 when the denominator is 0),
///   recall = TPR, specificity = c.specificity(), f1 from those precision and recall.
/// Caveat: when c has no negatives FPR reads as 0 and precision as 1 (or 0 if TPR is 0).
/// Throws std::invalid_argument when prevalence is outside [0, 1] or NaN.
struct RateMetrics {
    double precision, recall, f1, specificity;
};
RateMetrics atPrevalence(const Confusion& c, double prevalence);

}  // namespace mlad::eval
