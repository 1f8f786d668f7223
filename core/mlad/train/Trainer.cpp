// The run manager: run records, the epoch loop of torch detectors (seeding, mixed precision,
// clipping, NaN checks, early stopping, checkpoints, resume), one-call fitting of the others,
// score storage and metrics. Everything it exposes is torch-free (Trainer.h).
#include "mlad/train/Trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "mlad/eval/Metrics.h"
#include "mlad/model/Shard.h"
#include "mlad/seq/Adapters.h"
#include "mlad/seq/Sequences.h"
#include "mlad/seq/Splits.h"
#include "mlad/store/Runs.h"
#include "mlad/train/Amp.h"
#include "mlad/train/DistGroup.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/TorchTrainable.h"
#include "mlad/train/TrainConfig.h"
#include "mlad/util/AtomicFile.h"
#include "mlad/util/Json.h"
#include "mlad/util/Version.h"

namespace mlad {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// With --amp, steps whose gradients are not finite are skipped and the loss scale halved; 40 in
// a row take the scale from 2^16 to 2^-24, where float16 gradients cannot be the problem any
// more: something in the forward pass overflows.
constexpr int64_t kMaxSkippedSteps = 40;

double secondsSince(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

// A number for a message, 8 significant digits.
std::string formatNumber(double v) {
    std::ostringstream o;
    o.precision(8);
    o << v;
    return o.str();
}

// The parameter table's ranges and rules, plus what only this build and machine can tell.
void validateConfig(const TrainConfig& c) {
    validateTrainConfig(c);
    if (c.has("device") && c.text("device") == "cuda" && !torch::cuda::is_available())
        throw std::invalid_argument("--device cuda: this build or machine has no CUDA device");
}

// A run's folder inside <project>.runs/. A name of letters, digits, '-', '_' and '.' that does
// not start with '.' is used as it is (so older runs keep their folders); any other name (with
// '/', "..", quotes, spaces, non-ASCII) gets its unsafe bytes replaced and a hash of the exact
// name appended, so that the folder never leaves <project>.runs/ and "a/b" and "a_b" never
// share one.
std::string runDir(Project& p, const std::string& run) {
    std::string safe;
    bool plain = !run.empty() && run[0] != '.' && run.size() <= 200;  // file names: 255 bytes
    for (char ch : run) {
        const bool ok =
            std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
        plain = plain && ok;
        safe.push_back(ok ? ch : '_');
    }
    if (!plain) {
        safe.resize(std::min<size_t>(safe.size(), 80));
        uint64_t h = 1469598103934665603ull;  // FNV-1a of the exact name
        for (unsigned char ch : run) h = (h ^ ch) * 1099511628211ull;
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
        if (!safe.empty() && safe[0] == '.') safe[0] = '_';
        safe += std::string(safe.empty() ? "" : "-") + hex;
    }
    return p.path() + ".runs/" + safe;
}

// The template ids of a split's training part, read a chunk at a time.
constexpr const char* kTrainingTemplatesFile = "training_templates.json";
std::unordered_set<int32_t> templatesOfTrainingPart(Project& project, int64_t splitId,
                                                    TaskContext* ctx) {
    std::unordered_set<int32_t> seen;
    const seq::SequenceStream train(project, splitPart(project, splitId, "train"), ctx);
    train.forEachChunk(
        4096,
        [&](const seq::EventSequences& part, size_t) {
            for (const auto& ev : part.events) seen.insert(ev.begin(), ev.end());
        },
        ctx);
    return seen;
}

// Writes the checkpoint of a torch detector atomically (never a half checkpoint).
void saveCheckpoint(const std::string& path, torch::nn::Module& module,
                    torch::optim::Optimizer& opt, int epoch, double bestVal, int badEpochs,
                    const LossScaler* scaler) {
    torch::serialize::OutputArchive ar, m, o;
    module.save(m);
    opt.save(o);
    ar.write("model", m);
    ar.write("optimizer", o);
    ar.write("epoch", torch::tensor(int64_t(epoch)));
    ar.write("best_val", torch::tensor(bestVal, torch::kFloat64));
    ar.write("bad_epochs", torch::tensor(int64_t(badEpochs)));
    if (scaler) {
        ar.write("amp_scale", torch::tensor(scaler->currentScale(), torch::kFloat64));
        ar.write("amp_growth", torch::tensor(scaler->growthTracker()));
    }
    // Serialised in memory first: LibTorch's file writer aborts the process when a write
    // fails during unwinding (a full disk), and the atomic write reports it instead.
    std::ostringstream os;
    ar.save_to(os);
    writeFileAtomically(path, os.str());
}

std::string moduleState(torch::nn::Module& module) {
    torch::serialize::OutputArchive ar;
    module.save(ar);
    std::ostringstream os;
    ar.save_to(os);
    return os.str();
}

void loadModuleState(torch::nn::Module& module, const std::string& state, torch::Device dev) {
    std::istringstream is(state);
    torch::serialize::InputArchive ar;
    ar.load_from(is, dev);
    module.load(ar);
}

// Where a resumed run continues: the epoch after the checkpoint's, early-stopping state, the
// best epoch's weights.
struct LoopState {
    int startEpoch = 1, badEpochs = 0;
    double bestVal = std::numeric_limits<double>::infinity();
    std::string bestState;  // serialized parameters of the best epoch
};

// Loads a checkpoint written by saveCheckpoint into the module, the optimiser and (with amp)
// the loss scaler.
LoopState restoreCheckpoint(const std::string& ckptPath, const std::string& bestPath,
                            torch::nn::Module& module, torch::optim::Optimizer& opt,
                            LossScaler* scaler, torch::Device dev) {
    torch::serialize::InputArchive ar;
    ar.load_from(ckptPath, dev);
    torch::serialize::InputArchive m, o;
    ar.read("model", m);
    ar.read("optimizer", o);
    module.load(m);
    opt.load(o);
    torch::Tensor e, b, bad;
    ar.read("epoch", e);
    ar.read("best_val", b);
    ar.read("bad_epochs", bad);
    torch::Tensor ampScale, ampGrowth;
    if (scaler && ar.try_read("amp_scale", ampScale) && ar.try_read("amp_growth", ampGrowth))
        scaler->setState(ampScale.item<double>(), ampGrowth.item<int64_t>());
    LoopState st;
    st.startEpoch = int(e.item<int64_t>()) + 1;
    st.bestVal = b.item<double>();
    st.badEpochs = int(bad.item<int64_t>());
    if (fs::exists(bestPath)) {
        std::ifstream in(bestPath, std::ios::binary);
        st.bestState.assign(std::istreambuf_iterator<char>(in), {});
    }
    return st;
}

struct EpochLoop {
    Project& project;
    int64_t runId;
    const TrainConfig& config;
    TorchTrainable& net;
    torch::Device dev;
    std::string dir;
    TaskContext* ctx;
    const TrainCallbacks& cb;
    bool resume;
    DistGroup* group = nullptr;  ///< data-parallel ranks (Distributed.h), or none
    /// Seconds this epoch spent summing gradients over the ranks: communication plus waiting
    /// for the slowest rank (reported as sync_seconds).
    double syncSeconds = 0;

    bool writer() const { return group == nullptr || group->rank() == 0; }

    // Sums the gradients over the ranks. A parameter with a gradient on some rank gets zeros
    // where it has none, so that every rank's optimiser sees the same gradients (Adam treats a
    // missing gradient and a zero one differently).
    void sumGradients(torch::nn::Module& module) {
        auto params = module.parameters();
        torch::Tensor has = torch::zeros({int64_t(params.size())}, torch::kDouble);
        for (size_t i = 0; i < params.size(); ++i)
            if (params[i].grad().defined()) has[int64_t(i)] = 1.0;
        group->allReduceSum(has);
        std::vector<torch::Tensor> grads;
        for (size_t i = 0; i < params.size(); ++i) {
            if (has[int64_t(i)].item<double>() == 0) continue;
            if (!params[i].grad().defined())
                params[i].mutable_grad() = torch::zeros_like(params[i]);
            grads.push_back(params[i].grad());
        }
        group->allReduceSumBucketed(grads);
    }

    // Backward, the sum of the ranks' gradients, clipping and the optimiser's step; with a loss
    // scaler (amp) a step whose gradients are not finite is skipped, and too many in a row end
    // the run.
    void optimiserStep(const torch::Tensor& total, torch::nn::Module& module,
                       torch::optim::Adam& opt, LossScaler* scaler, double clipNorm, int epoch,
                       int64_t b) {
        opt.zero_grad();
        (scaler ? scaler->scale(total) : total).backward();
        if (group) {
            const auto t = Clock::now();
            sumGradients(module);
            syncSeconds += secondsSince(t);
        }
        const bool finite = scaler == nullptr || scaler->unscale(module.parameters());
        if (finite) {
            if (clipNorm > 0) torch::nn::utils::clip_grad_norm_(module.parameters(), clipNorm);
            opt.step();
        }
        if (scaler == nullptr) return;
        scaler->update(finite);
        if (scaler->consecutiveSkips() >= kMaxSkippedSteps)
            throw std::runtime_error("mixed precision: the gradients were not finite in " +
                                     std::to_string(kMaxSkippedSteps) +
                                     " steps in a row (loss scale down to " +
                                     formatNumber(scaler->currentScale()) + ") at epoch " +
                                     std::to_string(epoch) + ", batch " + std::to_string(b + 1) +
                                     "; training stopped (train without mixed precision)");
    }

    // Trains epoch by epoch from the checkpoint (if any), then restores the best epoch's
    // weights and lets the detector finish (e.g. re-estimate its mixture).
    void run() {
        const uint64_t seed = uint64_t(config.integer("seed"));
        const int epochs = int(config.integer("epochs"));
        const int64_t batchSize = config.integer("batch_size");
        const int patience = int(config.integer("patience"));
        const double clipNorm = config.real("clip_norm");
        const bool amp = config.flag("amp");
        const std::string ckptPath = dir + "/checkpoint.pt";

        const int world = group ? group->world() : 1;
        // The model's view of the group (model/Shard.h), for the whole loop.
        std::optional<model::GroupScope> groupScope;
        if (group) groupScope.emplace(group->rankGroup());

        torch::manual_seed(seed);
        net.build(dev);
        torch::nn::Module& module = net.module();
        torch::optim::Adam opt(module.parameters(), torch::optim::AdamOptions(config.real("lr")));
        LossScaler scaler;  // used with amp only

        LoopState st;
        if (resume && fs::exists(ckptPath))
            st = restoreCheckpoint(ckptPath, dir + "/best.pt", module, opt, amp ? &scaler : nullptr,
                                   dev);
        if (group) {
            // Every rank built the same weights from the same seed (or read the same
            // checkpoint); rank 0's are made everyone's all the same.
            torch::NoGradGuard ng;
            for (auto& p : module.parameters()) {
                torch::Tensor t = p.detach();
                group->broadcast(t);
            }
        }
        const int startEpoch = st.startEpoch;
        int& badEpochs = st.badEpochs;
        double& bestVal = st.bestVal;
        std::string& bestState = st.bestState;

        const int64_t n = net.trainSize();
        // --batch-size is per rank: a step takes one global batch of world x batch_size.
        const int64_t globalBatch = batchSize * world;
        const int64_t batches = (n + globalBatch - 1) / globalBatch;
        for (int epoch = startEpoch; epoch <= epochs; ++epoch) {
            auto te = Clock::now();
            syncSeconds = 0;
            // Per-epoch seeds make a resumed run continue exactly like an uninterrupted one.
            torch::manual_seed(seed * 1000003ULL + uint64_t(epoch));
            auto order = net.epochBatches(globalBatch);
            module.train();
            std::vector<std::string> names;
            std::vector<double> sums;
            for (int64_t b = 0; b < int64_t(order.size()); ++b) {
                if (ctx && ctx->isCancelled()) throw Cancelled();
                const auto& rows = order[size_t(b)];
                // A global batch with fewer sequences than ranks (at most the epoch's last)
                // cannot be split: every rank skips it.
                if (rows.size(0) < world) continue;
                // This rank's part of the batch (all of it in a single process).
                model::ShardScope shard(rows);
                LossTerms terms;
                {
                    AutocastScope autocast(dev.type(), amp);
                    terms = net.trainStep(shard.rows());
                }
                if (terms.empty()) throw std::logic_error("trainStep returned no loss");
                if (group && !net.shardAware()) {
                    // A mean over the rank's part, weighted by its share of the batch: the
                    // ranks' losses sum to the mean over the whole batch.
                    const double share = double(shard.rows().size(0)) / double(rows.size(0));
                    for (auto& t : terms) t.second = t.second * share;
                }
                // One host synchronisation for all loss terms.
                std::vector<torch::Tensor> parts;
                for (const auto& t : terms) parts.push_back(t.second.detach().to(torch::kDouble));
                torch::Tensor values = torch::stack(parts).to(torch::kCPU);
                // The batch's loss is the sum of the ranks' parts (every rank checks the same
                // value for NaN, so all stop together).
                if (group) group->allReduceSum(values);
                const double* v = values.data_ptr<double>();
                const double loss = v[0];
                if (!std::isfinite(loss))
                    throw std::runtime_error(
                        "the loss became " + std::string(std::isnan(loss) ? "NaN" : "infinite") +
                        " at epoch " + std::to_string(epoch) + ", batch " + std::to_string(b + 1) +
                        "; training stopped (try a lower learning rate" +
                        (config.has("lambda_energy") ? " or lambda_energy" : "") +
                        (amp ? ", or train without mixed precision)" : ")"));
                optimiserStep(terms[0].second, module, opt, amp ? &scaler : nullptr, clipNorm,
                              epoch, b);
                const double w = double(rows.size(0));
                if (names.empty()) {
                    for (const auto& t : terms) {
                        if (std::find(names.begin(), names.end(), t.first) != names.end() ||
                            (t.first == "loss" && !names.empty()))
                            throw std::logic_error("the detector reports the loss term '" +
                                                   t.first + "' twice");
                        names.push_back(t.first);
                    }
                    sums.assign(terms.size(), 0.0);
                }
                for (size_t i = 0; i < sums.size() && i < terms.size(); ++i) sums[i] += v[i] * w;
                if (cb.onBatch) cb.onBatch({epoch, int(b + 1), int(batches), loss});
                if (ctx) {
                    Progress p;
                    p.stage = "epoch " + std::to_string(epoch) + "/" + std::to_string(epochs);
                    p.done = uint64_t((epoch - 1) * batches + b + 1);
                    p.total = uint64_t(epochs * batches);
                    ctx->report(p);
                }
            }
            EpochStats es;
            es.epoch = epoch;
            es.epochs = epochs;
            for (size_t i = 0; i < names.size(); ++i)
                es.values.emplace_back(i == 0 ? "train_loss" : "train_" + names[i],
                                       sums[i] / double(n));
            double valLoss;
            {
                torch::NoGradGuard ng;
                module.eval();
                // Detectors that know about ranks split the validation batches; the others
                // compute it whole on every rank (the same value).
                valLoss = net.validationLoss(globalBatch, amp);
            }
            es.values.emplace_back("val_loss", valLoss);
            es.values.emplace_back("seconds", secondsSince(te));
            if (group) es.values.emplace_back("sync_seconds", syncSeconds);
            es.improved = valLoss < bestVal;
            if (es.improved) {
                bestVal = valLoss;
                badEpochs = 0;
                bestState = moduleState(module);
                if (writer()) writeFileAtomically(dir + "/best.pt", bestState);
            } else {
                ++badEpochs;
            }
            if (writer()) {
                insertRunEpoch(project, runId, es);
                saveCheckpoint(ckptPath, module, opt, epoch, bestVal, badEpochs,
                               amp ? &scaler : nullptr);
            }
            if (cb.onEpoch) cb.onEpoch(es);
            if (patience > 0 && badEpochs >= patience) break;
        }
        // Rank 0 alone finishes, saves and scores.
        if (!writer()) return;
        groupScope.reset();
        if (!bestState.empty()) loadModuleState(module, bestState, dev);
        module.eval();
        net.finishTraining(batchSize);
    }
};

// A cancelled or failed run continues only with the same detector and model parameters: the
// checkpoint holds that model's weights (settings of the optimisation and threshold groups may
// change, e.g. more epochs or another device).
void checkResumable(const RunInfo& run, const TrainConfig& config, const DetectorInfo& info) {
    TrainConfig before;
    try {
        before = trainConfigFromJson(run.configJson);
    } catch (const std::exception& e) {
        throw std::invalid_argument("run '" + run.name + "' cannot be resumed: " + e.what() +
                                    "; choose another name");
    }
    if (before.model != config.model)
        throw std::invalid_argument("run '" + run.name + "' was trained as " + before.model +
                                    ", not " + config.model +
                                    "; resume it with the same model or choose another name");
    for (const auto& p : info.params) {
        if (p.group != "model" && p.group != "data") continue;
        const Json a = before.params.value(p.key, Json()), b = config.params.value(p.key, Json());
        if (a != b)
            throw std::invalid_argument("run '" + run.name + "' was trained with --" + p.option() +
                                        " " + a.dump() + ", not " + b.dump() +
                                        "; resume it with the same model settings or choose "
                                        "another name");
    }
}

// After fitting: saves the model, scores the validation and test parts a chunk at a time, and
// keeps the detector's own threshold, the training part's templates, the scores and (with
// labels) the metrics at the default threshold.
void recordResults(Project& project, int64_t runId, const std::string& runName, Detector& detector,
                   const seq::SequenceStream& val, const seq::SequenceStream& test, int64_t splitId,
                   const std::string& dir, const TrainConfig& config, Clock::time_point t0,
                   TaskContext* ctx) {
    const std::string modelPath = dir + "/model.pt";
    detector.save(modelPath);
    std::vector<double> valScores, testScores;
    bool anyLabels = false;
    scoreInChunks(
        detector, project, val,
        [&](const seq::EventSequences&, const std::vector<double>& sc) {
            valScores.insert(valScores.end(), sc.begin(), sc.end());
        },
        ctx);
    scoreInChunks(
        detector, project, test,
        [&](const seq::EventSequences& part, const std::vector<double>& sc) {
            testScores.insert(testScores.end(), sc.begin(), sc.end());
            for (uint8_t l : part.labels) anyLabels |= l <= 1;
        },
        ctx);
    if (auto own = detector.ownThreshold()) setRunThreshold(project, runId, own->value, own->rule);
    {
        // The training part's templates, for "unseen in training" marks: reading a large
        // training part again for every sequence a user opens would take seconds.
        const auto seen = templatesOfTrainingPart(project, splitId, ctx);
        std::vector<int32_t> ids(seen.begin(), seen.end());
        std::sort(ids.begin(), ids.end());
        writeJsonFile(dir + "/" + kTrainingTemplatesFile, Json(ids));
    }
    storeRunScores(project, runId, val.ids(), valScores, test.ids(), testScores, modelPath,
                   secondsSince(t0));
    if (anyLabels) {
        const double nu = config.has("nu") ? config.real("nu") : 0.01;
        auto rep = evaluateRun(project, runName, ThresholdChoice::parse("", 1.0 - nu));
        setRunMetrics(project, runId, rep.toJson());
    }
}

}  // namespace

bool cudaAvailable() {
    return torch::cuda::is_available();
}

std::string defaultRunName(Project& project, const std::string& splitName,
                           const TrainConfig& config) {
    // "w/o-gmm" -> "wo-gmm", "mlad-paper w/o-gmm" -> "mlad-paper-wo-gmm".
    std::string label;
    for (char ch : config.label())
        if (ch != '/') label.push_back(ch == ' ' ? '-' : ch);
    const std::string base = splitName + "-" + label;
    std::string name = base;
    for (int i = 2;; ++i) {
        // Any existing run's name is taken: resuming one is done by naming it (--run).
        if (!findRun(project, name)) return name;
        name = base + "-" + std::to_string(i);
    }
}

RunInfo trainRun(Project& project, const std::string& splitName, const std::string& runName,
                 const TrainConfig& config, TaskContext* ctx, const TrainCallbacks& cb,
                 const DistSettings* dist) {
    validateConfig(config);
    if (runName.empty()) throw std::invalid_argument("a run needs a name");
    auto split = findSplit(project, splitName);
    if (!split) throw std::invalid_argument("no split named '" + splitName + "'");
    const auto t0 = Clock::now();
    const DetectorInfo& info = detectorInfo(config.model);
    std::unique_ptr<DistGroup> group;
    if (dist != nullptr && dist->active()) {
        if (!info.iterative)
            throw std::invalid_argument("--model " + config.label() +
                                        " is fitted in one pass, not trained in epochs: it does "
                                        "not train data-parallel (run it without mlad launch)");
        group = std::make_unique<DistGroup>(*dist);
    }
    const bool writer = group == nullptr || group->rank() == 0;

    configureTorchThreads(config.has("threads") ? int(config.integer("threads")) : 0);
    const std::string deviceParam = config.has("device") ? config.text("device") : "cpu";
    const bool useCuda = info.iterative && (deviceParam == "cuda" ||
                                            (deviceParam == "auto" && torch::cuda::is_available()));
    if (group && useCuda && dist->localRank > 0)
        throw std::invalid_argument(
            "data-parallel training on CUDA uses one GPU per machine for now: start one rank per "
            "machine (mlad launch --nproc-per-node 1), or train on CPU ranks (--device cpu)");
    const torch::Device dev = useCuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    const bool amp = config.has("amp") && config.flag("amp");
    std::string deviceText =
        useCuda ? "cuda" : "cpu (" + std::to_string(at::get_num_threads()) + " threads)";
    if (amp) deviceText += std::string(", mixed precision ") + (useCuda ? "float16" : "bfloat16");
    if (group)
        deviceText += " x " + std::to_string(group->world()) + " ranks (" + group->backend() + ")";

    // A run of the same name may be resumed when it did not finish.
    std::optional<RunInfo> existing = findRun(project, runName);
    if (existing && existing->status == "done")
        throw std::invalid_argument("run '" + runName + "' exists; choose another name");
    if (existing) checkResumable(*existing, config, info);
    // Every rank has looked the run up before rank 0 writes it.
    if (group) group->barrier();

    TrainData data;
    data.project = &project;
    data.device = useCuda ? "cuda" : "cpu";
    {
        const auto kinds = splitTrainingKinds(project, split->id);
        data.windows = !kinds.empty() && std::all_of(kinds.begin(), kinds.end(), [](const auto& k) {
            return k == "window" || k == "time";
        });
    }
    // Detectors that stream read their batches from the project; the validation and test
    // parts are scored a chunk at a time for every detector.
    auto trainStream = std::make_shared<const seq::SequenceStream>(
        project, splitPart(project, split->id, "train"), ctx);
    auto valStream = std::make_shared<const seq::SequenceStream>(
        project, splitPart(project, split->id, "val"), ctx);
    const seq::SequenceStream test(project, splitPart(project, split->id, "test"), ctx);
    if (trainStream->empty())
        throw std::invalid_argument("split " + splitName + " has no training data");
    if (info.streams) {
        data.trainStream = trainStream;
        data.valStream = valStream;
    } else {
        data.train = trainStream->load(0, trainStream->size());
        data.val = valStream->load(0, valStream->size());
    }
    std::unique_ptr<Detector> detector = createDetector(config);
    detector->prepare(data, ctx);
    TorchTrainable* trainable = detector->trainable();
    if (info.iterative != (trainable != nullptr))
        throw std::logic_error("detector " + info.id + ": iterative and trainable() disagree");

    const std::string dir = runDir(project, runName);
    if (writer) fs::create_directories(dir);
    // Temporaries of a process that was killed while saving (atomic writes never leave them
    // otherwise); the files they were meant to replace are intact.
    for (const auto& e : writer ? fs::directory_iterator(dir) : fs::directory_iterator()) {
        const std::string name = e.path().filename().string();
        const bool oldStyle = name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0;
        if (name.find(".tmp-") != std::string::npos || oldStyle) {
            std::error_code ec;
            fs::remove(e.path(), ec);
        }
    }
    Json manifestJson = trainConfigToJson(config);
    if (group)
        manifestJson["data_parallel"] = {
            {"world_size", group->world()},
            {"backend", group->backend()},
            {"global_batch", config.integer("batch_size") * group->world()}};
    const std::string manifest = dumpJson(manifestJson);
    if (!writer) {
        // The other ranks train their part and write nothing.
        EpochLoop loop{project, -1,  config, *trainable,     dev,
                       dir,     ctx, cb,     bool(existing), group.get()};
        loop.run();
        RunInfo r;
        r.name = runName;
        r.model = config.label();
        r.status = "done";
        r.device = deviceText;
        r.trainSeconds = secondsSince(t0);
        return r;
    }
    int64_t runId;
    if (existing) {
        runId = existing->id;
        // The manifest describes the settings the run finishes with (a resume may change the
        // epochs, the device or mixed precision).
        restartRun(project, runId, manifest, deviceText);
    } else {
        NewRun nr;
        nr.name = runName;
        nr.model = config.label();
        nr.splitId = split->id;
        nr.configJson = manifest;
        nr.embedder = detector->embedder();
        nr.seed = config.has("seed") ? uint64_t(config.integer("seed")) : 0;
        nr.codeVersion = codeVersion();
        nr.device = deviceText;
        runId = createRun(project, nr);
    }

    try {
        if (trainable) {
            EpochLoop loop{project, runId, config, *trainable,     dev,
                           dir,     ctx,   cb,     bool(existing), group.get()};
            loop.run();
        } else {
            FitObserver obs;
            obs.onProgress = [ctx](const std::string& stage, double fraction) {
                if (!ctx) return;
                Progress p;
                p.stage = stage;
                p.done = uint64_t(std::clamp(fraction, 0.0, 1.0) * 1000);
                p.total = 1000;
                ctx->report(p);
            };
            detector->fit(obs, ctx);
        }
        recordResults(project, runId, runName, *detector, *valStream, test, split->id, dir, config,
                      t0, ctx);
    } catch (const Cancelled&) {
        stopRun(project, runId, "cancelled",
                "cancelled by the user; train again with the same run name to resume");
        throw;
    } catch (const std::exception& e) {
        stopRun(project, runId, "failed", e.what());
        throw;
    }
    return *findRun(project, runName);
}

std::string runScoreName(const std::string& configJson) {
    try {
        const TrainConfig c = trainConfigFromJson(configJson);
        const DetectorInfo& info = detectorInfo(c.model);
        return info.scoreNameFor ? info.scoreNameFor(c.params) : info.scoreName;
    } catch (const std::exception&) {
        return "score";
    }
}

std::unique_ptr<Detector> loadRunDetector(Project& project, const RunInfo& run) {
    if (run.status != "done" || run.modelPath.empty())
        throw std::invalid_argument("run '" + run.name + "' has no trained model (status " +
                                    run.status + ")");
    std::unique_ptr<Detector> d;
    try {
        d = createDetector(trainConfigFromJson(run.configJson), false);
    } catch (const std::exception& e) {
        throw std::runtime_error("run '" + run.name + "' cannot be loaded: " + e.what());
    }
    // The stored path is as the project was named when training (possibly relative to another
    // working directory): the run's own folder beside the project file comes first.
    std::string modelPath = runDir(project, run.name) + "/model.pt";
    if (!fs::exists(modelPath)) modelPath = run.modelPath;
    if (!fs::exists(modelPath))
        throw std::runtime_error("run '" + run.name + "': its model file is missing (" +
                                 runDir(project, run.name) + "/model.pt)");
    try {
        d->load(project, modelPath, run.embedder);
    } catch (const c10::Error& e) {
        throw std::runtime_error("run '" + run.name + "': cannot read its model " + modelPath +
                                 ": " + e.what_without_backtrace());
    } catch (const std::exception& e) {
        throw std::runtime_error("run '" + run.name + "': " + e.what());
    }
    return d;
}

std::vector<ScoredSequence> scoreSequences(Project& project, const std::string& runName,
                                           const std::vector<int64_t>& sequenceIds,
                                           std::optional<double> threshold, TaskContext* ctx) {
    auto run = findRun(project, runName);
    if (!run) throw std::invalid_argument("no run named '" + runName + "'");
    auto detector = loadRunDetector(project, *run);
    if (!threshold) threshold = loadRunScores(project, run->id).defaultThreshold;
    const auto seen = trainingTemplates(project, *run, ctx);
    const seq::SequenceStream seqs(project, sequenceIds, ctx);
    std::unordered_map<int64_t, std::string> systemNames;
    for (const auto& s : project.systems()) systemNames[s.id] = s.name;
    std::vector<ScoredSequence> out;
    out.reserve(seqs.size());
    scoreInChunks(
        *detector, project, seqs,
        [&](const seq::EventSequences& part, const std::vector<double>& scores) {
            for (size_t k = 0; k < part.size(); ++k) {
                ScoredSequence r;
                r.sequenceId = part.ids[k];
                r.system = systemNames[part.systemIds[k]];
                r.firstLine = part.firstLines[k];
                r.lastLine = part.lastLines[k];
                r.label = part.labels[k] > 1 ? -1 : int(part.labels[k]);
                r.score = scores[k];
                r.predicted = r.score >= *threshold;
                if (seen) {
                    r.unseenTemplates = 0;
                    for (int32_t t : part.events[k]) r.unseenTemplates += !seen->count(t);
                }
                out.push_back(std::move(r));
            }
        },
        ctx);
    return out;
}

void scoreInChunks(Detector& detector, Project& project, const seq::SequenceStream& seqs,
                   const ChunkScored& each, TaskContext* ctx, size_t chunk) {
    if (chunk == 0) throw std::invalid_argument("scoreInChunks: chunk must be at least 1");
    seqs.forEachChunk(
        chunk,
        [&](const seq::EventSequences& part, size_t offset) {
            const TaskContext::Span span(ctx, offset, seqs.size());
            const std::vector<double> scores = detector.score(project, part, ctx);
            if (scores.size() != part.size())
                throw std::logic_error("detector " + detector.info().id +
                                       " returned the wrong number of scores");
            each(part, scores);
        },
        ctx);
}

std::optional<std::unordered_set<int32_t>> trainingTemplates(Project& project, const RunInfo& run,
                                                             TaskContext* ctx) {
    if (run.splitId == 0) return std::nullopt;
    // Written by the training (runs from before it have none; a damaged file is ignored).
    const std::string saved = runDir(project, run.name) + "/" + kTrainingTemplatesFile;
    std::error_code ec;
    if (fs::exists(saved, ec)) {
        try {
            const auto ids = readJsonFile(saved).get<std::vector<int32_t>>();
            return std::unordered_set<int32_t>(ids.begin(), ids.end());
        } catch (const std::exception&) {
        }
    }
    return templatesOfTrainingPart(project, run.splitId, ctx);
}

std::vector<AttentionMaps> attentionOf(Project& project, const std::string& runName,
                                       const std::vector<int64_t>& sequenceIds) {
    auto run = findRun(project, runName);
    if (!run) throw std::invalid_argument("no run named '" + runName + "'");
    auto detector = loadRunDetector(project, *run);  // once for every sequence
    if (!detector->info().caps.attention)
        throw std::invalid_argument(detector->info().displayName + " has no attention maps");
    std::vector<AttentionMaps> out;
    for (int64_t sequenceId : sequenceIds) {
        const seq::EventSequences one = seq::loadEventSequences(project, {sequenceId});
        if (one.empty())
            throw std::invalid_argument("sequence " + std::to_string(sequenceId) + " is empty");
        const Explanation e = detector->explain(project, one);
        AttentionMaps m;
        m.layers = e.layers;
        m.heads = e.heads;
        m.length = e.length;
        m.weights = e.attention;
        for (int i = 0; i < m.length && i < int(one.events[0].size()); ++i)
            m.templateIds.push_back(int64_t(one.events[0][size_t(i)]));
        m.templates = project.templateTexts(m.templateIds, "?");
        out.push_back(std::move(m));
    }
    return out;
}

AttentionMaps attentionOf(Project& project, const std::string& runName, int64_t sequenceId) {
    return std::move(attentionOf(project, runName, std::vector<int64_t>{sequenceId}).front());
}

SequenceExplanation explainSequence(Project& project, const std::string& runName,
                                    int64_t sequenceId) {
    auto run = findRun(project, runName);
    if (!run) throw std::invalid_argument("no run named '" + runName + "'");
    const seq::EventSequences one = seq::loadEventSequences(project, {sequenceId});
    if (one.empty())
        throw std::invalid_argument("sequence " + std::to_string(sequenceId) + " is empty");
    SequenceExplanation out;
    out.scoreName = runScoreName(run->configJson);
    // Templates of the run's training part.
    const auto seen = trainingTemplates(project, *run);
    for (int32_t t : one.events[0]) {
        out.templateIds.push_back(int64_t(t));
        out.unseenInTraining.push_back(!seen || !seen->count(t));
    }
    auto detector = loadRunDetector(project, *run);
    const Capabilities& caps = detector->info().caps;
    if (caps.contributions || caps.componentEnergies) {
        Explanation e = detector->explain(project, one);
        out.contributions = std::move(e.contributions);
        out.contributionName = std::move(e.contributionName);
        out.componentEnergies = std::move(e.componentEnergies);
        out.componentWeights = std::move(e.componentWeights);
    }
    return out;
}

Representations representationsOf(Project& project, const std::string& runName,
                                  const std::vector<int64_t>& sequenceIds) {
    auto run = findRun(project, runName);
    if (!run) throw std::invalid_argument("no run named '" + runName + "'");
    auto detector = loadRunDetector(project, *run);
    if (!detector->info().caps.representation)
        throw std::invalid_argument(detector->info().displayName +
                                    " has no sequence representation (t-SNE needs one)");
    const seq::EventSequences seqs = seq::loadEventSequences(project, sequenceIds);
    Representations r;
    r.ids = seqs.ids;
    r.vectors = detector->represent(project, seqs);
    return r;
}

}  // namespace mlad
