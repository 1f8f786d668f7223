// MLAD model (core/mlad/model/Mlad.h): shapes, masking, padding, attention, training, I/O.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlad/model/Mlad.h"

namespace {

using mlad::model::GmmAccumulator;
using mlad::model::gmmEstimate;
using mlad::model::GmmParams;
using mlad::model::Mlad;
using mlad::model::MladConfig;
using mlad::model::MladOutput;
using torch::Tensor;

MladConfig smallConfig() {
    MladConfig c;
    c.dIn = 8;
    c.dModel = 16;
    c.nLayers = 2;
    c.nHeads = 4;
    c.dFf = 32;
    c.maxLen = 32;
    c.dZ = 4;
    c.nComponents = 3;
    c.estHidden = 6;
    c.dropout = 0.1;
    return c;
}

struct Batch {
    Tensor x;    // [B,L,dIn]
    Tensor pad;  // [B,L] bool
};

/// Random template vectors; sequence b has lengths[b] real positions, the rest is padding
/// (filled with garbage on purpose: it must never matter).
Batch makeBatch(const std::vector<int64_t>& lengths, int64_t l, int64_t dIn) {
    const auto b = static_cast<int64_t>(lengths.size());
    Batch out;
    out.x = torch::randn({b, l, dIn});
    out.pad = torch::zeros({b, l}, torch::kBool);
    for (int64_t i = 0; i < b; ++i) out.pad[i].narrow(0, lengths[i], l - lengths[i]).fill_(true);
    out.x.masked_fill_(out.pad.unsqueeze(-1), 7.0);
    return out;
}

std::vector<int64_t> someLengths(int64_t b, int64_t l) {
    std::vector<int64_t> v;
    for (int64_t i = 0; i < b; ++i) v.push_back(1 + (i * 5) % l);
    v[0] = l;
    return v;
}

/// Fits the stored GMM on the eval-mode representation of a few batches.
void fitGmm(Mlad& model, int64_t nBatches, int64_t l) {
    GmmAccumulator acc;
    for (int64_t i = 0; i < nBatches; ++i) {
        const Batch b = makeBatch(someLengths(32, l), l, model->config().dIn);
        model->accumulateGmm(acc, b.x, b.pad);
    }
    model->setGmm(acc.finish());
}

bool allFinite(const Tensor& t) {
    return torch::isfinite(t).all().item<bool>();
}

double maxAbsDiff(const Tensor& a, const Tensor& b) {
    return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

std::string tempPath(const std::string& stem) {
    static std::atomic<int> counter{0};
    const auto tick = std::chrono::steady_clock::now().time_since_epoch().count();
    return (std::filesystem::temp_directory_path() /
            (stem + "_" + std::to_string(tick) + "_" + std::to_string(counter++) + ".pt"))
        .string();
}

TEST(MladModel, ForwardShapesAndMaskedPositions) {
    torch::manual_seed(21);
    const MladConfig cfg = smallConfig();
    Mlad model(cfg);
    const int64_t l = 10;
    const std::vector<int64_t> lengths = {10, 1, 3, 7, 5, 2};
    const Batch b = makeBatch(lengths, l, cfg.dIn);
    const auto bs = static_cast<int64_t>(lengths.size());
    for (bool train : {true, false}) {
        const MladOutput out = model->forward(b.x, b.pad, train);
        EXPECT_EQ(out.recon.sizes(), torch::IntArrayRef({bs, l, cfg.dIn}));
        EXPECT_EQ(out.z.sizes(), torch::IntArrayRef({bs, cfg.zDim()}));
        EXPECT_EQ(out.gamma.sizes(), torch::IntArrayRef({bs, cfg.nComponents}));
        EXPECT_EQ(out.reconError.sizes(), torch::IntArrayRef({bs}));
        EXPECT_EQ(out.maskedPositions.sizes(), torch::IntArrayRef({bs, l}));
        EXPECT_EQ(out.maskedPositions.scalar_type(), torch::kBool);
        EXPECT_LT((out.gamma.sum(1) - 1).abs().max().item<double>(), 1e-5);
        EXPECT_TRUE(allFinite(out.z) && allFinite(out.recon) && allFinite(out.reconError));
        EXPECT_FALSE(out.maskedPositions.logical_and(b.pad).any().item<bool>());
        EXPECT_EQ(out.recon.masked_select(b.pad.unsqueeze(-1)).abs().sum().item<double>(), 0.0);
        for (int64_t i = 0; i < bs; ++i) {
            const int64_t masked = out.maskedPositions[i].sum().item<int64_t>();
            if (train) {
                // round(0.3 l), at least one.
                const auto expected = std::max<int64_t>(
                    1, static_cast<int64_t>(std::llround(cfg.maskRatio * lengths[i])));
                EXPECT_EQ(masked, expected) << "sequence " << i;
            } else {
                EXPECT_EQ(masked, lengths[i]) << "eval: every position reconstructed once";
            }
        }
    }
}

TEST(MladModel, EvalForwardIsDeterministicAndIgnoresRng) {
    torch::manual_seed(22);
    Mlad model(smallConfig());
    model->eval();
    const Batch b = makeBatch(someLengths(8, 12), 12, 8);
    const MladOutput a = model->forward(b.x, b.pad, false);
    torch::rand({100});  // advance the generator
    const MladOutput c = model->forward(b.x, b.pad, false);
    EXPECT_TRUE(torch::equal(a.z, c.z));
    EXPECT_TRUE(torch::equal(a.recon, c.recon));
    // Random masking really is random.
    model->train();
    const MladOutput t1 = model->forward(b.x, b.pad, true);
    const MladOutput t2 = model->forward(b.x, b.pad, true);
    EXPECT_FALSE(torch::equal(t1.maskedPositions, t2.maskedPositions));
}

TEST(MladModel, MaskedPositionsAreReconstructedWithoutSeeingThemselves) {
    torch::manual_seed(35);
    const MladConfig cfg = smallConfig();
    Mlad model(cfg);
    model->eval();  // no dropout; masking is still drawn when train = true
    const Batch b = makeBatch({10, 6, 8}, 10, cfg.dIn);

    // Deterministic scheme: position j is reconstructed by the pass that hides it, so the
    // reconstruction at j does not depend on x_j, while other positions do see x_j.
    Tensor x2 = b.x.clone();
    x2[1][2] += 3.0;
    const MladOutput e1 = model->forward(b.x, b.pad, false);
    const MladOutput e2 = model->forward(x2, b.pad, false);
    EXPECT_TRUE(torch::equal(e1.recon[1][2], e2.recon[1][2]));
    EXPECT_GT(maxAbsDiff(e1.recon[1], e2.recon[1]), 1e-4);
    EXPECT_TRUE(torch::equal(e1.recon[0], e2.recon[0]));  // other sequences untouched

    // Training masks: with the same draw, changing the inputs at masked positions leaves their
    // reconstruction unchanged (they were replaced by the mask vector).
    torch::manual_seed(36);
    const MladOutput t1 = model->forward(b.x, b.pad, true);
    const Tensor x3 = torch::where(t1.maskedPositions.unsqueeze(-1), b.x + 1.0, b.x);
    torch::manual_seed(36);
    const MladOutput t2 = model->forward(x3, b.pad, true);
    ASSERT_TRUE(torch::equal(t1.maskedPositions, t2.maskedPositions));
    const Tensor sel = t1.maskedPositions.unsqueeze(-1).expand_as(t1.recon);
    EXPECT_LT(maxAbsDiff(t1.recon.masked_select(sel), t2.recon.masked_select(sel)), 1e-6);

    // Full mode reconstructs from the input itself (the "identical shortcut").
    MladConfig full = cfg;
    full.recon = MladConfig::Recon::Full;
    Mlad fullModel(full);
    fullModel->eval();
    const MladOutput f1 = fullModel->forward(b.x, b.pad, false);
    const MladOutput f2 = fullModel->forward(x2, b.pad, false);
    EXPECT_GT(maxAbsDiff(f1.recon[1][2], f2.recon[1][2]), 1e-4);
}

TEST(MladModel, DeterministicGivenSeed) {
    const Batch b = [] {
        torch::manual_seed(23);
        return makeBatch(someLengths(8, 12), 12, 8);
    }();
    auto run = [&b] {
        torch::manual_seed(42);
        Mlad model(smallConfig());
        model->train();
        const MladOutput out = model->forward(b.x, b.pad, true);
        return model->loss(out, b.x, b.pad).total;
    };
    const Tensor l1 = run(), l2 = run();
    EXPECT_TRUE(torch::equal(l1, l2));
}

TEST(MladModel, PaddedContentDoesNotChangeTheScore) {
    for (auto recon : {MladConfig::Recon::Masked, MladConfig::Recon::Full}) {
        torch::manual_seed(24);
        MladConfig cfg = smallConfig();
        cfg.recon = recon;
        Mlad model(cfg);
        fitGmm(model, 4, 12);
        Batch b = makeBatch(someLengths(8, 12), 12, cfg.dIn);
        const Tensor s1 = model->score(b.x, b.pad);
        ASSERT_TRUE(allFinite(s1));
        Tensor x2 = b.x.clone();
        const Tensor garbage = torch::randn(x2.sizes()) * 100;
        x2 = torch::where(b.pad.unsqueeze(-1), garbage, x2);
        x2[3][11][0] = std::nan("");
        const Tensor s2 = model->score(x2, b.pad);
        EXPECT_TRUE(torch::equal(s1, s2)) << s1 << s2;
        // Changing a real position does change the score (the check above is not vacuous).
        Tensor x3 = b.x.clone();
        x3[0][0] += 5.0;
        EXPECT_GT(maxAbsDiff(model->score(x3, b.pad), s1), 1e-6);
    }
}

TEST(MladModel, PaddedSequenceMatchesUnpaddedOne) {
    torch::manual_seed(25);
    const MladConfig cfg = smallConfig();
    Mlad model(cfg);
    model->eval();
    const Batch b = makeBatch({12, 5, 9}, 12, cfg.dIn);
    const MladOutput batched = model->forward(b.x, b.pad, false);
    for (int64_t i : {1, 2}) {
        const int64_t len = b.pad[i].logical_not().sum().item<int64_t>();
        const Tensor alone = b.x[i].narrow(0, 0, len).unsqueeze(0);
        const MladOutput single = model->forward(alone, Tensor(), false);
        EXPECT_LT(maxAbsDiff(single.z[0], batched.z[i]), 1e-5);
        EXPECT_LT(maxAbsDiff(single.reconError[0], batched.reconError[i]), 1e-5);
    }
}

TEST(MladModel, AttentionRowsSumToOneAndPaddedKeysGetZero) {
    for (double alpha : {1.0, 1.25, 1.5, 2.0}) {
        torch::manual_seed(26);
        MladConfig cfg = smallConfig();
        cfg.alpha = alpha;
        Mlad model(cfg);
        model->setKeepAttention(true);
        const int64_t l = 9;
        const Batch b = makeBatch({9, 4, 1, 6}, l, cfg.dIn);
        const Tensor keyPad = b.pad.view({4, 1, 1, l}).expand({4, cfg.nHeads, l, l});
        auto check = [&](const std::vector<Tensor>& maps, const char* what) {
            ASSERT_EQ(static_cast<int64_t>(maps.size()), cfg.nLayers) << what;
            for (const Tensor& a : maps) {
                ASSERT_EQ(a.sizes(), torch::IntArrayRef({4, cfg.nHeads, l, l})) << what;
                EXPECT_LT((a.sum(-1) - 1).abs().max().item<double>(), 1e-5)
                    << what << " alpha " << alpha;
                EXPECT_EQ(a.masked_select(keyPad).abs().max().item<double>(), 0.0)
                    << what << " alpha " << alpha;
                EXPECT_GE(a.min().item<double>(), 0.0);
            }
        };
        model->forward(b.x, b.pad, true);
        check(model->lastAttention(), "train forward");
        model->forward(b.x, b.pad, false);
        check(model->lastAttention(), "eval forward");
        check(model->attentionMaps(b.x, b.pad), "attentionMaps");
        model->setKeepAttention(false);
        model->forward(b.x, b.pad, false);
        EXPECT_TRUE(model->lastAttention().empty());
    }
}

TEST(MladModel, AdamStepsReduceTheLoss) {
    torch::manual_seed(27);
    MladConfig cfg = smallConfig();
    cfg.dropout = 0.0;
    Mlad model(cfg);
    const Batch b = makeBatch(someLengths(16, 12), 12, cfg.dIn);
    auto evalLoss = [&] {
        torch::NoGradGuard noGrad;
        model->eval();
        const auto parts = model->loss(model->forward(b.x, b.pad, false), b.x, b.pad);
        model->train();
        return std::make_pair(parts.total.item<double>(), parts.mse.item<double>());
    };
    const auto before = evalLoss();
    torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-2));
    for (int step = 0; step < 40; ++step) {
        opt.zero_grad();
        const auto parts = model->loss(model->forward(b.x, b.pad, true), b.x, b.pad);
        ASSERT_TRUE(std::isfinite(parts.total.item<double>())) << "step " << step;
        parts.total.backward();
        opt.step();
    }
    const auto after = evalLoss();
    EXPECT_LT(after.first, before.first);
    EXPECT_LT(after.second, before.second);
    std::cout << "[ INFO     ] eval loss " << before.first << " -> " << after.first << ", mse "
              << before.second << " -> " << after.second << "\n";
}

TEST(MladModel, LossPartsAndGradientsAreFinite) {
    torch::manual_seed(28);
    const MladConfig cfg = smallConfig();
    Mlad model(cfg);
    std::vector<int64_t> lengths = someLengths(6, 10);
    lengths[5] = 0;  // an all-padding sequence must not produce NaN
    const Batch b = makeBatch(lengths, 10, cfg.dIn);
    const MladOutput out = model->forward(b.x, b.pad, true);
    const auto parts = model->loss(out, b.x, b.pad);
    for (const Tensor& t : {parts.total, parts.mse, parts.energy, parts.cov})
        ASSERT_TRUE(allFinite(t));
    EXPECT_NEAR(parts.total.item<double>(),
                parts.mse.item<double>() + cfg.lambdaEnergy * parts.energy.item<double>() +
                    cfg.lambdaCov * parts.cov.item<double>(),
                1e-4 * std::abs(parts.total.item<double>()));
    parts.total.backward();
    for (const auto& p : model->named_parameters()) {
        ASSERT_TRUE(p.value().grad().defined()) << p.key();
        EXPECT_TRUE(allFinite(p.value().grad())) << p.key();
    }
    EXPECT_GT(model->named_parameters()["mask_token"].grad().abs().sum().item<double>(), 0.0);
}

TEST(MladModel, WithoutGmmScoresByReconstructionError) {
    torch::manual_seed(29);
    MladConfig cfg = smallConfig();
    cfg.useGmm = false;
    Mlad model(cfg);
    const Batch b = makeBatch(someLengths(6, 10), 10, cfg.dIn);
    const auto parts = model->loss(model->forward(b.x, b.pad, true), b.x, b.pad);
    EXPECT_TRUE(torch::equal(parts.total, parts.mse));
    EXPECT_EQ(parts.energy.item<double>(), 0.0);
    const Tensor s = model->score(b.x, b.pad);  // no GMM needed
    EXPECT_EQ(s.scalar_type(), torch::kDouble);
    model->eval();
    const Tensor err = model->forward(b.x, b.pad, false).reconError;
    EXPECT_LT(maxAbsDiff(s, err), 1e-7);
}

TEST(MladModel, VariantsRun) {
    struct Variant {
        const char* name;
        double alpha;
        bool preNorm;
        MladConfig::Recon recon;
    };
    for (const Variant& v : {Variant{"w/o-entmax", 1.0, false, MladConfig::Recon::Masked},
                             Variant{"bisect alpha", 1.3, false, MladConfig::Recon::Masked},
                             Variant{"sparsemax", 2.0, false, MladConfig::Recon::Masked},
                             Variant{"pre-norm", 1.5, true, MladConfig::Recon::Masked},
                             Variant{"full recon", 1.5, false, MladConfig::Recon::Full}}) {
        torch::manual_seed(30);
        MladConfig cfg = smallConfig();
        cfg.alpha = v.alpha;
        cfg.preNorm = v.preNorm;
        cfg.recon = v.recon;
        Mlad model(cfg);
        const Batch b = makeBatch(someLengths(8, 10), 10, cfg.dIn);
        const MladOutput out = model->forward(b.x, b.pad, true);
        if (v.recon == MladConfig::Recon::Full) {
            EXPECT_TRUE(torch::equal(out.maskedPositions, b.pad.logical_not())) << v.name;
        }
        const auto parts = model->loss(out, b.x, b.pad);
        EXPECT_TRUE(allFinite(parts.total)) << v.name;
        parts.total.backward();
        fitGmm(model, 2, 10);
        EXPECT_TRUE(allFinite(model->score(b.x, b.pad))) << v.name;
    }
}

TEST(MladModel, AccumulatedGmmEqualsEstimateOnEvalOutputs) {
    torch::manual_seed(31);
    const MladConfig cfg = smallConfig();
    Mlad model(cfg);
    const Batch b1 = makeBatch(someLengths(10, 8), 8, cfg.dIn);
    const Batch b2 = makeBatch(someLengths(7, 8), 8, cfg.dIn);
    GmmAccumulator acc;
    model->accumulateGmm(acc, b1.x, b1.pad);
    model->accumulateGmm(acc, b2.x, b2.pad);
    model->eval();
    torch::NoGradGuard noGrad;
    const MladOutput o1 = model->forward(b1.x, b1.pad, false);
    const MladOutput o2 = model->forward(b2.x, b2.pad, false);
    const GmmParams whole = gmmEstimate(torch::cat({o1.z, o2.z}).to(torch::kDouble),
                                        torch::cat({o1.gamma, o2.gamma}).to(torch::kDouble));
    const GmmParams streamed = acc.finish();
    EXPECT_EQ(streamed.sigma.scalar_type(), torch::kDouble);
    EXPECT_LT(maxAbsDiff(streamed.phi, whole.phi), 1e-12);
    EXPECT_LT(maxAbsDiff(streamed.mu, whole.mu), 1e-10);
    EXPECT_LT(maxAbsDiff(streamed.sigma, whole.sigma), 1e-10);
}

TEST(MladModel, SaveLoadRoundTripGivesIdenticalScores) {
    torch::manual_seed(32);
    const MladConfig cfg = smallConfig();
    Mlad model(cfg);
    {
        torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));
        const Batch b = makeBatch(someLengths(8, 10), 10, cfg.dIn);
        for (int i = 0; i < 3; ++i) {
            opt.zero_grad();
            model->loss(model->forward(b.x, b.pad, true), b.x, b.pad).total.backward();
            opt.step();
        }
    }
    fitGmm(model, 3, 10);
    const Batch test = makeBatch(someLengths(9, 10), 10, cfg.dIn);
    const Tensor before = model->score(test.x, test.pad);

    const std::string path = tempPath("mlad_model_roundtrip");
    torch::save(model, path);
    torch::manual_seed(999);
    Mlad loaded(cfg);
    EXPECT_FALSE(loaded->gmmFitted());
    torch::load(loaded, path);
    std::filesystem::remove(path);
    EXPECT_TRUE(loaded->gmmFitted());
    EXPECT_TRUE(torch::equal(loaded->gmm().sigma, model->gmm().sigma));
    EXPECT_TRUE(torch::equal(loaded->score(test.x, test.pad), before));
}

// One-sided reconstruction features (issue 13): in eval mode z's relative distance is raised to
// at least, and its cosine lowered to at most, the stored bounds; reconFeatures gives the raw
// values the bounds are fitted on; training-mode z is never clamped; the bounds are saved with
// the module; a model without the option refuses bounds.
TEST(MladModel, OneSidedReconstructionFeaturesAreBoundedInEvalMode) {
    torch::manual_seed(41);
    MladConfig cfg = smallConfig();
    cfg.oneSidedRecon = true;
    Mlad model(cfg);
    const Batch b = makeBatch(someLengths(16, 10), 10, cfg.dIn);
    const Tensor raw = model->reconFeatures(b.x, b.pad);
    ASSERT_EQ(raw.sizes(), torch::IntArrayRef({16, 2}));
    model->eval();
    // Neutral bounds (0, 1) leave z as it is.
    const Tensor z0 = model->forward(b.x, b.pad, false).z.slice(1, cfg.dZ, cfg.dZ + 2);
    EXPECT_LT(maxAbsDiff(z0, raw), 1e-6);

    const double relMedian = raw.select(1, 0).median().item<double>();
    const double cosMedian = raw.select(1, 1).median().item<double>();
    model->setReconBounds(relMedian, cosMedian);
    const Tensor z = model->forward(b.x, b.pad, false).z.slice(1, cfg.dZ, cfg.dZ + 2);
    int lowered = 0;
    for (int64_t i = 0; i < 16; ++i) {
        const double rel = raw[i][0].item<double>(), cosine = raw[i][1].item<double>();
        EXPECT_NEAR(z[i][0].item<double>(), std::max(rel, relMedian), 1e-5) << i;
        EXPECT_NEAR(z[i][1].item<double>(), std::min(cosine, cosMedian), 1e-5) << i;
        lowered += rel < relMedian;
    }
    EXPECT_GT(lowered, 0);  // the bounds did clamp some sequences
    // reconFeatures still reports the raw values, and leaves the bounds in force afterwards.
    EXPECT_LT(maxAbsDiff(model->reconFeatures(b.x, b.pad), raw), 1e-6);
    const Tensor again = model->forward(b.x, b.pad, false).z.slice(1, cfg.dZ, cfg.dZ + 2);
    EXPECT_TRUE(torch::equal(again, z));
    // Training mode is never clamped: the relative distance can fall below the bound.
    model->train();
    torch::manual_seed(3);
    const Tensor zt = model->forward(b.x, b.pad, true).z.slice(1, cfg.dZ, cfg.dZ + 2);
    EXPECT_LT(zt.select(1, 0).min().item<double>(), relMedian);

    const std::string path = tempPath("mlad_one_sided");
    torch::save(model, path);
    Mlad loaded(cfg);
    torch::load(loaded, path);
    std::filesystem::remove(path);
    loaded->eval();
    EXPECT_LT(maxAbsDiff(loaded->forward(b.x, b.pad, false).z.slice(1, cfg.dZ, cfg.dZ + 2), z),
              1e-6);

    Mlad plain(smallConfig());
    EXPECT_THROW(plain->setReconBounds(0.5, 0.5), std::logic_error);
}

// The new-template augmentation (issue 13): p = 0 changes nothing; p = 1 replaces every
// non-padded position; all positions of one template in a sequence get the same vector, and
// positions of different templates (almost always) different ones; padding stays; the vectors
// follow the given mean and spread; about a share p of (sequence, template) pairs is replaced.
TEST(MladModel, NewTemplateAugmentKeepsWhichPositionsShareATemplate) {
    torch::manual_seed(17);
    const int64_t b = 64, l = 12, d = 6, rows = 9;
    Tensor idx = torch::randint(1, rows, {b, l}, torch::kLong);
    idx.narrow(1, 10, 2).fill_(0);  // padding
    const Tensor table = torch::randn({rows, d});
    table[0].zero_();
    const Tensor x = table.index_select(0, idx.reshape({-1})).reshape({b, l, d});
    const Tensor mean = torch::full({d}, 5.0), spread = torch::full({d}, 0.5);
    EXPECT_TRUE(torch::equal(mlad::model::newTemplateAugment(x, idx, 0.0, rows, mean, spread), x));

    const Tensor all = mlad::model::newTemplateAugment(x, idx, 1.0, rows, mean, spread);
    const Tensor changed = (all - x).abs().sum(-1).gt(0);
    EXPECT_TRUE(torch::equal(changed, idx.ne(0)));
    EXPECT_TRUE(torch::equal(all.narrow(1, 10, 2), x.narrow(1, 10, 2)));
    const Tensor fresh = all.narrow(1, 0, 10).reshape({-1, d});
    EXPECT_NEAR(fresh.mean().item<double>(), 5.0, 0.1);
    EXPECT_NEAR(fresh.std().item<double>(), 0.5, 0.1);
    int same = 0, pairs = 0;
    for (int64_t i = 0; i < b; ++i)
        for (int64_t j = 0; j < 10; ++j)
            for (int64_t k = j + 1; k < 10; ++k) {
                const bool sameTemplate = idx[i][j].item<int64_t>() == idx[i][k].item<int64_t>();
                const bool sameVector = torch::equal(all[i][j], all[i][k]);
                if (sameTemplate) {
                    EXPECT_TRUE(sameVector) << i << " " << j << " " << k;
                } else {
                    ++pairs;
                    same += sameVector;
                }
            }
    EXPECT_LT(same, pairs / 20);  // a pool of 256: different templates rarely share a vector

    const Tensor some = mlad::model::newTemplateAugment(x, idx, 0.3, rows, mean, spread);
    int replaced = 0, total = 0;
    for (int64_t i = 0; i < b; ++i) {
        std::set<int64_t> seen, hit;
        for (int64_t j = 0; j < 10; ++j) {
            const int64_t t = idx[i][j].item<int64_t>();
            seen.insert(t);
            if (!torch::equal(some[i][j], x[i][j])) hit.insert(t);
        }
        total += int(seen.size());
        replaced += int(hit.size());
    }
    EXPECT_NEAR(double(replaced) / double(total), 0.3, 0.08);
    EXPECT_THROW(mlad::model::newTemplateAugment(x, idx.narrow(1, 0, 5), 0.5, rows, mean, spread),
                 std::invalid_argument);
}

// detachReconFeatures: the GMM terms of the loss send no gradient into the reconstruction head
// (the output projection only shapes the reconstruction features); without it they do.
TEST(MladModel, DetachedReconFeaturesKeepTheGmmTermsOffTheReconstruction) {
    for (bool detach : {false, true}) {
        torch::manual_seed(23);
        MladConfig cfg = smallConfig();
        cfg.detachReconFeatures = detach;
        Mlad model(cfg);
        const Batch b = makeBatch(someLengths(16, 10), 10, cfg.dIn);
        const auto parts = model->loss(model->forward(b.x, b.pad, true), b.x, b.pad);
        (parts.energy + parts.cov).backward();
        Tensor grad;
        for (const auto& p : model->named_parameters())
            if (p.key() == "out_proj.weight") grad = p.value().grad();
        const double g = grad.defined() ? grad.abs().sum().item<double>() : 0.0;
        if (detach) {
            EXPECT_EQ(g, 0.0);
        } else {
            EXPECT_GT(g, 0.0);
        }
    }
}

TEST(MladModel, ScoreRestoresModeAndNeedsGmm) {
    torch::manual_seed(33);
    Mlad model(smallConfig());
    const Batch b = makeBatch(someLengths(4, 6), 6, 8);
    EXPECT_THROW(model->score(b.x, b.pad), std::logic_error);
    fitGmm(model, 1, 6);
    model->train();
    model->score(b.x, b.pad);
    EXPECT_TRUE(model->is_training());
    model->eval();
    model->score(b.x, b.pad);
    EXPECT_FALSE(model->is_training());
}

TEST(MladModel, RejectsBadConfigAndInputs) {
    MladConfig cfg = smallConfig();
    cfg.nHeads = 5;  // 16 % 5 != 0
    EXPECT_THROW(Mlad{cfg}, std::invalid_argument);
    cfg = smallConfig();
    cfg.alpha = 0.9;
    EXPECT_THROW(Mlad{cfg}, std::invalid_argument);
    cfg = smallConfig();
    cfg.maskRatio = 0.0;
    EXPECT_THROW(Mlad{cfg}, std::invalid_argument);

    Mlad model(smallConfig());
    EXPECT_THROW(model->forward(torch::randn({2, 5, 7}), Tensor(), true), std::invalid_argument);
    EXPECT_THROW(model->forward(torch::randn({2, 40, 8}), Tensor(), true),
                 std::invalid_argument);  // longer than maxLen
    EXPECT_THROW(model->forward(torch::randn({2, 5, 8}), torch::zeros({2, 4}, torch::kBool), true),
                 std::invalid_argument);
    GmmParams wrong{torch::ones({2}), torch::zeros({2, 6}), torch::zeros({2, 6, 6})};
    EXPECT_THROW(model->setGmm(wrong), std::invalid_argument);
}

TEST(MladModel, ScoringPasses) {
    MladConfig cfg;
    cfg.maskRatio = 0.3;
    EXPECT_EQ(cfg.scoringPasses(), 4);
    cfg.maskRatio = 0.25;
    EXPECT_EQ(cfg.scoringPasses(), 4);
    cfg.maskRatio = 0.2;
    EXPECT_EQ(cfg.scoringPasses(), 5);
    cfg.maskRatio = 1.0;
    EXPECT_EQ(cfg.scoringPasses(), 1);
    cfg.recon = MladConfig::Recon::Full;
    EXPECT_EQ(cfg.scoringPasses(), 1);
}

TEST(MladModel, RunsOnCuda) {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    torch::manual_seed(34);
    const MladConfig cfg = smallConfig();
    Mlad model(cfg);
    fitGmm(model, 2, 10);
    const Batch b = makeBatch(someLengths(8, 10), 10, cfg.dIn);
    const Tensor cpu = model->score(b.x, b.pad);
    model->to(torch::kCUDA);
    const Tensor gpu = model->score(b.x.to(torch::kCUDA), b.pad.to(torch::kCUDA));
    EXPECT_LT(maxAbsDiff(gpu.cpu(), cpu), 1e-3 * (1 + cpu.abs().max().item<double>()));
    model->train();
    const auto parts =
        model->loss(model->forward(b.x.to(torch::kCUDA), b.pad.to(torch::kCUDA), true),
                    b.x.to(torch::kCUDA), b.pad.to(torch::kCUDA));
    parts.total.backward();
    EXPECT_TRUE(allFinite(parts.total));
}

}  // namespace
