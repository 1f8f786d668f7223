#pragma once
// The paper's experiments as one call each, on a prepared project (systems imported, sequence
// sets built): the splits they need are created, every cell is a stored run (an interrupted
// experiment continues where it stopped: finished runs are reused, unfinished ones resumed),
// and the results come back as rows plus a Markdown report. Torch-free header.
//   table2       every detector and MLAD's ablations on each system, at each detector's own
//                default threshold rule (named in the table); the paper's Table II
//   table3       transfer: train on A, score B with no retraining, for each ordered pair
//   alpha-sweep  MLAD against alpha in {1, 1.1, ..., 1.6} (Fig. 5)
//   multi-system one model trained on the union of systems, judged per system, beside one
//                model per system (Fig. 6)
// Thresholds never come from test labels; oracle figures are not reported.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "mlad/seq/Splits.h"
#include "mlad/store/Project.h"
#include "mlad/task/Task.h"
#include "mlad/util/Json.h"

namespace mlad {

struct ExperimentOptions {
    std::string kind;                        ///< table2 | table3 | alpha-sweep
    std::string protocol = "chronological";  ///< paper | chronological (per-system splits)
    std::vector<std::string> systems;        ///< default: every system with a labelled sequence set
    std::vector<std::string> models;         ///< default: the experiment's own list
    int repeats = 1;                         ///< seeds per cell (42, 43, ...)
    int epochs = 0;                          ///< > 0: overrides the torch detectors' epochs
    int threads = 0;                         ///< LibTorch / fitting threads (0 = auto)
    std::string command;                     ///< the command line, for the report
};

/// One run's figures at its detector's default threshold rule.
struct ExperimentCell {
    std::string split, system, trainedOn, model, run, thresholdRule, param;
    uint64_t seed = 0;
    double precision = 0, recall = 0, f1 = 0, f1Natural = 0, rocAuc = 0, prAuc = 0;
    double falsePositiveRate = 0;
    double trainSeconds = 0, scoreSeconds = 0;
    uint64_t testSequences = 0, testAnomalous = 0;
};

struct ExperimentResult {
    ExperimentOptions options;
    std::vector<SplitInfo> splits;
    std::vector<ExperimentCell> cells;
    double seconds = 0;
    std::string markdown;  ///< the report
    /// SVG figures the report links to: (file name, document), written beside the report.
    std::vector<std::pair<std::string, std::string>> plots;
    Json json() const;
};

/// The default detector list of an experiment kind.
std::vector<std::string> defaultExperimentModels(const std::string& kind);

/// Runs an experiment; `log` receives one line per started or reused run. Throws
/// std::invalid_argument for an unknown kind, model or system, or a project without labelled
/// sequence sets.
ExperimentResult runExperiment(Project& project, const ExperimentOptions& options,
                               TaskContext* ctx = nullptr,
                               const std::function<void(const std::string&)>& log = {});

}  // namespace mlad
