// MLAD behind the Detector interface: a Transformer with alpha-entmax attention over template
// vectors, with a Gaussian-mixture energy (model/Mlad.h), trained in epochs by the run manager.
// Two registry entries: "mlad" (the workbench's defaults) and "mlad-paper" (the published
// settings, for the paper's Table II), both with the ablations w/o-entmax and w/o-gmm.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "mlad/detect/Builtins.h"
#include "mlad/embed/TemplateVectors.h"
#include "mlad/model/Mlad.h"
#include "mlad/model/Shard.h"
#include "mlad/train/Amp.h"
#include "mlad/train/TorchTrainable.h"
#include "mlad/util/AtomicFile.h"

namespace mlad {

namespace {

ParamList mladParams(double dropout, bool workbenchDefaults) {
    (void)workbenchDefaults;
    using P = ParamSpec;
    // clang-format off
    ParamList p = {
        P::text("ablation", "none", "none|w/o-entmax|w/o-gmm", "model", "ablation: w/o-entmax (softmax attention) or w/o-gmm (scored by reconstruction error)"),
        P::real("alpha", 1.5, 1.0, 2.0, "model", "entmax alpha: 1 = softmax, 1.5 = exact 1.5-entmax, 2 = sparsemax"),
        P::integer("d_model", 100, 1, 4096, "model", "Transformer width (divisible by --heads)"),
        P::integer("layers", 2, 1, 48, "model", "encoder layers"),
        P::integer("heads", 4, 1, 64, "model", "attention heads per layer"),
        P::integer("d_ff", 256, 1, 65536, "model", "feed-forward width"),
        P::integer("d_z", 16, 0, 1024, "model", "width of the latent representation the GMM sees beside the reconstruction features (0 = none)"),
        P::integer("components", 5, 1, 64, "model", "GMM components"),
        P::integer("max_len", 128, 1, 100000, "model", "longer sequences keep their first max-len events"),
        P::real("dropout", dropout, 0.0, 0.9, "model", "dropout probability"),
        P::real("mask_ratio", 0.3, 0.01, 1.0, "model", "share of positions masked for reconstruction"),
        P::text("recon", "masked", "masked|full", "model", "masked reconstruction, or full (the identical-shortcut mode)"),
        P::real("lambda_energy", 0.1, 0.0, 1e6, "model", "weight of the GMM energy in the loss"),
        P::real("lambda_cov", 0.005, -1e6, 1e6, "model", "weight of the covariance penalty (the paper writes -0.005; negative rewards singular covariances)"),
        P::real("cov_eps", 1e-6, 0.0, 1.0, "model", "diagonal added to each GMM covariance"),
        P::flag("rarity_channel", false, "model", "adds template rarity in the training split to the GMM's input: the share of positions whose template is unseen there and their mean -log frequency (training sequences count leave-one-out)"),
        P::flag("diversity_channel", false, "model", "adds the sequence's share of distinct templates to the GMM's input"),
        P::flag("detach_gmm", false, "model", "the GMM terms of the loss train the estimation network only; the encoder learns from reconstruction alone (its representation cannot shrink to lower the energy)"),
        P::flag("latent_norm", false, "model", "layer-normalises the latent part of the GMM's input (no learned scale), so that the energy cannot be lowered by shrinking it"),
        P::flag("detach_recon_features", false, "model", "the reconstruction-error features enter the GMM detached: the energy and covariance terms cannot reshape the reconstruction (it learns from the MSE alone; the latent from both)"),
        P::flag("one_sided_recon", false, "model", "scores with one-sided reconstruction features: a sequence reconstructed better than the training median (relative distance below it, cosine above it) counts as at the median, so that being unusually predictable is not scored as improbable"),
        P::text("unseen_vectors", "embedder", "embedder|shared", "model", "templates the training part never held: their embedder vectors, or one shared vector for all of them (the mean of the training templates' vectors)"),
        P::text("components_by", "network", "network|bic", "model", "the stored mixture after training: the estimation network's memberships with --components components, or a mixture refitted by EM on the training set's z with 1..--components components, the count with the lowest BIC (capacity follows the amount of data)"),
        P::real("novel_templates", 0.0, 0.0, 1.0, "model", "training augmentation: each template of a training sequence is, with this probability, replaced in all its positions by a random vector (from the training templates' per-dimension mean and spread), as a template never seen before would be: the model learns to reconstruct a template from its other occurrences rather than from its identity, and the stored mixture covers windows that hold new templates (0 = off)"),
        P::real("cov_shrinkage", 0.0, 0.0, 1.0, "model", "shrinks each stored GMM covariance toward its mean variance times I (0 = off, 1 = spherical)"),
        P::text("stop_on", "loss", "loss|energy|mse", "optimisation", "early stopping on the validation loss, on the validation sequences' mean energy under the GMM re-estimated on the training set each epoch, or on the validation reconstruction error alone (steady on small validation sets, where a batch mixture's energy swings)"),
    };
    // clang-format on
    return joinParams({p, params::torchTraining(), params::templateVectors(), params::threshold()});
}

void checkMlad(const Json& v) {
    const int64_t d = v.at("d_model").get<int64_t>(), h = v.at("heads").get<int64_t>();
    if (d % h != 0)
        throw std::invalid_argument("--d-model " + std::to_string(d) +
                                    " is not divisible by --heads " + std::to_string(h));
    if (v.at("embedder").get<std::string>().empty())
        throw std::invalid_argument("--embedder: empty");
}

// Extra per-sequence features appended to z: rarity (2: unseen share, mean -log frequency) and
// diversity (1: distinct-template share). Manifests from before these options have neither.
bool option(const Json& v, const char* key) {
    auto it = v.find(key);
    return it != v.end() && it->is_boolean() && it->get<bool>();
}
int64_t extraFeatureCount(const Json& v) {
    return (option(v, "rarity_channel") ? 2 : 0) + (option(v, "diversity_channel") ? 1 : 0);
}

model::MladConfig modelConfig(const Json& v, int dIn) {
    model::MladConfig m;
    m.dIn = dIn;
    m.dModel = v.at("d_model").get<int64_t>();
    m.nLayers = v.at("layers").get<int64_t>();
    m.nHeads = v.at("heads").get<int64_t>();
    m.dFf = v.at("d_ff").get<int64_t>();
    m.maxLen = v.at("max_len").get<int64_t>();
    m.dZ = v.at("d_z").get<int64_t>();
    m.nComponents = v.at("components").get<int64_t>();
    m.dropout = v.at("dropout").get<double>();
    m.alpha = v.at("alpha").get<double>();
    m.maskRatio = v.at("mask_ratio").get<double>();
    m.lambdaEnergy = v.at("lambda_energy").get<double>();
    m.lambdaCov = v.at("lambda_cov").get<double>();
    m.covEps = v.at("cov_eps").get<double>();
    m.recon =
        v.at("recon") == "full" ? model::MladConfig::Recon::Full : model::MladConfig::Recon::Masked;
    m.nExtra = extraFeatureCount(v);
    m.detachGmm = option(v, "detach_gmm");
    m.latentNorm = option(v, "latent_norm");
    m.oneSidedRecon = option(v, "one_sided_recon");
    m.detachReconFeatures = option(v, "detach_recon_features");
    const std::string ablation = v.at("ablation").get<std::string>();
    if (ablation == "w/o-entmax") m.alpha = 1.0;
    if (ablation == "w/o-gmm") m.useGmm = false;
    m.validate();
    return m;
}

// Template vectors as rows of a table: row 0 = zeros (padding).
struct VectorTable {
    torch::Tensor table;  // [T+1, d]
    std::unordered_map<int64_t, int64_t> row;
};

VectorTable buildTable(const embed::TemplateVectors& tv) {
    VectorTable vt;
    vt.table = torch::zeros({int64_t(tv.byTemplate.size()) + 1, tv.dim}, torch::kFloat32);
    auto acc = vt.table.accessor<float, 2>();
    int64_t r = 1;
    std::vector<int64_t> keys;
    for (const auto& kv : tv.byTemplate) keys.push_back(kv.first);
    std::sort(keys.begin(), keys.end());
    for (int64_t k : keys) {
        const auto& v = tv.byTemplate.at(k);
        for (int d = 0; d < tv.dim; ++d) acc[r][d] = v[size_t(d)];
        vt.row[k] = r++;
    }
    return vt;
}

// Sequences as rows of indices into the vector table, truncated to maxLen: held in memory
// (index, extra), or streamed from the project (stream: the events are read and turned into
// rows per batch, so a large split never sits in memory whole).
struct TemplateCounts;
struct Dataset {
    torch::Tensor index;    // [N, L] int64, 0 = padding; undefined when streamed
    torch::Tensor lengths;  // [N] (at most maxLen)
    torch::Tensor extra;    // [N, nExtra] float32, undefined without extra features or streamed
    std::shared_ptr<const seq::SequenceStream> stream;
    // What a streamed batch is built with (see makeDataset).
    const VectorTable* vt = nullptr;
    const TemplateCounts* counts = nullptr;
    bool diversity = false, leaveOut = false;
    int64_t maxLen = 0;
    int64_t size() const { return lengths.defined() ? lengths.size(0) : 0; }
};

// Template frequencies of the training split, for the rarity channel: occurrences per template
// over the training sequences (their first max_len events, what the model sees).
struct TemplateCounts {
    std::unordered_map<int32_t, int64_t> count;
    int64_t total = 0;
};

void addCounts(TemplateCounts& c, const seq::EventSequences& train, int64_t maxLen) {
    for (const auto& events : train.events) {
        const size_t n = std::min(events.size(), size_t(maxLen));
        for (size_t i = 0; i < n; ++i) ++c.count[events[i]];
        c.total += int64_t(n);
    }
}

TemplateCounts countTemplates(const seq::EventSequences& train, int64_t maxLen) {
    TemplateCounts c;
    addCounts(c, train, maxLen);
    return c;
}

// The extra features of one sequence (its first maxLen events). leaveOut: the sequence is one
// of the training sequences the counts came from, and its own events are taken out of them, so
// that a template only it holds counts as unseen, as it would for a new sequence.
std::vector<float> extraFeatures(const std::vector<int32_t>& events, int64_t maxLen,
                                 const TemplateCounts* counts, bool diversity, bool leaveOut) {
    std::vector<float> f;
    const size_t n = std::min(events.size(), size_t(maxLen));
    std::unordered_map<int32_t, int64_t> own;
    for (size_t i = 0; i < n; ++i) ++own[events[i]];
    if (counts) {
        const int64_t total = counts->total - (leaveOut ? int64_t(n) : 0);
        const double vocab = double(counts->count.size()) + 1.0;
        double unseen = 0, surprise = 0;
        for (size_t i = 0; i < n; ++i) {
            auto it = counts->count.find(events[i]);
            int64_t c = it == counts->count.end() ? 0 : it->second;
            if (leaveOut) c -= own[events[i]];
            unseen += c <= 0;
            // Laplace-smoothed -log frequency: finite for unseen templates.
            surprise -= std::log((double(std::max<int64_t>(c, 0)) + 1.0) /
                                 (double(std::max<int64_t>(total, 0)) + vocab));
        }
        f.push_back(n ? float(unseen / double(n)) : 0.f);
        f.push_back(n ? float(surprise / double(n)) : 0.f);
    }
    if (diversity) f.push_back(n ? float(double(own.size()) / double(n)) : 0.f);
    return f;
}

Dataset makeDataset(const seq::EventSequences& seqs, const VectorTable& vt, int64_t maxLen,
                    const TemplateCounts* counts = nullptr, bool diversity = false,
                    bool leaveOut = false) {
    std::vector<std::vector<int64_t>> rows;
    int64_t longest = 1;
    for (const auto& events : seqs.events) {
        std::vector<int64_t> r;
        for (int32_t t : events) {
            if (int64_t(r.size()) >= maxLen) break;
            auto it = vt.row.find(t);
            if (it == vt.row.end())
                throw std::runtime_error("template " + std::to_string(t) + " has no vector");
            r.push_back(it->second);
        }
        longest = std::max<int64_t>(longest, int64_t(r.size()));
        rows.push_back(std::move(r));
    }
    Dataset ds;
    ds.index = torch::zeros({int64_t(rows.size()), longest}, torch::kInt64);
    ds.lengths = torch::zeros({int64_t(rows.size())}, torch::kInt64);
    auto acc = ds.index.accessor<int64_t, 2>();
    auto lac = ds.lengths.accessor<int64_t, 1>();
    for (size_t i = 0; i < rows.size(); ++i) {
        for (size_t j = 0; j < rows[i].size(); ++j) acc[long(i)][long(j)] = rows[i][j];
        lac[long(i)] = int64_t(rows[i].size());
    }
    const int64_t nExtra = (counts ? 2 : 0) + (diversity ? 1 : 0);
    if (nExtra > 0) {
        ds.extra = torch::zeros({int64_t(rows.size()), nExtra}, torch::kFloat32);
        auto eac = ds.extra.accessor<float, 2>();
        for (size_t i = 0; i < seqs.events.size(); ++i) {
            const auto f = extraFeatures(seqs.events[i], maxLen, counts, diversity, leaveOut);
            for (int64_t k = 0; k < nExtra; ++k) eac[long(i)][k] = f[size_t(k)];
        }
    }
    return ds;
}

struct Batch {
    torch::Tensor x, pad, extra;
    torch::Tensor idx;  // [B,L] rows of the vector table (0 = padding)
};

// A streamed dataset: lengths only; the rows are built per batch from the stream.
Dataset streamedDataset(std::shared_ptr<const seq::SequenceStream> stream, const VectorTable& vt,
                        int64_t maxLen, const TemplateCounts* counts, bool diversity,
                        bool leaveOut) {
    Dataset ds;
    const auto& lengths = stream->lengths();
    ds.lengths = torch::empty({int64_t(lengths.size())}, torch::kInt64);
    int64_t* l = ds.lengths.data_ptr<int64_t>();
    for (size_t i = 0; i < lengths.size(); ++i) l[i] = std::min(lengths[i], maxLen);
    ds.stream = std::move(stream);
    ds.vt = &vt;
    ds.counts = counts;
    ds.diversity = diversity;
    ds.leaveOut = leaveOut;
    ds.maxLen = maxLen;
    return ds;
}

Batch makeBatch(const Dataset& ds, const torch::Tensor& table, const torch::Tensor& rows,
                torch::Device dev) {
    torch::Tensor idx, extra;
    if (ds.stream) {
        const torch::Tensor r = rows.to(torch::kCPU).contiguous();
        seq::EventSequences part;
        part.events = ds.stream->events(r.data_ptr<int64_t>(), size_t(r.numel()));
        const Dataset d =
            makeDataset(part, *ds.vt, ds.maxLen, ds.counts, ds.diversity, ds.leaveOut);
        idx = d.index;
        extra = d.extra;
    } else {
        idx = ds.index.index_select(0, rows);
        if (ds.extra.defined()) extra = ds.extra.index_select(0, rows);
    }
    // A data-parallel rank pads to the global batch's longest sequence, as the single process
    // does (model/Shard.h); the padding changes no value, only where dropout draws.
    int64_t len = model::globalMax(
        std::max<int64_t>(1, ds.lengths.index_select(0, rows).max().item<int64_t>()));
    if (len > idx.size(1)) {
        auto wider = torch::zeros({idx.size(0), len}, torch::kInt64);
        wider.narrow(1, 0, idx.size(1)).copy_(idx);
        idx = wider;
    }
    idx = idx.narrow(1, 0, len).to(dev);
    Batch b;
    b.idx = idx;
    b.pad = idx.eq(0);
    b.x = table.index_select(0, idx.reshape({-1})).reshape({idx.size(0), len, table.size(1)});
    if (extra.defined()) b.extra = extra.to(dev);
    return b;
}

// Shuffled batches of similar length: sessions vary from a few events to hundreds, and a
// batch costs as much as its longest member. Shuffle, sort chunks of 50 batches by length,
// cut them into batches, shuffle the batch order. Uses torch's seeded generator only.
std::vector<torch::Tensor> lengthBuckets(const Dataset& ds, int64_t batchSize) {
    if (batchSize < 1) throw std::invalid_argument("batch size must be at least 1");
    const int64_t n = ds.size();
    auto perm = torch::randperm(n, torch::kInt64);
    auto lengths = ds.lengths.index_select(0, perm);
    std::vector<torch::Tensor> batches;
    const int64_t chunk = batchSize * 50;
    for (int64_t c = 0; c < n; c += chunk) {
        int64_t m = std::min(chunk, n - c);
        auto sorted = std::get<1>(lengths.narrow(0, c, m).sort(0, false));
        auto rows = perm.narrow(0, c, m).index_select(0, sorted);
        for (int64_t b = 0; b < m; b += batchSize)
            batches.push_back(rows.narrow(0, b, std::min(batchSize, m - b)));
    }
    auto shuffle = torch::randperm(int64_t(batches.size()), torch::kInt64);
    std::vector<torch::Tensor> out;
    for (int64_t i = 0; i < shuffle.size(0); ++i)
        out.push_back(batches[size_t(shuffle[i].item<int64_t>())]);
    return out;
}

// Deterministic batches in order of length (GMM re-estimation and scoring).
std::vector<torch::Tensor> sortedBatches(const Dataset& ds, int64_t batchSize) {
    if (batchSize < 1) throw std::invalid_argument("batch size must be at least 1");
    const int64_t n = ds.size();
    std::vector<torch::Tensor> out;
    if (n == 0) return out;
    auto order = std::get<1>(ds.lengths.sort(0, false));
    for (int64_t b = 0; b < n; b += batchSize)
        out.push_back(order.narrow(0, b, std::min(batchSize, n - b)));
    return out;
}

class MladDetector final : public Detector, public TorchTrainable {
  public:
    MladDetector(const DetectorInfo& info, Json params) : info_(info), params_(std::move(params)) {
        // A stored manifest is read without range checks (hostile or from older versions):
        // the values the loops depend on are refused here rather than looping forever.
        batchSize_ = params_.at("batch_size").get<int64_t>();
        if (batchSize_ < 1 || params_.at("max_len").get<int64_t>() < 1)
            throw std::invalid_argument("batch_size and max_len must be at least 1");
    }

    const DetectorInfo& info() const override { return info_; }
    const Json& params() const override { return params_; }
    TorchTrainable* trainable() override { return this; }
    std::string embedder() const override { return embedderId_; }

    void prepare(const TrainData& data, TaskContext* ctx) override {
        auto tv = loadVectors(*data.project, ctx);
        vt_ = buildTable(tv);
        dIn_ = tv.dim;
        const int64_t maxLen = params_.at("max_len").get<int64_t>();
        if (data.trainStream) {
            // One pass over each part: the training counts, and every template has a vector
            // (refused here, not in the middle of an epoch).
            counts_ = TemplateCounts{};
            auto check = [&](const seq::EventSequences& part, size_t) {
                for (const auto& events : part.events)
                    for (int32_t t : events)
                        if (!vt_.row.count(t))
                            throw std::runtime_error("template " + std::to_string(t) +
                                                     " has no vector");
            };
            data.trainStream->forEachChunk(
                kChunk,
                [&](const seq::EventSequences& part, size_t at) {
                    check(part, at);
                    addCounts(counts_, part, maxLen);
                },
                ctx);
            if (data.valStream) data.valStream->forEachChunk(kChunk, check, ctx);
            train_ =
                streamedDataset(data.trainStream, vt_, maxLen, rarityCounts(), diversity(), true);
            val_ = data.valStream ? streamedDataset(data.valStream, vt_, maxLen, rarityCounts(),
                                                    diversity(), false)
                                  : Dataset{};
        } else {
            counts_ = countTemplates(data.train, maxLen);
            train_ = makeDataset(data.train, vt_, maxLen, rarityCounts(), diversity(), true);
            val_ = makeDataset(data.val, vt_, maxLen, rarityCounts(), diversity());
        }
        if (sharedUnseen()) shareUnseenVectors();
        device_ = torch::Device(data.device == "cuda" ? torch::kCUDA : torch::kCPU);
        table_ = vt_.table.to(device_);
    }

    // TorchTrainable -----------------------------------------------------------------------
    void build(torch::Device device) override {
        device_ = device;
        net_ = model::Mlad(modelConfig(params_, dIn_));
        net_->to(device_);
    }
    torch::nn::Module& module() override { return *net_; }
    int64_t trainSize() const override { return train_.size(); }
    std::vector<torch::Tensor> epochBatches(int64_t batchSize) override {
        return lengthBuckets(train_, batchSize);
    }
    bool shardAware() const override { return true; }
    LossTerms trainStep(const torch::Tensor& rows) override {
        Batch bt = trainBatch(rows);
        auto out = net_->forward(bt.x, bt.pad, true, bt.extra);
        auto parts = net_->loss(out, bt.x, bt.pad);
        return {{"loss", parts.total},
                {"mse", parts.mse},
                {"energy", parts.energy},
                {"cov", parts.cov}};
    }
    double validationLoss(int64_t batchSize, bool amp) override {
        const Dataset& vd = val_.size() == 0 ? train_ : val_;
        const int64_t vn = vd.size();
        if (net_->config().useGmm && params_.value("stop_on", "loss") == "energy") {
            // The criterion scoring uses: the held-out normal sequences' mean energy under the
            // mixture of the whole training set (re-estimated here, as after training).
            finishTraining(batchSize);
            torch::NoGradGuard ng;
            double sum = 0;
            for (const auto& rows : sortedBatches(vd, batchSize)) {
                Batch bt = makeBatch(vd, table_, rows, device_);
                sum += net_->score(bt.x, bt.pad, bt.extra).sum().item<double>();
            }
            return sum / double(vn);
        }
        double sum = 0;
        const bool mseOnly = params_.value("stop_on", "loss") == "mse";
        const model::RankGroup* group = model::activeGroup();
        const int world = group ? group->world : 1;
        // Batches in data order, not by length: the loss estimates a GMM per batch, and
        // batches of equal-length sequences would have unrepresentatively small spread.
        for (int64_t s = 0; s < vn; s += batchSize) {
            auto rows = torch::arange(s, std::min<int64_t>(vn, s + batchSize), torch::kInt64);
            // Data-parallel ranks split each batch (their losses are parts of the batch's); a
            // batch smaller than the number of ranks is computed whole by every rank.
            const bool split = rows.size(0) >= world;
            std::optional<model::ShardScope> shard;
            if (split) shard.emplace(rows);
            const torch::Tensor local = split ? shard->rows() : rows;
            Batch bt = makeBatch(vd, table_, local, device_);
            AutocastScope autocast(device_.type(), amp);
            auto out = net_->forward(bt.x, bt.pad, false, bt.extra);
            const auto parts = net_->loss(out, bt.x, bt.pad);
            sum += (mseOnly ? parts.mse : parts.total).item<double>() * double(rows.size(0)) /
                   (split ? 1.0 : double(world));
        }
        if (group) {
            torch::Tensor t = torch::tensor({sum}, torch::kDouble);
            group->allReduceSum(t);
            sum = t.item<double>();
        }
        return sum / double(vn);
    }
    void finishTraining(int64_t batchSize) override {
        // Re-estimate the GMM over the whole training set (not the last batch).
        if (!net_->config().useGmm) return;
        torch::NoGradGuard ng;
        if (net_->config().oneSidedRecon) fitReconBounds(batchSize);
        model::GmmParams g = params_.value("components_by", "network") == "bic"
                                 ? fitGmmByBic(batchSize)
                                 : reestimateGmm(batchSize);
        const double shrink = params_.value("cov_shrinkage", 0.0);
        if (shrink > 0) {
            // Toward the component's mean variance times I (a Ledoit-Wolf style target): keeps
            // a covariance estimated from few sequences away from singular directions.
            const int64_t d = g.sigma.size(1);
            auto target = g.sigma.diagonal(0, 1, 2).mean(1).view({-1, 1, 1}) *
                          torch::eye(d, g.sigma.options()).unsqueeze(0);
            g.sigma = (1.0 - shrink) * g.sigma + shrink * target;
        }
        net_->setGmm(g);
    }

    // Scoring and explaining ----------------------------------------------------------------
    std::vector<double> score(Project& project, const seq::EventSequences& seqs,
                              TaskContext* ctx) override {
        (void)project;
        Dataset d = makeDataset(seqs, vt_, params_.at("max_len").get<int64_t>(), rarityCounts(),
                                diversity());
        std::vector<double> out(size_t(d.size()));
        torch::NoGradGuard ng;
        net_->eval();
        int64_t done = 0;
        for (const auto& rows : sortedBatches(d, batchSize_)) {
            if (ctx) ctx->checkCancelled();
            Batch bt = makeBatch(d, table_, rows, device_);
            auto sc = net_->score(bt.x, bt.pad, bt.extra).to(torch::kCPU).contiguous();
            const double* p = sc.data_ptr<double>();
            const int64_t* r = rows.data_ptr<int64_t>();
            for (int64_t i = 0; i < sc.size(0); ++i) out[size_t(r[i])] = p[i];
            done += sc.size(0);
            if (ctx) {
                Progress pr;
                pr.stage = "scoring";
                pr.done = uint64_t(done);
                pr.total = uint64_t(d.size());
                ctx->report(pr);
            }
        }
        return out;
    }

    Explanation explain(Project& project, const seq::EventSequences& one) override {
        (void)project;
        if (one.size() != 1) throw std::invalid_argument("explain: one sequence at a time");
        Dataset d = makeDataset(one, vt_, params_.at("max_len").get<int64_t>(), rarityCounts(),
                                diversity());
        Batch bt = makeBatch(d, table_, torch::tensor({int64_t(0)}), device_);
        auto maps = net_->attentionMaps(bt.x, bt.pad);
        Explanation e;
        e.layers = int(maps.size());
        e.heads = maps.empty() ? 0 : int(maps[0].size(1));
        e.length = int(bt.x.size(1));
        for (const auto& m : maps) {
            auto c = m.to(torch::kCPU).to(torch::kFloat32).contiguous();
            const float* p = c.data_ptr<float>();
            e.attention.insert(e.attention.end(), p, p + c.numel());
        }
        // Per position: the squared reconstruction error of the deterministic masked passes
        // (each position reconstructed by the pass that masked it), mean over the input
        // dimensions; in full-reconstruction mode, of the unmasked pass.
        torch::NoGradGuard noGrad;
        const bool wasTraining = net_->is_training();
        net_->eval();
        const model::MladOutput out = net_->forward(bt.x, bt.pad, false, bt.extra);
        const torch::Tensor err = (bt.x.to(out.recon.dtype()) - out.recon)
                                      .pow(2)
                                      .mean(-1)
                                      .masked_fill(out.maskedPositions.logical_not(), 0.0)
                                      .to(torch::kCPU, torch::kFloat32)
                                      .contiguous();
        const float* ep = err.data_ptr<float>();
        e.contributions.assign(ep, ep + err.size(1));
        e.contributionName = net_->config().recon == model::MladConfig::Recon::Full
                                 ? "reconstruction error"
                                 : "masked reconstruction error";
        if (net_->config().useGmm && net_->gmmFitted()) {
            const model::GmmParams g = net_->gmm();
            const torch::Tensor z = out.z.to(torch::kFloat64);
            const double eps = params_.at("cov_eps").get<double>();
            for (int64_t k = 0; k < g.phi.size(0); ++k) {
                const model::GmmParams one{g.phi.slice(0, k, k + 1), g.mu.slice(0, k, k + 1),
                                           g.sigma.slice(0, k, k + 1)};
                e.componentEnergies.push_back(
                    model::gmmEnergy(z, one, eps).to(torch::kCPU).item<double>());
                e.componentWeights.push_back(g.phi[k].to(torch::kCPU).item<double>());
            }
        }
        if (wasTraining) net_->train();
        return e;
    }

    std::vector<std::vector<float>> represent(Project& project,
                                              const seq::EventSequences& seqs) override {
        (void)project;
        Dataset d = makeDataset(seqs, vt_, params_.at("max_len").get<int64_t>(), rarityCounts(),
                                diversity());
        std::vector<std::vector<float>> out(size_t(d.size()));
        torch::NoGradGuard ng;
        net_->eval();
        for (const auto& rows : sortedBatches(d, batchSize_)) {
            Batch bt = makeBatch(d, table_, rows, device_);
            auto z = net_->forward(bt.x, bt.pad, false, bt.extra)
                         .z.to(torch::kCPU, torch::kFloat32)
                         .contiguous();
            const int64_t* r = rows.data_ptr<int64_t>();
            for (int64_t i = 0; i < z.size(0); ++i) {
                const float* p = z[i].data_ptr<float>();
                out[size_t(r[i])].assign(p, p + z.size(1));
            }
        }
        return out;
    }

    void save(const std::string& path) override {
        {
            std::ostringstream os;
            torch::save(net_, os);
            writeFileAtomically(path, os.str());
        }
        if (rarityCounts() || sharedUnseen()) {
            // The training split's template counts travel with the model: scoring new logs
            // needs the frequencies (or the set of templates) the model was trained with.
            std::vector<int64_t> ids, counts;
            for (const auto& [t, c] : counts_.count) {
                ids.push_back(t);
                counts.push_back(c);
            }
            std::vector<torch::Tensor> v = {torch::tensor(ids, torch::kInt64),
                                            torch::tensor(counts, torch::kInt64)};
            std::ostringstream os;
            torch::save(v, os);
            writeFileAtomically(countsPath(path), os.str());
        }
    }

    void load(Project& project, const std::string& path, const std::string& embedder) override {
        auto tv = loadVectors(project, nullptr);
        if (embedder != embedderId_ && tv.kind != "corpus")
            throw std::runtime_error("the run was trained with embedder " + embedder + ", now " +
                                     embedderId_);
        vt_ = buildTable(tv);
        // The corpus embedder may have been retrained on new templates since: use the run's
        // own stored vectors where they exist, new templates get the current ones.
        auto colon = embedder.find(':');
        if (colon != std::string::npos) {
            const auto stored =
                project.templateVectorBlobs(embedder.substr(0, colon), embedder.substr(colon + 1));
            auto acc = vt_.table.accessor<float, 2>();
            for (const auto& [templateId, blob] : stored) {
                auto it = vt_.row.find(templateId);
                if (it == vt_.row.end() || blob.size() != size_t(tv.dim) * sizeof(float)) continue;
                std::memcpy(&acc[it->second][0], blob.data(), blob.size());
            }
        }
        dIn_ = tv.dim;
        device_ = torch::Device(torch::kCPU);
        net_ = model::Mlad(modelConfig(params_, dIn_));
        torch::load(net_, path);
        net_->eval();
        counts_ = TemplateCounts{};
        if (rarityCounts() || sharedUnseen()) {
            const std::string cp = countsPath(path);
            std::ifstream probe(cp, std::ios::binary);
            if (!probe)
                throw std::runtime_error("the run's training template counts " + cp +
                                         " are missing (the rarity channel and shared "
                                         "unseen vectors need them)");
            std::vector<torch::Tensor> v;
            torch::load(v, cp);
            if (v.size() != 2 || v[0].numel() != v[1].numel())
                throw std::runtime_error(cp + ": not a template-count file");
            const auto ids = v[0].contiguous(), counts = v[1].contiguous();
            for (int64_t i = 0; i < ids.numel(); ++i) {
                const int64_t c = counts.data_ptr<int64_t>()[i];
                counts_.count[int32_t(ids.data_ptr<int64_t>()[i])] = c;
                counts_.total += c;
            }
        }
        if (sharedUnseen()) shareUnseenVectors();
        table_ = vt_.table;
    }

  private:
    static constexpr size_t kChunk = 4096;  // sequences per read of a streamed pass
    const TemplateCounts* rarityCounts() const {
        return option(params_, "rarity_channel") ? &counts_ : nullptr;
    }
    bool diversity() const { return option(params_, "diversity_channel"); }
    bool sharedUnseen() const { return params_.value("unseen_vectors", "embedder") == "shared"; }
    double novelTemplates() const { return params_.value("novel_templates", 0.0); }

    // A batch of training sequences, with the new-template augmentation when it is on (in
    // training steps and in the fits after training: the mixture and the bounds then cover
    // windows that hold new templates, as a later period's do).
    Batch trainBatch(const torch::Tensor& rows) {
        Batch bt = makeBatch(train_, table_, rows, device_);
        const double p = novelTemplates();
        if (p > 0) {
            if (!novelMean_.defined()) {
                // The training templates' vectors: their per-dimension mean and spread.
                std::vector<int64_t> seen;
                for (const auto& [t, r] : vt_.row)
                    if (counts_.count.count(int32_t(t))) seen.push_back(r);
                const torch::Tensor v = vt_.table.index_select(0, torch::tensor(seen));
                novelMean_ = v.mean(0).to(device_);
                novelSpread_ = (seen.size() > 1 ? v.std(0) : torch::ones({v.size(1)})).to(device_);
            }
            bt.x = model::newTemplateAugment(bt.x, bt.idx, p, table_.size(0), novelMean_,
                                             novelSpread_);
        }
        return bt;
    }

    // Every template the training part never held gets one vector, the mean of the training
    // templates' vectors: new templates look alike to the model instead of each being a new
    // point of the embedder's space.
    void shareUnseenVectors() {
        auto acc = vt_.table.accessor<float, 2>();
        const int64_t d = vt_.table.size(1);
        std::vector<double> mean(size_t(d), 0.0);
        int64_t seen = 0;
        for (const auto& [t, r] : vt_.row)
            if (counts_.count.count(int32_t(t))) {
                for (int64_t j = 0; j < d; ++j) mean[size_t(j)] += acc[r][j];
                ++seen;
            }
        if (seen == 0) return;
        for (const auto& [t, r] : vt_.row)
            if (!counts_.count.count(int32_t(t)))
                for (int64_t j = 0; j < d; ++j) acc[r][j] = float(mean[size_t(j)] / double(seen));
    }

    // The stored mixture with the estimation network's memberships, over the whole training set.
    model::GmmParams reestimateGmm(int64_t batchSize) {
        model::GmmAccumulator acc;
        for (const auto& rows : sortedBatches(train_, batchSize)) {
            Batch bt = trainBatch(rows);
            net_->accumulateGmm(acc, bt.x, bt.pad, bt.extra);
        }
        return acc.finish();
    }

    // The stored mixture refitted by EM on the training set's eval-mode z, its component count
    // chosen by BIC (at most 50,000 sequences, evenly spaced, enter the fit); the components
    // not chosen stay empty (weight 0: absent from the energy).
    model::GmmParams fitGmmByBic(int64_t batchSize) {
        const int64_t n = train_.size(), cap = 50000;
        const int64_t stride = std::max<int64_t>(1, (n + cap - 1) / cap);
        std::vector<torch::Tensor> parts;
        const bool wasTraining = net_->is_training();
        net_->eval();
        for (int64_t s = 0; s < n; s += batchSize * stride) {
            auto rows =
                torch::arange(s, std::min(n, s + batchSize * stride), stride, torch::kInt64);
            Batch bt = trainBatch(rows);
            parts.push_back(net_->forward(bt.x, bt.pad, false, bt.extra).z.to(torch::kDouble));
        }
        net_->train(wasTraining);
        const torch::Tensor z = torch::cat(parts, 0);
        const int64_t k = net_->config().nComponents;
        const auto seed = uint64_t(params_.value("seed", int64_t{1}));
        const model::GmmSelection sel =
            model::selectGmmByBic(z, k, seed, params_.at("cov_eps").get<double>());
        const int64_t d = z.size(1);
        const auto f64 = z.options();
        model::GmmParams g{torch::zeros({k}, f64), torch::zeros({k, d}, f64),
                           torch::eye(d, f64).expand({k, d, d}).clone()};
        g.phi.narrow(0, 0, sel.components).copy_(sel.params.phi);
        g.mu.narrow(0, 0, sel.components).copy_(sel.params.mu);
        g.sigma.narrow(0, 0, sel.components).copy_(sel.params.sigma);
        return g;
    }

    // One-sided reconstruction features: the bounds are the training set's medians of the
    // relative distance and the cosine, from the deterministic scoring passes.
    void fitReconBounds(int64_t batchSize) {
        std::vector<double> rel, cosine;
        rel.reserve(size_t(train_.size()));
        cosine.reserve(size_t(train_.size()));
        for (const auto& rows : sortedBatches(train_, batchSize)) {
            Batch bt = trainBatch(rows);
            const auto f = net_->reconFeatures(bt.x, bt.pad, bt.extra).to(torch::kCPU).contiguous();
            const double* p = f.data_ptr<double>();
            for (int64_t i = 0; i < f.size(0); ++i) {
                rel.push_back(p[2 * i]);
                cosine.push_back(p[2 * i + 1]);
            }
        }
        if (rel.empty()) return;
        auto median = [](std::vector<double>& v) {
            std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
            return v[v.size() / 2];
        };
        net_->setReconBounds(median(rel), median(cosine));
    }
    static std::string countsPath(const std::string& modelPath) { return modelPath + ".counts"; }

    embed::TemplateVectors loadVectors(Project& project, TaskContext* ctx) {
        auto tv = embed::ensureTemplateVectors(project, params_.at("embedder").get<std::string>(),
                                               int(params_.at("embed_dim").get<int64_t>()), ctx);
        embedderId_ = tv.kind + ":" + tv.version;
        return tv;
    }

    const DetectorInfo& info_;
    Json params_;
    int64_t batchSize_ = 512;
    int dIn_ = 0;
    std::string embedderId_;
    VectorTable vt_;
    torch::Tensor table_;
    torch::Tensor novelMean_, novelSpread_;  // novel_templates: the random vectors' law
    Dataset train_, val_;
    TemplateCounts counts_;
    torch::Device device_{torch::kCPU};
    model::Mlad net_{nullptr};
};

DetectorInfo mladInfo(const std::string& id, const std::string& name,
                      const std::string& description, double dropout) {
    DetectorInfo info;
    info.id = id;
    info.displayName = name;
    info.description = description;
    info.scoreName = "energy";
    info.scoreNameFor = [](const Json& v) {
        return v.value("ablation", "none") == "w/o-gmm" ? "reconstruction error" : "energy";
    };
    info.iterative = true;
    info.streams = true;
    info.caps.attention = true;
    info.caps.representation = true;
    info.caps.contributions = true;
    info.caps.componentEnergies = true;  // not for the w/o-gmm ablation (its list stays empty)
    info.params = mladParams(dropout, id == "mlad");
    info.check = checkMlad;
    return info;
}

}  // namespace

std::vector<std::pair<DetectorInfo, DetectorFactory>> mladDetectors() {
    std::vector<std::pair<DetectorInfo, DetectorFactory>> out;
    for (auto info :
         {mladInfo("mlad", "MLAD",
                   "Transformer with alpha-entmax attention over semantic template vectors, "
                   "trained by masked reconstruction; scored by the energy of a Gaussian mixture "
                   "over its sequence representations (docs/MODEL_CARD.md).",
                   0.1),
          mladInfo("mlad-paper", "MLAD (paper settings)",
                   "MLAD exactly as published, for the paper's Table II: d_model 100, 2 layers, "
                   "4 heads, d_ff 256, d_z 16, 5 components, alpha 1.5, dropout 0.5, lambda 0.1 "
                   "and 0.005 (the paper's -0.005 sign is a documented deviation), Adam 1e-3, "
                   "batch 512, 30 epochs.",
                   0.5)}) {
        const std::string id = info.id;
        out.emplace_back(std::move(info), [id](const Json& params) -> std::unique_ptr<Detector> {
            return std::make_unique<MladDetector>(detectorInfo(id), params);
        });
    }
    return out;
}

}  // namespace mlad
