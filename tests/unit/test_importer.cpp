// The importer against bad input, interruptions and repeated imports, on a real SQLite file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "TestData.h"
#include "mlad/import/Export.h"
#include "mlad/import/Importer.h"
#include "mlad/io/Labels.h"
#include "mlad/parse/LineParser.h"
#include "mlad/store/Project.h"
#include "mlad/util/Strings.h"

namespace {

using namespace mlad;
using mlad::test::TempDir;

const char* kBglLine =
    "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 "
    "R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected";
const char* kBglAlert =
    "KERNDTLB 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-17.32.07.581048 "
    "R30-M0-N9-C:J16-U01 RAS KERNEL FATAL data TLB error interrupt";

void writeFile(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary);
    out << content;
}

std::string bglLines(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) {
        s += (i % 10 == 3) ? kBglAlert : kBglLine;
        s += "\n";
    }
    return s;
}

ImportOptions bglOptions() {
    ImportOptions o;
    o.preset = *findPreset("BGL");
    return o;
}

int64_t count(Project& p, const std::string& sql) {
    return p.db().queryInt(sql).value_or(-1);
}

TEST(Importer, ImportsLinesTemplatesLabelsAndTimestamps) {
    TempDir dir;
    writeFile(dir.file("a.log"), bglLines(100));
    auto p = Project::open(dir.file("p.mlad"));
    auto r = importFiles(*p, {dir.file("a.log")}, bglOptions());
    ASSERT_EQ(r.files.size(), 1u);
    EXPECT_EQ(r.files[0].status, "imported");
    EXPECT_EQ(r.imported, 100u);
    EXPECT_EQ(count(*p, "SELECT count(*) FROM lines"), 100);
    EXPECT_EQ(count(*p, "SELECT count(*) FROM lines WHERE label = 1"), 10);
    EXPECT_EQ(count(*p, "SELECT count(*) FROM templates"), 2);
    EXPECT_EQ(count(*p, "SELECT sum(count) FROM templates"), 100);
    // 2005-06-03 15:42:50.675 UTC in ms.
    EXPECT_EQ(count(*p, "SELECT min(ts) FROM lines"), 1117813370675LL);
    auto sys = p->system("BGL");
    ASSERT_TRUE(sys);
    EXPECT_EQ(sys->anomalousLines, 10u);
    EXPECT_EQ(p->integrityCheck(), "ok");
}

TEST(Importer, SameFileTwiceIsDetected) {
    TempDir dir;
    writeFile(dir.file("a.log"), bglLines(50));
    auto p = Project::open(dir.file("p.mlad"));
    importFiles(*p, {dir.file("a.log")}, bglOptions());
    std::filesystem::copy_file(dir.file("a.log"), dir.file("copy.log"));
    auto r = importFiles(*p, {dir.file("copy.log")}, bglOptions());
    EXPECT_EQ(r.files[0].status, "duplicate");
    EXPECT_NE(r.files[0].message.find("already imported"), std::string::npos);
    EXPECT_EQ(count(*p, "SELECT count(*) FROM lines"), 50);
    auto opt = bglOptions();
    opt.force = true;
    r = importFiles(*p, {dir.file("copy.log")}, opt);
    EXPECT_EQ(r.files[0].status, "imported");
    EXPECT_EQ(count(*p, "SELECT count(*) FROM lines"), 100);
}

TEST(Importer, EmptyFileIsReportedAndNothingChanges) {
    TempDir dir;
    writeFile(dir.file("empty.log"), "");
    auto p = Project::open(dir.file("p.mlad"));
    auto r = importFiles(*p, {dir.file("empty.log")}, bglOptions());
    EXPECT_EQ(r.files[0].status, "empty");
    EXPECT_NE(r.files[0].message.find("empty.log"), std::string::npos);
    EXPECT_EQ(count(*p, "SELECT count(*) FROM lines"), 0);
}

// Issue 16, finding 11: what is not a log file is refused with its reason and its type, without
// blocking (a FIFO with no writer, /dev/zero), and an import that brought nothing in leaves no
// empty system behind; a system that existed before stays.
TEST(Importer, PathsThatAreNotLogFilesAreRefusedWithTheirReason) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    auto o = bglOptions();
    o.system = "NOPE";
    auto r = importFiles(*p, {dir.file("missing.log")}, o);
    ASSERT_EQ(r.files.size(), 1u);
    EXPECT_EQ(r.files[0].status, "failed");
    EXPECT_NE(r.files[0].message.find("missing.log"), std::string::npos) << r.files[0].message;
    EXPECT_NE(r.files[0].message.find("No such file or directory"), std::string::npos)
        << r.files[0].message;
    EXPECT_FALSE(p->system("NOPE").has_value());
    const std::string fifo = dir.file("pipe");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    for (const auto& [path, what] :
         std::vector<std::pair<std::string, std::string>>{{fifo, "FIFO"},
                                                          {"/dev/zero", "character device"},
                                                          {dir.path().string(), "directory"}}) {
        auto q = importFiles(*p, {path}, o);
        ASSERT_EQ(q.files.size(), 1u);
        EXPECT_EQ(q.files[0].status, "failed") << path;
        EXPECT_NE(q.files[0].message.find(what), std::string::npos) << q.files[0].message;
    }
    EXPECT_FALSE(p->system("NOPE").has_value());
    // An existing system is kept even when nothing new comes in.
    writeFile(dir.file("a.log"), bglLines(5));
    importFiles(*p, {dir.file("a.log")}, o);
    importFiles(*p, {dir.file("missing.log")}, o);
    ASSERT_TRUE(p->system("NOPE").has_value());
    EXPECT_EQ(count(*p, "SELECT count(*) FROM lines"), 5);
}

TEST(Importer, BinaryFileFailsCleanlyAndKeepsEarlierData) {
    TempDir dir;
    writeFile(dir.file("good.log"), bglLines(20));
    std::string bin(4096, '\0');
    for (size_t i = 0; i < bin.size(); ++i) bin[i] = char((i * 131) & 0xFF);
    writeFile(dir.file("blob.bin"), bin);
    auto p = Project::open(dir.file("p.mlad"));
    auto r = importFiles(*p, {dir.file("good.log"), dir.file("blob.bin")}, bglOptions());
    ASSERT_EQ(r.files.size(), 2u);
    EXPECT_EQ(r.files[1].status, "failed");
    EXPECT_NE(r.files[1].message.find("blob.bin:1"), std::string::npos) << r.files[1].message;
    EXPECT_NE(r.files[1].message.find("binary"), std::string::npos);
    EXPECT_TRUE(r.anyFailed());
    EXPECT_EQ(count(*p, "SELECT count(*) FROM lines"), 20);
    EXPECT_EQ(p->integrityCheck(), "ok");
}

TEST(Importer, BadLinesAreSkippedOrRepairedWithFileAndLine) {
    TempDir dir;
    std::string s = bglLines(5);                                 // lines 1-5
    s += "this line does not fit the BGL format\n";              // 6: no match
    s += std::string(kBglLine) + " caf\xC3\x28 bad utf8\n";      // 7: invalid UTF-8, repaired
    s += std::string("- 1 2 3 4 5 6 7 8 with\0nul", 27) + "\n";  // 8: NUL byte
    s += std::string(10 * 1024 * 1024, 'x') + "\n";              // 9: a 10 MB line
    s += bglLines(3);                                            // 10-12
    writeFile(dir.file("bad.log"), s);
    auto p = Project::open(dir.file("p.mlad"));
    auto r = importFiles(*p, {dir.file("bad.log")}, bglOptions());
    const auto& f = r.files.at(0);
    EXPECT_EQ(f.status, "imported");
    EXPECT_EQ(f.imported, 9u);
    EXPECT_EQ(f.noMatch, 1u);
    EXPECT_EQ(f.nulBytes, 1u);
    EXPECT_EQ(f.tooLong, 1u);
    EXPECT_EQ(f.repairedUtf8, 1u);
    EXPECT_EQ(f.skipped, 3u);
    auto issues = p->issues(f.fileId);
    ASSERT_EQ(issues.size(), 4u);
    EXPECT_EQ(issues[0].line, 6u);
    EXPECT_EQ(issues[0].kind, "no_match");
    EXPECT_NE(issues[0].message.find("bad.log:6"), std::string::npos);
    EXPECT_EQ(issues[1].line, 7u);
    EXPECT_EQ(issues[1].kind, "invalid_utf8");
    EXPECT_EQ(issues[2].line, 8u);
    EXPECT_EQ(issues[2].kind, "nul_bytes");
    EXPECT_EQ(issues[3].line, 9u);
    EXPECT_EQ(issues[3].kind, "too_long");
    EXPECT_NE(issues[3].message.find("bad.log:9"), std::string::npos);
    // The repaired line is valid UTF-8 in the store; the last lines kept their numbers.
    EXPECT_EQ(
        count(*p, "SELECT count(*) FROM lines WHERE line_no = 7 AND raw LIKE '%caf\xEF\xBF\xBD(%'"),
        1);
    EXPECT_EQ(count(*p, "SELECT max(line_no) FROM lines"), 12);
    auto files = p->files();
    EXPECT_EQ(files[0].linesSkipped, 3u);
    EXPECT_EQ(p->integrityCheck(), "ok");
}

TEST(Importer, TruncatedGzipFailsAtItsLineAndKeepsWhatCameBefore) {
    TempDir dir;
    std::string text = bglLines(20000);
    std::string gzPath = dir.file("full.log.gz");
    gzFile g = gzopen(gzPath.c_str(), "wb");
    gzwrite(g, text.data(), unsigned(text.size()));
    gzclose(g);
    // Cut the compressed file in half.
    auto size = std::filesystem::file_size(gzPath);
    std::filesystem::resize_file(gzPath, size / 2);
    auto p = Project::open(dir.file("p.mlad"));
    auto opt = bglOptions();
    opt.batchLines = 1000;
    auto r = importFiles(*p, {gzPath}, opt);
    const auto& f = r.files.at(0);
    EXPECT_EQ(f.status, "failed");
    EXPECT_NE(f.message.find("full.log.gz:"), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("gzip"), std::string::npos) << f.message;
    // Issue 16, finding 11: zlib's "<fd:N>" stream name stays out, and the stored issue names
    // the place once ("file:line: file:line: ..." before).
    EXPECT_EQ(f.message.find("<fd:"), std::string::npos) << f.message;
    {
        const auto issues = p->issues(f.fileId);
        ASSERT_FALSE(issues.empty());
        const std::string& m = issues.back().message;
        const size_t first = m.find("full.log.gz:");
        EXPECT_EQ(m.find("full.log.gz:", first == std::string::npos ? 0 : first + 1),
                  std::string::npos)
            << m;
        EXPECT_EQ(m.find("<fd:"), std::string::npos) << m;
    }
    EXPECT_GT(f.imported, 1000u);
    EXPECT_LT(f.imported, 20000u);
    EXPECT_EQ(count(*p, "SELECT count(*) FROM lines"), int64_t(f.imported));
    EXPECT_EQ(count(*p, "SELECT count(*) FROM files WHERE status = 'failed'"), 1);
    EXPECT_EQ(p->integrityCheck(), "ok");
}

TEST(Importer, PlainGzipMatchesPlainText) {
    TempDir dir;
    std::string text = bglLines(300);
    writeFile(dir.file("a.log"), text);
    gzFile g = gzopen(dir.file("b.log.gz").c_str(), "wb");
    gzwrite(g, text.data(), unsigned(text.size()));
    gzclose(g);
    auto p = Project::open(dir.file("p.mlad"));
    auto r1 = importFiles(*p, {dir.file("b.log.gz")}, bglOptions());
    EXPECT_EQ(r1.files[0].imported, 300u);
}

TEST(Importer, FileThatShrinksMidReadIsReported) {
    TempDir dir;
    const std::string path = dir.file("shrinks.log");
    writeFile(path, bglLines(80000));  // ~12 MiB: more than one 4 MiB read block
    auto p = Project::open(dir.file("p.mlad"));
    auto opt = bglOptions();
    opt.batchLines = 1000;
    bool truncated = false;
    TaskContext ctx(
        [&](const Progress&) {
            if (!truncated) {
                std::filesystem::resize_file(path, 0);  // another process empties the file
                truncated = true;
            }
        },
        0.0);
    auto r = importFiles(*p, {path}, opt, &ctx);
    const auto& f = r.files.at(0);
    EXPECT_TRUE(truncated);
    EXPECT_EQ(f.status, "failed");
    EXPECT_NE(f.message.find("shrank or disappeared"), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("shrinks.log:"), std::string::npos) << f.message;
    EXPECT_GT(f.imported, 0u);
    EXPECT_EQ(count(*p, "SELECT count(*) FROM lines"), int64_t(f.imported));
    EXPECT_EQ(p->integrityCheck(), "ok");
}

TEST(Importer, CancelledImportResumesWithoutDuplicates) {
    TempDir dir;
    const std::string path = dir.file("big.log");
    writeFile(path, bglLines(30000));
    auto p = Project::open(dir.file("p.mlad"));
    auto opt = bglOptions();
    opt.batchLines = 2000;
    int reports = 0;
    TaskContext* self = nullptr;
    TaskContext ctx(
        [&](const Progress&) {
            if (++reports == 3) self->cancel();
        },
        0.0);
    self = &ctx;
    auto r = importFiles(*p, {path}, opt, &ctx);
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(r.files[0].status, "cancelled");
    int64_t partial = count(*p, "SELECT count(*) FROM lines");
    EXPECT_GT(partial, 0);
    EXPECT_LT(partial, 30000);
    EXPECT_EQ(p->integrityCheck(), "ok");
    // Resume: the rest is imported, nothing twice, template counts consistent.
    auto r2 = importFiles(*p, {path}, opt);
    EXPECT_EQ(r2.files[0].status, "resumed");
    EXPECT_EQ(count(*p, "SELECT count(*) FROM lines"), 30000);
    EXPECT_EQ(count(*p,
                    "SELECT count(*) FROM (SELECT line_no FROM lines GROUP BY file_id, "
                    "line_no HAVING count(*) > 1)"),
              0);
    EXPECT_EQ(count(*p, "SELECT sum(count) FROM templates"), 30000);
    EXPECT_EQ(count(*p, "SELECT count(*) FROM templates"), 2);
    EXPECT_EQ(count(*p, "SELECT count(*) FROM files WHERE status = 'complete'"), 1);
}

TEST(Importer, HdfsBlockLabelsLabelLinesAndSystemsCoexist) {
    MLAD_REQUIRE_SHARED(log, "hdfs-v1-110blocks-logai/HDFS_5k.log");
    MLAD_REQUIRE_SHARED(labels, "hdfs-v1-110blocks-logai/anomaly_label.csv");
    MLAD_REQUIRE_SHARED(bgl, "loghub-2k/BGL/BGL_2k.log");
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    ImportOptions o;
    o.preset = *findPreset("HDFS");
    o.labelsCsv = labels;
    auto r = importFiles(*p, {log}, o);
    EXPECT_EQ(r.imported, 4519u);
    // The dataset README: 521 lines belong to the 10 anomalous blocks.
    EXPECT_EQ(count(*p, "SELECT count(*) FROM lines WHERE label = 1"), 521);
    EXPECT_EQ(p->groupLabelCount(r.systemId), 110u);
    auto r2 = importFiles(*p, {bgl}, bglOptions());
    EXPECT_EQ(r2.imported, 2000u);
    EXPECT_EQ(count(*p, "SELECT count(*) FROM lines WHERE label = 1 AND system_id = " +
                            std::to_string(r2.systemId)),
              143);
    EXPECT_EQ(p->systems().size(), 2u);
}

TEST(Importer, LabelsFileUsesTheSharedVocabularyAndNamesBadLines) {
    TempDir dir;
    // "false" / "TRUE" / "" are in the vocabulary of mlad/io/Labels.h (normal / anomalous /
    // unknown); "Machine down" is not, for the strict group labels of import.
    writeFile(dir.file("ok.csv"), "BlockId,Label\nblk_1, false\nblk_2,TRUE\nblk_3,\n");
    const auto labels = readGroupLabels(dir.file("ok.csv"));
    const std::vector<std::pair<std::string, int>> want = {
        {"blk_1", 0}, {"blk_2", 1}, {"blk_3", -1}};
    EXPECT_EQ(labels, want);

    writeFile(dir.file("a.log"), bglLines(10));
    writeFile(dir.file("bad.csv"), "BlockId,Label\nblk_1,Normal\nblk_2,Machine down\n");
    auto p = Project::open(dir.file("p.mlad"));
    ImportOptions o = bglOptions();
    o.labelsCsv = dir.file("bad.csv");
    try {
        importFiles(*p, {dir.file("a.log")}, o);
        ADD_FAILURE() << "expected an unknown label error";
    } catch (const InputError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(dir.file("bad.csv") + ":3: unknown label value 'Machine down'"),
                  std::string::npos)
            << msg;
        EXPECT_NE(msg.find("normal: normal"), std::string::npos) << msg;
    }
    EXPECT_EQ(count(*p, "SELECT count(*) FROM lines"), 0);  // nothing imported
}

TEST(Importer, ExportWritesLoghubLayout) {
    MLAD_REQUIRE_SHARED(log, "loghub-2k/HDFS/HDFS_2k.log");
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    ImportOptions o;
    o.preset = *findPreset("HDFS");
    importFiles(*p, {log}, o);
    auto e = exportLoghub(*p, "HDFS", dir.file("out"));
    EXPECT_EQ(e.lines, 2000u);
    std::ifstream s(e.structuredCsv);
    std::string header, first;
    std::getline(s, header);
    std::getline(s, first);
    EXPECT_EQ(header, "LineId,Date,Time,Pid,Level,Component,Content,EventId,EventTemplate");
    EXPECT_EQ(first.rfind("1,081109,203615,148,INFO,dfs.DataNode$PacketResponder,", 0), 0u)
        << first;
    std::ifstream t(e.templatesCsv);
    std::getline(t, header);
    EXPECT_EQ(header, "EventId,EventTemplate,Occurrences");
    uint64_t total = 0;
    std::string row;
    while (std::getline(t, row)) total += std::stoull(row.substr(row.rfind(',') + 1));
    EXPECT_EQ(total, 2000u);
}

// `mlad parse` splits and masks blocks of lines on worker threads and feeds Drain in file
// order: the rows are those of the plain per-line parser, in order, over several blocks (4096
// lines each) and with lines the format rejects; a line with nothing after its level (accepted
// with an empty Content) gets its own fields, not a neighbour's (the old second pass reused the
// spans of a failed match and wrote "RAS KERNEL,KERNEL,KERNEL,...").
TEST(ParseOnly, BlocksOnWorkerThreadsGiveThePerLineParsersRows) {
    TempDir dir;
    const std::string emptyTail =
        "- 1120866516 2005.07.08 R12-M0-N8-C:J12-U01 2005-07-08-16.48.36.430166 "
        "R12-M0-N8-C:J12-U01 RAS KERNEL FATAL";
    std::string text;
    const int n = 10000;
    for (int i = 0; i < n; ++i) {
        if (i % 997 == 5)
            text += "not a BGL line\n";
        else if (i % 1009 == 7)
            text += emptyTail + "\n";
        else if (i % 3 == 0)
            text += std::string(kBglAlert) + " " + std::to_string(i % 17) + "\n";
        else
            text += std::string(kBglLine) + " at 0x" + std::to_string(i) + "\n";
    }
    writeFile(dir.file("b.log"), text);
    const Preset& preset = *findPreset("BGL");
    auto r = parseToLoghub(preset, dir.file("b.log"), dir.file("out"));
    // The reference: one LineParser, line by line.
    LineParser ref(preset);
    std::vector<int> clusters;
    std::istringstream in(text);
    std::string line;
    ParsedLine pl;
    while (std::getline(in, line))
        if (ref.parse(line, pl)) clusters.push_back(pl.cluster);
    EXPECT_EQ(r.linesRead, uint64_t(n));
    EXPECT_EQ(r.parsed, clusters.size());
    EXPECT_EQ(r.skipped, uint64_t(n) - clusters.size());
    EXPECT_EQ(r.files.templates, ref.drain().size());
    std::ifstream s(r.files.structuredCsv);
    std::string header, row;
    std::getline(s, header);
    size_t k = 0, emptyTails = 0;
    while (std::getline(s, row)) {
        const auto cols = parseCsvLine(row);
        ASSERT_EQ(cols.size(), 13u) << row;
        EXPECT_EQ(cols[0], std::to_string(k + 1));
        ASSERT_LT(k, clusters.size());
        EXPECT_EQ(cols[11], "E" + std::to_string(clusters[k] + 1)) << row;
        EXPECT_EQ(cols[12], ref.drain().templateText(clusters[k])) << row;
        if (cols[1] == "-" && cols[9] == "FATAL" && cols[10].empty()) {
            EXPECT_EQ(cols[8], "KERNEL") << row;
            ++emptyTails;
        }
        ++k;
    }
    EXPECT_EQ(k, clusters.size());
    EXPECT_GE(emptyTails, 9u);
}

TEST(Importer, ExportKeepsHostileSystemNamesInsideTheFolder) {
    // Issue 16, finding 6: a system named like a path wrote outside --out.
    MLAD_REQUIRE_SHARED(log, "loghub-2k/HDFS/HDFS_2k.log");
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    ImportOptions o;
    o.preset = *findPreset("HDFS");
    for (const std::string name : {"../../escape", "/abs/path", "..", "a/b"}) {
        o.system = name;
        importFiles(*p, {log}, o);
        const std::string out = dir.file("out");
        const auto e = exportLoghub(*p, name, out);
        for (const auto& f : {e.structuredCsv, e.templatesCsv}) {
            const auto parent = std::filesystem::path(f).parent_path();
            EXPECT_EQ(std::filesystem::weakly_canonical(parent),
                      std::filesystem::weakly_canonical(out))
                << name << " -> " << f;
            EXPECT_TRUE(std::filesystem::exists(f)) << f;
        }
    }
    EXPECT_EQ(safeFileStem("../../escape"), "___.._escape");
    EXPECT_EQ(safeFileStem("/abs/path"), "_abs_path");
    EXPECT_EQ(safeFileStem(".."), "__");
    EXPECT_EQ(safeFileStem(""), "system");
    EXPECT_EQ(safeFileStem("sys \"q\" Zürich-λ"), "sys \"q\" Zürich-λ");
}

TEST(Project, RefusesForeignFilesAndNewerSchemas) {
    TempDir dir;
    writeFile(dir.file("text.mlad"), "hello, not a database at all, just text\n");
    EXPECT_THROW(Project::open(dir.file("text.mlad")), sql::Error);
    {
        sql::Database db(dir.file("other.db"));
        db.exec("CREATE TABLE x(a)");
    }
    EXPECT_THROW(Project::open(dir.file("other.db")), sql::Error);
    {
        sql::Database db(dir.file("future.mlad"));
        db.exec("PRAGMA user_version = 999");
    }
    try {
        Project::open(dir.file("future.mlad"));
        FAIL() << "expected an error";
    } catch (const sql::Error& e) {
        EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos);
    }
    auto p = Project::open(dir.file("new.mlad"));
    EXPECT_EQ(p->schemaVersion(), Project::kSchemaVersion);
    EXPECT_EQ(p->db().queryText("PRAGMA journal_mode").value(), "wal");
}

// Issue 16, finding 11: a template count near INT64_MAX (a damaged or hostile file) made the
// system summary fail with a raw "integer overflow" while the integrity check said ok.
TEST(Project, ImpossibleTemplateCountsAreNamedNotOverflowed) {
    TempDir dir;
    writeFile(dir.file("a.log"), bglLines(6));
    auto p = Project::open(dir.file("p.mlad"));
    importFiles(*p, {dir.file("a.log")}, bglOptions());
    EXPECT_EQ(p->integrityCheck(), "ok");
    p->db().exec("UPDATE templates SET count = 9223372036854775800");
    std::vector<SystemInfo> systems;
    ASSERT_NO_THROW(systems = p->systems());
    ASSERT_EQ(systems.size(), 1u);
    EXPECT_GT(systems[0].lines, 0u);
    const std::string check = p->integrityCheck();
    EXPECT_NE(check.find("impossible counts"), std::string::npos) << check;
    // Importing more still works (and says nothing about overflow).
    writeFile(dir.file("b.log"), bglLines(3));
    EXPECT_NO_THROW(importFiles(*p, {dir.file("b.log")}, bglOptions()));
}

}  // namespace

// A template's first-seen time is its earliest line's, whatever the batches (the update used to
// compare the batch's count with the stored time, so a later batch overwrote it).
TEST(Importer, TemplateFirstAndLastSeenAreTheEarliestAndLatestLines) {
    TempDir dir;
    {
        std::ofstream o(dir.file("ras.log"));
        for (int i = 0; i < 120; ++i) {
            char t[64];
            std::snprintf(t, sizeof t, "2005-06-03-15.%02d.%02d.000000", i / 60, i % 60);
            // "generating core" on every third line; batches of 7 lines see it 2 or 3 times.
            o << "- " << 1117813320 + i << " 2005.06.03 R02 " << t << " R02 RAS KERNEL INFO "
              << (i % 3 == 0 ? "generating core.77" : "instruction cache parity error corrected")
              << "\n";
        }
    }
    auto p = Project::open(dir.file("p.mlad"));
    ImportOptions opt;
    opt.preset = *findPreset("BGL");
    opt.batchLines = 7;
    importFiles(*p, {dir.file("ras.log")}, opt);
    const auto wrong = p->db().queryInt(
        "SELECT count(*) FROM templates t WHERE first_ts IS NOT (SELECT min(ts) FROM lines "
        "WHERE template_id = t.id) OR last_ts IS NOT (SELECT max(ts) FROM lines WHERE "
        "template_id = t.id)");
    EXPECT_EQ(wrong.value_or(-1), 0);
    EXPECT_EQ(p->templates(p->system("BGL")->id).size(), 2u);
}

// Issue 16 finding 7: a file's identity is a digest of all its bytes. A file that differs from
// an imported one only in the middle is imported (it used to be skipped as "already imported"),
// a log that grew gets only its new lines, and the complete copy of a file whose import failed
// on a truncation continues it instead of storing its first lines twice.
namespace {
void writeLines(const std::string& path, int from, int to,
                std::ios::openmode mode = std::ios::trunc) {
    std::ofstream o(path, std::ios::binary | mode);
    for (int i = from; i < to; ++i)
        o << "- " << 1117838570 + i << " 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.363779"
          << " R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected "
          << i % 13 << "\n";
}
uint64_t duplicatedLines(Project& p) {
    return uint64_t(p.db()
                        .queryInt("SELECT count(*) FROM (SELECT 1 FROM lines GROUP BY file_id, "
                                  "line_no HAVING count(*) > 1)")
                        .value_or(-1));
}
std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}
ImportOptions smallBatches() {
    ImportOptions opt;
    opt.preset = *findPreset("BGL");
    opt.batchLines = 100;
    return opt;
}
}  // namespace

TEST(ImportIdentity, AFileThatDiffersInTheMiddleIsImported) {
    TempDir dir;
    const std::string log = dir.file("a.log");
    writeLines(log, 0, 3000);
    auto p = Project::open(dir.file("p.mlad"));
    ASSERT_EQ(importFiles(*p, {log}, smallBatches()).files[0].status, "imported");
    {
        // Same size, same first and last 64 KiB: one digit changed in the middle.
        std::string text = readFile(log);
        const size_t at = text.find('7', text.size() / 2);
        ASSERT_NE(at, std::string::npos);
        text[at] = '8';
        std::ofstream(log, std::ios::binary | std::ios::trunc) << text;
    }
    const auto r = importFiles(*p, {log}, smallBatches());
    EXPECT_EQ(r.files[0].status, "imported") << r.files[0].message;
    EXPECT_NE(r.files[0].message.find("imported before with other content"), std::string::npos)
        << r.files[0].message;
    EXPECT_EQ(p->system("BGL")->lines, 6000u);
    // The same bytes once more are a duplicate.
    EXPECT_EQ(importFiles(*p, {log}, smallBatches()).files[0].status, "duplicate");
}

TEST(ImportIdentity, AGrownLogGetsOnlyItsNewLines) {
    TempDir dir;
    const std::string log = dir.file("ras.log");
    writeLines(log, 0, 1000);
    auto p = Project::open(dir.file("p.mlad"));
    ASSERT_EQ(importFiles(*p, {log}, smallBatches()).files[0].status, "imported");
    writeLines(log, 1000, 1500, std::ios::app);
    const auto r = importFiles(*p, {log}, smallBatches());
    ASSERT_EQ(r.files.size(), 1u);
    EXPECT_EQ(r.files[0].status, "appended") << r.files[0].message;
    EXPECT_EQ(r.files[0].imported, 500u);
    EXPECT_NE(r.files[0].message.find("only the lines after line 1000"), std::string::npos)
        << r.files[0].message;
    EXPECT_EQ(p->system("BGL")->lines, 1500u);
    EXPECT_EQ(duplicatedLines(*p), 0u);
    EXPECT_EQ(p->files().size(), 1u);  // one file, grown
    const auto sum = p->db().queryInt("SELECT sum(count) FROM templates").value_or(-1);
    EXPECT_EQ(sum, 1500);
    EXPECT_EQ(importFiles(*p, {log}, smallBatches()).files[0].status, "duplicate");
    // A log that grew while its last line was being written: the stored line is the part
    // written then, and the import says so.
    {
        std::ofstream o(log, std::ios::binary | std::ios::app);
        o << "- 1117840000 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.363779 "
             "R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache";
    }
    EXPECT_EQ(importFiles(*p, {log}, smallBatches()).files[0].status, "appended");
    EXPECT_EQ(p->system("BGL")->lines, 1501u);
    writeLines(log, 2000, 2010, std::ios::app);  // ends the partial line, then 9 more lines
    const auto r2 = importFiles(*p, {log}, smallBatches());
    EXPECT_EQ(r2.files[0].status, "appended") << r2.files[0].message;
    EXPECT_NE(r2.files[0].message.find("line 1501 was imported before it was complete"),
              std::string::npos)
        << r2.files[0].message;
    EXPECT_EQ(p->system("BGL")->lines, 1510u);
    EXPECT_EQ(duplicatedLines(*p), 0u);
}

TEST(ImportIdentity, ACompleteCopyContinuesAFailedTruncatedGzip) {
    TempDir dir;
    writeLines(dir.file("ras.log"), 0, 20000);
    const std::string whole = readFile(dir.file("ras.log"));
    gzFile gz = gzopen(dir.file("full.log.gz").c_str(), "wb");
    ASSERT_NE(gz, nullptr);
    gzwrite(gz, whole.data(), unsigned(whole.size()));
    gzclose(gz);
    const std::string bytes = readFile(dir.file("full.log.gz"));
    std::ofstream(dir.file("cut.log.gz"), std::ios::binary)
        .write(bytes.data(), std::streamsize(bytes.size() * 2 / 3));
    auto p = Project::open(dir.file("p.mlad"));
    const auto failed = importFiles(*p, {dir.file("cut.log.gz")}, smallBatches());
    ASSERT_EQ(failed.files[0].status, "failed");
    EXPECT_GT(p->system("BGL")->lines, 0u);  // what came before the cut is kept
    const auto r = importFiles(*p, {dir.file("full.log.gz")}, smallBatches());
    EXPECT_EQ(r.files[0].status, "appended") << r.files[0].message;
    EXPECT_NE(r.files[0].message.find("may have been imported before it was complete"),
              std::string::npos)
        << r.files[0].message;
    EXPECT_EQ(p->system("BGL")->lines, 20000u);
    EXPECT_EQ(duplicatedLines(*p), 0u);
    EXPECT_EQ(p->integrityCheck(), "ok");
}

TEST(ImportIdentity, FilesImportedByEarlierVersionsAreStillRecognised) {
    TempDir dir;
    const std::string log = dir.file("ras.log");
    writeLines(log, 0, 500);
    auto p = Project::open(dir.file("p.mlad"));
    importFiles(*p, {log}, smallBatches());
    // Schema 4 stored size + first/last 64 KiB hashes.
    p->db().exec("UPDATE files SET fingerprint = '" + fileFingerprint(log) + "'");
    EXPECT_EQ(importFiles(*p, {log}, smallBatches()).files[0].status, "duplicate");
}

// A first import whose labels file is bad is refused before anything is written: no empty
// system stays in the project.
TEST(Importer, ABadLabelsFileLeavesNoSystemBehind) {
    TempDir dir;
    writeLines(dir.file("ras.log"), 0, 10);
    { std::ofstream(dir.file("labels.csv")) << "BlockId,Label\nblk_1,maybe\n"; }
    auto p = Project::open(dir.file("p.mlad"));
    ImportOptions opt = smallBatches();
    opt.labelsCsv = dir.file("labels.csv");
    EXPECT_THROW(importFiles(*p, {dir.file("ras.log")}, opt), InputError);
    EXPECT_TRUE(p->systems().empty());
}
