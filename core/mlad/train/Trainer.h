#pragma once
// Training and scoring runs, with a torch-free interface so that ui/ and app/ never include
// LibTorch headers. A run trains one model on a split, records a manifest (config, seeds,
// split, embedder, code version, timings, per-epoch metrics) in the project, saves the model
// next to the project file, re-estimates the GMM on the whole training set, and stores the
// scores of the validation and test sequences.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mlad/store/Project.h"
#include "mlad/task/Task.h"
#include "mlad/train/Runtime.h"

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

struct RunInfo {
    int64_t id = 0;
    std::string name, model, status, configJson, embedder, device, codeVersion, message;
    std::string metricsJson, createdAt, finishedAt, modelPath, splitName;
    int64_t splitId = 0;
    uint64_t seed = 0;
    double trainSeconds = 0;
};

struct EpochRecord {
    int epoch = 0;
    double trainLoss = 0, trainMse = 0, trainEnergy = 0, trainCov = 0, valLoss = 0, seconds = 0;
};

/// Scores of a finished run, ready for a ThresholdSweep.
struct RunScores {
    std::vector<int64_t> testIds;
    std::vector<double> testScores;
    std::vector<uint8_t> testLabels;  ///< 1 anomalous, 0 normal, 2 unknown
    std::vector<double> valScores;
    double defaultThreshold = 0;  ///< (1 - nu) quantile of valScores
    double nu = 0.01;
};

/// Trains a run (name must be new, or equal to a cancelled/failed run's to resume from its
/// last checkpoint). Throws std::invalid_argument for bad config / unknown split, Cancelled
/// when cancelled (the run is kept as 'cancelled' with its checkpoint), std::runtime_error
/// with a clear message on NaN loss.
RunInfo trainRun(Project& project, const std::string& splitName, const std::string& runName,
                 const TrainConfig& config, TaskContext* ctx = nullptr,
                 const TrainCallbacks& callbacks = {});

std::vector<RunInfo> listRuns(Project& project);
std::optional<RunInfo> findRun(Project& project, const std::string& name);
std::vector<EpochRecord> runEpochs(Project& project, int64_t runId);
RunScores loadRunScores(Project& project, int64_t runId);

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
