#pragma once
// Training and scoring runs, with a torch-free interface so that ui/ and app/ never include
// LibTorch headers. A run trains one model on a split, records a manifest (config, seeds,
// split, embedder, code version, timings, per-epoch metrics) in the project, saves the model
// next to the project file, re-estimates the GMM on the whole training set, and stores the
// scores of the validation and test sequences.
//
// Run records (RunInfo, listRuns, findRun, runEpochs) are store/Runs.h, included here; stored
// scores with their threshold (RunScores, loadRunScores) and evaluation are train/Evaluate.h.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mlad/store/Project.h"
#include "mlad/store/Runs.h"
#include "mlad/task/Task.h"
#include "mlad/train/Runtime.h"
#include "mlad/train/TrainConfig.h"

namespace mlad {

struct EpochStats {
    int epoch = 0;  ///< 1-based
    int epochs = 0;
    double trainLoss = 0, trainMse = 0, trainEnergy = 0, trainCov = 0;
    double valLoss = 0;
    double seconds = 0;
    bool improved = false;
};

struct BatchStats {
    int epoch = 0, batch = 0, batches = 0;
    double loss = 0;
};

struct TrainCallbacks {
    std::function<void(const EpochStats&)> onEpoch;
    std::function<void(const BatchStats&)> onBatch;
};

/// Trains a run (name must be new, or equal to a cancelled/failed run's to resume from its
/// last checkpoint). Throws std::invalid_argument for bad config / unknown split, Cancelled
/// when cancelled (the run is kept as 'cancelled' with its checkpoint), std::runtime_error
/// with a clear message on NaN loss.
RunInfo trainRun(Project& project, const std::string& splitName, const std::string& runName,
                 const TrainConfig& config, TaskContext* ctx = nullptr,
                 const TrainCallbacks& callbacks = {});

/// Scores sequences of any set with a trained run (imported after training too).
struct ScoredSequence {
    int64_t sequenceId = 0;
    std::string system;
    int64_t firstLine = 0, lastLine = 0;
    int label = -1;
    double score = 0;
    bool predicted = false;
};
std::vector<ScoredSequence> scoreSequences(Project& project, const std::string& runName,
                                           const std::vector<int64_t>& sequenceIds,
                                           std::optional<double> threshold,
                                           TaskContext* ctx = nullptr);

/// Attention maps (layer x head x L x L, row-major) of one sequence under a trained run.
struct AttentionMaps {
    int layers = 0, heads = 0, length = 0;
    std::vector<float> weights;
    std::vector<std::string> templates;  ///< template text per position
};
AttentionMaps attentionOf(Project& project, const std::string& runName, int64_t sequenceId);

/// Whether this build and machine can train on CUDA.
bool cudaAvailable();

}  // namespace mlad
