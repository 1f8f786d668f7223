// The t-SNE gradient: sparse attraction; exact, Barnes-Hut and FFT-interpolated repulsion.
#include "mlad/tsne/detail/Gradient.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "mlad/tsne/detail/Parallel.h"

namespace mlad::tsne::detail {

// ---- attraction --------------------------------------------------------------------------------

double attraction(const Affinities& p, const std::vector<double>& y, double exaggeration,
                  std::vector<double>& grad, int threads, double klZ) {
    std::vector<double> klPart(static_cast<size_t>(std::max(threads, 1)), 0.0);
    forChunks(p.n, threads, [&](int c, int64_t b, int64_t e) {
        double kl = 0.0;
        for (int64_t i = b; i < e; ++i) {
            const double yi0 = y[static_cast<size_t>(2 * i)],
                         yi1 = y[static_cast<size_t>(2 * i + 1)];
            double g0 = 0.0, g1 = 0.0;
            for (int64_t t = p.rowStart[static_cast<size_t>(i)];
                 t < p.rowStart[static_cast<size_t>(i + 1)]; ++t) {
                const auto j = static_cast<size_t>(p.col[static_cast<size_t>(t)]);
                const double d0 = yi0 - y[2 * j], d1 = yi1 - y[2 * j + 1];
                const double w = 1.0 / (1.0 + d0 * d0 + d1 * d1);
                const double pij = p.val[static_cast<size_t>(t)];
                g0 += pij * w * d0;
                g1 += pij * w * d1;
                if (klZ > 0 && pij > 0) kl += pij * std::log(pij * klZ / w);
            }
            grad[static_cast<size_t>(2 * i)] += exaggeration * g0;
            grad[static_cast<size_t>(2 * i + 1)] += exaggeration * g1;
        }
        klPart[static_cast<size_t>(c)] = kl;
    });
    double kl = 0.0;
    for (double v : klPart) kl += v;
    return klZ > 0 ? kl : 0.0;
}

// ---- exact -------------------------------------------------------------------------------------

double repulsionExact(const std::vector<double>& y, std::vector<double>& rep, int threads) {
    const auto n = static_cast<int64_t>(y.size() / 2);
    std::vector<double> zPart(static_cast<size_t>(std::max(threads, 1)), 0.0);
    forChunks(n, threads, [&](int c, int64_t b, int64_t e) {
        double z = 0.0;
        for (int64_t i = b; i < e; ++i) {
            const double yi0 = y[static_cast<size_t>(2 * i)],
                         yi1 = y[static_cast<size_t>(2 * i + 1)];
            double r0 = 0.0, r1 = 0.0;
            for (int64_t j = 0; j < n; ++j) {
                if (j == i) continue;
                const double d0 = yi0 - y[static_cast<size_t>(2 * j)];
                const double d1 = yi1 - y[static_cast<size_t>(2 * j + 1)];
                const double w = 1.0 / (1.0 + d0 * d0 + d1 * d1);
                z += w;
                r0 += w * w * d0;
                r1 += w * w * d1;
            }
            rep[static_cast<size_t>(2 * i)] = r0;
            rep[static_cast<size_t>(2 * i + 1)] = r1;
        }
        zPart[static_cast<size_t>(c)] = z;
    });
    double z = 0.0;
    for (double v : zPart) z += v;
    return z;
}

// ---- Barnes-Hut --------------------------------------------------------------------------------

namespace {

/// Point-region quadtree with centres of mass. Points at (almost) the same position share a leaf.
class QuadTree {
  public:
    struct Node {
        double cx, cy, hw;      // cell centre and half width
        double mx = 0, my = 0;  // centre of mass
        int64_t count = 0;
        int32_t child = -1;  // first of four children, -1 for a leaf
        int32_t point = -1;  // a leaf's (first) point
    };

    explicit QuadTree(const std::vector<double>& y) : y_(y) {
        const auto n = static_cast<int64_t>(y.size() / 2);
        double x0 = y[0], x1 = y[0], y0 = y[1], y1 = y[1];
        for (int64_t i = 1; i < n; ++i) {
            x0 = std::min(x0, y[static_cast<size_t>(2 * i)]);
            x1 = std::max(x1, y[static_cast<size_t>(2 * i)]);
            y0 = std::min(y0, y[static_cast<size_t>(2 * i + 1)]);
            y1 = std::max(y1, y[static_cast<size_t>(2 * i + 1)]);
        }
        const double hw = std::max(x1 - x0, y1 - y0) / 2 * (1 + 1e-9) + 1e-12;
        nodes_.reserve(static_cast<size_t>(4 * n));
        nodes_.push_back(Node{(x0 + x1) / 2, (y0 + y1) / 2, hw});
        for (int64_t i = 0; i < n; ++i) insert(static_cast<int32_t>(i));
    }

    /// Adds sum_j w_ij^2 (y_i - y_j) to r and returns sum_j w_ij for point i.
    double visit(int64_t i, double theta2, double& r0, double& r1,
                 std::vector<int32_t>& stack) const {
        const double px = y_[static_cast<size_t>(2 * i)], py = y_[static_cast<size_t>(2 * i + 1)];
        double z = 0.0;
        stack.clear();
        stack.push_back(0);
        while (!stack.empty()) {
            const Node& nd = nodes_[static_cast<size_t>(stack.back())];
            stack.pop_back();
            if (nd.count == 0) continue;
            const double d0 = px - nd.mx, d1 = py - nd.my, d2 = d0 * d0 + d1 * d1;
            double cnt = static_cast<double>(nd.count);
            if (nd.child < 0) {
                if (d2 <= 0.0) cnt -= 1.0;  // the leaf holds i (and its duplicates, at distance 0)
                if (cnt <= 0.0) continue;
            } else if (4.0 * nd.hw * nd.hw >= theta2 * d2) {
                for (int k = 0; k < 4; ++k) stack.push_back(nd.child + k);
                continue;
            }
            const double w = 1.0 / (1.0 + d2);
            z += cnt * w;
            r0 += cnt * w * w * d0;
            r1 += cnt * w * w * d1;
        }
        return z;
    }

  private:
    int quadrant(const Node& nd, double x, double y) const {
        return (x >= nd.cx ? 1 : 0) + (y >= nd.cy ? 2 : 0);
    }

    void split(int32_t at) {
        const int32_t first = static_cast<int32_t>(nodes_.size());
        const Node nd = nodes_[static_cast<size_t>(at)];
        const double h = nd.hw / 2;
        for (int k = 0; k < 4; ++k)
            nodes_.push_back(Node{nd.cx + ((k & 1) ? h : -h), nd.cy + ((k & 2) ? h : -h), h});
        nodes_[static_cast<size_t>(at)].child = first;
        // Move the leaf's point (all its duplicates) down.
        const int32_t pt = nd.point;
        Node& c = nodes_[static_cast<size_t>(first + quadrant(nd, nd.mx, nd.my))];
        c.count = nd.count;
        c.mx = nd.mx;
        c.my = nd.my;
        c.point = pt;
        nodes_[static_cast<size_t>(at)].point = -1;
    }

    void insert(int32_t i) {
        const double x = y_[static_cast<size_t>(2 * i)], yv = y_[static_cast<size_t>(2 * i + 1)];
        int32_t at = 0;
        for (;;) {
            Node& nd = nodes_[static_cast<size_t>(at)];
            if (nd.child < 0) {
                if (nd.count == 0) {
                    nd.count = 1;
                    nd.mx = x;
                    nd.my = yv;
                    nd.point = i;
                    return;
                }
                const bool same = nd.mx == x && nd.my == yv;
                if (same || nd.hw < 1e-10) {  // duplicates stay together
                    nd.mx = (nd.mx * double(nd.count) + x) / double(nd.count + 1);
                    nd.my = (nd.my * double(nd.count) + yv) / double(nd.count + 1);
                    ++nd.count;
                    return;
                }
                split(at);
                continue;  // re-examine the now internal node
            }
            nd.mx = (nd.mx * double(nd.count) + x) / double(nd.count + 1);
            nd.my = (nd.my * double(nd.count) + yv) / double(nd.count + 1);
            ++nd.count;
            at = nd.child + quadrant(nd, x, yv);
        }
    }

    const std::vector<double>& y_;
    std::vector<Node> nodes_;
};

}  // namespace

double repulsionBarnesHut(const std::vector<double>& y, std::vector<double>& rep, double theta,
                          int threads) {
    const auto n = static_cast<int64_t>(y.size() / 2);
    const QuadTree tree(y);
    std::vector<double> zPart(static_cast<size_t>(std::max(threads, 1)), 0.0);
    const double theta2 = theta * theta;
    forChunks(n, threads, [&](int c, int64_t b, int64_t e) {
        std::vector<int32_t> stack;
        double z = 0.0;
        for (int64_t i = b; i < e; ++i) {
            double r0 = 0.0, r1 = 0.0;
            z += tree.visit(i, theta2, r0, r1, stack);
            rep[static_cast<size_t>(2 * i)] = r0;
            rep[static_cast<size_t>(2 * i + 1)] = r1;
        }
        zPart[static_cast<size_t>(c)] = z;
    });
    double z = 0.0;
    for (double v : zPart) z += v;
    return z;
}

// ---- FFT-accelerated interpolation ---------------------------------------------------------

namespace {

/// Smallest m >= n whose prime factors are 2, 3, 5 and 7 (FFTW's fast sizes).
int64_t fftFriendly(int64_t n) {
    for (int64_t m = n;; ++m) {
        int64_t r = m;
        for (int64_t f : {2, 3, 5, 7})
            while (r % f == 0) r /= f;
        if (r == 1) return m;
    }
}

struct FftwFree {
    void operator()(void* p) const { fftw_free(p); }
};
template <class T>
using FftwBuffer = std::unique_ptr<T[], FftwFree>;

template <class T>
FftwBuffer<T> fftwAlloc(size_t count) {
    auto* p = static_cast<T*>(fftw_malloc(sizeof(T) * count));
    if (!p) throw std::bad_alloc();
    return FftwBuffer<T>(p);
}

/// FFTW plans for one grid (N x N, charges only in the first M rows and columns), created once
/// per size (planning is not thread-safe; executing is, with the new-array interface on buffers
/// from fftw_malloc). FFTW_ESTIMATE: the same algorithm on every run, so results are
/// reproducible. Double precision: in single precision the cancellation in the four-charge sums
/// cost ~3 % of final KL on small layouts (measured).
///
/// The charge transforms are pruned: the rows past M are zero, so the forward transform runs its
/// row pass on M rows only, and the inverse computes only the M rows that are read back.
struct Plans {
    fftw_plan kernel = nullptr;       // full 2-D r2c of the kernel
    fftw_plan rowsForward = nullptr;  // r2c along rows 0..M-1
    fftw_plan colsForward = nullptr;  // c2c along every column of the half spectrum, in place
    fftw_plan colsBackward = nullptr;
    fftw_plan rowsBackward = nullptr;  // c2r of rows 0..M-1
};

Plans plansFor(int64_t N, int64_t M) {
    static std::mutex mu;
    static std::map<std::pair<int64_t, int64_t>, Plans> cache;
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find({N, M});
    if (it != cache.end()) return it->second;
    const int64_t Nh = N / 2 + 1;
    const auto cells = static_cast<size_t>(N * N), half = static_cast<size_t>(N * Nh);
    auto real = fftwAlloc<double>(cells);
    auto spec = fftwAlloc<fftw_complex>(half);
    Plans p;
    const int ni = static_cast<int>(N), mi = static_cast<int>(M), nh = static_cast<int>(Nh);
    p.kernel = fftw_plan_dft_r2c_2d(ni, ni, real.get(), spec.get(), FFTW_ESTIMATE);
    p.rowsForward = fftw_plan_many_dft_r2c(1, &ni, mi, real.get(), nullptr, 1, ni, spec.get(),
                                           nullptr, 1, nh, FFTW_ESTIMATE);
    p.colsForward = fftw_plan_many_dft(1, &ni, nh, spec.get(), nullptr, nh, 1, spec.get(), nullptr,
                                       nh, 1, FFTW_FORWARD, FFTW_ESTIMATE);
    p.colsBackward = fftw_plan_many_dft(1, &ni, nh, spec.get(), nullptr, nh, 1, spec.get(), nullptr,
                                        nh, 1, FFTW_BACKWARD, FFTW_ESTIMATE);
    p.rowsBackward = fftw_plan_many_dft_c2r(1, &ni, mi, spec.get(), nullptr, 1, nh, real.get(),
                                            nullptr, 1, ni, FFTW_ESTIMATE);
    if (!p.kernel || !p.rowsForward || !p.colsForward || !p.colsBackward || !p.rowsBackward)
        throw std::runtime_error("t-SNE: FFTW could not plan a transform");
    cache.emplace(std::make_pair(N, M), p);
    return p;
}

/// Lagrange basis at nodes t_l = (l + 0.5) / m evaluated at u in [0, 1].
void lagrange(double u, int m, double* out) {
    for (int l = 0; l < m; ++l) {
        const double tl = (l + 0.5) / m;
        double v = 1.0;
        for (int k = 0; k < m; ++k) {
            if (k == l) continue;
            const double tk = (k + 0.5) / m;
            v *= (u - tk) / (tl - tk);
        }
        out[l] = v;
    }
}

}  // namespace

double repulsionFft(const std::vector<double>& y, std::vector<double>& rep, int nodesPerBox,
                    int minIntervals, int threads) {
    const auto n = static_cast<int64_t>(y.size() / 2);
    const int m = nodesPerBox;
    double lo = y[0], hi = y[0];
    for (double v : y) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    const double spread = std::max(hi - lo, 1e-6);
    // One box per unit of the layout (FIt-SNE's intervals_per_integer = 1), at least minIntervals,
    // at most 400 per dimension (five grids of (2 x 400 x 3)^2 doubles: ~280 MiB).
    const auto boxes =
        static_cast<int64_t>(std::min(400.0, std::max<double>(minIntervals, std::ceil(spread))));
    const double boxW = spread / static_cast<double>(boxes) * (1 + 1e-12);
    const double h = boxW / m;  // node spacing: nodes are uniform over the whole square
    const int64_t M = boxes * m;
    const int64_t N = fftFriendly(2 * M);
    const int64_t Nh = N / 2 + 1;
    const auto cells = static_cast<size_t>(N * N), half = static_cast<size_t>(N * Nh);
    const Plans plans = plansFor(N, M);

    // Kernel w^2 = (1 + d^2)^-2 on node offsets -(M-1)..(M-1), embedded circulantly.
    auto kernel = fftwAlloc<double>(cells);
    auto kernelHat = fftwAlloc<fftw_complex>(half);
    auto offset = [&](int64_t a) -> int64_t { return a < M ? a : (a > N - M ? a - N : N); };
    forChunks(N, threads, [&](int, int64_t b, int64_t e) {
        for (int64_t a = b; a < e; ++a) {
            const int64_t oa = offset(a);
            for (int64_t c = 0; c < N; ++c) {
                const int64_t oc = offset(c);
                double v = 0.0;
                if (oa != N && oc != N) {
                    const double d2 = h * h * double(oa * oa + oc * oc);
                    v = 1.0 / ((1.0 + d2) * (1.0 + d2));
                }
                kernel[static_cast<size_t>(a * N + c)] = v;
            }
        }
    });
    fftw_execute_dft_r2c(plans.kernel, kernel.get(), kernelHat.get());

    // Interpolation weights per point.
    std::vector<int64_t> box(static_cast<size_t>(2 * n));
    std::vector<double> wts(static_cast<size_t>(2 * n * m));
    forChunks(n, threads, [&](int, int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
            for (int dim = 0; dim < 2; ++dim) {
                const double t = (y[static_cast<size_t>(2 * i + dim)] - lo) / boxW;
                const int64_t bx = std::min<int64_t>(boxes - 1, static_cast<int64_t>(t));
                box[static_cast<size_t>(2 * i + dim)] = bx;
                lagrange(t - static_cast<double>(bx), m, wts.data() + (2 * i + dim) * m);
            }
    });

    // Four charges (1, y_x, y_y, |y|^2) spread to the nodes, convolved, read back. A charge grid
    // holds the first M rows of the N x N grid (the rest are zero and never stored).
    constexpr int kCharges = 4;
    const auto rowsCells = static_cast<size_t>(M * N);
    std::vector<FftwBuffer<double>> grids;
    for (int c = 0; c < kCharges; ++c) {
        grids.push_back(fftwAlloc<double>(rowsCells));
        std::fill(grids.back().get(), grids.back().get() + rowsCells, 0.0);
    }
    for (int64_t i = 0; i < n; ++i) {
        const double yx = y[static_cast<size_t>(2 * i)], yy = y[static_cast<size_t>(2 * i + 1)];
        const double q[kCharges] = {1.0, yx, yy, yx * yx + yy * yy};
        const double* wx = wts.data() + (2 * i) * m;
        const double* wy = wts.data() + (2 * i + 1) * m;
        const int64_t gx = box[static_cast<size_t>(2 * i)] * m,
                      gy = box[static_cast<size_t>(2 * i + 1)] * m;
        for (int a = 0; a < m; ++a)
            for (int b = 0; b < m; ++b) {
                const double wab = wx[a] * wy[b];
                const size_t cell = static_cast<size_t>((gx + a) * N + gy + b);
                for (int c = 0; c < kCharges; ++c)
                    grids[static_cast<size_t>(c)][cell] += wab * q[c];
            }
    }
    forChunks(kCharges, std::min(threads, kCharges), [&](int, int64_t b, int64_t e) {
        auto spec = fftwAlloc<fftw_complex>(half);
        const size_t rowsHalf = static_cast<size_t>(M * Nh);
        for (int64_t c = b; c < e; ++c) {
            double* g = grids[static_cast<size_t>(c)].get();
            fftw_execute_dft_r2c(plans.rowsForward, g, spec.get());
            std::fill(&spec[rowsHalf][0], &spec[rowsHalf][0] + 2 * (half - rowsHalf), 0.0);
            fftw_execute_dft(plans.colsForward, spec.get(), spec.get());
            for (size_t k = 0; k < half; ++k) {
                const double ar = spec[k][0], ai = spec[k][1];
                const double br = kernelHat[k][0], bi = kernelHat[k][1];
                spec[k][0] = ar * br - ai * bi;
                spec[k][1] = ar * bi + ai * br;
            }
            fftw_execute_dft(plans.colsBackward, spec.get(), spec.get());
            fftw_execute_dft_c2r(plans.rowsBackward, spec.get(), g);
        }
    });
    const double scale = 1.0 / static_cast<double>(cells);
    std::vector<double> zPart(static_cast<size_t>(std::max(threads, 1)), 0.0);
    forChunks(n, threads, [&](int ch, int64_t b, int64_t e) {
        double z = 0.0;
        for (int64_t i = b; i < e; ++i) {
            const double* wx = wts.data() + (2 * i) * m;
            const double* wy = wts.data() + (2 * i + 1) * m;
            const int64_t gx = box[static_cast<size_t>(2 * i)] * m,
                          gy = box[static_cast<size_t>(2 * i + 1)] * m;
            double phi[kCharges] = {0, 0, 0, 0};
            for (int a = 0; a < m; ++a)
                for (int bb = 0; bb < m; ++bb) {
                    const double wab = wx[a] * wy[bb];
                    const size_t cell = static_cast<size_t>((gx + a) * N + gy + bb);
                    for (int c = 0; c < kCharges; ++c)
                        phi[c] += wab * grids[static_cast<size_t>(c)][cell];
                }
            for (double& v : phi) v *= scale;
            const double yx = y[static_cast<size_t>(2 * i)], yy = y[static_cast<size_t>(2 * i + 1)];
            rep[static_cast<size_t>(2 * i)] = yx * phi[0] - phi[1];
            rep[static_cast<size_t>(2 * i + 1)] = yy * phi[0] - phi[2];
            z += (1.0 + yx * yx + yy * yy) * phi[0] - 2.0 * (yx * phi[1] + yy * phi[2]) + phi[3];
        }
        zPart[static_cast<size_t>(ch)] = z;
    });
    double z = 0.0;
    for (double v : zPart) z += v;
    return std::max(z - static_cast<double>(n), 1e-12);  // the i = j terms are w = 1
}

}  // namespace mlad::tsne::detail
