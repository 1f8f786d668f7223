// Tests for the deterministic demo-data generator: layout of the generated logs, consistency of
// labels and truth, determinism, and that each labelled anomaly kind really looks like its kind.
#include "demo/DemoGenerator.h"
#include "mlad/import/DemoProject.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;
using mlad::demo::DemoFiles;
using mlad::demo::DemoOptions;
using mlad::demo::generateDemo;

namespace {

// A scratch directory under the system temp dir, named after the running test, removed on exit.
class TempDir {
  public:
    explicit TempDir(const std::string& tag) {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string name = "mlad_demo_";
        name += info ? std::string(info->test_suite_name()) + "_" + info->name() : "suite";
        name += "_" + tag;
        path_ = fs::temp_directory_path() / name;
        fs::remove_all(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    std::string str() const { return path_.string(); }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << "cannot read " << path;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> splitLines(const std::string& text) {
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        lines.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return lines;
}

std::vector<std::string> splitChar(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == sep) {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    out.push_back(cur);
    return out;
}

// Every whitespace token that contains a digit becomes "*": a crude but parser-independent way
// to group lines by template.
std::string maskDigits(const std::string& content) {
    std::string out;
    std::istringstream in(content);
    std::string tok;
    while (in >> tok) {
        const bool digit =
            std::any_of(tok.begin(), tok.end(), [](unsigned char c) { return std::isdigit(c); });
        if (!out.empty()) out += ' ';
        out += digit ? "*" : tok;
    }
    return out;
}

// The block id a line mentions (the first `blk_<int>`), or "" if none.
std::string blockIdOf(const std::string& line) {
    size_t p = line.find("blk_");
    while (p != std::string::npos) {
        size_t q = p + 4;
        if (q < line.size() && line[q] == '-') ++q;
        size_t digits = q;
        while (digits < line.size() && std::isdigit(static_cast<unsigned char>(line[digits])))
            ++digits;
        if (digits > q) return line.substr(p, digits - p);
        p = line.find("blk_", p + 4);
    }
    return {};
}

struct TruthRow {
    std::string system, unit, id, kind;
};

std::vector<TruthRow> readTruth(const std::string& path) {
    const auto lines = splitLines(readFile(path));
    std::vector<TruthRow> rows;
    EXPECT_FALSE(lines.empty());
    if (lines.empty()) return rows;
    EXPECT_EQ(lines[0], "system,unit,id,kind");
    for (size_t i = 1; i < lines.size(); ++i) {
        const auto f = splitChar(lines[i], ',');
        EXPECT_EQ(f.size(), 4u) << lines[i];
        if (f.size() == 4) rows.push_back({f[0], f[1], f[2], f[3]});
    }
    return rows;
}

const std::set<std::string>& allKinds() {
    static const std::set<std::string> kinds = {
        mlad::demo::kKindUnseenTemplate, mlad::demo::kKindMissingEvent, mlad::demo::kKindReordered,
        mlad::demo::kKindErrorBurst, mlad::demo::kKindNormalTemplatesOnly};
    return kinds;
}

// One default-sized generation shared by the read-only tests.
class DemoGeneratorDefault : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        // One directory per process: ctest -j runs the cases of this suite in parallel
        // processes, and a shared name let one process delete the files another was reading.
        dir_ = new fs::path(fs::temp_directory_path() /
                            ("mlad_demo_default_suite." + std::to_string(::getpid())));
        fs::remove_all(*dir_);
        files_ = new DemoFiles(generateDemo(dir_->string()));
    }
    static void TearDownTestSuite() {
        std::error_code ec;
        fs::remove_all(*dir_, ec);
        delete files_;
        delete dir_;
        files_ = nullptr;
        dir_ = nullptr;
    }
    static fs::path* dir_;
    static DemoFiles* files_;
};
fs::path* DemoGeneratorDefault::dir_ = nullptr;
DemoFiles* DemoGeneratorDefault::files_ = nullptr;

DemoOptions smallOptions(uint64_t seed) {
    DemoOptions o;
    o.seed = seed;
    o.hdfsBlocks = 600;
    o.rasLines = 5000;
    return o;
}

}  // namespace

TEST(DemoGenerator, SameSeedGivesIdenticalBytes) {
    TempDir a("a"), b("b");
    const DemoFiles fa = generateDemo(a.str());
    const DemoFiles fb = generateDemo(b.str());
    for (const char* name :
         {"demo_hdfs.log", "demo_hdfs_labels.csv", "demo_ras.log", "demo_truth.csv"}) {
        const std::string ca = readFile((a.path() / name).string());
        const std::string cb = readFile((b.path() / name).string());
        EXPECT_FALSE(ca.empty()) << name;
        EXPECT_TRUE(ca == cb) << name << " differs between two runs with the same seed";
    }
    EXPECT_EQ(fa.hdfsLines, fb.hdfsLines);
    EXPECT_EQ(fa.rasLinesWritten, fb.rasLinesWritten);
    EXPECT_EQ(fa.hdfsAnomalousBlocks, fb.hdfsAnomalousBlocks);
    EXPECT_EQ(fa.rasAnomalousLines, fb.rasAnomalousLines);
    EXPECT_EQ(fa.hdfsLog, (a.path() / "demo_hdfs.log").string());
    EXPECT_EQ(fa.truth, (a.path() / "demo_truth.csv").string());
}

TEST(DemoGenerator, DifferentSeedGivesDifferentLogs) {
    TempDir a("a"), b("b");
    const DemoFiles fa = generateDemo(a.str(), smallOptions(1));
    const DemoFiles fb = generateDemo(b.str(), smallOptions(2));
    EXPECT_NE(readFile(fa.hdfsLog), readFile(fb.hdfsLog));
    EXPECT_NE(readFile(fa.hdfsLabels), readFile(fb.hdfsLabels));
    EXPECT_NE(readFile(fa.rasLog), readFile(fb.rasLog));
    EXPECT_NE(readFile(fa.truth), readFile(fb.truth));
}

TEST(DemoGenerator, SystemsUseIndependentStreams) {
    // Resizing one system must not change the other one's bytes.
    TempDir a("a"), b("b");
    DemoOptions oa = smallOptions(7), ob = smallOptions(7);
    ob.hdfsBlocks = 900;
    oa.rasLines = 5000;
    const DemoFiles fa = generateDemo(a.str(), oa);
    const DemoFiles fb = generateDemo(b.str(), ob);
    EXPECT_EQ(readFile(fa.rasLog), readFile(fb.rasLog));
    EXPECT_NE(readFile(fa.hdfsLog), readFile(fb.hdfsLog));
    EXPECT_EQ(fb.hdfsBlocks, 900u);
}

TEST_F(DemoGeneratorDefault, LabelsMatchCountsAndTruth) {
    const DemoFiles& f = *files_;
    const auto lines = splitLines(readFile(f.hdfsLabels));
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], "BlockId,Label");
    EXPECT_EQ(lines.size() - 1, static_cast<size_t>(DemoOptions{}.hdfsBlocks));
    EXPECT_EQ(f.hdfsBlocks, static_cast<uint64_t>(DemoOptions{}.hdfsBlocks));

    std::set<std::string> ids, anomalous;
    for (size_t i = 1; i < lines.size(); ++i) {
        const auto fields = splitChar(lines[i], ',');
        ASSERT_EQ(fields.size(), 2u) << lines[i];
        EXPECT_TRUE(ids.insert(fields[0]).second) << "duplicate block " << fields[0];
        EXPECT_TRUE(fields[1] == "Normal" || fields[1] == "Anomaly") << lines[i];
        if (fields[1] == "Anomaly") anomalous.insert(fields[0]);
    }
    EXPECT_EQ(anomalous.size(), f.hdfsAnomalousBlocks);
    // The default rate is 3 % of 4000 blocks.
    EXPECT_EQ(f.hdfsAnomalousBlocks, 120u);

    std::set<std::string> truthBlocks;
    std::set<uint64_t> truthLines;
    for (const auto& r : readTruth(f.truth)) {
        EXPECT_EQ(allKinds().count(r.kind), 1u) << r.kind;
        if (r.system == "hdfs") {
            EXPECT_EQ(r.unit, "block");
            EXPECT_TRUE(truthBlocks.insert(r.id).second) << "duplicate truth row " << r.id;
        } else {
            EXPECT_EQ(r.system, "ras");
            EXPECT_EQ(r.unit, "line");
            const uint64_t n = std::stoull(r.id);
            EXPECT_GE(n, 1u);
            EXPECT_LE(n, f.rasLinesWritten);
            EXPECT_TRUE(truthLines.insert(n).second) << "duplicate truth line " << n;
        }
    }
    EXPECT_EQ(truthBlocks, anomalous);
    EXPECT_EQ(truthLines.size(), f.rasAnomalousLines);
    // About 2 % of the lines sit inside anomalous episodes.
    EXPECT_GT(f.rasAnomalousLines, 0u);
    EXPECT_LE(f.rasAnomalousLines, f.rasLinesWritten / 20);
}

TEST_F(DemoGeneratorDefault, HdfsLinesFollowLoghubLayout) {
    const DemoFiles& f = *files_;
    const auto lines = splitLines(readFile(f.hdfsLog));
    ASSERT_EQ(lines.size(), f.hdfsLines);
    ASSERT_GT(lines.size(), f.hdfsBlocks * 10);

    std::set<std::string> labelled;
    for (const auto& l : splitLines(readFile(f.hdfsLabels)))
        if (l.rfind("blk_", 0) == 0) labelled.insert(splitChar(l, ',')[0]);

    const std::regex layout(R"(^(\d{6}) (\d{6}) (\d+) (\w+) (\S+): (.*)$)");
    std::string prev;
    std::set<std::string> seen;
    bool negative = false, positive = false;
    std::smatch m;
    for (const auto& line : lines) {
        ASSERT_TRUE(std::regex_match(line, m, layout)) << line;
        const std::string date = m[1], time = m[2];
        const int month = std::stoi(date.substr(2, 2)), day = std::stoi(date.substr(4, 2));
        EXPECT_TRUE(month >= 1 && month <= 12 && day >= 1 && day <= 31) << line;
        EXPECT_LT(std::stoi(time.substr(0, 2)), 24) << line;
        EXPECT_LT(std::stoi(time.substr(2, 2)), 60) << line;
        EXPECT_LT(std::stoi(time.substr(4, 2)), 60) << line;
        const std::string stamp = date + time;  // fixed width, so string order is time order
        ASSERT_GE(stamp, prev) << "time goes backwards at: " << line;
        prev = stamp;

        const std::string blk = blockIdOf(m[6]);
        ASSERT_FALSE(blk.empty()) << "no block id in: " << line;
        EXPECT_EQ(labelled.count(blk), 1u) << "unlabelled block " << blk;
        seen.insert(blk);
        (blk[4] == '-' ? negative : positive) = true;
    }
    EXPECT_EQ(seen, labelled) << "every labelled block must appear in the log";
    EXPECT_TRUE(negative && positive) << "block ids should include negative and positive values";
}

TEST_F(DemoGeneratorDefault, RasLinesFollowBglLayout) {
    const DemoFiles& f = *files_;
    const auto lines = splitLines(readFile(f.rasLog));
    ASSERT_EQ(lines.size(), f.rasLinesWritten);
    ASSERT_EQ(lines.size(), static_cast<size_t>(DemoOptions{}.rasLines));

    std::set<uint64_t> truthLines;
    for (const auto& r : readTruth(f.truth))
        if (r.system == "ras") truthLines.insert(std::stoull(r.id));

    const std::regex label(R"(^(-|[A-Z]{4,12})$)");
    const std::regex date(R"(^(\d{4})\.(\d{2})\.(\d{2})$)");
    const std::regex time(R"(^(\d{4})-(\d{2})-(\d{2})-(\d{2})\.(\d{2})\.(\d{2})\.\d{6}$)");
    const std::set<std::string> levels = {"INFO", "WARNING", "SEVERE", "ERROR", "FATAL", "FAILURE"};
    long long prevEpoch = 0;
    std::string prevTime;
    for (size_t i = 0; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        std::istringstream in(line);
        std::vector<std::string> fields(9);
        for (auto& fld : fields) in >> fld;
        std::string content;
        std::getline(in, content);
        ASSERT_FALSE(fields[8].empty()) << "fewer than 9 header fields: " << line;
        ASSERT_GT(content.size(), 1u) << "no content: " << line;
        EXPECT_EQ(content[0], ' ');

        std::smatch dm, tm;
        ASSERT_TRUE(std::regex_match(fields[0], label)) << line;
        ASSERT_TRUE(std::regex_match(fields[2], dm, date)) << line;
        ASSERT_TRUE(std::regex_match(fields[4], tm, time)) << line;
        EXPECT_EQ(fields[3], fields[5]) << "node and node-repeat differ: " << line;
        EXPECT_EQ(fields[6], "RAS") << line;
        EXPECT_EQ(levels.count(fields[8]), 1u) << line;

        // The epoch field is the UTC second of the Time field; the Date field is its date.
        const long long epoch = std::stoll(fields[1]);
        const std::time_t tt = static_cast<std::time_t>(epoch);
        const std::tm* utc = std::gmtime(&tt);
        ASSERT_NE(utc, nullptr);
        EXPECT_EQ(std::stoi(dm[1]), utc->tm_year + 1900) << line;
        EXPECT_EQ(std::stoi(dm[2]), utc->tm_mon + 1) << line;
        EXPECT_EQ(std::stoi(dm[3]), utc->tm_mday) << line;
        EXPECT_EQ(std::stoi(tm[1]), utc->tm_year + 1900) << line;
        EXPECT_EQ(std::stoi(tm[2]), utc->tm_mon + 1) << line;
        EXPECT_EQ(std::stoi(tm[3]), utc->tm_mday) << line;
        EXPECT_EQ(std::stoi(tm[4]), utc->tm_hour) << line;
        EXPECT_EQ(std::stoi(tm[5]), utc->tm_min) << line;
        EXPECT_EQ(std::stoi(tm[6]), utc->tm_sec) << line;

        ASSERT_GE(epoch, prevEpoch) << "time goes backwards at line " << i + 1;
        ASSERT_GE(fields[4], prevTime) << "time goes backwards at line " << i + 1;
        prevEpoch = epoch;
        prevTime = fields[4];

        // Alert label exactly on the lines the truth file lists.
        EXPECT_EQ(fields[0] != "-", truthLines.count(i + 1) == 1) << "line " << i + 1;
    }
}

TEST_F(DemoGeneratorDefault, AllAnomalyKindsAppear) {
    std::map<std::string, std::set<std::string>> kindsBySystem;
    for (const auto& r : readTruth(files_->truth)) kindsBySystem[r.system].insert(r.kind);
    std::set<std::string> all;
    for (const auto& [system, kinds] : kindsBySystem) all.insert(kinds.begin(), kinds.end());
    EXPECT_EQ(all, allKinds());
    const std::set<std::string> hdfsKinds = {
        mlad::demo::kKindUnseenTemplate, mlad::demo::kKindMissingEvent, mlad::demo::kKindReordered,
        mlad::demo::kKindNormalTemplatesOnly};
    const std::set<std::string> rasKinds = {mlad::demo::kKindUnseenTemplate,
                                            mlad::demo::kKindErrorBurst,
                                            mlad::demo::kKindNormalTemplatesOnly};
    EXPECT_EQ(kindsBySystem["hdfs"], hdfsKinds);
    EXPECT_EQ(kindsBySystem["ras"], rasKinds);
}

// Each HDFS anomaly kind must show its defining property when compared with the normal blocks.
TEST_F(DemoGeneratorDefault, HdfsAnomaliesLookLikeTheirKind) {
    std::unordered_map<std::string, std::string> kindOf;
    for (const auto& r : readTruth(files_->truth))
        if (r.system == "hdfs") kindOf[r.id] = r.kind;

    // Template sequence per block, templates numbered in order of first sight.
    std::unordered_map<std::string, int> keyIds;
    std::map<std::string, std::vector<int>> sessions;
    const std::regex layout(R"(^\d{6} \d{6} \d+ (\w+) (\S+): (.*)$)");
    std::smatch m;
    for (const auto& line : splitLines(readFile(files_->hdfsLog))) {
        ASSERT_TRUE(std::regex_match(line, m, layout));
        const std::string key =
            std::string(m[1]) + " " + std::string(m[2]) + " " + maskDigits(m[3]);
        const int id = keyIds.emplace(key, static_cast<int>(keyIds.size())).first->second;
        sessions[blockIdOf(m[3])].push_back(id);
    }
    const size_t nKeys = keyIds.size();
    EXPECT_GE(nKeys, 15u);

    auto counts = [&](const std::vector<int>& seq) {
        std::vector<int> c(nKeys, 0);
        for (int k : seq) ++c[static_cast<size_t>(k)];
        return c;
    };
    // (key a, occurrence i) came before (key b, occurrence j)
    auto pairCode = [](int a, int i, int b, int j) {
        return (static_cast<uint64_t>(a) << 48) | (static_cast<uint64_t>(std::min(i, 255)) << 32) |
               (static_cast<uint64_t>(b) << 16) | static_cast<uint64_t>(std::min(j, 255));
    };
    auto forEachPair = [&](const std::vector<int>& seq, auto fn) {
        std::vector<int> occ(nKeys, 0), occAt(seq.size());
        for (size_t i = 0; i < seq.size(); ++i) occAt[i] = ++occ[static_cast<size_t>(seq[i])];
        for (size_t i = 0; i < seq.size(); ++i)
            for (size_t j = i + 1; j < seq.size(); ++j)
                fn(pairCode(seq[i], occAt[i], seq[j], occAt[j]));
    };

    std::vector<bool> normalKey(nKeys, false);
    std::vector<int> coreMin(nKeys, INT32_MAX), normalMax(nKeys, 0);
    std::unordered_set<uint64_t> normalPairs;
    size_t normalBlocks = 0;
    for (const auto& [blk, seq] : sessions) {
        if (kindOf.count(blk)) continue;
        ++normalBlocks;
        const auto c = counts(seq);
        for (size_t k = 0; k < nKeys; ++k) {
            if (c[k] > 0) normalKey[k] = true;
            coreMin[k] = std::min(coreMin[k], c[k]);
            normalMax[k] = std::max(normalMax[k], c[k]);
        }
        forEachPair(seq, [&](uint64_t p) { normalPairs.insert(p); });
    }
    ASSERT_GT(normalBlocks, 1000u);

    std::map<std::string, int> checked;
    for (const auto& [blk, kind] : kindOf) {
        ASSERT_EQ(sessions.count(blk), 1u) << blk;
        const auto& seq = sessions[blk];
        const auto c = counts(seq);
        bool unseen = false, below = false, above = false, newOrder = false;
        for (size_t k = 0; k < nKeys; ++k) {
            if (c[k] > 0 && !normalKey[k]) unseen = true;
            if (c[k] < coreMin[k]) below = true;
            if (c[k] > normalMax[k]) above = true;
        }
        forEachPair(seq, [&](uint64_t p) { newOrder = newOrder || !normalPairs.count(p); });

        if (kind == mlad::demo::kKindUnseenTemplate) {
            EXPECT_TRUE(unseen) << blk << " labelled unseen_template has only normal templates";
        } else {
            EXPECT_FALSE(unseen) << blk << " (" << kind << ") uses a template normal data lacks";
        }
        if (kind == mlad::demo::kKindMissingEvent) {
            EXPECT_TRUE(below) << blk << " labelled missing_event has every core event";
        }
        if (kind == mlad::demo::kKindReordered) {
            EXPECT_FALSE(below) << blk << " labelled reordered lacks an event";
            EXPECT_TRUE(newOrder) << blk << " labelled reordered has only normal orderings";
        }
        if (kind == mlad::demo::kKindNormalTemplatesOnly) {
            EXPECT_TRUE(above) << blk << " labelled normal_templates_only has normal counts";
        }
        ++checked[kind];
    }
    EXPECT_EQ(checked.size(), 4u);
}

// RAS: unseen lines use templates absent from normal lines, normal-template episodes use only
// templates present in normal lines, error bursts are dense non-INFO lines on one node.
TEST_F(DemoGeneratorDefault, RasAnomaliesLookLikeTheirKind) {
    std::unordered_map<uint64_t, std::string> kindOf;
    for (const auto& r : readTruth(files_->truth))
        if (r.system == "ras") kindOf[std::stoull(r.id)] = r.kind;

    struct Line {
        std::string key, node, level, kind;
        long long epoch;
    };
    std::vector<Line> lines;
    for (const auto& text : splitLines(readFile(files_->rasLog))) {
        std::istringstream in(text);
        std::vector<std::string> f(9);
        for (auto& x : f) in >> x;
        std::string content;
        std::getline(in, content);
        Line l;
        l.key = f[7] + " " + f[8] + " " + maskDigits(content);
        l.node = f[3];
        l.level = f[8];
        l.epoch = std::stoll(f[1]);
        const auto it = kindOf.find(lines.size() + 1);
        if (it != kindOf.end()) l.kind = it->second;
        lines.push_back(std::move(l));
    }

    std::unordered_set<std::string> normalKeys;
    for (const auto& l : lines)
        if (l.kind.empty()) normalKeys.insert(l.key);
    EXPECT_GE(normalKeys.size(), 20u);

    size_t burstLines = 0, denseBurstLines = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
        const Line& l = lines[i];
        if (l.kind == mlad::demo::kKindUnseenTemplate) {
            EXPECT_EQ(normalKeys.count(l.key), 0u) << "line " << i + 1 << " " << l.key;
        } else if (l.kind == mlad::demo::kKindNormalTemplatesOnly) {
            EXPECT_EQ(normalKeys.count(l.key), 1u) << "line " << i + 1 << " " << l.key;
            EXPECT_EQ(l.level, "INFO") << "line " << i + 1;
        } else if (l.kind == mlad::demo::kKindErrorBurst) {
            EXPECT_NE(l.level, "INFO") << "line " << i + 1;
            ++burstLines;
            int neighbours = 0;
            for (size_t j = i >= 200 ? i - 200 : 0; j < std::min(lines.size(), i + 200); ++j)
                if (j != i && lines[j].kind == l.kind && lines[j].node == l.node &&
                    std::llabs(lines[j].epoch - l.epoch) <= 60)
                    ++neighbours;
            if (neighbours >= 5) ++denseBurstLines;
        }
    }
    ASSERT_GT(burstLines, 0u);
    EXPECT_GE(denseBurstLines * 10, burstLines * 9) << "error bursts are not dense";
}

TEST(DemoGenerator, SmallAndEmptySizes) {
    TempDir d("d");
    DemoOptions o;
    o.hdfsBlocks = 0;
    o.rasLines = 0;
    DemoFiles f = generateDemo(d.str(), o);
    EXPECT_EQ(f.hdfsLines, 0u);
    EXPECT_EQ(f.rasLinesWritten, 0u);
    EXPECT_EQ(readFile(f.hdfsLog), "");
    EXPECT_EQ(readFile(f.rasLog), "");
    EXPECT_EQ(readFile(f.hdfsLabels), "BlockId,Label\n");
    EXPECT_EQ(readFile(f.truth), "system,unit,id,kind\n");

    o.hdfsBlocks = 5;
    o.rasLines = 7;
    o.hdfsAnomalyRate = 1.0;
    o.rasAnomalyRate = 0.5;
    f = generateDemo(d.str(), o);  // overwrites the previous files
    EXPECT_EQ(f.hdfsBlocks, 5u);
    EXPECT_EQ(f.hdfsAnomalousBlocks, 5u);
    EXPECT_EQ(f.rasLinesWritten, 7u);
    EXPECT_EQ(splitLines(readFile(f.rasLog)).size(), 7u);
    EXPECT_EQ(f.rasAnomalousLines, 4u);  // round(0.5 * 7)
    EXPECT_EQ(readTruth(f.truth).size(), 5u + 4u);
}

TEST(DemoGenerator, CreatesMissingDirectories) {
    TempDir d("d");
    const fs::path nested = d.path() / "x" / "y";
    const DemoFiles f = generateDemo(nested.string(), smallOptions(3));
    EXPECT_TRUE(fs::is_regular_file(nested / "demo_hdfs.log"));
    EXPECT_TRUE(fs::is_regular_file(nested / "demo_hdfs_labels.csv"));
    EXPECT_TRUE(fs::is_regular_file(nested / "demo_ras.log"));
    EXPECT_TRUE(fs::is_regular_file(nested / "demo_truth.csv"));
    EXPECT_EQ(f.hdfsBlocks, 600u);
}

TEST(DemoGenerator, IoErrorNamesThePath) {
    TempDir d("d");
    fs::create_directories(d.path());
    const fs::path blocker = d.path() / "plain_file";
    std::ofstream(blocker) << "not a directory";
    const std::string target = (blocker / "out").string();
    try {
        generateDemo(target, smallOptions(1));
        FAIL() << "expected std::runtime_error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(target), std::string::npos) << e.what();
    }
}

TEST(DemoGenerator, RejectsInvalidOptions) {
    TempDir d("d");
    DemoOptions o = smallOptions(1);
    o.hdfsBlocks = -1;
    EXPECT_THROW(generateDemo(d.str(), o), std::invalid_argument);
    o = smallOptions(1);
    o.rasAnomalyRate = 1.5;
    EXPECT_THROW(generateDemo(d.str(), o), std::invalid_argument);
    o = smallOptions(1);
    o.hdfsAnomalyRate = -0.1;
    EXPECT_THROW(generateDemo(d.str(), o), std::invalid_argument);
}

namespace mlad::demo {
namespace {

// The demo set-up runs again on a project it already set up (README's run command is
// idempotent): imports are skipped, sets and splits are kept, and the split facts it reports the
// second time are those of the first run, read back from the stored report.
TEST(DemoProject, SettingUpTwiceKeepsSetsAndSplits) {
    TempDir dir("setup-twice");
    const DemoFiles files = generateDemo(dir.str(), smallOptions(3));
    auto project = Project::open((fs::path(dir.str()) / "demo.mlad").string());
    const DemoSetup first = setUpDemoProject(*project, files, nullptr);
    const DemoSetup second = setUpDemoProject(*project, files, nullptr);
    ASSERT_EQ(first.splits.size(), 2u);
    ASSERT_EQ(second.splits.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(second.splits[i].id, first.splits[i].id);
        EXPECT_EQ(second.splits[i].train.total, first.splits[i].train.total);
        EXPECT_EQ(second.splits[i].test.anomalous, first.splits[i].test.anomalous);
        EXPECT_GT(second.splits[i].test.total, 0u);
        EXPECT_EQ(second.splits[i].testIdenticalToTrain, first.splits[i].testIdenticalToTrain);
        EXPECT_EQ(second.splits[i].unseenTestTemplates, first.splits[i].unseenTestTemplates);
        EXPECT_EQ(second.sets[i].id, first.sets[i].id);
        EXPECT_EQ(second.sets[i].count, first.sets[i].count);
    }
    for (const auto& r : second.imports) EXPECT_EQ(r.imported, 0u);
    EXPECT_EQ(listSplits(*project).size(), 2u);
}

}  // namespace
}  // namespace mlad::demo
