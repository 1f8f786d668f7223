// Grouping accuracy of our Drain against the loghub 2k ground truth, for every system, at least
// Drain's published figure (logparser benchmark). Lines are grouped by their final template
// text, as logparser's output (EventId = hash of the template) is.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <unordered_map>

#include "TestData.h"
#include "mlad/io/LineReader.h"
#include "mlad/io/Preset.h"
#include "mlad/parse/LineParser.h"
#include "mlad/util/Strings.h"

namespace {

using namespace mlad;

std::vector<std::string> groundTruthEventIds(const std::string& csvPath) {
    std::ifstream in(csvPath);
    std::string line;
    std::getline(in, line);
    auto header = parseCsvLine(line);
    int col = -1;
    for (size_t i = 0; i < header.size(); ++i)
        if (header[i] == "EventId") col = int(i);
    EXPECT_GE(col, 0) << csvPath;
    std::vector<std::string> ids;
    while (std::getline(in, line)) {
        if (trim(line).empty()) continue;
        auto cols = parseCsvLine(line);
        ids.push_back(cols.at(size_t(col)));
    }
    return ids;
}

// The logparser evaluator's grouping accuracy.
double groupingAccuracy(const std::vector<std::string>& truth,
                        const std::vector<std::string>& parsed) {
    std::unordered_map<std::string, std::vector<size_t>> byParsed;
    std::unordered_map<std::string, size_t> truthSize;
    for (size_t i = 0; i < parsed.size(); ++i) byParsed[parsed[i]].push_back(i);
    for (const auto& t : truth) ++truthSize[t];
    size_t correct = 0;
    for (const auto& [p, members] : byParsed) {
        const std::string& t0 = truth[members[0]];
        bool pure = true;
        for (size_t m : members)
            if (truth[m] != t0) pure = false;
        if (pure && truthSize[t0] == members.size()) correct += members.size();
    }
    return double(correct) / double(truth.size());
}

struct Case {
    const char* system;
    double published;
};

class DrainAccuracy : public ::testing::TestWithParam<Case> {};

TEST_P(DrainAccuracy, AtLeastPublishedDrainFigure) {
    const Case c = GetParam();
    const std::string sys = c.system;
    MLAD_REQUIRE_SHARED(logPath, "loghub-2k/" + sys + "/" + sys + "_2k.log");
    MLAD_REQUIRE_SHARED(truthPath, "loghub-2k/" + sys + "/" + sys + "_2k.log_structured.csv");
    const Preset* preset = findPreset(sys);
    ASSERT_NE(preset, nullptr);
    LineParser parser(*preset);
    LineReader reader(logPath);
    std::string_view line;
    ParsedLine pl;
    std::vector<int> clusters;
    uint64_t unmatched = 0;
    while (reader.next(line) == LineReader::Status::Line) {
        if (parser.parse(line, pl))
            clusters.push_back(pl.cluster);
        else
            ++unmatched;
    }
    EXPECT_EQ(unmatched, 0u) << sys << ": lines not matching the preset format";
    auto truth = groundTruthEventIds(truthPath);
    ASSERT_EQ(truth.size(), clusters.size()) << sys;
    std::vector<std::string> parsed;
    for (int cl : clusters) parsed.push_back(parser.drain().templateText(cl));
    double acc = groupingAccuracy(truth, parsed);
    std::cout << "[ accuracy ] " << sys << " " << acc << " (published " << c.published << ", "
              << parser.drain().size() << " clusters)\n";
    EXPECT_GE(acc + 1e-9, c.published) << sys;
}

INSTANTIATE_TEST_SUITE_P(
    Loghub2k, DrainAccuracy,
    ::testing::Values(Case{"HDFS", .9975}, Case{"Hadoop", .9475}, Case{"Spark", .92},
                      Case{"Zookeeper", .9665}, Case{"BGL", .9625}, Case{"HPC", .887},
                      Case{"Thunderbird", .955}, Case{"Windows", .997}, Case{"Linux", .69},
                      Case{"Android", .911}, Case{"HealthApp", .78}, Case{"Apache", 1.0},
                      Case{"Proxifier", .5265}, Case{"OpenSSH", .7875}, Case{"OpenStack", .7325},
                      Case{"Mac", .7865}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.system); });

}  // namespace
