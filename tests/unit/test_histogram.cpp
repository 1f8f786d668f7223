// Tests for mlad::viz::binScores: counts are recomputed independently from the reported bin
// edges, so the bins the plot labels and the counts it draws must agree.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "mlad/viz/Histogram.h"

using mlad::viz::binScores;
using mlad::viz::ScoreHistogram;

namespace {

// Index of the bin whose [low, high) holds s (the last bin also holds hi), or bins() if none.
size_t binByEdges(const ScoreHistogram& h, double s) {
    for (size_t i = 0; i < h.bins(); ++i) {
        const bool last = i + 1 == h.bins();
        if (h.binLow(i) <= s && (s < h.binHigh(i) || (last && s <= h.hi))) return i;
    }
    return h.bins();
}

void expectConsistent(const ScoreHistogram& h, const std::vector<double>& scores,
                      const std::vector<uint8_t>& labels) {
    std::vector<uint64_t> normal(h.bins(), 0), anomalous(h.bins(), 0), unlabeled(h.bins(), 0);
    for (size_t i = 0; i < scores.size(); ++i) {
        const size_t b = binByEdges(h, scores[i]);
        ASSERT_LT(b, h.bins()) << "score " << scores[i] << " in no bin";
        const uint8_t l = labels.empty() ? 7 : labels[i];
        (l == 1 ? anomalous : l == 0 ? normal : unlabeled)[b]++;
    }
    EXPECT_EQ(h.normal, normal);
    EXPECT_EQ(h.anomalous, anomalous);
    EXPECT_EQ(h.unlabeled, unlabeled);
    uint64_t sum = 0;
    for (size_t i = 0; i < h.bins(); ++i) sum += h.total(i);
    EXPECT_EQ(sum, scores.size());
    for (size_t i = 1; i < h.bins(); ++i) EXPECT_LE(h.binLow(i - 1), h.binLow(i));
    for (size_t i = 0; i + 1 < h.bins(); ++i) EXPECT_EQ(h.binHigh(i), h.binLow(i + 1));
}

}  // namespace

TEST(Histogram, LinearHandChecked) {
    const std::vector<double> scores = {0, 1, 2, 3, 4, 2.5};
    const std::vector<uint8_t> labels = {0, 0, 1, 1, 9, 0};
    const auto h = binScores(scores, labels, 4);
    EXPECT_EQ(h.lo, 0.0);
    EXPECT_EQ(h.hi, 4.0);
    EXPECT_FALSE(h.logScale);
    ASSERT_EQ(h.bins(), 4u);
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_DOUBLE_EQ(h.binLow(i), double(i));
        EXPECT_DOUBLE_EQ(h.binHigh(i), double(i + 1));
    }
    // [0,1): 0 | [1,2): 1 | [2,3): 2, 2.5 | [3,4]: 3, 4
    EXPECT_EQ(h.normal, (std::vector<uint64_t>{1, 1, 1, 0}));
    EXPECT_EQ(h.anomalous, (std::vector<uint64_t>{0, 0, 1, 1}));
    EXPECT_EQ(h.unlabeled, (std::vector<uint64_t>{0, 0, 0, 1}));
}

TEST(Histogram, LogHandChecked) {
    // log10(s - 0 + 1) = 0, 1, 2 -> two equal-width bins in log space with edge at s = 9.
    const auto h = binScores({0, 9, 99, 5}, {0, 1, 1, 0}, 2, true);
    EXPECT_TRUE(h.logScale);
    EXPECT_EQ(h.binLow(0), 0.0);
    EXPECT_NEAR(h.binHigh(0), 9.0, 1e-12);
    EXPECT_EQ(h.binHigh(1), 99.0);
    EXPECT_EQ(h.normal, (std::vector<uint64_t>{2, 0}));
    EXPECT_EQ(h.anomalous, (std::vector<uint64_t>{0, 2}));

    // Shifted, negative scores: same layout relative to the minimum.
    const auto shifted = binScores({-100, -91, -1}, {}, 2, true);
    EXPECT_NEAR(shifted.binHigh(0), -91.0, 1e-12);
    EXPECT_EQ(shifted.unlabeled, (std::vector<uint64_t>{1, 2}));
}

TEST(Histogram, RandomDataCountsMatchEdges) {
    std::mt19937 rng(11);
    std::lognormal_distribution<double> heavy(0.0, 2.0);
    std::normal_distribution<double> normal(-5.0, 3.0);
    std::uniform_int_distribution<int> label(0, 3);  // 2 and 3 are "unlabeled"
    std::uniform_int_distribution<int> grid(0, 20);
    for (int kind = 0; kind < 3; ++kind) {
        std::vector<double> scores;
        std::vector<uint8_t> labels;
        for (int i = 0; i < 3000; ++i) {
            // kind 2 puts many scores exactly on linear bin edges (multiples of 0.5 over [0,10]).
            scores.push_back(kind == 0 ? heavy(rng) : kind == 1 ? normal(rng) : grid(rng) * 0.5);
            labels.push_back(uint8_t(label(rng)));
        }
        for (size_t bins : {1, 2, 7, 20, 64, 1000}) {
            for (bool logScale : {false, true}) {
                const auto h = binScores(scores, labels, bins, logScale);
                EXPECT_EQ(h.bins(), bins);
                EXPECT_EQ(h.lo, *std::min_element(scores.begin(), scores.end()));
                EXPECT_EQ(h.hi, *std::max_element(scores.begin(), scores.end()));
                expectConsistent(h, scores, labels);
            }
        }
    }
}

TEST(Histogram, EdgesEquallySpacedInTheirSpace) {
    const std::vector<double> scores = {-3.0, 0.5, 17.0, 250.0};
    const auto lin = binScores(scores, {}, 10);
    for (size_t i = 0; i < 10; ++i) {
        EXPECT_NEAR(lin.binHigh(i) - lin.binLow(i), 25.3, 1e-9);
    }
    const auto lg = binScores(scores, {}, 10, true);
    const double width = std::log10(250.0 + 3.0 + 1.0) / 10.0;
    for (size_t i = 0; i < 10; ++i) {
        const double a = std::log10(lg.binLow(i) + 3.0 + 1.0);
        const double b = std::log10(lg.binHigh(i) + 3.0 + 1.0);
        EXPECT_NEAR(b - a, width, 1e-9);
    }
}

TEST(Histogram, AllEqualScores) {
    for (bool logScale : {false, true}) {
        const std::vector<double> scores = {3, 3, 3};
        const auto h = binScores(scores, {1, 0, 1}, 4, logScale);
        EXPECT_EQ(h.lo, 2.5);
        EXPECT_EQ(h.hi, 3.5);
        expectConsistent(h, scores, {1, 0, 1});
        const auto one = binScores(scores, {1, 0, 1}, 1, logScale);
        EXPECT_EQ(one.anomalous[0], 2u);
        EXPECT_EQ(one.normal[0], 1u);
    }
}

TEST(Histogram, EmptyInput) {
    const auto h = binScores({}, {}, 5, true);
    EXPECT_EQ(h.bins(), 5u);
    EXPECT_EQ(h.lo, 0.0);
    EXPECT_EQ(h.hi, 1.0);
    for (size_t i = 0; i < 5; ++i) EXPECT_EQ(h.total(i), 0u);
}

TEST(Histogram, SingleBinHoldsEverything) {
    const std::vector<double> scores = {1, 2, 3, 100};
    const std::vector<uint8_t> labels = {0, 1, 200, 1};
    const auto h = binScores(scores, labels, 1);
    EXPECT_EQ(h.normal[0], 1u);
    EXPECT_EQ(h.anomalous[0], 2u);
    EXPECT_EQ(h.unlabeled[0], 1u);
    EXPECT_EQ(h.binLow(0), 1.0);
    EXPECT_EQ(h.binHigh(0), 100.0);
}

TEST(Histogram, RejectsBadInput) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_THROW(binScores({1, 2}, {0, 1}, 0), std::invalid_argument);
    EXPECT_THROW(binScores({1, nan}, {0, 1}, 3), std::invalid_argument);
    EXPECT_THROW(binScores({1, inf}, {0, 1}, 3), std::invalid_argument);
    EXPECT_THROW(binScores({-inf, 1}, {}, 3, true), std::invalid_argument);
    EXPECT_THROW(binScores({1, 2, 3}, {0, 1}, 3), std::invalid_argument);
    const auto h = binScores({1, 2}, {}, 3);
    EXPECT_THROW(h.binLow(3), std::out_of_range);
    EXPECT_THROW(h.binHigh(3), std::out_of_range);
}

TEST(Histogram, RobustRangeKeepsOneOutlierFromSquashingTheBars) {
    // 1,000 scores in [0, 10) and one at 1e6: the full range puts 1,000 scores into the first of
    // 50 bins; the robust range spans the bulk and counts the outlier as overflow.
    std::vector<double> scores;
    std::vector<uint8_t> labels;
    for (int i = 0; i < 1000; ++i) {
        scores.push_back(i * 0.01);
        labels.push_back(i % 10 == 0 ? 1 : 0);
    }
    scores.push_back(1e6);
    labels.push_back(1);
    const auto full = binScores(scores, labels, 50);
    EXPECT_EQ(full.total(0), 1000u);

    const auto h = mlad::viz::binScoresRobust(scores, labels, 50);
    // numpy: np.quantile(scores, [0.005, 0.995]) with linear interpolation.
    EXPECT_NEAR(h.lo, 0.05, 1e-9);
    EXPECT_NEAR(h.hi, 9.95, 1e-9);
    uint64_t inside = 0, peak = 0;
    for (size_t i = 0; i < h.bins(); ++i) {
        inside += h.total(i);
        peak = std::max(peak, h.total(i));
    }
    EXPECT_LE(peak, 25u);              // about 20 per bin, not everything in one
    EXPECT_EQ(h.below.total(), 5u);    // 0.00 .. 0.04
    EXPECT_EQ(h.below.anomalous, 1u);  // 0.00
    EXPECT_EQ(h.above.total(), 5u);    // 9.96 .. 9.99 and 1e6
    EXPECT_EQ(h.above.anomalous, 1u);
    EXPECT_EQ(inside + h.below.total() + h.above.total(), scores.size());
    // Every counted score lies inside its bin's edges.
    for (size_t k = 0; k < scores.size(); ++k) {
        const double s = scores[k];
        if (s < h.lo || s > h.hi) continue;
        size_t b = 0;
        while (b + 1 < h.bins() && s >= h.binHigh(b)) ++b;
        EXPECT_GE(s, h.binLow(b));
    }
    // The full binning leaves nothing outside.
    EXPECT_EQ(full.below.total() + full.above.total(), 0u);
}

TEST(Histogram, RobustRangeFallsBackWhenQuantilesCoincide) {
    // 99 % of the scores are equal: the quantiles coincide, the range falls back to [min, max].
    std::vector<double> scores(1000, 2.0);
    scores[0] = -1.0;
    scores[1] = 50.0;
    for (bool logScale : {false, true}) {
        const auto h = mlad::viz::binScoresRobust(scores, {}, 10, logScale);
        EXPECT_EQ(h.lo, -1.0);
        EXPECT_EQ(h.hi, 50.0);
        EXPECT_EQ(h.below.total() + h.above.total(), 0u);
    }
    EXPECT_THROW(mlad::viz::binScoresRobust(scores, {}, 10, false, 0.5, 0.5),
                 std::invalid_argument);
    EXPECT_THROW(mlad::viz::binScoresRobust(scores, {}, 10, false, -0.1, 0.9),
                 std::invalid_argument);
    const auto empty = mlad::viz::binScoresRobust({}, {}, 4);
    EXPECT_EQ(empty.bins(), 4u);
}
