#pragma once
// MLAD: Transformer encoder with alpha-entmax attention + DAGMM-style estimation network
// (MODEL.md §3-6).
//
// Decisions the paper leaves open (each one configurable or documented here):
//   - Reconstruction target (MladConfig::recon). Masked (default): in training a random
//     floor(maskRatio * l + 1/2) (at least 1) of the l non-padded positions of each sequence are
//     replaced by a learned mask vector and only those positions enter the MSE. Full: nothing is
//     masked and every non-padded position enters the MSE (the "identical shortcut" mode).
//   - Deterministic masked scoring (forward with train = false, score(), loss on validation
//     data): P = ceil(1 / maskRatio) passes; pass p masks the non-padded positions whose rank
//     among the non-padded positions is = p (mod P). Every position is masked exactly once; its
//     reconstruction comes from the pass that masked it. The sequence representation is the mean
//     of the passes' pooled encoder outputs, over the passes that masked at least one position of
//     that sequence (training also always masks at least one). The P passes run as one batch of
//     P*B sequences.
//   - Reconstruction-error features (sequence level) and reconError are computed over
//     MladOutput::maskedPositions only: the masked positions in masked training, all non-padded
//     positions otherwise. relative distance = ||x - r|| / ||x||, cosine = <x, r>/(||x|| ||r||),
//     both over the flattened [positions x dIn] block, with 1e-12 added under every square root
//     (a sequence with nothing to compare gets finite values and finite gradients).
//   - Memberships gamma = entmax(MLP(z), alpha) use the same alpha as the attention.
//   - P(Sigma) is evaluated on Sigma + covEps I and skips empty components (Gmm.h); its weight
//     lambdaCov may be negative (the paper's sign), the default +0.005 is DAGMM's.
//   - No dropout on the attention weights themselves (rows of lastAttention() sum to 1).
//   - Padded input positions are zeroed before the encoder, and padded keys are masked with
//     kMaskValue, so the content of padded positions cannot influence any output.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "mlad/model/Entmax.h"
#include "mlad/model/Gmm.h"

namespace mlad::model {

struct MladConfig {
    int64_t dIn = 100, dModel = 100, nLayers = 2, nHeads = 4, dFf = 256, maxLen = 512, dZ = 16,
            nComponents = 5, estHidden = 10;
    double dropout = 0.1, alpha = 1.5, maskRatio = 0.3, lambdaEnergy = 0.1, lambdaCov = 0.005,
           covEps = 1e-6;
    bool preNorm = false;
    enum class Recon { Masked, Full } recon = Recon::Masked;
    bool useGmm = true;
    /// Per-sequence features given with the input and appended to z (the estimation network's
    /// input), e.g. template rarity in the training split; 0 = none (the paper's z).
    int64_t nExtra = 0;
    /// The GMM terms of the loss train the estimation network only: z enters them detached, so
    /// the encoder learns from reconstruction alone and cannot shrink its representation to
    /// lower the energy.
    bool detachGmm = false;
    /// The latent part of z is layer-normalised (no learned scale): a scale the energy cannot
    /// shrink.
    bool latentNorm = false;
    /// One-sided reconstruction features in eval mode: the relative distance is raised to at
    /// least, and the cosine lowered to at most, bounds fitted on the training set
    /// (setReconBounds, e.g. their medians). A sequence reconstructed better than typical then
    /// looks typical to the GMM instead of improbable: the density is two-sided, anomaly is not.
    bool oneSidedRecon = false;
    /// The reconstruction features enter z detached: the GMM terms of the loss (energy and
    /// P(Sigma)) cannot reshape the reconstruction to make its error features more probable or
    /// more spread; the reconstruction learns from the MSE term alone, the latent from both.
    bool detachReconFeatures = false;

    /// Width of the estimation network's input z: dZ + relative distance + cosine similarity +
    /// the extra features.
    int64_t zDim() const { return dZ + 2 + nExtra; }
    /// Number of deterministic masking passes at scoring time (1 in Full mode).
    int64_t scoringPasses() const;
    /// Throws std::invalid_argument on an unusable configuration.
    void validate() const;
};

struct MladOutput {
    torch::Tensor recon;            ///< [B,L,dIn] reconstruction (0 at padded positions)
    torch::Tensor z;                ///< [B,zDim] estimation-network input
    torch::Tensor gamma;            ///< [B,K] mixture memberships (rows sum to 1)
    torch::Tensor reconError;       ///< [B] mean squared error over maskedPositions
    torch::Tensor maskedPositions;  ///< [B,L] bool: positions whose reconstruction counts
};

/// One Transformer block: entmax self-attention + CELU feed-forward, post- or pre-LayerNorm.
class EncoderLayerImpl : public torch::nn::Module {
  public:
    explicit EncoderLayerImpl(const MladConfig& cfg);
    /// h: [B,L,dModel], padMask: [B,L] bool (true = padding). When attn is not null it receives
    /// the detached attention weights [B,H,L,L].
    torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& padMask,
                          torch::Tensor* attn = nullptr);

  private:
    torch::Tensor selfAttention(const torch::Tensor& h, const torch::Tensor& padMask,
                                torch::Tensor* attn);
    torch::Tensor feedForward(const torch::Tensor& h);
    torch::Tensor drop(const torch::Tensor& x);

    int64_t nHeads_, dHead_;
    double alpha_, dropout_;
    bool preNorm_;
    torch::nn::Linear qkv_{nullptr}, out_{nullptr}, ff1_{nullptr}, ff2_{nullptr};
    torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
};
TORCH_MODULE(EncoderLayer);

class MladImpl : public torch::nn::Module {
  public:
    explicit MladImpl(const MladConfig& cfg = MladConfig());

    /// x: [B,L,dIn] floating point (cast to the parameters' dtype), padMask: [B,L] (true =
    /// padding; undefined = no padding). train = true draws a random mask (Masked mode);
    /// train = false uses the deterministic scheme above. Dropout follows is_training().
    /// extra: [B,nExtra] per-sequence features appended to z (undefined when nExtra = 0).
    MladOutput forward(const torch::Tensor& x, const torch::Tensor& padMask, bool train,
                       const torch::Tensor& extra = {});

    struct LossParts {
        torch::Tensor total, mse, energy, cov;  ///< scalars in the parameters' dtype
    };
    /// mse over out.maskedPositions; with useGmm: batch GMM (gmmEstimate in float64) on
    /// out.z/out.gamma, energy = mean sample energy, cov = P(Sigma),
    /// total = mse + lambdaEnergy * energy + lambdaCov * cov. Without: total = mse, energy and
    /// cov are 0.
    LossParts loss(const MladOutput& out, const torch::Tensor& x, const torch::Tensor& padMask);

    /// [B] float64 anomaly scores (higher = more anomalous): sample energy under the stored GMM,
    /// or reconError when useGmm is false. Runs under NoGradGuard in eval mode (the previous
    /// mode is restored). Throws std::logic_error if useGmm and no GMM was set.
    torch::Tensor score(const torch::Tensor& x, const torch::Tensor& padMask,
                        const torch::Tensor& extra = {});

    /// Adds the eval-mode (deterministic) z and gamma of one batch to a re-estimation over the
    /// training set; afterwards setGmm(acc.finish()).
    void accumulateGmm(GmmAccumulator& acc, const torch::Tensor& x, const torch::Tensor& padMask,
                       const torch::Tensor& extra = {});

    /// Stored GMM (registered float64 buffers, saved with the module). setGmm checks the shapes
    /// ([K], [K,zDim], [K,zDim,zDim]) and copies.
    void setGmm(const GmmParams& params);
    GmmParams gmm() const;
    bool gmmFitted() const;

    /// With oneSidedRecon: the bounds applied to z's reconstruction features in eval mode
    /// (a registered float64 buffer, saved with the module; neutral until set: 0 and 1).
    void setReconBounds(double relFloor, double cosCeiling);
    /// [B,2] float64 (relative distance, cosine) of the deterministic eval-mode pass, before
    /// any bounds: what the bounds are fitted on.
    torch::Tensor reconFeatures(const torch::Tensor& x, const torch::Tensor& padMask,
                                const torch::Tensor& extra = {});

    /// When on, every forward keeps the detached attention weights of each layer: [B,H,L,L]
    /// per layer (for the deterministic masked passes: their mean, rows still sum to 1).
    void setKeepAttention(bool on) { keepAttention_ = on; }
    bool keepAttention() const { return keepAttention_; }
    const std::vector<torch::Tensor>& lastAttention() const { return lastAttention_; }

    /// Attention of every layer ([B,H,L,L] each) for the unmasked sequences, eval mode, no grad:
    /// what the workbench draws as heatmaps.
    std::vector<torch::Tensor> attentionMaps(const torch::Tensor& x, const torch::Tensor& padMask);

    const MladConfig& config() const { return cfg_; }

  private:
    struct Encoded {
        torch::Tensor hidden;  ///< [B,L,dModel]
        torch::Tensor recon;   ///< [B,L,dIn]
        std::vector<torch::Tensor> attn;
    };
    Encoded encode(const torch::Tensor& xIn, const torch::Tensor& pad, bool keepAttn);
    torch::Tensor prepareInput(const torch::Tensor& x) const;
    torch::Tensor preparePad(const torch::Tensor& x, const torch::Tensor& padMask) const;
    torch::Tensor randomMask(const torch::Tensor& valid) const;
    MladOutput head(const torch::Tensor& xc, const torch::Tensor& recon,
                    const torch::Tensor& positions, const torch::Tensor& pooled,
                    const torch::Tensor& extra);

    MladConfig cfg_;
    torch::nn::Linear inProj_{nullptr}, outProj_{nullptr}, zProj_{nullptr}, est1_{nullptr},
        est2_{nullptr};
    torch::nn::Embedding pos_{nullptr};
    torch::nn::LayerNorm finalNorm_{nullptr};  ///< pre-norm only
    std::vector<EncoderLayer> layers_;
    torch::Tensor maskToken_;
    torch::Tensor gmmPhi_, gmmMu_, gmmSigma_, gmmFitted_;
    torch::Tensor reconBounds_;  ///< [2] float64, oneSidedRecon only
    bool boundsOff_ = false;
    bool keepAttention_ = false;
    std::vector<torch::Tensor> lastAttention_;
};
TORCH_MODULE(Mlad);

/// Training augmentation for templates never seen before (issue 13). x: [B,L,D] template
/// vectors, idx: [B,L] int64 template rows (0 = padding, < tableRows). Each distinct template of
/// a sequence is, with probability p, replaced in all its positions by one random vector drawn
/// from N(mean, diag(spread^2)) ([D] each); padding stays. Which positions share a template is
/// kept, what the template is, is not: the model must reconstruct such a position from the
/// template's other occurrences, as it must for a template a later period brings. Draws from
/// torch's generator (a pool of 256 vectors per call: two templates may rarely share one).
torch::Tensor newTemplateAugment(const torch::Tensor& x, const torch::Tensor& idx, double p,
                                 int64_t tableRows, const torch::Tensor& mean,
                                 const torch::Tensor& spread);

}  // namespace mlad::model
