#pragma once
// A training run's settings and their one description (TrainParams): the manifest key, type,
// range, default and help of every hyperparameter live in one table, from which the run
// manifest (JSON), the CLI options of `mlad train` and the workbench's remembered settings are
// all derived. Torch-free.
//
// Spelling rule: the manifest key is snake_case (`lambda_energy`); the CLI option is the same
// key with dashes (`--lambda-energy`); the workbench stores the manifest JSON itself.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "mlad/util/Json.h"

namespace mlad {

struct TrainConfig {
    std::string model = "mlad";  ///< mlad | w/o-entmax | w/o-gmm
    // Model (see docs/MODEL_CARD.md).
    double alpha = 1.5;
    int dModel = 100, nLayers = 2, nHeads = 4, dFf = 256, dZ = 16, components = 5;
    int maxLen = 128;  ///< longer sequences keep their first maxLen events
    double dropout = 0.1;
    double maskRatio = 0.3;
    std::string recon = "masked";  ///< masked | full (full = the identical-shortcut mode)
    double lambdaEnergy = 0.1;
    double lambdaCov = 0.005;
    double covEps = 1e-6;
    // Optimisation.
    int epochs = 30;
    int batchSize = 512;
    double lr = 1e-3;
    int patience = 5;       ///< early stopping on validation loss
    double clipNorm = 5.0;  ///< gradient clipping (0 = off)
    uint64_t seed = 42;
    std::string device = "auto";  ///< auto | cpu | cuda
    bool amp = false;             ///< mixed precision on CUDA
    int threads = 0;              ///< LibTorch CPU threads; 0 = auto (configureTorchThreads)
    // Data.
    std::string embedder = "corpus";  ///< corpus | vectors:FILE | torchscript:DIR
    int embedDim = 100;
    // Threshold: (1 - nu) quantile of validation scores.
    double nu = 0.01;
};

/// One hyperparameter: the single source of truth for its name, type, range and help.
struct TrainParam {
    using Member = std::variant<int TrainConfig::*, double TrainConfig::*, uint64_t TrainConfig::*,
                                bool TrainConfig::*, std::string TrainConfig::*>;
    const char* key;      ///< manifest key (snake_case)
    Member member;        ///< the TrainConfig field
    double lo, hi;        ///< inclusive range for numbers (ignored for text and flags)
    const char* choices;  ///< "a|b|c" for text with a closed set of values, else ""
    const char* group;    ///< model | optimisation | data | threshold
    const char* help;

    /// The CLI option's name without dashes: the key with '_' -> '-'.
    std::string option() const;
    bool isInteger() const;
    bool isReal() const;
    bool isText() const;
    bool isFlag() const;
    /// The field's current value in `c`, as JSON.
    Json get(const TrainConfig& c) const;
    /// Sets the field from JSON; throws std::invalid_argument naming the key on a wrong type, or
    /// (checkRange) a value outside the range. Stored manifests are read without the range
    /// check, so that a run made under older, wider ranges still loads.
    void set(TrainConfig& c, const Json& v, bool checkRange = true) const;
    /// "" when `c`'s value is inside the range / choices, else a message naming the option.
    std::string check(const TrainConfig& c) const;
    std::string rangeText() const;  ///< "[1, 4096]" or "masked|full"
};

/// Every hyperparameter of `mlad train` (the model id is not one of them).
const std::vector<TrainParam>& trainParams();
const TrainParam* findTrainParam(const std::string& key);

/// The models trainRun knows.
inline constexpr const char* kTrainModels = "mlad|w/o-entmax|w/o-gmm";

/// Checks every parameter's range and the rules across parameters (d_model divisible by
/// heads, a known model); throws std::invalid_argument with the option's name.
void validateTrainConfig(const TrainConfig& c);

/// The manifest: {"model": ..., every key of trainParams()}.
Json trainConfigToJson(const TrainConfig& c);
/// Reads a manifest written by any version: missing keys keep their defaults, unknown keys are
/// ignored; throws std::runtime_error on malformed JSON.
TrainConfig trainConfigFromJson(const std::string& text);

}  // namespace mlad
