#pragma once
// Writers for loghub's own layout: <name>_structured.csv (LineId, fields..., EventId,
// EventTemplate) and <name>_templates.csv (EventId, EventTemplate, Occurrences).
#include <cstdint>
#include <stdexcept>
#include <string>

#include "mlad/io/Preset.h"
#include "mlad/store/Project.h"
#include "mlad/task/Task.h"

namespace mlad {

struct ExportResult {
    std::string structuredCsv, templatesCsv;
    uint64_t lines = 0;
    uint64_t templates = 0;
};

/// Thrown when an output file exists and the caller did not ask to replace it.
struct OutputExists : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A name (a system's, from a project that may come from anyone) as one file-name component:
/// '/' and control characters become '_', so do leading dots; "" becomes "system". Other
/// characters (spaces, quotes, non-ASCII) stay, so names read as the user wrote them.
std::string safeFileStem(const std::string& name);

/// Exports one system of a project as loghub's two CSVs (SYSTEM_structured.csv and
/// SYSTEM_templates.csv) into outDir. Throws std::invalid_argument for an unknown system and
/// OutputExists, before writing anything, when a CSV is there and `replace` is false.
ExportResult exportLoghub(Project& project, const std::string& system, const std::string& outDir,
                          bool replace = false, TaskContext* ctx = nullptr);

struct ParseOnlyResult {
    ExportResult files;
    uint64_t linesRead = 0, parsed = 0, skipped = 0;
    uint64_t templateCapLines = 0;  ///< lines put with their nearest template (Drain's cap)
    double seconds = 0;
};

/// Parses a file with a preset, no project: writes the two loghub CSVs named after the file.
/// The file is read twice (templates are final only at the end), memory stays bounded by one
/// cluster id per line. Throws OutputExists before reading when a CSV is there and `replace`
/// is false.
ParseOnlyResult parseToLoghub(const Preset& preset, const std::string& file,
                              const std::string& outDir, bool replace = false,
                              TaskContext* ctx = nullptr);

}  // namespace mlad
