#pragma once
// Shared pieces of the torch detectors that read template keys (DeepLog, LogBERT, DAGMM): the
// model file holds the module's state and the vocabulary (template texts by key) it was
// trained with, so that a later scoring maps another project's templates by text. Includes
// LibTorch: detector sources only.
#include <torch/torch.h>

#include <sstream>
#include <string>
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

/// A registry list of one detector.
inline std::vector<std::pair<DetectorInfo, DetectorFactory>> single(DetectorInfo info,
                                                                    DetectorFactory make) {
    std::vector<std::pair<DetectorInfo, DetectorFactory>> out;
    out.emplace_back(std::move(info), std::move(make));
    return out;
}

}  // namespace mlad::detail
