#pragma once
// The detector framework. A Detector is one anomaly detection method behind one interface
// (shaped like embed::Embedder): it describes itself (info: id, name, parameters, what it can
// explain), reads what it needs from a split through the seq/ adapters, is fitted, scores
// sequences (higher = more anomalous), explains or represents sequences where its capabilities
// say so, and saves / loads itself. The run manager (train/Trainer) owns everything around
// it: run records, checkpoints, resume, early stopping, mixed precision, score storage and
// metrics.
//
// Two kinds of detectors:
//  - iterative (torch) detectors return a TorchTrainable (train/TorchTrainable.h) from
//    trainable(); the run manager drives its epochs;
//  - the others implement fit() and are fitted in one call.
//
// A registry (Registry.h) builds a detector from an id and its parameters. Torch-free header:
// ui/ and app/ include it.
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlad/detect/Params.h"
#include "mlad/seq/Adapters.h"
#include "mlad/store/Project.h"
#include "mlad/task/Task.h"
#include "mlad/util/Json.h"

namespace mlad {

class TorchTrainable;

/// What a detector can show beyond its score; views it cannot feed are hidden for it.
struct Capabilities {
    bool attention = false;          ///< attention maps per layer and head
    bool contributions = false;      ///< per-event contributions to the score
    bool nextEvent = false;          ///< next-event predictions (ranks of the actual events)
    bool representation = false;     ///< a vector per sequence (projections, t-SNE)
    bool componentEnergies = false;  ///< energy per mixture component
};

struct DetectorInfo {
    std::string id;                   ///< registry key, e.g. "mlad"
    std::string displayName;          ///< "MLAD"
    std::string description;          ///< one paragraph
    std::string scoreName = "score";  ///< what views call the score ("energy" for MLAD)
    /// The score's name for particular values, when it depends on them (MLAD w/o-gmm scores
    /// by reconstruction error); empty = scoreName.
    std::function<std::string(const Json& values)> scoreNameFor;
    bool iterative = false;  ///< trained in epochs through a TorchTrainable
    /// Reads its training data from TrainData's streams (bounded memory on large splits); the
    /// run manager then leaves TrainData's loaded sequences empty.
    bool streams = false;
    Capabilities caps;
    ParamList params;  ///< every parameter, in the order forms and help list them
    /// Rules across parameters (e.g. d_model divisible by heads); throws std::invalid_argument
    /// naming the options. `values` holds every key of params.
    std::function<void(const Json& values)> check;
};

/// What a detector is fitted on: one split's training and validation sequences, loaded whole
/// (train, val) or, for detectors whose info says streams, as streams read from the project per
/// batch (trainStream, valStream; `train` and `val` are then empty).
struct TrainData {
    Project* project = nullptr;
    seq::EventSequences train, val;
    std::shared_ptr<const seq::SequenceStream> trainStream, valStream;
    std::string device = "cpu";  ///< "cpu" or "cuda"
    /// The training sequences are windows of lines (fixed or time windows), not sessions.
    bool windows = false;
};

/// Explanation of one sequence (filled as the detector's capabilities allow).
struct Explanation {
    int layers = 0, heads = 0, length = 0;
    std::vector<float> attention;  ///< layers x heads x length x length, row-major
    /// Contributions capability: one value per position (of the first `length` events), what
    /// each event adds to the score in the detector's own terms (MLAD: the masked
    /// reconstruction error of the position), named by contributionName.
    std::vector<float> contributions;
    std::string contributionName;
    /// Component energies capability: -log(phi_k N(z; mu_k, Sigma_k)) per mixture component
    /// (+inf for an empty one), with the weights phi_k; the energy is -log sum_k exp(-E_k).
    std::vector<double> componentEnergies, componentWeights;
};

/// Observer of a fit: progress of non-iterative detectors (iterative ones report per epoch
/// through the run manager).
struct FitObserver {
    std::function<void(const std::string& stage, double fraction)> onProgress;
};

class Detector {
  public:
    virtual ~Detector() = default;
    virtual const DetectorInfo& info() const = 0;
    /// The parameter values it was built with (every key of info().params).
    virtual const Json& params() const = 0;

    /// Reads what the detector needs from the training data (vocabularies, vector tables,
    /// tensors). Called before any run record is written: refuse bad data here.
    virtual void prepare(const TrainData& data, TaskContext* ctx) = 0;
    /// Non-iterative detectors: fit on the prepared data.
    virtual void fit(const FitObserver& observer, TaskContext* ctx) {
        (void)observer;
        (void)ctx;
        throw std::logic_error(info().id + " is trained in epochs (trainable())");
    }
    /// Iterative detectors: the step / validate / state interface the run manager drives.
    virtual TorchTrainable* trainable() { return nullptr; }

    /// Scores (higher = more anomalous), one per sequence of `seqs`, in that order.
    virtual std::vector<double> score(Project& project, const seq::EventSequences& seqs,
                                      TaskContext* ctx) = 0;
    /// By capability (info().caps); the default refuses.
    virtual Explanation explain(Project& project, const seq::EventSequences& one) {
        (void)project;
        (void)one;
        throw std::invalid_argument(info().displayName + " does not explain sequences");
    }
    /// One vector per sequence (representation capability); the default refuses.
    virtual std::vector<std::vector<float>> represent(Project& project,
                                                      const seq::EventSequences& seqs) {
        (void)project;
        (void)seqs;
        throw std::invalid_argument(info().displayName + " has no sequence representation");
    }

    /// The detector's own default threshold on its scores and the rule's name, when it has one
    /// (DeepLog: any next key outside the top g; PCA: the Q-statistic); chosen from training or
    /// validation data only, never test labels. Without one, the run's default is the (1 - nu)
    /// quantile of the validation scores. Valid after training or load().
    struct OwnThreshold {
        double value = 0;
        std::string rule;
    };
    virtual std::optional<OwnThreshold> ownThreshold() const { return std::nullopt; }

    /// Writes the trained model to `path` (a file inside the run's folder).
    virtual void save(const std::string& path) = 0;
    /// Reads a model saved by save(); `project` provides what it looks up at scoring time
    /// (e.g. template vectors), `embedder` the run's recorded embedder ("kind:version").
    virtual void load(Project& project, const std::string& path, const std::string& embedder) = 0;
    /// "kind:version" of the template embedder it reads, "" when it reads none (recorded with
    /// the run; valid after prepare()).
    virtual std::string embedder() const { return ""; }
};

}  // namespace mlad
