#pragma once
// A project is one SQLite file (*.mlad) holding everything: systems and their presets, the raw
// lines (so drill-down works after the source files are gone), parsed fields, templates,
// sequences, splits, embeddings and runs. Schema versioned with PRAGMA user_version.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mlad/io/Preset.h"
#include "mlad/store/ProjectLock.h"
#include "mlad/store/Sqlite.h"

namespace mlad {

struct SystemInfo {
    int64_t id = 0;
    std::string name;
    Preset preset;
    uint64_t lines = 0;
    uint64_t templates = 0;
    uint64_t anomalousLines = 0;
    uint64_t labelledLines = 0;
};

struct FileInfo {
    int64_t id = 0;
    int64_t systemId = 0;
    std::string path;
    std::string fingerprint;
    std::string status;  ///< importing | complete | failed
    std::string error;
    uint64_t size = 0;
    uint64_t linesRead = 0;  ///< source lines consumed (imported + skipped)
    uint64_t linesImported = 0;
    uint64_t linesSkipped = 0;
};

struct TemplateInfo {
    int64_t id = 0;
    int64_t systemId = 0;
    int64_t ordinal = 0;  ///< 1-based per system: EventId "E<ordinal>" in exports
    std::string text;
    std::string treePath;
    uint64_t count = 0;
    uint64_t anomalous = 0;  ///< lines labelled anomalous
    uint64_t labelled = 0;   ///< lines with a label at all
    std::optional<int64_t> firstTs, lastTs;
    int64_t firstLine = 0, lastLine = 0;
};

struct LineRecord {
    int64_t id = 0;
    int64_t fileId = 0;
    int64_t systemId = 0;
    int64_t lineNo = 0;
    std::optional<int64_t> ts;
    std::optional<int> label;
    int64_t templateId = 0;
    std::string raw;
    std::string fields;  ///< packed FieldSpan pairs (uint32 begin, end) into raw
};

struct ImportIssue {
    int64_t fileId = 0;
    uint64_t line = 0;
    std::string kind;  ///< no_match | too_long | nul_bytes | invalid_utf8 | template_cap | error
    std::string message;
};

class Project {
  public:
    static constexpr int kSchemaVersion = 5;

    /// Opens or creates a project, applying pending migrations. Throws sql::Error with the
    /// file name when the file is not a project (or newer than this build understands).
    static std::unique_ptr<Project> open(const std::string& path);
    /// The same, for a long write job: first takes the project's writer lock for `job` (see
    /// ProjectLock; throws ProjectBusy when another job holds it) and keeps it until the
    /// Project is destroyed.
    static std::unique_ptr<Project> open(const std::string& path, const std::string& job);
    static std::unique_ptr<Project> openReadOnly(const std::string& path);

    sql::Database& db() { return *db_; }
    const std::string& path() const { return path_; }
    int schemaVersion();

    /// Makes the query running now on this project's connection (if any) fail with an
    /// "interrupted" error; later queries run normally. Thread-safe: meant to be called from
    /// another thread than the one using the project (e.g. a GUI thread stopping a worker's
    /// slow read). The caller must make sure the Project is not destroyed during the call.
    void interrupt();

    /// Number of systems: a cheap query that fails when the file cannot be read (e.g. a
    /// read-only open of a WAL project whose -shm/-wal files are gone).
    uint64_t systemCount();

    // Systems ------------------------------------------------------------------------------
    /// Returns the id of system `name`, creating it with `preset` when new. An existing system
    /// keeps its preset; a different format raises an error (a system has one format).
    int64_t ensureSystem(const std::string& name, const Preset& preset);
    std::vector<SystemInfo> systems();
    std::optional<SystemInfo> system(const std::string& name);
    std::optional<SystemInfo> systemById(int64_t id);

    // Files --------------------------------------------------------------------------------
    std::optional<FileInfo> findFile(int64_t systemId, const std::string& fingerprint);
    std::vector<FileInfo> files(std::optional<int64_t> systemId = std::nullopt);

    // Templates ----------------------------------------------------------------------------
    std::vector<TemplateInfo> templates(int64_t systemId);
    std::optional<TemplateInfo> templateById(int64_t id);
    /// The template text of each id, in the given order; `missing` for unknown ids.
    std::vector<std::string> templateTexts(const std::vector<int64_t>& ids,
                                           const std::string& missing = "?");
    /// Lines of a template per time bucket: (bucket, count) pairs in bucket order, where bucket
    /// = (ts - originMs) / bucketMs; lines without a timestamp are left out, empty buckets are
    /// absent. bucketMs must be positive.
    std::vector<std::pair<int64_t, uint64_t>> templateTimeBuckets(int64_t templateId,
                                                                  int64_t originMs,
                                                                  int64_t bucketMs);

    // Template vectors ---------------------------------------------------------------------
    /// The stored vectors of embedder kind:version as (template id, float32 blob) pairs.
    std::vector<std::pair<int64_t, std::string>> templateVectorBlobs(const std::string& kind,
                                                                     const std::string& version);

    // Lines --------------------------------------------------------------------------------
    /// Lines of a template with id > afterLineId, in id order (paged by key, not OFFSET).
    std::vector<LineRecord> linesOfTemplate(int64_t templateId, int64_t afterLineId, int limit);
    /// Lines [fromId, toId] of one system in id order.
    std::vector<LineRecord> linesInRange(int64_t systemId, int64_t fromId, int64_t toId, int limit);
    /// The lines with these ids, in the given order (missing ids skipped), at most `limit`.
    std::vector<LineRecord> linesByIds(const std::vector<int64_t>& ids, int limit);
    uint64_t lineCount(std::optional<int64_t> systemId = std::nullopt);
    std::vector<ImportIssue> issues(int64_t fileId, int limit = 1000);

    // Group labels (e.g. HDFS block labels) ------------------------------------------------
    void storeGroupLabels(int64_t systemId, const std::vector<std::pair<std::string, int>>& labels);
    uint64_t groupLabelCount(int64_t systemId);

    // Maintenance --------------------------------------------------------------------------
    /// Secondary indexes on lines are dropped for bulk loads and rebuilt afterwards.
    void dropLineIndexes();
    void createLineIndexes();
    /// PRAGMA integrity_check; returns "ok" or the problems found.
    std::string integrityCheck();

  private:
    Project(std::unique_ptr<sql::Database> db, std::string path);
    void migrate();
    std::unique_ptr<ProjectLock> lock_;  // declared first: released after the database closes
    std::unique_ptr<sql::Database> db_;
    std::string path_;
};

/// Packs field spans into the compact blob stored per line, and back.
struct FieldSpan;
std::string packSpans(const std::vector<FieldSpan>& spans);
std::vector<FieldSpan> unpackSpans(const std::string& blob);

}  // namespace mlad
