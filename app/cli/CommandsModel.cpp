// ML commands (the `mlad-ml` executable, LibTorch): embed, train, evaluate, score.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

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

std::vector<std::string> choiceList(const char* choices) {
    std::vector<std::string> out;
    for (const auto& c : splitChar(choices, '|')) out.emplace_back(c);
    return out;
}

std::string capitalised(std::string s) {
    if (!s.empty()) s[0] = char(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
}

/// One option per TrainParam, bound to the field of `cfg` (the single source of truth for the
/// names, ranges, defaults and help of `mlad train`).
void addTrainParams(CLI::App* s, TrainConfig& cfg) {
    for (const auto& p : trainParams()) {
        const std::string name = "--" + p.option();
        const std::string group = capitalised(p.group);
        CLI::Option* opt = std::visit(
            [&](auto m) -> CLI::Option* {
                using T = std::decay_t<decltype(cfg.*m)>;
                if constexpr (std::is_same_v<T, bool>) {
                    return s->add_flag(name, cfg.*m, p.help);
                } else {
                    CLI::Option* o = s->add_option(name, cfg.*m, p.help);
                    if constexpr (std::is_same_v<T, std::string>) {
                        if (*p.choices) o->check(CLI::IsMember(choiceList(p.choices)));
                    } else if constexpr (std::is_integral_v<T>) {
                        o->check(intRange(int64_t(p.lo), int64_t(p.hi)));
                    } else {
                        o->check(realRange(p.lo, p.hi));
                    }
                    return o;
                }
            },
            p.member);
        opt->group(group);
    }
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
        auto project = Project::open(o->project);
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

void addTrain(Cli& cli) {
    struct O {
        std::string project, split, run, model = "mlad", ablation;
        TrainConfig cfg;
        bool json = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("train", [o]() {
        TrainConfig c = o->cfg;
        c.model = o->ablation.empty() ? o->model : o->ablation;
        if (c.model == "MLAD") c.model = "mlad";
        try {
            validateTrainConfig(c);
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
        std::string run = o->run.empty()
                              ? o->split + "-" + (c.model == "mlad" ? "mlad" : c.model.substr(4))
                              : o->run;
        auto project = Project::open(o->project);
        TaskContext ctx(terminalProgress(), 0.2);
        TrainCallbacks cb;
        const bool json = o->json;
        cb.onEpoch = [json](const EpochStats& e) {
            endProgressLine();
            if (!json)
                std::fprintf(
                    stderr,
                    "epoch %d/%d  loss %.4f (mse %.4f energy %.4f cov %.4f)  val %.4f  %.1fs%s\n",
                    e.epoch, e.epochs, e.trainLoss, e.trainMse, e.trainEnergy, e.trainCov,
                    e.valLoss, e.seconds, e.improved ? "  *" : "");
        };
        RunInfo r = trainRun(*project, o->split, run, c, &ctx, cb);
        endProgressLine();
        if (json) {
            printJson({{"run", r.name},
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
    s->footer(
        "Trains in the foreground with per-epoch losses; a cancelled or failed run resumes\n"
        "from its last checkpoint when trained again with the same --run name.\n"
        "--amp: mixed precision (autocast: float16 matrix products on CUDA, bfloat16 on CPU,\n"
        "with dynamic loss scaling) for training only: GMM re-estimation, scoring and the\n"
        "saved model run at full precision. On CPUs without bfloat16 units it is slower.");
    addProjectOption(s, o->project);
    s->add_option("--split", o->split, "the split to train on")->required();
    s->add_option("--run", o->run, "run name (default: SPLIT-MODEL)");
    s->add_option("--model", o->model, "the detector")
        ->check(CLI::IsMember({"mlad", "MLAD", "w/o-entmax", "w/o-gmm"}));
    s->add_option("--ablation", o->ablation, "MLAD without entmax or without the GMM")
        ->check(CLI::IsMember({"w/o-entmax", "w/o-gmm"}));
    addTrainParams(s, o->cfg);
    s->add_flag("--json", o->json, "machine-readable result");
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
        "Default threshold: the (1 - nu) quantile of the validation scores. oracle picks the\n"
        "best F1 on the test labels and is always labelled ORACLE.");
    addProjectOption(s, o->project);
    s->add_option("--run", o->run, "the run")->required();
    s->add_option("--threshold", o->threshold,
                  "quantile:Q | value:X | oracle (default: the run's)");
    s->add_flag("--json", o->json, "machine-readable output");
}

void addScore(Cli& cli) {
    struct O {
        std::string project, run, system, set, ofSplit, out;
        double threshold = 0;
        bool force = false;
        CLI::Option* oThreshold = nullptr;
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
        auto project = Project::open(o->project);
        std::vector<int64_t> ids;
        if (!o->ofSplit.empty()) {
            auto colon = o->ofSplit.find(':');
            std::string name = o->ofSplit.substr(0, colon);
            auto split = findSplit(*project, name);
            if (!split) throw UsageError("no split named '" + name + "'");
            ids = splitPart(*project, split->id,
                            colon == std::string::npos ? "test" : o->ofSplit.substr(colon + 1));
        } else if (!o->system.empty()) {
            auto set = findSequenceSet(*project, o->system, o->set);
            if (!set)
                throw UsageError("system " + o->system + " has no sequences; run mlad sequences");
            for (const auto& q : sequencesOfSet(*project, set->id)) ids.push_back(q.id);
        } else {
            throw UsageError("give --system NAME [--set S] or --sequences-of-split S:part");
        }
        std::optional<double> threshold;
        if (o->oThreshold->count()) threshold = o->threshold;
        TaskContext ctx(terminalProgress());
        auto scored = scoreSequences(*project, o->run, ids, threshold, &ctx);
        endProgressLine();
        // Written next to the target and renamed over it: a failed write leaves no half file.
        const std::string tmp = o->out + ".tmp";
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw std::runtime_error("cannot write " + tmp);
        out << "sequence_id,system,first_line,last_line,label,score,predicted\n";
        uint64_t flagged = 0;
        for (const auto& q : scored) {
            out << q.sequenceId << ',' << csvField(q.system) << ',' << q.firstLine << ','
                << q.lastLine << ',' << (q.label < 0 ? std::string() : std::to_string(q.label))
                << ',' << (std::isfinite(q.score) ? fmtNumber(q.score) : std::string()) << ','
                << (q.predicted ? 1 : 0) << '\n';
            flagged += q.predicted;
        }
        out.close();
        if (!out) {
            fs::remove(tmp, ec);
            throw std::runtime_error("writing " + o->out + " failed (disk full?)");
        }
        fs::rename(tmp, o->out);
        std::cout << "scored " << scored.size() << " sequences, " << flagged
                  << " above the threshold; wrote " << o->out << "\n";
        return 0;
    });
    s->footer("Columns: sequence_id, system, first_line, last_line, label, score, predicted.");
    addProjectOption(s, o->project);
    s->add_option("--run", o->run, "the trained run")->required();
    s->add_option("--system", o->system, "score the sequences of this system");
    s->add_option("--set", o->set, "sequence set of --system (default: the latest)");
    s->add_option("--sequences-of-split", o->ofSplit, "score a split's part (S:test, S:val...)")
        ->type_name("S:PART");
    s->add_option("--out", o->out, "scores CSV to write")->required()->type_name("FILE");
    s->add_flag("--force", o->force, "replace --out when it exists");
    o->oThreshold =
        s->add_option("--threshold", o->threshold, "score threshold (default: the run's)")
            ->check(finiteReal());
}

void addModelCommands(Cli& cli) {
    addEmbed(cli);
    addTrain(cli);
    addEvaluate(cli);
    addScore(cli);
    addDemoCommand(cli);
}

}  // namespace mlad::cli
