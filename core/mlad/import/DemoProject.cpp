#include "mlad/import/DemoProject.h"

#include <stdexcept>

namespace mlad {

DemoSetup setUpDemoProject(Project& project, const demo::DemoFiles& files, TaskContext* ctx) {
    DemoSetup out;
    struct Job {
        const char* preset;
        const char* system;
        std::string file, labels;
    };
    const Job jobs[] = {{"HDFS", kDemoHdfsSystem, files.hdfsLog, files.hdfsLabels},
                        {"BGL", kDemoRasSystem, files.rasLog, ""}};
    for (const auto& j : jobs) {
        ImportOptions io;
        io.preset = *findPreset(j.preset);
        io.system = j.system;
        io.labelsCsv = j.labels;
        ImportReport r = importFiles(project, {j.file}, io, ctx);
        if (r.cancelled) throw Cancelled();
        if (r.anyFailed()) {
            std::string msg;
            for (const auto& f : r.files) msg += f.message + "\n";
            throw std::runtime_error("demo import failed: " + msg);
        }
        out.imports.push_back(std::move(r));
    }
    // Sets and splits made by an earlier run of the demo are kept (the demo runs again on the
    // same project: README's run command is idempotent).
    auto ensureSet = [&](const char* system, const SequenceSpec& spec) {
        if (auto existing = findSequenceSet(project, system, spec.name))
            out.sets.push_back(*existing);
        else
            out.sets.push_back(buildSequences(project, system, spec, ctx));
    };
    auto ensureSplit = [&](const SplitSpec& spec) {
        if (auto existing = findSplit(project, spec.name))
            out.splits.push_back(*existing);
        else
            out.splits.push_back(createSplit(project, spec));
    };
    SequenceSpec blocks;
    blocks.kind = SequenceSpec::Kind::SessionRegex;  // the HDFS preset's blk_ regex
    blocks.name = "blocks";
    ensureSet(kDemoHdfsSystem, blocks);
    SequenceSpec windows;
    windows.name = "windows20";
    windows.size = windows.step = 20;
    ensureSet(kDemoRasSystem, windows);
    SplitSpec hdfs;
    hdfs.name = "demo-hdfs";
    hdfs.systems = {kDemoHdfsSystem};
    hdfs.sequenceSet = "blocks";
    ensureSplit(hdfs);
    SplitSpec ras;
    ras.name = "demo-ras";
    ras.systems = {kDemoRasSystem};
    ras.sequenceSet = "windows20";
    ensureSplit(ras);
    return out;
}

}  // namespace mlad
