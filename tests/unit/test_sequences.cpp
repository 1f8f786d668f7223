// Sequences (windows, time windows, sessions, pre-parsed sessions) and evaluation splits.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "TestData.h"
#include "mlad/import/Importer.h"
#include "mlad/import/Sessions.h"
#include "mlad/io/Labels.h"
#include "mlad/io/TimeParse.h"
#include "mlad/seq/Sequences.h"
#include "mlad/seq/Splits.h"
#include "mlad/store/Project.h"
#include "mlad/util/Json.h"

namespace {

using namespace mlad;
using mlad::test::TempDir;
using Labels = std::vector<std::pair<std::string, int>>;

void writeFile(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary);
    out << content;
}

// (key, label) of every sequence of a set, in order.
Labels keyLabels(Project& p, int64_t setId) {
    Labels out;
    for (const auto& r : sequencesOfSet(p, setId)) out.emplace_back(r.key, r.label);
    return out;
}

// 45 BGL lines one second apart, lines 7 and 31 are alerts.
void importSmallBgl(Project& p, const TempDir& dir) {
    std::ofstream o(dir.file("small.log"));
    for (int i = 0; i < 45; ++i) {
        int sec = i;
        char time[64];
        std::snprintf(time, sizeof time, "2005-06-03-15.42.%02d.000000", sec);
        o << ((i == 6 || i == 30) ? "KERNDTLB " : "- ") << 1117813320 + sec << " 2005.06.03 R02 "
          << time << " R02 RAS KERNEL INFO "
          << (i % 2 ? "cache parity error corrected" : "generating core.1234") << "\n";
    }
    o.close();
    ImportOptions opt;
    opt.preset = *findPreset("BGL");
    importFiles(p, {dir.file("small.log")}, opt);
}

TEST(Sequences, FixedAndSlidingWindows) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    importSmallBgl(*p, dir);
    SequenceSpec fixed;
    fixed.size = 20;
    fixed.step = 20;
    auto info = buildSequences(*p, "BGL", fixed);
    EXPECT_EQ(info.name, "window20-step20");
    EXPECT_EQ(info.count, 3u);  // 20 + 20 + a last window of 5
    auto rows = sequencesOfSet(*p, info.id);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].length, 20);
    EXPECT_EQ(rows[2].length, 5);
    EXPECT_EQ(rows[0].label, 1);  // line 7
    EXPECT_EQ(rows[1].label, 1);  // line 31
    EXPECT_EQ(rows[2].label, 0);
    EXPECT_EQ(info.anomalous, 2u);
    // Trace back to raw lines.
    auto lines = sequenceLines(*p, rows[1].id);
    ASSERT_EQ(lines.size(), 20u);
    EXPECT_EQ(lines.front().lineNo, 21);
    EXPECT_EQ(lines[10].raw.rfind("KERNDTLB", 0), 0u);
    EXPECT_EQ(rows[1].events.size(), 20u);
    EXPECT_EQ(rows[1].events[0], lines[0].templateId);

    SequenceSpec sliding;
    sliding.size = 20;
    sliding.step = 5;
    auto s2 = buildSequences(*p, "BGL", sliding);
    EXPECT_EQ(s2.count, 6u);  // starts 0,5,...,25
    auto r2 = sequencesOfSet(*p, s2.id);
    EXPECT_EQ(r2[1].firstLine - r2[0].firstLine, 5);
    // Rebuilding a set of the same name replaces it.
    auto again = buildSequences(*p, "BGL", fixed);
    EXPECT_EQ(again.count, 3u);
    EXPECT_EQ(sequenceSets(*p).size(), 2u);
}

TEST(Sequences, TimeWindows) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    importSmallBgl(*p, dir);
    SequenceSpec t;
    t.kind = SequenceSpec::Kind::TimeWindow;
    t.spanMs = 10000;
    t.stepMs = 10000;
    auto info = buildSequences(*p, "BGL", t);
    EXPECT_EQ(info.count, 5u);  // 45 s in 10 s windows
    auto rows = sequencesOfSet(*p, info.id);
    EXPECT_EQ(rows[0].length, 10);
    EXPECT_EQ(rows[4].length, 5);
    EXPECT_EQ(sequenceLineIds(*p, rows[0].id).size(), 10u);
}

TEST(Sequences, HdfsSessionsByBlockId) {
    MLAD_REQUIRE_SHARED(log, "hdfs-v1-110blocks-logai/HDFS_5k.log");
    MLAD_REQUIRE_SHARED(labels, "hdfs-v1-110blocks-logai/anomaly_label.csv");
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    ImportOptions o;
    o.preset = *findPreset("HDFS");
    o.labelsCsv = labels;
    importFiles(*p, {log}, o);
    SequenceSpec s;
    s.kind = SequenceSpec::Kind::SessionRegex;  // the preset's blk_-?\d+
    auto info = buildSequences(*p, "HDFS", s);
    EXPECT_EQ(info.count, 110u);
    EXPECT_EQ(info.anomalous, 10u);
    EXPECT_EQ(info.unlabelled, 0u);
    // Every member line of a session mentions its block id.
    auto rows = sequencesOfSet(*p, info.id, 0, 5);
    for (const auto& r : rows)
        for (const auto& l : sequenceLines(*p, r.id))
            EXPECT_NE(l.raw.find(r.key), std::string::npos) << r.key;
}

TEST(Sequences, SessionRegexMatchingTheEmptyStringIsRefused) {
    // Issue 16, finding 4: 'x*' or '.*' made the session loop spin forever at 100 % CPU.
    MLAD_REQUIRE_SHARED(log, "loghub-2k/HDFS/HDFS_2k.log");
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    ImportOptions o;
    o.preset = *findPreset("HDFS");
    importFiles(*p, {log}, o);
    for (const char* re : {"x*", ".*", "(blk)?", "a|"}) {
        SequenceSpec s;
        s.kind = SequenceSpec::Kind::SessionRegex;
        s.regex = re;
        try {
            buildSequences(*p, "HDFS", s);
            ADD_FAILURE() << re << " was accepted";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("matches the empty string"), std::string::npos)
                << e.what();
        }
    }
    // The same regex as a group regex for labels is refused at import, before any line.
    ImportOptions g;
    g.preset = *findPreset("HDFS");
    g.preset.groupRegex = "x*";
    g.system = "HDFS2";
    g.labelsCsv = dir.file("labels.csv");
    {
        std::ofstream l(g.labelsCsv);
        l << "BlockId,Label\nblk_1,Anomaly\n";
    }
    EXPECT_THROW(importFiles(*p, {log}, g), std::invalid_argument);
}

TEST(Sequences, HadoopSessionsByFolderWithLabels) {
    MLAD_REQUIRE_SHARED(labels, "hadoop-loghub/app_labels.csv");
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    ImportOptions o;
    o.preset = *findPreset("Hadoop");
    std::vector<std::string> files;
    for (const char* app : {"application_1445062781478_0011", "application_1445062781478_0012"}) {
        auto d =
            std::filesystem::path(mlad::test::sharedFile("hadoop-loghub/apps/" + std::string(app)));
        int n = 0;
        for (const auto& e : std::filesystem::directory_iterator(d))
            if (n++ < 3) files.push_back(e.path().string());
    }
    importFiles(*p, files, o);
    SequenceSpec s;
    s.kind = SequenceSpec::Kind::SessionFolder;
    s.labelsCsv = labels;
    auto info = buildSequences(*p, "Hadoop", s);
    EXPECT_EQ(info.count, 2u);
    auto rows = sequencesOfSet(*p, info.id);
    std::map<std::string, int> byKey;
    for (const auto& r : rows) byKey[r.key] = r.label;
    EXPECT_EQ(byKey["application_1445062781478_0011"], 0);  // Normal
    EXPECT_EQ(byKey["application_1445062781478_0012"], 1);  // Machine down
}

// Group labels with an unknown value: the block's lines and its session stay unlabelled (the
// stored -1 overrides the label the session would derive from its lines).
TEST(Sequences, UnknownGroupLabelsLeaveLinesAndSessionsUnlabelled) {
    TempDir dir;
    std::string log;
    int sec = 10;
    for (const char* blk : {"blk_1", "blk_2", "blk_3", "blk_2", "blk_-4"})
        log += "081109 2035" + std::to_string(sec++) +
               " 143 INFO dfs.DataNode$DataXceiver: Receiving block " + blk +
               " src: /10.0.0.1:1 dest: /10.0.0.2:2\n";
    writeFile(dir.file("hdfs.log"), log);
    writeFile(dir.file("labels.csv"),
              "BlockId,Label\nblk_1,Normal\nblk_2,Anomaly\nblk_3,\nblk_-4,n/a\n");
    auto p = Project::open(dir.file("p.mlad"));
    ImportOptions o;
    o.preset = *findPreset("HDFS");
    o.labelsCsv = dir.file("labels.csv");
    auto r = importFiles(*p, {dir.file("hdfs.log")}, o);
    ASSERT_EQ(r.imported, 5u);
    EXPECT_EQ(p->groupLabelCount(r.systemId), 4u);
    EXPECT_EQ(p->db().queryInt("SELECT count(*) FROM lines WHERE label = 1").value_or(-1), 2);
    EXPECT_EQ(p->db().queryInt("SELECT count(*) FROM lines WHERE label = 0").value_or(-1), 1);
    EXPECT_EQ(p->db().queryInt("SELECT count(*) FROM lines WHERE label IS NULL").value_or(-1), 2);
    SequenceSpec s;
    s.kind = SequenceSpec::Kind::SessionRegex;
    auto info = buildSequences(*p, "HDFS", s);
    EXPECT_EQ(info.count, 4u);
    EXPECT_EQ(info.anomalous, 1u);
    EXPECT_EQ(info.unlabelled, 2u);
    EXPECT_EQ(keyLabels(*p, info.id),
              (Labels{{"blk_1", 0}, {"blk_2", 1}, {"blk_3", -1}, {"blk_-4", -1}}));
}

// The session CSV import reads labels with the same vocabulary as the group labels: the same
// file gives the same labels either way ("false" is normal; an empty or "unknown" label leaves
// the session unlabelled instead of making it anomalous).
TEST(Sequences, PreparsedSessionLabelsUseTheSharedVocabulary) {
    TempDir dir;
    writeFile(dir.file("templates.csv"),
              "EventId,EventTemplate\r\nE1,\"open <*>, now\"\r\nE2,close <*>\r\n");
    const std::string csv = dir.file("sessions.csv");
    writeFile(csv,
              "BlockId,Label,EventIds\n"
              "blk_1,Normal,1 2\n"
              "blk_2,false,\"[E1, E2, E2]\"\n"
              "blk_3,,2\n"
              "blk_4,Anomaly,1\n"
              "blk_5, TRUE ,2 1\n"
              "blk_6,unknown,1\n");
    auto p = Project::open(dir.file("p.mlad"));
    PreparsedSpec s;
    s.system = "S";
    s.templatesCsv = dir.file("templates.csv");
    s.csvFile = csv;
    auto info = importPreparsedSessions(*p, s);
    EXPECT_EQ(info.count, 6u);
    EXPECT_EQ(info.anomalous, 2u);
    EXPECT_EQ(info.unlabelled, 2u);
    const Labels want = {{"blk_1", 0}, {"blk_2", 0}, {"blk_3", -1},
                         {"blk_4", 1}, {"blk_5", 1}, {"blk_6", -1}};
    EXPECT_EQ(keyLabels(*p, info.id), want);
    EXPECT_EQ(readGroupLabels(csv), want);
    auto rows = sequencesOfSet(*p, info.id);
    ASSERT_EQ(rows[1].events.size(), 3u);
    auto t = p->templateById(rows[1].events[0]);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->text, "open <*>, now");  // quoted comma in the templates CSV
    EXPECT_EQ(t->ordinal, 1);
    EXPECT_EQ(rows[1].firstLine, 0);  // no member lines

    // A value outside the vocabulary stops the import at its line, before anything is written.
    writeFile(dir.file("bad.csv"), "BlockId,Label,EventIds\nblk_1,0,1\nblk_2,maybe,1\n");
    s.csvFile = dir.file("bad.csv");
    s.setName = "bad";
    try {
        importPreparsedSessions(*p, s);
        ADD_FAILURE() << "expected an unknown label error";
    } catch (const InputError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(dir.file("bad.csv") + ":3: unknown label value 'maybe'"),
                  std::string::npos)
            << msg;
    }
    EXPECT_FALSE(findSequenceSet(*p, "S", "bad"));
    // A missing column names the columns there are.
    writeFile(dir.file("cols.csv"), "BlockId,Label,Events\nblk_1,0,1\n");
    s.csvFile = dir.file("cols.csv");
    try {
        importPreparsedSessions(*p, s);
        ADD_FAILURE() << "expected a missing column error";
    } catch (const InputError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(dir.file("cols.csv") + ":1: missing column 'EventIds'"),
                  std::string::npos)
            << msg;
        EXPECT_NE(msg.find("BlockId, Label, Events"), std::string::npos) << msg;
    }
}

class HdfsSessions : public ::testing::Test {
  protected:
    void SetUp() override {
        csv = mlad::test::sharedFile("hdfs-v1-100k-sessions-deeploglizer/sessions.csv");
        templates = mlad::test::sharedFile("loghub-2k/HDFS/HDFS_templates.csv");
        if (csv.empty() || templates.empty()) GTEST_SKIP() << "shared HDFS session data missing";
        p = Project::open(dir.file("p.mlad"));
        PreparsedSpec s;
        s.system = "HDFS";
        s.templatesCsv = templates;
        s.csvFile = csv;
        info = importPreparsedSessions(*p, s);
    }
    TempDir dir;
    std::string csv, templates;
    std::unique_ptr<Project> p;
    SequenceSetInfo info;
};

TEST_F(HdfsSessions, ImportsTheSessionCsv) {
    // Dataset README: 7,406 sessions, 298 anomalous.
    EXPECT_EQ(info.count, 7406u);
    EXPECT_EQ(info.anomalous, 298u);
    auto first = sequencesOfSet(*p, info.id, 0, 1).at(0);
    EXPECT_EQ(first.key, "blk_-1678953999018234643");
    EXPECT_EQ(first.length, 13);
    EXPECT_EQ(first.label, 0);
    auto t = p->templateById(first.events[0]);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->ordinal, 22);
}

TEST_F(HdfsSessions, ChronologicalSplitMatchesTheReferenceProtocol) {
    SplitSpec s;
    s.name = "chrono";
    s.protocol = "chronological";
    s.systems = {"HDFS"};
    s.trainFraction = 0.6;
    s.valFraction = 0.1;
    auto sp = createSplit(*p, s);
    // The reference split: last 40% of sessions = 2,963 test sessions, 116 anomalous.
    EXPECT_EQ(sp.test.total, 2963u);
    EXPECT_EQ(sp.test.anomalous, 116u);
    EXPECT_EQ(sp.train.anomalous + sp.val.anomalous, 0u);
    // No shuffling across the boundary: every training ordinal precedes every test ordinal.
    auto ordinal = [&](int64_t id) { return sequenceById(*p, id)->ordinal; };
    auto train = splitPart(*p, sp.id, "train"), val = splitPart(*p, sp.id, "val"),
         test = splitPart(*p, sp.id, "test");
    int64_t maxTrain = 0, minTest = INT64_MAX;
    for (auto id : train) maxTrain = std::max(maxTrain, ordinal(id));
    for (auto id : val) maxTrain = std::max(maxTrain, ordinal(id));
    for (auto id : test) minTest = std::min(minTest, ordinal(id));
    EXPECT_LT(maxTrain, minTest);
    EXPECT_GT(sp.testIdenticalToTrain, 0u);
    EXPECT_GT(sp.anomalousIdenticalToNormal, 0u);
    EXPECT_NE(sp.reportJson.find("\"unseen_test_templates\""), std::string::npos);
}

TEST_F(HdfsSessions, PaperSplitSizesNoOverlapAndSeeds) {
    SplitSpec s;
    s.name = "paper";
    s.protocol = "paper";
    s.systems = {"HDFS"};
    s.seed = 7;
    auto a = createSplit(*p, s);
    EXPECT_EQ(a.test.total, 2u * 298u);
    EXPECT_EQ(a.test.anomalous, 298u);
    EXPECT_EQ(a.train.anomalous, 0u);
    EXPECT_EQ(a.train.total + a.val.total + a.test.total, 7406u);
    std::set<int64_t> seen;
    for (const char* part : {"train", "val", "test"})
        for (auto id : splitPart(*p, a.id, part)) EXPECT_TRUE(seen.insert(id).second) << id;
    auto testA = splitPart(*p, a.id, "test");
    // Same seed -> same split; another seed -> another one.
    s.name = "paper-again";
    auto b = createSplit(*p, s);
    EXPECT_EQ(splitPart(*p, b.id, "test"), testA);
    s.name = "paper-other";
    s.seed = 8;
    auto c = createSplit(*p, s);
    EXPECT_NE(splitPart(*p, c.id, "test"), testA);
    EXPECT_EQ(listSplits(*p).size(), 3u);
}

TEST(Splits, TransferAndMultiSystem) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    importSmallBgl(*p, dir);
    // A second system from the same file under another name.
    ImportOptions o;
    o.preset = *findPreset("BGL");
    o.system = "BGL2";
    o.force = true;
    importFiles(*p, {dir.file("small.log")}, o);
    SequenceSpec w;
    w.size = 5;
    w.step = 5;
    buildSequences(*p, "BGL", w);
    buildSequences(*p, "BGL2", w);
    SplitSpec t;
    t.name = "t";
    t.protocol = "transfer";
    t.trainSystem = "BGL";
    t.testSystem = "BGL2";
    auto tr = createSplit(*p, t);
    EXPECT_EQ(tr.test.total, 9u);
    EXPECT_EQ(tr.train.total + tr.val.total, 7u);  // BGL's 9 windows less its 2 anomalous
    // The leakage report compares by template text across systems: BGL2 is the same file, so
    // its normal windows equal BGL's training windows and no template is new to training
    // except those only the anomalous windows hold.
    EXPECT_GE(tr.testIdenticalToTrain, 7u);
    EXPECT_LT(tr.unseenTestTemplates.size(), 2u);
    Json report = Json::parse(tr.reportJson);
    EXPECT_EQ(report.at("test_identical_to_train").get<uint64_t>(), tr.testIdenticalToTrain);
    SplitSpec m;
    m.name = "m";
    m.protocol = "multi-system";
    m.systems = {"BGL", "BGL2"};
    auto ms = createSplit(*p, m);
    EXPECT_EQ(ms.systems.size(), 2u);
    EXPECT_GT(ms.test.total, 0u);
    SplitSpec bad;
    bad.name = "x";
    bad.protocol = "nonsense";
    EXPECT_THROW(createSplit(*p, bad), std::invalid_argument);
    bad.protocol = "chronological";
    bad.systems = {"missing"};
    EXPECT_THROW(createSplit(*p, bad), std::invalid_argument);
}

TEST(Splits, ChronologicalCutAtATime) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    importSmallBgl(*p, dir);  // 45 lines, one a second from 15:42:00; lines 6 and 30 anomalous
    SequenceSpec w;
    w.size = 5;
    w.step = 5;
    buildSequences(*p, "BGL", w);  // 9 windows starting at :00, :05, ... :40
    SplitSpec s;
    s.name = "cut";
    s.systems = {"BGL"};
    s.valFraction = 0.34;
    s.trainUntil = parseUtcTime("2005-06-03T15:42:20");
    auto info = createSplit(*p, s);
    // Windows from :00 to :15 form the training window; the one holding line 6 is anomalous
    // and left out, the latest of the other three (a third) is validation.
    EXPECT_EQ(info.train.total, 2u);
    EXPECT_EQ(info.val.total, 1u);
    EXPECT_EQ(info.test.total, 5u);
    EXPECT_EQ(info.test.anomalous, 1u);  // the window holding line 30
    EXPECT_NE(info.params.find("train_until=2005-06-03T15:42:20Z"), std::string::npos);
    auto startOf = [&](int64_t id) {
        auto st = p->db().prepare("SELECT start_ts FROM sequences WHERE id = ?");
        st.bind(1, id);
        EXPECT_TRUE(st.step());
        return st.getInt(0);
    };
    for (const char* part : {"train", "val"})
        for (int64_t id : splitPart(*p, info.id, part)) EXPECT_LT(startOf(id), *s.trainUntil);
    for (int64_t id : splitPart(*p, info.id, "test")) EXPECT_GE(startOf(id), *s.trainUntil);
    // A cut before every sequence leaves nothing to train on, and says when the data starts.
    s.trainUntil = parseUtcTime("2005-06-03");
    try {
        createSplit(*p, s);
        ADD_FAILURE() << "a cut before the data was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("2005-06-03T15:42:00Z"), std::string::npos)
            << e.what();
    }
    // The paper protocol samples at random: a time cut does not belong there.
    s.trainUntil = parseUtcTime("2005-06-03T15:42:20");
    s.protocol = "paper";
    EXPECT_THROW(createSplit(*p, s), std::invalid_argument);
}

TEST_F(HdfsSessions, ATimeCutIsRefusedForSequencesWithoutTimestamps) {
    SplitSpec s;
    s.name = "cut";
    s.systems = {"HDFS"};
    s.trainUntil = parseUtcTime("2008-11-10");
    try {
        createSplit(*p, s);
        ADD_FAILURE() << "pre-parsed sessions have no time, yet the cut was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("7406 of 7406 sequences have no timestamp"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_FALSE(findSplit(*p, "cut").has_value());
}

TEST(Splits, TransferBetweenTwoSetsOfOneSystem) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    importSmallBgl(*p, dir);
    SequenceSpec a;
    a.size = a.step = 5;
    a.name = "w5";
    buildSequences(*p, "BGL", a);
    SequenceSpec b;
    b.size = b.step = 3;
    b.name = "w3";
    buildSequences(*p, "BGL", b);
    SplitSpec t;
    t.name = "t";
    t.protocol = "transfer";
    t.trainSystem = t.testSystem = "BGL";
    t.trainSet = "w5";
    t.testSet = "w3";
    auto info = createSplit(*p, t);
    EXPECT_EQ(info.train.total + info.val.total, 7u);  // 9 windows of 5, 2 anomalous
    EXPECT_EQ(info.test.total, 15u);                   // every window of 3
    EXPECT_EQ(info.systems, (std::vector<std::string>{"BGL:w5", "BGL:w3"}));
    EXPECT_NE(info.params.find("test_set=w3"), std::string::npos);
    // The same set on both sides would test on the training sequences.
    t.testSet = "w5";
    EXPECT_THROW(createSplit(*p, t), std::invalid_argument);
    t.testSet = "missing";
    EXPECT_THROW(createSplit(*p, t), std::invalid_argument);
}

TEST(Sequences, SessionCsvWithoutAnIdColumnGetsMadeUpIds) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    {
        std::ofstream t(dir.file("t.csv"));
        t << "EventId,EventTemplate\nE5,Receiving block <*>\nE22,allocateBlock <*>\n";
        std::ofstream c(dir.file("s.csv"));
        c << "Label,EventIds\nNormal,22 5 5\nAnomaly,\"[5, 22]\"\n";
    }
    PreparsedSpec s;
    s.system = "S";
    s.templatesCsv = dir.file("t.csv");
    s.csvFile = dir.file("s.csv");
    const SequenceSetInfo info = importPreparsedSessions(*p, s);
    EXPECT_EQ(info.count, 2u);
    EXPECT_EQ(info.anomalous, 1u);
    const auto rows = sequencesOfSet(*p, info.id);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].key, "row1");
    EXPECT_EQ(rows[1].key, "row2");
    EXPECT_EQ(rows[0].events.size(), 3u);
    // A column the user names must exist: the error names the file and the columns there are.
    s.idColumn = "SessionId";
    s.setName = "again";
    try {
        importPreparsedSessions(*p, s);
        ADD_FAILURE() << "a missing --id-column was accepted";
    } catch (const std::exception& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("s.csv"), std::string::npos) << m;
        EXPECT_NE(m.find("missing column 'SessionId'"), std::string::npos) << m;
    }
}

TEST(Sequences, ExtendingASetAddsWindowsOfNewLinesAndKeepsItsSplits) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    importSmallBgl(*p, dir);  // 45 lines
    SequenceSpec w;
    w.size = w.step = 5;
    w.name = "w";
    const SequenceSetInfo first = buildSequences(*p, "BGL", w);
    ASSERT_EQ(first.count, 9u);
    std::vector<int64_t> oldIds;
    for (const auto& q : sequencesOfSet(*p, first.id)) oldIds.push_back(q.id);
    SplitSpec sp;
    sp.name = "s";
    sp.systems = {"BGL"};
    sp.sequenceSet = "w";
    const SplitInfo split = createSplit(*p, sp);
    const uint64_t members = split.train.total + split.val.total + split.test.total;
    // Nothing new yet: extending adds nothing.
    w.extend = true;
    EXPECT_EQ(buildSequences(*p, "BGL", w).count, 9u);
    // The next month's 12 lines, imported into the same system.
    {
        std::ofstream o(dir.file("later.log"));
        for (int i = 0; i < 12; ++i)
            o << (i == 7 ? "KERNDTLB " : "- ") << 1120000000 + i << " 2005.06.29 R02 "
              << "2005-06-29-00.00." << (10 + i) << ".000000 R02 RAS KERNEL INFO "
              << "cache parity error corrected\n";
        o.close();
        ImportOptions opt;
        opt.preset = *findPreset("BGL");
        opt.system = "BGL";
        importFiles(*p, {dir.file("later.log")}, opt);
    }
    const SequenceSetInfo extended = buildSequences(*p, "BGL", w);
    EXPECT_EQ(extended.id, first.id);
    EXPECT_EQ(extended.count, 9u + 3u);  // 5 + 5 + a last window of 2
    EXPECT_EQ(extended.anomalous, first.anomalous + 1);
    const auto rows = sequencesOfSet(*p, first.id);
    ASSERT_EQ(rows.size(), 12u);
    for (size_t i = 0; i < oldIds.size(); ++i) EXPECT_EQ(rows[i].id, oldIds[i]);
    for (size_t i = 9; i < rows.size(); ++i) {
        EXPECT_GT(rows[i].firstLine, rows[8].lastLine);
        EXPECT_GT(rows[i].ordinal, rows[i - 1].ordinal);
    }
    // The split that uses the set is untouched.
    const auto again = findSplit(*p, "s");
    ASSERT_TRUE(again.has_value());
    size_t now = 0;
    for (const char* part : {"train", "val", "test"}) now += splitPart(*p, again->id, part).size();
    EXPECT_EQ(now, members);
    // Other settings, sessions, time order or a missing set are refused with a reason.
    SequenceSpec other = w;
    other.step = 3;
    EXPECT_THROW(buildSequences(*p, "BGL", other), std::invalid_argument);
    other = w;
    other.timeOrder = true;
    EXPECT_THROW(buildSequences(*p, "BGL", other), std::invalid_argument);
    other = w;
    other.name = "missing";
    EXPECT_THROW(buildSequences(*p, "BGL", other), std::invalid_argument);
    SequenceSpec sessions;
    sessions.kind = SequenceSpec::Kind::SessionFile;
    sessions.extend = true;
    EXPECT_THROW(buildSequences(*p, "BGL", sessions), std::invalid_argument);
}

}  // namespace
