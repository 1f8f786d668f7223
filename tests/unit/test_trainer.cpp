// Training runs end to end on a real project file: manifest, epochs, checkpoints, resume,
// stored scores, evaluation and scoring with a trained run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <thread>

#include <signal.h>
#include <sys/resource.h>

#include <torch/torch.h>

#include "TestData.h"
#include "TrainFixture.h"
#include "mlad/detect/Registry.h"
#include "mlad/eval/Metrics.h"
#include "mlad/eval/Pot.h"
#include "mlad/import/Importer.h"
#include "mlad/seq/Sequences.h"
#include "mlad/seq/Splits.h"
#include "mlad/store/Project.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/TrainConfig.h"
#include "mlad/train/Trainer.h"
#include "mlad/util/Json.h"

namespace {

using namespace mlad;
using mlad::test::makeProject;
using mlad::test::TempDir;
using mlad::test::tinyConfig;

TEST(Trainer, RunIsRecordedScoredAndEvaluated) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    std::vector<EpochStats> epochs;
    TrainCallbacks cb;
    cb.onEpoch = [&](const EpochStats& e) { epochs.push_back(e); };
    RunInfo r = trainRun(*p, "chrono", "tiny", tinyConfig(), nullptr, cb);
    EXPECT_EQ(r.status, "done");
    EXPECT_EQ(epochs.size(), 3u);
    EXPECT_TRUE(std::filesystem::exists(r.modelPath));
    EXPECT_EQ(runEpochs(*p, r.id).size(), 3u);
    EXPECT_NE(r.configJson.find("\"alpha\":1.5"), std::string::npos);
    EXPECT_EQ(r.embedder.rfind("corpus:", 0), 0u);
    EXPECT_FALSE(r.metricsJson.empty());
    for (const auto& e : epochs) EXPECT_TRUE(std::isfinite(e.trainLoss()));

    RunScores s = loadRunScores(*p, r.id);
    auto split = findSplit(*p, "chrono");
    EXPECT_EQ(s.testScores.size(), split->test.total);
    EXPECT_EQ(s.valScores.size(), split->val.total);
    EXPECT_DOUBLE_EQ(s.defaultThreshold, eval::quantile(s.valScores, 0.99));

    // Evaluation at the default threshold equals a direct computation on the stored scores.
    auto rep = evaluateRun(*p, "tiny", ThresholdChoice::parse("", 0.99));
    std::vector<uint8_t> labels(s.testLabels.begin(), s.testLabels.end());
    eval::ThresholdSweep sweep(s.testScores, labels);
    EXPECT_EQ(rep.confusion, sweep.at(s.defaultThreshold));
    EXPECT_FALSE(rep.oracle);
    auto oracle = evaluateRun(*p, "tiny", ThresholdChoice::parse("oracle", 0.99));
    EXPECT_TRUE(oracle.oracle);
    EXPECT_NE(oracle.toJson().find("\"oracle\":true"), std::string::npos);
    // The stored metrics are that report at the default threshold, with every key.
    const Json metrics = Json::parse(r.metricsJson);
    for (const char* key : {"run",
                            "model",
                            "threshold_kind",
                            "oracle",
                            "threshold",
                            "precision",
                            "recall",
                            "f1",
                            "specificity",
                            "roc_auc",
                            "pr_auc",
                            "tp",
                            "fp",
                            "tn",
                            "fn",
                            "test_sequences",
                            "test_anomalous",
                            "unlabelled",
                            "test_prevalence",
                            "natural_prevalence",
                            "at_natural_rate",
                            "oracle_best_f1"})
        EXPECT_TRUE(metrics.contains(key)) << key;
    for (const char* key : {"precision", "recall", "f1", "specificity"})
        EXPECT_TRUE(metrics["at_natural_rate"].contains(key)) << key;
    for (const char* key : {"threshold", "f1", "precision", "recall"})
        EXPECT_TRUE(metrics["oracle_best_f1"].contains(key)) << key;
    EXPECT_EQ(metrics["tp"].get<uint64_t>(), rep.confusion.tp);
    EXPECT_EQ(metrics["fn"].get<uint64_t>(), rep.confusion.fn);
    EXPECT_EQ(metrics["threshold"].get<double>(), rep.threshold);
    EXPECT_FALSE(metrics["oracle"].get<bool>());

    // Scoring with the trained run reproduces the stored test scores.
    auto scored = scoreSequences(*p, "tiny", s.testIds, std::nullopt);
    ASSERT_EQ(scored.size(), s.testIds.size());
    // Up to float32 rounding: batches are padded to different lengths here and in training.
    for (size_t i = 0; i < scored.size(); ++i)
        EXPECT_NEAR(scored[i].score, s.testScores[i],
                    1e-5 * std::max(1.0, std::abs(s.testScores[i])));

    auto att = attentionOf(*p, "tiny", s.testIds[0]);
    EXPECT_EQ(att.layers, 1);
    EXPECT_EQ(att.heads, 2);
    ASSERT_EQ(att.weights.size(), size_t(att.layers * att.heads * att.length * att.length));
    double row = 0;
    for (int j = 0; j < att.length; ++j) row += att.weights[size_t(j)];
    EXPECT_NEAR(row, 1.0, 1e-5);

    // Threshold rules beyond the quantile: POT on the validation scores, and the target-side
    // recalibrations on the test scores' own values, each named in the report.
    {
        // This fixture's validation part is tiny: POT refuses it, naming the reason.
        if (s.valScores.size() >= 20) {
            const auto pot = evaluateRun(*p, "tiny", ThresholdChoice::parse("pot:0.01", 0.99));
            EXPECT_DOUBLE_EQ(pot.threshold, eval::fitPot(s.valScores).threshold(0.01));
            EXPECT_EQ(pot.thresholdKind, "validation POT, risk 0.01");
        } else {
            try {
                evaluateRun(*p, "tiny", ThresholdChoice::parse("pot:0.01", 0.99));
                ADD_FAILURE() << "POT on " << s.valScores.size() << " scores";
            } catch (const std::invalid_argument& e) {
                EXPECT_NE(std::string(e.what()).find("at least 20 scores"), std::string::npos);
            }
        }
        const auto tq =
            evaluateRun(*p, "tiny", ThresholdChoice::parse("target-quantile:0.9", 0.99));
        EXPECT_DOUBLE_EQ(tq.threshold, eval::quantile(s.testScores, 0.9));
        EXPECT_NE(tq.thresholdKind.find("TARGET-SIDE"), std::string::npos);
        ASSERT_GE(s.testScores.size(), 20u);
        const auto tp = evaluateRun(*p, "tiny", ThresholdChoice::parse("target-pot:0.05", 0.99));
        EXPECT_DOUBLE_EQ(tp.threshold, eval::fitPot(s.testScores).threshold(0.05));
        for (const char* bad : {"pot:0", "pot:1", "pot:x", "target-quantile:2"})
            EXPECT_THROW(ThresholdChoice::parse(bad, 0.99), std::invalid_argument) << bad;
        EXPECT_DOUBLE_EQ(ThresholdChoice::parse("pot", 0.99).value, 1.0 - 0.99);
        // One grammar for evaluate and score: target:RATE is an expected contamination rate,
        // a bare number is the threshold itself.
        const auto tr = evaluateRun(*p, "tiny", ThresholdChoice::parse("target:0.1", 0.99));
        EXPECT_DOUBLE_EQ(tr.threshold, eval::quantile(s.testScores, 0.9));
        EXPECT_EQ(ThresholdChoice::parse("-12.5", 0.99).kind, ThresholdChoice::Kind::Value);
        EXPECT_DOUBLE_EQ(ThresholdChoice::parse("-12.5", 0.99).value, -12.5);
        for (const char* bad : {"target:0", "target:1", "nan", "12x"})
            EXPECT_THROW(ThresholdChoice::parse(bad, 0.99), std::invalid_argument) << bad;
        // The oracle needs labels; the target rules never read them.
        const RunScores rs = loadRunScores(*p, p->db().queryInt("SELECT id FROM runs").value());
        const std::vector<uint8_t> unlabelled(s.testScores.size(), 2);
        EXPECT_THROW(
            resolveThreshold(ThresholdChoice::parse("oracle", 0.99), rs, s.testScores, unlabelled),
            std::invalid_argument);
        EXPECT_DOUBLE_EQ(resolveThreshold(ThresholdChoice::parse("target:0.1", 0.99), rs,
                                          s.testScores, unlabelled),
                         tr.threshold);
    }

    // Drill-down: per-position contributions, and component energies whose log-sum-exp is the
    // stored energy of the sequence.
    for (size_t k = 0; k < 5 && k < s.testIds.size(); ++k) {
        const SequenceExplanation ex = explainSequence(*p, "tiny", s.testIds[k]);
        ASSERT_FALSE(ex.templateIds.empty());
        EXPECT_EQ(ex.unseenInTraining.size(), ex.templateIds.size());
        EXPECT_EQ(ex.scoreName, "energy");
        EXPECT_EQ(ex.contributionName, "masked reconstruction error");
        EXPECT_EQ(ex.contributions.size(),
                  std::min<size_t>(ex.templateIds.size(), size_t(tinyConfig().integer("max_len"))));
        for (float c : ex.contributions) EXPECT_GE(c, 0.0f);
        ASSERT_EQ(ex.componentEnergies.size(), size_t(tinyConfig().integer("components")));
        ASSERT_EQ(ex.componentWeights.size(), ex.componentEnergies.size());
        double m = INFINITY;
        for (double e : ex.componentEnergies) m = std::min(m, e);
        double sum = 0;
        for (double e : ex.componentEnergies) sum += std::exp(-(e - m));
        const double energy = m - std::log(sum);
        EXPECT_NEAR(energy, s.testScores[k], 1e-4 * std::max(1.0, std::abs(s.testScores[k])));
    }
    // Templates never seen in training are marked: every position of a training sequence is
    // seen.
    {
        const auto trainIds = splitPart(*p, findSplit(*p, "chrono")->id, "train");
        const SequenceExplanation ex = explainSequence(*p, "tiny", trainIds.at(0));
        for (bool u : ex.unseenInTraining) EXPECT_FALSE(u);
    }

    // A finished run's name cannot be reused; unknown splits are refused.
    EXPECT_THROW(trainRun(*p, "chrono", "tiny", tinyConfig()), std::invalid_argument);
    EXPECT_THROW(trainRun(*p, "nope", "x", tinyConfig()), std::invalid_argument);
}

// Trains `c` straight through, then again cancelled after epoch 2 and resumed under the same
// name: the resumed run's epoch losses equal the uninterrupted ones exactly.
void expectResumeMatchesUninterrupted(const TrainConfig& c) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    trainRun(*p, "chrono", "straight", c);
    auto straight = runEpochs(*p, findRun(*p, "straight")->id);
    ASSERT_EQ(straight.size(), 3u);

    TaskContext ctx;
    TrainCallbacks cb;
    cb.onEpoch = [&](const EpochStats& e) {
        if (e.epoch == 2) ctx.cancel();
    };
    EXPECT_THROW(trainRun(*p, "chrono", "resumed", c, &ctx, cb), Cancelled);
    EXPECT_EQ(findRun(*p, "resumed")->status, "cancelled");
    EXPECT_EQ(runEpochs(*p, findRun(*p, "resumed")->id).size(), 2u);
    auto r = trainRun(*p, "chrono", "resumed", c);
    EXPECT_EQ(r.status, "done");
    auto resumed = runEpochs(*p, r.id);
    ASSERT_EQ(resumed.size(), 3u);
    for (size_t e = 0; e < 3; ++e) {
        EXPECT_EQ(resumed[e].value("train_loss"), straight[e].value("train_loss")) << e;
        EXPECT_EQ(resumed[e].value("val_loss"), straight[e].value("val_loss")) << e;
    }
}

TEST(Trainer, ResumeFromCheckpointGivesTheSameNextLoss) {
    expectResumeMatchesUninterrupted(tinyConfig());
}

TEST(Trainer, AblationsAndBadConfigs) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    auto c = tinyConfig();
    c.set("epochs", 1);
    c.set("ablation", "w/o-gmm");
    const RunInfo nogmm = trainRun(*p, "chrono", "nogmm", c);
    EXPECT_EQ(nogmm.status, "done");
    EXPECT_EQ(nogmm.model, "w/o-gmm");  // run lists show the ablation, as before
    EXPECT_EQ(runScoreName(nogmm.configJson), "reconstruction error");
    c.set("ablation", "w/o-entmax");
    EXPECT_EQ(trainRun(*p, "chrono", "noentmax", c).status, "done");
    c.set("ablation", "none");
    EXPECT_EQ(runScoreName(trainConfigToJson(c).dump()), "energy");
    // The old spelling of the ablations as models still works.
    EXPECT_EQ(TrainConfig::defaults("w/o-gmm").text("ablation"), "w/o-gmm");
    EXPECT_EQ(TrainConfig::defaults("w/o-gmm").model, "mlad");
    auto bad = c;
    bad.model = "something";
    EXPECT_THROW(trainRun(*p, "chrono", "bad", bad), std::invalid_argument);
    bad = c;
    bad.params["nu"] = 2;
    EXPECT_THROW(trainRun(*p, "chrono", "bad", bad), std::invalid_argument);
    EXPECT_EQ(listRuns(*p).size(), 2u);
}

// The options issue 13 measures (rarity and diversity channels, covariance shrinkage, early
// stopping on validation energy) train, are recorded in the manifest, and score the same after
// the model is reloaded: the training split's template counts travel with the model.
TEST(Trainer, MladOptionsForNewPeriodsTrainRecordAndReload) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    auto c = tinyConfig();
    c.set("rarity_channel", true).set("diversity_channel", true);
    c.set("cov_shrinkage", 0.3).set("stop_on", "energy").set("patience", 2);
    const RunInfo run = trainRun(*p, "chrono", "options", c);
    ASSERT_EQ(run.status, "done") << run.message;
    const Json manifest = Json::parse(run.configJson);
    const Json& params = manifest.contains("params") ? manifest["params"] : manifest;
    EXPECT_TRUE(params.at("rarity_channel").get<bool>());
    EXPECT_TRUE(params.at("diversity_channel").get<bool>());
    EXPECT_DOUBLE_EQ(params.at("cov_shrinkage").get<double>(), 0.3);
    EXPECT_EQ(params.at("stop_on").get<std::string>(), "energy");

    const RunScores s = loadRunScores(*p, run.id);
    ASSERT_FALSE(s.testIds.empty());
    for (double v : s.testScores) EXPECT_TRUE(std::isfinite(v));
    // z carries d_z + 2 + 3 extra features: the share of positions whose template the training
    // part never saw, their mean -log training frequency, the share of distinct templates. The
    // fixture's anomalous windows hold an error template that only they have, so their unseen
    // share is positive, and 0 in every normal window (all of whose templates train).
    const auto rep = representationsOf(*p, "options", s.testIds);
    ASSERT_EQ(rep.vectors.size(), s.testIds.size());
    const size_t u = size_t(tinyConfig().integer("d_z") + 2);
    int anomalous = 0;
    for (size_t i = 0; i < rep.vectors.size(); ++i) {
        ASSERT_EQ(rep.vectors[i].size(), u + 3);
        const float unseen = rep.vectors[i][u], surprise = rep.vectors[i][u + 1],
                    distinct = rep.vectors[i][u + 2];
        if (s.testLabels[i] == 1) {
            ++anomalous;
            EXPECT_GT(unseen, 0.0f) << i;
        } else {
            EXPECT_EQ(unseen, 0.0f) << i;
        }
        EXPECT_GT(surprise, 0.0f);
        EXPECT_GT(distinct, 0.0f);
        EXPECT_LE(distinct, 1.0f);
    }
    EXPECT_GT(anomalous, 0);
    const auto scored = scoreSequences(*p, "options", s.testIds, std::nullopt);
    for (size_t i = 0; i < scored.size(); ++i)
        EXPECT_NEAR(scored[i].score, s.testScores[i],
                    1e-5 * std::max(1.0, std::abs(s.testScores[i])));
    bool removed = false;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir.file("p.mlad.runs")))
        if (e.path().filename() == "model.pt.counts") removed = std::filesystem::remove(e.path());
    ASSERT_TRUE(removed) << "no model.pt.counts beside the model";
    try {
        scoreSequences(*p, "options", s.testIds, std::nullopt);
        ADD_FAILURE() << "scored without the training counts";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("template counts"), std::string::npos) << e.what();
    }
}

// Issue 13's options for templates the model never trained on: with --unseen-vectors shared
// every such template gets one vector, so two later windows that differ only in which new
// template they hold score the same (with the embedder's own vectors they do not); with
// --one-sided-recon the training medians bound the reconstruction features; --components-by bic
// refits the stored mixture by EM; --novel-templates augments training with random template
// vectors; --detach-recon-features; --stop-on mse. All are recorded, and a reloaded run scores as
// the run did.
TEST(Trainer, SharedUnseenVectorsAndOneSidedFeaturesTrainRecordAndReload) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    auto shared = tinyConfig();
    shared.set("unseen_vectors", "shared").set("one_sided_recon", true);
    shared.set("components_by", "bic").set("novel_templates", 0.3);
    shared.set("detach_recon_features", true).set("stop_on", "mse").set("patience", 2);
    const RunInfo run = trainRun(*p, "chrono", "shared", shared);
    ASSERT_EQ(run.status, "done") << run.message;
    const RunInfo plain = trainRun(*p, "chrono", "plain", tinyConfig());
    ASSERT_EQ(plain.status, "done") << plain.message;
    const Json manifest = Json::parse(run.configJson);
    const Json& params = manifest.contains("params") ? manifest["params"] : manifest;
    EXPECT_EQ(params.at("unseen_vectors").get<std::string>(), "shared");
    EXPECT_TRUE(params.at("one_sided_recon").get<bool>());
    EXPECT_EQ(params.at("components_by").get<std::string>(), "bic");
    EXPECT_DOUBLE_EQ(params.at("novel_templates").get<double>(), 0.3);
    EXPECT_TRUE(params.at("detach_recon_features").get<bool>());
    EXPECT_EQ(params.at("stop_on").get<std::string>(), "mse");

    const RunScores s = loadRunScores(*p, run.id);
    ASSERT_FALSE(s.testIds.empty());
    const auto again = scoreSequences(*p, "shared", s.testIds, std::nullopt);
    ASSERT_EQ(again.size(), s.testIds.size());
    for (size_t i = 0; i < again.size(); ++i)
        EXPECT_NEAR(again[i].score, s.testScores[i],
                    1e-5 * std::max(1.0, std::abs(s.testScores[i])));

    // Later logs: two windows of the same five normal lines, then five lines of a template no
    // training window held: the fixture's error template in one, a brand-new one in the other.
    {
        std::ofstream o(dir.file("later.log"));
        for (int w = 0; w < 2; ++w)
            for (int i = 0; i < 10; ++i) {
                char t[64];
                std::snprintf(t, sizeof t, "2005-06-04-10.%02d.%02d.000000", w, i);
                const bool bad = i >= 5;
                o << (bad ? "KERNSTOR " : "- ") << 1117900000 + w * 10 + i << " 2005.06.04 R02 "
                  << t << " R02 RAS KERNEL " << (bad ? "FATAL " : "INFO ")
                  << (!bad     ? "generating core.77"
                      : w == 0 ? "data storage interrupt"
                               : "rts internal error in the torus network controller")
                  << "\n";
            }
    }
    ImportOptions opt;
    opt.preset = *findPreset("BGL");
    importFiles(*p, {dir.file("later.log")}, opt);
    SequenceSpec w;
    w.size = 10;
    w.step = 10;
    w.name = "later";
    const SequenceSetInfo set = buildSequences(*p, "BGL", w);
    const auto rows = sequencesOfSet(*p, set.id);
    ASSERT_GE(rows.size(), 2u);
    const std::vector<int64_t> ids = {rows[rows.size() - 2].id, rows.back().id};
    ASSERT_NE(rows[rows.size() - 2].events, rows.back().events);
    const auto a = scoreSequences(*p, "shared", ids, std::nullopt);
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[0].unseenTemplates, 5);
    EXPECT_EQ(a[1].unseenTemplates, 5);
    EXPECT_NEAR(a[0].score, a[1].score, 1e-9 * std::max(1.0, std::abs(a[0].score)));
    const auto b = scoreSequences(*p, "plain", ids, std::nullopt);
    ASSERT_EQ(b.size(), 2u);
    EXPECT_GT(std::abs(b[0].score - b[1].score), 1e-6 * std::max(1.0, std::abs(b[0].score)));
}

// Run names are free text: quotes, backslashes, newlines and non-ASCII letters survive into the
// stored manifest and metrics, which stay valid JSON; the threshold setting is read back from
// the manifest.
// Issue 16 finding 3: a full disk while a checkpoint or model is saved used to abort the process
// (LibTorch's file writer threw from its destructor during unwinding) and leave the run
// "running" with a checkpoint.pt.tmp behind. Now the run fails with a message naming the
// file, no temporary stays, and with room again the run can be trained under a new name.
TEST(Trainer, FullDiskWhileSavingFailsTheRunCleanly) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    auto c = tinyConfig();
    c.set("d_model", 128).set("d_ff", 512).set("embed_dim", 128).set("epochs", 2);
    std::error_code ec;
    const uint64_t wal = std::filesystem::file_size(dir.file("p.mlad-wal"), ec);
    const uint64_t dbBytes = std::filesystem::file_size(dir.file("p.mlad")) + (ec ? 0 : wal);
    std::string message;
    {
        // Every file this process writes is limited to the project's size + 512 KiB: the
        // project's own pages fit, a checkpoint of this model (~2.5 MB with Adam's state)
        // does not. The write fails with EFBIG, as a full disk fails it with ENOSPC.
        rlimit old{};
        getrlimit(RLIMIT_FSIZE, &old);
        auto oldHandler = signal(SIGXFSZ, SIG_IGN);
        rlimit r = old;
        r.rlim_cur = dbBytes + 512 * 1024;
        setrlimit(RLIMIT_FSIZE, &r);
        try {
            trainRun(*p, "chrono", "full", c);
        } catch (const std::exception& e) {
            message = e.what();
        }
        setrlimit(RLIMIT_FSIZE, &old);
        signal(SIGXFSZ, oldHandler);
    }
    ASSERT_NE(message, "") << "training saved a 2.5 MB checkpoint past the limit";
    EXPECT_NE(message.find(".pt"), std::string::npos) << message;
    const auto run = findRun(*p, "full");
    ASSERT_TRUE(run);
    EXPECT_EQ(run->status, "failed");
    EXPECT_NE(run->message.find(".pt"), std::string::npos) << run->message;
    const auto folder = std::filesystem::path(p->path() + ".runs/full");
    for (const auto& e : std::filesystem::directory_iterator(folder))
        EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
    EXPECT_EQ(p->integrityCheck(), "ok");
    EXPECT_EQ(trainRun(*p, "chrono", "roomy", c).status, "done");
}

TEST(Trainer, RunNamesWithQuotesAndNonAsciiGiveValidJson) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    TrainConfig c = tinyConfig();
    c.set("epochs", 1).set("nu", 0.05);
    for (const std::string& name : {std::string("a\"b\\c\nd"), std::string("Zürich-λ")}) {
        SCOPED_TRACE(name);
        const RunInfo r = trainRun(*p, "chrono", name, c);
        EXPECT_EQ(r.status, "done");
        EXPECT_EQ(r.name, name);
        ASSERT_TRUE(findRun(*p, name));
        EXPECT_EQ(findRun(*p, name)->id, r.id);

        Json config;
        ASSERT_NO_THROW(config = Json::parse(r.configJson)) << r.configJson;
        EXPECT_EQ(config.at("d_model").get<int>(), c.integer("d_model"));
        EXPECT_EQ(config.at("nu").get<double>(), c.real("nu"));
        EXPECT_EQ(trainConfigFromJson(r.configJson).integer("seed"), c.integer("seed"));

        ASSERT_FALSE(r.metricsJson.empty());
        Json metrics;
        ASSERT_NO_THROW(metrics = Json::parse(r.metricsJson)) << r.metricsJson;
        EXPECT_EQ(metrics.at("run").get<std::string>(), name);
        EXPECT_EQ(metrics.at("model").get<std::string>(), "mlad");

        const EvalReport rep = evaluateRun(*p, name, ThresholdChoice::parse("oracle", 0.95));
        Json report;
        ASSERT_NO_THROW(report = Json::parse(rep.toJson())) << rep.toJson();
        EXPECT_EQ(report.at("run").get<std::string>(), name);
        EXPECT_TRUE(report.at("oracle").get<bool>());

        const RunScores s = loadRunScores(*p, r.id);
        EXPECT_EQ(s.nu, c.real("nu"));
        ASSERT_FALSE(s.valScores.empty());
        EXPECT_DOUBLE_EQ(s.defaultThreshold, eval::quantile(s.valScores, 1.0 - c.real("nu")));
        // The trained model loads back under that name.
        ASSERT_FALSE(s.testIds.empty());
        EXPECT_EQ(scoreSequences(*p, name, {s.testIds[0]}, std::nullopt).size(), 1u);
    }
    EXPECT_EQ(listRuns(*p).size(), 2u);
}

// Run names with slashes or dots keep their files inside <project>.runs/, each in a folder of
// its own: "..", "." and "a/b" never write next to the project, "a/b" and "a_b" never share.
TEST(Trainer, RunFoldersStayInsideTheRunsFolderAndNeverShare) {
    namespace fs = std::filesystem;
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    TrainConfig c = tinyConfig();
    c.set("epochs", 1);
    const fs::path runsRoot = fs::weakly_canonical(dir.file("p.mlad.runs"));
    std::set<std::string> folders;
    const std::string longA = std::string(100, 'x') + "a", longB = std::string(100, 'x') + "b";
    for (const std::string& name :
         {std::string(".."), std::string("."), std::string("a/b"), std::string("a_b"),
          std::string("../../escape"), std::string("plain-name.1"), longA, longB,
          std::string(250, 'y') + "/1", std::string(250, 'y') + "/2"}) {
        SCOPED_TRACE(name);
        const RunInfo r = trainRun(*p, "chrono", name, c);
        ASSERT_EQ(r.status, "done");
        const fs::path model = fs::weakly_canonical(r.modelPath);
        const fs::path folder = model.parent_path();
        EXPECT_EQ(folder.parent_path(), runsRoot) << model;
        EXPECT_TRUE(folders.insert(folder.string()).second) << "shared folder " << folder;
        EXPECT_TRUE(fs::exists(model));
    }
    // A plain name keeps its readable folder (and so older runs keep theirs).
    EXPECT_TRUE(fs::exists(runsRoot / "plain-name.1" / "model.pt"));
    // Nothing was written beside the project or above it: every model file is under the runs
    // folder.
    for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
        const auto n = e.path().filename().string();
        if (n == "model.pt" || n == "checkpoint.pt" || n == "best.pt") {
            EXPECT_EQ(fs::weakly_canonical(e.path()).string().rfind(runsRoot.string(), 0), 0u)
                << e.path();
        }
    }
    EXPECT_FALSE(fs::exists(dir.path().parent_path() / "model.pt"));
    EXPECT_FALSE(fs::exists(dir.path().parent_path() / "escape"));
}

// Whatever bytes a report holds, its JSON parses: invalid UTF-8 is replaced, NaN is null.
TEST(EvalReportJson, InvalidUtf8AndNanStayValidJson) {
    EvalReport r;
    r.run = "bad \xff\xfe bytes \"quoted\"";
    r.model = "line\nbreak\\";
    r.rocAuc = std::nan("");
    r.prAuc = std::numeric_limits<double>::infinity();
    r.confusion.tp = 3;
    Json j;
    ASSERT_NO_THROW(j = Json::parse(r.toJson())) << r.toJson();
    EXPECT_TRUE(j.at("roc_auc").is_null());
    EXPECT_TRUE(j.at("pr_auc").is_null());
    EXPECT_EQ(j.at("tp").get<uint64_t>(), 3u);
    EXPECT_EQ(j.at("model").get<std::string>(), "line\nbreak\\");
    const std::string run = j.at("run").get<std::string>();
    EXPECT_EQ(run.rfind("bad ", 0), 0u);
    EXPECT_NE(run.find("\xEF\xBF\xBD"), std::string::npos);  // U+FFFD in place of the bad bytes
    EXPECT_NE(run.find("bytes \"quoted\""), std::string::npos);
}

// Two runs with the same seed and data give bit-identical losses and scores, also when each
// runs on a worker thread of its own (as the workbench does) and with dropout and two threads.
TEST(Trainer, SameSeedOnWorkerThreadsGivesIdenticalRuns) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    TrainConfig c = tinyConfig();
    c.set("dropout", 0.1).set("threads", 2).set("epochs", 2);
    trainRun(*p, "chrono", "main-thread", c);
    for (const char* name : {"worker-1", "worker-2"}) {
        std::exception_ptr error;
        std::thread worker([&] {
            try {
                trainRun(*p, "chrono", name, c);
            } catch (...) {
                error = std::current_exception();
            }
        });
        worker.join();
        if (error) std::rethrow_exception(error);
    }
    const auto reference = runEpochs(*p, findRun(*p, "main-thread")->id);
    const auto refScores = loadRunScores(*p, findRun(*p, "main-thread")->id);
    ASSERT_EQ(reference.size(), 2u);
    ASSERT_FALSE(refScores.testScores.empty());
    for (const char* name : {"worker-1", "worker-2"}) {
        const auto epochs = runEpochs(*p, findRun(*p, name)->id);
        ASSERT_EQ(epochs.size(), reference.size()) << name;
        for (size_t e = 0; e < epochs.size(); ++e) {
            EXPECT_EQ(epochs[e].value("train_loss"), reference[e].value("train_loss"))
                << name << " epoch " << e;
            EXPECT_EQ(epochs[e].value("val_loss"), reference[e].value("val_loss"))
                << name << " epoch " << e;
        }
        const auto scores = loadRunScores(*p, findRun(*p, name)->id);
        EXPECT_EQ(scores.testIds, refScores.testIds) << name;
        EXPECT_EQ(scores.testScores, refScores.testScores) << name;
        EXPECT_EQ(scores.valScores, refScores.valScores) << name;
    }
}

// --amp on CPU: bfloat16 autocast with the dynamic loss scaler, the path CUDA takes in float16.
TrainConfig ampConfig(bool amp) {
    TrainConfig c = tinyConfig();
    c.set("device", "cpu").set("amp", amp);
    return c;
}

TEST(AmpTraining, RunsOnCpuRecordsItAndStaysNearFloat32) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    const auto fp32 = trainRun(*p, "chrono", "fp32", ampConfig(false));
    const auto mixed = trainRun(*p, "chrono", "mixed", ampConfig(true));
    EXPECT_EQ(mixed.status, "done");
    EXPECT_NE(mixed.device.find("mixed precision bfloat16"), std::string::npos) << mixed.device;
    EXPECT_EQ(fp32.device.find("mixed"), std::string::npos) << fp32.device;
    EXPECT_NE(mixed.configJson.find("\"amp\":true"), std::string::npos);

    const auto a = runEpochs(*p, fp32.id), b = runEpochs(*p, mixed.id);
    ASSERT_EQ(a.size(), 3u);
    ASSERT_EQ(b.size(), 3u);
    for (size_t e = 0; e < a.size(); ++e) {
        EXPECT_TRUE(std::isfinite(b[e].value("train_loss")) &&
                    std::isfinite(b[e].value("val_loss")))
            << e;
        EXPECT_NEAR(b[e].value("train_loss"), a[e].value("train_loss"),
                    0.1 * std::abs(a[e].value("train_loss")) + 0.05)
            << e;
    }
    EXPECT_NE(b.front().value("train_loss"), a.front().value("train_loss"))
        << "--amp changed nothing: did it run?";
    EXPECT_LT(b.back().value("train_loss"), b.front().value("train_loss"))
        << "mixed-precision training must learn";
    // Scores come from the float32 model: finite, one per test sequence.
    const auto scores = loadRunScores(*p, mixed.id);
    ASSERT_FALSE(scores.testScores.empty());
    for (double s : scores.testScores) EXPECT_TRUE(std::isfinite(s));

    // The checkpoint carries the loss scaler (no overflow here: still the initial 2^16).
    torch::serialize::InputArchive ar;
    ar.load_from(p->path() + ".runs/mixed/checkpoint.pt");
    torch::Tensor scale, growth;
    ASSERT_TRUE(ar.try_read("amp_scale", scale));
    ASSERT_TRUE(ar.try_read("amp_growth", growth));
    EXPECT_EQ(scale.item<double>(), 65536.0);
    EXPECT_GT(growth.item<int64_t>(), 0);
}

TEST(AmpTraining, ResumeFromCheckpointGivesTheSameNextLoss) {
    expectResumeMatchesUninterrupted(ampConfig(true));
}

}  // namespace
