#pragma once
// Evaluation of a run's stored scores: thresholds (validation quantile = default, a value, or
// the ORACLE best-F1 on test labels, always labelled as such), P/R/F1/specificity, ROC-AUC and
// PR-AUC (average precision), at the split's prevalence and re-weighted to the natural anomaly
// rate of the data. Torch-free; reads runs through store/Runs.h (Trainer.cpp uses this file,
// never the other way round).
#include <cstdint>
#include <string>
#include <vector>

#include "mlad/eval/Metrics.h"
#include "mlad/store/Project.h"
#include "mlad/store/Runs.h"
#include "mlad/util/Json.h"

namespace mlad {

/// Scores of a finished run, ready for a ThresholdSweep.
struct RunScores {
    std::vector<int64_t> testIds;
    std::vector<double> testScores;
    std::vector<uint8_t> testLabels;  ///< 1 anomalous, 0 normal, 2 unknown
    std::vector<double> valScores;
    double defaultThreshold =
        0;  ///< the detector's own rule, else the (1 - nu) quantile of valScores
    double nu = 0.01;
    std::string thresholdRule;  ///< how defaultThreshold was chosen ("validation quantile 0.99")
    bool detectorRule = false;  ///< defaultThreshold is the detector's own rule
};

/// The stored scores of a run with its default threshold: the detector's own rule where it has
/// one (DeepLog: any miss), else the (1 - nu) quantile of the validation scores (the highest
/// test score when there are none). Throws
/// std::invalid_argument for an unknown run id.
RunScores loadRunScores(Project& project, int64_t runId);

struct ThresholdChoice {
    /// Quantile: of the validation scores. Pot: peaks over threshold fitted on the validation
    /// scores (eval/Pot.h), value = the risk. TargetQuantile / TargetPot: target-side
    /// recalibration on the scored sequences' own scores (no labels), value = the quantile /
    /// the risk; reported apart from the validation rules.
    enum class Kind {
        Quantile,
        Value,
        Oracle,
        Pot,
        TargetQuantile,
        TargetPot
    } kind = Kind::Quantile;
    double value = 0.99;  ///< quantile level (1 - nu), the threshold itself, or a POT risk
    /// No choice given: the run's own default (its detector's rule, else the quantile).
    bool runDefault = false;
    /// "quantile:0.99" | "value:X" | "oracle" | "pot:0.01" | "target:RATE" (the target's
    /// 1 - RATE quantile: an expected contamination rate) | "target-quantile:0.99" |
    /// "target-pot:0.01" | "" (the run's default). A bare number is value:X.
    static ThresholdChoice parse(const std::string& spec, double defaultQuantile);
    std::string describe() const;
};

struct EvalReport {
    std::string run, model, thresholdKind;
    bool oracle = false;
    double threshold = 0;
    eval::Confusion confusion;
    double precision = 0, recall = 0, f1 = 0, specificity = 0;
    double rocAuc = 0, prAuc = 0;
    double testPrevalence = 0, naturalPrevalence = 0;
    eval::RateMetrics atNatural{};  ///< P/R/F1/spec re-weighted to the natural anomaly rate
    uint64_t testSequences = 0, testAnomalous = 0, unlabelled = 0;
    eval::ThresholdSweep::Best oracleBest{};  ///< always computed, reported as oracle
    /// The report as a JSON object (non-finite numbers become null).
    Json json() const;
    /// Compact JSON text of json(): always valid JSON, whatever the run and model names hold
    /// (invalid UTF-8 is replaced by U+FFFD). Stored as the run's metrics.
    std::string toJson() const;
};

EvalReport evaluateRun(Project& project, const std::string& runName, const ThresholdChoice& t);

/// The threshold a choice gives: validation rules read the run's validation scores, target-side
/// rules the scores being judged (`target`, never labels), the oracle the best F1 over `target`
/// with `labels` (1 anomalous, 0 normal, anything else unlabelled and left out). The run's own
/// default for runDefault. Throws std::invalid_argument when the data cannot give one (no
/// labels for the oracle, no finite target score, a POT tail that cannot be fitted).
double resolveThreshold(const ThresholdChoice& t, const RunScores& run,
                        const std::vector<double>& target, const std::vector<uint8_t>& labels);

/// Anomaly rate of all labelled sequences in the sequence sets a split draws from.
double naturalAnomalyRate(Project& project, int64_t splitId);

}  // namespace mlad
