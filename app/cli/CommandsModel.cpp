// ML commands (the `mlad-ml` executable, LibTorch): embed, train, evaluate, score.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>  // environ

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "Commands.h"
#include "Output.h"
#include "mlad/detect/Registry.h"
#include "mlad/embed/TemplateVectors.h"
#include "mlad/io/TimeParse.h"
#include "mlad/seq/Adapters.h"
#include "mlad/seq/Sequences.h"
#include "mlad/seq/Splits.h"
#include "mlad/store/Project.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/Experiment.h"
#include "mlad/train/Runtime.h"
#include "mlad/train/Trainer.h"
#include "mlad/util/AtomicFile.h"
#include "mlad/util/Strings.h"

namespace mlad::cli {

namespace {

std::string capitalised(std::string s) {
    if (!s.empty()) s[0] = char(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
}

/// Storage for the options generated from a detector's parameter spec: one slot per key (map
/// nodes keep their addresses while CLI11 writes into them).
struct ParamSlots {
    std::map<std::string, int64_t> integers;
    std::map<std::string, double> reals;
    std::map<std::string, std::string> texts;
    std::map<std::string, bool> flags;
    std::map<std::string, CLI::Option*> options;
};

/// One option per parameter of the detector's spec (the single source of truth for the names,
/// ranges, defaults and help of `mlad train --model ID`).
void addParamOptions(CLI::App* s, const ParamList& params, const Json& defaults,
                     ParamSlots& slots) {
    for (const auto& spec : params) {
        // The defaults shown are the model's (with --model w/o-gmm: ablation w/o-gmm).
        ParamSpec p = spec;
        if (defaults.contains(p.key)) p.def = defaults.at(p.key);
        const std::string name = "--" + p.option();
        CLI::Option* opt = nullptr;
        switch (p.type) {
            case ParamSpec::Type::Flag:
                slots.flags[p.key] = p.def.get<bool>();
                opt = s->add_flag(name, slots.flags[p.key], p.help);
                break;
            case ParamSpec::Type::Text:
                slots.texts[p.key] = p.def.get<std::string>();
                opt = s->add_option(name, slots.texts[p.key], p.help);
                if (!p.choices.empty()) opt->check(CLI::IsMember(p.choiceList()));
                opt->default_str(p.def.get<std::string>());
                break;
            case ParamSpec::Type::Integer:
                slots.integers[p.key] = p.def.get<int64_t>();
                opt = s->add_option(name, slots.integers[p.key], p.help);
                opt->check(intRange(int64_t(p.lo), int64_t(p.hi)));
                opt->default_str(p.def.dump());
                break;
            case ParamSpec::Type::Real:
                slots.reals[p.key] = p.def.get<double>();
                opt = s->add_option(name, slots.reals[p.key], p.help);
                opt->check(realRange(p.lo, p.hi));
                opt->default_str(fmtNumber(p.def.get<double>()));
                break;
        }
        opt->group(capitalised(p.group));
        slots.options[p.key] = opt;
    }
}

/// The values the user gave on the command line, set into `cfg`.
void applyParamOptions(const ParamSlots& slots, TrainConfig& cfg) {
    for (const auto& [key, opt] : slots.options) {
        if (opt->count() == 0) continue;
        if (auto it = slots.integers.find(key); it != slots.integers.end())
            cfg.set(key, it->second);
        else if (auto r = slots.reals.find(key); r != slots.reals.end())
            cfg.set(key, r->second);
        else if (auto t = slots.texts.find(key); t != slots.texts.end())
            cfg.set(key, t->second);
        else
            cfg.set(key, slots.flags.at(key));
    }
}

/// The model a `train` command line asks for (so that its options can be generated before
/// parsing): the value of --model, "mlad" when absent.
std::string requestedModel(int argc, char** argv) {
    std::string model = "mlad";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--") break;
        if (a == "--model" && i + 1 < argc) model = argv[i + 1];
        if (a.rfind("--model=", 0) == 0) model = a.substr(8);
    }
    return model;
}

/// "loss 10.1 (mse 0.52 energy -20.9 cov 2335)  val 196.7  0.0s"
std::string epochLine(const EpochStats& e) {
    char buf[64];
    std::string terms, line;
    for (const auto& [key, v] : e.values) {
        if (key.rfind("train_", 0) != 0 || key == "train_loss") continue;
        std::snprintf(buf, sizeof buf, "%s%s %.4f", terms.empty() ? "" : " ", key.c_str() + 6, v);
        terms += buf;
    }
    std::snprintf(buf, sizeof buf, "epoch %d/%d  loss %.4f", e.epoch, e.epochs, e.trainLoss());
    line = buf;
    if (!terms.empty()) line += " (" + terms + ")";
    std::snprintf(buf, sizeof buf, "  val %.4f  %.1fs%s", e.valLoss(), e.seconds(),
                  e.improved ? "  *" : "");
    return line + buf;
}

}  // namespace

void addEmbed(Cli& cli) {
    struct O {
        std::string project, embedder = "corpus";
        int64_t dim = 100;
        bool json = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("embed", [o]() {
        auto project = Project::open(o->project, "mlad embed");
        TaskContext ctx(terminalProgress());
        auto tv = embed::ensureTemplateVectors(*project, o->embedder, int(o->dim), &ctx);
        endProgressLine();
        if (o->json)
            printJson({{"kind", tv.kind},
                       {"version", tv.version},
                       {"dim", tv.dim},
                       {"templates", tv.byTemplate.size()},
                       {"cached", tv.cached},
                       {"seconds", tv.seconds}});
        else
            std::cout << "embedder " << tv.kind << ":" << tv.version << " (dim " << tv.dim
                      << "): " << tv.byTemplate.size() << " template vectors"
                      << (tv.cached ? " (cached)" : "") << " in " << fmtNumber(tv.seconds)
                      << " s\n";
        return 0;
    });
    s->footer(
        "corpus: skip-gram + character n-grams trained on all systems' templates (offline).\n"
        "vectors:FILE: a CSV (template,v1..vd) or .npy + .txt index computed elsewhere.\n"
        "torchscript:DIR: DIR/model.pt + DIR/vocab.txt (tools/export_sentence_encoder.py).");
    addProjectOption(s, o->project);
    s->add_option("--embedder", o->embedder, "corpus | vectors:FILE | torchscript:DIR");
    s->add_option("--dim", o->dim, "vector width of the corpus embedder")->check(intRange(2, 4096));
    s->add_flag("--json", o->json, "machine-readable output");
}

void addTrain(Cli& cli, const std::string& requested) {
    struct O {
        std::string project, split, run, model = "mlad";
        ParamSlots slots;
        bool json = false;
    };
    auto o = std::make_shared<O>();
    // The options are those of the model on the command line; an unknown model gets MLAD's
    // options here and is refused by --model's check below.
    TrainConfig base;
    try {
        base = TrainConfig::defaults(requested);
    } catch (const std::invalid_argument&) {
        base = TrainConfig::defaults("mlad");
    }
    CLI::App* s = cli.add("train", [o, base]() {
        TrainConfig c = TrainConfig::defaults(o->model);
        try {
            applyParamOptions(o->slots, c);
            validateTrainConfig(c);
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
        // One rank of a data-parallel training when torchrun's variables say so (mlad launch).
        std::optional<DistSettings> dist;
        try {
            dist = distSettingsFromEnvironment();
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
        const bool rank0 = !dist || dist->rank == 0;
        // Rank 0 writes and holds the project's lock; the other ranks only read.
        auto project = rank0 ? Project::open(o->project, "mlad train") : Project::open(o->project);
        const std::string run = o->run.empty() ? defaultRunName(*project, o->split, c) : o->run;
        TaskContext ctx(rank0 ? terminalProgress() : TaskContext::ProgressFn(), 0.2);
        TrainCallbacks cb;
        const bool json = o->json;
        cb.onEpoch = [json, rank0](const EpochStats& e) {
            if (!rank0) return;
            endProgressLine();
            if (!json) std::fprintf(stderr, "%s\n", epochLine(e).c_str());
        };
        RunInfo r = trainRun(*project, o->split, run, c, &ctx, cb, dist ? &*dist : nullptr);
        endProgressLine();
        if (!rank0) return 0;  // rank 0 reports the run
        if (json) {
            printJson({{"run", r.name},
                       {"model", r.model},
                       {"status", r.status},
                       {"train_seconds", r.trainSeconds},
                       {"metrics", r.metricsJson.empty() ? Json(nullptr)
                                                         : parseJson(r.metricsJson, "metrics")}});
        } else {
            std::cout << "run " << r.name << ": " << r.status << " in " << fmtNumber(r.trainSeconds)
                      << " s on " << r.device << "; model " << r.modelPath << "\n";
            if (!r.metricsJson.empty()) std::cout << "metrics: " << r.metricsJson << "\n";
        }
        return 0;
    });
    std::vector<std::string> models;
    std::string modelList;
    for (const auto* d : detectorInfos()) {
        models.push_back(d->id);
        modelList += (modelList.empty() ? "" : ", ") + d->id;
    }
    for (const char* alias : {"MLAD", "w/o-entmax", "w/o-gmm"}) models.emplace_back(alias);
    const DetectorInfo& info = detectorInfo(base.model);
    s->footer("These are the options of --model " + base.label() + " (" + info.displayName +
              "). Models: " + modelList +
              "; 'mlad train --model ID --help' shows another's options, 'mlad models' all.\n"
              "A cancelled or failed run resumes from its last checkpoint when trained again\n"
              "with the same --run name. --amp: mixed precision (autocast: float16 matrix\n"
              "products on CUDA, bfloat16 on CPU, with dynamic loss scaling) for training only.");
    addProjectOption(s, o->project);
    s->add_option("--split", o->split, "the split to train on")->required();
    s->add_option("--run", o->run, "run name (default: SPLIT-MODEL, numbered when taken)");
    s->add_option("--model", o->model, "the detector (" + modelList + ")")
        ->check(CLI::IsMember(models))
        ->default_str("mlad");
    addParamOptions(s, info.params, base.params, o->slots);
    s->add_flag("--json", o->json, "machine-readable result");
}

void addModels(Cli& cli) {
    struct O {
        std::string model;
        bool json = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("models", [o]() {
        Json all = registryJson();
        if (!o->model.empty()) {
            std::string id = o->model;
            try {
                id = TrainConfig::defaults(o->model).model;  // w/o-gmm is MLAD's ablation
            } catch (const std::invalid_argument&) {
            }
            Json one = Json::array();
            for (const auto& d : all)
                if (d["id"] == id) one.push_back(d);
            if (one.empty()) throw UsageError("--model: unknown model '" + o->model + "'");
            all = one;
        }
        if (o->json) {
            printJson(all);
            return 0;
        }
        for (const auto& d : all) {
            std::cout << d["id"].get<std::string>() << "  " << d["name"].get<std::string>()
                      << "  (score: " << d["score"].get<std::string>()
                      << (d["iterative"].get<bool>() ? ", trained in epochs" : ", fitted once");
            std::string caps;
            for (const auto& c : d["capabilities"])
                caps += (caps.empty() ? "" : ", ") + c.get<std::string>();
            std::cout << (caps.empty() ? "" : "; shows: " + caps) << ")\n  "
                      << d["description"].get<std::string>() << "\n";
            for (const auto& p : d["params"]) {
                std::string def = p["default"].is_string() ? p["default"].get<std::string>()
                                  : p["default"].is_number_float()
                                      ? fmtNumber(p["default"].get<double>())
                                      : p["default"].dump();
                char line[160];
                std::snprintf(line, sizeof line, "    %-18s %-12s %-24s ",
                              p["option"].get<std::string>().c_str(), def.c_str(),
                              p["range"].get<std::string>().c_str());
                std::cout << line << p["help"].get<std::string>() << "\n";
            }
            std::cout << "\n";
        }
        return 0;
    });
    s->add_option("--model", o->model, "only this detector");
    s->add_flag("--json", o->json, "the registry as JSON");
    s->footer("Train one with 'mlad train --model ID'; its options are the parameters listed.");
}

void addEvaluate(Cli& cli) {
    struct O {
        std::string project, run, threshold;
        bool json = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("evaluate", [o]() {
        auto project = Project::openReadOnly(o->project);
        auto run = findRun(*project, o->run);
        if (!run) throw UsageError("no run named '" + o->run + "'");
        RunScores sc = loadRunScores(*project, run->id);
        ThresholdChoice t;
        try {
            t = ThresholdChoice::parse(o->threshold, 1.0 - sc.nu);
        } catch (const std::invalid_argument& e) {
            throw UsageError(std::string("--threshold: ") + e.what());
        }
        auto r = evaluateRun(*project, run->name, t);
        if (o->json) {
            std::cout << r.toJson() << "\n";
            return 0;
        }
        std::printf("run %s (%s), threshold %.6g: %s%s\n", r.run.c_str(), r.model.c_str(),
                    r.threshold, r.thresholdKind.c_str(),
                    r.oracle ? "  [ORACLE: chosen on test labels]" : "");
        std::printf("  test: %llu sequences, %llu anomalous (prevalence %.4f; natural %.4f)\n",
                    (unsigned long long)r.testSequences, (unsigned long long)r.testAnomalous,
                    r.testPrevalence, r.naturalPrevalence);
        std::printf(
            "  P %.4f  R %.4f  F1 %.4f  specificity %.4f   TP %llu FP %llu TN %llu FN %llu\n",
            r.precision, r.recall, r.f1, r.specificity, (unsigned long long)r.confusion.tp,
            (unsigned long long)r.confusion.fp, (unsigned long long)r.confusion.tn,
            (unsigned long long)r.confusion.fn);
        std::printf("  at the natural anomaly rate: P %.4f  R %.4f  F1 %.4f\n",
                    r.atNatural.precision, r.atNatural.recall, r.atNatural.f1);
        std::printf("  ROC-AUC %.4f  PR-AUC (average precision) %.4f\n", r.rocAuc, r.prAuc);
        std::printf("  oracle best F1 (uses test labels): %.4f at %.6g\n", r.oracleBest.f1,
                    r.oracleBest.threshold);
        return 0;
    });
    s->footer(
        "Default threshold: the (1 - nu) quantile of the validation scores. pot:RISK fits a\n"
        "generalized Pareto tail to the validation scores (peaks over threshold, SPOT) and\n"
        "extrapolates to the risk. target-quantile:Q and target-pot:RISK recalibrate on the\n"
        "scored sequences' own scores without labels (for a new period or system) and are\n"
        "labelled TARGET-SIDE. oracle picks the best F1 on the test labels and is always\n"
        "labelled ORACLE.");
    addProjectOption(s, o->project);
    s->add_option("--run", o->run, "the run")->required();
    s->add_option("--threshold", o->threshold,
                  "quantile:Q | pot:RISK | target:RATE | target-quantile:Q | target-pot:RISK | "
                  "value:X (or X) | oracle (default: the run's)")
        ->type_name("RULE");
    s->add_flag("--json", o->json, "machine-readable output");
}

namespace {

// The sequences `mlad score` scores: a split's part (S or S:part), or a system's set, from
// --since on when given.
std::vector<int64_t> sequencesToScore(Project& project, const std::string& ofSplit,
                                      const std::string& system, const std::string& setName,
                                      const std::string& sinceText) {
    std::vector<int64_t> ids;
    if (!ofSplit.empty()) {
        auto colon = ofSplit.find(':');
        std::string name = ofSplit.substr(0, colon);
        auto split = findSplit(project, name);
        if (!split) throw UsageError("no split named '" + name + "'");
        ids = splitPart(project, split->id,
                        colon == std::string::npos ? "test" : ofSplit.substr(colon + 1));
        if (!sinceText.empty())
            throw UsageError("--since goes with --system (a split's part is fixed)");
        return ids;
    }
    if (system.empty())
        throw UsageError("give --system NAME [--set S] or --sequences-of-split S:part");
    auto set = findSequenceSet(project, system, setName);
    if (!set) throw UsageError("system " + system + " has no sequences; run mlad sequences");
    std::optional<int64_t> since;
    if (!sinceText.empty() && !(since = parseUtcTime(sinceText)))
        throw UsageError("--since '" + sinceText +
                         "': not a time (give UTC as 2005-09-01, 2005-09-01T00:00 or "
                         "2005-09-01 00:00:00, or @SECONDS)");
    uint64_t undated = 0;
    for (const auto& q : sequenceStartsOfSet(project, set->id)) {
        if (since && !q.startTs) ++undated;
        if (!since || (q.startTs && *q.startTs >= *since)) ids.push_back(q.id);
    }
    if (undated)
        throw UsageError("--since: " + std::to_string(undated) + " sequences of " + system + ":" +
                         set->name + " have no timestamp, so they cannot be placed in time");
    if (since && ids.empty())
        throw UsageError("no sequence of " + system + ":" + set->name + " starts at or after " +
                         formatUtcTime(*since));
    return ids;
}

}  // namespace

void addScore(Cli& cli) {
    struct O {
        std::string project, run, system, set, ofSplit, out, threshold, since;
        bool force = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("score", [o]() {
        namespace fs = std::filesystem;
        std::error_code ec;
        // Never into the project's own files: its runs folder holds models and checkpoints.
        const fs::path runsRoot = fs::weakly_canonical(o->project + ".runs", ec);
        const fs::path target = fs::weakly_canonical(o->out, ec);
        if (!runsRoot.empty() && target.string().rfind(runsRoot.string() + "/", 0) == 0)
            throw UsageError("--out " + o->out + " is inside the project's runs folder");
        if (fs::exists(o->out, ec)) {
            if (fs::equivalent(o->out, o->project, ec))
                throw UsageError("--out " + o->out + " is the project file");
            if (!o->force)
                throw UsageError("--out " + o->out + " exists; give --force to replace it");
            if (!fs::is_regular_file(o->out, ec))
                throw UsageError("--out " + o->out + " is not a regular file");
        }
        // Reads only: no writer lock, so a finished run can score beside a training.
        auto project = Project::open(o->project);
        const std::vector<int64_t> ids =
            sequencesToScore(*project, o->ofSplit, o->system, o->set, o->since);
        auto run = findRun(*project, o->run);
        if (!run) throw UsageError("no run named '" + o->run + "'");
        const RunScores rs = loadRunScores(*project, run->id);
        ThresholdChoice choice;
        try {
            choice = ThresholdChoice::parse(o->threshold, 1.0 - rs.nu);
        } catch (const std::invalid_argument& e) {
            throw UsageError(std::string("--threshold: ") + e.what());
        }
        // Two passes a chunk at a time, so that memory holds per sequence only its score,
        // label and unseen count (13 bytes) whatever the number of sequences: score, fit the
        // threshold (a target rule needs every score), then write.
        TaskContext ctx(terminalProgress());
        auto detector = loadRunDetector(*project, *run);
        const auto seen = trainingTemplates(*project, *run, &ctx);
        const seq::SequenceStream seqs(*project, ids, &ctx);
        std::vector<double> values;
        std::vector<uint8_t> labels;
        std::vector<uint32_t> unseen;
        values.reserve(seqs.size());
        labels.reserve(seqs.size());
        uint64_t withUnseen = 0;
        scoreInChunks(
            *detector, *project, seqs,
            [&](const seq::EventSequences& part, const std::vector<double>& scores) {
                values.insert(values.end(), scores.begin(), scores.end());
                labels.insert(labels.end(), part.labels.begin(), part.labels.end());
                if (!seen) return;
                for (const auto& ev : part.events) {
                    uint32_t n = 0;
                    for (int32_t t : ev) n += !seen->count(t);
                    unseen.push_back(n);
                    withUnseen += n > 0;
                }
            },
            &ctx);
        endProgressLine();
        const std::optional<double> threshold = resolveThreshold(choice, rs, values, labels);
        std::string rule =
            choice.runDefault ? "the run's default, " + rs.thresholdRule : choice.describe();
        std::unordered_map<int64_t, std::string> systemNames;
        for (const auto& sys : project->systems()) systemNames[sys.id] = sys.name;
        // Written next to the target and renamed over it: a failed write leaves no half file.
        AtomicFile out(o->out);
        out << "sequence_id,system,first_line,last_line,label,score,predicted,unseen_templates\n";
        uint64_t flagged = 0;
        seqs.forEachChunk(
            4096,
            [&](const seq::EventSequences& part, size_t offset) {
                for (size_t k = 0; k < part.size(); ++k) {
                    const size_t i = offset + k;
                    const double score = values[i];
                    const bool predicted = std::isfinite(score) && score >= *threshold;
                    out << std::to_string(part.ids[k]) << ","
                        << csvField(systemNames[part.systemIds[k]]) << ","
                        << std::to_string(part.firstLines[k]) << ","
                        << std::to_string(part.lastLines[k]) << ","
                        << (labels[i] > 1 ? std::string() : std::to_string(labels[i])) << ","
                        << (std::isfinite(score) ? fmtNumber(score) : std::string()) << ","
                        << (predicted ? "1," : "0,")
                        << (seen ? std::to_string(unseen[i]) : std::string()) << "\n";
                    flagged += predicted;
                }
            },
            &ctx);
        out.commit();
        std::cout << "scored " << values.size() << " sequences, " << flagged
                  << " at or above the threshold " << (threshold ? fmtNumber(*threshold) : "")
                  << " (" << rule << "); wrote " << o->out << "\n";
        const bool validationRule = !choice.runDefault
                                        ? choice.kind == ThresholdChoice::Kind::Quantile ||
                                              choice.kind == ThresholdChoice::Kind::Pot
                                        : !rs.detectorRule;
        if (!values.empty() && validationRule && withUnseen * 5 > values.size())
            std::cout << "note: " << withUnseen << " of " << values.size()
                      << " scored sequences hold templates the run never saw in training. A "
                         "threshold fitted on validation scores does not carry over to data "
                         "this new (expect many flags); --threshold target:RATE recalibrates "
                         "on these scores with an expected anomaly rate.\n";
        return 0;
    });
    s->footer(
        "Columns: sequence_id, system, first_line, last_line, label, score, predicted,\n"
        "unseen_templates (events whose template the run's training part never held).\n"
        "Threshold rules as in 'mlad evaluate': validation rules (quantile, pot) use the run's\n"
        "validation scores; target rules (target:RATE = an expected contamination rate,\n"
        "target-quantile, target-pot) use the scores of the sequences scored here, never their\n"
        "labels; oracle reads their labels and is labelled ORACLE. The rule in force is printed.");
    addProjectOption(s, o->project);
    s->add_option("--run", o->run, "the trained run")->required();
    s->add_option("--system", o->system, "score the sequences of this system");
    s->add_option("--set", o->set, "sequence set of --system (default: the latest)");
    s->add_option("--sequences-of-split", o->ofSplit, "score a split's part (S:test, S:val...)")
        ->type_name("S:PART");
    s->add_option("--out", o->out, "scores CSV to write")->required()->type_name("FILE");
    s->add_flag("--force", o->force, "replace --out when it exists");
    s->add_option("--threshold", o->threshold,
                  "quantile:Q | pot:RISK | target:RATE | target-quantile:Q | target-pot:RISK | "
                  "value:X (or X) | oracle (default: the run's)")
        ->type_name("RULE");
    s->add_option("--since", o->since,
                  "with --system: only sequences starting at or after this "
                  "UTC time")
        ->type_name("TIME");
}

/// PNG copies of the report's SVG plots by mlad-svg2png (built with the Qt workbench), when it
/// sits beside this program; without it the SVGs stand alone. A failure is a warning.
void pngCopies(const std::vector<std::string>& svgs) {
    namespace fs = std::filesystem;
    if (svgs.empty()) return;
    std::error_code ec;
    const fs::path tool = fs::read_symlink("/proc/self/exe", ec).parent_path() / "mlad-svg2png";
    if (ec || !fs::exists(tool, ec)) return;
    std::vector<std::string> args{tool.string()};
    args.insert(args.end(), svgs.begin(), svgs.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, tool.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
        std::fprintf(stderr, "warning: could not start %s: no PNG copies\n", tool.c_str());
        return;
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        std::fprintf(stderr, "warning: %s failed: some plots have no PNG copy\n", tool.c_str());
}

void addExperiment(Cli& cli) {
    struct O {
        std::string kind, project, protocol = "chronological", systems, models, out;
        int64_t repeats = 1, epochs = 0, threads = 0;
        bool force = false, json = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("experiment", [o]() {
        namespace fs = std::filesystem;
        const fs::path dir(o->out);
        const fs::path report = dir / "report.md", results = dir / "results.json";
        for (const auto& f : {report, results})
            if (fs::exists(f) && !o->force)
                throw UsageError(f.string() + " exists; --force replaces it");
        ExperimentOptions opt;
        opt.kind = o->kind;
        opt.protocol = o->protocol;
        for (const auto& x : splitChar(o->systems, ','))
            if (!x.empty()) opt.systems.emplace_back(x);
        for (const auto& x : splitChar(o->models, ','))
            if (!x.empty()) opt.models.emplace_back(x);
        opt.repeats = int(o->repeats);
        opt.epochs = int(o->epochs);
        opt.threads = int(o->threads);
        opt.command = "mlad experiment " + o->kind + " --protocol " + o->protocol +
                      (o->systems.empty() ? "" : " --system " + o->systems) +
                      (o->models.empty() ? "" : " --model " + o->models) + " --repeats " +
                      std::to_string(o->repeats) +
                      (o->epochs ? " --epochs " + std::to_string(o->epochs) : "");
        auto project = Project::open(o->project, "mlad experiment");
        TaskContext ctx(terminalProgress(), 0.2);
        ExperimentResult r;
        try {
            r = runExperiment(*project, opt, &ctx, [](const std::string& line) {
                endProgressLine();
                std::fprintf(stderr, "%s\n", line.c_str());
            });
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
        endProgressLine();
        fs::create_directories(dir);
        auto write = [](const fs::path& path, const std::string& text) {
            writeFileAtomically(path.string(), text);
        };
        std::vector<std::string> svgs;
        for (const auto& [name, svg] : r.plots) {
            write(dir / name, svg);
            svgs.push_back((dir / name).string());
        }
        pngCopies(svgs);
        write(report, r.markdown);
        write(results, dumpJson(r.json()) + "\n");
        if (o->json)
            printJson({{"report", report.string()},
                       {"results", results.string()},
                       {"runs", r.cells.size()},
                       {"seconds", r.seconds}});
        else
            std::cout << r.cells.size() << " runs in " << fmtNumber(r.seconds) << " s; report "
                      << report.string() << "\n";
        return 0;
    });
    s->footer(
        "table2: every detector (and MLAD's ablations) on each system, at each detector's own\n"
        "default threshold rule. table3: transfer, trained on one system and scored on\n"
        "another, every ordered pair of --system. alpha-sweep: MLAD with alpha 1.0..1.6.\n"
        "multi-system: one model for the union of --system, judged per system, beside one\n"
        "model per system.\n"
        "Splits are created as needed; every cell is a stored run, so an interrupted experiment\n"
        "continues where it stopped. Writes OUT/report.md and OUT/results.json.");
    s->add_option("kind", o->kind, "table2 | table3 | alpha-sweep | multi-system")
        ->required()
        ->check(CLI::IsMember({"table2", "table3", "alpha-sweep", "multi-system"}));
    addProjectOption(s, o->project);
    s->add_option("--protocol", o->protocol, "per-system split protocol")
        ->check(CLI::IsMember({"chronological", "paper"}))
        ->default_str("chronological");
    s->add_option("--system", o->systems, "systems A,B (default: every labelled one)");
    s->add_option("--model", o->models, "detectors A,B (default: the experiment's list)");
    s->add_option("--repeats", o->repeats, "seeds per cell")
        ->check(intRange(1, 100))
        ->default_str("1");
    s->add_option("--epochs", o->epochs,
                  "at most this many epochs for torch detectors (0 = their own)")
        ->check(intRange(0, 100000))
        ->default_str("0");
    s->add_option("--threads", o->threads, "threads (0 = auto)")
        ->check(intRange(0, 1024))
        ->default_str("0");
    s->add_option("--out", o->out, "folder for report.md and results.json")->required();
    s->add_flag("--force", o->force, "replace an existing report");
    s->add_flag("--json", o->json, "machine-readable result");
}

void addDoctor(Cli& cli) {
    struct O {
        bool json = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("doctor", [o]() {
        const auto report = runtimeReport();
        if (o->json) {
            Json j = Json::object();
            for (const auto& [k, v] : report) j[k] = v;
            printJson(j);
        } else {
            size_t width = 0;
            for (const auto& kv : report) width = std::max(width, kv.first.size());
            for (const auto& [k, v] : report)
                std::cout << k << std::string(width + 2 - k.size(), ' ') << v << "\n";
        }
        return 0;
    });
    s->footer(
        "What this installation computes with: versions, LibTorch's threads, the BLAS "
        "library the loader chose, CUDA. Paste it into bug reports.");
    s->add_flag("--json", o->json, "machine-readable output");
}

void addModelCommands(Cli& cli, int argc, char** argv) {
    addDoctor(cli);
    addEmbed(cli);
    addModels(cli);
    addTrain(cli, requestedModel(argc, argv));
    addEvaluate(cli);
    addExperiment(cli);
    addScore(cli);
    addTsneCommand(cli);
    addDemoCommand(cli);
}

}  // namespace mlad::cli
