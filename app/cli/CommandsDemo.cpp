// `mlad demo`: the headless main job. Generates the demo log set, imports it, builds sequences
// (HDFS-like block sessions, RAS windows of 20), makes chronological splits, embeds the
// templates, trains MLAD and its two ablations per system and writes a Markdown report.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>

#include "Commands.h"
#include "Output.h"
#include "demo/DemoGenerator.h"
#include "mlad/embed/TemplateVectors.h"
#include "mlad/import/DemoProject.h"
#include "mlad/seq/Sequences.h"
#include "mlad/seq/Splits.h"
#include "mlad/store/Project.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/Trainer.h"
#include "mlad/util/Version.h"

namespace mlad::cli {

namespace fs = std::filesystem;

static std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    return buf;
}

namespace {

struct DemoArgs {
    std::string project, data, report;
    int64_t seed = 0, epochs = 0;
    bool quick = false, noTrain = false;
    CLI::Option *oSeed = nullptr, *oEpochs = nullptr;
};

int runDemo(const DemoArgs& a) {
    const std::string projectPath = a.project;
    fs::path parent = fs::absolute(projectPath).parent_path();
    const fs::path dataDir = a.data.empty() ? parent / "mlad-demo-data" : fs::path(a.data);
    const std::string reportPath = a.report.empty() ? projectPath + ".report.md" : a.report;
    const bool quick = a.quick;

    demo::DemoOptions dopt;
    if (a.oSeed->count()) dopt.seed = uint64_t(a.seed);
    // Sizes that keep the headless main job to a few minutes on a 2-core machine.
    dopt.hdfsBlocks = quick ? 800 : 2000;
    dopt.rasLines = quick ? 8000 : 20000;
    std::cout << "generating demo logs in " << dataDir.string() << "\n";
    demo::DemoFiles files = demo::generateDemo(dataDir.string(), dopt);

    auto project = Project::open(projectPath, "mlad demo");
    TaskContext ctx(terminalProgress());
    std::ofstream report(reportPath);
    if (!report) throw std::runtime_error("cannot write report " + reportPath);
    report << "# MLAD Workbench demo report\n\nProject: `" << fs::absolute(projectPath).string()
           << "`, demo seed " << dopt.seed << ", code " << codeVersion() << "\n\n"
           << "## Import\n\n| system | lines imported | skipped | templates | seconds |\n"
           << "|---|---|---|---|---|\n";

    DemoSetup setup = setUpDemoProject(*project, files, &ctx);
    endProgressLine();
    for (const auto& r : setup.imports) {
        for (const auto& f : r.files) std::cout << f.message << "\n";
        report << "| " << r.system << " | " << r.imported << " | " << r.skipped << " | "
               << r.templatesAfter << " | " << fmt(r.seconds) << " |\n";
    }
    report << "\n## Sequences\n\n| system | set | sequences | anomalous |\n|---|---|---|---|\n";
    for (const auto& s : setup.sets)
        report << "| " << s.system << " | " << s.name << " (" << s.params << ") | " << s.count
               << " | " << s.anomalous << " |\n";
    report << "\n## Splits (chronological: first 60% train, normal only; the rest test)\n\n"
           << "| split | train | val | test (anomalous) | test identical to train | unseen test "
              "templates |\n|---|---|---|---|---|---|\n";
    std::vector<std::string> splitNames;
    for (const auto& info : setup.splits) {
        splitNames.push_back(info.name);
        report << "| " << info.name << " | " << info.train.total << " | " << info.val.total << " | "
               << info.test.total << " (" << info.test.anomalous << ") | "
               << info.testIdenticalToTrain << " | " << info.unseenTestTemplates.size() << " |\n";
    }
    auto tv = embed::ensureTemplateVectors(*project, "corpus", 100, &ctx);
    endProgressLine();
    report << "\nTemplate vectors: corpus embedder " << tv.version << ", " << tv.byTemplate.size()
           << " templates, " << fmt(tv.seconds) << " s.\n";

    if (!a.noTrain) {
        report << "\n## Detectors (threshold: 99th percentile of validation scores; not tuned on "
                  "test labels)\n\n| split | model | P | R | F1 | ROC-AUC | PR-AUC | oracle F1* | "
                  "train s |\n|---|---|---|---|---|---|---|---|---|\n";
        for (const auto& split : splitNames) {
            for (const char* model : {"mlad", "w/o-entmax", "w/o-gmm"}) {
                TrainConfig cfg = TrainConfig::defaults(model);
                cfg.set("epochs", a.oEpochs->count() ? int(a.epochs) : quick ? 3 : 5);
                cfg.set("patience", 3);
                std::string run = split + "-" + (std::string(model) == "mlad" ? "mlad" : model + 4);
                if (auto existing = findRun(*project, run);
                    existing && existing->status == "done") {
                    std::cout << "run " << run << " exists; kept\n";
                } else {
                    std::cout << "training " << run << " (" << cfg.integer("epochs")
                              << " epochs max)\n";
                    trainRun(*project, split, run, cfg, &ctx);
                    endProgressLine();
                }
                auto e =
                    evaluateRun(*project, run, ThresholdChoice::parse("", 1.0 - cfg.real("nu")));
                auto info = findRun(*project, run);
                report << "| " << split << " | " << model << " | " << fmt(e.precision) << " | "
                       << fmt(e.recall) << " | " << fmt(e.f1) << " | " << fmt(e.rocAuc) << " | "
                       << fmt(e.prAuc) << " | " << fmt(e.oracleBest.f1) << " | "
                       << fmt(info->trainSeconds) << " |\n";
            }
        }
        report << "\n\\* oracle F1: best F1 over all thresholds chosen on the test labels; an "
                  "upper bound for reference, not a result.\n";
    }
    report << "\n## Systems\n\n";
    for (const auto& s : project->systems())
        report << "- **" << s.name << "**: " << s.lines << " lines, " << s.templates
               << " templates, " << s.anomalousLines << " anomalous of " << s.labelledLines
               << " labelled lines\n";
    report.close();
    std::cout << "report: " << fs::absolute(reportPath).string() << "\n";
    return 0;
}

}  // namespace

void addDemoCommand(Cli& cli) {
    auto a = std::make_shared<DemoArgs>();
    CLI::App* s = cli.add("demo", [a]() { return runDemo(*a); });
    s->footer(
        "Writes a deterministic multi-system demo log set (an HDFS-like block system and a\n"
        "BGL-like RAS system with labelled anomalies of several kinds), imports it and runs\n"
        "the pipeline, then writes a Markdown report and prints its path.");
    addProjectOption(s, a->project, "project file (created when missing)");
    s->add_option("--data", a->data, "folder for the demo logs (default: beside the project)")
        ->type_name("DIR");
    s->add_option("--report", a->report, "Markdown report (default: PROJECT.report.md)")
        ->type_name("FILE");
    a->oSeed = s->add_option("--seed", a->seed, "demo data seed")
                   ->check(intRange(0, std::numeric_limits<int64_t>::max()));
    a->oEpochs = s->add_option("--epochs", a->epochs, "training epochs (default 5, 3 with --quick)")
                     ->check(intRange(1, 100000));
    s->add_flag("--quick", a->quick, "smaller data and fewer epochs");
    s->add_flag("--no-train", a->noTrain, "stop after embedding");
}

}  // namespace mlad::cli
