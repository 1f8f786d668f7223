#include "mlad/store/Project.h"

#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "mlad/io/LogFormat.h"
#include "mlad/store/ProjectLock.h"

namespace mlad {

namespace {

// Numbered migrations: migration i brings the schema from version i to i+1. Never edit a
// released one; append a new one instead.
const char* const kMigrations[] = {
    // 0 -> 1: the data layer.
    R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE systems (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    preset TEXT NOT NULL,           -- the preset text (key = value lines) used for this system
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    system_id INTEGER NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('importing', 'complete', 'failed')),
    error TEXT,
    lines_read INTEGER NOT NULL DEFAULT 0,
    lines_imported INTEGER NOT NULL DEFAULT 0,
    lines_skipped INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL DEFAULT (datetime('now')),
    finished_at TEXT,
    UNIQUE (system_id, fingerprint)
);
CREATE TABLE templates (
    id INTEGER PRIMARY KEY,
    system_id INTEGER NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    template TEXT NOT NULL,
    tree_path TEXT NOT NULL DEFAULT '',
    count INTEGER NOT NULL DEFAULT 0,
    anomalous INTEGER NOT NULL DEFAULT 0,
    labelled INTEGER NOT NULL DEFAULT 0,
    first_ts INTEGER,
    last_ts INTEGER,
    first_line INTEGER,
    last_line INTEGER,
    UNIQUE (system_id, ordinal)
);
CREATE TABLE lines (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    system_id INTEGER NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    line_no INTEGER NOT NULL,
    ts INTEGER,
    label INTEGER,
    template_id INTEGER REFERENCES templates(id),
    raw TEXT NOT NULL,
    fields BLOB
);
CREATE TABLE group_labels (
    system_id INTEGER NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    group_key TEXT NOT NULL,
    label INTEGER NOT NULL,
    PRIMARY KEY (system_id, group_key)
) WITHOUT ROWID;
CREATE TABLE import_issues (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    line_no INTEGER NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX idx_templates_system ON templates(system_id, count DESC);
CREATE INDEX idx_issues_file ON import_issues(file_id, line_no);
)sql",
    // 1 -> 2: sequences, splits, template vectors, runs.
    R"sql(
CREATE TABLE sequence_sets (
    id INTEGER PRIMARY KEY,
    system_id INTEGER NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,           -- window | sliding | time | session_regex | session_file | session_folder | imported
    params TEXT NOT NULL,         -- human-readable parameters, e.g. "size=20 step=20"
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    UNIQUE (system_id, name)
);
CREATE TABLE sequences (
    id INTEGER PRIMARY KEY,
    set_id INTEGER NOT NULL REFERENCES sequence_sets(id) ON DELETE CASCADE,
    system_id INTEGER NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,     -- build order (time / first-appearance order)
    key TEXT,                     -- session id, or window start
    label INTEGER,                -- 1 anomalous if any member is, 0 normal, NULL unknown
    length INTEGER NOT NULL,
    first_line INTEGER,           -- lines.id of the first member (NULL for pre-parsed sessions)
    last_line INTEGER,
    start_ts INTEGER,
    end_ts INTEGER,
    events BLOB NOT NULL,         -- int32 template ids, little endian
    members BLOB,                 -- int64 line ids when the members are not a contiguous range
    UNIQUE (set_id, ordinal)
);
CREATE TABLE splits (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    protocol TEXT NOT NULL,
    params TEXT NOT NULL,
    seed INTEGER NOT NULL,
    report TEXT NOT NULL,         -- JSON leakage facts
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE split_members (
    split_id INTEGER NOT NULL REFERENCES splits(id) ON DELETE CASCADE,
    sequence_id INTEGER NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
    part TEXT NOT NULL CHECK (part IN ('train', 'val', 'test')),
    PRIMARY KEY (split_id, sequence_id)
) WITHOUT ROWID;
CREATE INDEX idx_split_members_part ON split_members(split_id, part);
CREATE TABLE embedders (
    kind TEXT NOT NULL,
    version TEXT NOT NULL,
    dim INTEGER NOT NULL,
    spec TEXT NOT NULL,           -- how to rebuild it: corpus | vectors:FILE | torchscript:DIR
    state BLOB,                   -- serialised model (corpus embedder)
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    PRIMARY KEY (kind, version)
);
CREATE TABLE template_vectors (
    kind TEXT NOT NULL,
    version TEXT NOT NULL,
    template_id INTEGER NOT NULL REFERENCES templates(id) ON DELETE CASCADE,
    vector BLOB NOT NULL,         -- float32[dim]
    PRIMARY KEY (kind, version, template_id)
) WITHOUT ROWID;
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    model TEXT NOT NULL,          -- mlad | w/o-entmax | w/o-gmm | ...
    split_id INTEGER REFERENCES splits(id) ON DELETE SET NULL,
    status TEXT NOT NULL,         -- running | done | failed | cancelled
    config TEXT NOT NULL,         -- JSON
    embedder TEXT NOT NULL,       -- kind:version
    seed INTEGER NOT NULL,
    code_version TEXT NOT NULL,
    device TEXT NOT NULL,
    model_path TEXT,
    message TEXT,
    metrics TEXT,                 -- JSON, final
    train_seconds REAL,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    finished_at TEXT
);
CREATE TABLE run_epochs (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    train_loss REAL, train_mse REAL, train_energy REAL, train_cov REAL,
    val_loss REAL, seconds REAL,
    PRIMARY KEY (run_id, epoch)
) WITHOUT ROWID;
CREATE TABLE run_scores (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    sequence_id INTEGER NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
    part TEXT NOT NULL,           -- val | test | scored
    score REAL NOT NULL,
    PRIMARY KEY (run_id, sequence_id)
) WITHOUT ROWID;
)sql",
    // 2 -> 3: per-epoch metrics as key / value rows, so that each detector reports its own
    // terms (run_epochs had MLAD's columns). Existing runs' epochs are carried over.
    R"sql(
CREATE TABLE run_epoch_values (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    key TEXT NOT NULL,            -- train_loss | train_<term> | val_loss | seconds | ...
    ord INTEGER NOT NULL,         -- the detector's order of its keys
    value REAL,
    PRIMARY KEY (run_id, epoch, key)
) WITHOUT ROWID;
INSERT INTO run_epoch_values(run_id, epoch, key, ord, value)
    SELECT run_id, epoch, 'train_loss', 0, train_loss FROM run_epochs
    UNION ALL SELECT run_id, epoch, 'train_mse', 1, train_mse FROM run_epochs
    UNION ALL SELECT run_id, epoch, 'train_energy', 2, train_energy FROM run_epochs
    UNION ALL SELECT run_id, epoch, 'train_cov', 3, train_cov FROM run_epochs
    UNION ALL SELECT run_id, epoch, 'val_loss', 4, val_loss FROM run_epochs
    UNION ALL SELECT run_id, epoch, 'seconds', 5, seconds FROM run_epochs;
DROP TABLE run_epochs;
)sql",
    // 3 -> 4: a detector's own default threshold rule (DeepLog: any miss; PCA: the Q-statistic;
    // the trivial rules: any unseen template...), stored with the run; NULL = the validation
    // quantile of the run's nu.
    R"sql(
ALTER TABLE runs ADD COLUMN threshold REAL;
ALTER TABLE runs ADD COLUMN threshold_rule TEXT;
)sql",
    // 4 -> 5: imports before this version stored a template's first-seen time from the batch
    // where its count was smallest, not its earliest line (the Templates view's "first seen"
    // and its over-time chart): recomputed from the lines (through the template index).
    R"sql(
CREATE INDEX IF NOT EXISTS idx_lines_template ON lines(template_id, id);
UPDATE templates SET first_ts = (SELECT min(ts) FROM lines WHERE lines.template_id = templates.id)
 WHERE first_ts IS NOT NULL;
)sql",
};

constexpr int kMigrationCount = int(sizeof(kMigrations) / sizeof(kMigrations[0]));
static_assert(kMigrationCount == Project::kSchemaVersion, "one migration per schema version");

// The one secondary index on lines: drill-down from a template to its lines, paged by key.
// Everything else reads lines by rowid ranges (sequences, exports, a sequence's members), and
// every extra index costs about as much as the inserts themselves at bulk-load time.
const char* const kLineIndexes[] = {
    "CREATE INDEX IF NOT EXISTS idx_lines_template ON lines(template_id, id)",
};

SystemInfo readSystem(sql::Statement& st) {
    SystemInfo s;
    s.id = st.getInt(0);
    s.name = st.getText(1);
    s.preset = parsePreset(st.getText(2), "project system " + s.name);
    return s;
}

}  // namespace

std::string packSpans(const std::vector<FieldSpan>& spans) {
    std::string out(spans.size() * 8, '\0');
    for (size_t i = 0; i < spans.size(); ++i) {
        std::memcpy(&out[i * 8], &spans[i].begin, 4);
        std::memcpy(&out[i * 8 + 4], &spans[i].end, 4);
    }
    return out;
}

std::vector<FieldSpan> unpackSpans(const std::string& blob) {
    std::vector<FieldSpan> out(blob.size() / 8);
    for (size_t i = 0; i < out.size(); ++i) {
        std::memcpy(&out[i].begin, &blob[i * 8], 4);
        std::memcpy(&out[i].end, &blob[i * 8 + 4], 4);
    }
    return out;
}

namespace {

// Why a project could not be opened. A full disk or an unwritable folder (SQLite creates
// PROJECT-wal and PROJECT-shm beside the file) is not called "not a MLAD project".
[[noreturn]] void refuseOpen(const std::string& path, const sql::Error& e) {
    switch (e.code() & 0xff) {
        case SQLITE_IOERR:
        case SQLITE_FULL:
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
        case SQLITE_PERM: {
            const std::string what = e.what();
            const bool hinted = what.find("disk may be full") != std::string::npos;
            throw sql::Error("cannot open " + path + ": " + what +
                                 (hinted ? std::string()
                                         : " (is the disk full, or the file or its folder not "
                                           "writable? SQLite needs room for " +
                                               path + "-wal and -shm beside it)"),
                             e.code());
        }
        default:
            throw sql::Error(path + " is not a MLAD project (or not an SQLite file): " + e.what(),
                             e.code());
    }
}

}  // namespace

Project::Project(std::unique_ptr<sql::Database> db, std::string path)
    : db_(std::move(db)), path_(std::move(path)) {}

std::unique_ptr<Project> Project::open(const std::string& path) {
    auto db = std::make_unique<sql::Database>(path);
    // WAL lets readers (the workbench views) run while an import writes; NORMAL sync is safe
    // in WAL mode against process crashes (only an OS crash can lose the last commits).
    try {
        // Switching a new file to WAL needs the database to itself and SQLite does not wait
        // for that (no busy handler): when another process creates the same project at this
        // moment, wait for it here, up to the connection's usual 10 s.
        for (int waited = 0;; waited += 20) {
            try {
                db->queryText("PRAGMA journal_mode=WAL");
                break;
            } catch (const sql::Error& e) {
                if (!e.busy() || waited >= 10000) throw;
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        }
        db->exec(
            "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
            "PRAGMA cache_size=-65536;");
    } catch (const sql::Error& e) {
        refuseOpen(path, e);
    }
    std::unique_ptr<Project> p(new Project(std::move(db), path));
    p->migrate();
    return p;
}

std::unique_ptr<Project> Project::open(const std::string& path, const std::string& job) {
    auto lock = std::make_unique<ProjectLock>(path, job);
    auto p = open(path);
    p->lock_ = std::move(lock);
    return p;
}

std::unique_ptr<Project> Project::openReadOnly(const std::string& path) {
    auto db = std::make_unique<sql::Database>(path, sql::Database::Mode::ReadOnly);
    db->exec("PRAGMA foreign_keys=ON;");
    std::unique_ptr<Project> p(new Project(std::move(db), path));
    int v = 0;
    try {
        v = p->schemaVersion();
    } catch (const sql::Error& e) {
        refuseOpen(path, e);
    }
    if (v != kSchemaVersion)
        throw sql::Error(path + ": schema version " + std::to_string(v) + ", this build needs " +
                         std::to_string(kSchemaVersion) + " (open it read-write once to migrate)");
    return p;
}

int Project::schemaVersion() {
    return int(db_->queryInt("PRAGMA user_version").value_or(0));
}

void Project::interrupt() {
    db_->interrupt();
}

uint64_t Project::systemCount() {
    return uint64_t(db_->queryInt("SELECT count(*) FROM systems").value_or(0));
}

void Project::migrate() {
    int v;
    try {
        v = schemaVersion();
    } catch (const sql::Error& e) {
        refuseOpen(path_, e);
    }
    auto refuse = [this](int version) {
        if (version < 0)
            throw sql::Error(path_ + " is not a MLAD project (schema version " +
                             std::to_string(version) + ")");
        if (version > kSchemaVersion)
            throw sql::Error(path_ + " was written by a newer MLAD Workbench (schema " +
                             std::to_string(version) + ", this build knows " +
                             std::to_string(kSchemaVersion) + ")");
    };
    refuse(v);
    while (v < kSchemaVersion) {
        // Each step re-reads the version inside its write transaction: two processes creating
        // or upgrading one project at once apply each step once (the second one waits for the
        // first one's transaction, then sees the new version).
        sql::Transaction tx(*db_);
        v = schemaVersion();
        refuse(v);
        if (v == kSchemaVersion) break;
        if (v == 0) {
            // A non-empty database without our version stamp is someone else's file.
            auto tables = db_->queryInt("SELECT count(*) FROM sqlite_master");
            if (tables && *tables > 0)
                throw sql::Error(path_ + " is an SQLite file but not a MLAD project");
        }
        db_->exec(kMigrations[v]);
        db_->exec("PRAGMA user_version = " + std::to_string(v + 1));
        if (v == 0)
            db_->exec("INSERT INTO meta(key, value) VALUES ('application', 'mlad-workbench')");
        tx.commit();
        ++v;
    }
    createLineIndexes();  // no-op when present; restores them after an interrupted bulk load
}

int64_t Project::ensureSystem(const std::string& name, const Preset& preset) {
    // A system's name is stored in its preset text (key = value lines) and used as a file name
    // by export: refuse what would break either, before anything is written.
    if (name.empty()) throw std::invalid_argument("a system needs a name");
    for (unsigned char ch : name)
        if (ch < 0x20 || ch == 0x7f)
            throw std::invalid_argument(
                "system name '" + name +
                "' contains a control character (newline, tab, ...); choose another name");
    if (auto s = system(name)) {
        if (s->preset.format != preset.format)
            throw std::invalid_argument("system '" + name + "' already exists with format '" +
                                        s->preset.format + "', not '" + preset.format +
                                        "'; import into a new system name instead");
        return s->id;
    }
    auto st = db_->prepare("INSERT INTO systems(name, preset) VALUES (?, ?)");
    st.bind(1, name).bind(2, presetToText(preset)).run();
    return db_->lastInsertId();
}

std::vector<SystemInfo> Project::systems() {
    std::vector<SystemInfo> out;
    auto st = db_->prepare("SELECT id, name, preset FROM systems ORDER BY id");
    while (st.step()) out.push_back(readSystem(st));
    auto cnt = db_->prepare(
        "SELECT count(*), total(count), total(anomalous), total(labelled) FROM templates "
        "WHERE system_id = ?");
    // total() sums in floating point: a damaged or hostile count near INT64_MAX cannot make the
    // summary fail with "integer overflow" (integrityCheck names such rows).
    auto asCount = [](double v) {
        return std::isfinite(v) && v > 0 ? (v < 1.8e19 ? uint64_t(v) : UINT64_MAX) : uint64_t(0);
    };
    for (auto& s : out) {
        cnt.bind(1, s.id);
        if (cnt.step()) {
            s.templates = uint64_t(cnt.getInt(0));
            s.lines = asCount(cnt.getDouble(1));
            s.anomalousLines = asCount(cnt.getDouble(2));
            s.labelledLines = asCount(cnt.getDouble(3));
        }
        cnt.reset();
    }
    return out;
}

std::optional<SystemInfo> Project::system(const std::string& name) {
    for (auto& s : systems())
        if (s.name == name) return s;
    return std::nullopt;
}

std::optional<SystemInfo> Project::systemById(int64_t id) {
    for (auto& s : systems())
        if (s.id == id) return s;
    return std::nullopt;
}

static FileInfo readFile(sql::Statement& st) {
    FileInfo f;
    f.id = st.getInt(0);
    f.systemId = st.getInt(1);
    f.path = st.getText(2);
    f.size = uint64_t(st.getInt(3));
    f.fingerprint = st.getText(4);
    f.status = st.getText(5);
    f.error = st.isNull(6) ? "" : st.getText(6);
    f.linesRead = uint64_t(st.getInt(7));
    f.linesImported = uint64_t(st.getInt(8));
    f.linesSkipped = uint64_t(st.getInt(9));
    return f;
}

static const char* kFileColumns =
    "SELECT id, system_id, path, size, fingerprint, status, error, lines_read, lines_imported, "
    "lines_skipped FROM files ";

std::optional<FileInfo> Project::findFile(int64_t systemId, const std::string& fingerprint) {
    auto st = db_->prepare(std::string(kFileColumns) + "WHERE system_id = ? AND fingerprint = ?");
    st.bind(1, systemId).bind(2, fingerprint);
    if (!st.step()) return std::nullopt;
    return readFile(st);
}

std::vector<FileInfo> Project::files(std::optional<int64_t> systemId) {
    auto st = db_->prepare(std::string(kFileColumns) +
                           (systemId ? "WHERE system_id = ? ORDER BY id" : "ORDER BY id"));
    if (systemId) st.bind(1, *systemId);
    std::vector<FileInfo> out;
    while (st.step()) out.push_back(readFile(st));
    return out;
}

static TemplateInfo readTemplate(sql::Statement& st) {
    TemplateInfo t;
    t.id = st.getInt(0);
    t.systemId = st.getInt(1);
    t.ordinal = st.getInt(2);
    t.text = st.getText(3);
    t.treePath = st.getText(4);
    t.count = uint64_t(st.getInt(5));
    t.anomalous = uint64_t(st.getInt(6));
    t.labelled = uint64_t(st.getInt(7));
    if (!st.isNull(8)) t.firstTs = st.getInt(8);
    if (!st.isNull(9)) t.lastTs = st.getInt(9);
    t.firstLine = st.getInt(10);
    t.lastLine = st.getInt(11);
    return t;
}

static const char* kTemplateColumns =
    "SELECT id, system_id, ordinal, template, tree_path, count, anomalous, labelled, first_ts, "
    "last_ts, coalesce(first_line,0), coalesce(last_line,0) FROM templates ";

std::vector<TemplateInfo> Project::templates(int64_t systemId) {
    auto st = db_->prepare(std::string(kTemplateColumns) + "WHERE system_id = ? ORDER BY ordinal");
    st.bind(1, systemId);
    std::vector<TemplateInfo> out;
    while (st.step()) out.push_back(readTemplate(st));
    return out;
}

std::optional<TemplateInfo> Project::templateById(int64_t id) {
    auto st = db_->prepare(std::string(kTemplateColumns) + "WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return readTemplate(st);
}

std::vector<std::string> Project::templateTexts(const std::vector<int64_t>& ids,
                                                const std::string& missing) {
    auto st = db_->prepare("SELECT template FROM templates WHERE id = ?");
    std::vector<std::string> out;
    out.reserve(ids.size());
    for (int64_t id : ids) {
        st.bind(1, id);
        out.push_back(st.step() ? st.getText(0) : missing);
        st.reset();
    }
    return out;
}

std::vector<std::pair<int64_t, uint64_t>> Project::templateTimeBuckets(int64_t templateId,
                                                                       int64_t originMs,
                                                                       int64_t bucketMs) {
    if (bucketMs <= 0) throw std::invalid_argument("templateTimeBuckets: bucket size must be > 0");
    auto st = db_->prepare(
        "SELECT (ts - ?1) / ?2, count(*) FROM lines WHERE template_id = ?3 AND ts IS NOT NULL "
        "GROUP BY 1 ORDER BY 1");
    st.bind(1, originMs).bind(2, bucketMs).bind(3, templateId);
    std::vector<std::pair<int64_t, uint64_t>> out;
    while (st.step()) out.emplace_back(st.getInt(0), uint64_t(st.getInt(1)));
    return out;
}

std::vector<std::pair<int64_t, std::string>> Project::templateVectorBlobs(
    const std::string& kind, const std::string& version) {
    auto st = db_->prepare(
        "SELECT template_id, vector FROM template_vectors WHERE kind = ? AND version = ?");
    st.bind(1, kind).bind(2, version);
    std::vector<std::pair<int64_t, std::string>> out;
    while (st.step()) out.emplace_back(st.getInt(0), st.getBlob(1));
    return out;
}

static LineRecord readLine(sql::Statement& st) {
    LineRecord r;
    r.id = st.getInt(0);
    r.fileId = st.getInt(1);
    r.systemId = st.getInt(2);
    r.lineNo = st.getInt(3);
    if (!st.isNull(4)) r.ts = st.getInt(4);
    if (!st.isNull(5)) r.label = int(st.getInt(5));
    r.templateId = st.getInt(6);
    r.raw = st.getText(7);
    r.fields = st.getBlob(8);
    return r;
}

static const char* kLineColumns =
    "SELECT id, file_id, system_id, line_no, ts, label, coalesce(template_id,0), raw, fields "
    "FROM lines ";

std::vector<LineRecord> Project::linesOfTemplate(int64_t templateId, int64_t afterLineId,
                                                 int limit) {
    auto st = db_->prepare(std::string(kLineColumns) +
                           "WHERE template_id = ? AND id > ? ORDER BY id LIMIT ?");
    st.bind(1, templateId).bind(2, afterLineId).bind(3, limit);
    std::vector<LineRecord> out;
    while (st.step()) out.push_back(readLine(st));
    return out;
}

std::vector<LineRecord> Project::linesInRange(int64_t systemId, int64_t fromId, int64_t toId,
                                              int limit) {
    auto st = db_->prepare(std::string(kLineColumns) +
                           "WHERE system_id = ? AND id BETWEEN ? AND ? ORDER BY id LIMIT ?");
    st.bind(1, systemId).bind(2, fromId).bind(3, toId).bind(4, limit);
    std::vector<LineRecord> out;
    while (st.step()) out.push_back(readLine(st));
    return out;
}

std::vector<LineRecord> Project::linesByIds(const std::vector<int64_t>& ids, int limit) {
    auto st = db_->prepare(std::string(kLineColumns) + "WHERE id = ?");
    std::vector<LineRecord> out;
    for (int64_t id : ids) {
        if (int(out.size()) >= limit) break;
        st.bind(1, id);
        if (st.step()) out.push_back(readLine(st));
        st.reset();
    }
    return out;
}

uint64_t Project::lineCount(std::optional<int64_t> systemId) {
    if (!systemId) return uint64_t(db_->queryInt("SELECT count(*) FROM lines").value_or(0));
    auto st = db_->prepare("SELECT count(*) FROM lines WHERE system_id = ?");
    st.bind(1, *systemId);
    st.step();
    return uint64_t(st.getInt(0));
}

std::vector<ImportIssue> Project::issues(int64_t fileId, int limit) {
    auto st = db_->prepare(
        "SELECT file_id, line_no, kind, message FROM import_issues WHERE file_id = ? "
        "ORDER BY line_no LIMIT ?");
    st.bind(1, fileId).bind(2, limit);
    std::vector<ImportIssue> out;
    while (st.step())
        out.push_back({st.getInt(0), uint64_t(st.getInt(1)), st.getText(2), st.getText(3)});
    return out;
}

void Project::storeGroupLabels(int64_t systemId,
                               const std::vector<std::pair<std::string, int>>& labels) {
    sql::Transaction tx(*db_);
    auto st = db_->prepare(
        "INSERT INTO group_labels(system_id, group_key, label) VALUES (?, ?, ?) "
        "ON CONFLICT(system_id, group_key) DO UPDATE SET label = excluded.label");
    for (const auto& [key, label] : labels) st.bind(1, systemId).bind(2, key).bind(3, label).run();
    tx.commit();
}

uint64_t Project::groupLabelCount(int64_t systemId) {
    auto st = db_->prepare("SELECT count(*) FROM group_labels WHERE system_id = ?");
    st.bind(1, systemId);
    st.step();
    return uint64_t(st.getInt(0));
}

void Project::dropLineIndexes() {
    db_->exec(
        "DROP INDEX IF EXISTS idx_lines_template; DROP INDEX IF EXISTS idx_lines_system;"
        "DROP INDEX IF EXISTS idx_lines_file;");
}

void Project::createLineIndexes() {
    // Building an index sorts every line. With temporary storage in memory (the connection's
    // setting, good for small sorts) that sort would hold all of them, 40 bytes a line; on
    // files it spills past the cache size, so import memory does not grow with the log.
    db_->exec("PRAGMA temp_store=FILE");
    try {
        for (const char* sqlText : kLineIndexes) db_->exec(sqlText);
    } catch (...) {
        db_->exec("PRAGMA temp_store=MEMORY");
        throw;
    }
    db_->exec("PRAGMA temp_store=MEMORY");
}

std::string Project::integrityCheck() {
    auto st = db_->prepare("PRAGMA integrity_check");
    std::string out;
    while (st.step()) {
        if (!out.empty()) out += "; ";
        out += st.getText(0);
    }
    // Counts no import can produce (a damaged or hostile file): negative, or beyond any log.
    auto bad = db_->prepare(
        "SELECT count(*) FROM templates WHERE count < 0 OR count > 4503599627370496 OR "
        "anomalous < 0 OR labelled < 0 OR anomalous > count OR labelled > count");
    if (bad.step() && bad.getInt(0) > 0) {
        const std::string note = std::to_string(bad.getInt(0)) +
                                 " template row(s) with impossible counts (the project file was "
                                 "damaged or edited)";
        out = out == "ok" ? note : out + "; " + note;
    }
    return out;
}

}  // namespace mlad
