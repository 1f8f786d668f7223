#pragma once
// Row kernels shared by the entmax functions and the fused attention (CPU, float/double).
// One row of length d at a time; callers parallelise over rows.
#include <algorithm>
#include <cmath>
#include <cstdint>

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
