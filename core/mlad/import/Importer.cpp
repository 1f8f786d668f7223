#include "mlad/import/Importer.h"

#include <re2/re2.h>
#include <sys/stat.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "mlad/io/Labels.h"
#include "mlad/io/LineReader.h"
#include "mlad/parse/LineParser.h"
#include "mlad/util/Strings.h"

namespace mlad {

// What a path is when it is not a regular file, for the message that refuses it.
static const char* fileTypeName(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

std::string fileFingerprint(const std::string& path) {
    // stat first: opening a FIFO without a writer blocks forever, and /dev/zero never ends.
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw InputError(path, 0, std::string("cannot open: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        throw InputError(path, 0,
                         std::string("cannot import ") + fileTypeName(st.st_mode) +
                             ": give a log file (plain or .gz)");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path, 0, std::string("cannot open: ") + std::strerror(errno));
    in.seekg(0, std::ios::end);
    uint64_t size = uint64_t(in.tellg());
    const size_t chunk = 64 * 1024;
    std::string buf(chunk, '\0');
    in.seekg(0);
    in.read(&buf[0], std::streamsize(std::min<uint64_t>(chunk, size)));
    uint64_t h = fnv1a64(buf.data(), size_t(in.gcount()));
    if (size > chunk) {
        uint64_t tail = std::min<uint64_t>(chunk, size - chunk);
        in.clear();
        in.seekg(std::streamoff(size - tail));
        in.read(&buf[0], std::streamsize(tail));
        h = fnv1a64(buf.data(), size_t(in.gcount()), h);
    }
    return std::to_string(size) + "-" + hex64(h);
}

ContentDigest contentDigest(const std::string& path, uint64_t size,
                            const std::vector<uint64_t>& prefixEnds) {
    ContentDigest d;
    d.size = size;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path, 0, std::string("cannot open: ") + std::strerror(errno));
    XXH3_state_t* state = XXH3_createState();
    if (!state) throw std::bad_alloc();
    std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> guard(state, XXH3_freeState);
    XXH3_128bits_reset(state);
    auto hexOf = [](XXH128_hash_t h) { return "xxh3-128:" + hex64(h.high64) + hex64(h.low64); };
    std::vector<char> buf(size_t(1) << 20);
    uint64_t done = 0;
    size_t next = 0;
    char last = '\n';
    while (done < size) {
        uint64_t want = std::min<uint64_t>(buf.size(), size - done);
        if (next < prefixEnds.size()) want = std::min(want, prefixEnds[next] - done);
        in.read(buf.data(), std::streamsize(want));
        const auto got = uint64_t(in.gcount());
        if (got == 0)
            throw InputError(path, 0,
                             "the file shrank while it was read (" + std::to_string(done) + " of " +
                                 std::to_string(size) + " bytes)");
        XXH3_128bits_update(state, buf.data(), size_t(got));
        if (done == 0) d.gzip = got >= 2 && uint8_t(buf[0]) == 0x1f && uint8_t(buf[1]) == 0x8b;
        done += got;
        last = buf[size_t(got) - 1];
        while (next < prefixEnds.size() && prefixEnds[next] == done) {
            d.prefixDigests.push_back(hexOf(XXH3_128bits_digest(state)));
            d.prefixEndsLine.push_back(last == '\n');
            ++next;
        }
    }
    d.digest = hexOf(XXH3_128bits_digest(state));
    return d;
}

namespace {

struct TemplateStats {
    uint64_t count = 0, anomalous = 0, labelled = 0;
    std::optional<int64_t> firstTs, lastTs;
    int64_t firstLine = 0, lastLine = 0;
};

struct TemplateRow {
    int64_t id;
    int64_t ordinal;
    std::string text;
    std::string path;
    bool isNew;
};

// Everything one transaction writes.
struct Batch {
    int64_t fileId = 0;
    std::string arena;  // raw lines back to back
    struct Row {
        int64_t id;
        int64_t lineNo;
        uint32_t rawOff, rawLen;
        uint32_t spanOff, spanCount;
        std::optional<int64_t> ts;
        int label;
        int64_t templateId;
    };
    std::vector<Row> rows;
    std::vector<FieldSpan> spans;
    std::vector<TemplateRow> templates;
    std::unordered_map<int64_t, TemplateStats> stats;
    std::vector<ImportIssue> issues;
    uint64_t linesRead = 0, imported = 0, skipped = 0;  // file totals after this batch
    std::string finalStatus;  // set on the last batch of a file: complete | failed
    std::string error;
    std::string path;  // the file, for messages
};

// Writes batches on its own thread so that parsing and SQLite work overlap on two cores.
class BatchWriter {
  public:
    explicit BatchWriter(Project& p) : project_(p), thread_([this] { loop(); }) {}
    ~BatchWriter() { finish(); }

    void push(Batch b) {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return queue_.size() < 2 || error_; });
        if (error_) std::rethrow_exception(error_);
        queue_.push_back(std::move(b));
        cv_.notify_all();
    }
    /// Waits until everything pushed is committed; rethrows a writer error.
    void drain() {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return (queue_.empty() && !busy_) || error_; });
        if (error_) std::rethrow_exception(error_);
    }
    void finish() {
        {
            std::lock_guard<std::mutex> lk(m_);
            if (stop_) return;
            stop_ = true;
            cv_.notify_all();
        }
        if (thread_.joinable()) thread_.join();
    }

  private:
    void loop() {
        auto& db = project_.db();
        auto insLine = db.prepare(
            "INSERT INTO lines(id, file_id, system_id, line_no, ts, label, template_id, raw, "
            "fields) VALUES (?,?,?,?,?,?,?,?,?)");
        auto insTemplate = db.prepare(
            "INSERT INTO templates(id, system_id, ordinal, template, tree_path) "
            "VALUES (?,?,?,?,?)");
        auto updTemplate = db.prepare("UPDATE templates SET template = ? WHERE id = ?");
        auto updStats = db.prepare(
            "UPDATE templates SET count = count + ?, anomalous = anomalous + ?, "
            "labelled = labelled + ?, first_ts = CASE WHEN first_ts IS NULL OR ?4 < first_ts "
            "THEN ?4 ELSE first_ts END, last_ts = CASE WHEN last_ts IS NULL OR ?5 > last_ts THEN "
            "?5 ELSE last_ts END, first_line = coalesce(first_line, ?6), last_line = ?7 "
            "WHERE id = ?8");
        auto updFile = db.prepare(
            "UPDATE files SET lines_read = ?, lines_imported = ?, lines_skipped = ?, "
            "status = coalesce(?, status), error = coalesce(?, error), finished_at = CASE WHEN "
            "?4 IS NULL THEN finished_at ELSE datetime('now') END WHERE id = ?");
        auto insIssue = db.prepare(
            "INSERT INTO import_issues(file_id, line_no, kind, message) VALUES (?,?,?,?)");
        while (true) {
            Batch b;
            {
                std::unique_lock<std::mutex> lk(m_);
                cv_.wait(lk, [&] { return !queue_.empty() || stop_; });
                if (queue_.empty()) return;
                b = std::move(queue_.front());
                queue_.pop_front();
                busy_ = true;
            }
            try {
                sql::Transaction tx(db);
                for (const auto& t : b.templates) {
                    if (t.isNew)
                        insTemplate.bind(1, t.id)
                            .bind(2, systemId)
                            .bind(3, t.ordinal)
                            .bind(4, t.text)
                            .bind(5, t.path)
                            .run();
                    else
                        updTemplate.bind(1, t.text).bind(2, t.id).run();
                }
                for (const auto& r : b.rows) {
                    insLine.bind(1, r.id).bind(2, b.fileId).bind(3, systemId).bind(4, r.lineNo);
                    if (r.ts)
                        insLine.bind(5, *r.ts);
                    else
                        insLine.bindNull(5);
                    if (r.label >= 0)
                        insLine.bind(6, r.label);
                    else
                        insLine.bindNull(6);
                    insLine.bind(7, r.templateId);
                    insLine.bind(8, std::string_view(b.arena.data() + r.rawOff, r.rawLen), false);
                    insLine.bindBlob(9, b.spans.data() + r.spanOff, r.spanCount * sizeof(FieldSpan),
                                     false);
                    insLine.runKeepBindings();
                }
                for (const auto& [id, s] : b.stats) {
                    updStats.bind(1, s.count).bind(2, s.anomalous).bind(3, s.labelled);
                    if (s.firstTs)
                        updStats.bind(4, *s.firstTs);
                    else
                        updStats.bindNull(4);
                    if (s.lastTs)
                        updStats.bind(5, *s.lastTs);
                    else
                        updStats.bindNull(5);
                    updStats.bind(6, s.firstLine).bind(7, s.lastLine).bind(8, id).run();
                }
                for (const auto& is : b.issues)
                    insIssue.bind(1, b.fileId)
                        .bind(2, is.line)
                        .bind(3, is.kind)
                        .bind(4, is.message)
                        .run();
                updFile.bind(1, b.linesRead).bind(2, b.imported).bind(3, b.skipped);
                if (b.finalStatus.empty())
                    updFile.bindNull(4);
                else
                    updFile.bind(4, b.finalStatus);
                if (b.error.empty())
                    updFile.bindNull(5);
                else
                    updFile.bind(5, b.error);
                updFile.bind(6, b.fileId).run();
                tx.commit();
            } catch (...) {
                std::lock_guard<std::mutex> lk(m_);
                error_ = std::current_exception();
                try {
                    throw;
                } catch (const sql::Error& e) {
                    // Say which file and lines could not be stored, and that nothing is lost.
                    error_ = std::make_exception_ptr(sql::Error(
                        b.path + ": storing lines up to line " + std::to_string(b.linesRead) +
                            " failed: " + e.what() +
                            ". The lines committed before stay; import the file again to resume",
                        e.code()));
                } catch (...) {
                }
                busy_ = false;
                queue_.clear();
                cv_.notify_all();
                return;
            }
            std::lock_guard<std::mutex> lk(m_);
            busy_ = false;
            cv_.notify_all();
        }
    }

  public:
    int64_t systemId = 0;

  private:
    Project& project_;
    std::mutex m_;
    std::condition_variable cv_;
    std::deque<Batch> queue_;
    bool stop_ = false;
    bool busy_ = false;
    std::exception_ptr error_;
    std::thread thread_;
};

uint64_t fileSizeOf(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? uint64_t(st.st_size) : 0;
}

// How a file stands against what its system already holds.
struct FileIdentity {
    uint64_t size = 0;
    std::string digest;  ///< contentDigest's: the file's fingerprint from now on
    bool gzip = false;
    std::optional<FileInfo> same;          ///< a file of the same content (either fingerprint)
    std::optional<FileInfo> continues;     ///< the longest earlier file this one extends
    bool midLine = false;                  ///< ... whose imported part may end inside a line
    std::optional<int64_t> samePathOther;  ///< an earlier file of this path, other content
};

// One pass over the file (its digest and those of the prefixes that earlier files of the
// system might be: a log that grew, or the complete copy of a file whose import failed on a
// truncation). Throws InputError for a file that cannot be read. With `force` the file is
// imported whole, so it continues nothing.
FileIdentity identifyFile(Project& project, int64_t systemId, const std::string& path, bool force) {
    FileIdentity id;
    const std::string legacy = fileFingerprint(path);  // also refuses FIFOs, devices, folders
    id.size = fileSizeOf(path);
    const std::vector<FileInfo> known = project.files(systemId);
    std::vector<const FileInfo*> shorter;
    std::vector<uint64_t> ends;
    for (const auto& f : known)
        if (f.fingerprint.rfind("xxh3-128:", 0) == 0 && f.size > 0 && f.size < id.size) {
            shorter.push_back(&f);
            ends.push_back(f.size);
        }
    std::sort(ends.begin(), ends.end());
    ends.erase(std::unique(ends.begin(), ends.end()), ends.end());
    const ContentDigest content = contentDigest(path, id.size, ends);
    id.digest = content.digest;
    id.gzip = content.gzip;
    for (const std::string& fingerprint : {id.digest, legacy})
        for (const auto& f : known)
            if (!id.same && f.fingerprint == fingerprint) id.same = f;
    if (id.same) return id;
    for (const FileInfo* f : force ? std::vector<const FileInfo*>{} : shorter) {
        const auto k = size_t(std::lower_bound(ends.begin(), ends.end(), f->size) - ends.begin());
        if (content.prefixDigests[k] != f->fingerprint) continue;
        if (id.continues && id.continues->size >= f->size) continue;
        id.continues = *f;
        // A .gz's compressed bytes do not tell where its lines end: one whose import failed
        // on a truncation may have stored its last line cut short.
        id.midLine = content.gzip ? f->status == "failed" : !content.prefixEndsLine[k];
    }
    if (!id.continues)
        for (const auto& f : known)
            if (f.path == path) {
                id.samePathOther = f.id;
                break;
            }
    return id;
}

}  // namespace

ImportReport importFiles(Project& project, const std::vector<std::string>& files,
                         const ImportOptions& opt, TaskContext* ctx) {
    auto t0 = std::chrono::steady_clock::now();
    ImportReport report;
    opt.preset.validate();
    report.system = opt.system.empty() ? opt.preset.name : opt.system;
    LineParser parser(opt.preset);  // compiles format and masks before anything is written
    auto& db = project.db();
    // Group labels (HDFS blocks) are read before the system row is written: a bad labels file
    // must not leave a new, empty system behind.
    std::vector<std::pair<std::string, int>> labelRows;
    if (!opt.labelsCsv.empty()) labelRows = readGroupLabels(opt.labelsCsv);
    const bool systemExisted = project.system(report.system).has_value();
    const int64_t systemId = project.ensureSystem(report.system, opt.preset);
    report.systemId = systemId;

    // Store the group labels, then label lines by the groups they mention.
    std::unique_ptr<RE2> groupRe;
    std::unordered_map<std::string, int> groupLabels;
    if (!opt.labelsCsv.empty()) project.storeGroupLabels(systemId, labelRows);
    if (!opt.preset.groupRegex.empty() && project.groupLabelCount(systemId) > 0) {
        groupRe = std::make_unique<RE2>("(" + opt.preset.groupRegex + ")");
        if (groupRe->ok() && RE2::PartialMatch("", *groupRe))
            throw std::invalid_argument("group regex '" + opt.preset.groupRegex +
                                        "' matches the empty string; give one that matches the "
                                        "group id itself, e.g. blk_-?\\d+");
        if (!groupRe->ok())
            throw std::invalid_argument("group regex '" + opt.preset.groupRegex +
                                        "' does not compile: " + groupRe->error());
        auto st = db.prepare("SELECT group_key, label FROM group_labels WHERE system_id = ?");
        st.bind(1, systemId);
        while (st.step()) groupLabels.emplace(st.getText(0), int(st.getInt(1)));
    }

    // Restore Drain from the system's stored templates so that ids stay stable across files.
    std::vector<int64_t> clusterIds;  // cluster index -> templates.id
    for (const auto& t : project.templates(systemId)) {
        int c = parser.drain().restore(t.text, t.treePath, t.count);
        if (size_t(c) != clusterIds.size())
            throw std::logic_error("template ordinals of system " + report.system +
                                   " are not contiguous");
        clusterIds.push_back(t.id);
    }
    parser.drain().takeChanged();
    report.templatesBefore = clusterIds.size();
    int64_t nextTemplateId = db.queryInt("SELECT coalesce(max(id),0)+1 FROM templates").value();
    int64_t nextLineId = db.queryInt("SELECT coalesce(max(id),0)+1 FROM lines").value();

    // Bulk loads are faster without secondary indexes; rebuild them at the end. Only worth it
    // when the import is large compared with what the project already holds.
    uint64_t totalBytes = 0;
    for (const auto& f : files) totalBytes += fileSizeOf(f);
    const bool dropIndexes = uint64_t(nextLineId) < totalBytes / 200;
    if (dropIndexes) project.dropLineIndexes();

    // Fewer, larger WAL checkpoints during a bulk load (64 MiB instead of 4 MiB); restored below.
    db.exec("PRAGMA wal_autocheckpoint = 16384");
    BatchWriter writer(project);
    writer.systemId = systemId;
    uint64_t bytesBefore = 0;
    ParsedLine pl;
    std::string repaired;

    for (const auto& path : files) {
        FileReport fr;
        fr.path = path;
        FileIdentity id;
        try {
            id = identifyFile(project, systemId, path, opt.force);
        } catch (const InputError& e) {
            fr.status = "failed";
            fr.message = e.what();
            report.files.push_back(fr);
            continue;
        }
        const uint64_t fsize = id.size;
        std::string fingerprint = id.digest;
        if (fsize == 0) {
            fr.status = "empty";
            fr.message = path + ": empty file (0 bytes), nothing imported";
            report.files.push_back(fr);
            continue;
        }
        uint64_t skipLines = 0;
        const std::optional<FileInfo>& existing = id.same;
        const std::optional<FileInfo>& continued = id.continues;
        std::string note;  // said after the import's own message
        if (id.samePathOther)
            note = "; a file of this path was imported before with other content (file #" +
                   std::to_string(*id.samePathOther) + "): this one was imported as a new file";
        if (existing && existing->status == "complete" && !opt.force) {
            fr.status = "duplicate";
            fr.fileId = existing->id;
            fr.message = path + ": already imported into system " + report.system + " (file #" +
                         std::to_string(existing->id) + ", " +
                         std::to_string(existing->linesImported) +
                         " lines); skipped. Use --force to import it again.";
            report.files.push_back(fr);
            bytesBefore += fsize;
            continue;
        }
        std::unique_ptr<LineReader> reader;
        try {
            LineReader::Options ro;
            ro.maxLineBytes = opt.maxLineBytes;
            reader = std::make_unique<LineReader>(path, ro);
        } catch (const InputError& e) {
            fr.status = "failed";
            fr.message = e.what();
            report.files.push_back(fr);
            bytesBefore += fsize;
            continue;
        }
        int64_t fileId;
        uint64_t linesRead = 0, imported = 0, skipped = 0;
        if (continued) {
            // The new bytes of a grown log (or the rest of a file whose import failed): go on
            // after the lines already read; the row takes the new size and digest.
            fileId = continued->id;
            skipLines = continued->linesRead;
            linesRead = continued->linesRead;
            imported = continued->linesImported;
            skipped = continued->linesSkipped;
            fr.resumedFrom = continued->linesRead;
            db.prepare(
                  "UPDATE files SET status = 'importing', error = NULL, path = ?, size = ?, "
                  "fingerprint = ? WHERE id = ?")
                .bind(1, path)
                .bind(2, int64_t(fsize))
                .bind(3, fingerprint)
                .bind(4, fileId)
                .run();
            if (id.midLine)
                note = "; its line " + std::to_string(continued->linesRead) +
                       (id.gzip ? " may have been imported before it was complete"
                                : " was imported before it was complete") +
                       " (the stored text is the part read then)";
        } else if (existing && existing->status != "complete") {
            fileId = existing->id;
            skipLines = existing->linesRead;
            linesRead = existing->linesRead;
            imported = existing->linesImported;
            skipped = existing->linesSkipped;
            fr.resumedFrom = existing->linesRead;
            db.prepare(
                  "UPDATE files SET status = 'importing', error = NULL, path = ?, "
                  "fingerprint = ? WHERE id = ?")
                .bind(1, path)
                .bind(2, fingerprint)
                .bind(3, fileId)
                .run();
        } else {
            if (existing) fingerprint += "#" + std::to_string(nextLineId);  // forced re-import
            auto st = db.prepare(
                "INSERT INTO files(system_id, path, size, fingerprint, status) "
                "VALUES (?, ?, ?, ?, 'importing')");
            st.bind(1, systemId).bind(2, path).bind(3, fsize).bind(4, fingerprint).run();
            fileId = db.lastInsertId();
        }
        fr.fileId = fileId;

        Batch batch;
        auto newBatch = [&] {
            batch = Batch{};
            batch.fileId = fileId;
            batch.path = path;
        };
        newBatch();
        const uint64_t forcedBefore = parser.drain().forcedLines();
        uint64_t storedIssues = 0;
        auto addIssue = [&](uint64_t line, const char* kind, std::string msg) {
            ImportIssue is{fileId, line, kind, path + ":" + std::to_string(line) + ": " + msg};
            if (fr.firstIssues.size() < 20) fr.firstIssues.push_back(is);
            if (storedIssues++ < opt.maxIssuesPerFile) batch.issues.push_back(std::move(is));
        };
        auto flush = [&](const std::string& finalStatus, const std::string& error) {
            // Template rows created or renamed since the last batch travel with it.
            for (int c : parser.drain().takeChanged()) {
                bool isNew = size_t(c) >= clusterIds.size();
                if (isNew) clusterIds.push_back(nextTemplateId++);
                batch.templates.push_back({clusterIds[size_t(c)], int64_t(c) + 1,
                                           parser.drain().templateText(c),
                                           parser.drain().cluster(c).path, isNew});
            }
            batch.linesRead = linesRead;
            batch.imported = imported;
            batch.skipped = skipped;
            batch.finalStatus = finalStatus;
            batch.error = error;
            writer.push(std::move(batch));
            newBatch();
        };

        std::string_view line;
        bool cancelled = false;
        try {
            while (true) {
                auto status = reader->next(line);
                if (status == LineReader::Status::End) break;
                const uint64_t lineNo = reader->lineNumber();
                if (lineNo <= skipLines) continue;  // committed by an earlier, interrupted run
                ++linesRead;
                ++fr.linesRead;
                if (status == LineReader::Status::TooLong) {
                    ++skipped;
                    ++fr.tooLong;
                    addIssue(lineNo, "too_long",
                             "line of " + humanBytes(reader->skippedLength()) +
                                 " exceeds the limit of " + humanBytes(opt.maxLineBytes) +
                                 "; skipped");
                } else if (std::memchr(line.data(), 0, line.size()) != nullptr) {
                    ++skipped;
                    ++fr.nulBytes;
                    addIssue(lineNo, "nul_bytes", "line contains NUL bytes (binary data); skipped");
                } else {
                    if (!isValidUtf8(line)) {
                        repaired = repairUtf8(line);
                        line = repaired;
                        ++fr.repairedUtf8;
                        addIssue(lineNo, "invalid_utf8",
                                 "invalid UTF-8; bad bytes replaced by U+FFFD and the line kept");
                    }
                    if (!parser.parse(line, pl)) {
                        ++skipped;
                        ++fr.noMatch;
                        std::string shown(trim(line).substr(0, 120));
                        addIssue(
                            lineNo, "no_match",
                            "line does not match the format '" + opt.preset.format + "': " + shown);
                    } else {
                        // Store the stripped line; spans are relative to it.
                        Batch::Row r;
                        r.id = nextLineId++;
                        r.lineNo = int64_t(lineNo);
                        r.rawOff = uint32_t(batch.arena.size());
                        r.rawLen = uint32_t(pl.line.size());
                        batch.arena.append(pl.line);
                        r.spanOff = uint32_t(batch.spans.size());
                        r.spanCount = uint32_t(pl.spans.size());
                        batch.spans.insert(batch.spans.end(), pl.spans.begin(), pl.spans.end());
                        r.ts = pl.ts;
                        int label = pl.label;
                        if (groupRe) {
                            re2::StringPiece in(pl.line.data(), pl.line.size());
                            std::string key;
                            int found = -1;
                            while (RE2::FindAndConsume(&in, *groupRe, &key)) {
                                if (key.empty()) break;  // never spin on an empty match
                                auto it = groupLabels.find(key);
                                if (it != groupLabels.end()) found = std::max(found, it->second);
                            }
                            label = found;
                        }
                        r.label = label;
                        if (size_t(pl.cluster) >= clusterIds.size()) {
                            // New cluster: its id is assigned at flush, in creation order.
                            r.templateId = nextTemplateId + (pl.cluster - int(clusterIds.size()));
                        } else {
                            r.templateId = clusterIds[size_t(pl.cluster)];
                        }
                        batch.rows.push_back(r);
                        auto& s = batch.stats[r.templateId];
                        ++s.count;
                        if (label >= 0) {
                            ++s.labelled;
                            if (label == 1) ++s.anomalous;
                        }
                        if (r.ts) {
                            if (!s.firstTs || *r.ts < *s.firstTs) s.firstTs = r.ts;
                            if (!s.lastTs || *r.ts > *s.lastTs) s.lastTs = r.ts;
                        }
                        if (!s.firstLine) s.firstLine = r.id;
                        s.lastLine = r.id;
                        ++imported;
                        ++fr.imported;
                    }
                }
                if (batch.rows.size() >= opt.batchLines || batch.arena.size() >= (8u << 20)) {
                    flush("", "");
                    if (ctx) {
                        Progress p;
                        p.stage = "importing " + path;
                        p.done = report.imported + fr.imported;
                        p.bytesDone = bytesBefore + reader->bytesRead();
                        p.bytesTotal = totalBytes;
                        ctx->report(p);
                        if (ctx->isCancelled()) {
                            cancelled = true;
                            break;
                        }
                    }
                }
            }
            fr.templateCapLines = parser.drain().forcedLines() - forcedBefore;
            if (fr.templateCapLines)
                addIssue(reader->lineNumber(), "template_cap",
                         std::to_string(fr.templateCapLines) +
                             " lines joined their nearest template because Drain's template "
                             "cap was reached (" +
                             std::to_string(opt.preset.maxTemplates) + " templates, " +
                             std::to_string(DrainOptions{}.maxLeafTemplates) +
                             " per parse-tree leaf). The format or masks may not fit this log "
                             "(ids in every word of the message?): check the templates, or "
                             "raise the cap (--max-templates, preset key max_templates)");
            if (cancelled) {
                flush("", "");
                fr.status = "cancelled";
                fr.message = path + ": cancelled after line " +
                             std::to_string(reader->lineNumber()) + "; import it again to resume";
            } else {
                fr.status = continued ? "appended" : fr.resumedFrom ? "resumed" : "imported";
                flush("complete", "");
                fr.message = path + ": " + std::to_string(fr.imported) + " lines imported";
                if (continued)
                    fr.message += " (the file grew since file #" + std::to_string(fileId) +
                                  " was imported: only the lines after line " +
                                  std::to_string(fr.resumedFrom) + ")";
                else if (fr.resumedFrom)
                    fr.message += " (resumed after line " + std::to_string(fr.resumedFrom) + ")";
                fr.message += note;
            }
        } catch (const InputError& e) {
            fr.status = "failed";
            fr.message = e.what();
            addIssue(e.line(), "error", e.reason());
            flush("failed", e.what());
        }
        fr.skipped = fr.noMatch + fr.tooLong + fr.nulBytes;
        if (fr.status != "failed" && fr.skipped)
            fr.message += ", " + std::to_string(fr.skipped) + " skipped (" +
                          std::to_string(fr.noMatch) + " not matching the format, " +
                          std::to_string(fr.tooLong) + " too long, " + std::to_string(fr.nulBytes) +
                          " with NUL bytes)";
        if (fr.repairedUtf8)
            fr.message += ", " + std::to_string(fr.repairedUtf8) + " with invalid UTF-8 repaired";
        if (fr.templateCapLines)
            fr.message += "; template cap reached: " + std::to_string(fr.templateCapLines) +
                          " lines joined their nearest template (see the file's import issues)";
        writer.drain();
        report.imported += fr.imported;
        report.skipped += fr.skipped;
        bytesBefore += fsize;
        report.files.push_back(std::move(fr));
        if (cancelled) {
            report.cancelled = true;
            break;
        }
    }
    writer.drain();
    writer.finish();
    if (dropIndexes) {
        if (ctx) {
            Progress p;
            p.stage = "building indexes";
            ctx->report(p, true);
        }
        project.createLineIndexes();
    }
    db.exec("PRAGMA wal_autocheckpoint = 1000");
    // A system this call created but no file made it into (none could be opened, all empty)
    // is removed again rather than left behind empty.
    if (!systemExisted) {
        auto files = db.prepare("SELECT count(*) FROM files WHERE system_id = ?");
        files.bind(1, systemId);
        if (files.step() && files.getInt(0) == 0) {
            files.reset();
            db.prepare("DELETE FROM systems WHERE id = ?").bind(1, systemId).run();
            report.systemId = 0;
        }
    }
    report.templatesAfter = parser.drain().size();
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return report;
}

}  // namespace mlad
