// DAGMM (Zong et al., ICLR 2018) on template count vectors: a compression network (an
// autoencoder over log(1 + count), standardised on the training data) gives a low-dimensional
// code plus two reconstruction features (relative Euclidean distance, cosine similarity); an
// estimation network gives mixture memberships; the loss is reconstruction MSE + lambda_energy
// x sample energy + lambda_cov x P(Sigma). The Gaussian mixture is MLAD's (model/Gmm.h), and, as
// for MLAD, it is re-estimated over the whole training set after training; the score is the
// sample energy under it. Count columns: keys by template text (seq/Adapters.h), column 0 counts
// templates never seen in training.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "mlad/detect/Builtins.h"
#include "mlad/detect/KeyModels.h"
#include "mlad/model/Gmm.h"
#include "mlad/train/TorchTrainable.h"

namespace mlad {

namespace {

struct DagmmOut {
    torch::Tensor recon, z, gamma;
};

struct DagmmNetImpl : torch::nn::Module {
    DagmmNetImpl(int64_t in, int64_t hidden, int64_t latent, int64_t components, double dropout)
        : dropout_(dropout) {
        const int64_t h2 = std::max<int64_t>(hidden / 2, latent);
        enc1 = register_module("enc1", torch::nn::Linear(in, hidden));
        enc2 = register_module("enc2", torch::nn::Linear(hidden, h2));
        enc3 = register_module("enc3", torch::nn::Linear(h2, latent));
        dec1 = register_module("dec1", torch::nn::Linear(latent, h2));
        dec2 = register_module("dec2", torch::nn::Linear(h2, hidden));
        dec3 = register_module("dec3", torch::nn::Linear(hidden, in));
        est1 = register_module("est1", torch::nn::Linear(latent + 2, 10));
        est2 = register_module("est2", torch::nn::Linear(10, components));
        const int64_t d = latent + 2;
        phi = register_buffer("gmm_phi", torch::zeros({components}, torch::kFloat64));
        mu = register_buffer("gmm_mu", torch::zeros({components, d}, torch::kFloat64));
        sigma = register_buffer("gmm_sigma", torch::zeros({components, d, d}, torch::kFloat64));
        mean = register_buffer("input_mean", torch::zeros({in}));
        scale = register_buffer("input_scale", torch::ones({in}));
    }
    DagmmOut forward(const torch::Tensor& counts) {
        const auto x = (counts.log1p() - mean) / scale;
        const auto c = enc3(torch::tanh(enc2(torch::tanh(enc1(x)))));
        const auto r = dec3(torch::tanh(dec2(torch::tanh(dec1(c)))));
        const double tiny = 1e-9;
        const auto rel = (x - r).norm(2, 1) / (x.norm(2, 1) + tiny);
        const auto cos = torch::nn::functional::cosine_similarity(
            x, r, torch::nn::functional::CosineSimilarityFuncOptions().dim(1).eps(tiny));
        DagmmOut out;
        out.recon = r;
        out.z = torch::cat({c, rel.unsqueeze(1), cos.unsqueeze(1)}, 1);
        auto h = torch::tanh(est1(out.z));
        h = torch::dropout(h, dropout_, is_training());
        out.gamma = torch::softmax(est2(h), 1);
        return out;
    }
    torch::Tensor standardised(const torch::Tensor& counts) const {
        return (counts.log1p() - mean) / scale;
    }
    double dropout_;
    torch::nn::Linear enc1{nullptr}, enc2{nullptr}, enc3{nullptr}, dec1{nullptr}, dec2{nullptr},
        dec3{nullptr}, est1{nullptr}, est2{nullptr};
    torch::Tensor phi, mu, sigma, mean, scale;
};
TORCH_MODULE(DagmmNet);

class DagmmDetector final : public Detector, public TorchTrainable {
  public:
    explicit DagmmDetector(Json params) : params_(std::move(params)) {
        batchSize_ = params_.at("batch_size").get<int64_t>();
        if (batchSize_ < 1) throw std::invalid_argument("batch_size must be at least 1");
    }
    const DetectorInfo& info() const override { return detectorInfo("dagmm"); }
    const Json& params() const override { return params_; }
    TorchTrainable* trainable() override { return this; }

    void prepare(const TrainData& data, TaskContext* ctx) override {
        if (data.trainStream) {
            // Count vectors per batch: a split of many sequences times a wide vocabulary would
            // not fit whole.
            keys_ = seq::TemplateKeys::fromTraining(*data.project, *data.trainStream, ctx);
            const auto make = [n = keys_.size()](const std::vector<std::vector<int32_t>>& k) {
                return countTensor(k, n);
            };
            train_ = detail::KeyRows(*data.project, data.trainStream, keys_, make);
            val_ = data.valStream ? detail::KeyRows(*data.project, data.valStream, keys_, make)
                                  : detail::KeyRows();
        } else {
            keys_ = seq::TemplateKeys::fromTraining(*data.project, data.train);
            train_ = detail::KeyRows(counts(*data.project, data.train));
            val_ = detail::KeyRows(counts(*data.project, data.val));
        }
        device_ = torch::Device(data.device == "cuda" ? torch::kCUDA : torch::kCPU);
    }

    void build(torch::Device device) override {
        device_ = device;
        net_ =
            DagmmNet(keys_.size() - 1, params_.at("hidden").get<int64_t>(),
                     params_.at("latent").get<int64_t>(), params_.at("components").get<int64_t>(),
                     params_.at("dropout").get<double>());
        // Standardisation of log(1 + count), from the training data, a batch at a time; a
        // column that never varies in training keeps scale 1, so a template never seen there
        // still stands out.
        if (train_.size() > 0) {
            auto sum = torch::zeros({keys_.size() - 1}, torch::kDouble), sq = sum.clone();
            for (int64_t s = 0; s < train_.size(); s += batchSize_) {
                const auto l = train_.range(s, std::min(batchSize_, train_.size() - s))
                                   .log1p()
                                   .to(torch::kDouble);
                sum += l.sum(0);
                sq += l.pow(2).sum(0);
            }
            const auto mean = sum / double(train_.size());
            const auto var = (sq / double(train_.size()) - mean.pow(2)).clamp_min(0.0);
            net_->mean.copy_(mean.to(torch::kFloat32));
            net_->scale.copy_(var.sqrt().clamp_min(1.0).to(torch::kFloat32));
        }
        net_->to(device_);
    }
    torch::nn::Module& module() override { return *net_; }
    int64_t trainSize() const override { return train_.size(); }
    std::vector<torch::Tensor> epochBatches(int64_t batchSize) override {
        return torch::randperm(train_.size(), torch::kInt64).split(batchSize);
    }
    LossTerms trainStep(const torch::Tensor& rows) override {
        return loss(train_.rows(rows).to(device_));
    }
    double validationLoss(int64_t batchSize, bool) override {
        const detail::KeyRows& v = val_.size() ? val_ : train_;
        double sum = 0;
        for (int64_t s = 0; s < v.size(); s += batchSize) {
            const int64_t n = std::min(batchSize, v.size() - s);
            sum += loss(v.range(s, n).to(device_))[0].second.item<double>() * double(n);
        }
        return sum / double(v.size());
    }
    void finishTraining(int64_t batchSize) override {
        torch::NoGradGuard ng;
        model::GmmAccumulator acc;
        for (int64_t s = 0; s < train_.size(); s += batchSize) {
            const auto out =
                net_->forward(train_.range(s, std::min(batchSize, train_.size() - s)).to(device_));
            acc.add(out.z.to(torch::kDouble), out.gamma.to(torch::kDouble));
        }
        const auto g = acc.finish();
        net_->phi.copy_(g.phi.to(torch::kDouble));
        net_->mu.copy_(g.mu.to(torch::kDouble));
        net_->sigma.copy_(g.sigma.to(torch::kDouble));
    }

    std::vector<double> score(Project& project, const seq::EventSequences& seqs,
                              TaskContext* ctx) override {
        const auto x = counts(project, seqs);
        std::vector<double> out;
        out.reserve(size_t(x.size(0)));
        torch::NoGradGuard ng;
        net_->eval();
        const model::GmmParams g{net_->phi, net_->mu, net_->sigma};
        for (int64_t s = 0; s < x.size(0); s += batchSize_) {
            if (ctx) ctx->checkCancelled();
            const auto o =
                net_->forward(x.narrow(0, s, std::min(batchSize_, x.size(0) - s)).to(device_));
            const auto e =
                model::gmmEnergy(o.z.to(torch::kDouble), g, covEps()).to(torch::kCPU).contiguous();
            out.insert(out.end(), e.data_ptr<double>(), e.data_ptr<double>() + e.numel());
        }
        return out;
    }

    void save(const std::string& path) override { detail::saveWithVocabulary(*net_, keys_, path); }
    void load(Project&, const std::string& path, const std::string&) override {
        torch::serialize::InputArchive ar;
        keys_ = detail::openWithVocabulary(ar, path);
        train_ = detail::KeyRows();
        build(torch::kCPU);
        net_->load(ar);
        net_->eval();
    }

  private:
    double covEps() const { return params_.at("cov_eps").get<double>(); }

    LossTerms loss(const torch::Tensor& x) {
        const auto out = net_->forward(x);
        const auto mse = (net_->standardised(x) - out.recon).pow(2).mean();
        const auto g = model::gmmEstimate(out.z.to(torch::kDouble), out.gamma.to(torch::kDouble));
        const auto energy = model::gmmEnergy(out.z.to(torch::kDouble), g, covEps()).mean();
        const auto cov = model::covariancePenalty(g, covEps());
        const auto total = mse.to(torch::kDouble) +
                           params_.at("lambda_energy").get<double>() * energy +
                           params_.at("lambda_cov").get<double>() * cov;
        return {{"loss", total}, {"mse", mse}, {"energy", energy}, {"cov", cov}};
    }

    static torch::Tensor countTensor(const std::vector<std::vector<int32_t>>& keys, int32_t n) {
        auto c = seq::countVectors(keys, n);
        if (c.rows == 0) return torch::zeros({0, n - 1});
        return torch::from_blob(c.values.data(), {c.rows, c.cols}, torch::kFloat32).clone();
    }
    torch::Tensor counts(Project& project, const seq::EventSequences& seqs) const {
        return countTensor(keys_.encode(project, seqs), keys_.size());
    }

    Json params_;
    int64_t batchSize_ = 1024;
    seq::TemplateKeys keys_;
    detail::KeyRows train_, val_;
    torch::Device device_{torch::kCPU};
    DagmmNet net_{nullptr};
};

}  // namespace

std::vector<std::pair<DetectorInfo, DetectorFactory>> dagmmDetectors() {
    using P = ParamSpec;
    DetectorInfo info;
    info.id = "dagmm";
    info.displayName = "DAGMM";
    info.description =
        "Deep autoencoding Gaussian mixture model (Zong et al., ICLR'18) on template count "
        "vectors, with MLAD's Gaussian-mixture energy (re-estimated over the training set). "
        "Score: the sample energy.";
    info.scoreName = "energy";
    info.iterative = true;
    info.streams = true;
    info.params = joinParams(
        {{
             P::integer("hidden", 60, 2, 65536, "model", "width of the first autoencoder layer"),
             P::integer("latent", 1, 1, 1024, "model", "code width (the paper: 1)"),
             P::integer("components", 4, 1, 64, "model", "GMM components"),
             P::real("dropout", 0.5, 0.0, 0.9, "model", "dropout in the estimation network"),
             P::real("lambda_energy", 0.1, 0.0, 1e6, "model", "weight of the sample energy"),
             P::real("lambda_cov", 0.005, -1e6, 1e6, "model", "weight of the covariance penalty"),
             P::real("cov_eps", 1e-6, 0.0, 1.0, "model", "diagonal added to each covariance"),
         },
         params::torchTraining(50, 1024, 1e-4, 10),
         params::threshold()});
    return detail::single(std::move(info), [](const Json& params) -> std::unique_ptr<Detector> {
        return std::make_unique<DagmmDetector>(params);
    });
}

}  // namespace mlad
