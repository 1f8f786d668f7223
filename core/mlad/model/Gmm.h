#pragma once
// DAGMM-style Gaussian mixture on the estimation network's sample representation (MODEL.md §4).
//
// All arithmetic runs in float64 (float32 covariances of nearly collinear features are not
// positive definite often enough to matter); results are cast back to the input's dtype. Every
// function is differentiable w.r.t. z and gamma and works on CPU and CUDA.
//
// Empty components: with entmax memberships a component can receive sum_i gamma_ik = 0 in a
// batch. Such a component gets phi = 0, mu = 0, Sigma = 0; gmmEnergy treats it as absent (weight
// exactly 0, no NaN in values or gradients) and covariancePenalty skips it.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace mlad::model {

struct GmmParams {
    torch::Tensor phi;    ///< [K] mixture weights (sum to 1 when every row of gamma does)
    torch::Tensor mu;     ///< [K,D] means
    torch::Tensor sigma;  ///< [K,D,D] covariances (biased, weighted by gamma)
};

/// phi_k = mean_i gamma_ik, mu_k = sum_i gamma_ik z_i / sum_i gamma_ik,
/// Sigma_k = sum_i gamma_ik (z_i - mu_k)(z_i - mu_k)^T / sum_i gamma_ik.
/// z: [N,D], gamma: [N,K], N >= 1. Throws std::invalid_argument on bad shapes.
GmmParams gmmEstimate(const torch::Tensor& z, const torch::Tensor& gamma);

/// Per-sample energy [N]: E(z) = -log sum_k phi_k N(z; mu_k, Sigma_k + eps I), via Cholesky
/// factors (log|S| = 2 sum log diag L, Mahalanobis term by a triangular solve) and log-sum-exp.
/// If a factorisation fails (matrix not numerically positive definite) the jitter is raised
/// tenfold, up to 1e6 * eps, before giving up with std::runtime_error. Result in z's dtype;
/// +inf for every sample when all phi are 0.
torch::Tensor gmmEnergy(const torch::Tensor& z, const GmmParams& p, double eps = 1e-6);

/// A mixture of k full-covariance components fitted to z [N,D] by expectation maximisation (no
/// memberships network): k-means++ seeding from `seed`, at most 200 iterations, until the
/// log-likelihood changes by less than 1e-7 relative. eps is added to every covariance's
/// diagonal (and stays in the returned sigma). k is capped at N. logLikelihood receives the
/// training log-likelihood. float64 params on z's device.
GmmParams fitGmmByEm(const torch::Tensor& z, int64_t k, uint64_t seed, double eps = 1e-6,
                     double* logLikelihood = nullptr);

struct GmmSelection {
    GmmParams params;         ///< the chosen mixture (components entries)
    int64_t components = 0;   ///< the k with the lowest BIC
    std::vector<double> bic;  ///< BIC of k = 1, 2, ...
};
/// fitGmmByEm for k = 1..maxComponents; keeps the lowest BIC = -2 log L + p log N, p = k - 1 +
/// k D + k D (D + 1) / 2: the mixture's capacity follows the amount of data.
GmmSelection selectGmmByBic(const torch::Tensor& z, int64_t maxComponents, uint64_t seed,
                            double eps = 1e-6);

/// DAGMM's P(Sigma) = sum_k sum_j 1 / (Sigma_k,jj + eps) over components with phi_k > 0.
/// eps keeps a zero-variance component (e.g. identical sequences) finite; pass the same eps
/// as to gmmEnergy so that the penalised matrix is the one whose density is evaluated.
/// Result: a scalar in sigma's dtype.
torch::Tensor covariancePenalty(const GmmParams& p, double eps = 1e-6);

/// Streaming re-estimation over a data set too large for one batch: accumulates (in float64,
/// detached, on the device of the first batch) sum gamma, sum gamma (z - c) and
/// sum gamma (z - c)(z - c)^T around a shift c (the first batch's mean, to limit cancellation).
/// finish() equals gmmEstimate on the concatenation of all batches up to rounding.
class GmmAccumulator {
  public:
    /// z: [N,D], gamma: [N,K]; D and K must match earlier batches. N = 0 is a no-op.
    void add(const torch::Tensor& z, const torch::Tensor& gamma);
    /// Params in the dtype of the first z; throws std::logic_error if nothing was added.
    GmmParams finish() const;
    int64_t count() const { return n_; }
    void reset();

  private:
    int64_t n_ = 0;
    torch::Tensor shift_;  ///< [D]
    torch::Tensor s0_;     ///< [K]
    torch::Tensor s1_;     ///< [K,D]
    torch::Tensor s2_;     ///< [K,D,D]
    c10::ScalarType outType_ = torch::kFloat;
};

}  // namespace mlad::model
