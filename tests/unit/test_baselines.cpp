// The baseline detectors on a real project file: each rule's score checked against an
// independent computation on the split's sequences, its default threshold rule, and the saved
// model reproducing the stored scores.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "TestData.h"
#include "TrainFixture.h"
#include "mlad/seq/Adapters.h"
#include "mlad/seq/Splits.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/Trainer.h"

namespace {

using namespace mlad;
using mlad::test::makeProject;
using mlad::test::TempDir;

struct Parts {
    seq::EventSequences train, test;
    std::vector<std::vector<std::string>> trainTexts, testTexts;
};

Parts splitParts(Project& p) {
    const auto split = findSplit(p, "chrono");
    Parts out;
    out.train = seq::loadEventSequences(p, splitPart(p, split->id, "train"));
    out.test = seq::loadEventSequences(p, splitPart(p, split->id, "test"));
    auto texts = [&p](const seq::EventSequences& s) {
        std::vector<std::vector<std::string>> t;
        for (const auto& ev : s.events)
            t.push_back(p.templateTexts(std::vector<int64_t>(ev.begin(), ev.end()), "?"));
        return t;
    };
    out.trainTexts = texts(out.train);
    out.testTexts = texts(out.test);
    return out;
}

RunInfo trainRule(Project& p, const std::string& model) {
    TrainConfig c = TrainConfig::defaults(model);
    c.set("threads", 1);
    return trainRun(p, "chrono", model, c);
}

TEST(Baselines, TrivialRulesScoreWhatTheySay) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    const Parts parts = splitParts(*p);
    ASSERT_FALSE(parts.test.empty());
    std::map<std::string, uint64_t> trainCount;
    std::set<std::vector<std::string>> trainSeqs;
    uint64_t total = 0;
    for (const auto& t : parts.trainTexts) {
        trainSeqs.insert(t);
        for (const auto& x : t) ++trainCount[x], ++total;
    }

    for (const char* model :
         {"new-templates", "new-sequence", "distinct-templates", "rare-template"}) {
        SCOPED_TRACE(model);
        const RunInfo r = trainRule(*p, model);
        EXPECT_EQ(r.status, "done");
        const RunScores s = loadRunScores(*p, r.id);
        ASSERT_EQ(s.testIds, parts.test.ids);
        for (size_t i = 0; i < parts.test.size(); ++i) {
            const auto& t = parts.testTexts[i];
            double expected = 0;
            if (std::string(model) == "new-templates") {
                for (const auto& x : t) expected += trainCount.count(x) ? 0 : 1;
            } else if (std::string(model) == "new-sequence") {
                expected = trainSeqs.count(t) ? 0 : 1;
            } else if (std::string(model) == "distinct-templates") {
                expected = double(std::set<std::string>(t.begin(), t.end()).size());
            } else {
                for (const auto& x : t) {
                    const double c = trainCount.count(x) ? double(trainCount[x]) : 0.5;
                    expected = std::max(expected, -std::log(c / double(total)));
                }
            }
            EXPECT_NEAR(s.testScores[i], expected, 1e-12) << "test sequence " << i;
        }
        // The saved model reproduces the stored scores.
        const auto scored = scoreSequences(*p, model, s.testIds, std::nullopt);
        ASSERT_EQ(scored.size(), s.testIds.size());
        for (size_t i = 0; i < scored.size(); ++i) EXPECT_EQ(scored[i].score, s.testScores[i]) << i;
        // The default threshold is the rule's own where it has one, named in the report.
        const EvalReport rep = evaluateRun(*p, model, ThresholdChoice::parse("", 0.99));
        if (std::string(model) == "new-templates") {
            EXPECT_EQ(rep.threshold, 0.5);
            EXPECT_EQ(rep.thresholdKind, "any template never seen in training");
            // The anomalous windows hold the one template never seen in training.
            EXPECT_EQ(rep.f1, 1.0);
        } else if (std::string(model) == "new-sequence") {
            EXPECT_EQ(rep.thresholdKind, "sequence never seen in training");
        } else {
            EXPECT_EQ(rep.thresholdKind, "validation quantile 0.99");
            EXPECT_EQ(rep.threshold, eval::quantile(s.valScores, 0.99));
        }
        // A user's threshold still overrides the rule.
        EXPECT_EQ(evaluateRun(*p, model, ThresholdChoice::parse("value:3", 0.99)).threshold, 3.0);
    }
    EXPECT_EQ(runScoreName(findRun(*p, "new-templates")->configJson), "unseen templates");
}

TEST(Baselines, ARuleModelFromAnotherProjectIsRefusedClearly) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    const RunInfo r = trainRule(*p, "new-sequence");
    // A damaged model file gives a clear error naming the file, not a crash.
    { std::ofstream(dir.file("p.mlad.runs/new-sequence/model.pt")) << "{\"format\":1}"; }
    const RunScores s = loadRunScores(*p, r.id);
    try {
        scoreSequences(*p, "new-sequence", s.testIds, std::nullopt);
        ADD_FAILURE() << "a damaged model was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("model.pt"), std::string::npos) << e.what();
    }
}

}  // namespace

namespace {

TrainConfig tinyDeepLog() {
    TrainConfig c = TrainConfig::defaults("deeplog");
    c.set("history", 3).set("hidden", 8).set("layers", 1).set("epochs", 4);
    c.set("batch_size", 16).set("lr", 0.01).set("threads", 1).set("patience", 0);
    return c;
}

TEST(Baselines, DeepLogLearnsTheNextKeyAndCountsMisses) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    const Parts parts = splitParts(*p);
    std::set<std::string> seen;
    for (const auto& t : parts.trainTexts) seen.insert(t.begin(), t.end());

    const RunInfo r = trainRun(*p, "chrono", "deeplog", tinyDeepLog());
    EXPECT_EQ(r.status, "done");
    const auto epochs = runEpochs(*p, r.id);
    ASSERT_EQ(epochs.size(), 4u);
    EXPECT_LT(epochs.back().value("train_loss"), epochs.front().value("train_loss"));
    const RunScores s = loadRunScores(*p, r.id);
    ASSERT_EQ(s.testIds, parts.test.ids);
    for (size_t i = 0; i < parts.test.size(); ++i) {
        const auto& t = parts.testTexts[i];
        // Misses are whole numbers, at most one per predicted event, and every event of a
        // template never seen in training (after the first event) is one.
        double unseen = 0;
        for (size_t k = 1; k < t.size(); ++k) unseen += seen.count(t[k]) ? 0 : 1;
        EXPECT_EQ(s.testScores[i], std::floor(s.testScores[i]));
        EXPECT_GE(s.testScores[i], unseen) << i;
        EXPECT_LE(s.testScores[i], double(t.size() - 1)) << i;
    }
    const EvalReport rep = evaluateRun(*p, "deeplog", ThresholdChoice::parse("", 0.99));
    EXPECT_EQ(rep.thresholdKind, "any next key outside the top 9");
    EXPECT_EQ(rep.threshold, 0.5);
    EXPECT_EQ(rep.recall, 1.0);
    // The saved model (with its vocabulary) reproduces the stored scores.
    const auto scored = scoreSequences(*p, "deeplog", s.testIds, std::nullopt);
    ASSERT_EQ(scored.size(), s.testIds.size());
    for (size_t i = 0; i < scored.size(); ++i) EXPECT_EQ(scored[i].score, s.testScores[i]) << i;
    // Drill-down: the next-key rank per position; the ranks above top g are the misses.
    for (size_t i = 0; i < 10 && i < s.testIds.size(); ++i) {
        const SequenceExplanation ex = explainSequence(*p, "deeplog", s.testIds[i]);
        ASSERT_EQ(ex.contributions.size(), ex.templateIds.size());
        EXPECT_EQ(ex.contributions[0], 0.0f);  // the first event is not predicted
        double misses = 0;
        for (size_t k = 1; k < ex.contributions.size(); ++k) {
            EXPECT_GE(ex.contributions[k], 1.0f);
            misses += ex.contributions[k] > 9.0f;
        }
        EXPECT_EQ(misses, s.testScores[i]) << i;
        EXPECT_TRUE(ex.componentEnergies.empty());
    }

    // Cancelled after epoch 2 and resumed: the same losses as straight through.
    TaskContext ctx;
    TrainCallbacks cb;
    cb.onEpoch = [&](const EpochStats& e) {
        if (e.epoch == 2) ctx.cancel();
    };
    EXPECT_THROW(trainRun(*p, "chrono", "resumed", tinyDeepLog(), &ctx, cb), Cancelled);
    const RunInfo resumed = trainRun(*p, "chrono", "resumed", tinyDeepLog());
    const auto again = runEpochs(*p, resumed.id);
    ASSERT_EQ(again.size(), 4u);
    for (size_t e = 0; e < 4; ++e)
        EXPECT_EQ(again[e].value("train_loss"), epochs[e].value("train_loss")) << e;
    EXPECT_EQ(loadRunScores(*p, resumed.id).testScores, s.testScores);
}

}  // namespace

namespace {

TEST(Baselines, DagmmTrainsResumesAndScoresByEnergy) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    TrainConfig c = TrainConfig::defaults("dagmm");
    c.set("hidden", 8).set("latent", 1).set("components", 2).set("epochs", 4);
    c.set("batch_size", 8).set("lr", 1e-3).set("threads", 1).set("patience", 0);
    const RunInfo r = trainRun(*p, "chrono", "dagmm", c);
    EXPECT_EQ(r.status, "done");
    EXPECT_EQ(runScoreName(r.configJson), "energy");
    const auto epochs = runEpochs(*p, r.id);
    ASSERT_EQ(epochs.size(), 4u);
    for (const char* key : {"train_loss", "train_mse", "train_energy", "train_cov", "val_loss"})
        EXPECT_TRUE(std::isfinite(epochs[0].value(key))) << key;
    EXPECT_LT(epochs.back().value("train_mse"), epochs.front().value("train_mse"));
    const RunScores s = loadRunScores(*p, r.id);
    ASSERT_FALSE(s.testScores.empty());
    for (double v : s.testScores) EXPECT_TRUE(std::isfinite(v));
    const auto scored = scoreSequences(*p, "dagmm", s.testIds, std::nullopt);
    ASSERT_EQ(scored.size(), s.testIds.size());
    for (size_t i = 0; i < scored.size(); ++i)
        EXPECT_NEAR(scored[i].score, s.testScores[i],
                    1e-6 * std::max(1.0, std::abs(s.testScores[i])));

    TaskContext ctx;
    TrainCallbacks cb;
    cb.onEpoch = [&](const EpochStats& e) {
        if (e.epoch == 2) ctx.cancel();
    };
    EXPECT_THROW(trainRun(*p, "chrono", "resumed", c, &ctx, cb), Cancelled);
    const RunInfo resumed = trainRun(*p, "chrono", "resumed", c);
    const auto again = runEpochs(*p, resumed.id);
    ASSERT_EQ(again.size(), 4u);
    for (size_t e = 0; e < 4; ++e)
        EXPECT_EQ(again[e].value("train_loss"), epochs[e].value("train_loss")) << e;
    EXPECT_EQ(loadRunScores(*p, resumed.id).testScores, s.testScores);
}

}  // namespace

namespace {

TEST(Baselines, LogBertPredictsMaskedKeysAndChoosesROnValidation) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    TrainConfig c = TrainConfig::defaults("logbert");
    c.set("d_model", 16).set("layers", 1).set("heads", 2).set("d_ff", 32).set("epochs", 4);
    c.set("batch_size", 8).set("lr", 1e-3).set("threads", 1).set("patience", 0);
    c.set("top_g", 2).set("dropout", 0.0);
    const RunInfo r = trainRun(*p, "chrono", "logbert", c);
    EXPECT_EQ(r.status, "done");
    const auto epochs = runEpochs(*p, r.id);
    ASSERT_EQ(epochs.size(), 4u);
    EXPECT_TRUE(std::isfinite(epochs[0].value("train_vhm")));
    EXPECT_LT(epochs.back().value("train_mlkp"), epochs.front().value("train_mlkp"));
    const RunScores s = loadRunScores(*p, r.id);
    const Parts parts = splitParts(*p);
    std::set<std::string> seen;
    for (const auto& t : parts.trainTexts) seen.insert(t.begin(), t.end());
    for (size_t i = 0; i < parts.test.size(); ++i) {
        // A miss ratio; every template never seen in training is a miss.
        double unseen = 0;
        for (const auto& x : parts.testTexts[i]) unseen += seen.count(x) ? 0 : 1;
        EXPECT_GE(s.testScores[i], unseen / double(parts.testTexts[i].size()) - 1e-12) << i;
        EXPECT_LE(s.testScores[i], 1.0) << i;
    }
    // r comes from the validation ratios: the default rule flags a ratio above it.
    const EvalReport rep = evaluateRun(*p, "logbert", ThresholdChoice::parse("", 0.99));
    EXPECT_EQ(rep.thresholdKind.rfind("miss ratio (top 2) above r = ", 0), 0u) << rep.thresholdKind;
    const double r99 = eval::quantile(s.valScores, 0.99);
    EXPECT_GT(rep.threshold, r99);
    EXPECT_LT(rep.threshold, r99 + 1e-12);
    // Reload reproduces the scores; resume reproduces the epochs.
    const auto scored = scoreSequences(*p, "logbert", s.testIds, std::nullopt);
    ASSERT_EQ(scored.size(), s.testIds.size());
    for (size_t i = 0; i < scored.size(); ++i)
        EXPECT_NEAR(scored[i].score, s.testScores[i], 1e-12) << i;
    TaskContext ctx;
    TrainCallbacks cb;
    cb.onEpoch = [&](const EpochStats& e) {
        if (e.epoch == 2) ctx.cancel();
    };
    EXPECT_THROW(trainRun(*p, "chrono", "resumed", c, &ctx, cb), Cancelled);
    const RunInfo resumed = trainRun(*p, "chrono", "resumed", c);
    const auto again = runEpochs(*p, resumed.id);
    ASSERT_EQ(again.size(), 4u);
    for (size_t e = 0; e < 4; ++e)
        EXPECT_EQ(again[e].value("train_loss"), epochs[e].value("train_loss")) << e;
}

}  // namespace

namespace {

TEST(Baselines, DeepLogReferenceWindowsPredictOnlyAfterAFullHistory) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);  // windows of 10 events
    TrainConfig c = tinyDeepLog();
    c.set("windows", "reference").set("history", 9);
    const RunInfo r = trainRun(*p, "chrono", "ref", c);
    // One full history per 10-event window: one prediction, so at most one miss.
    for (double v : loadRunScores(*p, r.id).testScores) EXPECT_TRUE(v == 0.0 || v == 1.0) << v;
    // With a history of 10 no training window has a next event: refused before any run row.
    c.set("history", 10);
    try {
        trainRun(*p, "chrono", "ref10", c);
        ADD_FAILURE() << "trained without a single window";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("DeepLog needs"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(findRun(*p, "ref10"));
}

}  // namespace

namespace {

TEST(Baselines, LogBertTakesTheReferenceCandidatesForWindowsOrSessions) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);  // windows of lines: 15 candidates, as the reference for BGL
    TrainConfig c = TrainConfig::defaults("logbert");
    c.set("d_model", 8).set("layers", 1).set("heads", 2).set("d_ff", 16).set("epochs", 1);
    c.set("batch_size", 8).set("threads", 1);
    EXPECT_EQ(c.integer("top_g"), 0);
    const RunInfo r = trainRun(*p, "chrono", "auto-g", c);
    const EvalReport rep = evaluateRun(*p, "auto-g", ThresholdChoice::parse("", 0.99));
    EXPECT_EQ(rep.thresholdKind.rfind("miss ratio (top 15) above", 0), 0u) << rep.thresholdKind;
    // The resolved g travels with the model.
    const RunScores s = loadRunScores(*p, r.id);
    const auto scored = scoreSequences(*p, "auto-g", s.testIds, std::nullopt);
    for (size_t i = 0; i < scored.size(); ++i) EXPECT_NEAR(scored[i].score, s.testScores[i], 1e-12);
}

}  // namespace
