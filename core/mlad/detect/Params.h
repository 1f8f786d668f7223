#pragma once
// Detector parameters: one ParamSpec per hyperparameter (manifest key, type, range or choices,
// default, group, help). A detector's spec is the single source of truth from which the CLI
// options of `mlad train --model ID`, its help, the workbench's training form, the remembered
// settings and the run manifest are all generated. Torch-free.
//
// Spelling rule: the key is snake_case (`lambda_energy`); the CLI option is the same key with
// dashes (`--lambda-energy`).
#include <initializer_list>
#include <string>
#include <vector>

#include "mlad/util/Json.h"

namespace mlad {

struct ParamSpec {
    enum class Type { Integer, Real, Text, Flag };
    std::string key;
    Type type = Type::Real;
    Json def;               ///< default value
    double lo = 0, hi = 0;  ///< inclusive range for numbers
    std::string choices;    ///< "a|b|c" for text with a closed set of values, else ""
    std::string group;      ///< model | optimisation | data | threshold
    std::string help;

    static ParamSpec integer(std::string key, int64_t def, double lo, double hi, std::string group,
                             std::string help);
    static ParamSpec real(std::string key, double def, double lo, double hi, std::string group,
                          std::string help);
    static ParamSpec text(std::string key, std::string def, std::string choices, std::string group,
                          std::string help);
    static ParamSpec flag(std::string key, bool def, std::string group, std::string help);

    /// The CLI option's name without dashes: the key with '_' -> '-'.
    std::string option() const;
    std::vector<std::string> choiceList() const;
    /// "[1, 4096]", "masked|full", "text" or "true|false".
    std::string rangeText() const;
    /// "" when `v` has the right type and lies inside the range / choices, else a message
    /// naming the option ("--heads: 0 is outside [1, 64]").
    std::string check(const Json& v) const;
    /// `v` converted to this parameter's type when it can be read as one (integers given as
    /// whole reals, e.g. 5.0 from an old manifest); throws std::invalid_argument naming the key.
    Json coerce(const Json& v) const;
};

using ParamList = std::vector<ParamSpec>;

/// The lists one after the other (a detector's own parameters, then shared groups).
ParamList joinParams(std::initializer_list<ParamList> lists);

/// Looks up `key` in `params`; nullptr when absent.
const ParamSpec* findParam(const ParamList& params, const std::string& key);

/// Parameter groups shared by detectors (each detector lists the ones it uses).
namespace params {
/// Run manager settings of every torch detector: epochs, batch_size, lr, patience, clip_norm,
/// seed, device, amp, threads.
ParamList torchTraining(int epochs = 30, int batchSize = 512, double lr = 1e-3, int patience = 5);
/// seed and threads for detectors fitted without torch.
ParamList classicFitting();
/// The template embedder of detectors that read template vectors: embedder, embed_dim.
ParamList templateVectors();
/// The default threshold: nu (the (1 - nu) quantile of validation scores).
ParamList threshold();
}  // namespace params

}  // namespace mlad
