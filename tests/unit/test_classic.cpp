// The classic unsupervised baselines (loglizer's set: pca, iforest, logcluster, invariants) as
// detectors, through the project API only: their registry entries and parameter checks; on the
// small labelled project each trains, scores every test sequence, its saved model reproduces
// the stored scores, it separates the easy anomalies and reports its own default threshold
// rule; damaged or foreign model files are refused naming the file; the isolation forest is
// deterministic for a seed.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "TestData.h"
#include "TrainFixture.h"
#include "mlad/detect/Registry.h"
#include "mlad/seq/Adapters.h"
#include "mlad/seq/Splits.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/TrainConfig.h"
#include "mlad/train/Trainer.h"

namespace {

using namespace mlad;
using mlad::test::makeProject;
using mlad::test::TempDir;
namespace fs = std::filesystem;

struct Case {
    const char* model;
    const char* rule;  ///< its own default threshold rule; "" = the validation quantile
    const char* scoreName;
    std::vector<std::string> params;  ///< its own parameters
};

const std::vector<Case>& cases() {
    static const std::vector<Case> c = {
        {"pca", "Q-statistic at 99 %", "SPE", {"term_weighting", "n_components", "confidence"}},
        {"iforest", "", "anomaly score", {"trees", "sample_size"}},
        {"logcluster",
         "farther than max-dist from every normal cluster",
         "distance",
         {"max_dist", "max_train"}},
        {"invariants",
         "violates a mined invariant",
         "violations",
         {"percentage", "max_size", "max_columns"}},
    };
    return c;
}

TrainConfig configOf(const std::string& model) {
    TrainConfig c = TrainConfig::defaults(model);
    c.set("threads", 1);
    return c;
}

std::string modelFile(const TempDir& dir, const std::string& run) {
    return dir.file("p.mlad.runs/" + run + "/model.pt");
}

TEST(Classic, RegisteredAsOneCallDetectorsWithTheirParameters) {
    for (const auto& c : cases()) {
        SCOPED_TRACE(c.model);
        const DetectorInfo* info = findDetector(c.model);
        ASSERT_NE(info, nullptr);
        EXPECT_FALSE(info->iterative);
        EXPECT_EQ(info->scoreName, c.scoreName);
        EXPECT_FALSE(info->description.empty());
        std::set<std::string> keys;
        for (const auto& p : info->params) keys.insert(p.key);
        for (const char* k : {"seed", "threads", "nu"}) EXPECT_TRUE(keys.count(k)) << k;
        for (const auto& k : c.params) EXPECT_TRUE(keys.count(k)) << k;
        // The defaults pass the registry's own checks.
        EXPECT_NO_THROW(validateTrainConfig(TrainConfig::defaults(c.model)));
    }
    const DetectorInfo& pca = detectorInfo("pca");
    EXPECT_EQ(findParam(pca.params, "term_weighting")->def, "tf-idf");
    EXPECT_EQ(findParam(pca.params, "n_components")->def.get<double>(), 0.95);
    EXPECT_EQ(findParam(pca.params, "confidence")->def, "0.99");
    EXPECT_EQ(findParam(detectorInfo("iforest").params, "trees")->def.get<int64_t>(), 100);
    EXPECT_EQ(findParam(detectorInfo("iforest").params, "sample_size")->def.get<int64_t>(), 256);
    EXPECT_EQ(findParam(detectorInfo("logcluster").params, "max_dist")->def.get<double>(), 0.3);
    EXPECT_EQ(findParam(detectorInfo("invariants").params, "percentage")->def.get<double>(), 0.98);
    EXPECT_EQ(findParam(detectorInfo("invariants").params, "max_size")->def.get<int64_t>(), 3);

    // Values outside a parameter's range or choices are refused naming the option.
    auto refused = [](const std::string& model, const std::string& key, const Json& v) {
        TrainConfig c = TrainConfig::defaults(model);
        c.params[key] = v;
        try {
            validateTrainConfig(c);
        } catch (const std::invalid_argument& e) {
            const std::string option = findParam(detectorInfo(model).params, key)->option();
            return std::string(e.what()).find("--" + option) != std::string::npos;
        }
        return false;
    };
    EXPECT_TRUE(refused("pca", "n_components", 0.0));
    EXPECT_TRUE(refused("pca", "n_components", 1.5));
    EXPECT_TRUE(refused("pca", "term_weighting", "bm25"));
    EXPECT_TRUE(refused("pca", "confidence", "0.5"));
    EXPECT_TRUE(refused("iforest", "trees", 0));
    EXPECT_TRUE(refused("logcluster", "max_dist", 0.0));
    EXPECT_TRUE(refused("invariants", "max_size", 9));
}

TEST(Classic, EachBaselineTrainsReloadsAndSeparatesTheEasyAnomalies) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    const auto split = findSplit(*p, "chrono");
    ASSERT_TRUE(split);
    const seq::EventSequences test = seq::loadEventSequences(*p, splitPart(*p, split->id, "test"));
    ASSERT_FALSE(test.empty());
    int anomalous = 0;
    for (uint8_t l : test.labels) anomalous += l == 1;
    ASSERT_GT(anomalous, 0);
    ASSERT_LT(anomalous, int(test.size()));

    for (const auto& c : cases()) {
        SCOPED_TRACE(c.model);
        const RunInfo r = trainRun(*p, "chrono", c.model, configOf(c.model));
        EXPECT_EQ(r.status, "done");
        const RunScores s = loadRunScores(*p, r.id);
        // One score per test sequence, in the split's order.
        ASSERT_EQ(s.testIds, test.ids);
        ASSERT_EQ(s.testScores.size(), test.size());
        for (double v : s.testScores) EXPECT_TRUE(std::isfinite(v));
        // The saved model reproduces the stored scores.
        const auto scored = scoreSequences(*p, c.model, s.testIds, std::nullopt);
        ASSERT_EQ(scored.size(), s.testIds.size());
        for (size_t i = 0; i < scored.size(); ++i)
            EXPECT_NEAR(scored[i].score, s.testScores[i], 1e-9) << "test sequence " << i;

        const EvalReport rep = evaluateRun(*p, c.model, ThresholdChoice::parse("", 0.99));
        // Easy data: every anomalous test window holds a template never seen in training
        // (column 0 of the count vectors), which each baseline must rank above the normal
        // windows.
        EXPECT_GT(rep.rocAuc, 0.8);
        if (*c.rule) {
            EXPECT_TRUE(s.detectorRule);
            EXPECT_EQ(s.thresholdRule, c.rule);
            EXPECT_EQ(rep.thresholdKind, c.rule);
            // The own rules flag every window with a template never seen in training.
            EXPECT_EQ(rep.recall, 1.0);
        } else {
            EXPECT_FALSE(s.detectorRule);
            EXPECT_EQ(rep.thresholdKind, "validation quantile 0.99");
            EXPECT_EQ(rep.threshold, eval::quantile(s.valScores, 0.99));
        }
        // A user's threshold still overrides the rule.
        EXPECT_EQ(evaluateRun(*p, c.model, ThresholdChoice::parse("value:3", 0.99)).threshold, 3.0);
        EXPECT_EQ(runScoreName(findRun(*p, c.model)->configJson), c.scoreName);
    }
}

TEST(Classic, PcaOptionsTrainAndNameTheirRule) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    TrainConfig c = configOf("pca");
    c.set("term_weighting", "none").set("confidence", "0.999").set("n_components", 1.0);
    const RunInfo r = trainRun(*p, "chrono", "pca-plain", c);
    EXPECT_EQ(r.status, "done");
    const RunScores s = loadRunScores(*p, r.id);
    EXPECT_EQ(s.thresholdRule, "Q-statistic at 99.9 %");
    EXPECT_TRUE(std::isfinite(s.defaultThreshold));
    EXPECT_GT(s.defaultThreshold, 0.0);
    const auto scored = scoreSequences(*p, "pca-plain", s.testIds, std::nullopt);
    ASSERT_EQ(scored.size(), s.testScores.size());
    for (size_t i = 0; i < scored.size(); ++i) EXPECT_NEAR(scored[i].score, s.testScores[i], 1e-9);
    // Unweighted counts: the unseen template still lies off every principal component.
    EXPECT_GT(evaluateRun(*p, "pca-plain", ThresholdChoice::parse("", 0.99)).rocAuc, 0.8);
}

TEST(Classic, DamagedOrForeignModelFilesAreRefusedNamingTheFile) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    for (const auto& c : cases()) trainRun(*p, "chrono", c.model, configOf(c.model));
    const RunScores s = loadRunScores(*p, findRun(*p, "pca")->id);
    auto refused = [&](const std::string& run) {
        try {
            scoreSequences(*p, run, s.testIds, std::nullopt);
        } catch (const std::runtime_error& e) {
            return std::string(e.what()).find("model.pt") != std::string::npos;
        }
        return false;
    };
    // Another detector's model: each run's file is read by its own detector only.
    fs::copy_file(modelFile(dir, "pca"), modelFile(dir, "invariants"),
                  fs::copy_options::overwrite_existing);
    EXPECT_TRUE(refused("invariants"));
    for (const auto& c : cases()) {
        SCOPED_TRACE(c.model);
        { std::ofstream(modelFile(dir, c.model)) << "{\"format\":1}"; }
        EXPECT_TRUE(refused(c.model));
        { std::ofstream(modelFile(dir, c.model)) << "not json"; }
        EXPECT_TRUE(refused(c.model));
    }
}

TEST(Classic, IsolationForestIsDeterministicForASeed) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    // Small samples, so that the trees depend on the draws.
    auto config = [](int seed) {
        TrainConfig c = configOf("iforest");
        c.set("seed", seed).set("trees", 20).set("sample_size", 8);
        return c;
    };
    const RunScores a = loadRunScores(*p, trainRun(*p, "chrono", "if-a", config(42)).id);
    const RunScores b = loadRunScores(*p, trainRun(*p, "chrono", "if-b", config(42)).id);
    const RunScores c = loadRunScores(*p, trainRun(*p, "chrono", "if-c", config(7)).id);
    ASSERT_FALSE(a.testScores.empty());
    EXPECT_EQ(a.testScores, b.testScores);
    EXPECT_EQ(a.valScores, b.valScores);
    EXPECT_NE(a.testScores, c.testScores);
}

}  // namespace
