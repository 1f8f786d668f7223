// Separation measures of the identical-shortcut lesson and the run comparison.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "mlad/eval/Separation.h"

using namespace mlad::eval;

TEST(Separation, OverlapOfIdenticalAndDisjointDistributions) {
    std::vector<double> s;
    std::vector<uint8_t> l;
    for (int i = 0; i < 100; ++i) {
        s.push_back(i);
        l.push_back(0);
        s.push_back(i);
        l.push_back(1);
    }
    EXPECT_NEAR(histogramOverlap(s, l, 10), 1.0, 1e-12);  // the same scores in both classes
    std::vector<double> d;
    std::vector<uint8_t> dl;
    for (int i = 0; i < 100; ++i) {
        d.push_back(i);
        dl.push_back(0);
        d.push_back(1000 + i);
        dl.push_back(1);
    }
    EXPECT_NEAR(histogramOverlap(d, dl, 10), 0.0, 1e-12);
    // Unknown labels are ignored; one class only gives NaN.
    dl.push_back(7);
    d.push_back(5);
    EXPECT_NEAR(histogramOverlap(d, dl, 10), 0.0, 1e-12);
    EXPECT_TRUE(std::isnan(histogramOverlap({1, 2}, {0, 0})));
}

TEST(Separation, AnomaliesInsideTheNormalRangeHandChecked) {
    // Normal scores 0..100 (1st/99th percentile 1 and 99); anomalies at 50, 99, 150, -5.
    std::vector<double> s;
    std::vector<uint8_t> l;
    for (int i = 0; i <= 100; ++i) {
        s.push_back(i);
        l.push_back(0);
    }
    for (double a : {50.0, 99.0, 150.0, -5.0}) {
        s.push_back(a);
        l.push_back(1);
    }
    EXPECT_DOUBLE_EQ(anomaliesInsideNormalRange(s, l), 0.5);
    EXPECT_TRUE(std::isnan(anomaliesInsideNormalRange({1}, {1})));
    EXPECT_THROW(anomaliesInsideNormalRange({1, NAN}, {0, 1}), std::invalid_argument);
}

TEST(Separation, AttentionSelfShare) {
    // Identity maps -> 1; uniform maps over 4 positions -> 1/4.
    const std::vector<float> identity = {1, 0, 0, 1};
    EXPECT_DOUBLE_EQ(attentionSelfShare(identity, 1, 1, 2), 1.0);
    std::vector<float> uniform(2 * 16, 0.25f);
    EXPECT_DOUBLE_EQ(attentionSelfShare(uniform, 1, 2, 4), 0.25);
    EXPECT_THROW(attentionSelfShare(uniform, 1, 1, 4), std::invalid_argument);
}
