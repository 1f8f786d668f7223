// Streaming data (issue 17): training batches read from the project per batch, scoring a chunk
// at a time, and what a damaged project does to a stream.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include <torch/torch.h>

#include "TestData.h"
#include "TrainFixture.h"
#include "mlad/detect/Registry.h"
#include "mlad/seq/Adapters.h"
#include "mlad/seq/Splits.h"
#include "mlad/store/Project.h"
#include "mlad/train/TorchTrainable.h"
#include "mlad/train/Trainer.h"

namespace {

using namespace mlad;
using mlad::test::makeProject;
using mlad::test::TempDir;
using mlad::test::tinyConfig;

std::vector<int64_t> part(Project& p, const char* which) {
    return splitPart(p, findSplit(p, "chrono")->id, which);
}

// The losses of every batch of one epoch from the detector's fresh weights (seeded), then the
// scores of the test part after re-estimating the mixture.
struct Trace {
    std::vector<double> losses, scores;
};
Trace trace(Project& p, const TrainConfig& c, const TrainData& data,
            const seq::EventSequences& test) {
    auto d = createDetector(c);
    d->prepare(data, nullptr);
    TorchTrainable* t = d->trainable();
    torch::manual_seed(7);
    t->build(torch::kCPU);
    t->module().train();
    Trace out;
    torch::manual_seed(11);
    for (const auto& rows : t->epochBatches(4))
        out.losses.push_back(t->trainStep(rows).front().second.item<double>());
    t->module().eval();
    torch::NoGradGuard ng;
    out.losses.push_back(t->validationLoss(4, false));
    t->finishTraining(4);
    out.scores = d->score(p, test, nullptr);
    return out;
}

TEST(Streaming, TorchDetectorsTrainAndScoreTheSameFromAStreamAsFromLoadedSequences) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    const seq::EventSequences test = seq::loadEventSequences(*p, part(*p, "test"));
    struct Case {
        const char* name;
        TrainConfig config;
    };
    std::vector<Case> cases = {{"mlad", tinyConfig()},
                               {"mlad with the rarity channel", tinyConfig()},
                               {"dagmm", TrainConfig::defaults("dagmm")},
                               {"logbert", TrainConfig::defaults("logbert")},
                               {"deeplog", TrainConfig::defaults("deeplog")},
                               {"deeplog, reference windows", TrainConfig::defaults("deeplog")}};
    cases[0].config.set("dropout", 0.1);
    cases[1].config.set("dropout", 0.1).set("rarity_channel", true);
    cases[3].config.set("d_model", 16).set("d_ff", 32).set("layers", 1).set("heads", 2);
    cases[4].config.set("history", 3);
    cases[5].config.set("history", 3).set("windows", "reference");
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        TrainData loaded;
        loaded.project = p.get();
        loaded.train = seq::loadEventSequences(*p, part(*p, "train"));
        loaded.val = seq::loadEventSequences(*p, part(*p, "val"));
        TrainData streamed;
        streamed.project = p.get();
        streamed.trainStream = std::make_shared<seq::SequenceStream>(*p, part(*p, "train"));
        streamed.valStream = std::make_shared<seq::SequenceStream>(*p, part(*p, "val"));
        ASSERT_EQ(streamed.trainStream->size(), loaded.train.size());
        ASSERT_GT(loaded.train.size(), 8u);
        EXPECT_TRUE(detectorInfo(c.config.model).streams);

        const Trace a = trace(*p, c.config, loaded, test);
        const Trace b = trace(*p, c.config, streamed, test);
        ASSERT_GT(a.losses.size(), 2u);
        ASSERT_EQ(a.losses.size(), b.losses.size());
        for (size_t i = 0; i < a.losses.size(); ++i) {
            EXPECT_TRUE(std::isfinite(a.losses[i]));
            EXPECT_NEAR(a.losses[i], b.losses[i], 1e-9 * std::max(1.0, std::abs(a.losses[i])))
                << "batch " << i;
        }
        ASSERT_EQ(a.scores.size(), test.size());
        ASSERT_EQ(b.scores.size(), test.size());
        for (size_t i = 0; i < a.scores.size(); ++i)
            EXPECT_NEAR(a.scores[i], b.scores[i], 1e-9 * std::max(1.0, std::abs(a.scores[i])));
    }
}

TEST(Streaming, ScoringInChunksGivesTheScoresOfOneCallWithOneProgressBar) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    const std::vector<int64_t> ids = part(*p, "test");
    const seq::EventSequences all = seq::loadEventSequences(*p, ids);
    const seq::SequenceStream stream(*p, ids);
    ASSERT_EQ(stream.size(), all.size());
    for (const char* model : {"mlad", "pca", "new-templates"}) {
        SCOPED_TRACE(model);
        TrainConfig c = std::string(model) == "mlad" ? tinyConfig() : TrainConfig::defaults(model);
        trainRun(*p, "chrono", std::string("r-") + model, c);
        auto d = loadRunDetector(*p, *findRun(*p, std::string("r-") + model));
        const std::vector<double> whole = d->score(*p, all, nullptr);

        std::vector<double> chunked;
        std::vector<int64_t> seenIds;
        std::vector<uint64_t> done;
        TaskContext ctx(
            [&](const Progress& pr) {
                if (pr.total) {
                    EXPECT_EQ(pr.total, stream.size());
                    done.push_back(pr.done);
                }
            },
            0.0);
        size_t calls = 0;
        scoreInChunks(
            *d, *p, stream,
            [&](const seq::EventSequences& q, const std::vector<double>& s) {
                ++calls;
                EXPECT_LE(q.size(), 3u);
                seenIds.insert(seenIds.end(), q.ids.begin(), q.ids.end());
                chunked.insert(chunked.end(), s.begin(), s.end());
            },
            &ctx, 3);
        EXPECT_EQ(calls, (all.size() + 2) / 3);
        EXPECT_EQ(seenIds, all.ids);
        ASSERT_EQ(chunked.size(), whole.size());
        for (size_t i = 0; i < whole.size(); ++i)
            EXPECT_NEAR(chunked[i], whole[i], 1e-9 * std::max(1.0, std::abs(whole[i])));
        // MLAD reports scoring progress: one bar over all chunks, never going back.
        if (std::string(model) == "mlad") {
            ASSERT_FALSE(done.empty());
            for (size_t i = 1; i < done.size(); ++i) EXPECT_GE(done[i], done[i - 1]);
            EXPECT_EQ(done.back(), stream.size());
        }
        EXPECT_THROW(scoreInChunks(*d, *p, stream, {}, nullptr, 0), std::invalid_argument);
    }
}

TEST(Streaming, ADamagedSequenceIsNamedNotReadAsGarbage) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    const std::vector<int64_t> ids = part(*p, "train");
    const seq::SequenceStream stream(*p, ids);
    ASSERT_GE(stream.size(), 2u);
    const int64_t victim = stream.ids()[1];
    // Events cut short behind the stored length, as a hostile or damaged file might hold.
    p->db().exec("UPDATE sequences SET events = substr(events, 1, 4) WHERE id = " +
                 std::to_string(victim));
    const int64_t positions[] = {0, 1};
    try {
        stream.events(positions, 2);
        FAIL() << "a cut sequence was read";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("sequence " + std::to_string(victim)),
                  std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("stored length"), std::string::npos) << e.what();
    }
    // Positions outside the stream are refused, not read.
    const int64_t outside[] = {int64_t(stream.size())};
    EXPECT_THROW(stream.events(outside, 1), std::out_of_range);
    // A deleted sequence is named too.
    p->db().exec("DELETE FROM split_members WHERE sequence_id = " + std::to_string(victim));
    p->db().exec("DELETE FROM sequences WHERE id = " + std::to_string(victim));
    try {
        stream.load(0, 2);
        FAIL() << "a deleted sequence was read";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("is gone"), std::string::npos) << e.what();
    }
}

TEST(Streaming, TheTrainingPartsTemplatesAreSavedWithTheRun) {
    // Marking a sequence's events "unseen in training" needs the training part's templates;
    // the run keeps them, so that opening a sequence does not read the whole part again.
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    const RunInfo r = trainRun(*p, "chrono", "rule", TrainConfig::defaults("new-templates"));
    const std::string saved = dir.file("p.mlad.runs/rule/training_templates.json");
    ASSERT_TRUE(std::filesystem::exists(saved));
    std::unordered_set<int32_t> expected;
    for (const auto& ev : seq::loadEventSequences(*p, part(*p, "train")).events)
        expected.insert(ev.begin(), ev.end());
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(*trainingTemplates(*p, r), expected);
    // A run without the file (trained by an older version), or with a damaged one, reads the
    // part instead.
    std::filesystem::remove(saved);
    EXPECT_EQ(*trainingTemplates(*p, r), expected);
    std::ofstream(saved) << "[1, 2, \"three\"";
    EXPECT_EQ(*trainingTemplates(*p, r), expected);
    RunInfo orphan = r;
    orphan.splitId = 0;
    EXPECT_FALSE(trainingTemplates(*p, orphan).has_value());
}

}  // namespace
