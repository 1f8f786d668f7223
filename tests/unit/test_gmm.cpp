// DAGMM-style mixture (core/mlad/model/Gmm.h) against direct formulas in float64.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "mlad/model/Gmm.h"

namespace {

using mlad::model::covariancePenalty;
using mlad::model::GmmAccumulator;
using mlad::model::gmmEnergy;
using mlad::model::gmmEstimate;
using mlad::model::GmmParams;
using torch::Tensor;

const auto kF64 = torch::TensorOptions().dtype(torch::kDouble);

double maxAbsDiff(const Tensor& a, const Tensor& b) {
    return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

/// A valid GMM with well-conditioned random covariances.
GmmParams randomGmm(int64_t k, int64_t d) {
    const Tensor a = torch::randn({k, d, d}, kF64);
    return {torch::softmax(torch::randn({k}, kF64), 0), torch::randn({k, d}, kF64) * 2,
            a.matmul(a.transpose(1, 2)) + 0.5 * torch::eye(d, kF64)};
}

/// -log sum_k phi_k N(x; mu_k, S_k) with S_k = sigma_k + eps I, from the textbook density
/// (explicit inverse and determinant), one sample at a time.
double directEnergy(const Tensor& x, const GmmParams& p, double eps) {
    const int64_t k = p.phi.size(0), d = p.mu.size(1);
    double density = 0;
    for (int64_t c = 0; c < k; ++c) {
        const Tensor s = p.sigma[c] + eps * torch::eye(d, kF64);
        const Tensor diff = x - p.mu[c];
        const double maha = diff.dot(torch::inverse(s).mv(diff)).item<double>();
        const double det = torch::det(s).item<double>();
        density += p.phi[c].item<double>() * std::exp(-0.5 * maha) /
                   std::sqrt(std::pow(2 * M_PI, static_cast<double>(d)) * det);
    }
    return -std::log(density);
}

TEST(Gmm, EstimateMatchesHandLoops) {
    torch::manual_seed(11);
    const int64_t n = 9, d = 3, k = 4;
    const Tensor z = torch::randn({n, d}, kF64);
    const Tensor gamma = torch::softmax(torch::randn({n, k}, kF64) * 2, 1);
    const GmmParams p = gmmEstimate(z, gamma);
    ASSERT_EQ(p.phi.sizes(), torch::IntArrayRef({k}));
    ASSERT_EQ(p.mu.sizes(), torch::IntArrayRef({k, d}));
    ASSERT_EQ(p.sigma.sizes(), torch::IntArrayRef({k, d, d}));

    auto za = z.accessor<double, 2>();
    auto ga = gamma.accessor<double, 2>();
    for (int64_t c = 0; c < k; ++c) {
        double sg = 0;
        for (int64_t i = 0; i < n; ++i) sg += ga[i][c];
        EXPECT_NEAR(p.phi[c].item<double>(), sg / n, 1e-14);
        std::vector<double> mu(d, 0.0);
        for (int64_t j = 0; j < d; ++j) {
            for (int64_t i = 0; i < n; ++i) mu[j] += ga[i][c] * za[i][j];
            mu[j] /= sg;
            EXPECT_NEAR(p.mu[c][j].item<double>(), mu[j], 1e-13);
        }
        for (int64_t a = 0; a < d; ++a) {
            for (int64_t b = 0; b < d; ++b) {
                double s = 0;
                for (int64_t i = 0; i < n; ++i)
                    s += ga[i][c] * (za[i][a] - mu[a]) * (za[i][b] - mu[b]);
                EXPECT_NEAR(p.sigma[c][a][b].item<double>(), s / sg, 1e-13);
            }
        }
    }
    EXPECT_NEAR(p.phi.sum().item<double>(), 1.0, 1e-14);
}

TEST(Gmm, EstimateKeepsFloat32AndMatchesFloat64) {
    torch::manual_seed(12);
    const Tensor z = torch::randn({20, 4}, kF64);
    const Tensor gamma = torch::softmax(torch::randn({20, 3}, kF64), 1);
    const GmmParams d = gmmEstimate(z, gamma);
    const GmmParams f = gmmEstimate(z.to(torch::kFloat), gamma.to(torch::kFloat));
    EXPECT_EQ(f.sigma.scalar_type(), torch::kFloat);
    EXPECT_LT(maxAbsDiff(d.phi, f.phi), 1e-6);
    EXPECT_LT(maxAbsDiff(d.mu, f.mu), 1e-6);
    EXPECT_LT(maxAbsDiff(d.sigma, f.sigma), 1e-6);
}

TEST(Gmm, EnergyMatchesDirectDensity) {
    torch::manual_seed(13);
    const int64_t n = 6, d = 3, k = 3;
    const GmmParams p = randomGmm(k, d);
    const Tensor z = torch::randn({n, d}, kF64) * 2;
    for (double eps : {0.0, 1e-6, 0.1}) {
        const Tensor e = gmmEnergy(z, p, eps);
        ASSERT_EQ(e.sizes(), torch::IntArrayRef({n}));
        for (int64_t i = 0; i < n; ++i)
            EXPECT_NEAR(e[i].item<double>(), directEnergy(z[i], p, eps), 1e-10) << "eps " << eps;
    }
    // float32 in, float32 out, same values.
    const Tensor ef = gmmEnergy(z.to(torch::kFloat), p, 1e-6);
    EXPECT_EQ(ef.scalar_type(), torch::kFloat);
    EXPECT_LT(maxAbsDiff(ef, gmmEnergy(z, p, 1e-6)), 1e-4);
}

TEST(Gmm, EnergyIsStableFarFromEveryComponent) {
    // Densities underflow to 0 far away; the log-sum-exp form must still give the exact value.
    const GmmParams p{torch::tensor({0.3, 0.7}, kF64), torch::tensor({{0.0}, {1.0}}, kF64),
                      torch::ones({2, 1, 1}, kF64)};
    const Tensor z = torch::tensor({{100.0}}, kF64);
    // Dominant term: component 2, 0.5 * 99^2 + 0.5 log(2 pi) - log 0.7; the other is e^-99 smaller.
    const double expected = 0.5 * 99.0 * 99.0 + 0.5 * std::log(2 * M_PI) - std::log(0.7);
    const double e = gmmEnergy(z, p, 0.0).item<double>();
    EXPECT_TRUE(std::isfinite(e));
    EXPECT_NEAR(e, expected, 1e-9 * expected);
}

TEST(Gmm, EnergyGradientMatchesFiniteDifferences) {
    // End to end: energy of z under the GMM estimated from (z, gamma), w.r.t. z and gamma.
    torch::manual_seed(14);
    const Tensor z0 = torch::randn({8, 2}, kF64);
    const Tensor g0 = torch::softmax(torch::randn({8, 3}, kF64), 1);
    auto f = [](const Tensor& z, const Tensor& g) {
        return gmmEnergy(z, gmmEstimate(z, g), 1e-3).mean() +
               0.01 * covariancePenalty(gmmEstimate(z, g), 1e-3);
    };
    const Tensor z = z0.clone().requires_grad_(true), g = g0.clone().requires_grad_(true);
    const auto grads = torch::autograd::grad({f(z, g)}, {z, g});
    const double h = 1e-6;
    for (int which = 0; which < 2; ++which) {
        const Tensor base = which == 0 ? z0 : g0;
        for (int64_t i = 0; i < base.numel(); ++i) {
            Tensor plus = base.clone(), minus = base.clone();
            plus.view(-1)[i] += h;
            minus.view(-1)[i] -= h;
            const double fp = which == 0 ? f(plus, g0).item<double>() : f(z0, plus).item<double>();
            const double fm =
                which == 0 ? f(minus, g0).item<double>() : f(z0, minus).item<double>();
            EXPECT_NEAR(grads[which].reshape(-1)[i].item<double>(), (fp - fm) / (2 * h), 1e-5)
                << (which == 0 ? "dz" : "dgamma") << " element " << i;
        }
    }
}

TEST(Gmm, EmptyComponentIsIgnoredWithoutNaN) {
    torch::manual_seed(15);
    const Tensor z0 = torch::randn({10, 2}, kF64);
    Tensor g0 = torch::softmax(torch::randn({10, 2}, kF64), 1);
    // Column 1 of three gets no membership at all (what sparse entmax memberships can do).
    const Tensor g3 =
        torch::cat({g0.narrow(1, 0, 1), torch::zeros({10, 1}, kF64), g0.narrow(1, 1, 1)}, 1);
    const Tensor z = z0.clone().requires_grad_(true), g = g3.clone().requires_grad_(true);
    const GmmParams p = gmmEstimate(z, g);
    EXPECT_EQ(p.phi[1].item<double>(), 0.0);
    const Tensor e = gmmEnergy(z, p, 1e-6);
    const Tensor e2 = gmmEnergy(z0, gmmEstimate(z0, g0), 1e-6);
    EXPECT_LT(maxAbsDiff(e, e2), 1e-12);
    const Tensor pen = covariancePenalty(p, 1e-6);
    EXPECT_NEAR(pen.item<double>(), covariancePenalty(gmmEstimate(z0, g0), 1e-6).item<double>(),
                1e-9);
    const auto grads = torch::autograd::grad({e.sum() + pen}, {z, g});
    EXPECT_TRUE(torch::isfinite(grads[0]).all().item<bool>());
    EXPECT_TRUE(torch::isfinite(grads[1]).all().item<bool>());
}

TEST(Gmm, SingularCovarianceFallsBackToJitter) {
    // One point per component: Sigma = 0; with eps = 0 the factorisation needs the fallback.
    const GmmParams p{torch::tensor({0.5, 0.5}, kF64), torch::zeros({2, 2}, kF64),
                      torch::zeros({2, 2, 2}, kF64)};
    const Tensor e = gmmEnergy(torch::zeros({3, 2}, kF64), p, 0.0);
    EXPECT_TRUE(torch::isfinite(e).all().item<bool>());
}

TEST(Gmm, AccumulatorEqualsEstimateOnConcatenation) {
    torch::manual_seed(16);
    const int64_t d = 3, k = 4;
    std::vector<Tensor> zs, gs;
    GmmAccumulator acc;
    for (int64_t n : {5, 1, 12, 7}) {
        // A large common offset exercises the shifted accumulation.
        zs.push_back(torch::randn({n, d}, kF64) * 0.5 + 1000.0);
        gs.push_back(torch::softmax(torch::randn({n, k}, kF64) * 3, 1));
        acc.add(zs.back(), gs.back());
    }
    acc.add(torch::zeros({0, d}, kF64), torch::zeros({0, k}, kF64));  // empty batch: no-op
    EXPECT_EQ(acc.count(), 25);
    const GmmParams streamed = acc.finish();
    const GmmParams whole = gmmEstimate(torch::cat(zs), torch::cat(gs));
    EXPECT_LT(maxAbsDiff(streamed.phi, whole.phi), 1e-13);
    EXPECT_LT(maxAbsDiff(streamed.mu, whole.mu), 1e-10);
    EXPECT_LT(maxAbsDiff(streamed.sigma, whole.sigma), 1e-9);
    // Non-trivial covariances (the test would pass vacuously on zeros).
    EXPECT_GT(whole.sigma.diagonal(0, 1, 2).min().item<double>(), 0.01);

    EXPECT_THROW(acc.add(torch::randn({2, d + 1}, kF64), torch::ones({2, k}, kF64)),
                 std::invalid_argument);
    acc.reset();
    EXPECT_THROW(acc.finish(), std::logic_error);
}

TEST(Gmm, AccumulatorHandlesEmptyComponentLikeEstimate) {
    torch::manual_seed(17);
    const Tensor z = torch::randn({6, 2}, kF64);
    const Tensor g = torch::cat({torch::ones({6, 1}, kF64), torch::zeros({6, 1}, kF64)}, 1);
    GmmAccumulator acc;
    acc.add(z.narrow(0, 0, 4), g.narrow(0, 0, 4));
    acc.add(z.narrow(0, 4, 2), g.narrow(0, 4, 2));
    const GmmParams a = acc.finish(), b = gmmEstimate(z, g);
    EXPECT_LT(maxAbsDiff(a.mu, b.mu), 1e-13);
    EXPECT_LT(maxAbsDiff(a.sigma, b.sigma), 1e-13);
    EXPECT_EQ(a.phi[1].item<double>(), 0.0);
}

TEST(Gmm, CovariancePenaltyValue) {
    const Tensor sigma = torch::tensor(
        {{{2.0, 0.3}, {0.3, 4.0}}, {{0.5, 0.0}, {0.0, 0.25}}, {{9.0, 0.0}, {0.0, 9.0}}}, kF64);
    const GmmParams p{torch::tensor({0.4, 0.6, 0.0}, kF64), torch::zeros({3, 2}, kF64), sigma};
    // Component 3 has phi = 0 and is skipped: 1/2 + 1/4 + 1/0.5 + 1/0.25 = 6.75.
    EXPECT_NEAR(covariancePenalty(p, 0.0).item<double>(), 0.5 + 0.25 + 2.0 + 4.0, 1e-14);
    const double eps = 0.01;
    EXPECT_NEAR(covariancePenalty(p, eps).item<double>(),
                1 / (2 + eps) + 1 / (4 + eps) + 1 / (0.5 + eps) + 1 / (0.25 + eps), 1e-14);
}

TEST(Gmm, RejectsBadShapes) {
    EXPECT_THROW(gmmEstimate(torch::randn({4, 2}), torch::randn({5, 3})), std::invalid_argument);
    EXPECT_THROW(gmmEstimate(torch::randn({4}), torch::randn({4, 3})), std::invalid_argument);
    const GmmParams p = randomGmm(2, 3);
    EXPECT_THROW(gmmEnergy(torch::randn({4, 2}, kF64), p), std::invalid_argument);
}

}  // namespace

// EM with BIC (issue 13's "GMM capacity chosen by data size"): three well-separated Gaussian
// clusters are found as three components with their means and weights; one cluster is fitted by
// one component; the fit is reproducible from its seed; a component of identical points stays
// non-singular.
TEST(Gmm, BicChoosesTheNumberOfClustersAndEmRecoversThem) {
    torch::manual_seed(5);
    const std::vector<std::vector<double>> centres = {{0, 0}, {10, 0}, {0, 10}};
    const std::vector<int64_t> sizes = {300, 200, 100};
    std::vector<Tensor> parts;
    for (size_t c = 0; c < centres.size(); ++c)
        parts.push_back(torch::randn({sizes[c], 2}, torch::kDouble) +
                        torch::tensor(centres[c], torch::kDouble));
    const Tensor z = torch::cat(parts, 0);
    const auto sel = mlad::model::selectGmmByBic(z, 6, 1);
    ASSERT_EQ(sel.bic.size(), 6u);
    EXPECT_EQ(sel.components, 3);
    ASSERT_EQ(sel.params.phi.size(0), 3);
    for (size_t c = 0; c < centres.size(); ++c) {
        // The component nearest to each true centre sits within 0.3 of it, with its share.
        const Tensor d = (sel.params.mu - torch::tensor(centres[c], torch::kDouble)).norm(2, 1);
        const int64_t k = d.argmin().item<int64_t>();
        EXPECT_LT(d[k].item<double>(), 0.3) << c;
        EXPECT_NEAR(sel.params.phi[k].item<double>(), double(sizes[c]) / 600.0, 0.02) << c;
        EXPECT_NEAR(sel.params.sigma[k][0][0].item<double>(), 1.0, 0.3) << c;
    }
    EXPECT_NEAR(sel.params.phi.sum().item<double>(), 1.0, 1e-9);

    const auto one = mlad::model::selectGmmByBic(parts[0], 4, 1);
    EXPECT_EQ(one.components, 1);

    double a = 0, b = 0;
    const GmmParams g1 = mlad::model::fitGmmByEm(z, 3, 9, 1e-6, &a);
    const GmmParams g2 = mlad::model::fitGmmByEm(z, 3, 9, 1e-6, &b);
    EXPECT_EQ(a, b);
    EXPECT_TRUE(torch::equal(g1.mu, g2.mu));
    // The energy of a fitted mixture is its negative log-likelihood.
    EXPECT_NEAR(gmmEnergy(z, g1, 0.0).sum().item<double>(), -a, 1e-6 * std::abs(a));

    const Tensor same = torch::ones({50, 3}, torch::kDouble);
    const GmmParams flat = mlad::model::fitGmmByEm(same, 2, 1, 1e-6);
    EXPECT_TRUE(torch::isfinite(gmmEnergy(same, flat)).all().item<bool>());
    EXPECT_THROW(mlad::model::fitGmmByEm(z, 0, 1), std::invalid_argument);
}
