#pragma once
// The run manager: trains any registered detector (detect/Registry.h) on a split, with a
// torch-free interface so that ui/ and app/ never include LibTorch headers. A run records a
// manifest (detector, parameters, seeds, split, embedder, code version, timings, per-epoch
// metrics) in the project, saves the model next to the project file, and stores the scores
// of the validation and test sequences. Torch detectors are trained in epochs through their
// TorchTrainable (checkpoints, resume, early stopping, mixed precision, NaN checks); the
// others are fitted in one call.
//
// Run records (RunInfo, listRuns, findRun, runEpochs) are store/Runs.h, included here; stored
// scores with their threshold (RunScores, loadRunScores) and evaluation are train/Evaluate.h.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "mlad/detect/Registry.h"
#include "mlad/store/Project.h"
#include "mlad/store/Runs.h"
#include "mlad/task/Task.h"
#include "mlad/train/Distributed.h"
#include "mlad/train/Runtime.h"
#include "mlad/train/TrainConfig.h"

namespace mlad {

/// One finished epoch: its metrics (train_loss, train_<term>..., val_loss, seconds, and for
/// data-parallel runs sync_seconds: the time spent summing gradients over the ranks).
struct EpochStats : EpochRecord {
    int epochs = 0;
    bool improved = false;
    double trainLoss() const { return value("train_loss"); }
    double valLoss() const { return value("val_loss"); }
    double seconds() const { return value("seconds"); }
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
/// last checkpoint). Throws std::invalid_argument for a bad config / unknown split (before any
/// run record is written), Cancelled when cancelled (the run is kept as 'cancelled' with its
/// checkpoint), std::runtime_error with a clear message on a NaN loss (the run is 'failed').
/// With `dist` (active: more than one rank) this process is one rank of a data-parallel
/// training (Distributed.h): rank 0 writes the run and returns it as stored; the other ranks
/// write nothing and return the run's name, model and device with status "done" once their
/// part of the training is over.
RunInfo trainRun(Project& project, const std::string& splitName, const std::string& runName,
                 const TrainConfig& config, TaskContext* ctx = nullptr,
                 const TrainCallbacks& callbacks = {}, const DistSettings* dist = nullptr);

/// A free run name for a split and detector: SPLIT-LABEL ("chrono-mlad", "chrono-w/o-gmm"),
/// with -2, -3... appended when taken by any run (a run is resumed by naming it).
std::string defaultRunName(Project& project, const std::string& splitName,
                           const TrainConfig& config);

/// What a run's score is called ("energy", "reconstruction error", "score"), from its manifest;
/// "score" when the manifest cannot be read.
std::string runScoreName(const std::string& configJson);

/// The detector of a finished run, loaded from its model file.
std::unique_ptr<Detector> loadRunDetector(Project& project, const RunInfo& run);

/// Scores sequences of any set with a trained run (imported after training too).
struct ScoredSequence {
    int64_t sequenceId = 0;
    std::string system;
    int64_t firstLine = 0, lastLine = 0;
    int label = -1;
    double score = 0;
    bool predicted = false;
    /// Events whose template the run's training part never held; -1 when unknown (the run's
    /// split is gone).
    int64_t unseenTemplates = -1;
};
/// In the order of `sequenceIds`, without empty or unknown sequences; read and scored a chunk
/// at a time (scoreInChunks).
std::vector<ScoredSequence> scoreSequences(Project& project, const std::string& runName,
                                           const std::vector<int64_t>& sequenceIds,
                                           std::optional<double> threshold,
                                           TaskContext* ctx = nullptr);

/// Scores the sequences of `seqs` a chunk at a time, so that memory holds one chunk's
/// sequences rather than all of them: each(part, scores) is called per chunk, in order, with
/// one progress bar over all. A detector scores every sequence on its own, so the scores are
/// those of one call on all of them.
using ChunkScored =
    std::function<void(const seq::EventSequences& part, const std::vector<double>& scores)>;
void scoreInChunks(Detector& detector, Project& project, const seq::SequenceStream& seqs,
                   const ChunkScored& each, TaskContext* ctx = nullptr, size_t chunk = 4096);

/// The template ids of a run's training part: from the list the training saved in the run's
/// folder, else (older runs) read from the part a chunk at a time; nullopt when the run's split
/// is gone.
std::optional<std::unordered_set<int32_t>> trainingTemplates(Project& project, const RunInfo& run,
                                                             TaskContext* ctx = nullptr);

/// Attention maps (layer x head x L x L, row-major) of one sequence under a trained run whose
/// detector has the attention capability (std::invalid_argument otherwise).
struct AttentionMaps {
    int layers = 0, heads = 0, length = 0;
    std::vector<float> weights;
    std::vector<std::string> templates;  ///< template text per position
    std::vector<int64_t> templateIds;    ///< template id per position
};
AttentionMaps attentionOf(Project& project, const std::string& runName, int64_t sequenceId);
/// The same for several sequences, loading the run's model once.
std::vector<AttentionMaps> attentionOf(Project& project, const std::string& runName,
                                       const std::vector<int64_t>& sequenceIds);

/// What a run's detector says about one sequence, for the drill-down: the template per
/// position and whether the run's training part ever contained it, and, by capability, each
/// position's contribution to the score and the energy per mixture component.
struct SequenceExplanation {
    std::vector<int64_t> templateIds;    ///< per position (event order)
    std::vector<bool> unseenInTraining;  ///< per position
    std::vector<float> contributions;    ///< per position (may be shorter: max_len) or empty
    std::string contributionName;        ///< e.g. "masked reconstruction error"
    std::vector<double> componentEnergies, componentWeights;  ///< empty without the capability
    std::string scoreName;                                    ///< the run's score ("energy", ...)
};
/// Throws std::invalid_argument for an unknown run or an empty sequence.
SequenceExplanation explainSequence(Project& project, const std::string& runName,
                                    int64_t sequenceId);

/// One vector per sequence (the detector's representation: MLAD's latent z) under a trained run
/// whose detector has the representation capability (std::invalid_argument otherwise).
struct Representations {
    std::vector<int64_t> ids;  ///< `sequenceIds` in order, without empty or unknown sequences
    std::vector<std::vector<float>> vectors;
};
Representations representationsOf(Project& project, const std::string& runName,
                                  const std::vector<int64_t>& sequenceIds);

/// Whether this build and machine can train on CUDA.
bool cudaAvailable();

}  // namespace mlad
