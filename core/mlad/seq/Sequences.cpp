#include "mlad/seq/Sequences.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <filesystem>
#include <stdexcept>
#include <unordered_map>

#include "mlad/io/Labels.h"
#include "mlad/util/Strings.h"

namespace mlad {

namespace {

struct Member {
    int64_t id;
    int32_t tpl;
    int label;  // -1 / 0 / 1
    std::optional<int64_t> ts;
};

struct Pending {
    std::string key;
    std::vector<Member> members;
    int forcedLabel = -2;  // session label from a labels file; -2 = derive from lines
};

template <class T>
std::string packVector(const std::vector<T>& v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

template <class T>
std::vector<T> unpackVector(const std::string& blob) {
    std::vector<T> v(blob.size() / sizeof(T));
    if (!v.empty()) std::memcpy(v.data(), blob.data(), v.size() * sizeof(T));
    return v;
}

// Writes sequences of one set; one transaction for the whole set keeps a rebuild atomic.
class SetWriter {
  public:
    SetWriter(Project& p, int64_t setId, int64_t systemId, int64_t firstOrdinal = 0)
        : db_(p.db()),
          setId_(setId),
          systemId_(systemId),
          ins_(db_.prepare("INSERT INTO sequences(set_id, system_id, ordinal, key, label, length, "
                           "first_line, last_line, start_ts, end_ts, events, members) "
                           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")),
          ordinal_(firstOrdinal) {}

    void write(const Pending& s, bool contiguous) {
        std::vector<int32_t> events;
        events.reserve(s.members.size());
        int label = -1;
        std::optional<int64_t> t0, t1;
        for (const auto& m : s.members) {
            events.push_back(m.tpl);
            label = std::max(label, m.label);
            if (m.ts) {
                if (!t0 || *m.ts < *t0) t0 = m.ts;
                if (!t1 || *m.ts > *t1) t1 = m.ts;
            }
        }
        if (s.forcedLabel >= -1) label = s.forcedLabel;
        ins_.bind(1, setId_).bind(2, systemId_).bind(3, ++ordinal_).bind(4, s.key);
        if (label >= 0)
            ins_.bind(5, label);
        else
            ins_.bindNull(5);
        ins_.bind(6, int64_t(events.size()));
        if (!s.members.empty()) {
            ins_.bind(7, s.members.front().id).bind(8, s.members.back().id);
        } else {
            ins_.bindNull(7).bindNull(8);
        }
        ins_.bind(9, t0).bind(10, t1);
        std::string ev = packVector(events);
        ins_.bindBlob(11, ev.data(), ev.size());
        if (contiguous) {
            ins_.bindNull(12);
        } else {
            std::vector<int64_t> ids;
            ids.reserve(s.members.size());
            for (const auto& m : s.members) ids.push_back(m.id);
            std::string blob = packVector(ids);
            ins_.bindBlob(12, blob.data(), blob.size());
        }
        ins_.run();
        ++count_;
        if (label == 1) ++anomalous_;
        if (label < 0) ++unlabelled_;
    }
    // A sequence with events only (no member lines): no line range, members or timestamps.
    void writeEvents(const EventSequence& s) {
        ins_.bind(1, setId_).bind(2, systemId_).bind(3, ++ordinal_).bind(4, s.key);
        if (s.label >= 0)
            ins_.bind(5, s.label);
        else
            ins_.bindNull(5);
        ins_.bind(6, int64_t(s.events.size()));
        ins_.bindNull(7).bindNull(8).bindNull(9).bindNull(10);
        std::string ev = packVector(s.events);
        ins_.bindBlob(11, ev.data(), ev.size());
        ins_.bindNull(12);
        ins_.run();
        ++count_;
        if (s.label == 1) ++anomalous_;
        if (s.label < 0) ++unlabelled_;
    }
    uint64_t count() const { return count_; }
    uint64_t anomalous() const { return anomalous_; }
    uint64_t unlabelled() const { return unlabelled_; }

  private:
    sql::Database& db_;
    int64_t setId_, systemId_;
    sql::Statement ins_;
    int64_t ordinal_;
    uint64_t count_ = 0, anomalous_ = 0, unlabelled_ = 0;
};

std::string specParams(const SequenceSpec& s) {
    switch (s.kind) {
        case SequenceSpec::Kind::Window:
            return "size=" + std::to_string(s.size) + " step=" + std::to_string(s.step) +
                   (s.timeOrder ? " order=time" : " order=import");
        case SequenceSpec::Kind::TimeWindow:
            return "span_ms=" + std::to_string(s.spanMs) + " step_ms=" + std::to_string(s.stepMs);
        case SequenceSpec::Kind::SessionRegex:
            return "regex=" + s.regex;
        case SequenceSpec::Kind::SessionFile:
            return "by=file";
        case SequenceSpec::Kind::SessionFolder:
            return "by=folder";
    }
    return "";
}

std::string defaultName(const SequenceSpec& s) {
    switch (s.kind) {
        case SequenceSpec::Kind::Window:
            return "window" + std::to_string(s.size) + "-step" + std::to_string(s.step);
        case SequenceSpec::Kind::TimeWindow:
            return "time" + std::to_string(s.spanMs / 1000) + "s-step" +
                   std::to_string(s.stepMs / 1000) + "s";
        case SequenceSpec::Kind::SessionRegex:
            return "sessions";
        case SequenceSpec::Kind::SessionFile:
            return "files";
        case SequenceSpec::Kind::SessionFolder:
            return "folders";
    }
    return "sequences";
}

const char* kindName(SequenceSpec::Kind k) {
    switch (k) {
        case SequenceSpec::Kind::Window:
            return "window";
        case SequenceSpec::Kind::TimeWindow:
            return "time";
        case SequenceSpec::Kind::SessionRegex:
            return "session_regex";
        case SequenceSpec::Kind::SessionFile:
            return "session_file";
        case SequenceSpec::Kind::SessionFolder:
            return "session_folder";
    }
    return "?";
}

// Creates the set row, replacing an older set of the same name unless a split uses it.
int64_t createSet(Project& p, int64_t systemId, const std::string& system, const std::string& name,
                  const std::string& kind, const std::string& params) {
    auto& db = p.db();
    auto find = db.prepare("SELECT id FROM sequence_sets WHERE system_id = ? AND name = ?");
    find.bind(1, systemId).bind(2, name);
    if (find.step()) {
        int64_t old = find.getInt(0);
        find.reset();
        auto used = db.prepare(
            "SELECT DISTINCT s.name FROM splits s JOIN split_members m ON m.split_id = s.id "
            "JOIN sequences q ON q.id = m.sequence_id WHERE q.set_id = ?");
        used.bind(1, old);
        std::string names;
        while (used.step()) names += (names.empty() ? "" : ", ") + used.getText(0);
        if (!names.empty())
            throw std::invalid_argument("sequence set '" + name + "' of system " + system +
                                        " is used by split(s) " + names +
                                        "; choose another --name");
        db.prepare("DELETE FROM sequence_sets WHERE id = ?").bind(1, old).run();
    }
    db.prepare("INSERT INTO sequence_sets(system_id, name, kind, params) VALUES (?,?,?,?)")
        .bind(1, systemId)
        .bind(2, name)
        .bind(3, kind)
        .bind(4, params)
        .run();
    return db.lastInsertId();
}

SequenceSetInfo finishInfo(Project& p, int64_t setId) {
    for (auto& s : sequenceSets(p))
        if (s.id == setId) return s;
    throw std::logic_error("sequence set vanished");
}

void reportProgress(TaskContext* ctx, const std::string& stage, uint64_t done, uint64_t total) {
    if (!ctx) return;
    ctx->checkCancelled();
    Progress pr;
    pr.stage = stage;
    pr.done = done;
    pr.total = total;
    ctx->report(pr);
}

}  // namespace

SequenceSetInfo buildSequences(Project& project, const std::string& system,
                               const SequenceSpec& specIn, TaskContext* ctx) {
    auto sys = project.system(system);
    if (!sys) throw std::invalid_argument("no system named '" + system + "' in " + project.path());
    SequenceSpec spec = specIn;
    if (spec.kind == SequenceSpec::Kind::SessionRegex && spec.regex.empty())
        spec.regex = sys->preset.groupRegex;
    if (spec.kind == SequenceSpec::Kind::SessionRegex && spec.regex.empty())
        throw std::invalid_argument("system " + system + " has no session regex; give one");
    if (spec.kind == SequenceSpec::Kind::Window && (spec.size == 0 || spec.step == 0))
        throw std::invalid_argument("window size and step must be positive");
    if (spec.kind == SequenceSpec::Kind::TimeWindow && (spec.spanMs <= 0 || spec.stepMs <= 0))
        throw std::invalid_argument("time window span and step must be positive");
    const std::string name = spec.name.empty() ? defaultName(spec) : spec.name;
    auto& db = project.db();
    const uint64_t total = project.lineCount(sys->id);

    sql::Transaction tx(db);
    int64_t setId = 0, lastOrdinal = 0, afterLine = 0;
    if (spec.extend) {
        if (spec.kind != SequenceSpec::Kind::Window && spec.kind != SequenceSpec::Kind::TimeWindow)
            throw std::invalid_argument(
                "only windows extend (a session may span old and new lines); build the "
                "sessions again under another --name");
        if (spec.kind == SequenceSpec::Kind::Window && spec.timeOrder)
            throw std::invalid_argument(
                "windows in time order do not extend (new lines may fall between old ones)");
        auto set = findSequenceSet(project, system, name);
        if (!set)
            throw std::invalid_argument("system " + system + " has no sequence set '" + name +
                                        "' to extend");
        if (set->kind != kindName(spec.kind) || set->params != specParams(spec))
            throw std::invalid_argument("set '" + name + "' was built as " + set->kind + " (" +
                                        set->params + "), not " + kindName(spec.kind) + " (" +
                                        specParams(spec) + "); extend it with its own settings");
        setId = set->id;
        auto st = db.prepare(
            "SELECT coalesce(max(ordinal), 0), coalesce(max(last_line), 0) FROM sequences "
            "WHERE set_id = ?");
        st.bind(1, setId);
        st.step();
        lastOrdinal = st.getInt(0);
        afterLine = st.getInt(1);
    } else {
        setId = createSet(project, sys->id, system, name, kindName(spec.kind), specParams(spec));
    }
    SetWriter writer(project, setId, sys->id, lastOrdinal);
    const std::string stage = "building sequences of " + system;

    auto readMember = [](sql::Statement& st) {
        Member m;
        m.id = st.getInt(0);
        m.tpl = int32_t(st.getInt(1));
        m.label = st.isNull(2) ? -1 : int(st.getInt(2));
        if (!st.isNull(3)) m.ts = st.getInt(3);
        return m;
    };

    if (spec.kind == SequenceSpec::Kind::Window) {
        auto st = db.prepare(std::string("SELECT id, coalesce(template_id,0), label, ts FROM lines "
                                         "WHERE system_id = ? AND id > ? ORDER BY ") +
                             (spec.timeOrder ? "ts, id" : "id"));
        st.bind(1, sys->id).bind(2, afterLine);
        // A ring of the last `size` lines; a window ends at every line where
        // (seen - size) % step == 0, which covers fixed (step == size), sliding (step < size)
        // and gapped (step > size) windows alike.
        std::deque<Member> buf;
        uint64_t seen = 0;
        auto emit = [&](size_t n) {
            Pending w;
            w.members.assign(buf.end() - long(n), buf.end());
            w.key = std::to_string(w.members.front().id);
            if (w.members.size() >= spec.minLength) writer.write(w, !spec.timeOrder);
        };
        while (st.step()) {
            buf.push_back(readMember(st));
            if (buf.size() > spec.size) buf.pop_front();
            ++seen;
            if (seen >= spec.size && (seen - spec.size) % spec.step == 0) emit(spec.size);
            if ((seen & 0xFFFF) == 0) reportProgress(ctx, stage, seen, total);
        }
        // Fixed windows: the lines after the last full window form a shorter last sequence.
        if (spec.step == spec.size) {
            size_t rest = seen % spec.size;
            if (seen < spec.size) rest = size_t(seen);
            if (rest > 0) emit(rest);
        }
    } else if (spec.kind == SequenceSpec::Kind::TimeWindow) {
        std::vector<Member> all;
        auto st = db.prepare(
            "SELECT id, coalesce(template_id,0), label, ts FROM lines "
            "WHERE system_id = ? AND id > ? AND ts IS NOT NULL ORDER BY ts, id");
        st.bind(1, sys->id).bind(2, afterLine);
        while (st.step()) all.push_back(readMember(st));
        if (!all.empty()) {
            size_t lo = 0;
            const int64_t first = *all.front().ts, last = *all.back().ts;
            for (int64_t start = first; start <= last; start += spec.stepMs) {
                while (lo < all.size() && *all[lo].ts < start) ++lo;
                size_t hi = lo;
                while (hi < all.size() && *all[hi].ts < start + spec.spanMs) ++hi;
                if (hi - lo >= spec.minLength && hi > lo) {
                    Pending w;
                    w.key = std::to_string(start);
                    w.members.assign(all.begin() + long(lo), all.begin() + long(hi));
                    writer.write(w, false);
                }
                reportProgress(ctx, stage, lo, all.size());
            }
        }
    } else {
        // Sessions: group lines by key in order of first appearance.
        std::unordered_map<std::string, size_t> index;
        std::vector<Pending> sessions;
        std::unordered_map<std::string, int> groupLabels;
        {
            auto gl = db.prepare("SELECT group_key, label FROM group_labels WHERE system_id = ?");
            gl.bind(1, sys->id);
            while (gl.step()) groupLabels.emplace(gl.getText(0), int(gl.getInt(1)));
        }
        auto sessionFor = [&](const std::string& key) -> Pending& {
            auto it = index.find(key);
            if (it != index.end()) return sessions[it->second];
            index.emplace(key, sessions.size());
            sessions.emplace_back();
            sessions.back().key = key;
            auto g = groupLabels.find(key);
            if (g != groupLabels.end()) sessions.back().forcedLabel = g->second;
            return sessions.back();
        };
        if (spec.kind == SequenceSpec::Kind::SessionRegex) {
            RE2 re("(" + spec.regex + ")");
            if (!re.ok())
                throw std::invalid_argument("session regex '" + spec.regex +
                                            "' does not compile: " + re.error());
            // A regex that matches the empty string finds a "session id" everywhere and never
            // advances through a line (issue 16, finding 4: it looped forever).
            if (RE2::PartialMatch("", re))
                throw std::invalid_argument(
                    "session regex '" + spec.regex +
                    "' matches the empty string; give one that matches the session id itself, "
                    "e.g. blk_-?\\d+");
            auto st = db.prepare(
                "SELECT id, coalesce(template_id,0), label, ts, raw FROM lines "
                "WHERE system_id = ? ORDER BY id");
            st.bind(1, sys->id);
            uint64_t seen = 0;
            std::string key;
            std::vector<std::string> keys;
            while (st.step()) {
                Member m = readMember(st);
                std::string_view raw = st.getTextView(4);
                re2::StringPiece in(raw.data(), raw.size());
                keys.clear();
                while (RE2::FindAndConsume(&in, re, &key)) {
                    if (key.empty()) break;  // cannot happen after the check; never spin
                    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
                }
                for (const auto& k : keys) sessionFor(k).members.push_back(m);
                if ((++seen & 0xFFFF) == 0) reportProgress(ctx, stage, seen, total);
            }
        } else {
            // By file or by folder: the key is the file path or its parent folder's name.
            std::unordered_map<int64_t, std::string> fileKey;
            for (const auto& f : project.files(sys->id)) {
                std::filesystem::path fp(f.path);
                fileKey[f.id] = spec.kind == SequenceSpec::Kind::SessionFile
                                    ? fp.filename().string()
                                    : fp.parent_path().filename().string();
            }
            if (!spec.labelsCsv.empty()) {
                // Per-file / per-folder labels may name the fault instead of saying "anomaly"
                // (loghub Hadoop: "Machine down", "Disk full", ...).
                auto labels = readGroupLabels(spec.labelsCsv, OtherLabelValues::Anomalous);
                for (const auto& [k, l] : labels) groupLabels[k] = l;
                project.storeGroupLabels(sys->id, labels);
            }
            auto st = db.prepare(
                "SELECT id, coalesce(template_id,0), label, ts, file_id "
                "FROM lines WHERE system_id = ? ORDER BY id");
            st.bind(1, sys->id);
            uint64_t seen = 0;
            while (st.step()) {
                Member m = readMember(st);
                sessionFor(fileKey[st.getInt(4)]).members.push_back(m);
                if ((++seen & 0xFFFF) == 0) reportProgress(ctx, stage, seen, total);
            }
        }
        for (const auto& s : sessions) {
            if (s.members.size() < spec.minLength) continue;
            bool contiguous = true;
            for (size_t i = 1; i < s.members.size() && contiguous; ++i)
                contiguous = s.members[i].id == s.members[i - 1].id + 1;
            writer.write(s, contiguous);
        }
    }
    tx.commit();
    return finishInfo(project, setId);
}

SequenceSetInfo writeEventSequences(Project& project, const std::string& system,
                                    const std::string& name, const std::string& kind,
                                    const std::string& params,
                                    const std::vector<EventSequence>& sequences, TaskContext* ctx) {
    auto sys = project.system(system);
    if (!sys) throw std::invalid_argument("no system named '" + system + "' in " + project.path());
    sql::Transaction tx(project.db());
    int64_t setId = createSet(project, sys->id, system, name, kind, params);
    SetWriter writer(project, setId, sys->id);
    uint64_t done = 0;
    for (const auto& s : sequences) {
        writer.writeEvents(s);
        if ((++done & 0xFFF) == 0)
            reportProgress(ctx, "importing sessions", done, sequences.size());
    }
    tx.commit();
    return finishInfo(project, setId);
}

std::vector<SequenceSetInfo> sequenceSets(Project& project) {
    auto st = project.db().prepare(
        "SELECT q.id, q.system_id, s.name, q.name, q.kind, q.params, "
        "(SELECT count(*) FROM sequences WHERE set_id = q.id), "
        "(SELECT count(*) FROM sequences WHERE set_id = q.id AND label = 1), "
        "(SELECT count(*) FROM sequences WHERE set_id = q.id AND label IS NULL) "
        "FROM sequence_sets q JOIN systems s ON s.id = q.system_id ORDER BY q.id");
    std::vector<SequenceSetInfo> out;
    while (st.step()) {
        SequenceSetInfo i;
        i.id = st.getInt(0);
        i.systemId = st.getInt(1);
        i.system = st.getText(2);
        i.name = st.getText(3);
        i.kind = st.getText(4);
        i.params = st.getText(5);
        i.count = uint64_t(st.getInt(6));
        i.anomalous = uint64_t(st.getInt(7));
        i.unlabelled = uint64_t(st.getInt(8));
        out.push_back(std::move(i));
    }
    return out;
}

std::optional<SequenceSetInfo> findSequenceSet(Project& project, const std::string& system,
                                               const std::string& name) {
    std::optional<SequenceSetInfo> latest;
    for (auto& s : sequenceSets(project)) {
        if (s.system != system) continue;
        if (name.empty() || s.name == name) latest = s;  // latest set wins when no name given
    }
    return latest;
}

static const char* kSeqColumns =
    "SELECT id, set_id, system_id, ordinal, coalesce(key,''), label, length, "
    "coalesce(first_line,0), coalesce(last_line,0), start_ts, end_ts, events FROM sequences ";

static SequenceRow readSequence(sql::Statement& st) {
    SequenceRow r;
    r.id = st.getInt(0);
    r.setId = st.getInt(1);
    r.systemId = st.getInt(2);
    r.ordinal = st.getInt(3);
    r.key = st.getText(4);
    r.label = st.isNull(5) ? -1 : int(st.getInt(5));
    r.length = st.getInt(6);
    r.firstLine = st.getInt(7);
    r.lastLine = st.getInt(8);
    if (!st.isNull(9)) r.startTs = st.getInt(9);
    if (!st.isNull(10)) r.endTs = st.getInt(10);
    r.events = unpackVector<int32_t>(st.getBlob(11));
    return r;
}

std::vector<SequenceRow> sequencesOfSet(Project& project, int64_t setId, int64_t afterOrdinal,
                                        int limit) {
    auto st = project.db().prepare(std::string(kSeqColumns) +
                                   "WHERE set_id = ? AND ordinal > ? ORDER BY ordinal LIMIT ?");
    st.bind(1, setId).bind(2, afterOrdinal).bind(3, int64_t(limit));
    std::vector<SequenceRow> out;
    while (st.step()) out.push_back(readSequence(st));
    return out;
}

std::optional<SequenceRow> sequenceById(Project& project, int64_t id) {
    auto st = project.db().prepare(std::string(kSeqColumns) + "WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return readSequence(st);
}

std::vector<SequenceStart> sequenceStartsOfSet(Project& project, int64_t setId) {
    auto st = project.db().prepare(
        "SELECT id, start_ts FROM sequences WHERE set_id = ? ORDER BY ordinal");
    st.bind(1, setId);
    std::vector<SequenceStart> out;
    while (st.step())
        out.push_back(
            {st.getInt(0), st.isNull(1) ? std::nullopt : std::optional<int64_t>(st.getInt(1))});
    return out;
}

std::vector<int64_t> systemsOfSequences(Project& project, const std::vector<int64_t>& ids) {
    auto st = project.db().prepare("SELECT system_id FROM sequences WHERE id = ?");
    std::vector<int64_t> out;
    out.reserve(ids.size());
    for (int64_t id : ids) {
        st.bind(1, id);
        out.push_back(st.step() ? st.getInt(0) : 0);
        st.reset();
    }
    return out;
}

std::vector<int64_t> sequenceLineIds(Project& project, int64_t sequenceId) {
    auto st = project.db().prepare(
        "SELECT members, first_line, last_line, system_id FROM sequences WHERE id = ?");
    st.bind(1, sequenceId);
    if (!st.step()) throw std::invalid_argument("no sequence " + std::to_string(sequenceId));
    if (!st.isNull(0)) return unpackVector<int64_t>(st.getBlob(0));
    if (st.isNull(1)) return {};
    int64_t first = st.getInt(1), last = st.getInt(2), system = st.getInt(3);
    st.reset();
    auto ids = project.db().prepare(
        "SELECT id FROM lines WHERE system_id = ? AND id BETWEEN ? AND ? ORDER BY id");
    ids.bind(1, system).bind(2, first).bind(3, last);
    std::vector<int64_t> out;
    while (ids.step()) out.push_back(ids.getInt(0));
    return out;
}

std::vector<LineRecord> sequenceLines(Project& project, int64_t sequenceId, int limit) {
    return project.linesByIds(sequenceLineIds(project, sequenceId), limit);
}

}  // namespace mlad
