// Training, checkpointing, scoring and run records. The only translation unit of train/ that
// includes LibTorch; everything it exposes is torch-free (Trainer.h).
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
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "mlad/embed/TemplateVectors.h"
#include "mlad/eval/Metrics.h"
#include "mlad/model/Mlad.h"
#include "mlad/seq/Sequences.h"
#include "mlad/seq/Splits.h"
#include "mlad/store/Runs.h"
#include "mlad/train/Amp.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/TrainConfig.h"
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

model::MladConfig modelConfig(const TrainConfig& c, int dIn, int64_t maxLen) {
    model::MladConfig m;
    m.dIn = dIn;
    m.dModel = c.dModel;
    m.nLayers = c.nLayers;
    m.nHeads = c.nHeads;
    m.dFf = c.dFf;
    m.maxLen = maxLen;
    m.dZ = c.dZ;
    m.nComponents = c.components;
    m.dropout = c.dropout;
    m.alpha = c.alpha;
    m.maskRatio = c.maskRatio;
    m.lambdaEnergy = c.lambdaEnergy;
    m.lambdaCov = c.lambdaCov;
    m.covEps = c.covEps;
    m.recon = c.recon == "full" ? model::MladConfig::Recon::Full : model::MladConfig::Recon::Masked;
    if (c.model == "w/o-entmax") m.alpha = 1.0;
    if (c.model == "w/o-gmm") m.useGmm = false;
    m.validate();
    return m;
}

// The parameter table's ranges and rules (TrainConfig.h), plus what only this build and machine
// can tell.
void validateConfig(const TrainConfig& c) {
    validateTrainConfig(c);
    if (c.device == "cuda" && !torch::cuda::is_available())
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

// The sequences of a split part as template-index rows into a vector table.
struct Dataset {
    std::vector<int64_t> ids;
    std::vector<uint8_t> labels;                            // 0/1, 2 unknown
    std::vector<int64_t> systemIds, firstLines, lastLines;  // for score reports
    torch::Tensor index;    // [N, L] int64 into the vector table, 0 = padding
    torch::Tensor lengths;  // [N]
};

struct VectorTable {
    torch::Tensor table;  // [T+1, d], row 0 = zeros (padding)
    std::unordered_map<int64_t, int64_t> row;
};

VectorTable buildTable(const embed::TemplateVectors& tv) {
    VectorTable vt;
    vt.table = torch::zeros({int64_t(tv.byTemplate.size()) + 1, tv.dim}, torch::kFloat32);
    auto acc = vt.table.accessor<float, 2>();
    int64_t r = 1;
    std::vector<int64_t> keys;
    for (const auto& kv : tv.byTemplate) keys.push_back(kv.first);
    std::sort(keys.begin(), keys.end());
    for (int64_t k : keys) {
        const auto& v = tv.byTemplate.at(k);
        for (int d = 0; d < tv.dim; ++d) acc[r][d] = v[size_t(d)];
        vt.row[k] = r++;
    }
    return vt;
}

Dataset loadDataset(Project& p, const std::vector<int64_t>& ids, const VectorTable& vt,
                    int maxLen) {
    Dataset ds;
    std::vector<std::vector<int64_t>> rows;
    int64_t longest = 1;
    for (int64_t id : ids) {
        auto s = sequenceById(p, id);
        if (!s) continue;
        std::vector<int64_t> r;
        for (int32_t t : s->events) {
            if (int(r.size()) >= maxLen) break;
            auto it = vt.row.find(t);
            if (it == vt.row.end())
                throw std::runtime_error("template " + std::to_string(t) + " has no vector");
            r.push_back(it->second);
        }
        if (r.empty()) continue;
        longest = std::max<int64_t>(longest, int64_t(r.size()));
        ds.ids.push_back(id);
        ds.labels.push_back(s->label < 0 ? 2 : uint8_t(s->label));
        ds.systemIds.push_back(s->systemId);
        ds.firstLines.push_back(s->firstLine);
        ds.lastLines.push_back(s->lastLine);
        rows.push_back(std::move(r));
    }
    ds.index = torch::zeros({int64_t(rows.size()), longest}, torch::kInt64);
    ds.lengths = torch::zeros({int64_t(rows.size())}, torch::kInt64);
    auto acc = ds.index.accessor<int64_t, 2>();
    auto lac = ds.lengths.accessor<int64_t, 1>();
    for (size_t i = 0; i < rows.size(); ++i) {
        for (size_t j = 0; j < rows[i].size(); ++j) acc[long(i)][long(j)] = rows[i][j];
        lac[long(i)] = int64_t(rows[i].size());
    }
    return ds;
}

struct Batch {
    torch::Tensor x, pad;
};

Batch makeBatch(const Dataset& ds, const torch::Tensor& table, const torch::Tensor& rows,
                torch::Device dev) {
    auto idx = ds.index.index_select(0, rows);
    int64_t len = std::max<int64_t>(1, ds.lengths.index_select(0, rows).max().item<int64_t>());
    idx = idx.narrow(1, 0, len).to(dev);
    Batch b;
    b.pad = idx.eq(0);
    b.x = table.index_select(0, idx.reshape({-1})).reshape({idx.size(0), len, table.size(1)});
    return b;
}

// Shuffled batches of similar length: sessions vary from a few events to hundreds, and a
// batch costs as much as its longest member. Shuffle, sort chunks of 50 batches by length,
// cut them into batches, shuffle the batch order. Uses torch's seeded generator only.
std::vector<torch::Tensor> lengthBuckets(const Dataset& ds, int64_t batchSize) {
    const int64_t n = int64_t(ds.ids.size());
    auto perm = torch::randperm(n, torch::kInt64);
    auto lengths = ds.lengths.index_select(0, perm);
    std::vector<torch::Tensor> batches;
    const int64_t chunk = batchSize * 50;
    for (int64_t c = 0; c < n; c += chunk) {
        int64_t m = std::min(chunk, n - c);
        auto sorted = std::get<1>(lengths.narrow(0, c, m).sort(0, false));
        auto rows = perm.narrow(0, c, m).index_select(0, sorted);
        for (int64_t b = 0; b < m; b += batchSize)
            batches.push_back(rows.narrow(0, b, std::min(batchSize, m - b)));
    }
    auto shuffle = torch::randperm(int64_t(batches.size()), torch::kInt64);
    std::vector<torch::Tensor> out;
    for (int64_t i = 0; i < shuffle.size(0); ++i)
        out.push_back(batches[size_t(shuffle[i].item<int64_t>())]);
    return out;
}

// Deterministic batches in order of length (validation, GMM re-estimation and scoring).
std::vector<torch::Tensor> sortedBatches(const Dataset& ds, int64_t batchSize) {
    const int64_t n = int64_t(ds.ids.size());
    std::vector<torch::Tensor> out;
    if (n == 0) return out;
    auto order = std::get<1>(ds.lengths.sort(0, false));
    for (int64_t b = 0; b < n; b += batchSize)
        out.push_back(order.narrow(0, b, std::min(batchSize, n - b)));
    return out;
}

// Loads a trained run's model and the vectors of its embedder for all current templates.
struct LoadedRun {
    RunInfo info;
    TrainConfig cfg;
    model::Mlad net{nullptr};
    VectorTable vt;
};

LoadedRun loadRun(Project& p, const std::string& runName) {
    auto run = findRun(p, runName);
    if (!run) throw std::invalid_argument("no run named '" + runName + "'");
    if (run->status != "done" || run->modelPath.empty())
        throw std::invalid_argument("run '" + runName + "' has no trained model (status " +
                                    run->status + ")");
    LoadedRun lr;
    lr.info = *run;
    lr.cfg = trainConfigFromJson(run->configJson);
    auto tv = embed::ensureTemplateVectors(p, lr.cfg.embedder, lr.cfg.embedDim);
    if (run->embedder != tv.kind + ":" + tv.version && tv.kind != "corpus")
        throw std::runtime_error("run '" + runName + "' was trained with embedder " +
                                 run->embedder + ", now " + tv.kind + ":" + tv.version);
    lr.vt = buildTable(tv);
    // The corpus embedder may have been retrained on new templates since: use the run's own
    // stored vectors where they exist, new templates get the current ones.
    {
        auto colon = run->embedder.find(':');
        const auto stored =
            p.templateVectorBlobs(run->embedder.substr(0, colon), run->embedder.substr(colon + 1));
        auto acc = lr.vt.table.accessor<float, 2>();
        for (const auto& [templateId, blob] : stored) {
            auto it = lr.vt.row.find(templateId);
            if (it == lr.vt.row.end() || blob.size() != size_t(tv.dim) * sizeof(float)) continue;
            std::memcpy(&acc[it->second][0], blob.data(), blob.size());
        }
    }
    lr.net = model::Mlad(modelConfig(lr.cfg, tv.dim, std::max(lr.cfg.maxLen, 1)));
    torch::load(lr.net, run->modelPath);
    lr.net->eval();
    return lr;
}

}  // namespace

bool cudaAvailable() {
    return torch::cuda::is_available();
}

RunInfo trainRun(Project& project, const std::string& splitName, const std::string& runName,
                 const TrainConfig& config, TaskContext* ctx, const TrainCallbacks& cb) {
    validateConfig(config);
    if (runName.empty()) throw std::invalid_argument("a run needs a name");
    auto split = findSplit(project, splitName);
    if (!split) throw std::invalid_argument("no split named '" + splitName + "'");
    const auto t0 = Clock::now();

    configureTorchThreads(config.threads);
    const bool useCuda =
        config.device == "cuda" || (config.device == "auto" && torch::cuda::is_available());
    const torch::Device dev = useCuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    // Mixed precision: autocast (float16 on CUDA, bfloat16 on CPU) + dynamic loss scaling.
    const bool amp = config.amp;
    std::string deviceText =
        useCuda ? "cuda" : "cpu (" + std::to_string(at::get_num_threads()) + " threads)";
    if (amp) deviceText += std::string(", mixed precision ") + (useCuda ? "float16" : "bfloat16");

    // A run of the same name may be resumed when it did not finish.
    std::optional<RunInfo> existing = findRun(project, runName);
    if (existing && existing->status == "done")
        throw std::invalid_argument("run '" + runName + "' exists; choose another name");

    auto tv = embed::ensureTemplateVectors(project, config.embedder, config.embedDim, ctx);
    VectorTable vt = buildTable(tv);
    torch::Tensor table = vt.table.to(dev);
    Dataset train = loadDataset(project, splitPart(project, split->id, "train"), vt, config.maxLen);
    Dataset val = loadDataset(project, splitPart(project, split->id, "val"), vt, config.maxLen);
    Dataset test = loadDataset(project, splitPart(project, split->id, "test"), vt, config.maxLen);
    if (train.ids.empty())
        throw std::invalid_argument("split " + splitName + " has no training data");
    const int64_t maxLen =
        std::max<int64_t>({train.index.size(1), val.ids.empty() ? 1 : val.index.size(1),
                           test.ids.empty() ? 1 : test.index.size(1), int64_t(config.maxLen)});

    const std::string dir = runDir(project, runName);
    fs::create_directories(dir);
    const std::string ckptPath = dir + "/checkpoint.pt";
    const std::string modelPath = dir + "/model.pt";
    const std::string embedderId = tv.kind + ":" + tv.version;
    const std::string manifest = dumpJson(trainConfigToJson(config));
    int64_t runId;
    if (existing) {
        runId = existing->id;
        // The manifest describes the settings the run finishes with (a resume may change the
        // epochs, the device or mixed precision).
        restartRun(project, runId, manifest, deviceText);
    } else {
        NewRun nr;
        nr.name = runName;
        nr.model = config.model;
        nr.splitId = split->id;
        nr.configJson = manifest;
        nr.embedder = embedderId;
        nr.seed = config.seed;
        nr.codeVersion = codeVersion();
        nr.device = deviceText;
        runId = createRun(project, nr);
    }
    auto fail = [&](const std::string& status, const std::string& msg) {
        stopRun(project, runId, status, msg);
    };

    torch::manual_seed(config.seed);
    model::Mlad net(modelConfig(config, tv.dim, maxLen));
    net->to(dev);
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(config.lr));
    LossScaler scaler;  // used with --amp only

    int startEpoch = 1, badEpochs = 0;
    double bestVal = std::numeric_limits<double>::infinity();
    std::string bestState;  // serialized parameters of the best epoch
    auto saveState = [&]() {
        std::ostringstream os;
        torch::save(net, os);
        return os.str();
    };
    if (existing && fs::exists(ckptPath)) {
        torch::serialize::InputArchive ar;
        ar.load_from(ckptPath, dev);
        torch::serialize::InputArchive m, o;
        ar.read("model", m);
        ar.read("optimizer", o);
        net->load(m);
        opt.load(o);
        torch::Tensor e, b, bad;
        ar.read("epoch", e);
        ar.read("best_val", b);
        ar.read("bad_epochs", bad);
        torch::Tensor ampScale, ampGrowth;
        if (amp && ar.try_read("amp_scale", ampScale) && ar.try_read("amp_growth", ampGrowth))
            scaler.setState(ampScale.item<double>(), ampGrowth.item<int64_t>());
        startEpoch = int(e.item<int64_t>()) + 1;
        bestVal = b.item<double>();
        badEpochs = int(bad.item<int64_t>());
        if (fs::exists(dir + "/best.pt")) {
            std::ifstream in(dir + "/best.pt", std::ios::binary);
            bestState.assign(std::istreambuf_iterator<char>(in), {});
        }
    }

    const int64_t n = int64_t(train.ids.size());
    const int64_t batches = (n + config.batchSize - 1) / config.batchSize;
    try {
        for (int epoch = startEpoch; epoch <= config.epochs; ++epoch) {
            auto te = Clock::now();
            // Per-epoch seeds make a resumed run continue exactly like an uninterrupted one.
            torch::manual_seed(config.seed * 1000003ULL + uint64_t(epoch));
            auto order = lengthBuckets(train, config.batchSize);
            net->train();
            double sumLoss = 0, sumMse = 0, sumEnergy = 0, sumCov = 0;
            for (int64_t b = 0; b < batches; ++b) {
                if (ctx && ctx->isCancelled()) throw Cancelled();
                const auto& rows = order[size_t(b)];
                Batch bt = makeBatch(train, table, rows, dev);
                model::MladImpl::LossParts parts;
                {
                    AutocastScope autocast(dev.type(), amp);
                    auto out = net->forward(bt.x, bt.pad, true);
                    parts = net->loss(out, bt.x, bt.pad);
                }
                // One host synchronisation for the four loss components.
                const torch::Tensor values = torch::stack({parts.total.detach().to(torch::kDouble),
                                                           parts.mse.detach().to(torch::kDouble),
                                                           parts.energy.detach().to(torch::kDouble),
                                                           parts.cov.detach().to(torch::kDouble)})
                                                 .to(torch::kCPU);
                const double* v = values.data_ptr<double>();
                const double loss = v[0];
                if (!std::isfinite(loss))
                    throw std::runtime_error(
                        "the loss became " + std::string(std::isnan(loss) ? "NaN" : "infinite") +
                        " at epoch " + std::to_string(epoch) + ", batch " + std::to_string(b + 1) +
                        "; training stopped (try a lower learning rate or lambda_energy" +
                        (amp ? ", or train without mixed precision)" : ")"));
                opt.zero_grad();
                if (amp) {
                    scaler.scale(parts.total).backward();
                    const bool finite = scaler.unscale(net->parameters());
                    if (finite) {
                        if (config.clipNorm > 0)
                            torch::nn::utils::clip_grad_norm_(net->parameters(), config.clipNorm);
                        opt.step();
                    }
                    scaler.update(finite);
                    if (scaler.consecutiveSkips() >= kMaxSkippedSteps)
                        throw std::runtime_error(
                            "mixed precision: the gradients were not finite in " +
                            std::to_string(kMaxSkippedSteps) +
                            " steps in a row (loss scale down to " +
                            formatNumber(scaler.currentScale()) + ") at epoch " +
                            std::to_string(epoch) + ", batch " + std::to_string(b + 1) +
                            "; training stopped (train without mixed precision)");
                } else {
                    parts.total.backward();
                    if (config.clipNorm > 0)
                        torch::nn::utils::clip_grad_norm_(net->parameters(), config.clipNorm);
                    opt.step();
                }
                const double w = double(rows.size(0));
                sumLoss += loss * w;
                sumMse += v[1] * w;
                sumEnergy += v[2] * w;
                sumCov += v[3] * w;
                if (cb.onBatch) cb.onBatch({epoch, int(b + 1), int(batches), loss});
                if (ctx) {
                    Progress p;
                    p.stage =
                        "epoch " + std::to_string(epoch) + "/" + std::to_string(config.epochs);
                    p.done = uint64_t((epoch - 1) * batches + b + 1);
                    p.total = uint64_t(config.epochs * batches);
                    ctx->report(p);
                }
            }
            EpochStats es;
            es.epoch = epoch;
            es.epochs = config.epochs;
            es.trainLoss = sumLoss / double(n);
            es.trainMse = sumMse / double(n);
            es.trainEnergy = sumEnergy / double(n);
            es.trainCov = sumCov / double(n);
            // Validation loss with the deterministic scoring masks (no dropout).
            {
                torch::NoGradGuard ng;
                net->eval();
                const Dataset& vd = val.ids.empty() ? train : val;
                const int64_t vn = int64_t(vd.ids.size());
                double sum = 0;
                // Batches in data order, not by length: the loss estimates a GMM per batch, and
                // batches of equal-length sequences would have unrepresentatively small spread.
                for (int64_t s = 0; s < vn; s += config.batchSize) {
                    auto rows = torch::arange(s, std::min<int64_t>(vn, s + config.batchSize),
                                              torch::kInt64);
                    Batch bt = makeBatch(vd, table, rows, dev);
                    AutocastScope autocast(dev.type(), amp);
                    auto out = net->forward(bt.x, bt.pad, false);
                    sum += net->loss(out, bt.x, bt.pad).total.item<double>() * double(rows.size(0));
                }
                es.valLoss = sum / double(vn);
            }
            es.seconds = secondsSince(te);
            es.improved = es.valLoss < bestVal;
            if (es.improved) {
                bestVal = es.valLoss;
                badEpochs = 0;
                bestState = saveState();
                std::ofstream(dir + "/best.pt", std::ios::binary) << bestState;
            } else {
                ++badEpochs;
            }
            insertRunEpoch(project, runId,
                           {es.epoch, es.trainLoss, es.trainMse, es.trainEnergy, es.trainCov,
                            es.valLoss, es.seconds});
            {
                torch::serialize::OutputArchive ar, m, o;
                net->save(m);
                opt.save(o);
                ar.write("model", m);
                ar.write("optimizer", o);
                ar.write("epoch", torch::tensor(int64_t(epoch)));
                ar.write("best_val", torch::tensor(bestVal, torch::kFloat64));
                ar.write("bad_epochs", torch::tensor(int64_t(badEpochs)));
                if (amp) {
                    ar.write("amp_scale", torch::tensor(scaler.currentScale(), torch::kFloat64));
                    ar.write("amp_growth", torch::tensor(scaler.growthTracker()));
                }
                ar.save_to(ckptPath + ".tmp");
                fs::rename(ckptPath + ".tmp", ckptPath);  // atomic: never a half checkpoint
            }
            if (cb.onEpoch) cb.onEpoch(es);
            if (config.patience > 0 && badEpochs >= config.patience) break;
        }
        if (!bestState.empty()) {
            std::istringstream is(bestState);
            torch::load(net, is, dev);
        }
        // Re-estimate the GMM over the whole training set (not the last batch).
        net->eval();
        if (net->config().useGmm) {
            torch::NoGradGuard ng;
            model::GmmAccumulator acc;
            for (const auto& rows : sortedBatches(train, config.batchSize)) {
                Batch bt = makeBatch(train, table, rows, dev);
                net->accumulateGmm(acc, bt.x, bt.pad);
            }
            net->setGmm(acc.finish());
        }
        torch::save(net, modelPath);
        // Score validation and test sequences.
        auto scoreAll = [&](const Dataset& d) {
            std::vector<double> out(d.ids.size());
            for (const auto& rows : sortedBatches(d, config.batchSize)) {
                Batch bt = makeBatch(d, table, rows, dev);
                auto sc = net->score(bt.x, bt.pad).to(torch::kCPU).contiguous();
                const double* p = sc.data_ptr<double>();
                const int64_t* r = rows.data_ptr<int64_t>();
                for (int64_t i = 0; i < sc.size(0); ++i) out[size_t(r[i])] = p[i];
            }
            return out;
        };
        auto valScores = scoreAll(val);
        auto testScores = scoreAll(test);
        storeRunScores(project, runId, val.ids, valScores, test.ids, testScores, modelPath,
                       secondsSince(t0));
        bool anyLabels = false;
        for (uint8_t l : test.labels) anyLabels |= l <= 1;
        if (anyLabels) {
            auto rep = evaluateRun(project, runName, ThresholdChoice::parse("", 1.0 - config.nu));
            setRunMetrics(project, runId, rep.toJson());
        }
    } catch (const Cancelled&) {
        fail("cancelled", "cancelled by the user; train again with the same run name to resume");
        throw;
    } catch (const std::exception& e) {
        fail("failed", e.what());
        throw;
    }
    return *findRun(project, runName);
}

std::vector<ScoredSequence> scoreSequences(Project& project, const std::string& runName,
                                           const std::vector<int64_t>& sequenceIds,
                                           std::optional<double> threshold, TaskContext* ctx) {
    LoadedRun lr = loadRun(project, runName);
    if (!threshold) threshold = loadRunScores(project, lr.info.id).defaultThreshold;
    Dataset d = loadDataset(project, sequenceIds, lr.vt, lr.cfg.maxLen);
    std::vector<ScoredSequence> out;
    torch::NoGradGuard ng;
    const int64_t bs = std::max(1, lr.cfg.batchSize);
    std::unordered_map<int64_t, std::string> systemNames;
    for (const auto& s : project.systems()) systemNames[s.id] = s.name;
    for (int64_t s = 0; s < int64_t(d.ids.size()); s += bs) {
        if (ctx) ctx->checkCancelled();
        auto rows =
            torch::arange(s, std::min<int64_t>(int64_t(d.ids.size()), s + bs), torch::kInt64);
        Batch bt = makeBatch(d, lr.vt.table, rows, torch::Device(torch::kCPU));
        auto sc = lr.net->score(bt.x, bt.pad).contiguous();
        for (int64_t i = 0; i < sc.size(0); ++i) {
            const size_t k = size_t(s + i);
            ScoredSequence r;
            r.sequenceId = d.ids[k];
            r.system = systemNames[d.systemIds[k]];
            r.firstLine = d.firstLines[k];
            r.lastLine = d.lastLines[k];
            r.label = d.labels[k] > 1 ? -1 : int(d.labels[k]);
            r.score = sc[i].item<double>();
            r.predicted = r.score >= *threshold;
            out.push_back(r);
        }
        if (ctx) {
            Progress p;
            p.stage = "scoring";
            p.done = uint64_t(s + rows.size(0));
            p.total = d.ids.size();
            ctx->report(p);
        }
    }
    return out;
}

AttentionMaps attentionOf(Project& project, const std::string& runName, int64_t sequenceId) {
    LoadedRun lr = loadRun(project, runName);
    Dataset d = loadDataset(project, {sequenceId}, lr.vt, lr.cfg.maxLen);
    if (d.ids.empty())
        throw std::invalid_argument("sequence " + std::to_string(sequenceId) + " is empty");
    Batch bt = makeBatch(d, lr.vt.table, torch::tensor({int64_t(0)}), torch::Device(torch::kCPU));
    auto maps = lr.net->attentionMaps(bt.x, bt.pad);
    AttentionMaps out;
    out.layers = int(maps.size());
    out.heads = maps.empty() ? 0 : int(maps[0].size(1));
    out.length = int(bt.x.size(1));
    for (const auto& m : maps) {
        auto c = m.to(torch::kCPU).to(torch::kFloat32).contiguous();
        const float* p = c.data_ptr<float>();
        out.weights.insert(out.weights.end(), p, p + c.numel());
    }
    auto seq = sequenceById(project, sequenceId);
    std::vector<int64_t> ids;
    for (int i = 0; i < out.length && i < int(seq->events.size()); ++i)
        ids.push_back(int64_t(seq->events[size_t(i)]));
    out.templates = project.templateTexts(ids, "?");
    return out;
}

}  // namespace mlad
