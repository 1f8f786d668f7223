#pragma once
// The built-in demo project, shared by `mlad demo` and the workbench's "Open demo project":
// imports the generated logs as two systems, builds block sessions and windows of 20, and
// makes a chronological split per system so that training works right away.
#include <string>
#include <vector>

#include "demo/DemoGenerator.h"
#include "mlad/import/Importer.h"
#include "mlad/seq/Sequences.h"
#include "mlad/seq/Splits.h"
#include "mlad/store/Project.h"
#include "mlad/task/Task.h"

namespace mlad {

inline constexpr const char* kDemoHdfsSystem = "DemoHDFS";
inline constexpr const char* kDemoRasSystem = "DemoRAS";

struct DemoSetup {
    std::vector<ImportReport> imports;  ///< DemoHDFS, DemoRAS
    std::vector<SequenceSetInfo> sets;  ///< "blocks", "windows20"
    std::vector<SplitInfo> splits;      ///< "demo-hdfs", "demo-ras"
};

/// Throws Cancelled when cancelled and std::runtime_error when an import fails.
DemoSetup setUpDemoProject(Project& project, const demo::DemoFiles& files, TaskContext* ctx);

}  // namespace mlad
