#include "mlad/model/Gmm.h"

#include "mlad/model/Shard.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

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

Tensor gmmEnergy(const Tensor& z, const GmmParams& p, double eps) {
    if (!z.defined() || z.dim() != 2) throw std::invalid_argument("gmmEnergy: z must be [N,D]");
    if (!z.is_floating_point()) throw std::invalid_argument("gmmEnergy: z must be floating point");
    checkParams(p, z.size(1), "gmmEnergy");
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
            throw std::runtime_error(
                "gmmEnergy: covariance not positive definite even with "
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
    const Tensor energy = -torch::logsumexp(logPhi.unsqueeze(1) + logN, 0);  // [N]
    return energy.to(z.scalar_type());
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
