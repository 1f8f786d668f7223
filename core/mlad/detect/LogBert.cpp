// LogBERT (Guo et al., IJCNN 2021): a BERT-style encoder over template keys with a [DIST]
// token in front. Training: masked log-key prediction (cross-entropy at randomly masked
// positions) + 0.1 x the volume of hypersphere (VHM) term, the squared distance of the [DIST]
// output to a centre c recomputed from the training data at the start of every epoch. Scoring
// masks every position once (in ceil(1 / mask_ratio) deterministic passes) and counts a miss
// where the true key is not among the top g predictions (a template never seen in training is
// always a miss); the score is the miss ratio. As in the reference, a sequence is anomalous
// when misses > r x masked, with r chosen on validation data only: the (1 - nu) quantile of
// the validation miss ratios (stored with the model).
// Keys are templates by text (seq/Adapters.h).
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "mlad/detect/Builtins.h"
#include "mlad/detect/KeyModels.h"
#include "mlad/train/TorchTrainable.h"

namespace mlad {

namespace {

struct LogBertNetImpl : torch::nn::Module {
    LogBertNetImpl(int64_t vocab, int64_t dModel, int64_t layers, int64_t heads, int64_t dFf,
                   int64_t maxLen, double dropout)
        : vocab_(vocab) {
        // Tokens: the keys 0..vocab-1 (0 pads), then [MASK] and [DIST].
        embed = register_module("embed", torch::nn::Embedding(vocab + 2, dModel));
        pos = register_module("pos", torch::nn::Embedding(maxLen + 1, dModel));
        encoder = register_module("encoder",
                                  torch::nn::TransformerEncoder(
                                      torch::nn::TransformerEncoderLayer(
                                          torch::nn::TransformerEncoderLayerOptions(dModel, heads)
                                              .dim_feedforward(dFf)
                                              .dropout(dropout)),
                                      layers));
        head = register_module("head", torch::nn::Linear(dModel, vocab));
        centre = register_buffer("centre", torch::zeros({dModel}));
        r = register_buffer("threshold_r", torch::zeros({1}, torch::kFloat64));
        g = register_buffer("top_g", torch::zeros({1}, torch::kInt64));
    }
    int64_t maskToken() const { return vocab_; }
    int64_t distToken() const { return vocab_ + 1; }
    /// tokens [B, L] (no [DIST]) -> (key logits [B, L, vocab], [DIST] output [B, dModel]).
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& tokens) {
        const int64_t b = tokens.size(0), l = tokens.size(1);
        const auto dist = torch::full({b, 1}, distToken(), tokens.options());
        const auto all = torch::cat({dist, tokens}, 1);
        const auto positions = torch::arange(l + 1, tokens.options()).unsqueeze(0);
        auto h = embed(all) + pos(positions);
        const auto pad = all.eq(0);
        h = encoder->forward(h.transpose(0, 1), torch::Tensor(), pad).transpose(0, 1);
        return {head(h.narrow(1, 1, l)), h.select(1, 0)};
    }
    int64_t vocab_;
    torch::nn::Embedding embed{nullptr}, pos{nullptr};
    torch::nn::TransformerEncoder encoder{nullptr};
    torch::nn::Linear head{nullptr};
    torch::Tensor centre, r, g;
};
TORCH_MODULE(LogBertNet);

// Key sequences as a padded [N, L] tensor, truncated to maxLen: L is the longest sequence (at
// most maxLen), or `width` when given (a batch of a streamed set is as wide as the whole set
// would be, so that masks draw the same).
torch::Tensor padded(const std::vector<std::vector<int32_t>>& keys, int64_t maxLen,
                     int64_t width = 0) {
    int64_t longest = std::max<int64_t>(1, width);
    if (width <= 0)
        for (const auto& k : keys)
            longest = std::max<int64_t>(longest, std::min<int64_t>(maxLen, k.size()));
    auto t = torch::zeros({int64_t(keys.size()), longest}, torch::kInt64);
    auto a = t.accessor<int64_t, 2>();
    for (size_t i = 0; i < keys.size(); ++i)
        for (int64_t j = 0; j < std::min<int64_t>(maxLen, keys[i].size()); ++j)
            a[long(i)][j] = keys[i][size_t(j)];
    return t;
}

class LogBertDetector final : public Detector, public TorchTrainable {
  public:
    explicit LogBertDetector(Json params) : params_(std::move(params)) {
        batchSize_ = params_.at("batch_size").get<int64_t>();
        maxLen_ = params_.at("max_len").get<int64_t>();
        if (batchSize_ < 1 || maxLen_ < 1)
            throw std::invalid_argument("batch_size and max_len must be at least 1");
    }
    const DetectorInfo& info() const override { return detectorInfo("logbert"); }
    const Json& params() const override { return params_; }
    TorchTrainable* trainable() override { return this; }

    void prepare(const TrainData& data, TaskContext* ctx) override {
        keys_ = data.trainStream
                    ? seq::TemplateKeys::fromTraining(*data.project, *data.trainStream, ctx)
                    : seq::TemplateKeys::fromTraining(*data.project, data.train);
        // top_g 0 = the reference's defaults: 6 candidates for sessions, 15 for windows.
        topG_ = params_.at("top_g").get<int64_t>();
        if (topG_ == 0) topG_ = data.windows ? 15 : 6;
        if (data.trainStream) {
            // Padded keys per batch, as wide as the whole set's.
            const auto rows = [&](std::shared_ptr<const seq::SequenceStream> s) {
                int64_t width = 1;
                for (int64_t n : s->lengths()) width = std::max(width, std::min(maxLen_, n));
                return detail::KeyRows(
                    *data.project, s, keys_,
                    [maxLen = maxLen_, width](const auto& k) { return padded(k, maxLen, width); });
            };
            train_ = rows(data.trainStream);
            val_ = data.valStream && !data.valStream->empty() ? rows(data.valStream) : train_;
        } else {
            train_ = detail::KeyRows(padded(keys_.encode(*data.project, data.train), maxLen_));
            val_ = detail::KeyRows(padded(keys_.encode(*data.project, data.val), maxLen_));
            if (data.val.empty()) val_ = train_;
        }
        device_ = torch::Device(data.device == "cuda" ? torch::kCUDA : torch::kCPU);
    }

    void build(torch::Device device) override {
        device_ = device;
        net_ = LogBertNet(keys_.size(), params_.at("d_model").get<int64_t>(),
                          params_.at("layers").get<int64_t>(), params_.at("heads").get<int64_t>(),
                          params_.at("d_ff").get<int64_t>(), maxLen_,
                          params_.at("dropout").get<double>());
        net_->g.fill_(topG_);
        net_->to(device_);
    }
    torch::nn::Module& module() override { return *net_; }
    int64_t trainSize() const override { return train_.size(); }

    std::vector<torch::Tensor> epochBatches(int64_t batchSize) override {
        // The hypersphere centre: the mean [DIST] output over the training data, in eval mode
        // (no dropout, no randomness), at the start of the epoch; kept in the module's state.
        {
            torch::NoGradGuard ng;
            net_->eval();
            auto sum = torch::zeros_like(net_->centre);
            for (int64_t s = 0; s < train_.size(); s += batchSize) {
                const auto x = train_.range(s, std::min(batchSize, train_.size() - s));
                sum += net_->forward(x.to(device_)).second.sum(0);
            }
            net_->centre.copy_(sum / double(train_.size()));
        }
        return torch::randperm(train_.size(), torch::kInt64).split(batchSize);
    }

    LossTerms trainStep(const torch::Tensor& rows) override {
        const auto x = train_.rows(rows).to(device_);
        const auto valid = x.ne(0);
        auto masked = torch::rand(x.sizes(), torch::TensorOptions().device(device_))
                          .lt(params_.at("mask_ratio").get<double>())
                          .logical_and(valid);
        return loss(x, masked);
    }

    double validationLoss(int64_t batchSize, bool) override {
        double sum = 0;
        for (int64_t s = 0; s < val_.size(); s += batchSize) {
            const int64_t n = std::min(batchSize, val_.size() - s);
            const auto x = val_.range(s, n).to(device_);
            // Deterministic masks: every ceil(1/ratio)-th position, offset by the row.
            sum += loss(x, fixedMask(x, 0))[0].second.item<double>() * double(n);
        }
        return sum / double(val_.size());
    }

    std::vector<double> score(Project& project, const seq::EventSequences& seqs,
                              TaskContext* ctx) override {
        return missRatios(detail::KeyRows(padded(keys_.encode(project, seqs), maxLen_)), ctx);
    }

    /// r: the (1 - nu) quantile of the validation miss ratios; a sequence is anomalous when
    /// its ratio is above r (the reference's misses > r x masked: strictly, so that a
    /// validation set without misses does not flag every sequence).
    void finishTraining(int64_t) override {
        auto v = missRatios(val_, nullptr);
        r_ = 0;
        if (v.empty()) {
            net_->r.fill_(r_);
            return;
        }
        std::sort(v.begin(), v.end());
        const double q = 1.0 - params_.at("nu").get<double>();
        const double pos = q * double(v.size() - 1);
        const size_t lo = size_t(std::floor(pos));
        const size_t hi = std::min(v.size() - 1, lo + 1);
        r_ = v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
        net_->r.fill_(r_);
    }
    std::optional<OwnThreshold> ownThreshold() const override {
        char rule[128];
        std::snprintf(rule, sizeof rule,
                      "miss ratio (top %lld) above r = %.4g (the validation %g %% quantile)",
                      static_cast<long long>(topG_), r_,
                      100.0 * (1.0 - params_.at("nu").get<double>()));
        return OwnThreshold{std::nextafter(r_, 2.0), rule};
    }

  private:
    std::vector<double> missRatios(const detail::KeyRows& all, TaskContext* ctx) {
        std::vector<double> out(size_t(all.size()), 0.0);
        torch::NoGradGuard ng;
        net_->eval();
        const int64_t g = std::min<int64_t>(topG_, keys_.size());
        const int64_t passes = passCount();
        for (int64_t s = 0; s < all.size(); s += batchSize_) {
            if (ctx) ctx->checkCancelled();
            const int64_t n = std::min(batchSize_, all.size() - s);
            const auto x = all.range(s, n).to(device_);
            auto misses = torch::zeros({n}, torch::kFloat64).to(device_);
            for (int64_t p = 0; p < passes; ++p) {
                const auto mask = fixedMask(x, p);
                const auto logits = net_->forward(x.masked_fill(mask, net_->maskToken())).first;
                const auto top = std::get<1>(logits.topk(g, 2));
                const auto hit = top.eq(x.unsqueeze(2)).any(2);
                const auto miss = hit.logical_not()
                                      .logical_or(x.eq(seq::TemplateKeys::kUnknown))
                                      .logical_and(mask);
                misses += miss.sum(1).to(torch::kFloat64);
            }
            const auto ratio = (misses / x.ne(0).sum(1).clamp_min(1).to(torch::kFloat64))
                                   .to(torch::kCPU)
                                   .contiguous();
            std::copy(ratio.data_ptr<double>(), ratio.data_ptr<double>() + n, out.begin() + s);
        }
        return out;
    }

  public:
    void save(const std::string& path) override { detail::saveWithVocabulary(*net_, keys_, path); }
    void load(Project&, const std::string& path, const std::string&) override {
        torch::serialize::InputArchive ar;
        keys_ = detail::openWithVocabulary(ar, path);
        build(torch::kCPU);
        net_->load(ar);
        net_->eval();
        r_ = net_->r.item<double>();
        topG_ = net_->g.item<int64_t>();
    }

  private:
    int64_t passCount() const {
        return std::max<int64_t>(
            1, int64_t(std::ceil(1.0 / params_.at("mask_ratio").get<double>() - 1e-9)));
    }
    // Positions j with (j + row) % passes == pass, among the valid ones.
    torch::Tensor fixedMask(const torch::Tensor& x, int64_t pass) const {
        const int64_t passes = passCount();
        const auto j = torch::arange(x.size(1), x.options()).unsqueeze(0);
        const auto r = torch::arange(x.size(0), x.options()).unsqueeze(1);
        return (j + r).remainder(passes).eq(pass).logical_and(x.ne(0));
    }
    LossTerms loss(const torch::Tensor& x, const torch::Tensor& masked) {
        const auto [logits, dist] = net_->forward(x.masked_fill(masked, net_->maskToken()));
        torch::Tensor mlkp;
        if (masked.any().item<bool>())
            mlkp = torch::nn::functional::cross_entropy(logits.index({masked}), x.index({masked}));
        else
            mlkp = logits.sum() * 0.0;
        const auto vhm = (dist - net_->centre).pow(2).sum(1).mean();
        const auto total = mlkp + params_.at("lambda_vhm").get<double>() * vhm;
        return {{"loss", total}, {"mlkp", mlkp}, {"vhm", vhm}};
    }

    Json params_;
    int64_t batchSize_ = 32, maxLen_ = 128;
    seq::TemplateKeys keys_;
    detail::KeyRows train_, val_;
    torch::Device device_{torch::kCPU};
    LogBertNet net_{nullptr};
    double r_ = 0;
    int64_t topG_ = 6;
};

}  // namespace

std::vector<std::pair<DetectorInfo, DetectorFactory>> logBertDetectors() {
    using P = ParamSpec;
    DetectorInfo info;
    info.id = "logbert";
    info.displayName = "LogBERT";
    info.description =
        "BERT-style encoder over template keys with a [DIST] token (Guo et al., IJCNN'21): "
        "masked log-key prediction + 0.1 x hypersphere distance. Score: the share of masked "
        "keys outside the top g predictions; threshold r on validation data.";
    info.scoreName = "miss ratio";
    info.iterative = true;
    info.streams = true;
    info.params = joinParams(
        {{
             P::integer("d_model", 64, 2, 4096, "model", "encoder width (divisible by --heads)"),
             P::integer("layers", 2, 1, 24, "model", "encoder layers"),
             P::integer("heads", 4, 1, 64, "model", "attention heads"),
             P::integer("d_ff", 128, 1, 65536, "model", "feed-forward width"),
             P::integer("max_len", 128, 1, 100000, "model",
                        "longer sequences keep their first keys"),
             P::real("dropout", 0.1, 0.0, 0.9, "model", "dropout"),
             P::real("mask_ratio", 0.3, 0.01, 1.0, "model", "share of keys masked in training"),
             P::integer("top_g", 0, 0, 100000, "model",
                        "a masked key outside the top g predictions is a miss (0 = the reference's "
                        "defaults: 6 for sessions, 15 for windows of lines)"),
             P::real("lambda_vhm", 0.1, 0.0, 1e6, "model", "weight of the hypersphere term"),
         },
         params::torchTraining(30, 32, 1e-3, 5),
         params::threshold()});
    info.check = [](const Json& v) {
        const int64_t d = v.at("d_model").get<int64_t>(), h = v.at("heads").get<int64_t>();
        if (d % h != 0)
            throw std::invalid_argument("--d-model " + std::to_string(d) +
                                        " is not divisible by --heads " + std::to_string(h));
    };
    return detail::single(std::move(info), [](const Json& params) -> std::unique_ptr<Detector> {
        return std::make_unique<LogBertDetector>(params);
    });
}

}  // namespace mlad
