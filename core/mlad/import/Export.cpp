#include "mlad/import/Export.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unordered_map>

#include "mlad/io/LineReader.h"
#include "mlad/parse/LineParser.h"
#include "mlad/util/AtomicFile.h"
#include "mlad/util/Strings.h"

namespace mlad {

namespace fs = std::filesystem;

static void refuseExisting(const std::vector<std::string>& paths) {
    std::error_code ec;
    for (const auto& p : paths)
        if (fs::exists(fs::symlink_status(p, ec)))
            throw OutputExists(p + " already exists; not replacing it without being asked");
}

static void writeHeader(AtomicFile& out, const LogFormat& format) {
    std::string h = "LineId";
    for (const auto& n : format.fieldNames()) h += ',' + csvField(n);
    out << h << ",EventId,EventTemplate\n";
}

// One row; `tail` is ",EventId,EventTemplate\n" already escaped (the same for every line of a
// template).
static void writeRow(AtomicFile& out, std::string& row, uint64_t lineId, std::string_view line,
                     const std::vector<FieldSpan>& spans, std::string_view tail) {
    row = std::to_string(lineId);
    for (const auto& s : spans) {
        row += ',';
        appendCsvField(row, line.substr(s.begin, s.end - s.begin));
    }
    row += tail;
    out << row;
}

static std::string rowTail(const std::string& eventId, const std::string& templ) {
    std::string t = ",";
    t += eventId;
    t += ',';
    appendCsvField(t, templ);
    t += '\n';
    return t;
}

std::string safeFileStem(const std::string& name) {
    std::string out;
    for (unsigned char c : name) out += c == '/' || c < 0x20 || c == 0x7f ? '_' : char(c);
    for (char& c : out) {
        if (c != '.') break;
        c = '_';
    }
    return out.empty() ? std::string("system") : out;
}

ExportResult exportLoghub(Project& project, const std::string& system, const std::string& outDir,
                          bool replace, TaskContext* ctx) {
    auto sys = project.system(system);
    if (!sys) throw std::invalid_argument("no system named '" + system + "' in " + project.path());
    fs::create_directories(outDir);
    ExportResult r;
    // The system name is data (a shared project may hold any): it becomes a file name only
    // after '/' and control characters are replaced and leading dots are made '_', so "/x/y"
    // or "../../escape" cannot write outside outDir (issue 16, finding 6).
    const std::string base = safeFileStem(system);
    r.structuredCsv = (fs::path(outDir) / (base + "_structured.csv")).string();
    r.templatesCsv = (fs::path(outDir) / (base + "_templates.csv")).string();
    if (!replace) refuseExisting({r.structuredCsv, r.templatesCsv});
    LogFormat format(sys->preset.format);
    auto templates = project.templates(sys->id);
    std::unordered_map<int64_t, std::string> tailOf;  // template id -> ",E<n>,<text>\n"
    for (const auto& t : templates) tailOf[t.id] = rowTail("E" + std::to_string(t.ordinal), t.text);
    const std::string noTemplate = rowTail("", "");

    // Both files are written beside their targets and renamed over them once complete.
    AtomicFile out(r.structuredCsv);
    writeHeader(out, format);
    std::string row;
    auto st = project.db().prepare(
        "SELECT raw, fields, template_id FROM lines WHERE system_id = ? ORDER BY id");
    st.bind(1, sys->id);
    const uint64_t total = sys->lines;
    while (st.step()) {
        std::string_view raw = st.getTextView(0);
        auto spans = unpackSpans(st.getBlob(1));
        auto it = tailOf.find(st.getInt(2));
        ++r.lines;
        writeRow(out, row, r.lines, raw, spans, it == tailOf.end() ? noTemplate : it->second);
        if (ctx && (r.lines & 0xFFFF) == 0) {
            ctx->checkCancelled();
            Progress p;
            p.stage = "exporting " + system;
            p.done = r.lines;
            p.total = total;
            ctx->report(p);
        }
    }
    AtomicFile tout(r.templatesCsv);
    tout << "EventId,EventTemplate,Occurrences\n";
    for (const auto& t : templates) {
        tout << "E" + std::to_string(t.ordinal) + "," + csvField(t.text) + "," +
                    std::to_string(t.count) + "\n";
        ++r.templates;
    }
    out.commit();
    tout.commit();
    return r;
}

ParseOnlyResult parseToLoghub(const Preset& preset, const std::string& file,
                              const std::string& outDir, bool replace, TaskContext* ctx) {
    auto t0 = std::chrono::steady_clock::now();
    ParseOnlyResult r;
    const std::string base = fs::path(file).filename().string();
    r.files.structuredCsv = (fs::path(outDir) / (base + "_structured.csv")).string();
    r.files.templatesCsv = (fs::path(outDir) / (base + "_templates.csv")).string();
    if (!replace) refuseExisting({r.files.structuredCsv, r.files.templatesCsv});
    LineParser parser(preset);
    std::vector<int32_t> clusterOfLine;  // -1 = skipped
    {
        LineReader reader(file);
        std::string_view line;
        ParsedLine pl;
        LineReader::Status s;
        while ((s = reader.next(line)) != LineReader::Status::End) {
            ++r.linesRead;
            if (s == LineReader::Status::Line && parser.parse(line, pl)) {
                clusterOfLine.push_back(pl.cluster);
                ++r.parsed;
            } else {
                clusterOfLine.push_back(-1);
                ++r.skipped;
            }
            if (ctx && (r.linesRead & 0xFFFF) == 0) {
                ctx->checkCancelled();
                Progress p;
                p.stage = "parsing " + file;
                p.done = r.linesRead;
                p.bytesDone = reader.bytesRead();
                p.bytesTotal = reader.fileSize();
                ctx->report(p);
            }
        }
    }
    fs::create_directories(outDir);
    const Drain& drain = parser.drain();
    r.templateCapLines = drain.forcedLines();
    std::vector<std::string> texts(drain.size()), tails(drain.size());
    for (size_t c = 0; c < drain.size(); ++c) {
        texts[c] = drain.templateText(int(c));
        tails[c] = rowTail("E" + std::to_string(c + 1), texts[c]);
    }

    AtomicFile out(r.files.structuredCsv);
    writeHeader(out, parser.format());
    {
        std::string row;
        LineReader reader(file);
        std::string_view line;
        std::vector<FieldSpan> spans;
        uint64_t i = 0, lineId = 0;
        while (reader.next(line) != LineReader::Status::End) {
            int32_t c = i < clusterOfLine.size() ? clusterOfLine[i] : -1;
            ++i;
            if (c < 0) continue;
            std::string_view stripped = trim(line);
            parser.format().match(stripped, spans);
            writeRow(out, row, ++lineId, stripped, spans, tails[size_t(c)]);
        }
        r.files.lines = lineId;
    }
    AtomicFile tout(r.files.templatesCsv);
    tout << "EventId,EventTemplate,Occurrences\n";
    for (size_t c = 0; c < drain.size(); ++c)
        tout << "E" + std::to_string(c + 1) + "," + csvField(texts[c]) + "," +
                    std::to_string(drain.cluster(int(c)).count) + "\n";
    out.commit();
    tout.commit();
    r.files.templates = drain.size();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

}  // namespace mlad
