#include "mlad/train/Experiment.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "mlad/eval/Metrics.h"
#include "mlad/seq/Adapters.h"
#include "mlad/seq/Sequences.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/Trainer.h"
#include "mlad/util/Version.h"
#include "mlad/viz/Svg.h"

namespace mlad {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string fmt(double v, int digits = 3) {
    if (!std::isfinite(v)) return "-";
    std::ostringstream o;
    o.setf(std::ios::fixed);
    o.precision(digits);
    o << v;
    return o.str();
}

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// A run-name piece: letters, digits, '-', '.'; the rest becomes '-'.
std::string slug(const std::string& s) {
    std::string out;
    for (char c : s)
        out.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '.' ? c : '-');
    return out;
}

// The paper's published figures (P, R, F1) for its protocol (MODEL.md §8), by system.
struct Published {
    const char* system;
    double p, r, f1;
};
const Published kPaperMlad[] = {{"bgl", 0.949, 0.893, 0.918},
                                {"hdfs", 0.930, 0.866, 0.895},
                                {"thunderbird", 0.882, 0.907, 0.896}};

const Published* publishedFor(const std::string& system) {
    const std::string s = lower(system);
    for (const auto& p : kPaperMlad)
        if (s.find(p.system) != std::string::npos) return &p;
    return nullptr;
}

std::string machine() {
    std::ifstream in("/proc/cpuinfo");
    std::string line, model;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            model = line.substr(line.find(':') + 2);
            break;
        }
    return (model.empty() ? std::string("unknown CPU") : model) + ", " +
           std::to_string(std::thread::hardware_concurrency()) + " hardware threads";
}

std::vector<std::string> labelledSystems(Project& project) {
    std::vector<std::string> out;
    for (const auto& s : sequenceSets(project))
        if (s.anomalous > 0 && std::find(out.begin(), out.end(), s.system) == out.end())
            out.push_back(s.system);
    return out;
}

struct Runner {
    Project& project;
    const ExperimentOptions& opt;
    TaskContext* ctx;
    const std::function<void(const std::string&)>& log;
    std::vector<ExperimentCell> cells;

    SplitInfo ensureSplit(const SplitSpec& spec) {
        if (auto s = findSplit(project, spec.name)) return *s;
        if (log) log("creating split " + spec.name);
        return createSplit(project, spec);
    }

    // Trains (or reuses, or resumes) one run and evaluates it at its default rule.
    ExperimentCell cell(const SplitInfo& split, const std::string& model, uint64_t seed,
                        const std::string& system, const std::string& trainedOn,
                        const std::function<void(TrainConfig&)>& tweak = {},
                        const std::string& param = "") {
        if (ctx) ctx->checkCancelled();
        TrainConfig c = TrainConfig::defaults(model);
        if (c.has("seed")) c.set("seed", int64_t(seed));
        if (c.has("threads")) c.set("threads", opt.threads);
        if (opt.epochs > 0 && c.has("epochs")) c.set("epochs", opt.epochs);
        if (tweak) tweak(c);
        validateTrainConfig(c);
        const std::string run = slug(split.name) + "-" + slug(c.label()) +
                                (param.empty() ? "" : "-" + slug(param)) + "-s" +
                                std::to_string(seed);
        auto existing = findRun(project, run);
        if (existing && existing->status == "done") {
            if (log) log("reusing " + run);
        } else {
            if (log) log("training " + run);
            trainRun(project, split.name, run, c, ctx);
        }
        const RunInfo info = *findRun(project, run);
        const EvalReport rep = evaluateRun(project, run, ThresholdChoice::parse("", 0.99));
        ExperimentCell x;
        x.split = split.name;
        x.system = system;
        x.trainedOn = trainedOn;
        x.model = c.label();
        x.param = param;
        x.run = run;
        x.seed = seed;
        x.thresholdRule = rep.thresholdKind;
        x.precision = rep.precision;
        x.recall = rep.recall;
        x.f1 = rep.f1;
        x.f1Natural = rep.atNatural.f1;
        x.rocAuc = rep.rocAuc;
        x.prAuc = rep.prAuc;
        x.falsePositiveRate = 1.0 - rep.specificity;
        x.testSequences = rep.testSequences;
        x.testAnomalous = rep.testAnomalous;
        x.trainSeconds = info.trainSeconds;
        // Scoring time: the test sequences scored again with the saved model.
        const auto t0 = Clock::now();
        scoreSequences(project, run, splitPart(project, split.id, "test"), std::nullopt, ctx);
        x.scoreSeconds = secondsSince(t0);
        cells.push_back(x);
        return x;
    }

    // The figures of a finished run on the test sequences of one system only, at the run's
    // own default threshold (a model fused over several systems, judged per system).
    ExperimentCell subsetCell(const ExperimentCell& whole, const SplitInfo& split,
                              const std::string& system) {
        int64_t systemId = -1;
        for (const auto& s : project.systems())
            if (s.name == system) systemId = s.id;
        const RunScores s = loadRunScores(project, findRun(project, whole.run)->id);
        const seq::EventSequences meta = seq::loadEventSequences(project, s.testIds);
        std::unordered_map<int64_t, int64_t> systemOf;
        for (size_t i = 0; i < meta.size(); ++i) systemOf[meta.ids[i]] = meta.systemIds[i];
        std::vector<double> scores;
        std::vector<uint8_t> labels;
        for (size_t i = 0; i < s.testIds.size(); ++i)
            if (systemOf[s.testIds[i]] == systemId && s.testLabels[i] <= 1) {
                scores.push_back(s.testScores[i]);
                labels.push_back(s.testLabels[i]);
            }
        const eval::ThresholdSweep sweep(scores, labels);
        const eval::Confusion c = sweep.at(s.defaultThreshold);
        uint64_t anomalous = 0, labelled = 0;
        for (const auto& set : sequenceSets(project))
            if (set.system == system) {
                anomalous += set.anomalous;
                labelled += set.count - set.unlabelled;
            }
        ExperimentCell x = whole;
        x.split = split.name + "/" + system;
        x.system = system;
        x.precision = c.precision();
        x.recall = c.recall();
        x.f1 = c.f1();
        x.f1Natural =
            eval::atPrevalence(c, labelled ? double(anomalous) / double(labelled) : 0.0).f1;
        x.falsePositiveRate = 1.0 - c.specificity();
        x.rocAuc = sweep.rocAuc();
        x.prAuc = sweep.averagePrecision();
        x.testSequences = sweep.size();
        x.testAnomalous = sweep.positives();
        cells.push_back(x);
        return x;
    }
};

// Mean and spread of a metric over the seeds of one (split, model, param) group.
struct Stat {
    double mean = 0, sd = 0;
    int n = 0;
};
Stat stat(const std::vector<double>& v) {
    Stat s;
    s.n = int(v.size());
    if (v.empty()) return s;
    for (double x : v) s.mean += x;
    s.mean /= double(v.size());
    if (v.size() > 1) {
        double q = 0;
        for (double x : v) q += (x - s.mean) * (x - s.mean);
        s.sd = std::sqrt(q / double(v.size() - 1));
    }
    return s;
}

std::string cellText(const Stat& s) {
    if (s.n > 1) return fmt(s.mean) + " ± " + fmt(s.sd);
    return fmt(s.mean);
}

struct Group {
    std::string split, system, trainedOn, model, param, rule;
    std::vector<const ExperimentCell*> cells;
    Stat get(double ExperimentCell::*m) const {
        std::vector<double> v;
        for (const auto* c : cells) v.push_back(c->*m);
        return stat(v);
    }
};

std::vector<Group> groups(const std::vector<ExperimentCell>& cells) {
    std::vector<Group> out;
    for (const auto& c : cells) {
        auto it = std::find_if(out.begin(), out.end(), [&](const Group& g) {
            return g.split == c.split && g.model == c.model && g.param == c.param;
        });
        if (it == out.end()) {
            out.push_back({c.split, c.system, c.trainedOn, c.model, c.param, c.thresholdRule, {}});
            it = out.end() - 1;
        }
        it->cells.push_back(&c);
    }
    return out;
}

std::string splitFacts(const SplitInfo& s) {
    std::ostringstream o;
    o << "split `" << s.name << "` (" << s.protocol << ", seed " << s.seed << "): train "
      << s.train.total << ", validation " << s.val.total << ", test " << s.test.total << " ("
      << s.test.anomalous << " anomalous, rate " << fmt(s.test.anomalyRate())
      << "). Leakage: " << s.testIdenticalToTrain
      << " test sequences identical to a training sequence (" << s.anomalousTestIdenticalToTrain
      << " of them anomalous), " << s.anomalousIdenticalToNormal
      << " anomalous sequences identical to a normal one, " << s.unseenTestTemplateCount
      << " test templates never seen in training.";
    return o.str();
}

std::string tableFor(const std::vector<Group>& gs, const std::string& split, bool withParam,
                     int repeats) {
    std::ostringstream o;
    bool labelled = false;
    for (const auto& g : gs)
        if (g.split == split)
            for (const auto* c : g.cells) labelled |= c->testAnomalous > 0;
    if (!labelled)
        o << "The test part has no labelled anomalies: P, R, F1 and the curves are undefined; "
             "the false-positive rate (every flagged sequence is a false alarm) is what this "
             "data can show.\n\n";
    o << "| detector" << (withParam ? " | setting" : "")
      << " | default threshold rule | P | R | F1 | F1 at natural rate | FPR | ROC-AUC | PR-AUC | "
         "train s | score s |\n|---|"
      << (withParam ? "---|" : "") << "---|---|---|---|---|---|---|---|---|---|\n";
    // The best F1 (or, on a test part without labelled anomalies, the lowest false-positive
    // rate: the only figure such data can give); rows within the spread of it are marked as no
    // different.
    bool anyAnomalous = false;
    for (const auto& g : gs)
        if (g.split == split)
            for (const auto* c : g.cells) anyAnomalous |= c->testAnomalous > 0;
    const auto key = [anyAnomalous](const Group& g) {
        const Stat s =
            g.get(anyAnomalous ? &ExperimentCell::f1 : &ExperimentCell::falsePositiveRate);
        return anyAnomalous ? s : Stat{-s.mean, s.sd, s.n};
    };
    double best = -1e300, bestSd = 0;
    for (const auto& g : gs)
        if (g.split == split) {
            const Stat f = key(g);
            if (f.mean > best) best = f.mean, bestSd = f.sd;
        }
    for (const auto& g : gs) {
        if (g.split != split) continue;
        const Stat f = g.get(&ExperimentCell::f1);
        const Stat k = key(g);
        std::string mark;
        if (k.mean == best)
            mark = anyAnomalous ? " **(best)**" : "";
        else if (repeats > 1 && best - k.mean <= std::max(k.sd, bestSd))
            mark = " (no difference from the best: within the spread)";
        std::string fprMark;
        if (!anyAnomalous && k.mean == best) fprMark = " **(lowest)**";
        o << "| " << g.model << (withParam ? " | " + g.param : "") << " | " << g.rule << " | "
          << cellText(g.get(&ExperimentCell::precision)) << " | "
          << cellText(g.get(&ExperimentCell::recall)) << " | " << cellText(f) << mark << " | "
          << cellText(g.get(&ExperimentCell::f1Natural)) << " | "
          << cellText(g.get(&ExperimentCell::falsePositiveRate)) << fprMark << " | "
          << cellText(g.get(&ExperimentCell::rocAuc)) << " | "
          << cellText(g.get(&ExperimentCell::prAuc)) << " | "
          << fmt(g.get(&ExperimentCell::trainSeconds).mean, 1) << " | "
          << fmt(g.get(&ExperimentCell::scoreSeconds).mean, 2) << " |\n";
    }
    return o.str();
}

std::string paperComparison(const std::vector<Group>& gs, const SplitInfo& split,
                            const std::string& system, const std::string& protocol) {
    const Published* pub = publishedFor(system);
    if (!pub) return "";
    std::ostringstream o;
    o << "\nThe paper's published MLAD figures for " << system
      << " (its own runs, paper protocol, full log; **not ours**): P " << fmt(pub->p) << ", R "
      << fmt(pub->r) << ", F1 " << fmt(pub->f1) << ".";
    for (const auto& g : gs) {
        if (g.split != split.name || g.model != "mlad" || !g.param.empty()) continue;
        const double ours = g.get(&ExperimentCell::f1).mean;
        const double diff = ours - pub->f1;
        o << " Ours (mlad): F1 " << fmt(ours) << " (" << (diff >= 0 ? "+" : "") << fmt(diff)
          << ").";
        if (std::abs(diff) > 0.05) {
            o << " Why we think they differ: ";
            std::vector<std::string> why;
            if (protocol != "paper")
                why.push_back("this is a " + protocol +
                              " split (later data tested), where the paper used a random split "
                              "that shares sequences between training and test");
            if (split.train.total < 100000)
                why.push_back("our training data is a sample of " +
                              std::to_string(split.train.total) +
                              " sequences, the paper trained on the full log");
            why.push_back("our threshold is the detector's default rule on validation data (" +
                          g.rule + "), the paper does not state how it chose its threshold");
            why.push_back(
                "template vectors come from the offline corpus embedder, not "
                "Sentence-BERT");
            for (size_t i = 0; i < why.size(); ++i) o << (i ? "; " : "") << why[i];
            o << ".";
        }
    }
    return o.str() + "\n";
}

// A figure of one split's rows: F1 per detector (mean, with the spread over seeds), or for the
// alpha sweep F1 and PR-AUC against alpha. Returns the Markdown that links it.
std::string figureFor(const std::vector<Group>& gs, const std::string& split,
                      const std::string& title, bool sweep,
                      std::vector<std::pair<std::string, std::string>>& plots) {
    const std::string file = slug(split) + (sweep ? "-alpha.svg" : "-f1.svg");
    if (sweep) {
        viz::Series f1{"F1", {}}, pr{"PR-AUC", {}}, roc{"ROC-AUC", {}};
        for (const auto& g : gs) {
            if (g.split != split || g.param.rfind("alpha ", 0) != 0) continue;
            const double a = std::stod(g.param.substr(6));
            f1.points.emplace_back(a, g.get(&ExperimentCell::f1).mean);
            pr.points.emplace_back(a, g.get(&ExperimentCell::prAuc).mean);
            roc.points.emplace_back(a, g.get(&ExperimentCell::rocAuc).mean);
        }
        plots.emplace_back(
            file, viz::lineChartSvg(title, "entmax alpha", "score", {f1, pr, roc}, 0.0, 1.0));
    } else {
        std::vector<viz::Bar> bars;
        for (const auto& g : gs) {
            if (g.split != split) continue;
            const Stat f = g.get(&ExperimentCell::f1);
            bars.push_back({g.model + (g.param.empty() ? "" : " (" + g.param + ")"), f.mean, f.sd});
        }
        plots.emplace_back(
            file, viz::barChartSvg(title, "F1 at the detector's default threshold", bars, 1.0));
    }
    return "\n![" + title + "](" + file + ")\n";
}

struct Tested {
    SplitInfo split;
    std::string trainedOn, testedOn;
};

// The Markdown report of a finished experiment; adds its figures to result.plots.
std::string experimentReport(Project& project, ExperimentResult& result,
                             const std::vector<Tested>& splits) {
    const ExperimentOptions& options = result.options;
    const std::string& kind = options.kind;
    const auto gs = groups(result.cells);
    std::ostringstream md;
    const std::map<std::string, std::string> titles = {
        {"table2", "Table II: every detector on each system"},
        {"table3", "Table III: transfer, trained on one system, scored on another"},
        {"alpha-sweep", "Fig. 5: MLAD against the entmax alpha"},
        {"multi-system", "Fig. 6: one model for several systems, or one each"}};
    const std::string title = titles.count(kind) ? titles.at(kind) : kind;
    const std::time_t now = std::time(nullptr);
    char when[64];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    md << "# " << title << "\n\n"
       << "- command: `" << (options.command.empty() ? "mlad experiment " + kind : options.command)
       << "`\n"
       << "- project: `" << project.path() << "`\n"
       << "- code version: " << codeVersion() << "; machine: " << machine() << "\n"
       << "- finished " << when << " after " << fmt(result.seconds, 0)
       << " s (runs reused from an earlier call are not trained again; their train time is the "
          "one recorded then)\n"
       << "- seeds per cell: " << options.repeats << " (42"
       << (options.repeats > 1 ? ".." + std::to_string(41 + options.repeats) : "") << ")"
       << (options.repeats > 1 ? "; cells show mean ± standard deviation, and a detector whose "
                                 "F1 lies within the spread of the best is marked as no "
                                 "different"
                               : "; one seed: differences of a few hundredths may be noise")
       << "\n"
       << "- thresholds: each detector's own default rule, named in the table, chosen on "
          "training or validation data; test labels choose nothing (no oracle figures here)\n"
       << (options.epochs > 0
               ? "- torch detectors trained for at most " + std::to_string(options.epochs) +
                     " epochs (overriding their defaults)\n"
               : "")
       << "\nP, R, F1 at the split's test prevalence; F1 at natural rate re-weights them to the "
          "anomaly rate of all labelled sequences; FPR = false-positive rate.\n";
    if (kind == "multi-system") {
        md << "\nOne model trained on the union of the systems (split `" << splits[0].split.name
           << "`), judged on each system's test sequences at its own default threshold, beside "
              "one model per system.\n\n"
           << splitFacts(splits[0].split) << "\n";
        for (size_t i = 1; i < splits.size(); ++i) {
            const std::string& sys = splits[i].testedOn;
            md << "\n## " << sys << "\n\n"
               << splitFacts(splits[i].split) << "\n\n"
               << tableFor(gs, splits[0].split.name + "/" + sys, true, options.repeats)
               << figureFor(gs, splits[0].split.name + "/" + sys,
                            sys + ": F1, one model or one each", false, result.plots);
        }
        return md.str();
    }
    for (const auto& t : splits) {
        const SplitInfo& s = t.split;
        const std::string& sys = t.testedOn;
        md << "\n## "
           << (kind == "table3" ? "Trained on " + t.trainedOn + ", tested on " + sys : sys)
           << "\n\n"
           << splitFacts(s) << "\n\n"
           << tableFor(gs, s.name, kind == "alpha-sweep", options.repeats)
           << figureFor(gs, s.name,
                        (kind == "table3" ? t.trainedOn + " -> " + sys : sys) +
                            (kind == "alpha-sweep" ? ": MLAD against alpha" : ": F1 per detector"),
                        kind == "alpha-sweep", result.plots);
        if (kind == "table2") md << paperComparison(gs, s, sys, options.protocol);
    }
    return md.str();
}

}  // namespace

std::vector<std::string> defaultExperimentModels(const std::string& kind) {
    if (kind == "alpha-sweep") return {"mlad"};
    if (kind == "multi-system") return {"mlad", "deeplog", "invariants", "new-templates"};
    if (kind == "table3")
        return {"mlad",       "w/o-gmm",    "deeplog",       "logbert",      "dagmm",        "pca",
                "logcluster", "invariants", "new-templates", "new-sequence", "rare-template"};
    return {"mlad",
            "w/o-entmax",
            "w/o-gmm",
            "deeplog",
            "logbert",
            "dagmm",
            "pca",
            "iforest",
            "logcluster",
            "invariants",
            "new-templates",
            "new-sequence",
            "distinct-templates",
            "rare-template"};
}

Json ExperimentResult::json() const {
    Json cellsJson = Json::array();
    for (const auto& c : cells)
        cellsJson.push_back({{"split", c.split},
                             {"system", c.system},
                             {"trained_on", c.trainedOn},
                             {"model", c.model},
                             {"setting", c.param},
                             {"run", c.run},
                             {"seed", c.seed},
                             {"threshold_rule", c.thresholdRule},
                             {"precision", c.precision},
                             {"recall", c.recall},
                             {"f1", c.f1},
                             {"f1_natural", c.f1Natural},
                             {"false_positive_rate", c.falsePositiveRate},
                             {"roc_auc", c.rocAuc},
                             {"pr_auc", c.prAuc},
                             {"train_seconds", c.trainSeconds},
                             {"score_seconds", c.scoreSeconds},
                             {"test_sequences", c.testSequences},
                             {"test_anomalous", c.testAnomalous}});
    return {{"kind", options.kind},       {"protocol", options.protocol},
            {"repeats", options.repeats}, {"code_version", codeVersion()},
            {"seconds", seconds},         {"cells", cellsJson}};
}

ExperimentResult runExperiment(Project& project, const ExperimentOptions& options, TaskContext* ctx,
                               const std::function<void(const std::string&)>& log) {
    const auto t0 = Clock::now();
    const std::string& kind = options.kind;
    if (kind != "table2" && kind != "table3" && kind != "alpha-sweep" && kind != "multi-system")
        throw std::invalid_argument("experiment '" + kind +
                                    "': one of table2, table3, alpha-sweep, multi-system");
    if (options.protocol != "paper" && options.protocol != "chronological")
        throw std::invalid_argument("--protocol: paper or chronological");
    if (options.repeats < 1 || options.repeats > 100)
        throw std::invalid_argument("--repeats: between 1 and 100");
    ExperimentResult result;
    result.options = options;
    const std::vector<std::string> models =
        options.models.empty() ? defaultExperimentModels(kind) : options.models;
    for (const auto& m : models) TrainConfig::defaults(m);  // unknown ids fail before training
    std::vector<std::string> systems =
        options.systems.empty() ? labelledSystems(project) : options.systems;
    if (systems.empty())
        throw std::invalid_argument(
            "the project has no labelled sequence set: import labelled logs and build sequences "
            "first");
    const std::set<std::string> known = [&] {
        std::set<std::string> k;
        for (const auto& s : project.systems()) k.insert(s.name);
        return k;
    }();
    for (const auto& s : systems)
        if (!known.count(s)) throw std::invalid_argument("--system: no system named '" + s + "'");

    Runner runner{project, options, ctx, log, {}};
    std::vector<Tested> splits;
    if (kind == "table3") {
        if (systems.size() < 2)
            throw std::invalid_argument("table3 needs two systems (--system A,B)");
        for (const auto& a : systems)
            for (const auto& b : systems) {
                if (a == b) continue;
                SplitSpec spec;
                spec.name = "exp-transfer-" + slug(a) + "-to-" + slug(b);
                spec.protocol = "transfer";
                spec.trainSystem = a;
                spec.testSystem = b;
                const SplitInfo s = runner.ensureSplit(spec);
                splits.push_back({s, a, b});
                for (const auto& m : models)
                    for (int r = 0; r < options.repeats; ++r)
                        runner.cell(s, m, uint64_t(42 + r), b, a);
            }
    } else if (kind == "multi-system") {
        if (systems.size() < 2)
            throw std::invalid_argument("multi-system needs two or more systems (--system A,B)");
        SplitSpec fusedSpec;
        fusedSpec.name = "exp-multi-" + options.protocol;
        for (const auto& sys : systems) fusedSpec.name += "-" + slug(sys);
        fusedSpec.protocol = "multi-system";
        fusedSpec.base = options.protocol;
        fusedSpec.systems = systems;
        const SplitInfo fused = runner.ensureSplit(fusedSpec);
        for (const auto& m : models)
            for (int r = 0; r < options.repeats; ++r) {
                const ExperimentCell whole =
                    runner.cell(fused, m, uint64_t(42 + r), "all", "all", {}, "one model");
                runner.cells.pop_back();  // reported per system below
                for (const auto& sys : systems) runner.subsetCell(whole, fused, sys);
            }
        for (const auto& sys : systems) {
            SplitSpec spec;
            spec.name = "exp-" + options.protocol + "-" + slug(sys);
            spec.protocol = options.protocol;
            spec.systems = {sys};
            const SplitInfo s = runner.ensureSplit(spec);
            for (const auto& m : models)
                for (int r = 0; r < options.repeats; ++r) {
                    runner.cell(s, m, uint64_t(42 + r), sys, sys);
                    runner.cells.back().split = fused.name + "/" + sys;
                    runner.cells.back().param = "one model per system";
                }
            splits.push_back({s, sys, sys});
        }
        splits.insert(splits.begin(), {fused, "all", "all"});
    } else {
        for (const auto& sys : systems) {
            SplitSpec spec;
            spec.name = "exp-" + options.protocol + "-" + slug(sys);
            spec.protocol = options.protocol;
            spec.systems = {sys};
            const SplitInfo s = runner.ensureSplit(spec);
            splits.push_back({s, sys, sys});
            for (const auto& m : models)
                for (int r = 0; r < options.repeats; ++r) {
                    if (kind == "alpha-sweep") {
                        for (int a = 10; a <= 16; ++a) {
                            const double alpha = a / 10.0;
                            runner.cell(
                                s, m, uint64_t(42 + r), sys, sys,
                                [alpha](TrainConfig& c) { c.set("alpha", alpha); },
                                "alpha " + fmt(alpha, 1));
                        }
                    } else {
                        runner.cell(s, m, uint64_t(42 + r), sys, sys);
                    }
                }
        }
    }
    result.cells = std::move(runner.cells);
    for (const auto& t : splits) result.splits.push_back(t.split);
    result.seconds = secondsSince(t0);

    result.markdown = experimentReport(project, result, splits);
    return result;
}

}  // namespace mlad
