#pragma once
// Score histograms split by label, for the score-distribution plot (normal vs anomalous vs
// unlabeled). Plain C++17 so the CLI can print the same bins the UI draws.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mlad::viz {

/// Bins over [lo, hi] in score units. Bin i covers [binLow(i), binHigh(i)); the last bin also
/// includes hi. The three count vectors all have bins() entries.
struct ScoreHistogram {
    double lo = 0.0, hi = 1.0;
    bool logScale = false;
    std::vector<uint64_t> normal, anomalous, unlabeled;
    /// Scores outside [lo, hi] (only binScoresRobust leaves any): drawn as overflow bins.
    struct Outside {
        uint64_t normal = 0, anomalous = 0, unlabeled = 0;
        uint64_t total() const { return normal + anomalous + unlabeled; }
    };
    Outside below, above;

    size_t bins() const { return normal.size(); }
    /// Edges in score units (also for logScale, so they can label a plot axis directly).
    double binLow(size_t i) const;
    double binHigh(size_t i) const;
    uint64_t total(size_t i) const { return normal[i] + anomalous[i] + unlabeled[i]; }
};

/// Bins the scores, with lo = min(scores) and hi = max(scores).
///   - logScale = false: equal-width bins over [lo, hi].
///   - logScale = true: equal-width bins over u = log10(score - lo + 1), i.e. over [0,
///     log10(hi - lo + 1)]; the shift makes the transform defined for any sign of score and
///     spreads out the bulk near the minimum while the heavy right tail of energies stays
///     visible.
///   - all scores equal: the range is widened to [v - 0.5, v + 0.5] so bins have width.
///   - empty scores: lo = 0, hi = 1, all counts zero.
/// labels: 1 anomalous, 0 normal, anything else unlabeled; an empty labels vector means "all
/// unlabeled", otherwise it must have one entry per score.
/// Throws std::invalid_argument when bins == 0, a score is not finite (NaN or +-inf), or the
/// label count mismatches.
ScoreHistogram binScores(const std::vector<double>& scores, const std::vector<uint8_t>& labels,
                         size_t bins, bool logScale = false);

/// As binScores, but the bins span a robust range, [lo, hi] = the lowQuantile and highQuantile
/// (linear-interpolation quantiles) of the scores, so one far outlier cannot squash every bar
/// into the first bin; the scores below lo and above hi are counted per class in h.below and
/// h.above. When the quantiles coincide (most scores equal) the range falls back to the full
/// [min, max], as does any range that would leave no score inside. Throws as binScores, and
/// std::invalid_argument unless 0 <= lowQuantile < highQuantile <= 1.
ScoreHistogram binScoresRobust(const std::vector<double>& scores,
                               const std::vector<uint8_t>& labels, size_t bins,
                               bool logScale = false, double lowQuantile = 0.005,
                               double highQuantile = 0.995);

}  // namespace mlad::viz
