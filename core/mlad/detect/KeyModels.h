#pragma once
// Shared pieces of the torch detectors that read template keys (DeepLog, LogBERT, DAGMM): their
// input rows (KeyRows), and the model file, which holds the module's state and the vocabulary
// (template texts by key) it was trained with, so that a later scoring maps another project's
// templates by text. Includes LibTorch: detector sources only.
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mlad/detect/Registry.h"
#include "mlad/seq/Adapters.h"
#include "mlad/util/AtomicFile.h"
#include "mlad/util/Json.h"

namespace mlad::detail {

/// Writes `module`'s state and `keys` to `path`.
inline void saveWithVocabulary(torch::nn::Module& module, const seq::TemplateKeys& keys,
                               const std::string& path) {
    torch::serialize::OutputArchive ar;
    module.save(ar);
    ar.write("vocabulary", c10::IValue(dumpJson(Json(keys.texts()))));
    std::ostringstream os;
    ar.save_to(os);
    writeFileAtomically(path, os.str());
}

/// Opens a file written by saveWithVocabulary into `ar` and returns its vocabulary; the caller
/// builds its module for that vocabulary, then loads the state from `ar`.
inline seq::TemplateKeys openWithVocabulary(torch::serialize::InputArchive& ar,
                                            const std::string& path) {
    ar.load_from(path);
    c10::IValue vocabulary;
    ar.read("vocabulary", vocabulary);
    return seq::TemplateKeys::fromTexts(
        parseJson(vocabulary.toStringRef(), path).get<std::vector<std::string>>());
}

/// A key detector's input, one row per sequence (count vectors, padded keys...): held whole
/// (scoring, small data) or built per batch from a stream of the project's sequences (training:
/// memory holds a batch, not the split). `make` turns a batch's key sequences into its rows and
/// must give a row the same values whichever batch it comes in.
class KeyRows {
  public:
    using Make = std::function<torch::Tensor(const std::vector<std::vector<int32_t>>& keys)>;
    KeyRows() = default;
    explicit KeyRows(torch::Tensor all) : all_(std::move(all)) {}
    KeyRows(Project& project, std::shared_ptr<const seq::SequenceStream> stream,
            const seq::TemplateKeys& keys, Make make)
        : stream_(std::move(stream)),
          keyOf_(keys.keysOfTemplates(project)),
          make_(std::move(make)) {}

    bool streamed() const { return stream_ != nullptr; }
    int64_t size() const {
        return stream_ ? int64_t(stream_->size()) : all_.defined() ? all_.size(0) : 0;
    }
    /// The rows at `positions` (int64, any device).
    torch::Tensor rows(const torch::Tensor& positions) const {
        if (!stream_) return all_.index_select(0, positions.to(all_.device()));
        const torch::Tensor p = positions.to(torch::kCPU).contiguous();
        return build(stream_->events(p.data_ptr<int64_t>(), size_t(p.numel())));
    }
    /// Rows [start, start + n).
    torch::Tensor range(int64_t start, int64_t n) const {
        if (!stream_) return all_.narrow(0, start, n);
        std::vector<int64_t> p(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) p[size_t(i)] = start + i;
        return build(stream_->events(p.data(), p.size()));
    }

  private:
    torch::Tensor build(const std::vector<std::vector<int32_t>>& events) const {
        std::vector<std::vector<int32_t>> keys(events.size());
        for (size_t i = 0; i < events.size(); ++i) {
            keys[i].reserve(events[i].size());
            for (int32_t t : events[i]) {
                auto it = keyOf_.find(t);
                keys[i].push_back(it == keyOf_.end() ? seq::TemplateKeys::kUnknown : it->second);
            }
        }
        return make_(keys);
    }

    torch::Tensor all_;
    std::shared_ptr<const seq::SequenceStream> stream_;
    std::unordered_map<int32_t, int32_t> keyOf_;
    Make make_;
};

/// A registry list of one detector.
inline std::vector<std::pair<DetectorInfo, DetectorFactory>> single(DetectorInfo info,
                                                                    DetectorFactory make) {
    std::vector<std::pair<DetectorInfo, DetectorFactory>> out;
    out.emplace_back(std::move(info), std::move(make));
    return out;
}

}  // namespace mlad::detail
