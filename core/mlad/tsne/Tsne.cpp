// t-SNE pipeline: options, initialisation, the optimiser and the quality measures.
#include "mlad/tsne/Tsne.h"

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <stdexcept>

#include "mlad/tsne/detail/Gradient.h"
#include "mlad/tsne/detail/Parallel.h"

namespace mlad::tsne {

namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// openTSNE's "auto": Barnes-Hut below 10,000 points, FFT interpolation from there.
constexpr int64_t kFftFrom = 10000;

Method resolveMethod(Method m, int64_t n) {
    if (m != Method::Auto) return m;
    return n < kFftFrom ? Method::BarnesHut : Method::Fft;
}

/// The first two principal components, signs fixed (largest loading positive), scaled so that
/// the first coordinate has standard deviation 1e-4 (openTSNE's PCA initialisation).
std::vector<double> pcaInit(const Matrix& x, uint64_t seed) {
    const int64_t n = x.n, d = x.d;
    Eigen::Map<const RowMatrix> X(x.data.data(), n, d);
    const Eigen::RowVectorXd mean = X.colwise().mean();
    const RowMatrix xc = X.rowwise() - mean;
    const Eigen::MatrixXd cov = (xc.transpose() * xc) / std::max<double>(1.0, double(n - 1));
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
    std::vector<double> y(static_cast<size_t>(2 * n), 0.0);
    for (int c = 0; c < 2 && c < d; ++c) {
        Eigen::VectorXd v = eig.eigenvectors().col(d - 1 - c);
        Eigen::Index arg = 0;
        v.cwiseAbs().maxCoeff(&arg);
        if (v[arg] < 0) v = -v;
        const Eigen::VectorXd proj = xc * v;
        for (int64_t i = 0; i < n; ++i) y[static_cast<size_t>(2 * i + c)] = proj[i];
    }
    if (d < 2) {  // one input dimension: a small random second coordinate
        std::mt19937_64 rng(seed);
        std::normal_distribution<double> nd(0.0, 1.0);
        for (int64_t i = 0; i < n; ++i) y[static_cast<size_t>(2 * i + 1)] = nd(rng);
    }
    double m0 = 0, s0 = 0;
    for (int64_t i = 0; i < n; ++i) m0 += y[static_cast<size_t>(2 * i)];
    m0 /= double(n);
    for (int64_t i = 0; i < n; ++i) s0 += std::pow(y[static_cast<size_t>(2 * i)] - m0, 2);
    s0 = std::sqrt(s0 / double(n));
    const double scale = s0 > 0 ? 1e-4 / s0 : 1.0;
    for (double& v : y) v *= scale;
    return y;
}

std::vector<double> randomInit(int64_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> nd(0.0, 1e-4);
    std::vector<double> y(static_cast<size_t>(2 * n));
    for (double& v : y) v = nd(rng);
    return y;
}

double repulsion(Method m, const std::vector<double>& y, std::vector<double>& rep, const Options& o,
                 int threads) {
    switch (m) {
        case Method::Exact:
            return detail::repulsionExact(y, rep, threads);
        case Method::BarnesHut:
            return detail::repulsionBarnesHut(y, rep, o.theta, threads);
        case Method::Fft:
        case Method::Auto:
            break;
    }
    return detail::repulsionFft(y, rep, o.interpolationPoints, o.minIntervals, threads);
}

void checkOptions(const Options& o) {
    auto bad = [](const std::string& what) { throw std::invalid_argument("t-SNE: " + what); };
    if (!(o.perplexity > 0) || !std::isfinite(o.perplexity)) bad("perplexity must be > 0");
    if (o.iterations < 0) bad("iterations must be >= 0");
    if (o.exaggerationIters < 0) bad("early exaggeration iterations must be >= 0");
    if (!(o.exaggeration > 0) || !std::isfinite(o.exaggeration)) bad("exaggeration must be > 0");
    if (!(o.learningRate >= 0) || !std::isfinite(o.learningRate))
        bad("learning rate must be >= 0 (0 = auto)");
    if (!(o.theta >= 0) || !std::isfinite(o.theta)) bad("theta must be >= 0");
    if (o.interpolationPoints < 1 || o.interpolationPoints > 10)
        bad("interpolation points must be in 1..10");
    if (o.minIntervals < 1 || o.minIntervals > 400) bad("minimum intervals must be in 1..400");
    if (o.threads < 0) bad("threads must be >= 0");
}

}  // namespace

Method parseMethod(const std::string& s) {
    if (s == "auto") return Method::Auto;
    if (s == "exact") return Method::Exact;
    if (s == "bh" || s == "barnes-hut") return Method::BarnesHut;
    if (s == "fft") return Method::Fft;
    throw std::invalid_argument("t-SNE: unknown method '" + s + "' (auto, exact, bh, fft)");
}

std::string methodName(Method m) {
    switch (m) {
        case Method::Auto:
            return "auto";
        case Method::Exact:
            return "exact";
        case Method::BarnesHut:
            return "bh";
        case Method::Fft:
            return "fft";
    }
    return "?";
}

Result optimise(const Affinities& p, std::vector<double> y, const Options& o, TaskContext* task) {
    checkOptions(o);
    const int64_t n = p.n;
    if (static_cast<int64_t>(y.size()) != 2 * n)
        throw std::invalid_argument("t-SNE: the initial layout must have 2 coordinates per point");
    const auto t0 = std::chrono::steady_clock::now();
    const int threads = detail::resolveThreads(o.threads);
    Result r;
    r.method = resolveMethod(o.method, n);
    const auto sz = static_cast<size_t>(2 * n);
    std::vector<double> update(sz, 0.0), gains(sz, 1.0), grad(sz), rep(sz);
    Progress prog;
    prog.stage = "optimising";
    prog.total = static_cast<uint64_t>(o.iterations);
    for (int it = 0; it < o.iterations; ++it) {
        if (task) task->checkCancelled();
        const bool early = it < o.exaggerationIters;
        const double exag = early ? o.exaggeration : 1.0;
        const double mom = early ? o.momentumEarly : o.momentumLate;
        const double lr =
            o.learningRate > 0 ? o.learningRate : std::max(static_cast<double>(n) / exag, 50.0);
        const double z = repulsion(r.method, y, rep, o, threads);
        const bool klNow = o.klEvery > 0 && ((it + 1) % o.klEvery == 0);
        std::fill(grad.begin(), grad.end(), 0.0);
        const double kl = detail::attraction(p, y, exag, grad, threads, klNow ? z : 0.0);
        double mx = 0.0, my = 0.0;
        for (size_t k = 0; k < sz; ++k) {
            const double g = grad[k] - rep[k] / z;
            gains[k] = (g > 0) != (update[k] > 0) ? gains[k] + 0.2 : gains[k] * 0.8;
            gains[k] = std::max(gains[k], 0.01);
            update[k] = mom * update[k] - lr * gains[k] * g;
            y[k] += update[k];
            ((k & 1) ? my : mx) += y[k];
        }
        mx /= double(n);
        my /= double(n);
        for (int64_t i = 0; i < n; ++i) {
            y[static_cast<size_t>(2 * i)] -= mx;
            y[static_cast<size_t>(2 * i + 1)] -= my;
        }
        if (!std::isfinite(mx) || !std::isfinite(my))
            throw std::runtime_error("t-SNE diverged at iteration " + std::to_string(it + 1) +
                                     " (try a smaller learning rate)");
        if (klNow) {
            r.klTrace.emplace_back(it + 1, kl);
            if (o.onKl) o.onKl(it + 1, kl);
        }
        if (o.layoutEvery > 0 && (it + 1) % o.layoutEvery == 0 && o.onLayout) o.onLayout(it + 1, y);
        if (task) {
            prog.done = static_cast<uint64_t>(it + 1);
            task->report(prog);
        }
        r.iterations = it + 1;
    }
    // Final KL at the final layout (the method's own Z).
    const double z = repulsion(r.method, y, rep, o, threads);
    std::fill(grad.begin(), grad.end(), 0.0);
    r.kl = detail::attraction(p, y, 1.0, grad, threads, z);
    if (o.onKl) o.onKl(r.iterations, r.kl);
    if (o.onLayout) o.onLayout(r.iterations, y);
    r.y = std::move(y);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

Result run(const Matrix& x, const Options& o, TaskContext* task) {
    checkOptions(o);
    const auto t0 = std::chrono::steady_clock::now();
    if (x.n < 4)
        throw std::invalid_argument("t-SNE: need at least 4 points, have " + std::to_string(x.n));
    if (x.d < 1) throw std::invalid_argument("t-SNE: points have no coordinates");
    if (static_cast<int64_t>(x.data.size()) != x.n * x.d)
        throw std::invalid_argument("t-SNE: the point matrix is not n x d");
    for (size_t k = 0; k < x.data.size(); ++k)
        if (!std::isfinite(x.data[k]))
            throw std::invalid_argument("t-SNE: point " + std::to_string(k / size_t(x.d) + 1) +
                                        " has a non-finite coordinate");
    if (o.perplexity >= static_cast<double>(x.n))
        throw std::invalid_argument("t-SNE: perplexity " + std::to_string(o.perplexity) +
                                    " must be below the number of points (" + std::to_string(x.n) +
                                    ")");
    const int threads = detail::resolveThreads(o.threads);
    if (task) {
        Progress p;
        p.stage = "affinities";
        task->report(p, true);
    }
    const auto k = std::min<int64_t>(x.n - 1, static_cast<int64_t>(std::ceil(3.0 * o.perplexity)));
    const Neighbors how = o.neighbors != Neighbors::Auto
                              ? o.neighbors
                              : (x.n <= 10000 ? Neighbors::Exact : Neighbors::Hnsw);
    const Knn knn = nearestNeighbors(x, k, how, threads, o.seed, task);
    const Affinities p = affinities(knn, o.perplexity, threads);
    if (task) task->checkCancelled();
    std::vector<double> y0 = o.init == Init::Pca ? pcaInit(x, o.seed) : randomInit(x.n, o.seed);
    Result r = optimise(p, std::move(y0), o, task);
    r.neighbors = how;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

double klDivergenceExact(const Affinities& p, const std::vector<double>& y) {
    std::vector<double> rep(y.size());
    const double z = detail::repulsionExact(y, rep, 1);
    std::vector<double> grad(y.size(), 0.0);
    return detail::attraction(p, y, 1.0, grad, 1, z);
}

namespace {

Matrix asMatrix(const std::vector<double>& y) {
    Matrix m;
    m.n = static_cast<int64_t>(y.size() / 2);
    m.d = 2;
    m.data = y;
    return m;
}

}  // namespace

double knnPreservation(const Matrix& x, const std::vector<double>& y, int k, int threads) {
    threads = detail::resolveThreads(threads);
    const Knn a = nearestNeighbors(x, k, Neighbors::Exact, threads, 1);
    const Knn b = nearestNeighbors(asMatrix(y), k, Neighbors::Exact, threads, 1);
    double total = 0.0;
    for (int64_t i = 0; i < x.n; ++i) {
        std::vector<int32_t> sa(a.index.begin() + i * k, a.index.begin() + (i + 1) * k);
        std::vector<int32_t> sb(b.index.begin() + i * k, b.index.begin() + (i + 1) * k);
        std::sort(sa.begin(), sa.end());
        std::sort(sb.begin(), sb.end());
        std::vector<int32_t> both;
        std::set_intersection(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(both));
        total += double(both.size()) / double(k);
    }
    return total / double(x.n);
}

double trustworthiness(const Matrix& x, const std::vector<double>& y, int k, int threads) {
    threads = detail::resolveThreads(threads);
    const int64_t n = x.n;
    if (k < 1 || 2 * n - 3 * k - 1 <= 0)
        throw std::invalid_argument("trustworthiness: k too large");
    const Knn low = nearestNeighbors(asMatrix(y), k, Neighbors::Exact, threads, 1);
    const Knn high = nearestNeighbors(x, k, Neighbors::Exact, threads, 1);
    Eigen::Map<const RowMatrix> X(x.data.data(), n, x.d);
    const Eigen::VectorXd norms = X.rowwise().squaredNorm();
    std::vector<double> part(static_cast<size_t>(threads), 0.0);
    detail::forChunks(n, threads, [&](int c, int64_t b, int64_t e) {
        Eigen::VectorXd dist(n);
        double sum = 0.0;
        for (int64_t i = b; i < e; ++i) {
            const int32_t* hi = high.index.data() + i * k;
            dist = (norms.array() + norms[i] - 2.0 * (X * X.row(i).transpose()).array()).matrix();
            for (int64_t t = 0; t < k; ++t) {
                const int32_t j = low.index[static_cast<size_t>(i * k + t)];
                if (std::find(hi, hi + k, j) != hi + k) continue;
                // Rank of j among i's input-space neighbours (1 = nearest), ties by index.
                int64_t rank = 1;
                const double dj = dist[j];
                for (int64_t l = 0; l < n; ++l) {
                    if (l == i || l == j) continue;
                    if (dist[l] < dj || (dist[l] == dj && l < j)) ++rank;
                }
                sum += double(rank - k);
            }
        }
        part[static_cast<size_t>(c)] = sum;
    });
    double s = 0.0;
    for (double v : part) s += v;
    return 1.0 - 2.0 / (double(n) * k * (2.0 * n - 3.0 * k - 1.0)) * s;
}

}  // namespace mlad::tsne
