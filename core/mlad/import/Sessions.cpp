#include "mlad/import/Sessions.h"

#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "mlad/io/Csv.h"
#include "mlad/io/Labels.h"
#include "mlad/io/LineReader.h"
#include "mlad/util/Strings.h"

namespace mlad {

namespace {

// "E12" or "12" -> 12; nullopt for anything else.
std::optional<int64_t> eventNumber(std::string_view text) {
    std::string t(trim(text));
    if (!t.empty() && (t[0] == 'E' || t[0] == 'e')) t = t.substr(1);
    try {
        size_t pos = 0;
        int64_t n = std::stoll(t, &pos);
        if (pos != t.size()) return std::nullopt;
        return n;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// Event numbers separated by spaces or commas, optionally in brackets: "22 5 5", "[E22, E5]".
std::vector<int64_t> parseEvents(std::string_view text, const std::string& file, uint64_t line) {
    std::vector<int64_t> ev;
    std::string cleaned(text);
    for (char& c : cleaned)
        if (c == '[' || c == ']' || c == ',') c = ' ';
    for (auto tok : splitWhitespace(cleaned)) {
        auto n = eventNumber(tok);
        if (!n) throw InputError(file, line, "event '" + std::string(tok) + "' is not a number");
        ev.push_back(*n);
    }
    return ev;
}

struct Session {
    std::string key;
    int label;
    std::vector<int64_t> events;  // event numbers
};

}  // namespace

SequenceSetInfo importPreparsedSessions(Project& project, const PreparsedSpec& spec,
                                        TaskContext* ctx) {
    if (spec.system.empty()) throw std::invalid_argument("a system name is required");
    if (spec.templatesCsv.empty()) throw std::invalid_argument("a templates CSV is required");
    if (spec.deeplogFile.empty() == spec.csvFile.empty())
        throw std::invalid_argument("give exactly one of a DeepLog file or a sessions CSV");
    // Templates: EventId (E<n> or n) -> text.
    std::vector<std::pair<int64_t, std::string>> templates;
    {
        CsvReader csv(spec.templatesCsv);
        const size_t idCol = csv.column("EventId");
        const size_t textCol = csv.column("EventTemplate");
        while (csv.next()) {
            const std::string& id = csv.at(idCol);
            auto n = eventNumber(id);
            if (!n) csv.fail("EventId '" + id + "' is not E<number>");
            templates.emplace_back(*n, csv.at(textCol));
        }
    }
    // Sessions.
    std::vector<Session> sessions;
    if (!spec.deeplogFile.empty()) {
        LineReader r(spec.deeplogFile);
        std::string_view line;
        while (r.next(line) == LineReader::Status::Line) {
            if (trim(line).empty()) continue;
            sessions.push_back({"line" + std::to_string(r.lineNumber()), spec.deeplogLabel,
                                parseEvents(line, spec.deeplogFile, r.lineNumber())});
        }
    } else {
        CsvReader csv(spec.csvFile);
        std::optional<size_t> idCol =
            spec.idColumn.empty() ? csv.findColumn("BlockId") : csv.column(spec.idColumn);
        const size_t labelCol = csv.column(spec.labelColumn);
        const size_t evCol = csv.column(spec.eventsColumn);
        uint64_t row = 0;
        while (csv.next()) {
            ++row;
            const int label = readLabel(csv, labelCol);
            sessions.push_back({idCol ? csv.at(*idCol) : "row" + std::to_string(row), label,
                                parseEvents(csv.at(evCol), csv.path(), csv.line())});
        }
    }
    auto& db = project.db();
    sql::Transaction tx(db);
    Preset placeholder;
    placeholder.name = spec.system;
    placeholder.format = "<Content>";
    placeholder.description = "pre-parsed sessions (no raw lines)";
    int64_t systemId = project.ensureSystem(spec.system, placeholder);
    // Map event numbers to template rows of this system, creating missing ones.
    std::unordered_map<int64_t, int64_t> tplId;
    {
        auto st = db.prepare("SELECT ordinal, id FROM templates WHERE system_id = ?");
        st.bind(1, systemId);
        while (st.step()) tplId[st.getInt(0)] = st.getInt(1);
    }
    std::unordered_map<int64_t, uint64_t> counts;
    for (const auto& s : sessions)
        for (int64_t e : s.events) ++counts[e];
    auto ins = db.prepare("INSERT INTO templates(system_id, ordinal, template) VALUES (?,?,?)");
    for (const auto& [n, text] : templates) {
        if (tplId.count(n)) continue;
        ins.bind(1, systemId).bind(2, n).bind(3, text).run();
        tplId[n] = db.lastInsertId();
    }
    for (const auto& [n, c] : counts) {
        if (!tplId.count(n))
            throw std::invalid_argument("event " + std::to_string(n) + " is not in " +
                                        spec.templatesCsv);
        db.prepare("UPDATE templates SET count = count + ? WHERE id = ?")
            .bind(1, c)
            .bind(2, tplId[n])
            .run();
    }
    std::vector<EventSequence> sequences;
    sequences.reserve(sessions.size());
    for (auto& s : sessions) {
        EventSequence q;
        q.key = std::move(s.key);
        q.label = s.label;
        q.events.reserve(s.events.size());
        for (int64_t e : s.events) q.events.push_back(int32_t(tplId[e]));
        sequences.push_back(std::move(q));
    }
    sessions.clear();
    const std::string setName = spec.setName.empty() ? "sessions" : spec.setName;
    auto info = writeEventSequences(
        project, spec.system, setName, "imported",
        "source=" + (spec.csvFile.empty() ? spec.deeplogFile : spec.csvFile), sequences, ctx);
    tx.commit();
    return info;
}

}  // namespace mlad
