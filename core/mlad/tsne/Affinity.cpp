// Nearest neighbours and perplexity-calibrated affinities for t-SNE.
#include <hnswlib/hnswlib.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>

#include "mlad/tsne/Tsne.h"
#include "mlad/tsne/detail/Parallel.h"

namespace mlad::tsne {

namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Above this many points the automatic choice builds an HNSW graph instead of exact distances
/// (exact is O(n^2 d): ~2e10 multiply-adds at 10,000 x 100, a few seconds on two cores).
constexpr int64_t kExactKnnMax = 10000;

/// Keeps the k smallest (distance, index) pairs of `cand`, nearest first, ties by index.
void takeNearest(std::vector<std::pair<double, int32_t>>& cand, int64_t k, int32_t* idx,
                 double* d2) {
    const auto kk = static_cast<std::ptrdiff_t>(k);
    std::partial_sort(cand.begin(), cand.begin() + kk, cand.end());
    for (int64_t j = 0; j < k; ++j) {
        idx[j] = cand[static_cast<size_t>(j)].second;
        d2[j] = cand[static_cast<size_t>(j)].first;
    }
}

Knn exactKnn(const Matrix& x, int64_t k, int threads, TaskContext* task) {
    const int64_t n = x.n;
    Eigen::Map<const RowMatrix> X(x.data.data(), n, x.d);
    const Eigen::VectorXd norms = X.rowwise().squaredNorm();
    Knn out;
    out.k = k;
    out.index.resize(static_cast<size_t>(n * k));
    out.dist2.resize(static_cast<size_t>(n * k));
    // Fixed row blocks: each block's products are the same whatever the thread count.
    constexpr int64_t kBlock = 128;
    const int64_t blocks = (n + kBlock - 1) / kBlock;
    detail::forChunks(blocks, threads, [&](int, int64_t b0, int64_t b1) {
        RowMatrix prod;
        std::vector<std::pair<double, int32_t>> cand(static_cast<size_t>(n - 1));
        for (int64_t b = b0; b < b1; ++b) {
            if (task && task->isCancelled()) return;
            const int64_t r0 = b * kBlock, rows = std::min(kBlock, n - r0);
            prod.noalias() = X.middleRows(r0, rows) * X.transpose();
            for (int64_t r = 0; r < rows; ++r) {
                const int64_t i = r0 + r;
                size_t c = 0;
                for (int64_t j = 0; j < n; ++j) {
                    if (j == i) continue;
                    const double d = std::max(0.0, norms[i] + norms[j] - 2.0 * prod(r, j));
                    cand[c++] = {d, static_cast<int32_t>(j)};
                }
                takeNearest(cand, k, out.index.data() + i * k, out.dist2.data() + i * k);
            }
        }
    });
    if (task) task->checkCancelled();
    return out;
}

Knn hnswKnn(const Matrix& x, int64_t k, int threads, uint64_t seed, TaskContext* task) {
    const int64_t n = x.n;
    const auto d = static_cast<size_t>(x.d);
    std::vector<float> xf(x.data.begin(), x.data.end());
    hnswlib::L2Space space(d);
    // M 16, ef_construction 100: recall > 0.95 at k = 90 on the bench's clusters; built on one
    // thread in point order, so the graph (and everything after it) is reproducible.
    hnswlib::HierarchicalNSW<float> index(&space, static_cast<size_t>(n), 16, 100,
                                          static_cast<size_t>(seed));
    Progress prog;
    prog.stage = "nearest neighbours";
    prog.total = static_cast<uint64_t>(n);
    for (int64_t i = 0; i < n; ++i) {
        index.addPoint(xf.data() + static_cast<size_t>(i) * d, static_cast<size_t>(i));
        if (task && (i & 1023) == 0) {
            task->checkCancelled();
            prog.done = static_cast<uint64_t>(i);
            task->report(prog);
        }
    }
    index.setEf(static_cast<size_t>(std::max<int64_t>(2 * (k + 1), 64)));
    Knn out;
    out.k = k;
    out.index.resize(static_cast<size_t>(n * k));
    out.dist2.resize(static_cast<size_t>(n * k));
    detail::forChunks(n, threads, [&](int, int64_t b, int64_t e) {
        std::vector<std::pair<double, int32_t>> cand;
        for (int64_t i = b; i < e; ++i) {
            if (task && (i & 255) == 0 && task->isCancelled()) return;
            auto pq =
                index.searchKnn(xf.data() + static_cast<size_t>(i) * d, static_cast<size_t>(k + 1));
            cand.clear();
            while (!pq.empty()) {
                if (static_cast<int64_t>(pq.top().second) != i)
                    cand.emplace_back(static_cast<double>(pq.top().first),
                                      static_cast<int32_t>(pq.top().second));
                pq.pop();
            }
            // A duplicate of i may displace i itself from the k + 1 results: keep k.
            if (static_cast<int64_t>(cand.size()) < k)
                throw std::runtime_error("t-SNE: the neighbour graph returned too few neighbours");
            takeNearest(cand, k, out.index.data() + i * k, out.dist2.data() + i * k);
        }
    });
    if (task) task->checkCancelled();
    return out;
}

/// Binary search on beta = 1 / (2 sigma^2) so that the entropy of p_j|i hits log(perplexity).
/// Distances are shifted by the nearest one (the ratios, so p, do not change).
double calibrateRow(const double* d2, int64_t k, double logPerp, double* p, double* entropyOut) {
    const double dmin = d2[0];
    double beta = 1.0, lo = 0.0, hi = std::numeric_limits<double>::infinity();
    double h = 0.0;
    for (int it = 0; it < 200; ++it) {
        double sum = 0.0, wsum = 0.0;
        for (int64_t j = 0; j < k; ++j) {
            p[j] = std::exp(-beta * (d2[j] - dmin));
            sum += p[j];
            wsum += p[j] * (d2[j] - dmin);
        }
        h = std::log(sum) + beta * wsum / sum;
        if (std::abs(h - logPerp) < 1e-6) break;
        if (h > logPerp) {
            lo = beta;
            beta = std::isinf(hi) ? beta * 2.0 : (beta + hi) / 2.0;
        } else {
            hi = beta;
            beta = (beta + lo) / 2.0;
        }
    }
    double sum = 0.0;
    for (int64_t j = 0; j < k; ++j) sum += p[j];
    for (int64_t j = 0; j < k; ++j) p[j] /= sum;
    if (entropyOut) *entropyOut = h;
    return beta;
}

}  // namespace

Knn nearestNeighbors(const Matrix& x, int64_t k, Neighbors how, int threads, uint64_t seed,
                     TaskContext* task) {
    if (x.n < 2) throw std::invalid_argument("t-SNE: need at least 2 points for neighbours");
    if (k < 1 || k >= x.n)
        throw std::invalid_argument("t-SNE: k = " + std::to_string(k) +
                                    " neighbours need more than " + std::to_string(k) +
                                    " points (have " + std::to_string(x.n) + ")");
    threads = detail::resolveThreads(threads);
    if (how == Neighbors::Auto) how = x.n <= kExactKnnMax ? Neighbors::Exact : Neighbors::Hnsw;
    return how == Neighbors::Exact ? exactKnn(x, k, threads, task)
                                   : hnswKnn(x, k, threads, seed, task);
}

Affinities affinities(const Knn& knn, double perplexity, int threads, Calibration* calibration) {
    const int64_t k = knn.k;
    const auto n = static_cast<int64_t>(knn.index.size()) / std::max<int64_t>(k, 1);
    if (!(perplexity > 0)) throw std::invalid_argument("t-SNE: perplexity must be > 0");
    threads = detail::resolveThreads(threads);
    std::vector<double> cond(static_cast<size_t>(n * k));
    if (calibration) {
        calibration->entropy.assign(static_cast<size_t>(n), 0.0);
        calibration->beta.assign(static_cast<size_t>(n), 0.0);
    }
    const double logPerp = std::log(perplexity);
    detail::forChunks(n, threads, [&](int, int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
            double h = 0.0;
            const double beta =
                calibrateRow(knn.dist2.data() + i * k, k, logPerp, cond.data() + i * k, &h);
            if (calibration) {
                calibration->entropy[static_cast<size_t>(i)] = h;
                calibration->beta[static_cast<size_t>(i)] = beta;
            }
        }
    });
    // Symmetrise: row i holds (j, p_j|i) for its neighbours and (j, p_i|j) for every j that has
    // i as a neighbour; duplicates are merged after a per-row sort.
    std::vector<int64_t> count(static_cast<size_t>(n + 1), 0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < k; ++j) {
            ++count[static_cast<size_t>(i)];
            ++count[static_cast<size_t>(knn.index[static_cast<size_t>(i * k + j)])];
        }
    std::vector<int64_t> start(static_cast<size_t>(n + 1), 0);
    for (int64_t i = 0; i < n; ++i)
        start[static_cast<size_t>(i + 1)] =
            start[static_cast<size_t>(i)] + count[static_cast<size_t>(i)];
    std::vector<std::pair<int32_t, double>> entries(static_cast<size_t>(start.back()));
    std::vector<int64_t> fill(start.begin(), start.end() - 1);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < k; ++j) {
            const int32_t nb = knn.index[static_cast<size_t>(i * k + j)];
            const double v = cond[static_cast<size_t>(i * k + j)];
            entries[static_cast<size_t>(fill[static_cast<size_t>(i)]++)] = {nb, v};
            entries[static_cast<size_t>(fill[static_cast<size_t>(nb)]++)] = {
                static_cast<int32_t>(i), v};
        }
    Affinities p;
    p.n = n;
    p.rowStart.assign(static_cast<size_t>(n + 1), 0);
    std::vector<int64_t> rowLen(static_cast<size_t>(n), 0);
    detail::forChunks(n, threads, [&](int, int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
            auto first = entries.begin() + start[static_cast<size_t>(i)];
            auto last = entries.begin() + start[static_cast<size_t>(i + 1)];
            std::sort(first, last, [](const auto& a, const auto& c) { return a.first < c.first; });
            int64_t out = 0;
            for (auto it = first; it != last; ++it) {
                if (out > 0 && (first + out - 1)->first == it->first)
                    (first + out - 1)->second += it->second;
                else
                    *(first + out++) = *it;
            }
            rowLen[static_cast<size_t>(i)] = out;
        }
    });
    for (int64_t i = 0; i < n; ++i)
        p.rowStart[static_cast<size_t>(i + 1)] =
            p.rowStart[static_cast<size_t>(i)] + rowLen[static_cast<size_t>(i)];
    p.col.resize(static_cast<size_t>(p.rowStart.back()));
    p.val.resize(static_cast<size_t>(p.rowStart.back()));
    const double norm = 1.0 / (2.0 * static_cast<double>(n));
    for (int64_t i = 0; i < n; ++i) {
        const int64_t src = start[static_cast<size_t>(i)], dst = p.rowStart[static_cast<size_t>(i)];
        for (int64_t j = 0; j < rowLen[static_cast<size_t>(i)]; ++j) {
            p.col[static_cast<size_t>(dst + j)] = entries[static_cast<size_t>(src + j)].first;
            p.val[static_cast<size_t>(dst + j)] =
                entries[static_cast<size_t>(src + j)].second * norm;
        }
    }
    return p;
}

}  // namespace mlad::tsne
