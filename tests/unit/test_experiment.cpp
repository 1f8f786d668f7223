// The experiment engine: splits created as needed, one stored run per cell (reused by a second
// call), rows at each detector's own threshold rule, and a report that names the protocol,
// the leakage facts and the rules.
#include <gtest/gtest.h>

#include "TestData.h"
#include "TrainFixture.h"
#include "mlad/import/Importer.h"
#include "mlad/train/Experiment.h"
#include "mlad/train/Trainer.h"
#include "mlad/viz/Svg.h"

namespace {

using namespace mlad;
using mlad::test::makeProject;
using mlad::test::TempDir;

TEST(Experiment, Table2RunsEveryCellOnceAndReportsTheRules) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    ExperimentOptions o;
    o.kind = "table2";
    o.models = {"new-templates", "pca", "distinct-templates"};
    o.threads = 1;
    std::vector<std::string> lines;
    const auto log = [&lines](const std::string& l) { lines.push_back(l); };
    const ExperimentResult r = runExperiment(*p, o, nullptr, log);
    ASSERT_EQ(r.cells.size(), 3u);
    ASSERT_EQ(r.splits.size(), 1u);
    EXPECT_EQ(r.splits[0].protocol, "chronological");
    EXPECT_EQ(r.cells[0].thresholdRule, "any template never seen in training");
    EXPECT_EQ(r.cells[1].thresholdRule, "Q-statistic at 99 %");
    EXPECT_EQ(r.cells[2].thresholdRule, "validation quantile 0.99");
    EXPECT_EQ(r.cells[0].f1, 1.0);  // the anomalous windows hold the one unseen template
    for (const char* text : {"Table II", "any template never seen in training",
                             "test templates never seen in training", "**(best)**",
                             "The paper's published MLAD figures for BGL", "not ours"})
        EXPECT_NE(r.markdown.find(text), std::string::npos) << text;
    EXPECT_EQ(r.json()["cells"].size(), 3u);
    // One figure per split, linked from the report, with a bar per detector.
    ASSERT_EQ(r.plots.size(), 1u);
    EXPECT_NE(r.markdown.find("](" + r.plots[0].first + ")"), std::string::npos);
    const std::string& svg = r.plots[0].second;
    EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
    size_t bars = 0;
    for (size_t at = svg.find("<rect x="); at != std::string::npos;
         at = svg.find("<rect x=", at + 1))
        ++bars;
    EXPECT_EQ(bars, 3u);
    EXPECT_NE(svg.find("new-templates"), std::string::npos);
    // A second call reuses the stored runs.
    lines.clear();
    const ExperimentResult again = runExperiment(*p, o, nullptr, log);
    EXPECT_EQ(again.cells[1].f1, r.cells[1].f1);
    for (const auto& l : lines) EXPECT_EQ(l.rfind("reusing", 0), 0u) << l;
    EXPECT_EQ(listRuns(*p).size(), 3u);
}

TEST(Experiment, RepeatsAlphaSweepAndTransfer) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    // A second system: the same log under another name.
    ImportOptions io;
    io.preset = *findPreset("BGL");
    io.system = "BGL-copy";
    importFiles(*p, {dir.file("ras.log")}, io);
    SequenceSpec w;
    w.size = 10;
    w.step = 10;
    buildSequences(*p, "BGL-copy", w);

    ExperimentOptions o;
    o.kind = "table3";
    o.systems = {"BGL", "BGL-copy"};
    o.models = {"new-templates"};
    o.repeats = 2;
    o.threads = 1;
    const ExperimentResult t3 = runExperiment(*p, o);
    EXPECT_EQ(t3.cells.size(), 4u);  // 2 ordered pairs x 2 seeds
    EXPECT_EQ(t3.cells[0].trainedOn, "BGL");
    EXPECT_EQ(t3.cells[0].system, "BGL-copy");
    EXPECT_NE(t3.markdown.find("Trained on BGL, tested on BGL-copy"), std::string::npos);
    EXPECT_NE(t3.markdown.find(" ± "), std::string::npos);

    ExperimentOptions a;
    a.kind = "alpha-sweep";
    a.systems = {"BGL"};
    a.epochs = 1;
    a.threads = 1;
    const ExperimentResult sweep = runExperiment(*p, a);
    ASSERT_EQ(sweep.cells.size(), 7u);
    EXPECT_EQ(sweep.cells.front().param, "alpha 1.0");
    EXPECT_EQ(sweep.cells.back().param, "alpha 1.6");
    EXPECT_NE(sweep.markdown.find("| alpha 1.3 |"), std::string::npos);
    ASSERT_EQ(sweep.plots.size(), 1u);
    EXPECT_NE(sweep.plots[0].second.find("<path d=\"M"), std::string::npos);
    EXPECT_EQ(viz::xmlEscape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");

    ExperimentOptions m;
    m.kind = "multi-system";
    m.systems = {"BGL", "BGL-copy"};
    m.models = {"new-templates"};
    m.threads = 1;
    const ExperimentResult multi = runExperiment(*p, m);
    ASSERT_EQ(multi.cells.size(), 4u);  // per system: the fused model and its own model
    EXPECT_EQ(multi.cells[0].param, "one model");
    EXPECT_EQ(multi.cells[0].system, "BGL");
    EXPECT_EQ(multi.cells[1].system, "BGL-copy");
    EXPECT_EQ(multi.cells[2].param, "one model per system");
    // The two systems are copies: the fused rule flags the same windows in each.
    EXPECT_EQ(multi.cells[0].f1, multi.cells[1].f1);
    EXPECT_EQ(multi.cells[0].testSequences + multi.cells[1].testSequences,
              findSplit(*p, multi.splits[0].name)->test.total);
    EXPECT_NE(multi.markdown.find("| new-templates | one model per system |"), std::string::npos)
        << multi.markdown;

    ExperimentOptions bad = o;
    bad.kind = "table9";
    EXPECT_THROW(runExperiment(*p, bad), std::invalid_argument);
    bad = o;
    bad.models = {"nope"};
    EXPECT_THROW(runExperiment(*p, bad), std::invalid_argument);
    bad = o;
    bad.systems = {"BGL", "nope"};
    EXPECT_THROW(runExperiment(*p, bad), std::invalid_argument);
}

}  // namespace
