// `mlad demo`: the headless main job. Generates the demo log set, imports it and runs the
// pipeline stages that exist, writing a Markdown report.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "Args.h"
#include "Commands.h"
#include "Output.h"
#include "demo/DemoGenerator.h"
#include "mlad/import/Importer.h"
#include "mlad/store/Project.h"

namespace mlad::cli {

namespace fs = std::filesystem;

int cmdDemo(int argc, char** argv) {
    Args a(argc, argv, 1, {"project", "data", "report", "seed"}, {"quick"});
    const std::string projectPath = a.require("project");
    const fs::path dataDir = a.get("data", (fs::path(projectPath).parent_path() /
                                            "mlad-demo-data").string());
    const std::string reportPath = a.get("report", projectPath + ".report.md");

    demo::DemoOptions dopt;
    dopt.seed = uint64_t(a.getInt("seed", int64_t(dopt.seed)));
    if (a.flag("quick")) {
        dopt.hdfsBlocks = 800;
        dopt.rasLines = 8000;
    }
    std::cout << "generating demo logs in " << dataDir.string() << "\n";
    demo::DemoFiles files = demo::generateDemo(dataDir.string(), dopt);

    auto project = Project::open(projectPath);
    TaskContext ctx(terminalProgress());
    std::ofstream report(reportPath);
    if (!report) throw std::runtime_error("cannot write report " + reportPath);
    report << "# MLAD Workbench demo report\n\nProject: `" << projectPath << "`\n\n"
           << "## Import\n\n| system | lines imported | skipped | templates | seconds |\n"
           << "|---|---|---|---|---|\n";

    struct Job {
        const char* preset;
        const char* system;
        std::string file;
        std::string labels;
    };
    const Job jobs[] = {{"HDFS", "DemoHDFS", files.hdfsLog, files.hdfsLabels},
                        {"BGL", "DemoRAS", files.rasLog, ""}};
    for (const auto& j : jobs) {
        ImportOptions io;
        io.preset = *findPreset(j.preset);
        io.system = j.system;
        io.labelsCsv = j.labels;
        ImportReport r = importFiles(*project, {j.file}, io, &ctx);
        endProgressLine();
        for (const auto& f : r.files) std::cout << f.message << "\n";
        if (r.anyFailed()) throw std::runtime_error("demo import failed for " + j.file);
        report << "| " << j.system << " | " << r.imported << " | " << r.skipped << " | "
               << r.templatesAfter << " | " << jsonNumber(r.seconds) << " |\n";
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

}  // namespace mlad::cli
