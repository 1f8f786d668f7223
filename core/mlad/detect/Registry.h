#pragma once
// The detector registry: builds a detector from an id plus parameters. The built-in detectors
// register on first use; tests and plug-ins add their own with registerDetector() at run time.
// Torch-free header.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mlad/detect/Detector.h"
#include "mlad/util/Json.h"

namespace mlad {

struct TrainConfig;

/// Builds an untrained detector from validated parameter values (every key of its spec).
using DetectorFactory = std::function<std::unique_ptr<Detector>(const Json& params)>;

/// Adds a detector; throws std::invalid_argument when the id is taken or malformed, or a
/// parameter key is repeated.
void registerDetector(DetectorInfo info, DetectorFactory make);
/// Every registered detector in registration order (built-ins first).
std::vector<const DetectorInfo*> detectorInfos();
/// nullptr for an unknown id.
const DetectorInfo* findDetector(const std::string& id);
/// Throws std::invalid_argument listing the known ids.
const DetectorInfo& detectorInfo(const std::string& id);
/// A detector for a config, validated first (validateTrainConfig) unless `validate` is false:
/// a stored run's manifest is used as it is, so that runs made under older, wider ranges load.
std::unique_ptr<Detector> createDetector(const TrainConfig& config, bool validate = true);

/// The registry as `mlad models --json` prints it: [{id, name, description, score, iterative,
/// capabilities: [...], params: [{key, option, type, default, range, group, help}]}].
Json registryJson();

}  // namespace mlad
