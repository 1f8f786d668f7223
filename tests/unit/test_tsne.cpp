// t-SNE engine: affinities, the three gradients, determinism, cancellation, quality.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <stdexcept>

#include "mlad/tsne/Tsne.h"
#include "mlad/tsne/detail/Gradient.h"

namespace {

using namespace mlad::tsne;  // NOLINT

/// `clusters` Gaussian blobs of `per` points in `d` dimensions, centres `sep` apart on average.
Matrix blobs(int clusters, int per, int d, double sep, uint64_t seed,
             std::vector<int>* label = nullptr) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> nd(0.0, 1.0);
    std::vector<std::vector<double>> centre(static_cast<size_t>(clusters),
                                            std::vector<double>(static_cast<size_t>(d)));
    for (auto& c : centre)
        for (double& v : c) v = nd(rng) * sep;
    Matrix x;
    x.n = int64_t(clusters) * per;
    x.d = d;
    for (int c = 0; c < clusters; ++c)
        for (int i = 0; i < per; ++i) {
            for (int j = 0; j < d; ++j) x.data.push_back(centre[size_t(c)][size_t(j)] + nd(rng));
            if (label) label->push_back(c);
        }
    return x;
}

Options small(Method m) {
    Options o;
    o.method = m;
    o.perplexity = 20;
    o.iterations = 500;
    o.threads = 2;
    o.seed = 3;
    return o;
}

TEST(Tsne, PerplexityCalibrationHitsTheTargetEntropyPerPoint) {
    const Matrix x = blobs(4, 100, 10, 4.0, 1);
    for (double perp : {5.0, 30.0}) {
        const Knn knn = nearestNeighbors(x, int64_t(3 * perp), Neighbors::Exact, 2, 1);
        Calibration cal;
        const Affinities p = affinities(knn, perp, 2, &cal);
        ASSERT_EQ(cal.entropy.size(), 400u);
        for (double h : cal.entropy) EXPECT_NEAR(h, std::log(perp), 1e-5) << "perplexity " << perp;
        // P is symmetric and sums to 1.
        double sum = 0.0;
        std::map<std::pair<int, int>, double> entries;
        for (int64_t i = 0; i < p.n; ++i)
            for (int64_t t = p.rowStart[size_t(i)]; t < p.rowStart[size_t(i + 1)]; ++t) {
                sum += p.val[size_t(t)];
                entries[{int(i), p.col[size_t(t)]}] = p.val[size_t(t)];
            }
        EXPECT_NEAR(sum, 1.0, 1e-9);
        for (const auto& [ij, v] : entries) {
            const auto it = entries.find({ij.second, ij.first});
            ASSERT_NE(it, entries.end());
            EXPECT_DOUBLE_EQ(it->second, v);
        }
    }
}

TEST(Tsne, BarnesHutAndFftRepulsionMatchTheExactSums) {
    // Errors relative to the exact sums, on random layouts from compact to spread out. The FFT
    // error is the interpolation's: at FIt-SNE's default (3 nodes per box, one box per unit of
    // the layout) it reaches a few percent on wide layouts, and falls with more nodes.
    std::mt19937_64 rng(5);
    std::normal_distribution<double> nd(0.0, 1.0);
    auto relErr = [](const std::vector<double>& a, const std::vector<double>& ref) {
        double norm = 0, err = 0;
        for (size_t k = 0; k < a.size(); ++k) {
            norm += ref[k] * ref[k];
            err += (a[k] - ref[k]) * (a[k] - ref[k]);
        }
        return std::sqrt(err / norm);
    };
    for (double spread : {0.5, 5.0, 30.0}) {
        std::vector<double> y(2 * 700);
        for (double& v : y) v = nd(rng) * spread;
        std::vector<double> exact(y.size()), bh(y.size()), fft3(y.size()), fft5(y.size());
        const double zExact = mlad::tsne::detail::repulsionExact(y, exact, 2);
        const double zBh = mlad::tsne::detail::repulsionBarnesHut(y, bh, 0.3, 2);
        const double zFft3 = mlad::tsne::detail::repulsionFft(y, fft3, 3, 50, 2);
        const double zFft5 = mlad::tsne::detail::repulsionFft(y, fft5, 5, 50, 2);
        EXPECT_NEAR(zBh / zExact, 1.0, 5e-3) << "spread " << spread;
        EXPECT_LT(relErr(bh, exact), 2e-2) << "spread " << spread;
        EXPECT_NEAR(zFft3 / zExact, 1.0, 0.06) << "spread " << spread;
        EXPECT_LT(relErr(fft3, exact), 0.06) << "spread " << spread;
        EXPECT_NEAR(zFft5 / zExact, 1.0, 5e-3) << "spread " << spread;
        EXPECT_LT(relErr(fft5, exact), 1e-2) << "spread " << spread;
        EXPECT_LE(relErr(fft5, exact), relErr(fft3, exact) + 1e-9) << "spread " << spread;
    }
}

TEST(Tsne, ExactBarnesHutAndFftReachTheSameKl) {
    const Matrix x = blobs(3, 100, 10, 3.0, 2);
    const Result exact = run(x, small(Method::Exact));
    EXPECT_EQ(exact.method, Method::Exact);
    const Knn knn = nearestNeighbors(x, 60, Neighbors::Exact, 2, 1);
    const Affinities p = affinities(knn, 20, 2);
    const double klExact = klDivergenceExact(p, exact.y);
    EXPECT_GT(klExact, 0.0);
    for (Method m : {Method::BarnesHut, Method::Fft}) {
        const Result r = run(x, small(m));
        EXPECT_EQ(r.method, m);
        const double kl = klDivergenceExact(p, r.y);
        EXPECT_NEAR(kl / klExact, 1.0, 0.05)
            << methodName(m) << ": KL " << kl << " vs exact " << klExact;
        // The method's own KL estimate is close to the exact one at its layout.
        EXPECT_NEAR(r.kl / kl, 1.0, 0.02) << methodName(m);
    }
}

TEST(Tsne, SeparatedClustersStaySeparated) {
    std::vector<int> label;
    const Matrix x = blobs(5, 120, 30, 10.0, 4, &label);
    for (Method m : {Method::BarnesHut, Method::Fft}) {
        Options o = small(m);
        o.perplexity = 30;
        const Result r = run(x, o);
        // Each point's 10 nearest neighbours in the layout are from its own cluster.
        const Matrix y{x.n, 2, r.y};
        const Knn knn = nearestNeighbors(y, 10, Neighbors::Exact, 2, 1);
        int64_t same = 0;
        for (int64_t i = 0; i < x.n; ++i)
            for (int t = 0; t < 10; ++t)
                same += label[size_t(knn.index[size_t(i * 10 + t)])] == label[size_t(i)];
        EXPECT_GT(double(same) / double(x.n * 10), 0.99) << methodName(m);
        const double keep = knnPreservation(x, r.y, 10, 2);
        EXPECT_GT(keep, 0.25) << methodName(m);
        EXPECT_GT(trustworthiness(x, r.y, 10, 2), 0.9) << methodName(m);
    }
}

TEST(Tsne, SameSeedAndThreadsGiveIdenticalLayouts) {
    const Matrix x = blobs(3, 80, 8, 3.0, 6);
    for (Method m : {Method::BarnesHut, Method::Fft}) {
        for (Init init : {Init::Pca, Init::Random}) {
            Options o = small(m);
            o.iterations = 300;
            o.init = init;
            const Result a = run(x, o), b = run(x, o);
            EXPECT_EQ(a.y, b.y) << methodName(m);
            o.seed = 99;
            if (init == Init::Random) {
                EXPECT_NE(run(x, o).y, a.y) << "the seed has no effect";
            }
        }
    }
    // HNSW neighbours are built in a fixed order: reproducible too.
    const Knn h1 = nearestNeighbors(x, 15, Neighbors::Hnsw, 2, 7);
    const Knn h2 = nearestNeighbors(x, 15, Neighbors::Hnsw, 2, 7);
    EXPECT_EQ(h1.index, h2.index);
}

TEST(Tsne, HnswNeighboursRecallTheExactOnes) {
    const Matrix x = blobs(10, 200, 20, 3.0, 8);
    const Knn exact = nearestNeighbors(x, 30, Neighbors::Exact, 2, 1);
    const Knn approx = nearestNeighbors(x, 30, Neighbors::Hnsw, 2, 1);
    int64_t hit = 0;
    for (int64_t i = 0; i < x.n; ++i) {
        std::set<int32_t> e(exact.index.begin() + i * 30, exact.index.begin() + (i + 1) * 30);
        for (int t = 0; t < 30; ++t) hit += e.count(approx.index[size_t(i * 30 + t)]);
    }
    EXPECT_GT(double(hit) / double(x.n * 30), 0.95);
}

TEST(Tsne, CancelStopsWithinOneIteration) {
    const Matrix x = blobs(2, 100, 5, 3.0, 9);
    mlad::TaskContext task;
    int last = 0;
    Options o = small(Method::BarnesHut);
    o.layoutEvery = 1;
    o.onLayout = [&](int it, const std::vector<double>& y) {
        EXPECT_EQ(y.size(), 400u);
        last = it;
        if (it == 7) task.cancel();
    };
    EXPECT_THROW(run(x, o, &task), mlad::Cancelled);
    EXPECT_EQ(last, 7);
    // Cancelled before it starts: no optimisation at all.
    mlad::TaskContext early;
    early.cancel();
    last = 0;
    EXPECT_THROW(run(x, o, &early), mlad::Cancelled);
    EXPECT_EQ(last, 0);
}

TEST(Tsne, ProgressAndKlTraceAreReported) {
    const Matrix x = blobs(2, 60, 5, 3.0, 10);
    std::vector<std::string> stages;
    uint64_t lastDone = 0;
    mlad::TaskContext task(
        [&](const mlad::Progress& p) {
            if (stages.empty() || stages.back() != p.stage) stages.push_back(p.stage);
            if (p.stage == "optimising") lastDone = p.done;
        },
        0.0);
    Options o = small(Method::Auto);
    o.iterations = 200;
    std::vector<int> klAt;
    o.onKl = [&](int it, double kl) {
        EXPECT_GT(kl, 0.0);
        klAt.push_back(it);
    };
    const Result r = run(x, o, &task);
    EXPECT_EQ(r.method, Method::BarnesHut);  // auto below 10,000 points
    EXPECT_EQ(stages, (std::vector<std::string>{"affinities", "optimising"}));
    EXPECT_EQ(lastDone, 200u);
    EXPECT_EQ(klAt, (std::vector<int>{50, 100, 150, 200, 200}));
    // KL falls once exaggeration ends.
    ASSERT_EQ(r.klTrace.size(), 4u);
    EXPECT_LT(r.klTrace.back().second, r.klTrace.front().second);
}

TEST(Tsne, RefusesBadInput) {
    Matrix x = blobs(1, 10, 3, 1.0, 11);
    Options o = small(Method::Exact);
    EXPECT_THROW(run(x, o), std::invalid_argument);  // perplexity 20 >= 10 points
    o.perplexity = 3;
    EXPECT_NO_THROW(run(x, o));
    x.data[4] = std::nan("");
    EXPECT_THROW(run(x, o), std::invalid_argument);
    const Matrix tiny = blobs(1, 3, 2, 1.0, 12);
    EXPECT_THROW(run(tiny, o), std::invalid_argument);
    o.theta = -1;
    EXPECT_THROW(run(blobs(1, 10, 3, 1.0, 11), o), std::invalid_argument);
    EXPECT_THROW(parseMethod("umap"), std::invalid_argument);
    EXPECT_EQ(parseMethod("bh"), Method::BarnesHut);
}

}  // namespace
