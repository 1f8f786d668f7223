#pragma once
// Template vectors for a project, computed by the chosen embedder and cached in SQLite per
// embedder kind + version. The corpus embedder is trained on the union of all systems'
// templates so that every system shares one vector space.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "mlad/store/Project.h"
#include "mlad/task/Task.h"

namespace mlad::embed {

struct TemplateVectors {
    std::string kind, version, spec;
    int dim = 0;
    std::unordered_map<int64_t, std::vector<float>> byTemplate;  ///< templates.id -> vector
    double seconds = 0;  ///< time spent computing (0 when served from the cache)
    bool cached = false;
};

/// spec: "corpus" | "vectors:FILE" | "torchscript:DIR". Computes vectors for every template of
/// the project that lacks one for this embedder (all of them when the embedder changed) and
/// returns them all. Throws std::invalid_argument for a bad spec.
TemplateVectors ensureTemplateVectors(Project& project, const std::string& spec, int dim = 100,
                                      TaskContext* ctx = nullptr);

}  // namespace mlad::embed
