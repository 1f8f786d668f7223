#include "mlad/model/Gmm.h"

#include "mlad/model/Shard.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlad::model {

namespace {

using torch::Tensor;

constexpr double kLog2Pi = 1.8378770664093454836;  // log(2 pi)

Tensor asDouble(const Tensor& t) {
    return t.to(torch::kDouble);
}

Tensor asDoubleOn(const Tensor& t, const torch::Device& device) {
    return t.to(device, torch::kDouble);
}

/// Denominator that is 1 where s == 0, so that empty components give 0 instead of 0/0 and
/// no NaN reaches the gradient of the other components.
Tensor safeDenominator(const Tensor& s) {
    return torch::where(s > 0, s, torch::ones_like(s));
}

void checkInputs(const Tensor& z, const Tensor& gamma, const char* who) {
    const std::string w(who);
    if (!z.defined() || !gamma.defined()) throw std::invalid_argument(w + ": undefined tensor");
    if (z.dim() != 2 || gamma.dim() != 2)
        throw std::invalid_argument(w + ": z must be [N,D] and gamma [N,K]");
    if (z.size(0) != gamma.size(0)) throw std::invalid_argument(w + ": z and gamma disagree on N");
    if (!z.is_floating_point() || !gamma.is_floating_point())
        throw std::invalid_argument(w + ": z and gamma must be floating point");
}

void checkParams(const GmmParams& p, int64_t d, const char* who) {
    const std::string w(who);
    if (!p.phi.defined() || !p.mu.defined() || !p.sigma.defined())
        throw std::invalid_argument(w + ": GMM parameters are undefined");
    const int64_t k = p.phi.numel();
    if (p.phi.dim() != 1 || p.mu.dim() != 2 || p.sigma.dim() != 3 || p.mu.size(0) != k ||
        p.sigma.size(0) != k || p.sigma.size(1) != p.sigma.size(2) ||
        p.mu.size(1) != p.sigma.size(1))
        throw std::invalid_argument(w + ": expected phi [K], mu [K,D], sigma [K,D,D]");
    if (d >= 0 && p.mu.size(1) != d)
        throw std::invalid_argument(w + ": z has D=" + std::to_string(d) +
                                    " but the GMM has D=" + std::to_string(p.mu.size(1)));
}

Tensor symmetrise(const Tensor& s) {
    return 0.5 * (s + s.transpose(1, 2));
}

}  // namespace

GmmParams gmmEstimate(const Tensor& z, const Tensor& gamma) {
    checkInputs(z, gamma, "gmmEstimate");
    const int64_t n = z.size(0);
    if (n == 0) throw std::invalid_argument("gmmEstimate: no samples");
    const auto outType = z.scalar_type();
    const Tensor zd = asDouble(z);
    const Tensor gd = asDoubleOn(gamma, z.device());

    if (activeShard() != nullptr) {
        // A data-parallel rank holds part of the batch: the mixture is the whole batch's, from
        // statistics summed over the ranks (sum gamma and sum gamma z, then the scatter around
        // the global means), differentiably (model/Shard.h).
        const int64_t k = gd.size(1), d = zd.size(1);
        const Tensor first = allReduceSum(torch::cat({gd.sum(0), gd.t().mm(zd).reshape({-1})}));
        const Tensor sumG = first.narrow(0, 0, k);
        const Tensor denom = safeDenominator(sumG);
        const Tensor mu = first.narrow(0, k, k * d).view({k, d}) / denom.unsqueeze(1);
        const double total =
            allReduceSumNoGrad(torch::tensor({double(n)}, torch::kDouble)).item<double>();
        const Tensor diff = zd.unsqueeze(0) - mu.unsqueeze(1);
        const Tensor scatter =
            allReduceSum((gd.t().unsqueeze(2) * diff).transpose(1, 2).matmul(diff));
        const Tensor sigma = symmetrise(scatter / denom.view({-1, 1, 1}));
        return {(sumG / total).to(outType), mu.to(outType), sigma.to(outType)};
    }
    const Tensor sumG = gd.sum(0);                          // [K]
    const Tensor denom = safeDenominator(sumG);             // [K]
    const Tensor phi = sumG / static_cast<double>(n);       // [K]
    const Tensor mu = gd.t().mm(zd) / denom.unsqueeze(1);   // [K,D]
    const Tensor diff = zd.unsqueeze(0) - mu.unsqueeze(1);  // [K,N,D]
    const Tensor weighted = gd.t().unsqueeze(2) * diff;     // [K,N,D]
    const Tensor sigma =
        symmetrise(weighted.transpose(1, 2).matmul(diff) / denom.view({-1, 1, 1}));  // [K,D,D]
    return {phi.to(outType), mu.to(outType), sigma.to(outType)};
}

namespace {

// log(phi_k N(z_i; mu_k, Sigma_k + eps I)) as [K,N] in float64 on z's device: -inf for empty
// components. Cholesky factors with jitter raised tenfold on failure (see gmmEnergy).
Tensor componentLogDensity(const Tensor& z, const GmmParams& p, double eps, const char* what) {
    if (!z.defined() || z.dim() != 2)
        throw std::invalid_argument(std::string(what) + ": z must be [N,D]");
    if (!z.is_floating_point())
        throw std::invalid_argument(std::string(what) + ": z must be floating point");
    checkParams(p, z.size(1), what);
    const auto device = z.device();
    const Tensor zd = asDouble(z);
    const Tensor phi = asDoubleOn(p.phi, device);
    const Tensor mu = asDoubleOn(p.mu, device);
    const Tensor sigma = asDoubleOn(p.sigma, device);
    const int64_t d = mu.size(1);

    const Tensor eye = torch::eye(d, zd.options());
    // Factorisation failure is rare (Sigma is PSD by construction); checking costs one sync.
    Tensor chol;
    double jitter = eps;
    for (int attempt = 0;; ++attempt) {
        auto res = torch::linalg_cholesky_ex(sigma + jitter * eye);
        if (!std::get<1>(res).ne(0).any().item<bool>()) {
            chol = std::get<0>(res);
            break;
        }
        if (attempt >= 6)
            throw std::runtime_error(std::string(what) +
                                     ": covariance not positive definite even with "
                                     "jitter " +
                                     std::to_string(jitter));
        jitter = jitter > 0 ? jitter * 10 : 1e-12;
    }

    const Tensor logDet = 2 * chol.diagonal(0, -2, -1).log().sum(-1);  // [K]
    const Tensor diff = zd.t().unsqueeze(0) - mu.unsqueeze(2);         // [K,D,N]
    const Tensor y = torch::linalg_solve_triangular(chol, diff, /*upper=*/false);
    const Tensor maha = y.pow(2).sum(1);  // [K,N]
    const Tensor logN = -0.5 * (maha + logDet.unsqueeze(1) + static_cast<double>(d) * kLog2Pi);

    // log phi with -inf for empty components, built so that its gradient is never 0 * inf.
    const Tensor live = phi > 0;
    const Tensor logPhi =
        torch::where(live, torch::where(live, phi, torch::ones_like(phi)).log(),
                     torch::full_like(phi, -std::numeric_limits<double>::infinity()));
    return logPhi.unsqueeze(1) + logN;
}

}  // namespace

Tensor gmmEnergy(const Tensor& z, const GmmParams& p, double eps) {
    const Tensor energy = -torch::logsumexp(componentLogDensity(z, p, eps, "gmmEnergy"), 0);
    return energy.to(z.scalar_type());
}

GmmParams fitGmmByEm(const Tensor& z, int64_t k, uint64_t seed, double eps, double* logLikelihood) {
    if (!z.defined() || z.dim() != 2 || z.size(0) < 1)
        throw std::invalid_argument("fitGmmByEm: z must be [N,D] with N >= 1");
    if (k < 1) throw std::invalid_argument("fitGmmByEm: k must be at least 1");
    torch::NoGradGuard noGrad;
    const Tensor zd = asDouble(z.detach());
    const int64_t n = zd.size(0), d = zd.size(1);
    k = std::min(k, n);
    // k-means++ seeding (a seeded generator of our own: the result does not depend on torch's
    // global random state), then one hard assignment as the first E-step.
    std::mt19937_64 rng(seed);
    const Tensor zc = zd.to(torch::kCPU).contiguous();
    std::vector<int64_t> centres = {int64_t(std::uniform_int_distribution<int64_t>(0, n - 1)(rng))};
    Tensor nearest = (zc - zc[centres[0]]).pow(2).sum(1);
    while (int64_t(centres.size()) < k) {
        const Tensor w = nearest.contiguous();
        const double* pw = w.data_ptr<double>();
        const double total = w.sum().item<double>();
        int64_t pick = int64_t(std::uniform_int_distribution<int64_t>(0, n - 1)(rng));
        if (total > 0) {
            double u = std::uniform_real_distribution<double>(0.0, total)(rng);
            for (int64_t i = 0; i < n; ++i) {
                u -= pw[i];
                if (u <= 0) {
                    pick = i;
                    break;
                }
            }
        }
        centres.push_back(pick);
        nearest = torch::minimum(nearest, (zc - zc[pick]).pow(2).sum(1));
    }
    const Tensor c = zd.index_select(0, torch::tensor(centres, torch::kLong).to(zd.device()));
    const Tensor dist = (zd.unsqueeze(1) - c.unsqueeze(0)).pow(2).sum(2);  // [N,K]
    Tensor resp = torch::one_hot(dist.argmin(1), k).to(torch::kDouble);
    GmmParams g;
    double previous = -std::numeric_limits<double>::infinity(), ll = previous;
    const Tensor ridge = eps * torch::eye(d, zd.options());
    for (int iter = 0; iter < 200; ++iter) {
        g = gmmEstimate(zd, resp);
        g.sigma = g.sigma + ridge;  // keeps a component of identical points non-singular
        const Tensor logP = componentLogDensity(zd, g, 0.0, "fitGmmByEm");  // [K,N]
        const Tensor logSum = torch::logsumexp(logP, 0);                    // [N]
        ll = logSum.sum().item<double>();
        resp = (logP - logSum.unsqueeze(0)).exp().t();
        if (std::abs(ll - previous) <= 1e-7 * std::max(1.0, std::abs(ll))) break;
        previous = ll;
    }
    if (logLikelihood) *logLikelihood = ll;
    return g;
}

GmmSelection selectGmmByBic(const Tensor& z, int64_t maxComponents, uint64_t seed, double eps) {
    if (!z.defined() || z.dim() != 2 || z.size(0) < 1)
        throw std::invalid_argument("selectGmmByBic: z must be [N,D] with N >= 1");
    const int64_t n = z.size(0), d = z.size(1);
    GmmSelection out;
    double best = std::numeric_limits<double>::infinity();
    for (int64_t k = 1; k <= std::min(maxComponents, n); ++k) {
        double ll = 0;
        GmmParams g = fitGmmByEm(z, k, seed + uint64_t(k), eps, &ll);
        // Free parameters: k - 1 weights, k means, k symmetric covariances.
        const double params = double(k - 1) + double(k * d) + double(k * d * (d + 1) / 2);
        const double bic = -2.0 * ll + params * std::log(double(n));
        out.bic.push_back(bic);
        if (std::isfinite(bic) && bic < best) {
            best = bic;
            out.components = k;
            out.params = g;
        }
    }
    if (out.components == 0) throw std::runtime_error("selectGmmByBic: no finite fit");
    return out;
}

Tensor covariancePenalty(const GmmParams& p, double eps) {
    checkParams(p, -1, "covariancePenalty");
    const Tensor sigma = asDouble(p.sigma);
    const Tensor live = asDoubleOn(p.phi, sigma.device()).gt(0).unsqueeze(1);  // [K,1]
    const Tensor diag = sigma.diagonal(0, -2, -1) + eps;                       // [K,D]
    // Dead components get denominator 1 and weight 0 (a masked 1/0 would poison the gradient).
    const Tensor inv = 1.0 / torch::where(live, diag, torch::ones_like(diag));
    const Tensor total = torch::where(live, inv, torch::zeros_like(inv)).sum();
    return total.to(p.sigma.scalar_type());
}

void GmmAccumulator::add(const Tensor& z, const Tensor& gamma) {
    checkInputs(z, gamma, "GmmAccumulator::add");
    if (z.size(0) == 0) return;
    torch::NoGradGuard noGrad;
    if (n_ == 0) {
        outType_ = z.scalar_type();
        const Tensor zd = asDouble(z.detach());
        const int64_t k = gamma.size(1), d = z.size(1);
        shift_ = zd.mean(0);
        s0_ = torch::zeros({k}, zd.options());
        s1_ = torch::zeros({k, d}, zd.options());
        s2_ = torch::zeros({k, d, d}, zd.options());
    } else if (z.size(1) != s1_.size(1) || gamma.size(1) != s0_.size(0)) {
        throw std::invalid_argument("GmmAccumulator::add: D or K differs from earlier batches");
    }
    const auto device = s0_.device();
    const Tensor zc = asDoubleOn(z.detach(), device) - shift_;  // [N,D]
    const Tensor gd = asDoubleOn(gamma.detach(), device);       // [N,K]
    s0_ += gd.sum(0);
    s1_ += gd.t().mm(zc);
    s2_ += (gd.t().unsqueeze(2) * zc.unsqueeze(0)).transpose(1, 2).matmul(zc);
    n_ += z.size(0);
}

GmmParams GmmAccumulator::finish() const {
    if (n_ == 0) throw std::logic_error("GmmAccumulator::finish: no samples were added");
    torch::NoGradGuard noGrad;
    const Tensor live = s0_ > 0;
    const Tensor denom = safeDenominator(s0_);
    const Tensor phi = s0_ / static_cast<double>(n_);
    const Tensor muC = s1_ / denom.unsqueeze(1);  // mean relative to the shift
    const Tensor mu = torch::where(live.unsqueeze(1), muC + shift_, torch::zeros_like(muC));
    const Tensor sigma =
        symmetrise(s2_ / denom.view({-1, 1, 1}) - muC.unsqueeze(2) * muC.unsqueeze(1));
    return {phi.to(outType_), mu.to(outType_), sigma.to(outType_)};
}

void GmmAccumulator::reset() {
    n_ = 0;
    shift_ = s0_ = s1_ = s2_ = Tensor();
    outType_ = torch::kFloat;
}

}  // namespace mlad::model
