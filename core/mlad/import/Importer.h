#pragma once
// Streaming import of log files into a project: read -> parse (this thread) -> write (a writer
// thread, one transaction per batch). Every batch commits its lines, the templates it created
// or changed, and the file's progress together, so a crash or a kill at any moment leaves a
// valid project from which a second import resumes without duplicating lines.
#include <cstdint>
#include <string>
#include <vector>

#include "mlad/io/Preset.h"
#include "mlad/store/Project.h"
#include "mlad/task/Task.h"

namespace mlad {

struct ImportOptions {
    Preset preset;
    std::string system;  ///< system name; empty = preset name
    /// group labels CSV (e.g. HDFS anomaly_label.csv: BlockId,Label), read by readGroupLabels
    /// (mlad/io/Labels.h) with the strict label vocabulary
    std::string labelsCsv;
    bool force = false;  ///< import a file again even when it was imported before
    size_t batchLines = 50000;
    size_t maxLineBytes = size_t(1) << 20;
    size_t maxIssuesPerFile = 1000;  ///< issues stored per file; counts are always complete
};

struct FileReport {
    std::string path;
    /// imported | resumed | appended (a grown log: only its new lines) | duplicate | empty |
    /// failed | cancelled
    std::string status;
    std::string message;  ///< human-readable summary or error (names the file and line)
    int64_t fileId = 0;
    uint64_t linesRead = 0;  ///< lines consumed this run
    uint64_t imported = 0;
    uint64_t skipped = 0;  ///< no_match + too_long + nul_bytes
    uint64_t noMatch = 0, tooLong = 0, nulBytes = 0, repairedUtf8 = 0;
    uint64_t resumedFrom = 0;  ///< lines already in the project before this run
    /// lines that joined their nearest template because Drain's template cap was reached
    uint64_t templateCapLines = 0;
    std::vector<ImportIssue> firstIssues;  ///< the first few issues, for display
};

struct ImportReport {
    int64_t systemId = 0;
    std::string system;
    std::vector<FileReport> files;
    uint64_t imported = 0;
    uint64_t skipped = 0;
    size_t templatesBefore = 0, templatesAfter = 0;
    double seconds = 0;
    bool cancelled = false;
    bool anyFailed() const {
        for (const auto& f : files)
            if (f.status == "failed") return true;
        return false;
    }
};

/// The fingerprint projects before schema 5 stored: size + hashes of the first and last 64 KiB.
/// Still computed to recognise files imported by earlier versions.
std::string fileFingerprint(const std::string& path);

/// A file's identity: "xxh3-128:" + the XXH3-128 digest of all its bytes (compressed bytes
/// for .gz), plus the digests of the prefixes that end at `prefixEnds` (ascending, each below
/// the size) and whether each prefix ends with a line break, to recognise a log that grew since
/// it was imported. One streaming pass at disk speed.
struct ContentDigest {
    uint64_t size = 0;
    std::string digest;
    std::vector<std::string> prefixDigests;
    std::vector<bool> prefixEndsLine;  ///< for plain text; a .gz's compressed bytes cannot tell
    bool gzip = false;                 ///< starts with gzip's magic bytes
};
ContentDigest contentDigest(const std::string& path, uint64_t size,
                            const std::vector<uint64_t>& prefixEnds = {});

/// Imports files into one system. Throws only for problems that concern the whole call (a
/// bad preset, a project that cannot be written); per-file problems go into the report.
/// Cancellation through ctx stops after the current batch; the file stays resumable.
ImportReport importFiles(Project& project, const std::vector<std::string>& files,
                         const ImportOptions& options, TaskContext* ctx = nullptr);

}  // namespace mlad
