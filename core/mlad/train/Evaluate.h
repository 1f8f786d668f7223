#pragma once
// Evaluation of a run's stored scores: thresholds (validation quantile = default, a value, or
// the ORACLE best-F1 on test labels, always labelled as such), P/R/F1/specificity, ROC-AUC and
// PR-AUC (average precision), at the split's prevalence and re-weighted to the natural anomaly
// rate of the data.
#include <string>

#include "mlad/eval/Metrics.h"
#include "mlad/store/Project.h"
#include "mlad/train/Trainer.h"

namespace mlad {

struct ThresholdChoice {
    enum class Kind { Quantile, Value, Oracle } kind = Kind::Quantile;
    double value = 0.99;  ///< quantile level (1 - nu) or the threshold itself
    /// "quantile:0.99" | "value:X" | "oracle" | "" (default quantile of the run).
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
    std::string toJson() const;
};

EvalReport evaluateRun(Project& project, const std::string& runName, const ThresholdChoice& t);

/// Anomaly rate of all labelled sequences in the sequence sets a split draws from.
double naturalAnomalyRate(Project& project, int64_t splitId);

}  // namespace mlad
