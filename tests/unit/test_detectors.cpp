// The detector framework: a toy detector written only against the interface registers at run
// time, trains, scores, resumes and is listed; the run manager refuses bad configurations
// before any run record and ends a diverging run "failed" with its epoch; MLAD gives the same
// numbers as before the framework; a project file of the old schema keeps its runs.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <torch/version.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "TestData.h"
#include "TrainFixture.h"
#include "mlad/detect/Registry.h"
#include "mlad/seq/Splits.h"
#include "mlad/store/Sqlite.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/TorchTrainable.h"
#include "mlad/train/Trainer.h"

namespace {

using namespace mlad;
using mlad::test::makeProject;
using mlad::test::TempDir;
using mlad::test::tinyConfig;
namespace fs = std::filesystem;

// ---- A toy detector: squared distance of a sequence's template-count vector to a learned
// centre. Everything it knows of the workbench is the Detector / TorchTrainable interface and
// the count-vector adapter.
struct Centre : torch::nn::Module {
    explicit Centre(int64_t n) { c = register_parameter("c", torch::zeros({n})); }
    torch::Tensor c;
};

class ToyDetector final : public Detector, public TorchTrainable {
  public:
    ToyDetector(std::string id, Json p) : id_(std::move(id)), params_(std::move(p)) {}
    const DetectorInfo& info() const override { return detectorInfo(id_); }
    const Json& params() const override { return params_; }
    TorchTrainable* trainable() override { return this; }
    void prepare(const TrainData& d, TaskContext*) override {
        keys_ = seq::TemplateKeys::fromTraining(*d.project, d.train);
        train_ = counts(*d.project, d.train);
        val_ = counts(*d.project, d.val);
    }
    void build(torch::Device) override { centre_ = std::make_shared<Centre>(keys_.size() - 1); }
    torch::nn::Module& module() override { return *centre_; }
    int64_t trainSize() const override { return train_.size(0); }
    std::vector<torch::Tensor> epochBatches(int64_t batchSize) override {
        ++epoch_;
        return torch::randperm(trainSize(), torch::kInt64).split(batchSize);
    }
    LossTerms trainStep(const torch::Tensor& rows) override {
        auto d = distance(train_.index_select(0, rows));
        // The diverging variant blows up in its second epoch.
        auto loss = id_ == "toy-diverging" && epoch_ >= 2 ? d.mean() * NAN : d.mean();
        return {{"loss", loss}, {"max", d.max()}};
    }
    double validationLoss(int64_t, bool) override {
        return distance(val_.size(0) ? val_ : train_).mean().item<double>();
    }
    std::vector<double> score(Project& p, const seq::EventSequences& s, TaskContext*) override {
        torch::NoGradGuard ng;
        auto d = distance(counts(p, s)).to(torch::kDouble).contiguous();
        return {d.data_ptr<double>(), d.data_ptr<double>() + d.numel()};
    }
    void save(const std::string& path) override {
        torch::serialize::OutputArchive a;
        centre_->save(a);
        a.save_to(path);
        std::ofstream(path + ".keys.json") << Json(keys_.texts()).dump();
    }
    void load(Project&, const std::string& path, const std::string&) override {
        std::ifstream in(path + ".keys.json");
        keys_ = seq::TemplateKeys::fromTexts(Json::parse(in).get<std::vector<std::string>>());
        build(torch::kCPU);
        torch::serialize::InputArchive a;
        a.load_from(path);
        centre_->load(a);
    }

  private:
    torch::Tensor counts(Project& p, const seq::EventSequences& s) const {
        auto c = seq::countVectors(keys_.encode(p, s), keys_.size());
        return torch::from_blob(c.values.data(), {c.rows, c.cols}, torch::kFloat32).clone();
    }
    torch::Tensor distance(const torch::Tensor& x) const { return (x - centre_->c).pow(2).sum(1); }

    std::string id_;
    Json params_;
    int epoch_ = 0;
    seq::TemplateKeys keys_;
    torch::Tensor train_, val_;
    std::shared_ptr<Centre> centre_;
};

void registerToys() {
    static std::once_flag once;
    std::call_once(once, [] {
        for (const char* id : {"toy-centre", "toy-diverging"}) {
            DetectorInfo info;
            info.id = id;
            info.displayName = "Toy centre";
            info.description = "distance of the template counts to a learned centre (a test)";
            info.iterative = true;
            info.params = joinParams({params::torchTraining(4, 8, 0.1, 0), params::threshold()});
            const std::string name = id;
            registerDetector(
                info, [name](const Json& p) { return std::make_unique<ToyDetector>(name, p); });
        }
    });
}

TrainConfig toyConfig(const std::string& id = "toy-centre") {
    registerToys();
    TrainConfig c = TrainConfig::defaults(id);
    c.set("threads", 1);
    return c;
}

TEST(DetectorFramework, AToyDetectorRegistersTrainsScoresResumesAndIsListed) {
    registerToys();
    bool listed = false;
    for (const auto& d : registryJson())
        if (d["id"] == "toy-centre") {
            listed = true;
            EXPECT_EQ(d["params"].size(), 10u);
            EXPECT_EQ(d["params"][0]["option"], "--epochs");
        }
    EXPECT_TRUE(listed) << "the registry listing (mlad models) must show a run-time detector";
    EXPECT_THROW(registerDetector(*findDetector("toy-centre"),
                                  [](const Json&) { return std::unique_ptr<Detector>(); }),
                 std::invalid_argument);

    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    const TrainConfig c = toyConfig();
    EXPECT_EQ(defaultRunName(*p, "chrono", c), "chrono-toy-centre");
    const RunInfo straight = trainRun(*p, "chrono", "straight", c);
    EXPECT_EQ(straight.status, "done");
    EXPECT_EQ(straight.model, "toy-centre");
    EXPECT_EQ(runScoreName(straight.configJson), "score");
    const auto epochs = runEpochs(*p, straight.id);
    ASSERT_EQ(epochs.size(), 4u);
    std::vector<std::string> keys;
    for (const auto& kv : epochs[0].values) keys.push_back(kv.first);
    EXPECT_EQ(keys, (std::vector<std::string>{"train_loss", "train_max", "val_loss", "seconds"}));
    EXPECT_LT(epochs.back().value("train_loss"), epochs.front().value("train_loss"));

    // Scores: one per test sequence; the anomalous windows hold a template never seen in
    // training (its own count column), so they lie far from the centre.
    const RunScores s = loadRunScores(*p, straight.id);
    EXPECT_EQ(s.testScores.size(), findSplit(*p, "chrono")->test.total);
    const EvalReport rep = evaluateRun(*p, "straight", ThresholdChoice::parse("", 0.99));
    EXPECT_GT(rep.rocAuc, 0.9);
    // A later scoring loads the saved model and reproduces the stored scores.
    const auto scored = scoreSequences(*p, "straight", s.testIds, std::nullopt);
    ASSERT_EQ(scored.size(), s.testIds.size());
    for (size_t i = 0; i < scored.size(); ++i)
        EXPECT_NEAR(scored[i].score, s.testScores[i], 1e-9 * std::max(1.0, s.testScores[i]));
    // No attention maps: refused, not broken.
    EXPECT_THROW(attentionOf(*p, "straight", s.testIds[0]), std::invalid_argument);

    // Cancelled after epoch 2 and resumed under the same name: the same run as straight.
    TaskContext ctx;
    TrainCallbacks cb;
    cb.onEpoch = [&](const EpochStats& e) {
        if (e.epoch == 2) ctx.cancel();
    };
    EXPECT_THROW(trainRun(*p, "chrono", "resumed", c, &ctx, cb), Cancelled);
    EXPECT_EQ(findRun(*p, "resumed")->status, "cancelled");
    const RunInfo resumed = trainRun(*p, "chrono", "resumed", c);
    EXPECT_EQ(resumed.status, "done");
    const auto again = runEpochs(*p, resumed.id);
    ASSERT_EQ(again.size(), 4u);
    for (size_t e = 0; e < 4; ++e)
        EXPECT_EQ(again[e].value("train_loss"), epochs[e].value("train_loss")) << e;
    EXPECT_EQ(loadRunScores(*p, resumed.id).testScores, s.testScores);
}

TEST(DetectorFramework, ADivergingRunEndsFailedWithItsEpoch) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    try {
        trainRun(*p, "chrono", "boom", toyConfig("toy-diverging"));
        FAIL() << "a NaN loss must stop the run";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("NaN at epoch 2"), std::string::npos) << e.what();
    }
    const auto r = findRun(*p, "boom");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, "failed");
    EXPECT_NE(r->message.find("epoch 2"), std::string::npos) << r->message;
    EXPECT_EQ(runEpochs(*p, r->id).size(), 1u);
}

TEST(DetectorFramework, InvalidConfigurationsAreRefusedBeforeAnyRunRecord) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    struct Case {
        const char* key;
        Json value;
        const char* message;
    };
    const Case cases[] = {
        {"alpha", 0.5, "--alpha: 0.5 is outside [1, 2]"},
        {"epochs", -1, "--epochs: -1 is outside [1, 100000]"},
        {"batch_size", 0, "--batch-size: 0 is outside [1, 1048576]"},
        {"heads", 3, "--d-model 100 is not divisible by --heads 3"},
        {"components", 0, "--components: 0 is outside [1, 64]"},
        {"dropout", 2, "--dropout: 2 is outside [0, 0.9]"},
        {"lr", std::nan(""), "--lr"},
        {"recon", "half", "--recon: 'half' is not one of masked|full"},
        {"ablation", "w/o-everything", "--ablation"},
    };
    for (const auto& c : cases) {
        TrainConfig cfg = TrainConfig::defaults("mlad");
        cfg.params[c.key] = c.value;
        try {
            trainRun(*p, "chrono", std::string("bad-") + c.key, cfg);
            ADD_FAILURE() << c.key << " was accepted";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos)
                << c.key << ": " << e.what();
        }
    }
    TrainConfig unknownKey = TrainConfig::defaults("mlad");
    EXPECT_THROW(unknownKey.set("hidden", 64), std::invalid_argument);
    unknownKey.params["hidden"] = 64;
    EXPECT_THROW(trainRun(*p, "chrono", "bad-key", unknownKey), std::invalid_argument);
    TrainConfig unknownModel = TrainConfig::defaults("mlad");
    unknownModel.model = "nope";
    try {
        trainRun(*p, "chrono", "bad-model", unknownModel);
        ADD_FAILURE() << "an unknown model was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("mlad|mlad-paper"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(listRuns(*p).empty()) << "no run record for a refused configuration";
}

TEST(DetectorFramework, ResumeNeedsTheSameModelAndHostileManifestsFailClearly) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    makeProject(*p, dir);
    TaskContext ctx;
    TrainCallbacks cb;
    cb.onEpoch = [&](const EpochStats&) { ctx.cancel(); };
    TrainConfig c = tinyConfig();
    EXPECT_THROW(trainRun(*p, "chrono", "m", c, &ctx, cb), Cancelled);
    // The default name never picks an existing run: resuming is done by naming it.
    EXPECT_EQ(defaultRunName(*p, "chrono", c), "chrono-mlad");
    EXPECT_THROW(trainRun(*p, "chrono", "chrono-mlad", c, &ctx, cb), Cancelled);
    EXPECT_EQ(defaultRunName(*p, "chrono", c), "chrono-mlad-2");
    // Another architecture or another detector cannot continue its checkpoint.
    TrainConfig wider = c;
    wider.set("d_model", 32);
    try {
        trainRun(*p, "chrono", "m", wider);
        ADD_FAILURE() << "resumed with another d_model";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("--d-model 16, not 32"), std::string::npos)
            << e.what();
    }
    TrainConfig paper = TrainConfig::defaults("mlad-paper");
    paper.params = c.params;
    EXPECT_THROW(trainRun(*p, "chrono", "m", paper), std::invalid_argument);
    EXPECT_EQ(findRun(*p, "m")->status, "cancelled");
    // More epochs is fine: optimisation settings may change on resume.
    TrainConfig longer = c;
    longer.set("epochs", 4);
    EXPECT_EQ(trainRun(*p, "chrono", "m", longer).status, "done");
    EXPECT_EQ(runEpochs(*p, findRun(*p, "m")->id).size(), 4u);

    // A hostile manifest (batch_size 0 would loop forever) is refused, naming the run.
    p->db()
        .prepare("UPDATE runs SET config = json_set(config, '$.batch_size', 0) WHERE name = 'm'")
        .run();
    const RunScores s = loadRunScores(*p, findRun(*p, "m")->id);
    try {
        scoreSequences(*p, "m", s.testIds, std::nullopt);
        ADD_FAILURE() << "scored with batch_size 0";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("run 'm'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("batch_size"), std::string::npos) << e.what();
    }
    p->db().prepare("UPDATE runs SET config = '{\"model\":\"gone\"}' WHERE name = 'm'").run();
    try {
        scoreSequences(*p, "m", s.testIds, std::nullopt);
        ADD_FAILURE() << "scored with an unknown model";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("run 'm' cannot be loaded"), std::string::npos)
            << e.what();
    }
}

TEST(DetectorFramework, TheRegistryDescribesMladAndItsPaperSettings) {
    const DetectorInfo& mlad = detectorInfo("mlad");
    const DetectorInfo& paper = detectorInfo("mlad-paper");
    EXPECT_EQ(mlad.scoreName, "energy");
    EXPECT_TRUE(mlad.caps.attention);
    EXPECT_TRUE(mlad.iterative);
    EXPECT_EQ(findParam(mlad.params, "dropout")->def, 0.1);
    EXPECT_EQ(findParam(paper.params, "dropout")->def, 0.5);
    for (const char* key : {"d_model", "layers", "heads", "d_ff", "d_z", "components", "alpha",
                            "lambda_energy", "lambda_cov", "lr", "batch_size", "epochs"})
        EXPECT_EQ(findParam(mlad.params, key)->def, findParam(paper.params, key)->def) << key;
    // The manifest round-trips, and an old manifest (ablations were models) reads as MLAD.
    const TrainConfig c = TrainConfig::defaults("mlad-paper");
    const TrainConfig back = trainConfigFromJson(trainConfigToJson(c).dump());
    EXPECT_EQ(back.model, "mlad-paper");
    EXPECT_EQ(back.params, c.params);
    const TrainConfig old = trainConfigFromJson(R"({"model":"w/o-entmax","d_model":32,"seed":7})");
    EXPECT_EQ(old.model, "mlad");
    EXPECT_EQ(old.text("ablation"), "w/o-entmax");
    EXPECT_EQ(old.integer("d_model"), 32);
    EXPECT_EQ(old.label(), "w/o-entmax");
}

// ---- MLAD gives the numbers it gave before the framework. Recorded with the code of commit
// 7e894da (Debian's LibTorch 1.13, one thread) on tinyConfig() with dropout 0.1 and seed 7:
// per-epoch train loss, MSE, energy, covariance penalty and validation loss; the default
// threshold; the stored validation and test scores; and a later scoring of the test sequences.
struct Golden {
    const char* model;
    std::vector<std::vector<double>> epochs;
    double threshold;
    std::vector<double> val, test, scored;
};

// clang-format off
const std::vector<Golden> kGolden = {
    {"mlad",
        {{3549.8397214552933, 0.35771392548785491, -21.558378780589383, 710327.5709443934, 483.97402954101562},
         {3549.8685004290414, 0.35661463702426238, -22.043192246380976, 710343.23506433819, 488.220947265625},
         {3533.3089206358964, 0.32704483761506919, -20.936813354492188, 707015.10509535845, 653.4073486328125}},
        -27.274086361108058,
        {-27.274087318971773, -27.274086351432668},
        {-26.990855083229626, -27.274087318971773, -27.274086351432668, -26.990855083229626, -27.274087318971773, 23600.891520668636, -26.990855083229626, -27.274087318971773, -27.274086351432668, -26.990855083229626, -27.274087318971773, -27.274086351432668, -26.990855083229626, -27.274087318971773, -27.274086351432668, -26.990855083229626, -27.274087318971773, -27.274086351432668, -26.990855083229626, 21908.192275311932},
        {-26.990855083229626, -27.274087318971773, -27.274086351432668, -26.990855083229626, -27.274087318971773, 23600.891520668636, -26.990855083229626, -27.274087318971773, -27.274086351432668, -26.990855083229626, -27.274087318971773, -27.274086351432668, -26.990855083229626, -27.274087318971773, -27.274086351432668, -26.990855083229626, -27.274087318971773, -27.274086351432668, -26.990855083229626, 21908.192275311932}},
    {"w/o-entmax",
        {{3549.8634852241066, 0.35881302111289082, -21.567517448874082, 710332.30365349259, 533.60858154296875},
         {3549.9121028675754, 0.35823867776814627, -22.046282151166132, 710351.71088005509, 604.3497314453125},
         {3533.3896417056812, 0.32857553923831267, -20.942338831284466, 707031.0751953125, 1158.9130859375}},
        -27.290159629112889,
        {-27.290159523541867, -27.290170080644153},
        {-27.006951769712526, -27.290159523541867, -27.290170080644153, -27.006951769712526, -27.290159523541867, 23293.002752651391, -27.006951769712526, -27.290159523541867, -27.290170080644153, -27.006951769712526, -27.290159523541867, -27.290170080644153, -27.006951769712526, -27.290159523541867, -27.290170080644153, -27.006951769712526, -27.290159523541867, -27.290170080644153, -27.006951769712526, 21551.397618394218},
        {-27.006951769712526, -27.290159523541867, -27.290170080644153, -27.006951769712526, -27.290159523541867, 23293.002752651391, -27.006951769712526, -27.290159523541867, -27.290170080644153, -27.006951769712526, -27.290159523541867, -27.290170080644153, -27.006951769712526, -27.290159523541867, -27.290170080644153, -27.006951769712526, -27.290159523541867, -27.290170080644153, -27.006951769712526, 21551.397618394218}},
    {"w/o-gmm",
        {{0.3320116137757021, 0.3320116137757021, 0, 0, 0.25110602378845215},
         {0.27021897890988517, 0.27021897890988517, 0, 0, 0.19548532366752625},
         {0.19946358046110937, 0.19946358046110937, 0, 0, 0.15928450226783752}},
        0.16493912920355797,
        {0.16505452990531921, 0.15351445972919464},
        {0.16214460134506226, 0.16505452990531921, 0.15351445972919464, 0.16214460134506226, 0.16505452990531921, 0.19558808207511902, 0.16214460134506226, 0.16505452990531921, 0.15351445972919464, 0.16214460134506226, 0.16505452990531921, 0.15351445972919464, 0.16214460134506226, 0.16505452990531921, 0.15351445972919464, 0.16214460134506226, 0.16505452990531921, 0.15351445972919464, 0.16214460134506226, 0.19396772980690002},
        {0.16214460134506226, 0.16505452990531921, 0.15351445972919464, 0.16214460134506226, 0.16505452990531921, 0.19558808207511902, 0.16214460134506226, 0.16505452990531921, 0.15351445972919464, 0.16214460134506226, 0.16505452990531921, 0.15351445972919464, 0.16214460134506226, 0.16505452990531921, 0.15351445972919464, 0.16214460134506226, 0.16505452990531921, 0.15351445972919464, 0.16214460134506226, 0.19396772980690002}},
};
// clang-format on

TEST(MladGolden, TrainingAndScoringGiveTheNumbersOfTheCodeBeforeTheFramework) {
    if (!(TORCH_VERSION_MAJOR == 1 && TORCH_VERSION_MINOR == 13))
        GTEST_SKIP() << "figures recorded with Debian's LibTorch 1.13; this is " << TORCH_VERSION;
    for (const auto& g : kGolden) {
        SCOPED_TRACE(g.model);
        TempDir dir;
        auto p = Project::open(dir.file("p.mlad"));
        makeProject(*p, dir);
        TrainConfig c = tinyConfig();
        c.set("ablation", std::string(g.model) == "mlad" ? "none" : g.model);
        c.set("dropout", 0.1).set("seed", 7);
        const RunInfo r = trainRun(*p, "chrono", "g", c);
        const auto epochs = runEpochs(*p, r.id);
        ASSERT_EQ(epochs.size(), g.epochs.size());
        const char* keys[] = {"train_loss", "train_mse", "train_energy", "train_cov", "val_loss"};
        for (size_t e = 0; e < epochs.size(); ++e)
            for (size_t k = 0; k < 5; ++k)
                EXPECT_EQ(epochs[e].value(keys[k]), g.epochs[e][k])
                    << "epoch " << e + 1 << " " << keys[k];
        const RunScores s = loadRunScores(*p, r.id);
        EXPECT_EQ(s.defaultThreshold, g.threshold);
        EXPECT_EQ(s.valScores, g.val);
        EXPECT_EQ(s.testScores, g.test);
        // Later scoring batches by length like training does (the old code batched in data
        // order): equal up to float32 rounding of differently padded batches.
        const auto scored = scoreSequences(*p, "g", s.testIds, std::nullopt);
        ASSERT_EQ(scored.size(), g.scored.size());
        for (size_t i = 0; i < scored.size(); ++i)
            EXPECT_NEAR(scored[i].score, g.scored[i], 1e-6 * std::max(1.0, std::abs(g.scored[i])));
    }
}

// ---- A project written by the schema-2 code (tests/data/schema2/README.md).
void gunzip(const std::string& from, const std::string& to) {
    gzFile in = gzopen(from.c_str(), "rb");
    ASSERT_NE(in, nullptr) << from;
    std::ofstream out(to, std::ios::binary);
    char buf[65536];
    int n;
    while ((n = gzread(in, buf, sizeof buf)) > 0) out.write(buf, n);
    gzclose(in);
    ASSERT_EQ(n, 0) << from;
}

TEST(SchemaMigration, AnOldProjectOpensAndKeepsItsRuns) {
    TempDir dir;
    const std::string data = std::string(MLAD_SOURCE_DIR) + "/tests/data/schema2/";
    const std::string path = dir.file("old.mlad");
    gunzip(data + "old.mlad.gz", path);
    fs::create_directories(path + ".runs/old-run");
    gunzip(data + "old-run-model.pt.gz", path + ".runs/old-run/model.pt");

    auto p = Project::open(path);
    EXPECT_EQ(p->schemaVersion(), Project::kSchemaVersion);
    const auto runs = listRuns(*p);
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0].name, "old-run");
    EXPECT_EQ(runs[0].model, "mlad");
    EXPECT_EQ(runs[1].name, "old w/o-gmm");
    EXPECT_EQ(runs[1].model, "w/o-gmm");
    for (const auto& r : runs) EXPECT_EQ(r.status, "done");

    // The epochs moved to key / value rows, every column and value intact.
    const auto epochs = runEpochs(*p, runs[0].id);
    ASSERT_EQ(epochs.size(), 2u);
    std::vector<std::string> keys;
    for (const auto& kv : epochs[0].values) keys.push_back(kv.first);
    EXPECT_EQ(keys, (std::vector<std::string>{"train_loss", "train_mse", "train_energy",
                                              "train_cov", "val_loss", "seconds"}));
    EXPECT_NEAR(epochs[0].value("train_loss"), 34.8784299214681, 1e-9);
    EXPECT_NEAR(epochs[1].value("train_loss"), 10.1013381322225, 1e-9);
    EXPECT_NEAR(epochs[1].value("val_loss"), 196.722091674805, 1e-9);
    EXPECT_NEAR(runEpochs(*p, runs[1].id)[1].value("train_loss"), 0.322221080462138, 1e-9);

    // Scores, metrics and manifests still serve: old manifests read as MLAD (and its ablation).
    const RunScores s = loadRunScores(*p, runs[0].id);
    EXPECT_EQ(s.testScores.size(), 20u);
    EXPECT_EQ(evaluateRun(*p, "old-run", ThresholdChoice::parse("", 0.99)).confusion.tp, 2u);
    EXPECT_EQ(trainConfigFromJson(runs[1].configJson).text("ablation"), "w/o-gmm");
    EXPECT_EQ(runScoreName(runs[1].configJson), "reconstruction error");
    // The old model file scores with the new code (its stored path was relative to another
    // directory: the run's folder beside the project is used).
    const auto scored = scoreSequences(*p, "old-run", s.testIds, std::nullopt);
    ASSERT_EQ(scored.size(), s.testIds.size());
    for (size_t i = 0; i < scored.size(); ++i)
        EXPECT_NEAR(scored[i].score, s.testScores[i],
                    1e-5 * std::max(1.0, std::abs(s.testScores[i])));
    // A run whose model file is gone says so.
    try {
        scoreSequences(*p, "old w/o-gmm", s.testIds, std::nullopt);
        ADD_FAILURE() << "scored without a model file";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("model file is missing"), std::string::npos)
            << e.what();
    }
    // And the migrated project trains new runs.
    TrainConfig c = tinyConfig();
    c.set("epochs", 1);
    EXPECT_EQ(trainRun(*p, "chrono", "new", c).status, "done");
    EXPECT_EQ(listRuns(*p).size(), 3u);
}

}  // namespace
