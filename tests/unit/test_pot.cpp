// Peaks-over-threshold thresholds: the GPD fit recovers known tails and the thresholds hit
// their risk on fresh draws from the same distribution.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "mlad/eval/Metrics.h"
#include "mlad/eval/Pot.h"

using mlad::eval::fitPot;

TEST(Pot, ExponentialTailGivesItsAnalyticQuantile) {
    // Exp(1): the tail over any t is Exp(1) (gamma 0, sigma 1); P(X > z) = q at z = -log q.
    std::mt19937_64 rng(1);
    std::exponential_distribution<double> e(1.0);
    std::vector<double> s(200000);
    for (double& v : s) v = e(rng);
    const auto fit = fitPot(s, 0.98);
    EXPECT_NEAR(fit.gamma, 0.0, 0.05);
    EXPECT_NEAR(fit.sigma, 1.0, 0.05);
    // Within 5 % out to a risk 20x below 1 / n.
    for (double q : {1e-3, 1e-4, 1e-5})
        EXPECT_NEAR(fit.threshold(q), -std::log(q), -0.05 * std::log(q)) << q;
}

TEST(Pot, HeavyParetoTailHasPositiveShape) {
    // Pareto with tail index 3: excesses are GPD with gamma = 1/3; P(X > z) = z^-3 for z >= 1.
    std::mt19937_64 rng(2);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> s(200000);
    for (double& v : s) v = std::pow(1.0 - u(rng), -1.0 / 3.0);
    const auto fit = fitPot(s, 0.98);
    EXPECT_NEAR(fit.gamma, 1.0 / 3.0, 0.06);
    const double q = 1e-4;
    EXPECT_NEAR(std::log(fit.threshold(q)), std::log(std::pow(q, -1.0 / 3.0)), 0.15);
}

TEST(Pot, BoundedTailHasNegativeShape) {
    // Uniform(0, 1): excesses over t are GPD with gamma = -1; the threshold never passes 1.
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> s(100000);
    for (double& v : s) v = u(rng);
    const auto fit = fitPot(s, 0.98);
    EXPECT_LT(fit.gamma, -0.5);
    EXPECT_LE(fit.threshold(1e-9), 1.0 + 1e-3);
}

TEST(Pot, FalseAlarmRateOnFreshDataIsNearTheRisk) {
    // Fitted on 5,000 "validation" scores (lognormal), checked on 1,000,000 fresh ones: the
    // share above z_q is near q, also below 1 / 5,000 where the empirical quantile cannot go.
    std::mt19937_64 rng(4);
    std::lognormal_distribution<double> d(0.0, 1.0);
    std::vector<double> cal(5000), fresh(1000000);
    for (double& v : cal) v = d(rng);
    for (double& v : fresh) v = d(rng);
    const auto fit = fitPot(cal, 0.98);
    for (double q : {1e-2, 1e-3, 1e-4}) {
        const double z = fit.threshold(q);
        double above = 0;
        for (double v : fresh) above += v > z;
        const double rate = above / double(fresh.size());
        EXPECT_GT(rate, q / 3.0) << q;
        EXPECT_LT(rate, q * 3.0) << q;
    }
    // A risk larger than the tail's mass falls back to the initial threshold.
    EXPECT_EQ(fit.threshold(0.5), fit.initialThreshold);
}

TEST(Pot, RefusesTooFewScoresOrPeaks) {
    EXPECT_THROW(fitPot({1, 2, 3}), std::invalid_argument);
    EXPECT_THROW(fitPot(std::vector<double>(100, 1.0)), std::invalid_argument);  // all tied
    std::vector<double> s(100);
    for (size_t i = 0; i < s.size(); ++i) s[i] = double(i);
    EXPECT_THROW(fitPot(s, 1.5), std::invalid_argument);
    s[3] = NAN;
    EXPECT_THROW(fitPot(s), std::invalid_argument);
    s[3] = 3;
    const auto fit = fitPot(s, 0.9);
    EXPECT_EQ(fit.peaks, 10u);
    EXPECT_THROW(fit.threshold(0.0), std::invalid_argument);
    // 200 scores at SPOT's 0.98 would leave 4 peaks: the initial quantile drops to keep 10.
    std::vector<double> small(200);
    for (size_t i = 0; i < small.size(); ++i) small[i] = double(i);
    EXPECT_EQ(fitPot(small).peaks, 10u);
    // Ties at the top (identical log windows): t moves down until 10 scores exceed it.
    std::vector<double> tied(300, 0.0);
    for (size_t i = 0; i < tied.size(); ++i) tied[i] = i < 250 ? double(i) : 1000.0;
    const auto tiedFit = fitPot(tied);
    EXPECT_GE(tiedFit.peaks, 10u);
    EXPECT_LT(tiedFit.initialThreshold, 1000.0);
}
