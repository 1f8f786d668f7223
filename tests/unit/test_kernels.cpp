// The model's hand-written CPU kernels (core/mlad/model/Attention.h, Elementwise.h) against
// the tensor formulations they replace: values, gradients, masking, determinism.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "mlad/model/Attention.h"
#include "mlad/model/Elementwise.h"
#include "mlad/model/Entmax.h"

namespace {

using mlad::model::entmaxAttention;
using mlad::model::entmaxAttentionReference;
using mlad::model::fusedAttentionApplies;
using torch::Tensor;

/// Restores the intra-op thread count a test changed.
class ThreadCountGuard {
  public:
    ThreadCountGuard() : saved_(at::get_num_threads()) {}
    ~ThreadCountGuard() { at::set_num_threads(saved_); }

  private:
    int saved_;
};

struct AttentionCase {
    Tensor qkv, pad;
    int64_t heads;
};

/// B sequences of length L with H heads of width dk; sequence 1 ends in padding, sequence 2
/// (when B > 2) is entirely padded.
AttentionCase makeCase(int64_t b, int64_t l, int64_t h, int64_t dk, torch::Dtype dtype,
                       double scale = 2.0) {
    AttentionCase c;
    c.qkv = torch::randn({b, l, 3 * h * dk}, torch::TensorOptions().dtype(dtype)) * scale;
    c.pad = torch::zeros({b, l}, torch::kBool);
    if (b > 1) c.pad[1].slice(0, l / 2).fill_(true);
    if (b > 2) c.pad[2].fill_(true);
    c.heads = h;
    return c;
}

double maxAbsDiff(const Tensor& a, const Tensor& b) {
    return (a - b).abs().max().item<double>();
}

TEST(FusedAttention, AppliesOnlyWhereItHasAKernel) {
    const Tensor f = torch::zeros({1, 2, 6});
    EXPECT_TRUE(fusedAttentionApplies(f, 1.5));
    EXPECT_TRUE(fusedAttentionApplies(f, 1.0));
    EXPECT_TRUE(fusedAttentionApplies(f.to(torch::kDouble), 1.5));
    EXPECT_TRUE(fusedAttentionApplies(f, 1.25));
    EXPECT_FALSE(fusedAttentionApplies(f, 2.0));
    EXPECT_FALSE(fusedAttentionApplies(f, 0.5));
    EXPECT_FALSE(fusedAttentionApplies(f.to(torch::kHalf), 1.5));
}

TEST(FusedAttention, ForwardMatchesTheTensorReference) {
    torch::manual_seed(11);
    for (double alpha : {1.0, 1.1, 1.3, 1.5, 1.6}) {
        for (auto dtype : {torch::kFloat, torch::kDouble}) {
            const AttentionCase c = makeCase(4, 9, 3, 5, dtype);
            const auto fused = entmaxAttention(c.qkv, c.pad, c.heads, alpha);
            const auto ref = entmaxAttentionReference(c.qkv, c.pad, c.heads, alpha);
            const double tol = dtype == torch::kDouble ? 1e-12 : 1e-5;
            ASSERT_EQ(fused.context.sizes(), ref.context.sizes());
            ASSERT_EQ(fused.weights.sizes(), ref.weights.sizes());
            EXPECT_LT(maxAbsDiff(fused.context, ref.context), tol) << "alpha " << alpha;
            EXPECT_LT(maxAbsDiff(fused.weights, ref.weights), tol) << "alpha " << alpha;
            // Rows sum to 1; padded keys get exactly 0 unless the whole row is padding.
            EXPECT_LT(maxAbsDiff(fused.weights.sum(-1), torch::ones_like(fused.weights.sum(-1))),
                      tol);
            EXPECT_EQ(fused.weights[1].slice(-1, 9 / 2).abs().max().item<double>(), 0.0);
            EXPECT_FALSE(fused.weights.isnan().any().item<bool>());
            EXPECT_LT((fused.weights[2] - 1.0 / 9).abs().max().item<double>(), tol);
        }
    }
}

TEST(FusedAttention, Entmax15WeightsAreSparse) {
    torch::manual_seed(12);
    const AttentionCase c = makeCase(2, 16, 2, 4, torch::kFloat, 4.0);
    const auto a = entmaxAttention(c.qkv, c.pad, c.heads, 1.5);
    EXPECT_GT(a.weights[0].eq(0).sum().item<int64_t>(), 0);
}

TEST(FusedAttention, GradientMatchesTheTensorReference) {
    torch::manual_seed(13);
    for (double alpha : {1.0, 1.2, 1.5}) {
        const AttentionCase c = makeCase(3, 7, 2, 4, torch::kDouble);
        const Tensor upstream = torch::randn({3, 7, 8}, torch::kDouble);
        const Tensor q1 = c.qkv.clone().requires_grad_(true);
        const Tensor q2 = c.qkv.clone().requires_grad_(true);
        const Tensor g1 = torch::autograd::grad(
            {(entmaxAttention(q1, c.pad, c.heads, alpha).context * upstream).sum()}, {q1})[0];
        const Tensor g2 = torch::autograd::grad(
            {(entmaxAttentionReference(q2, c.pad, c.heads, alpha).context * upstream).sum()},
            {q2})[0];
        EXPECT_LT(maxAbsDiff(g1, g2), 1e-10) << "alpha " << alpha;
        EXPECT_GT(g1.abs().max().item<double>(), 0.0);
        EXPECT_FALSE(g1.isnan().any().item<bool>());
        // The fully padded sequence's queries and keys receive no gradient.
        EXPECT_EQ(g1[2].slice(-1, 0, 16).abs().max().item<double>(), 0.0);
    }
}

TEST(FusedAttention, GradientMatchesFiniteDifferences) {
    torch::manual_seed(14);
    const AttentionCase c = makeCase(2, 5, 2, 3, torch::kDouble, 1.0);
    const Tensor upstream = torch::randn({2, 5, 6}, torch::kDouble);
    const auto f = [&](const Tensor& qkv) {
        return (entmaxAttention(qkv, c.pad, c.heads, 1.5).context * upstream).sum();
    };
    const Tensor x = c.qkv.clone().requires_grad_(true);
    const Tensor g = torch::autograd::grad({f(x)}, {x})[0];
    torch::NoGradGuard noGrad;
    const double h = 1e-6;
    for (int64_t i = 0; i < x.numel(); ++i) {
        Tensor plus = c.qkv.clone(), minus = c.qkv.clone();
        plus.view(-1)[i] += h;
        minus.view(-1)[i] -= h;
        const double fd = (f(plus).item<double>() - f(minus).item<double>()) / (2 * h);
        EXPECT_NEAR(g.view(-1)[i].item<double>(), fd, 1e-6) << "entry " << i;
    }
}

TEST(FusedAttention, RejectsBadShapes) {
    const Tensor pad = torch::zeros({2, 3}, torch::kBool);
    EXPECT_THROW(entmaxAttention(torch::zeros({2, 3, 10}), pad, 2, 1.5), std::invalid_argument);
    EXPECT_THROW(entmaxAttention(torch::zeros({2, 3, 12}), pad.to(torch::kLong), 2, 1.5),
                 std::invalid_argument);
    EXPECT_THROW(entmaxAttention(torch::zeros({2, 4, 12}), pad, 2, 1.5), std::invalid_argument);
}

TEST(Dropout, IdentityWhenNotTrainingOrPZero) {
    const Tensor x = torch::randn({4, 5});
    EXPECT_TRUE(mlad::model::dropout(x, 0.3, false).is_same(x));
    EXPECT_TRUE(mlad::model::dropout(x, 0.0, true).is_same(x));
    EXPECT_THROW(mlad::model::dropout(x, 1.0, true), std::invalid_argument);
    EXPECT_THROW(mlad::model::dropout(x, -0.1, true), std::invalid_argument);
}

TEST(Dropout, KeepsAboutOneMinusPAndScalesTheRest) {
    torch::manual_seed(21);
    const int64_t n = 1 << 20;
    for (double p : {0.1, 0.5}) {
        const Tensor x = torch::rand({n}) + 1.0;  // no zeros of its own
        const Tensor y = mlad::model::dropout(x, p, true);
        const Tensor kept = y.ne(0);
        const double frac = kept.to(torch::kDouble).mean().item<double>();
        const double sigma = std::sqrt(p * (1 - p) / double(n));
        EXPECT_NEAR(frac, 1 - p, 6 * sigma) << "p " << p;
        EXPECT_LT(maxAbsDiff(y.masked_select(kept), x.masked_select(kept) / (1 - p)), 1e-6);
        // Neighbouring entries are not correlated (each lane and chunk draws its own).
        const Tensor k = kept.to(torch::kDouble);
        const double both = (k.slice(0, 1) * k.slice(0, 0, n - 1)).mean().item<double>();
        EXPECT_NEAR(both, (1 - p) * (1 - p), 8 * sigma) << "p " << p;
    }
}

TEST(Dropout, ReproducibleUnderManualSeedAndThreadCount) {
    ThreadCountGuard guard;
    const Tensor x = torch::randn({100003});  // not a multiple of the chunk size
    at::set_num_threads(1);
    torch::manual_seed(5);
    const Tensor a = mlad::model::dropout(x, 0.2, true);
    at::set_num_threads(2);
    torch::manual_seed(5);
    const Tensor b = mlad::model::dropout(x, 0.2, true);
    const Tensor c = mlad::model::dropout(x, 0.2, true);  // the next draw differs
    EXPECT_TRUE(torch::equal(a, b));
    EXPECT_FALSE(torch::equal(b, c));
}

TEST(Dropout, BackwardUsesTheForwardMask) {
    torch::manual_seed(22);
    const Tensor x = (torch::rand({3000}, torch::kDouble) + 1.0).requires_grad_(true);
    const Tensor y = mlad::model::dropout(x, 0.3, true);
    const Tensor g = torch::autograd::grad({y.sum()}, {x})[0];
    // dy/dx is 1/(1-p) where kept and 0 where dropped: exactly y / x.
    EXPECT_LT(maxAbsDiff(g, y.detach() / x.detach()), 1e-12);
}

TEST(Celu, MatchesTorchInValueAndGradient) {
    torch::manual_seed(23);
    const Tensor x0 = torch::randn({1000}, torch::kDouble) * 3;
    const Tensor a = x0.clone().requires_grad_(true);
    const Tensor b = x0.clone().requires_grad_(true);
    const Tensor ya = mlad::model::celu(a);
    const Tensor yb = torch::celu(b);
    EXPECT_LT(maxAbsDiff(ya, yb), 1e-15);
    const Tensor up = torch::randn({1000}, torch::kDouble);
    const Tensor ga = torch::autograd::grad({(ya * up).sum()}, {a})[0];
    const Tensor gb = torch::autograd::grad({(yb * up).sum()}, {b})[0];
    EXPECT_LT(maxAbsDiff(ga, gb), 1e-12);
}

TEST(Entmax15RowKernel, AgreesWithTheTensorPathOnWideRows) {
    // Rows whose entries spread far below max - 1 exercise the candidate filter of the CPU row
    // kernel (last dimension); dim 0 takes the tensor path.
    torch::manual_seed(24);
    for (auto scale : {0.1, 1.0, 10.0, 100.0}) {
        const Tensor z = torch::randn({6, 40}, torch::kDouble) * scale;
        const Tensor rowKernel = mlad::model::entmax15(z, -1);
        const Tensor tensorPath = mlad::model::entmax15(z.t().contiguous(), 0).t();
        EXPECT_LT(maxAbsDiff(rowKernel, tensorPath), 1e-12) << "scale " << scale;
    }
}

TEST(EntmaxRowKernel, AgreesWithBisectionForEveryAlphaBelowTwo) {
    // The CPU row kernel (Newton on the norm form, last dimension) against the tensor bisection
    // (dim 0), on narrow and wide rows, including rows with ties and masked entries.
    torch::manual_seed(25);
    for (double alpha : {1.05, 1.1, 1.3, 1.5, 1.6, 1.9}) {
        for (auto scale : {0.1, 1.0, 10.0, 100.0}) {
            Tensor z = torch::randn({7, 30}, torch::kDouble) * scale;
            z[3].fill_(0.5);                                   // all ties: uniform
            z[4].slice(0, 10).fill_(mlad::model::kMaskValue);  // masked tail
            const Tensor rowKernel = mlad::model::entmaxBisect(z, alpha, -1);
            const Tensor bisect = mlad::model::entmaxBisect(z.t().contiguous(), alpha, 0, 80).t();
            EXPECT_LT(maxAbsDiff(rowKernel, bisect), 1e-10)
                << "alpha " << alpha << " scale " << scale;
            EXPECT_LT(maxAbsDiff(rowKernel.sum(-1), torch::ones({7}, torch::kDouble)), 1e-12);
            EXPECT_EQ(rowKernel[4].slice(0, 10).abs().max().item<double>(), 0.0);
        }
        // float rows agree with the double result to float precision
        const Tensor z = torch::randn({5, 20}, torch::kDouble) * 3;
        const Tensor f = mlad::model::entmaxBisect(z.to(torch::kFloat), alpha, -1);
        EXPECT_LT(maxAbsDiff(f.to(torch::kDouble), mlad::model::entmaxBisect(z, alpha, -1)), 1e-5);
    }
}

}  // namespace
