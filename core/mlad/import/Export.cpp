#include "mlad/import/Export.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "mlad/io/LineReader.h"
#include "mlad/parse/LineParser.h"
#include "mlad/util/AtomicFile.h"
#include "mlad/util/OrderedWorkers.h"
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

// Appends one row to `rows`; `tail` is ",EventId,EventTemplate\n" already escaped (the same for
// every line of a template).
static void appendRow(std::string& rows, uint64_t lineId, std::string_view line,
                      const std::vector<FieldSpan>& spans, std::string_view tail) {
    rows += std::to_string(lineId);
    for (const auto& s : spans) {
        rows += ',';
        appendCsvField(rows, line.substr(s.begin, s.end - s.begin));
    }
    rows += tail;
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
        row.clear();
        appendRow(row, r.lines, raw, spans, it == tailOf.end() ? noTemplate : it->second);
        out << row;
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

namespace {

// A block of lines read by the calling thread, for the workers (OrderedWorkers): the lines are
// copied, since a LineReader's views last only until its next line.
struct LineBlock {
    // Reserved beyond the small-string buffer, so that moving a block keeps its text where it
    // is: ParsedLine views into it travel with the block.
    LineBlock() { text.reserve(1 << 16); }
    std::string text;
    std::vector<uint32_t> begin, size;
    std::vector<uint8_t> readable;  // LineReader::Status::Line (not too long)
    std::vector<int32_t> cluster;   // pass 2: the line's cluster
    uint64_t firstLineId = 0;       // pass 2: the LineId of its first written line
    void add(std::string_view line, bool ok) {
        begin.push_back(uint32_t(text.size()));
        size.push_back(uint32_t(line.size()));
        readable.push_back(ok);
        text.append(line.data(), line.size());
    }
    std::string_view line(size_t i) const {
        return std::string_view(text).substr(begin[i], size[i]);
    }
    size_t lines() const { return begin.size(); }
};

struct SplitBlock {
    LineBlock block;
    std::vector<ParsedLine> parsed;
    std::vector<uint8_t> ok;
};

constexpr size_t kBlockLines = 4096;
// A block's text stays below this (LineReader allows lines up to 64 MiB by default).
constexpr size_t kBlockBytes = 4 << 20;

int parseWorkers() {
    const unsigned hw = std::thread::hardware_concurrency();
    return int(std::clamp(hw == 0 ? 1u : hw, 1u, 8u));
}

}  // namespace

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
    const int workers = parseWorkers();
    {
        // Pass 1: the workers split and mask blocks of lines; this thread reads and feeds
        // Drain in file order (Drain's result depends on the order).
        OrderedWorkers<SplitBlock, SplitBlock> splitters(
            workers,
            [&parser](SplitBlock& in, SplitBlock& out) {
                const size_t n = in.block.lines();
                in.parsed.resize(n);
                in.ok.assign(n, 0);
                for (size_t i = 0; i < n; ++i)
                    in.ok[i] = in.block.readable[i] && parser.split(in.block.line(i), in.parsed[i]);
                out = std::move(in);
            },
            size_t(2 * workers + 2));
        auto drainBlock = [&](SplitBlock& b) {
            for (size_t i = 0; i < b.block.lines(); ++i) {
                if (b.ok[i]) {
                    parser.finish(b.parsed[i]);
                    clusterOfLine.push_back(b.parsed[i].cluster);
                    ++r.parsed;
                } else {
                    clusterOfLine.push_back(-1);
                    ++r.skipped;
                }
            }
        };
        LineReader reader(file);
        std::string_view line;
        LineReader::Status s;
        SplitBlock cur, done;
        while ((s = reader.next(line)) != LineReader::Status::End) {
            ++r.linesRead;
            cur.block.add(line, s == LineReader::Status::Line);
            if (cur.block.lines() >= kBlockLines || cur.block.text.size() >= kBlockBytes) {
                splitters.submit(std::move(cur));
                cur = SplitBlock();
                // Take back what is finished without waiting (keeps Drain busy alongside).
                while (splitters.pending() >= size_t(2 * workers + 2) && splitters.next(done))
                    drainBlock(done);
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
        if (cur.block.lines() > 0) splitters.submit(std::move(cur));
        while (splitters.next(done)) drainBlock(done);
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
        // Pass 2: the workers format blocks of rows; this thread reads and writes in order.
        const LogFormat& format = parser.format();
        OrderedWorkers<LineBlock, std::string> formatters(
            workers,
            [&format, &tails](LineBlock& b, std::string& rows) {
                std::vector<FieldSpan> spans;
                rows.clear();
                rows.reserve(b.text.size() + b.lines() * 64);
                uint64_t lineId = b.firstLineId;
                std::string tail;
                for (size_t i = 0; i < b.lines(); ++i) {
                    std::string_view stripped = trim(b.line(i));
                    if (!format.match(stripped, spans)) {
                        // Pass 1 accepted it with an empty Content (LineParser::split).
                        tail.assign(stripped);
                        tail.push_back(' ');
                        format.match(tail, spans);
                        for (auto& sp : spans) {
                            sp.begin = std::min(sp.begin, uint32_t(stripped.size()));
                            sp.end = std::min(sp.end, uint32_t(stripped.size()));
                        }
                    }
                    appendRow(rows, lineId++, stripped, spans, tails[size_t(b.cluster[i])]);
                }
            },
            size_t(2 * workers + 2));
        std::string rows;
        LineReader reader(file);
        std::string_view line;
        uint64_t i = 0, lineId = 0;
        LineBlock cur;
        cur.firstLineId = 1;
        while (reader.next(line) != LineReader::Status::End) {
            int32_t c = i < clusterOfLine.size() ? clusterOfLine[i] : -1;
            ++i;
            if (c < 0) continue;
            ++lineId;
            cur.add(line, true);
            cur.cluster.push_back(c);
            if (cur.lines() >= kBlockLines || cur.text.size() >= kBlockBytes) {
                formatters.submit(std::move(cur));
                cur = LineBlock();
                cur.firstLineId = lineId + 1;
                while (formatters.pending() >= size_t(2 * workers + 2) && formatters.next(rows))
                    out << rows;
            }
        }
        if (cur.lines() > 0) formatters.submit(std::move(cur));
        while (formatters.next(rows)) out << rows;
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
