// alpha-entmax (core/mlad/model/Entmax.h): values, sparsity, masking, gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <vector>

#include "mlad/model/Entmax.h"

namespace {

using mlad::model::entmax;
using mlad::model::entmax15;
using mlad::model::entmaxBisect;
using mlad::model::kMaskValue;
using mlad::model::sparsemax;
using torch::Tensor;

const std::vector<double> kAlphas = {1.0, 1.25, 1.5, 2.0, 3.0};

Tensor randomScores(std::vector<int64_t> shape, torch::Dtype dtype = torch::kDouble,
                    double scale = 3.0) {
    return torch::randn(shape, torch::TensorOptions().dtype(dtype)) * scale;
}

/// Sparsemax of one row as the Euclidean projection onto the simplex, found by bisection on
/// tau in plain doubles (independent of the sort-based implementation under test).
std::vector<double> projectOntoSimplex(const std::vector<double>& v) {
    double lo = *std::max_element(v.begin(), v.end()) - 1.0;  // sum(v - lo)_+ >= 1
    double hi = *std::max_element(v.begin(), v.end());        // sum(v - hi)_+ = 0
    for (int i = 0; i < 200; ++i) {
        const double mid = 0.5 * (lo + hi);
        double s = 0;
        for (double x : v) s += std::max(x - mid, 0.0);
        (s >= 1.0 ? lo : hi) = mid;
    }
    std::vector<double> p;
    for (double x : v) p.push_back(std::max(x - 0.5 * (lo + hi), 0.0));
    return p;
}

/// Gradient of sum(w * f(z)) w.r.t. z by autograd and by central differences (float64).
void expectGradMatchesFiniteDifferences(const std::function<Tensor(const Tensor&)>& f,
                                        const Tensor& z0, double tol) {
    const Tensor w = torch::randn(z0.sizes(), z0.options());
    const Tensor z = z0.clone().requires_grad_(true);
    const Tensor out = (w * f(z)).sum();
    const Tensor grad = torch::autograd::grad({out}, {z})[0];

    const double h = 1e-6;
    const Tensor flat = z0.reshape(-1);
    Tensor numeric = torch::zeros_like(flat);
    for (int64_t i = 0; i < flat.numel(); ++i) {
        Tensor plus = flat.clone(), minus = flat.clone();
        plus[i] += h;
        minus[i] -= h;
        const double fp = (w * f(plus.view(z0.sizes()))).sum().item<double>();
        const double fm = (w * f(minus.view(z0.sizes()))).sum().item<double>();
        numeric[i] = (fp - fm) / (2 * h);
    }
    const double err = (grad.reshape(-1) - numeric).abs().max().item<double>();
    EXPECT_LT(err, tol) << "autograd:\n" << grad << "\nnumeric:\n" << numeric.view(z0.sizes());
}

TEST(Entmax, RowsSumToOneAndAreNonNegative) {
    torch::manual_seed(1);
    for (double alpha : kAlphas) {
        for (auto dtype : {torch::kDouble, torch::kFloat}) {
            const Tensor z = randomScores({5, 4, 9}, dtype);
            for (int64_t dim : {-1, 0, 1}) {
                const Tensor p = entmax(z, alpha, dim);
                ASSERT_EQ(p.sizes(), z.sizes());
                ASSERT_EQ(p.scalar_type(), dtype);
                const double tol = dtype == torch::kDouble ? 1e-10 : 1e-5;
                EXPECT_LT((p.sum(dim) - 1).abs().max().item<double>(), tol)
                    << "alpha " << alpha << " dim " << dim;
                EXPECT_GE(p.min().item<double>(), 0.0);
            }
        }
    }
}

TEST(Entmax, AlphaOneIsSoftmaxExactly) {
    torch::manual_seed(2);
    const Tensor z = randomScores({6, 11});
    EXPECT_TRUE(torch::equal(entmax(z, 1.0, -1), torch::softmax(z, -1)));
    EXPECT_TRUE(torch::equal(entmax(z, 1.0, 0), torch::softmax(z, 0)));
}

TEST(Entmax, AlphaTwoIsSparsemax) {
    torch::manual_seed(3);
    const Tensor z = randomScores({8, 10});
    const Tensor viaDispatch = entmax(z, 2.0);
    const Tensor viaBisect = entmaxBisect(z, 2.0);
    for (int64_t r = 0; r < z.size(0); ++r) {
        std::vector<double> row(static_cast<size_t>(z.size(1)));
        for (int64_t j = 0; j < z.size(1); ++j) row[j] = z[r][j].item<double>();
        const std::vector<double> ref = projectOntoSimplex(row);
        for (int64_t j = 0; j < z.size(1); ++j) {
            EXPECT_NEAR(viaDispatch[r][j].item<double>(), ref[j], 1e-12);
            EXPECT_NEAR(viaBisect[r][j].item<double>(), ref[j], 1e-9);
            // Exact zeros where the projection is zero.
            if (ref[j] == 0.0) {
                EXPECT_EQ(viaDispatch[r][j].item<double>(), 0.0);
            }
        }
    }
    EXPECT_TRUE(torch::equal(sparsemax(z), viaDispatch));
}

TEST(Entmax, Entmax15MatchesBisection) {
    torch::manual_seed(4);
    const Tensor z = randomScores({7, 12});
    const Tensor exact = entmax15(z);
    EXPECT_LT((exact - entmaxBisect(z, 1.5, -1, 60)).abs().max().item<double>(), 1e-10);
    EXPECT_TRUE(torch::equal(entmax(z, 1.5), exact));
    // Other dims too.
    EXPECT_LT((entmax15(z, 0) - entmaxBisect(z, 1.5, 0, 60)).abs().max().item<double>(), 1e-10);
}

TEST(Entmax, Entmax15KnownValues) {
    // 1.5-entmax: p_i = max(z_i / 2 - tau, 0)^2 with tau such that sum p = 1.
    const auto opts = torch::TensorOptions().dtype(torch::kDouble);
    // z = [0, 0]: by symmetry p = [1/2, 1/2] (tau = -1/sqrt(2)).
    Tensor p = entmax15(torch::tensor({0.0, 0.0}, opts));
    EXPECT_NEAR(p[0].item<double>(), 0.5, 1e-15);
    EXPECT_NEAR(p[1].item<double>(), 0.5, 1e-15);

    // z = [1, 0]: both in the support: (1/2 - tau)^2 + tau^2 = 1  <=>  2 tau^2 - tau - 3/4 = 0
    // <=> tau = (1 - sqrt 7) / 4 (the root < 0, so the second entry is positive).
    // p = [(1/2 - tau)^2, tau^2] = [(1 + sqrt 7)^2 / 16, (sqrt 7 - 1)^2 / 16].
    const double s7 = std::sqrt(7.0);
    const double p0 = (1 + s7) * (1 + s7) / 16, p1 = (s7 - 1) * (s7 - 1) / 16;
    ASSERT_NEAR(p0 + p1, 1.0, 1e-15);  // the derivation is consistent
    p = entmax15(torch::tensor({1.0, 0.0}, opts));
    EXPECT_NEAR(p[0].item<double>(), p0, 1e-14);
    EXPECT_NEAR(p[1].item<double>(), p1, 1e-14);

    // z = [2, 1, -2] = [1, 0] shifted by 1, plus an entry far below: same two values and an
    // exact 0 (z_3 / 2 = -1 < tau = (3 - sqrt 7) / 4).
    p = entmax15(torch::tensor({2.0, 1.0, -2.0}, opts));
    EXPECT_NEAR(p[0].item<double>(), p0, 1e-14);
    EXPECT_NEAR(p[1].item<double>(), p1, 1e-14);
    EXPECT_EQ(p[2].item<double>(), 0.0);

    // z = [3, 0]: a two-element support would need 2 tau^2 - 3 tau + 5/4 = 0 (no real root),
    // so the support is {1}: (3/2 - tau)^2 = 1, tau = 1/2 > 0 = z_2/2, p = [1, 0] exactly.
    p = entmax15(torch::tensor({3.0, 0.0}, opts));
    EXPECT_EQ(p[0].item<double>(), 1.0);
    EXPECT_EQ(p[1].item<double>(), 0.0);
}

TEST(Entmax, SparseOutputsHaveExactZeros) {
    torch::manual_seed(5);
    const Tensor z = randomScores({20, 16}, torch::kDouble, 5.0);
    for (double alpha : {1.25, 1.5, 2.0, 3.0}) {
        const Tensor p = entmax(z, alpha);
        const int64_t zeros = p.eq(0).sum().item<int64_t>();
        EXPECT_GT(zeros, 0) << "alpha " << alpha;
        // Larger alpha, sparser output (on the same scores).
        if (alpha > 1.25) {
            EXPECT_GE(zeros, entmax(z, alpha - 0.25).eq(0).sum().item<int64_t>());
        }
    }
    EXPECT_EQ(entmax(z, 1.0).eq(0).sum().item<int64_t>(), 0);
}

TEST(Entmax, GradientsMatchFiniteDifferences) {
    torch::manual_seed(6);
    const Tensor z = randomScores({3, 7}, torch::kDouble, 1.5);
    expectGradMatchesFiniteDifferences([](const Tensor& t) { return entmax15(t); }, z, 1e-7);
    expectGradMatchesFiniteDifferences([](const Tensor& t) { return entmax15(t, 0); }, z, 1e-7);
    for (double alpha : {1.25, 1.75, 2.5}) {
        expectGradMatchesFiniteDifferences(
            [alpha](const Tensor& t) { return entmaxBisect(t, alpha); }, z, 1e-6);
    }
    expectGradMatchesFiniteDifferences([](const Tensor& t) { return sparsemax(t); }, z, 1e-7);
    expectGradMatchesFiniteDifferences([](const Tensor& t) { return sparsemax(t, 0); }, z, 1e-7);
}

TEST(Entmax, FullyMaskedRowIsUniformNotNaN) {
    for (auto dtype : {torch::kFloat, torch::kDouble}) {
        for (double alpha : kAlphas) {
            const Tensor z = torch::full({2, 5}, kMaskValue, torch::TensorOptions().dtype(dtype))
                                 .requires_grad_(true);
            const Tensor p = entmax(z, alpha);
            EXPECT_FALSE(p.isnan().any().item<bool>()) << "alpha " << alpha;
            EXPECT_LT((p - 0.2).abs().max().item<double>(), 1e-6) << "alpha " << alpha;
            const Tensor g =
                torch::autograd::grad({(p * torch::arange(5, p.options())).sum()}, {z})[0];
            EXPECT_FALSE(g.isnan().any().item<bool>()) << "alpha " << alpha;
        }
    }
}

TEST(Entmax, MaskedEntriesGetExactlyZero) {
    torch::manual_seed(7);
    for (auto dtype : {torch::kFloat, torch::kDouble}) {
        const Tensor raw = randomScores({6, 8}, dtype, 4.0);
        Tensor mask = torch::zeros({6, 8}, torch::kBool);
        mask.index_put_({torch::indexing::Slice(), torch::indexing::Slice(5)}, true);
        mask[0][1] = true;
        const Tensor z = raw.masked_fill(mask, kMaskValue);
        for (double alpha : kAlphas) {
            const Tensor p = entmax(z, alpha);
            EXPECT_EQ(p.masked_select(mask).abs().max().item<double>(), 0.0) << "alpha " << alpha;
            const double tol = dtype == torch::kDouble ? 1e-10 : 1e-5;
            EXPECT_LT((p.sum(-1) - 1).abs().max().item<double>(), tol) << "alpha " << alpha;
        }
    }
}

TEST(Entmax, Float32AgreesWithFloat64) {
    torch::manual_seed(8);
    const Tensor z = randomScores({10, 20});
    for (double alpha : kAlphas) {
        const Tensor d = entmax(z, alpha);
        const Tensor f = entmax(z.to(torch::kFloat), alpha).to(torch::kDouble);
        EXPECT_LT((d - f).abs().max().item<double>(), 1e-5) << "alpha " << alpha;
    }
}

TEST(Entmax, RejectsBadArguments) {
    const Tensor z = torch::randn({2, 3});
    EXPECT_THROW(entmax(z, 0.5), std::invalid_argument);
    EXPECT_THROW(entmax(z, std::nan("")), std::invalid_argument);
    EXPECT_THROW(entmaxBisect(z, 1.0), std::invalid_argument);
    EXPECT_THROW(entmax15(z, 2), std::invalid_argument);
    EXPECT_THROW(entmax15(torch::tensor(1.0)), std::invalid_argument);
    EXPECT_THROW(entmax15(torch::ones({2, 2}, torch::kLong)), std::invalid_argument);
}

TEST(Entmax, CudaMatchesCpu) {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    torch::manual_seed(9);
    const Tensor z = randomScores({4, 3, 17}, torch::kFloat)
                         .masked_fill(torch::rand({4, 3, 17}) < 0.2, kMaskValue);
    for (double alpha : kAlphas) {
        const Tensor cpu = entmax(z, alpha);
        const Tensor zc = z.to(torch::kCUDA).requires_grad_(true);
        const Tensor gpu = entmax(zc, alpha);
        EXPECT_LT((gpu.cpu() - cpu).abs().max().item<double>(), 1e-5) << "alpha " << alpha;
        gpu.pow(2).sum().backward();
        EXPECT_FALSE(zc.grad().isnan().any().item<bool>());
    }
}

}  // namespace
