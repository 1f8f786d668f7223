#pragma once
// Row kernels shared by the entmax functions and the fused attention (CPU, float/double).
// One row of length d at a time; callers parallelise over rows.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace mlad::model::detail {

/// p = entmax_1.5(z) for one row (exact, Peters et al. 2019, Alg. 2). `scratch` holds at least
/// d values.
template <class T>
inline void entmax15Row(const T* z, T* p, int64_t d, T* scratch) {
    T mx = z[0];
    for (int64_t j = 1; j < d; ++j) mx = std::max(mx, z[j]);
    // tau* >= max - 1 (the largest entry alone gives the sum 1 there), so entries at or below
    // max - 1 have p = 0 and never enter the sort: trained attention rows keep a few.
    int64_t c = 0;
    for (int64_t j = 0; j < d; ++j) {
        const T x = (z[j] - mx) / T(2);
        scratch[c] = x;
        c += x > T(-1) ? 1 : 0;
    }
    // Descending order. The candidates are few: insertion sort beats std::sort's set-up there.
    if (c <= 32) {
        for (int64_t i = 1; i < c; ++i) {
            const T v = scratch[i];
            int64_t j = i;
            for (; j > 0 && scratch[j - 1] < v; --j) scratch[j] = scratch[j - 1];
            scratch[j] = v;
        }
    } else {
        std::sort(scratch, scratch + c, [](T a, T b) { return a > b; });
    }
    T sum = 0, sumSq = 0, tauStar = scratch[0] - T(1);
    for (int64_t k = 1; k <= c; ++k) {
        const T v = scratch[k - 1];
        sum += v;
        sumSq += v * v;
        const T mean = sum / T(k), meanSq = sumSq / T(k);
        const T delta = (T(1) - T(k) * (meanSq - mean * mean)) / T(k);
        const T tau = mean - std::sqrt(std::max(delta, T(0)));
        if (tau <= v)
            tauStar = tau;  // support size k* = last k with tau_k <= x_(k)
        else
            break;
    }
    for (int64_t j = 0; j < d; ++j) {
        const T x = std::max((z[j] - mx) / T(2) - tauStar, T(0));
        p[j] = x * x;
    }
}

/// dz = g*dp - g * sum(g*dp)/sum(g) with g = sqrt(p): the 1.5-entmax Jacobian-vector product.
template <class T>
inline void entmax15BackwardRow(const T* p, const T* dp, T* dz, int64_t d) {
    T sg = 0, sgdp = 0;
    for (int64_t j = 0; j < d; ++j) {
        const T g = std::sqrt(p[j]);
        sg += g;
        sgdp += g * dp[j];
    }
    const T q = sg > 0 ? sgdp / sg : T(0);
    for (int64_t j = 0; j < d; ++j) {
        const T g = std::sqrt(p[j]);
        dz[j] = g * (dp[j] - q);
    }
}

/// p = alpha-entmax(z) for one row, 1 < alpha < 2, exact to rounding. With x = (alpha-1)(z - max)
/// the threshold tau solves ||(x - tau)_+||_q = 1, q = 1/(alpha-1) > 1. That norm is convex and
/// decreasing in tau, so Newton's method started left of the root (tau = -1, where the largest
/// entry alone gives 1) stays left of it and climbs monotonically; in the norm form a step is exact
/// once the support is found (3-4 steps on attention rows, where bisection needs ~50 halvings).
/// Powers are taken in T (powf for float rows: they dominate the cost), sums in double.
/// `scratch` holds at least d values.
template <class T>
inline void entmaxRow(const T* z, T* p, int64_t d, double alpha, T* scratch) {
    const T am1 = static_cast<T>(alpha - 1.0), qm1 = static_cast<T>(1.0 / (alpha - 1.0) - 1.0);
    const double q = 1.0 / (alpha - 1.0);
    T mx = z[0];
    for (int64_t j = 1; j < d; ++j) mx = std::max(mx, z[j]);
    // Entries at or below max - 1/(alpha-1) (x <= -1 <= tau) get p = 0: keep the rest.
    int64_t c = 0;
    for (int64_t j = 0; j < d; ++j) {
        const T x = am1 * (z[j] - mx);
        scratch[c] = x;
        c += x > T(-1) ? 1 : 0;
    }
    const T eps = std::numeric_limits<T>::epsilon();
    T tau = T(-1);
    for (int iter = 0; iter < 100; ++iter) {
        double s = 0, t = 0;  // s = sum u^q, t = sum u^(q-1), u = (x - tau)_+
        for (int64_t j = 0; j < c; ++j) {
            const T u = scratch[j] - tau;
            if (u > T(0)) {
                const T uq1 = std::pow(u, qm1);
                t += static_cast<double>(uq1);
                s += static_cast<double>(uq1 * u);
            }
        }
        if (!(t > 0) || std::abs(s - 1.0) <= 4 * static_cast<double>(eps)) break;
        // Newton on g(tau) = s^(1/q) - 1: tau += (s^(1/q) - 1) / (s^(1/q - 1) t).
        const T next =
            static_cast<T>(static_cast<double>(tau) + (s - std::pow(s, 1.0 - 1.0 / q)) / t);
        if (!(next > tau)) break;  // converged to rounding
        tau = next;
    }
    double sum = 0;
    for (int64_t j = 0; j < d; ++j) {
        const T u = am1 * (z[j] - mx) - tau;
        const T v = u > T(0) ? u * std::pow(u, qm1) : T(0);
        p[j] = v;
        sum += static_cast<double>(v);
    }
    // sum >= 1 up to rounding (tau stays left of the root); renormalise to the simplex.
    const T inv = static_cast<T>(1.0 / sum);
    for (int64_t j = 0; j < d; ++j) p[j] *= inv;
}

/// dz = g*dp - g * sum(g*dp)/sum(g) with g = p^(2-alpha) on the support: the alpha-entmax
/// Jacobian-vector product (g is parked in dz between the two passes).
template <class T>
inline void entmaxBackwardRow(const T* p, const T* dp, T* dz, int64_t d, double alpha) {
    const T e = static_cast<T>(2.0 - alpha);
    double sg = 0, sgdp = 0;
    for (int64_t j = 0; j < d; ++j) {
        const T g = p[j] > T(0) ? std::pow(p[j], e) : T(0);
        dz[j] = g;
        sg += static_cast<double>(g);
        sgdp += static_cast<double>(g * dp[j]);
    }
    const T m = static_cast<T>(sg > 0 ? sgdp / sg : 0.0);
    for (int64_t j = 0; j < d; ++j) dz[j] = dz[j] * (dp[j] - m);
}

/// p = softmax(z) for one row.
template <class T>
inline void softmaxRow(const T* z, T* p, int64_t d) {
    T mx = z[0];
    for (int64_t j = 1; j < d; ++j) mx = std::max(mx, z[j]);
    T sum = 0;
    for (int64_t j = 0; j < d; ++j) {
        p[j] = std::exp(z[j] - mx);
        sum += p[j];
    }
    for (int64_t j = 0; j < d; ++j) p[j] /= sum;
}

/// dz = p * (dp - sum(p*dp)): the softmax Jacobian-vector product.
template <class T>
inline void softmaxBackwardRow(const T* p, const T* dp, T* dz, int64_t d) {
    T s = 0;
    for (int64_t j = 0; j < d; ++j) s += p[j] * dp[j];
    for (int64_t j = 0; j < d; ++j) dz[j] = p[j] * (dp[j] - s);
}

}  // namespace mlad::model::detail
