// Deterministic demo-data generator: writes a small HDFS-like block log and a BGL-like RAS log
// with labelled anomalies, so the workbench has something to show before the user brings data.
//
// The wording of every message is invented for this demo; only the line layouts follow the loghub
// HDFS and BGL formats, so the regular readers and presets handle the files unchanged.
//
// Output is byte-for-byte reproducible for a given seed and options on any platform: the
// generator uses its own xoshiro256** generator and integer-only sampling (no <random>
// distributions, no libm, no clock).
#pragma once

#include <cstdint>
#include <string>

namespace mlad::demo {

struct DemoOptions {
    uint64_t seed = 20261122;
    int hdfsBlocks = 4000;          // HDFS-like block lifecycles
    int rasLines = 40000;           // BGL-like RAS lines
    double hdfsAnomalyRate = 0.03;  // fraction of blocks that are anomalous (rounded)
    double rasAnomalyRate = 0.02;   // fraction of lines inside anomalous episodes, roughly
};

struct DemoFiles {
    std::string hdfsLog, hdfsLabels, rasLog, truth;  // outDir joined with the file names
    uint64_t hdfsLines = 0, rasLinesWritten = 0, hdfsBlocks = 0, hdfsAnomalousBlocks = 0,
             rasAnomalousLines = 0;
};

// Anomaly kinds as written in the `kind` column of demo_truth.csv.
inline constexpr const char* kKindUnseenTemplate = "unseen_template";
inline constexpr const char* kKindMissingEvent = "missing_event";
inline constexpr const char* kKindReordered = "reordered";
inline constexpr const char* kKindErrorBurst = "error_burst";
inline constexpr const char* kKindNormalTemplatesOnly = "normal_templates_only";

// Writes into outDir (created if missing):
//   demo_hdfs.log         `<yymmdd> <hhmmss> <Pid> <Level> <Component>: <Content>`, time-ordered;
//                         every line names one block `blk_<signed int64>`.
//   demo_hdfs_labels.csv  `BlockId,Label` (Normal / Anomaly), blocks in order of first appearance.
//   demo_ras.log          BGL layout `<Label> <Epoch> <yyyy.mm.dd> <Node> <yyyy-mm-dd-hh.mm.ss.us>
//                         <Node> RAS <Component> <Level> <Content>`; Label "-" for normal lines,
//                         an alert category (e.g. KERNMEM) for anomalous ones. Epoch is the UTC
//                         epoch second of the Time field.
//   demo_truth.csv        `system,unit,id,kind`: system hdfs (unit block, id block id) or ras
//                         (unit line, id 1-based line number); kind one of the kK* names above.
// Throws std::invalid_argument for negative sizes or rates outside [0, 1], and
// std::runtime_error naming the path on I/O errors.
DemoFiles generateDemo(const std::string& outDir, const DemoOptions& opt = {});

}  // namespace mlad::demo
