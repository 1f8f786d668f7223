// Sequence, split, embedding, training and evaluation commands.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "Args.h"
#include "Commands.h"
#include "Output.h"
#include "mlad/embed/TemplateVectors.h"
#include "mlad/seq/Sequences.h"
#include "mlad/seq/Splits.h"
#include "mlad/store/Project.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/Trainer.h"
#include "mlad/util/Strings.h"

namespace mlad::cli {

namespace {

int64_t parseDurationMs(const std::string& s) {
    size_t pos = 0;
    double v;
    try {
        v = std::stod(s, &pos);
    } catch (const std::exception&) {
        throw UsageError("bad duration '" + s + "' (e.g. 30s, 5m, 1h, 500ms)");
    }
    std::string unit = s.substr(pos);
    double mult = unit == "ms"                  ? 1
                  : unit == "s" || unit.empty() ? 1000
                  : unit == "m"                 ? 60000
                  : unit == "h"                 ? 3600000
                  : unit == "d"                 ? 86400000
                                                : -1;
    if (mult < 0 || v <= 0) throw UsageError("bad duration '" + s + "' (e.g. 30s, 5m, 1h)");
    return int64_t(v * mult);
}

void printSet(const SequenceSetInfo& s, bool json) {
    if (json)
        std::cout << "{\"system\":" << jsonString(s.system) << ",\"set\":" << jsonString(s.name)
                  << ",\"kind\":" << jsonString(s.kind) << ",\"params\":" << jsonString(s.params)
                  << ",\"sequences\":" << s.count << ",\"anomalous\":" << s.anomalous
                  << ",\"unlabelled\":" << s.unlabelled << "}\n";
    else
        std::cout << s.system << "/" << s.name << " (" << s.kind << ", " << s.params
                  << "): " << s.count << " sequences, " << s.anomalous << " anomalous, "
                  << s.unlabelled << " unlabelled\n";
}

}  // namespace

int cmdSequences(int argc, char** argv) {
    Args a(argc, argv, 1,
           {"project", "system", "window", "step", "time-window", "time-step", "session-regex",
            "session-by", "labels", "name", "min-length"},
           {"json", "time-order"});
    auto project = Project::open(a.require("project"));
    SequenceSpec spec;
    spec.name = a.get("name");
    spec.minLength = size_t(a.getInt("min-length", 1));
    if (a.has("window")) {
        spec.kind = SequenceSpec::Kind::Window;
        spec.size = size_t(a.getInt("window", 20));
        spec.step = size_t(a.getInt("step", int64_t(spec.size)));
        spec.timeOrder = a.flag("time-order");
    } else if (a.has("time-window")) {
        spec.kind = SequenceSpec::Kind::TimeWindow;
        spec.spanMs = parseDurationMs(a.get("time-window"));
        spec.stepMs = a.has("time-step") ? parseDurationMs(a.get("time-step")) : spec.spanMs;
    } else if (a.has("session-regex")) {
        spec.kind = SequenceSpec::Kind::SessionRegex;
        spec.regex = a.get("session-regex");
    } else if (a.has("session-by")) {
        std::string by = a.get("session-by");
        if (by == "file")
            spec.kind = SequenceSpec::Kind::SessionFile;
        else if (by == "folder")
            spec.kind = SequenceSpec::Kind::SessionFolder;
        else if (by == "regex")
            spec.kind = SequenceSpec::Kind::SessionRegex;
        else
            throw UsageError("--session-by takes file, folder or regex");
        spec.labelsCsv = a.get("labels");
    } else {
        throw UsageError(
            "give --window N [--step M], --time-window D [--time-step D], "
            "--session-regex RE or --session-by file|folder|regex");
    }
    TaskContext ctx(terminalProgress());
    auto info = buildSequences(*project, a.require("system"), spec, &ctx);
    endProgressLine();
    printSet(info, a.flag("json"));
    return 0;
}

int cmdImportSessions(int argc, char** argv) {
    Args a(argc, argv, 1,
           {"project", "system", "templates", "deeplog", "label", "csv", "id-column",
            "label-column", "events-column", "name"},
           {"json"});
    auto project = Project::open(a.require("project"));
    PreparsedSpec s;
    s.system = a.require("system");
    s.templatesCsv = a.require("templates");
    s.deeplogFile = a.get("deeplog");
    s.csvFile = a.get("csv");
    std::string label = a.get("label", "normal");
    if (label != "normal" && label != "anomaly") throw UsageError("--label is normal or anomaly");
    s.deeplogLabel = label == "anomaly" ? 1 : 0;
    s.idColumn = a.get("id-column", s.idColumn);
    s.labelColumn = a.get("label-column", s.labelColumn);
    s.eventsColumn = a.get("events-column", s.eventsColumn);
    s.setName = a.get("name");
    TaskContext ctx(terminalProgress());
    auto info = importPreparsedSessions(*project, s, &ctx);
    endProgressLine();
    printSet(info, a.flag("json"));
    return 0;
}

int cmdSplit(int argc, char** argv) {
    Args a(argc, argv, 1,
           {"project", "name", "protocol", "system", "train-system", "test-system", "seed",
            "train-fraction", "val-fraction", "set", "base"},
           {"json"});
    auto project = Project::open(a.require("project"));
    SplitSpec s;
    s.name = a.require("name");
    s.protocol = a.get("protocol", "chronological");
    if (a.has("system"))
        for (const auto& n : splitChar(a.get("system"), ',')) s.systems.push_back(n);
    s.trainSystem = a.get("train-system");
    s.testSystem = a.get("test-system");
    s.seed = uint64_t(a.getInt("seed", 42));
    s.trainFraction = a.getDouble("train-fraction", s.trainFraction);
    s.valFraction = a.getDouble("val-fraction", s.valFraction);
    s.sequenceSet = a.get("set");
    s.base = a.get("base", s.base);
    auto info = createSplit(*project, s);
    if (a.flag("json")) {
        std::cout << info.reportJson << "\n";
        return 0;
    }
    std::printf("split %s (%s, seed %llu) over %s\n", info.name.c_str(), info.protocol.c_str(),
                (unsigned long long)info.seed, join(info.systems, ", ").c_str());
    auto part = [](const char* n, const PartStats& p) {
        std::printf("  %-5s %7llu sequences, %6llu anomalous (rate %.4f), %llu unlabelled\n", n,
                    (unsigned long long)p.total, (unsigned long long)p.anomalous, p.anomalyRate(),
                    (unsigned long long)p.unlabelled);
    };
    part("train", info.train);
    part("val", info.val);
    part("test", info.test);
    std::printf(
        "  leakage: %llu test sequences identical to a training sequence (%llu of them "
        "anomalous); %llu anomalous sequences identical to a normal one;\n"
        "           %zu test templates never seen in training\n",
        (unsigned long long)info.testIdenticalToTrain,
        (unsigned long long)info.anomalousTestIdenticalToTrain,
        (unsigned long long)info.anomalousIdenticalToNormal, info.unseenTestTemplates.size());
    for (size_t i = 0; i < info.unseenTestTemplates.size() && i < 10; ++i)
        std::printf("    unseen: %s\n", info.unseenTestTemplates[i].c_str());
    return 0;
}

int cmdEmbed(int argc, char** argv) {
    Args a(argc, argv, 1, {"project", "embedder", "dim"}, {"json"});
    auto project = Project::open(a.require("project"));
    TaskContext ctx(terminalProgress());
    auto tv = embed::ensureTemplateVectors(*project, a.get("embedder", "corpus"),
                                           int(a.getInt("dim", 100)), &ctx);
    endProgressLine();
    if (a.flag("json"))
        std::cout << "{\"kind\":" << jsonString(tv.kind)
                  << ",\"version\":" << jsonString(tv.version) << ",\"dim\":" << tv.dim
                  << ",\"templates\":" << tv.byTemplate.size()
                  << ",\"cached\":" << (tv.cached ? "true" : "false")
                  << ",\"seconds\":" << jsonNumber(tv.seconds) << "}\n";
    else
        std::cout << "embedder " << tv.kind << ":" << tv.version << " (dim " << tv.dim
                  << "): " << tv.byTemplate.size() << " template vectors"
                  << (tv.cached ? " (cached)" : "") << " in " << jsonNumber(tv.seconds) << " s\n";
    return 0;
}

TrainConfig trainConfigFromArgs(const Args& a) {
    TrainConfig c;
    c.model = a.get("model", "mlad");
    if (a.has("ablation")) c.model = a.get("ablation");
    if (c.model == "MLAD") c.model = "mlad";
    c.alpha = a.getDouble("alpha", c.alpha);
    c.epochs = int(a.getInt("epochs", c.epochs));
    c.batchSize = int(a.getInt("batch-size", c.batchSize));
    c.lr = a.getDouble("lr", c.lr);
    c.dModel = int(a.getInt("d-model", c.dModel));
    c.nLayers = int(a.getInt("layers", c.nLayers));
    c.nHeads = int(a.getInt("heads", c.nHeads));
    c.dFf = int(a.getInt("d-ff", c.dFf));
    c.dZ = int(a.getInt("d-z", c.dZ));
    c.components = int(a.getInt("components", c.components));
    c.maxLen = int(a.getInt("max-len", c.maxLen));
    c.dropout = a.getDouble("dropout", c.dropout);
    c.maskRatio = a.getDouble("mask-ratio", c.maskRatio);
    c.recon = a.get("recon", c.recon);
    c.lambdaEnergy = a.getDouble("lambda-energy", c.lambdaEnergy);
    c.lambdaCov = a.getDouble("lambda-cov", c.lambdaCov);
    c.patience = int(a.getInt("patience", c.patience));
    c.seed = uint64_t(a.getInt("seed", int64_t(c.seed)));
    c.device = a.get("device", c.device);
    c.amp = a.flag("amp");
    c.threads = int(a.getInt("threads", c.threads));
    c.embedder = a.get("embedder", c.embedder);
    c.embedDim = int(a.getInt("embed-dim", c.embedDim));
    c.nu = a.getDouble("nu", c.nu);
    return c;
}

const std::set<std::string> kTrainOptions = {
    "project", "split",   "model",      "ablation", "alpha",         "epochs",     "batch-size",
    "lr",      "d-model", "layers",     "heads",    "d-ff",          "d-z",        "components",
    "max-len", "dropout", "mask-ratio", "recon",    "lambda-energy", "lambda-cov", "patience",
    "seed",    "device",  "threads",    "embedder", "embed-dim",     "nu",         "run"};

int cmdTrain(int argc, char** argv) {
    Args a(argc, argv, 1, kTrainOptions, {"json", "amp"});
    auto project = Project::open(a.require("project"));
    TrainConfig c = trainConfigFromArgs(a);
    std::string split = a.require("split");
    std::string run = a.get("run", split + "-" + (c.model == "mlad" ? "mlad" : c.model.substr(4)));
    TaskContext ctx(terminalProgress(), 0.2);
    TrainCallbacks cb;
    bool json = a.flag("json");
    cb.onEpoch = [&](const EpochStats& e) {
        endProgressLine();
        if (!json)
            std::fprintf(
                stderr,
                "epoch %d/%d  loss %.4f (mse %.4f energy %.4f cov %.4f)  val %.4f  %.1fs%s\n",
                e.epoch, e.epochs, e.trainLoss, e.trainMse, e.trainEnergy, e.trainCov, e.valLoss,
                e.seconds, e.improved ? "  *" : "");
    };
    RunInfo r = trainRun(*project, split, run, c, &ctx, cb);
    endProgressLine();
    if (json) {
        std::cout << "{\"run\":" << jsonString(r.name) << ",\"status\":" << jsonString(r.status)
                  << ",\"train_seconds\":" << jsonNumber(r.trainSeconds)
                  << ",\"metrics\":" << (r.metricsJson.empty() ? "null" : r.metricsJson) << "}\n";
    } else {
        std::cout << "run " << r.name << ": " << r.status << " in " << jsonNumber(r.trainSeconds)
                  << " s on " << r.device << "; model " << r.modelPath << "\n";
        if (!r.metricsJson.empty()) std::cout << "metrics: " << r.metricsJson << "\n";
    }
    return 0;
}

int cmdEvaluate(int argc, char** argv) {
    Args a(argc, argv, 1, {"project", "run", "threshold"}, {"json"});
    auto project = Project::openReadOnly(a.require("project"));
    auto run = findRun(*project, a.require("run"));
    if (!run) throw UsageError("no run named '" + a.get("run") + "'");
    RunScores s = loadRunScores(*project, run->id);
    auto t = ThresholdChoice::parse(a.get("threshold"), 1.0 - s.nu);
    auto r = evaluateRun(*project, run->name, t);
    if (a.flag("json")) {
        std::cout << r.toJson() << "\n";
        return 0;
    }
    std::printf("run %s (%s), threshold %.6g: %s%s\n", r.run.c_str(), r.model.c_str(), r.threshold,
                r.thresholdKind.c_str(), r.oracle ? "  [ORACLE: chosen on test labels]" : "");
    std::printf("  test: %llu sequences, %llu anomalous (prevalence %.4f; natural %.4f)\n",
                (unsigned long long)r.testSequences, (unsigned long long)r.testAnomalous,
                r.testPrevalence, r.naturalPrevalence);
    std::printf("  P %.4f  R %.4f  F1 %.4f  specificity %.4f   TP %llu FP %llu TN %llu FN %llu\n",
                r.precision, r.recall, r.f1, r.specificity, (unsigned long long)r.confusion.tp,
                (unsigned long long)r.confusion.fp, (unsigned long long)r.confusion.tn,
                (unsigned long long)r.confusion.fn);
    std::printf("  at the natural anomaly rate: P %.4f  R %.4f  F1 %.4f\n", r.atNatural.precision,
                r.atNatural.recall, r.atNatural.f1);
    std::printf("  ROC-AUC %.4f  PR-AUC (average precision) %.4f\n", r.rocAuc, r.prAuc);
    std::printf("  oracle best F1 (uses test labels): %.4f at %.6g\n", r.oracleBest.f1,
                r.oracleBest.threshold);
    return 0;
}

int cmdScore(int argc, char** argv) {
    Args a(argc, argv, 1,
           {"project", "run", "system", "set", "sequences-of-split", "out", "threshold"}, {});
    auto project = Project::open(a.require("project"));
    std::vector<int64_t> ids;
    if (a.has("sequences-of-split")) {
        std::string v = a.get("sequences-of-split");
        auto colon = v.find(':');
        auto split = findSplit(*project, v.substr(0, colon));
        if (!split) throw UsageError("no split named '" + v.substr(0, colon) + "'");
        ids = splitPart(*project, split->id,
                        colon == std::string::npos ? "test" : v.substr(colon + 1));
    } else if (a.has("system")) {
        auto set = findSequenceSet(*project, a.get("system"), a.get("set"));
        if (!set)
            throw UsageError("system " + a.get("system") + " has no sequences; run mlad sequences");
        for (const auto& s : sequencesOfSet(*project, set->id)) ids.push_back(s.id);
    } else {
        throw UsageError("give --system NAME [--set S] or --sequences-of-split S:part");
    }
    std::optional<double> threshold;
    if (a.has("threshold")) threshold = a.getDouble("threshold", 0);
    TaskContext ctx(terminalProgress());
    auto scored = scoreSequences(*project, a.require("run"), ids, threshold, &ctx);
    endProgressLine();
    std::ofstream out(a.require("out"));
    if (!out) throw std::runtime_error("cannot write " + a.get("out"));
    out << "sequence_id,system,first_line,last_line,label,score,predicted\n";
    uint64_t flagged = 0;
    for (const auto& s : scored) {
        out << s.sequenceId << ',' << csvField(s.system) << ',' << s.firstLine << ',' << s.lastLine
            << ',' << (s.label < 0 ? std::string() : std::to_string(s.label)) << ','
            << jsonNumber(s.score) << ',' << (s.predicted ? 1 : 0) << '\n';
        flagged += s.predicted;
    }
    std::cout << "scored " << scored.size() << " sequences, " << flagged
              << " above the threshold; wrote " << a.get("out") << "\n";
    return 0;
}

int cmdRuns(int argc, char** argv) {
    Args a(argc, argv, 1, {"project"}, {"json"});
    auto project = Project::openReadOnly(a.require("project"));
    auto runs = listRuns(*project);
    if (a.flag("json")) {
        std::cout << "[";
        for (size_t i = 0; i < runs.size(); ++i) {
            const auto& r = runs[i];
            std::cout << (i ? "," : "") << "{\"name\":" << jsonString(r.name)
                      << ",\"model\":" << jsonString(r.model)
                      << ",\"split\":" << jsonString(r.splitName)
                      << ",\"status\":" << jsonString(r.status)
                      << ",\"embedder\":" << jsonString(r.embedder) << ",\"seed\":" << r.seed
                      << ",\"device\":" << jsonString(r.device)
                      << ",\"code_version\":" << jsonString(r.codeVersion)
                      << ",\"train_seconds\":" << jsonNumber(r.trainSeconds)
                      << ",\"config\":" << r.configJson
                      << ",\"metrics\":" << (r.metricsJson.empty() ? "null" : r.metricsJson) << "}";
        }
        std::cout << "]\n";
        return 0;
    }
    for (const auto& r : runs)
        std::cout << r.name << "  " << r.model << "  split " << r.splitName << "  " << r.status
                  << "  " << jsonNumber(r.trainSeconds) << " s  " << r.device
                  << (r.message.empty() ? "" : "  (" + r.message + ")") << "\n";
    return 0;
}

}  // namespace mlad::cli
