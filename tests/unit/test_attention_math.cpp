// Head averaging and attention rollout (mlad::viz::AttentionMath) on hand-checked maps.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <vector>

#include "mlad/viz/AttentionMath.h"

using mlad::viz::attentionRollout;
using mlad::viz::headAverage;

TEST(AttentionMath, HeadAverageHandChecked) {
    // 1 layer, 2 heads, L = 2: the mean of [[1,0],[0,1]] and [[0,1],[0.5,0.5]].
    const std::vector<float> w = {1, 0, 0, 1, 0, 1, 0.5f, 0.5f};
    const auto avg = headAverage(w, 1, 2, 2);
    EXPECT_EQ(avg, (std::vector<float>{0.5f, 0.5f, 0.25f, 0.75f}));
}

TEST(AttentionMath, RolloutHandChecked) {
    // Layer 1: A = [[0,1],[1,0]] -> R1 = 0.5A + 0.5I = [[.5,.5],[.5,.5]].
    // Layer 2: A = I -> mix = I, R2 = R1.
    const std::vector<float> avg = {0, 1, 1, 0, 1, 0, 0, 1};
    const auto r = attentionRollout(avg, 2, 2);
    for (float v : r) EXPECT_FLOAT_EQ(v, 0.5f);
    // Identity attention everywhere keeps the identity.
    const auto id = attentionRollout({1, 0, 0, 1}, 1, 2);
    EXPECT_EQ(id, (std::vector<float>{1, 0, 0, 1}));
}

TEST(AttentionMath, RowsStayStochasticWithExactZeros) {
    // Random sparse row-stochastic maps (entmax-like exact zeros): every row of the averages
    // and of the rollout sums to 1 and stays non-negative.
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(0, 1);
    const int layers = 3, heads = 4, L = 7;
    std::vector<float> w;
    for (int m = 0; m < layers * heads; ++m)
        for (int i = 0; i < L; ++i) {
            std::vector<float> row(L);
            float sum = 0;
            for (auto& v : row) {
                v = u(rng) < 0.5f ? 0.0f : u(rng);
                sum += v;
            }
            if (sum == 0) {
                row[size_t(i)] = 1;
                sum = 1;
            }
            for (auto v : row) w.push_back(v / sum);
        }
    const auto avg = headAverage(w, layers, heads, L);
    const auto roll = attentionRollout(avg, layers, L);
    for (const auto* m : {&avg, &roll}) {
        ASSERT_EQ(m->size(), size_t(layers * L * L));
        for (size_t row = 0; row < m->size() / size_t(L); ++row) {
            double s = 0;
            for (int j = 0; j < L; ++j) {
                EXPECT_GE((*m)[row * size_t(L) + size_t(j)], 0.0f);
                s += (*m)[row * size_t(L) + size_t(j)];
            }
            EXPECT_NEAR(s, 1.0, 1e-5);
        }
    }
}

TEST(AttentionMath, RejectsMismatchedSizes) {
    EXPECT_THROW(headAverage({1, 0, 0}, 1, 1, 2), std::invalid_argument);
    EXPECT_THROW(headAverage({}, 0, 1, 2), std::invalid_argument);
    EXPECT_THROW(attentionRollout({1, 0, 0, 1}, 2, 2), std::invalid_argument);
}
