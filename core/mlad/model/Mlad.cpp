#include "mlad/model/Mlad.h"

#include "mlad/model/Shard.h"

#include "mlad/model/Attention.h"
#include "mlad/model/Elementwise.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace mlad::model {

namespace {

using torch::Tensor;
namespace nn = torch::nn;

/// Added under square roots of sums of squares: keeps values and gradients finite at 0.
constexpr double kTiny = 1e-12;

/// Switches a module to eval mode for its lifetime and restores the previous mode.
class EvalGuard {
  public:
    explicit EvalGuard(nn::Module& m) : m_(m), wasTraining_(m.is_training()) { m_.eval(); }
    ~EvalGuard() { m_.train(wasTraining_); }
    EvalGuard(const EvalGuard&) = delete;
    EvalGuard& operator=(const EvalGuard&) = delete;

  private:
    nn::Module& m_;
    bool wasTraining_;
};

/// Mean of h over non-padded positions; 0 for an all-padding sequence.
Tensor poolValid(const Tensor& h, const Tensor& pad) {
    const Tensor count = (~pad).sum(1, /*keepdim=*/true).to(h.scalar_type()).clamp_min(1);
    return h.masked_fill(pad.unsqueeze(-1), 0.0).sum(1) / count;
}

// Linear over the last dimension of a [B,L,d] tensor as one 2-D matrix product. LibTorch
// 1.13's CPU path for 3-D inputs is several times slower than the 2-D GEMM (measured 42 ms vs
// 9 ms for [512,20,100] x [100,300]), and this is the model's hot loop.
Tensor applyLinear(nn::Linear& lin, const Tensor& x) {
    if (x.dim() == 2) return lin(x);
    auto sizes = x.sizes().vec();
    Tensor y = lin(x.reshape({-1, sizes.back()}));
    sizes.back() = y.size(1);
    return y.view(sizes);
}

void require(bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("MladConfig: " + what);
}

}  // namespace

// ---- config ----------------------------------------------------------------------------------

int64_t MladConfig::scoringPasses() const {
    if (recon == Recon::Full) return 1;
    // The epsilon absorbs rounding, e.g. 1/0.25 must give 4 passes, not 5.
    return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(1.0 / maskRatio - 1e-9)));
}

void MladConfig::validate() const {
    require(dIn > 0 && dModel > 0 && nLayers >= 0 && nHeads > 0 && dFf > 0 && maxLen > 0 &&
                dZ >= 0 && nComponents > 0 && estHidden > 0 && nExtra >= 0,
            "sizes must be positive");
    require(dModel % nHeads == 0, "dModel must be divisible by nHeads");
    require(dropout >= 0.0 && dropout < 1.0, "dropout must be in [0, 1)");
    require(alpha >= 1.0, "alpha must be >= 1");
    require(maskRatio > 0.0 && maskRatio <= 1.0, "maskRatio must be in (0, 1]");
    require(covEps >= 0.0, "covEps must be >= 0");
    require(std::isfinite(lambdaEnergy) && std::isfinite(lambdaCov), "lambdas must be finite");
}

// ---- encoder layer ---------------------------------------------------------------------------

EncoderLayerImpl::EncoderLayerImpl(const MladConfig& cfg)
    : nHeads_(cfg.nHeads),
      dHead_(cfg.dModel / cfg.nHeads),
      alpha_(cfg.alpha),
      dropout_(cfg.dropout),
      preNorm_(cfg.preNorm) {
    qkv_ = register_module("qkv", nn::Linear(cfg.dModel, 3 * cfg.dModel));
    out_ = register_module("out", nn::Linear(cfg.dModel, cfg.dModel));
    ff1_ = register_module("ff1", nn::Linear(cfg.dModel, cfg.dFf));
    ff2_ = register_module("ff2", nn::Linear(cfg.dFf, cfg.dModel));
    norm1_ = register_module("norm1", nn::LayerNorm(nn::LayerNormOptions({cfg.dModel})));
    norm2_ = register_module("norm2", nn::LayerNorm(nn::LayerNormOptions({cfg.dModel})));
}

Tensor EncoderLayerImpl::drop(const Tensor& x) {
    return model::dropout(x, dropout_, is_training());
}

Tensor EncoderLayerImpl::selfAttention(const Tensor& h, const Tensor& padMask, Tensor* attn) {
    AttentionResult a = entmaxAttention(applyLinear(qkv_, h), padMask, nHeads_, alpha_);
    if (attn != nullptr) *attn = a.weights;
    return applyLinear(out_, a.context);
}

Tensor EncoderLayerImpl::feedForward(const Tensor& h) {
    return applyLinear(ff2_, drop(model::celu(applyLinear(ff1_, h))));
}

Tensor EncoderLayerImpl::forward(const Tensor& h, const Tensor& padMask, Tensor* attn) {
    if (preNorm_) {
        const Tensor a = h + drop(selfAttention(norm1_(h), padMask, attn));
        return a + drop(feedForward(norm2_(a)));
    }
    const Tensor a = norm1_(h + drop(selfAttention(h, padMask, attn)));
    return norm2_(a + drop(feedForward(a)));
}

// ---- model -----------------------------------------------------------------------------------

MladImpl::MladImpl(const MladConfig& cfg) : cfg_(cfg) {
    cfg_.validate();
    inProj_ = register_module("in_proj", nn::Linear(cfg_.dIn, cfg_.dModel));
    pos_ = register_module("pos", nn::Embedding(cfg_.maxLen, cfg_.dModel));
    for (int64_t i = 0; i < cfg_.nLayers; ++i)
        layers_.push_back(register_module("layer" + std::to_string(i), EncoderLayer(cfg_)));
    if (cfg_.preNorm)
        finalNorm_ =
            register_module("final_norm", nn::LayerNorm(nn::LayerNormOptions({cfg_.dModel})));
    outProj_ = register_module("out_proj", nn::Linear(cfg_.dModel, cfg_.dIn));
    zProj_ = register_module("z_proj", nn::Linear(cfg_.dModel, cfg_.dZ));
    est1_ = register_module("est1", nn::Linear(cfg_.zDim(), cfg_.estHidden));
    est2_ = register_module("est2", nn::Linear(cfg_.estHidden, cfg_.nComponents));
    {
        // BERT-style small initialisation: N(0,1) positions would swamp the projected input.
        torch::NoGradGuard noGrad;
        pos_->weight.normal_(0.0, 0.02);
    }
    maskToken_ = register_parameter("mask_token", torch::randn({cfg_.dIn}) * 0.02);

    const int64_t k = cfg_.nComponents, d = cfg_.zDim();
    const auto f64 = torch::TensorOptions().dtype(torch::kDouble);
    gmmPhi_ = register_buffer("gmm_phi", torch::zeros({k}, f64));
    gmmMu_ = register_buffer("gmm_mu", torch::zeros({k, d}, f64));
    gmmSigma_ = register_buffer("gmm_sigma", torch::eye(d, f64).expand({k, d, d}).clone());
    gmmFitted_ = register_buffer("gmm_fitted", torch::zeros({}, f64));
    if (cfg_.oneSidedRecon)
        reconBounds_ = register_buffer("recon_bounds", torch::tensor({0.0, 1.0}, f64));
}

Tensor MladImpl::prepareInput(const Tensor& x) const {
    if (!x.defined() || x.dim() != 3 || x.size(2) != cfg_.dIn)
        throw std::invalid_argument("Mlad: x must be [B,L," + std::to_string(cfg_.dIn) + "]");
    if (!x.is_floating_point()) throw std::invalid_argument("Mlad: x must be floating point");
    if (x.size(1) > cfg_.maxLen)
        throw std::invalid_argument("Mlad: sequence length " + std::to_string(x.size(1)) +
                                    " exceeds maxLen " + std::to_string(cfg_.maxLen));
    const auto& w = inProj_->weight;
    return x.to(w.device(), w.scalar_type());
}

Tensor MladImpl::preparePad(const Tensor& x, const Tensor& padMask) const {
    const auto opts = torch::TensorOptions().dtype(torch::kBool).device(x.device());
    if (!padMask.defined()) return torch::zeros({x.size(0), x.size(1)}, opts);
    if (padMask.dim() != 2 || padMask.size(0) != x.size(0) || padMask.size(1) != x.size(1))
        throw std::invalid_argument("Mlad: padMask must be [B,L] matching x");
    const Tensor m = padMask.to(x.device());
    return m.scalar_type() == torch::kBool ? m : m.ne(0);
}

Tensor MladImpl::randomMask(const Tensor& valid) const {
    // Rank positions by a uniform key (padding sorts last) and take the first k of each row:
    // exactly floor(ratio * l + 1/2) masked positions, at least one, all on the device.
    // Under a data-parallel shard the keys are drawn for the whole global batch and sliced.
    const Tensor u =
        shardRand(valid.size(0), valid.size(1), torch::TensorOptions().device(valid.device()))
            .masked_fill(~valid, 2.0);
    const Tensor rank = u.argsort(int64_t{1}, false).argsort(int64_t{1}, false);
    const Tensor len = valid.sum(1);
    const Tensor k = torch::minimum(
        (len.to(torch::kDouble) * cfg_.maskRatio + 0.5).floor().clamp_min(1).to(torch::kLong), len);
    return rank.lt(k.unsqueeze(1)).logical_and(valid);
}

MladImpl::Encoded MladImpl::encode(const Tensor& xIn, const Tensor& pad, bool keepAttn) {
    const int64_t l = xIn.size(1);
    const Tensor positions =
        torch::arange(l, torch::TensorOptions().dtype(torch::kLong).device(xIn.device()));
    Tensor h =
        model::dropout(applyLinear(inProj_, xIn) + pos_(positions), cfg_.dropout, is_training());
    Encoded enc;
    for (auto& layer : layers_) {
        Tensor attn;
        h = layer->forward(h, pad, keepAttn ? &attn : nullptr);
        if (keepAttn) enc.attn.push_back(attn);
    }
    if (cfg_.preNorm) h = finalNorm_(h);
    enc.hidden = h;
    enc.recon = applyLinear(outProj_, h);
    return enc;
}

MladOutput MladImpl::head(const Tensor& xc, const Tensor& reconIn, const Tensor& positions,
                          const Tensor& pooled, const Tensor& extra) {
    // Under autocast the output projection gives float16/bfloat16: the error terms below are
    // sums over up to L x dIn squares, kept in the input's (float32) type.
    const Tensor recon = reconIn.to(xc.scalar_type());
    const Tensor off = ~positions.unsqueeze(-1);
    const Tensor xm = xc.masked_fill(off, 0.0);
    const Tensor rm = recon.masked_fill(off, 0.0);
    const Tensor sqErr = (rm - xm).pow(2).sum({1, 2});  // [B]
    const Tensor sx = xm.pow(2).sum({1, 2});
    const Tensor sr = rm.pow(2).sum({1, 2});
    const Tensor dot = (xm * rm).sum({1, 2});
    const Tensor nPos = positions.sum(1).to(xc.scalar_type()).clamp_min(1);

    MladOutput out;
    out.recon = recon;
    out.maskedPositions = positions;
    out.reconError = sqErr / (nPos * static_cast<double>(cfg_.dIn));
    Tensor rel = (sqErr + kTiny).sqrt() / (sx + kTiny).sqrt();
    Tensor cosine = dot / ((sx + kTiny) * (sr + kTiny)).sqrt();
    if (cfg_.oneSidedRecon && !is_training() && !boundsOff_) {
        const Tensor b = reconBounds_.to(rel.device(), rel.scalar_type());
        rel = torch::maximum(rel, b[0]);
        cosine = torch::minimum(cosine, b[1]);
    }
    // Under autocast zProj_ yields float16/bfloat16 while rel and cosine are float32: z (the
    // GMM's input) is kept in the wider type.
    Tensor latent = zProj_(pooled).to(rel.scalar_type());
    if (cfg_.latentNorm && cfg_.dZ > 1) latent = torch::layer_norm(latent, {cfg_.dZ});
    if (cfg_.detachReconFeatures) {
        rel = rel.detach();
        cosine = cosine.detach();
    }
    std::vector<Tensor> parts = {latent, rel.unsqueeze(1), cosine.unsqueeze(1)};
    if (cfg_.nExtra > 0) {
        if (!extra.defined() || extra.dim() != 2 || extra.size(0) != xc.size(0) ||
            extra.size(1) != cfg_.nExtra)
            throw std::invalid_argument("Mlad: expected extra features [B," +
                                        std::to_string(cfg_.nExtra) + "]");
        parts.push_back(extra.to(rel.device(), rel.scalar_type()));
    }
    out.z = torch::cat(parts, 1);
    const Tensor zIn = cfg_.detachGmm ? out.z.detach() : out.z;
    out.gamma = entmax(est2_(model::dropout(torch::tanh(est1_(zIn)), cfg_.dropout, is_training())),
                       cfg_.alpha, -1);
    return out;
}

MladOutput MladImpl::forward(const Tensor& x, const Tensor& padMask, bool train,
                             const Tensor& extra) {
    const Tensor xf = prepareInput(x);
    const Tensor pad = preparePad(xf, padMask);
    const Tensor valid = ~pad;
    const Tensor padCol = pad.unsqueeze(-1);
    const Tensor xc = xf.masked_fill(padCol, 0.0);  // padded content must not leak anywhere
    const int64_t b = xc.size(0);
    lastAttention_.clear();

    if (cfg_.recon == MladConfig::Recon::Full) {
        Encoded enc = encode(xc, pad, keepAttention_);
        if (keepAttention_) lastAttention_ = enc.attn;
        return head(xc, enc.recon.masked_fill(padCol, 0.0), valid, poolValid(enc.hidden, pad),
                    extra);
    }

    if (train) {
        const Tensor masked = randomMask(valid);
        const Tensor xIn = torch::where(masked.unsqueeze(-1), maskToken_, xc);
        Encoded enc = encode(xIn, pad, keepAttention_);
        if (keepAttention_) lastAttention_ = enc.attn;
        return head(xc, enc.recon.masked_fill(padCol, 0.0), masked, poolValid(enc.hidden, pad),
                    extra);
    }

    // Deterministic scheme: pass p masks the valid positions of rank = p (mod P). The passes run
    // one after the other on [B] batches: the same arithmetic as one [P*B] batch at 1/P of the
    // peak memory (blocks over 32 MiB come as fresh pages on every call, measured 20k page
    // faults per scoring call of 512 sequences).
    const int64_t passes = cfg_.scoringPasses();
    const Tensor rankMod = (valid.to(torch::kLong).cumsum(1) - 1).remainder(passes);  // [B,L]
    Tensor recon = torch::zeros_like(xc);
    Tensor pooledSum = torch::zeros({b, cfg_.dModel}, xc.options());
    Tensor count = torch::zeros({b, 1}, xc.options());
    std::vector<Tensor> attnSum;
    for (int64_t p = 0; p < passes; ++p) {
        const Tensor maskCol = valid.logical_and(rankMod == p).unsqueeze(-1);  // [B,L,1]
        Encoded enc = encode(torch::where(maskCol, maskToken_, xc), pad, keepAttention_);
        // Each valid position is masked in exactly one pass: the masked sum picks that pass.
        recon = recon + enc.recon.masked_fill(~maskCol, 0.0);
        // The representation averages the passes that masked at least one position.
        const Tensor w = maskCol.any(1).to(xc.scalar_type());  // [B,1]
        pooledSum = pooledSum + poolValid(enc.hidden, pad) * w;
        count = count + w;
        if (keepAttention_) {
            if (attnSum.empty())
                attnSum = enc.attn;
            else
                for (size_t i = 0; i < attnSum.size(); ++i) attnSum[i] = attnSum[i] + enc.attn[i];
        }
    }
    for (const Tensor& a : attnSum) lastAttention_.push_back(a / static_cast<double>(passes));
    return head(xc, recon, valid, pooledSum / count.clamp_min(1), extra);
}

MladImpl::LossParts MladImpl::loss(const MladOutput& out, const Tensor& x, const Tensor& padMask) {
    const Tensor xf = prepareInput(x);
    const Tensor pad = preparePad(xf, padMask);
    const Tensor xc = xf.masked_fill(pad.unsqueeze(-1), 0.0);
    const Tensor pos = out.maskedPositions.logical_and(~pad);
    const Tensor sq = (out.recon - xc).pow(2).masked_fill(~pos.unsqueeze(-1), 0.0).sum();
    // Data-parallel ranks divide by the global batch's counts, so their parts sum to the loss of
    // the whole batch (model/Shard.h); without a shard the counts are this batch's.
    const Tensor n = allReduceSumNoGrad(pos.sum().to(sq.scalar_type())).clamp_min(1) *
                     static_cast<double>(cfg_.dIn);

    LossParts parts;
    parts.mse = sq / n;
    if (!cfg_.useGmm) {
        parts.energy = torch::zeros({}, parts.mse.options());
        parts.cov = torch::zeros({}, parts.mse.options());
        parts.total = parts.mse;
        return parts;
    }
    const Tensor zd = (cfg_.detachGmm ? out.z.detach() : out.z).to(torch::kDouble);
    const GmmParams batch = gmmEstimate(zd, out.gamma.to(torch::kDouble));
    const auto type = parts.mse.scalar_type();
    const BatchShard* shard = activeShard();
    if (shard == nullptr) {
        parts.energy = gmmEnergy(zd, batch, cfg_.covEps).mean().to(type);
        parts.cov = covariancePenalty(batch, cfg_.covEps).to(type);
    } else {
        // The rank's share: its samples' energies over the global batch size, and 1/world of
        // the penalty (every rank holds the same mixture).
        parts.energy =
            (gmmEnergy(zd, batch, cfg_.covEps).sum() / double(shard->globalRows)).to(type);
        parts.cov = (covariancePenalty(batch, cfg_.covEps) / double(shard->world)).to(type);
    }
    parts.total = parts.mse + cfg_.lambdaEnergy * parts.energy + cfg_.lambdaCov * parts.cov;
    return parts;
}

Tensor MladImpl::score(const Tensor& x, const Tensor& padMask, const Tensor& extra) {
    torch::NoGradGuard noGrad;
    EvalGuard evalGuard(*this);
    if (cfg_.useGmm && !gmmFitted())
        throw std::logic_error("Mlad::score: no GMM stored; call setGmm after re-estimation");
    const MladOutput out = forward(x, padMask, /*train=*/false, extra);
    if (!cfg_.useGmm) return out.reconError.to(torch::kDouble);
    return gmmEnergy(out.z.to(torch::kDouble), gmm(), cfg_.covEps);
}

void MladImpl::accumulateGmm(GmmAccumulator& acc, const Tensor& x, const Tensor& padMask,
                             const Tensor& extra) {
    torch::NoGradGuard noGrad;
    EvalGuard evalGuard(*this);
    const MladOutput out = forward(x, padMask, /*train=*/false, extra);
    // float64 in, so that finish() hands back float64 params with no float32 round trip.
    acc.add(out.z.to(torch::kDouble), out.gamma.to(torch::kDouble));
}

void MladImpl::setGmm(const GmmParams& p) {
    const int64_t k = cfg_.nComponents, d = cfg_.zDim();
    if (!p.phi.defined() || !p.mu.defined() || !p.sigma.defined() ||
        p.phi.sizes() != torch::IntArrayRef({k}) || p.mu.sizes() != torch::IntArrayRef({k, d}) ||
        p.sigma.sizes() != torch::IntArrayRef({k, d, d}))
        throw std::invalid_argument("Mlad::setGmm: expected phi [" + std::to_string(k) +
                                    "], mu [K," + std::to_string(d) + "], sigma [K,D,D]");
    torch::NoGradGuard noGrad;
    gmmPhi_.copy_(p.phi);
    gmmMu_.copy_(p.mu);
    gmmSigma_.copy_(p.sigma);
    gmmFitted_.fill_(1.0);
}

GmmParams MladImpl::gmm() const {
    return {gmmPhi_.clone(), gmmMu_.clone(), gmmSigma_.clone()};
}

bool MladImpl::gmmFitted() const {
    return gmmFitted_.item<double>() != 0.0;
}

void MladImpl::setReconBounds(double relFloor, double cosCeiling) {
    if (!cfg_.oneSidedRecon)
        throw std::logic_error("Mlad::setReconBounds: the model is not one-sided");
    torch::NoGradGuard noGrad;
    reconBounds_[0].fill_(relFloor);
    reconBounds_[1].fill_(cosCeiling);
}

Tensor MladImpl::reconFeatures(const Tensor& x, const Tensor& padMask, const Tensor& extra) {
    torch::NoGradGuard noGrad;
    EvalGuard evalGuard(*this);
    struct BoundsOff {
        bool& off;
        explicit BoundsOff(bool& f) : off(f) { off = true; }
        ~BoundsOff() { off = false; }
    } boundsOff(boundsOff_);
    const MladOutput out = forward(x, padMask, /*train=*/false, extra);
    return out.z.slice(1, cfg_.dZ, cfg_.dZ + 2).to(torch::kDouble);
}

std::vector<Tensor> MladImpl::attentionMaps(const Tensor& x, const Tensor& padMask) {
    torch::NoGradGuard noGrad;
    EvalGuard evalGuard(*this);
    const Tensor xf = prepareInput(x);
    const Tensor pad = preparePad(xf, padMask);
    return encode(xf.masked_fill(pad.unsqueeze(-1), 0.0), pad, /*keepAttn=*/true).attn;
}

Tensor newTemplateAugment(const Tensor& x, const Tensor& idx, double p, int64_t tableRows,
                          const Tensor& mean, const Tensor& spread) {
    if (!x.defined() || x.dim() != 3 || !idx.defined() || idx.dim() != 2 ||
        idx.size(0) != x.size(0) || idx.size(1) != x.size(1))
        throw std::invalid_argument("newTemplateAugment: x [B,L,D] and idx [B,L] expected");
    if (p <= 0) return x;
    constexpr int64_t kPool = 256;
    const int64_t n = x.size(0), len = x.size(1), d = x.size(2);
    const Tensor rows = idx.to(x.device(), torch::kLong);
    const auto l = torch::TensorOptions().dtype(torch::kLong).device(x.device());
    const Tensor chosen = torch::rand({n, tableRows}, x.options().dtype(torch::kFloat))
                              .lt(p)
                              .gather(1, rows)
                              .logical_and(rows.ne(0));  // [B,L]
    const Tensor which = torch::randint(kPool, {n, tableRows}, l).gather(1, rows);
    const Tensor pool =
        torch::randn({kPool, d}, x.options()) * spread.to(x.options()) + mean.to(x.options());
    const Tensor fresh = pool.index_select(0, which.reshape({-1})).reshape({n, len, d});
    return torch::where(chosen.unsqueeze(-1), fresh, x);
}

}  // namespace mlad::model
