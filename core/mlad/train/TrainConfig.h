#pragma once
// A training run's settings: the detector id and its parameter values. What the parameters
// are (key, type, range, default, help) is the detector's spec (detect/Registry.h); the run
// manifest, the CLI options of `mlad train --model ID` and the workbench's form and remembered
// settings are all generated from it. Torch-free.
#include <cstdint>
#include <string>
#include <vector>

#include "mlad/util/Json.h"

namespace mlad {

struct TrainConfig {
    std::string model = "mlad";    ///< a registered detector id
    Json params = Json::object();  ///< values by key

    /// The detector's defaults. Accepts the old model names: "w/o-entmax" and "w/o-gmm" are
    /// MLAD with that ablation. Throws std::invalid_argument for an unknown id.
    static TrainConfig defaults(const std::string& model = "mlad");

    /// Typed access; throws std::invalid_argument when the key is missing or of another type.
    int64_t integer(const std::string& key) const;
    double real(const std::string& key) const;
    std::string text(const std::string& key) const;
    bool flag(const std::string& key) const;
    /// Sets a value (converted to the parameter's type; checked by validateTrainConfig).
    /// Throws std::invalid_argument when the detector has no such parameter.
    TrainConfig& set(const std::string& key, const Json& value);
    bool has(const std::string& key) const { return params.contains(key); }

    /// What run lists show as the model: the id, or MLAD's ablation name ("w/o-gmm"), or
    /// "ID ABLATION".
    std::string label() const;
};

/// Checks the model id, that every key is one of its parameters, each value's type and range,
/// and the detector's rules across parameters; throws std::invalid_argument naming the option
/// ("--heads: 0 is outside [1, 64]").
void validateTrainConfig(const TrainConfig& c);

/// The manifest: {"model": ID, every parameter key: value}.
Json trainConfigToJson(const TrainConfig& c);
/// Reads a manifest written by any version: missing keys keep their defaults, keys the
/// detector does not know are ignored, and values are not range-checked (a run made under
/// older, wider ranges still loads); old model names ("w/o-gmm") become MLAD's ablation.
/// Throws std::runtime_error on malformed JSON or a wrong type.
TrainConfig trainConfigFromJson(const std::string& text);

/// The `mlad train` options that give exactly this configuration: "--model", ID, then
/// "--KEY", VALUE per parameter set (flags as "--KEY=true|false", reals at full precision).
/// For starting other data-parallel ranks of a run (the workbench).
std::vector<std::string> trainOptions(const TrainConfig& c);

}  // namespace mlad
