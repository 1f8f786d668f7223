// DeepLog (Du et al., CCS'17), its log-key model: an LSTM over the template keys of the last
// `history` events predicts the next key; a sequence is anomalous when a next key falls outside
// the top g candidates (its default threshold: any miss); the graded score is the number of
// misses, so ROC / PR curves and the threshold slider work. Keys are templates by text
// (seq/Adapters.h): a template never seen in training is always a miss.
//
// Input: one-hot keys (the paper), or the key number as one scalar feature ("scalar": what the
// reference implementation, wuyifan18/DeepLog, feeds its LSTM). Windows of sequences shorter
// than the history are left-padded with the padding key, so short sessions are scored too (the
// reference pads them on the right and counts the padding as a miss: windows=reference does
// that, to reproduce its behaviour).
#include <torch/torch.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "mlad/detect/Builtins.h"
#include "mlad/detect/KeyModels.h"
#include "mlad/train/TorchTrainable.h"

namespace mlad {

namespace {

struct DeepLogNetImpl : torch::nn::Module {
    DeepLogNetImpl(int64_t keys, int64_t hidden, int64_t layers, bool oneHot)
        : keys_(keys), oneHot_(oneHot) {
        lstm = register_module("lstm",
                               torch::nn::LSTM(torch::nn::LSTMOptions(oneHot ? keys : 1, hidden)
                                                   .num_layers(layers)
                                                   .batch_first(true)));
        fc = register_module("fc", torch::nn::Linear(hidden, keys));
    }
    /// windows: [B, history] int64 keys -> [B, keys] logits of the next key.
    torch::Tensor forward(const torch::Tensor& windows) {
        const auto x = oneHot_ ? torch::one_hot(windows, keys_).to(torch::kFloat32)
                               : windows.to(torch::kFloat32).unsqueeze(-1);
        const auto out = std::get<0>(lstm->forward(x));
        return fc->forward(out.select(1, out.size(1) - 1));
    }
    int64_t keys_;
    bool oneHot_;
    torch::nn::LSTM lstm{nullptr};
    torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(DeepLogNet);

struct Windows {
    torch::Tensor inputs;   // [N, history] int64
    torch::Tensor targets;  // [N] int64
    std::vector<int64_t> sequenceIndex;
    int64_t size() const { return targets.defined() ? targets.size(0) : 0; }
};

// The reference implementation's windows (wuyifan18/DeepLog): only positions t >= history
// are predicted; for scoring (`padShort`), a sequence shorter than history + 1 is first padded
// on the right with the padding key, and a padding target counts as a miss, so every such
// short sequence is flagged.
seq::NextEventWindows referenceWindows(const std::vector<std::vector<int32_t>>& keys, int history,
                                       bool padShort) {
    seq::NextEventWindows w;
    w.history = history;
    for (size_t s = 0; s < keys.size(); ++s) {
        std::vector<int32_t> k = keys[s];
        if (padShort && k.size() < size_t(history) + 1)
            k.resize(size_t(history) + 1, seq::TemplateKeys::kPad);
        for (size_t t = size_t(history); t < k.size(); ++t) {
            w.inputs.insert(w.inputs.end(), k.begin() + long(t - size_t(history)),
                            k.begin() + long(t));
            w.targets.push_back(k[t]);
            w.sequenceIndex.push_back(int64_t(s));
        }
    }
    return w;
}

Windows makeWindows(const std::vector<std::vector<int32_t>>& keys, int history,
                    bool reference = false, bool padShort = false) {
    const auto w = reference ? referenceWindows(keys, history, padShort)
                             : seq::nextEventWindows(keys, history);
    Windows out;
    const int64_t n = int64_t(w.windows());
    out.inputs = torch::empty({n, history}, torch::kInt64);
    out.targets = torch::empty({n}, torch::kInt64);
    auto in = out.inputs.accessor<int64_t, 2>();
    auto tg = out.targets.accessor<int64_t, 1>();
    for (int64_t i = 0; i < n; ++i) {
        for (int h = 0; h < history; ++h) in[i][h] = w.inputs[size_t(i * history + h)];
        tg[i] = w.targets[size_t(i)];
    }
    out.sequenceIndex = w.sequenceIndex;
    return out;
}

// Training windows, held whole or, for a streamed split, built per batch from the events of
// the sequences they fall in: memory holds 8 bytes a sequence (where each window's
// history x 8 bytes), and the window numbering is that of makeWindows over the whole split.
class WindowRows {
  public:
    WindowRows() = default;
    explicit WindowRows(Windows all) : all_(std::move(all)) {}
    WindowRows(Project& project, std::shared_ptr<const seq::SequenceStream> stream,
               const seq::TemplateKeys& keys, int history, bool reference)
        : stream_(std::move(stream)),
          keyOf_(keys.keysOfTemplates(project)),
          history_(history),
          reference_(reference) {
        offsets_.reserve(stream_->size() + 1);
        offsets_.push_back(0);
        for (int64_t len : stream_->lengths())
            offsets_.push_back(offsets_.back() +
                               std::max<int64_t>(0, reference ? len - history : len - 1));
    }
    int64_t size() const { return stream_ ? offsets_.back() : all_.size(); }
    /// (inputs [n, history], targets [n]) of the windows `rows`.
    std::pair<torch::Tensor, torch::Tensor> rows(const torch::Tensor& rows) const {
        if (!stream_)
            return {all_.inputs.index_select(0, rows), all_.targets.index_select(0, rows)};
        const torch::Tensor r = rows.to(torch::kCPU).contiguous();
        return build(r.data_ptr<int64_t>(), size_t(r.numel()));
    }
    std::pair<torch::Tensor, torch::Tensor> range(int64_t start, int64_t n) const {
        if (!stream_) return {all_.inputs.narrow(0, start, n), all_.targets.narrow(0, start, n)};
        std::vector<int64_t> r(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) r[size_t(i)] = start + i;
        return build(r.data(), r.size());
    }

  private:
    std::pair<torch::Tensor, torch::Tensor> build(const int64_t* w, size_t n) const {
        // The sequence of each window, each sequence read once.
        std::vector<int64_t> seqOf(n), positions;
        std::unordered_map<int64_t, size_t> slot;
        for (size_t i = 0; i < n; ++i) {
            if (w[i] < 0 || w[i] >= size())
                throw std::out_of_range("DeepLog: window " + std::to_string(w[i]) + " of " +
                                        std::to_string(size()));
            seqOf[i] = int64_t(std::upper_bound(offsets_.begin(), offsets_.end(), w[i]) -
                               offsets_.begin()) -
                       1;
            if (slot.emplace(seqOf[i], positions.size()).second) positions.push_back(seqOf[i]);
        }
        const auto events = stream_->events(positions.data(), positions.size());
        auto inputs = torch::empty({int64_t(n), history_}, torch::kInt64);
        auto targets = torch::empty({int64_t(n)}, torch::kInt64);
        auto in = inputs.accessor<int64_t, 2>();
        auto tg = targets.accessor<int64_t, 1>();
        auto key = [&](const std::vector<int32_t>& ev, int64_t t) -> int64_t {
            auto it = keyOf_.find(ev[size_t(t)]);
            return it == keyOf_.end() ? seq::TemplateKeys::kUnknown : it->second;
        };
        for (size_t i = 0; i < n; ++i) {
            const auto& ev = events[slot.at(seqOf[i])];
            const int64_t local = w[i] - offsets_[size_t(seqOf[i])];
            const int64_t t = reference_ ? history_ + local : 1 + local;
            if (t >= int64_t(ev.size()))
                throw std::runtime_error("DeepLog: a sequence changed while training read it");
            for (int h = history_; h >= 1; --h)
                in[long(i)][history_ - h] = t >= h ? key(ev, t - h) : seq::TemplateKeys::kPad;
            tg[long(i)] = key(ev, t);
        }
        return {inputs, targets};
    }

    Windows all_;
    std::shared_ptr<const seq::SequenceStream> stream_;
    std::unordered_map<int32_t, int32_t> keyOf_;
    std::vector<int64_t> offsets_;
    int history_ = 10;
    bool reference_ = false;
};

class DeepLogDetector final : public Detector, public TorchTrainable {
  public:
    DeepLogDetector(const std::string& id, Json params) : id_(id), params_(std::move(params)) {
        history_ = int(params_.at("history").get<int64_t>());
        reference_ = params_.at("windows").get<std::string>() == "reference";
        topG_ = params_.at("top_g").get<int64_t>();
        batchSize_ = params_.at("batch_size").get<int64_t>();
        if (history_ < 1 || topG_ < 1 || batchSize_ < 1)
            throw std::invalid_argument("history, top_g and batch_size must be at least 1");
    }
    const DetectorInfo& info() const override { return detectorInfo(id_); }
    const Json& params() const override { return params_; }
    TorchTrainable* trainable() override { return this; }

    void prepare(const TrainData& data, TaskContext* ctx) override {
        if (data.trainStream) {
            keys_ = seq::TemplateKeys::fromTraining(*data.project, *data.trainStream, ctx);
            train_ = WindowRows(*data.project, data.trainStream, keys_, history_, reference_);
            val_ = data.valStream
                       ? WindowRows(*data.project, data.valStream, keys_, history_, reference_)
                       : WindowRows();
        } else {
            keys_ = seq::TemplateKeys::fromTraining(*data.project, data.train);
            train_ = WindowRows(
                makeWindows(keys_.encode(*data.project, data.train), history_, reference_));
            val_ = WindowRows(
                makeWindows(keys_.encode(*data.project, data.val), history_, reference_));
        }
        if (train_.size() == 0)
            throw std::invalid_argument(
                "DeepLog needs training sequences with a next event after the history (none "
                "has one: use a shorter --history, or --windows left-padded)");
        device_ = torch::Device(data.device == "cuda" ? torch::kCUDA : torch::kCPU);
    }

    void build(torch::Device device) override {
        device_ = device;
        net_ = DeepLogNet(keys_.size(), params_.at("hidden").get<int64_t>(),
                          params_.at("layers").get<int64_t>(),
                          params_.at("input").get<std::string>() == "one-hot");
        net_->to(device_);
    }
    torch::nn::Module& module() override { return *net_; }
    int64_t trainSize() const override { return train_.size(); }
    std::vector<torch::Tensor> epochBatches(int64_t batchSize) override {
        return torch::randperm(train_.size(), torch::kInt64).split(batchSize);
    }
    LossTerms trainStep(const torch::Tensor& rows) override {
        const auto [inputs, targets] = train_.rows(rows);
        const auto logits = net_->forward(inputs.to(device_));
        const auto loss = torch::nn::functional::cross_entropy(logits, targets.to(device_));
        return {{"loss", loss}};
    }
    double validationLoss(int64_t batchSize, bool) override {
        const WindowRows& v = val_.size() ? val_ : train_;
        double sum = 0;
        for (int64_t s = 0; s < v.size(); s += batchSize) {
            const int64_t n = std::min(batchSize, v.size() - s);
            const auto [inputs, targets] = v.range(s, n);
            const auto logits = net_->forward(inputs.to(device_));
            sum += torch::nn::functional::cross_entropy(
                       logits, targets.to(device_),
                       torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                       .item<double>();
        }
        return sum / double(v.size());
    }

    std::vector<double> score(Project& project, const seq::EventSequences& seqs,
                              TaskContext* ctx) override {
        const Windows w = makeWindows(keys_.encode(project, seqs), history_, reference_, true);
        std::vector<double> misses(seqs.size(), 0.0);
        torch::NoGradGuard ng;
        net_->eval();
        const int64_t g = std::min<int64_t>(topG_, keys_.size());
        for (int64_t s = 0; s < w.size(); s += batchSize_) {
            if (ctx) ctx->checkCancelled();
            const int64_t n = std::min(batchSize_, w.size() - s);
            const auto logits = net_->forward(w.inputs.narrow(0, s, n).to(device_));
            const auto top = std::get<1>(logits.topk(g, 1));
            const auto target = w.targets.narrow(0, s, n).to(device_);
            // A miss: the next key is not among the top g, or a template never seen in
            // training (which the model cannot predict).
            auto miss = top.eq(target.unsqueeze(1))
                            .any(1)
                            .logical_not()
                            .logical_or(target.eq(seq::TemplateKeys::kUnknown));
            miss = miss.to(torch::kCPU).contiguous();
            const bool* m = miss.data_ptr<bool>();
            for (int64_t i = 0; i < n; ++i)
                if (m[i]) misses[size_t(w.sequenceIndex[size_t(s + i)])] += 1.0;
            if (ctx) {
                Progress p;
                p.stage = "scoring";
                p.done = uint64_t(s + n);
                p.total = uint64_t(w.size());
                ctx->report(p);
            }
        }
        return misses;
    }

    /// Per position: the rank of the actual key among the model's candidates (1 = its first
    /// guess; a template never seen in training ranks past every key); 0 for the positions the
    /// windows do not predict (the first, or the first `history` with reference windows). A
    /// rank above top_g is a miss.
    Explanation explain(Project& project, const seq::EventSequences& one) override {
        if (one.size() != 1) throw std::invalid_argument("explain: one sequence at a time");
        const Windows w = makeWindows(keys_.encode(project, one), history_, reference_, false);
        Explanation e;
        const size_t len = one.events[0].size();
        e.length = int(len);
        e.contributions.assign(len, 0.0f);
        e.contributionName = "next-key rank (above " + std::to_string(topG_) + ": a miss)";
        if (w.size() == 0) return e;
        torch::NoGradGuard ng;
        net_->eval();
        const auto logits =
            net_->forward(w.inputs.to(device_)).to(torch::kCPU, torch::kFloat32).contiguous();
        const int64_t cols = logits.size(1);
        const size_t first = reference_ ? size_t(history_) : 1;
        for (int64_t i = 0; i < w.size(); ++i) {
            const int64_t t = w.targets[i].item<int64_t>();
            float rank = float(std::max(cols, topG_) + 1);  // unpredictable: always a miss
            if (t != seq::TemplateKeys::kUnknown && t >= 0 && t < cols) {
                const auto row = logits[i];
                rank = 1.0f + float(row.gt(row[t]).sum().item<int64_t>());
            }
            if (first + size_t(i) < len) e.contributions[first + size_t(i)] = rank;
        }
        return e;
    }

    std::optional<OwnThreshold> ownThreshold() const override {
        return OwnThreshold{0.5, "any next key outside the top " + std::to_string(topG_)};
    }

    void save(const std::string& path) override { detail::saveWithVocabulary(*net_, keys_, path); }

    void load(Project&, const std::string& path, const std::string&) override {
        torch::serialize::InputArchive ar;
        keys_ = detail::openWithVocabulary(ar, path);
        build(torch::kCPU);
        net_->load(ar);
        net_->eval();
    }

  private:
    std::string id_;
    Json params_;
    int history_ = 10;
    bool reference_ = false;
    int64_t topG_ = 9, batchSize_ = 2048;
    seq::TemplateKeys keys_;
    WindowRows train_, val_;
    torch::Device device_{torch::kCPU};
    DeepLogNet net_{nullptr};
};

}  // namespace

std::vector<std::pair<DetectorInfo, DetectorFactory>> deepLogDetectors() {
    using P = ParamSpec;
    DetectorInfo info;
    info.id = "deeplog";
    info.displayName = "DeepLog";
    info.description =
        "LSTM next-key model (Du et al., CCS'17): predicts each event's template from the "
        "previous ones; a sequence is anomalous when an event falls outside the top g "
        "candidates. Score: the number of such misses.";
    info.scoreName = "misses";
    info.iterative = true;
    info.streams = true;
    info.caps.nextEvent = true;
    info.caps.contributions = true;
    info.params = joinParams(
        {{
             P::integer("history", 10, 1, 1000, "model", "events of history per prediction"),
             P::integer("hidden", 64, 1, 4096, "model", "LSTM hidden units"),
             P::integer("layers", 2, 1, 16, "model", "LSTM layers"),
             P::integer("top_g", 9, 1, 100000, "model",
                        "a next key outside the top g candidates is a miss"),
             P::text(
                 "input", "one-hot", "one-hot|scalar", "model",
                 "key encoding: one-hot, or the key number as one feature (the reference code)"),
             P::text("windows", "left-padded", "left-padded|reference", "model",
                     "left-padded: every event after the first is predicted; reference: as "
                     "wuyifan18/DeepLog, only events after a full history, and a sequence shorter "
                     "than history + 1 is padded on the right and always flagged"),
         },
         params::torchTraining(30, 2048, 1e-3, 5),
         params::threshold()});
    return detail::single(std::move(info), [](const Json& params) -> std::unique_ptr<Detector> {
        return std::make_unique<DeepLogDetector>("deeplog", params);
    });
}

}  // namespace mlad
