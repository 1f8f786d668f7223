#pragma once
// The run records of a project: the runs table (manifest, status, metrics), the per-epoch
// losses and the stored validation / test scores. All SQL about runs lives here; training is
// train/Trainer, evaluation (thresholds, metrics) train/Evaluate. Torch-free (mlad_data).
//
// A run's life: createRun (status running) -> insertRunEpoch per epoch -> storeRunScores
// (scores + status done, one transaction) -> setRunMetrics. A run that stops early is marked
// with stopRun (failed | cancelled) and may be taken up again with restartRun.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mlad/store/Project.h"

namespace mlad {

struct RunInfo {
    int64_t id = 0;
    std::string name, model, status, configJson, embedder, device, codeVersion, message;
    std::string metricsJson, createdAt, finishedAt, modelPath, splitName;
    int64_t splitId = 0;
    uint64_t seed = 0;
    double trainSeconds = 0;
};

/// One epoch's metrics as the detector reports them: (key, value) pairs in its order, e.g.
/// train_loss, train_mse, train_energy, train_cov, val_loss, seconds for MLAD.
struct EpochRecord {
    int epoch = 0;
    std::vector<std::pair<std::string, double>> values;
    /// The value of `key`, NaN when the epoch has none.
    double value(const std::string& key) const;
};

// Reading ----------------------------------------------------------------------------------

/// All runs in id order.
std::vector<RunInfo> listRuns(Project& project);
std::optional<RunInfo> findRun(Project& project, const std::string& name);
/// The recorded epochs of a run in epoch order.
std::vector<EpochRecord> runEpochs(Project& project, int64_t runId);

/// A run's stored scores as written by training, in sequence order (set, ordinal); no
/// threshold (see loadRunScores in train/Evaluate.h).
struct StoredRunScores {
    std::vector<int64_t> valIds;
    std::vector<double> valScores;
    std::vector<int64_t> testIds;
    std::vector<double> testScores;
    std::vector<uint8_t> testLabels;  ///< 1 anomalous, 0 normal, 2 unknown
    /// The run's threshold setting: "nu" of its config JSON, 0.01 when the config has none
    /// (or is not a JSON object).
    double nu = 0.01;
    /// The detector's own default threshold and its rule, when it has one (setRunThreshold).
    std::optional<double> ownThreshold;
    std::string ownRule;
};
/// Throws std::invalid_argument for an unknown run id.
StoredRunScores readRunScores(Project& project, int64_t runId);

/// Labels of all sequences in the sequence sets that a split draws its members from.
struct LabelCounts {
    uint64_t anomalous = 0;
    uint64_t labelled = 0;  ///< sequences with a label at all
};
LabelCounts splitSourceLabelCounts(Project& project, int64_t splitId);

// Writing (train/Trainer) ------------------------------------------------------------------

struct NewRun {
    std::string name, model;
    int64_t splitId = 0;
    std::string configJson;  ///< the manifest (trainConfigToJson)
    std::string embedder;    ///< kind:version
    uint64_t seed = 0;
    std::string codeVersion, device;
};
/// Inserts a run with status 'running'; returns its id. Throws sql::Error when the name is
/// taken.
int64_t createRun(Project& project, const NewRun& run);
/// Takes up a failed or cancelled run again: status 'running', no message, and the manifest
/// and device it continues with.
void restartRun(Project& project, int64_t runId, const std::string& configJson,
                const std::string& device);
/// Marks a run that stopped early: status "failed" or "cancelled" (std::invalid_argument
/// otherwise), its message and the finishing time.
void stopRun(Project& project, int64_t runId, const std::string& status,
             const std::string& message);
/// Records (or replaces) one epoch's metrics.
void insertRunEpoch(Project& project, int64_t runId, const EpochRecord& epoch);
/// Replaces the run's scores with these and marks it done with its model file and training
/// time, in one transaction. valIds/valScores and testIds/testScores are parallel.
void storeRunScores(Project& project, int64_t runId, const std::vector<int64_t>& valIds,
                    const std::vector<double>& valScores, const std::vector<int64_t>& testIds,
                    const std::vector<double>& testScores, const std::string& modelPath,
                    double trainSeconds);
/// Records the detector's own default threshold and its rule (e.g. "any template never seen
/// in training").
void setRunThreshold(Project& project, int64_t runId, double threshold, const std::string& rule);
/// The final metrics (EvalReport JSON).
void setRunMetrics(Project& project, int64_t runId, const std::string& metricsJson);

}  // namespace mlad
