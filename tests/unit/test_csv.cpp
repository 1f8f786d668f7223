// The shared CSV reader (mlad/io/Csv.h) and the label vocabulary (mlad/io/Labels.h). Data-only:
// no LibTorch or ML header here.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "TestData.h"
#include "mlad/io/Csv.h"
#include "mlad/io/Labels.h"

namespace {

using namespace mlad;
using mlad::test::TempDir;
using Fields = std::vector<std::string>;

void writeFile(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary);
    out << content;
}

// The message of the InputError that `f` throws ("" and a test failure when it throws none).
template <class F>
std::string errorOf(F&& f) {
    try {
        f();
    } catch (const InputError& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected an InputError";
    return "";
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST(Csv, QuotesCommasLineBreaksCrlfAndBom) {
    TempDir dir;
    const std::string path = dir.file("t.csv");
    writeFile(path,
              "\xEF\xBB\xBFid,text,n\r\n"                   // 1: header behind a BOM
              "a,plain,1\r\n"                               // 2
              "b,\"with, comma\",2\r\n"                     // 3
              "c,\"say \"\"hi\"\"\",3\r\n"                  // 4
              "\r\n"                                        // 5: blank, skipped
              "d,\"two\r\nlines, and \"\"more\"\"\",4\r\n"  // 6-7: one record
              "e,  \"spaced\"  ,5\n"                        // 8: LF only
              "f,x\"y,\n"                                   // 9: quote inside a field
              "g,\"\",\"three\n\nlines\"\n"                 // 10-12
              "h,last,8");                                  // 13: no final line break
    CsvReader csv(path);
    EXPECT_EQ(csv.header(), (Fields{"id", "text", "n"}));  // BOM gone: "id" matches exactly
    EXPECT_EQ(csv.headerLine(), 1u);
    EXPECT_EQ(csv.column("id"), 0u);
    EXPECT_EQ(csv.column("n"), 2u);
    std::vector<std::pair<uint64_t, Fields>> got;
    while (csv.next()) got.emplace_back(csv.line(), csv.fields());
    const std::vector<std::pair<uint64_t, Fields>> want = {
        {2, {"a", "plain", "1"}},          {3, {"b", "with, comma", "2"}},
        {4, {"c", "say \"hi\"", "3"}},     {6, {"d", "two\nlines, and \"more\"", "4"}},
        {8, {"e", "spaced", "5"}},         {9, {"f", "x\"y", ""}},
        {10, {"g", "", "three\n\nlines"}}, {13, {"h", "last", "8"}},
    };
    EXPECT_EQ(got, want);
    EXPECT_FALSE(csv.next());  // stays at the end
}

TEST(Csv, WithoutHeaderTheFirstRecordIsData) {
    TempDir dir;
    const std::string path = dir.file("t.csv");
    writeFile(path, "\n  \nx,1\ny,2\n");
    CsvReader::Options opt;
    opt.header = false;
    CsvReader csv(path, opt);
    EXPECT_TRUE(csv.header().empty());
    ASSERT_TRUE(csv.next());
    EXPECT_EQ(csv.line(), 3u);
    EXPECT_EQ(csv.fields(), (Fields{"x", "1"}));
    ASSERT_TRUE(csv.next());
    EXPECT_EQ(csv.at(1), "2");
    EXPECT_FALSE(csv.next());
}

TEST(Csv, MissingColumnNamesTheAvailableOnes) {
    TempDir dir;
    const std::string path = dir.file("labels.csv");
    writeFile(path, "\nBlockId, label ,Extra\nblk_1,Normal,x\n");
    CsvReader csv(path);
    EXPECT_EQ(csv.header(), (Fields{"BlockId", "label", "Extra"}));  // names trimmed
    EXPECT_FALSE(csv.findColumn("Label"));                           // case-sensitive
    EXPECT_EQ(csv.findColumn("label").value_or(99), 1u);
    const std::string msg = errorOf([&] { csv.column("Label"); });
    EXPECT_TRUE(has(msg, path + ":2: ")) << msg;  // the header's line
    EXPECT_TRUE(has(msg, "missing column 'Label'")) << msg;
    EXPECT_TRUE(has(msg, "BlockId, label, Extra")) << msg;
}

TEST(Csv, ShortRecordNamesTheColumnAndLine) {
    TempDir dir;
    const std::string path = dir.file("t.csv");
    writeFile(path, "id,Label\na,0\nb\n");
    CsvReader csv(path);
    ASSERT_TRUE(csv.next());
    EXPECT_EQ(csv.at(1), "0");
    ASSERT_TRUE(csv.next());
    const std::string msg = errorOf([&] { csv.at(1); });
    EXPECT_TRUE(has(msg, path + ":3: ")) << msg;
    EXPECT_TRUE(has(msg, "'Label'")) << msg;
}

TEST(Csv, MalformedInputNamesFileAndLine) {
    TempDir dir;
    // An unclosed quote: reported at the line where the quoted field opens.
    const std::string open = dir.file("open.csv");
    writeFile(open, "a,b\n1,2\n3,\"never closed\n4,5\n6,7\n");
    std::string msg = errorOf([&] {
        CsvReader csv(open);
        while (csv.next()) {
        }
    });
    EXPECT_TRUE(has(msg, open + ":3: ")) << msg;
    EXPECT_TRUE(has(msg, "not closed")) << msg;

    // Text after a closing quote, on the second line of a record.
    const std::string after = dir.file("after.csv");
    writeFile(after, "a,b\n1,\"x\ny\"z\n");
    msg = errorOf([&] {
        CsvReader csv(after);
        while (csv.next()) {
        }
    });
    EXPECT_TRUE(has(msg, after + ":3: ")) << msg;
    EXPECT_TRUE(has(msg, "'z' after the closing quote")) << msg;

    // A record over the size limit stops reading early, naming the quote's line.
    const std::string big = dir.file("big.csv");
    std::string content = "a,b\nx,\"runaway\n";
    for (int i = 0; i < 100; ++i) content += "filler line " + std::to_string(i) + "\n";
    writeFile(big, content);
    CsvReader::Options opt;
    opt.maxRecordBytes = 200;
    msg = errorOf([&] {
        CsvReader csv(big, opt);
        while (csv.next()) {
        }
    });
    EXPECT_TRUE(has(msg, big + ":2: ")) << msg;
    EXPECT_TRUE(has(msg, "never closed?")) << msg;

    // An empty file has no header; a missing file cannot be opened.
    writeFile(dir.file("empty.csv"), "\n\n");
    msg = errorOf([&] { CsvReader csv(dir.file("empty.csv")); });
    EXPECT_TRUE(has(msg, "expected a header row")) << msg;
    msg = errorOf([&] { CsvReader csv(dir.file("absent.csv")); });
    EXPECT_TRUE(has(msg, dir.file("absent.csv"))) << msg;
}

// The documented vocabulary (Labels.h): every value once, then a few in odd case and spacing.
const std::vector<std::pair<std::string, int>> kVocabulary = {
    {"normal", 0},   {"0", 0},       {"0.0", 0},       {"false", 0},    {"no", 0},    {"-", 0},
    {"success", 0},  {"anomaly", 1}, {"anomalous", 1}, {"abnormal", 1}, {"alert", 1}, {"1", 1},
    {"1.0", 1},      {"true", 1},    {"yes", 1},       {"failure", 1},  {"fail", 1},  {"", -1},
    {"unknown", -1}, {"?", -1},      {"na", -1},       {"n/a", -1},     {"nan", -1},  {"null", -1},
    {" Normal ", 0}, {"ANOMALY", 1}, {"\tFalse", 0},   {"N/A", -1},     {"  ", -1},   {"Yes", 1},
};

TEST(Labels, OneVocabularyForEveryReader) {
    TempDir dir;
    const std::string path = dir.file("labels.csv");
    std::string content = "BlockId,Label\r\n";
    for (size_t i = 0; i < kVocabulary.size(); ++i)
        content += "g" + std::to_string(i) + ",\"" + kVocabulary[i].first + "\"\r\n";
    writeFile(path, content);

    // Group labels, strict and lenient: the vocabulary means the same in both.
    for (auto other : {OtherLabelValues::Error, OtherLabelValues::Anomalous}) {
        const auto labels = readGroupLabels(path, other);
        ASSERT_EQ(labels.size(), kVocabulary.size());
        for (size_t i = 0; i < labels.size(); ++i) {
            EXPECT_EQ(labels[i].first, "g" + std::to_string(i));
            EXPECT_EQ(labels[i].second, kVocabulary[i].second)
                << "'" << kVocabulary[i].first << "'";
        }
    }
    // The same file through the reader and readLabel (what the session CSV import does).
    CsvReader csv(path);
    const size_t col = csv.column("Label");
    size_t i = 0;
    while (csv.next()) {
        ASSERT_LT(i, kVocabulary.size());
        EXPECT_EQ(readLabel(csv, col), kVocabulary[i].second) << "'" << kVocabulary[i].first << "'";
        EXPECT_EQ(classifyLabel(kVocabulary[i].first).value_or(99), kVocabulary[i].second);
        EXPECT_EQ(csv.line(), i + 2);
        ++i;
    }
    EXPECT_EQ(i, kVocabulary.size());
    EXPECT_EQ(kLabelNormal, 0);
    EXPECT_EQ(kLabelAnomalous, 1);
    EXPECT_EQ(kLabelUnknown, -1);
}

TEST(Labels, UnknownValueIsAnErrorNamingFileAndLine) {
    TempDir dir;
    const std::string path = dir.file("labels.csv");
    writeFile(path, "BlockId,Label\nblk_1,Normal\n\nblk_2,Machine down\nblk_3,Anomaly\n");
    const std::string msg = errorOf([&] { readGroupLabels(path); });
    EXPECT_TRUE(has(msg, path + ":4: ")) << msg;
    EXPECT_TRUE(has(msg, "unknown label value 'Machine down'")) << msg;
    EXPECT_TRUE(has(msg, labelVocabulary())) << msg;
    EXPECT_TRUE(has(labelVocabulary(), "normal: normal, 0")) << labelVocabulary();
    EXPECT_TRUE(has(labelVocabulary(), "unknown: (empty), unknown")) << labelVocabulary();
    EXPECT_FALSE(classifyLabel("Machine down"));
    const std::string direct = errorOf([&] { parseLabel("maybe", "x.csv", 7); });
    EXPECT_TRUE(has(direct, "x.csv:7: unknown label value 'maybe'")) << direct;

    // Per-file / per-folder labels may name the fault: anomalous, the vocabulary unchanged.
    const auto lenient = readGroupLabels(path, OtherLabelValues::Anomalous);
    const std::vector<std::pair<std::string, int>> want = {
        {"blk_1", 0}, {"blk_2", 1}, {"blk_3", 1}};
    EXPECT_EQ(lenient, want);
    EXPECT_EQ(parseLabel("", "x.csv", 1, OtherLabelValues::Anomalous), kLabelUnknown);
}

TEST(Labels, GroupLabelsFileShape) {
    TempDir dir;
    // The Label column is found ignoring case when no column is named exactly "Label"; the id
    // column is the first other one; ids are trimmed.
    writeFile(dir.file("a.csv"), "Workload,LABEL,ApplicationId\n wc ,1,app_1\n");
    const std::vector<std::pair<std::string, int>> want = {{"wc", 1}};
    EXPECT_EQ(readGroupLabels(dir.file("a.csv")), want);

    writeFile(dir.file("nolabel.csv"), "BlockId,Class\nblk_1,Normal\n");
    std::string msg = errorOf([&] { readGroupLabels(dir.file("nolabel.csv")); });
    EXPECT_TRUE(has(msg, dir.file("nolabel.csv") + ":1: missing column 'Label'")) << msg;
    EXPECT_TRUE(has(msg, "BlockId, Class")) << msg;

    writeFile(dir.file("onlylabel.csv"), "Label\nNormal\n");
    msg = errorOf([&] { readGroupLabels(dir.file("onlylabel.csv")); });
    EXPECT_TRUE(has(msg, "no id column")) << msg;

    writeFile(dir.file("short.csv"), "Label,BlockId\nNormal\n");
    msg = errorOf([&] { readGroupLabels(dir.file("short.csv")); });
    EXPECT_TRUE(has(msg, dir.file("short.csv") + ":2: ")) << msg;

    writeFile(dir.file("headeronly.csv"), "BlockId,Label\n");
    msg = errorOf([&] { readGroupLabels(dir.file("headeronly.csv")); });
    EXPECT_TRUE(has(msg, "no labels found")) << msg;
}

TEST(Labels, RealHdfsAndHadoopLabelFiles) {
    MLAD_REQUIRE_SHARED(hdfs, "hdfs-v1-110blocks-logai/anomaly_label.csv");
    MLAD_REQUIRE_SHARED(hadoop, "hadoop-loghub/app_labels.csv");
    // HDFS: Normal / Anomaly per block; dataset README: 110 blocks, 10 Anomaly.
    const auto blocks = readGroupLabels(hdfs);
    ASSERT_EQ(blocks.size(), 110u);
    std::map<int, int> byLabel;
    for (const auto& [id, label] : blocks) {
        EXPECT_EQ(id.rfind("blk_", 0), 0u) << id;
        ++byLabel[label];
    }
    EXPECT_EQ(byLabel[1], 10);
    EXPECT_EQ(byLabel[0], 100);
    EXPECT_EQ(byLabel.count(-1), 0u);

    // Hadoop: Normal or the injected fault; README: 47 applications, 9 Normal, 38 abnormal.
    const auto apps = readGroupLabels(hadoop, OtherLabelValues::Anomalous);
    ASSERT_EQ(apps.size(), 47u);
    byLabel.clear();
    for (const auto& [id, label] : apps) {
        EXPECT_EQ(id.rfind("application_", 0), 0u) << id;  // ApplicationId, the first column
        ++byLabel[label];
    }
    EXPECT_EQ(byLabel[0], 9);
    EXPECT_EQ(byLabel[1], 38);
    // Strict reading stops at the first fault name, naming the file and line.
    const std::string msg = errorOf([&] { readGroupLabels(hadoop); });
    EXPECT_TRUE(has(msg, hadoop + ":3: unknown label value 'Machine down'")) << msg;
}

}  // namespace
