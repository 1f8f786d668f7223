// Mixed precision (core/mlad/train/Amp.h): the autocast scope, the dynamic loss scaler and the
// model under autocast (training runs with --amp: test_trainer.cpp). CPU autocast (bfloat16) runs
// the same code paths as CUDA's float16 here; the CUDA cases skip without a device.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "mlad/model/Mlad.h"
#include "mlad/train/Amp.h"

namespace {

using mlad::autocastEnabled;
using mlad::AutocastScope;
using mlad::LossScaler;
using mlad::LossScalerOptions;
using torch::Tensor;

// ---- autocast scope ----------------------------------------------------------------------

TEST(AutocastScope, LowersMatrixProductsOnCpuAndRestoresTheState) {
    const Tensor a = torch::randn({4, 8}), b = torch::randn({8, 3});
    ASSERT_FALSE(autocastEnabled(c10::DeviceType::CPU));
    {
        AutocastScope outer(c10::DeviceType::CPU, true);
        EXPECT_TRUE(autocastEnabled(c10::DeviceType::CPU));
        EXPECT_EQ(a.mm(b).scalar_type(), torch::kBFloat16);
        {
            AutocastScope off(c10::DeviceType::CPU, false);  // disabled: changes nothing
            EXPECT_TRUE(autocastEnabled(c10::DeviceType::CPU));
        }
        {
            AutocastScope inner(c10::DeviceType::CPU, true);
            EXPECT_EQ(a.mm(b).scalar_type(), torch::kBFloat16);
        }
        EXPECT_TRUE(autocastEnabled(c10::DeviceType::CPU)) << "inner scope closed the outer one";
        // float64 is never lowered: the GMM relies on it.
        EXPECT_EQ(a.to(torch::kDouble).mm(b.to(torch::kDouble)).scalar_type(), torch::kDouble);
    }
    EXPECT_FALSE(autocastEnabled(c10::DeviceType::CPU));
    EXPECT_EQ(a.mm(b).scalar_type(), torch::kFloat);
    EXPECT_EQ(mlad::autocastDtype(c10::DeviceType::CUDA), torch::kHalf);
    EXPECT_EQ(mlad::autocastDtype(c10::DeviceType::CPU), torch::kBFloat16);
}

TEST(AutocastScope, IsPerThread) {
    AutocastScope scope(c10::DeviceType::CPU, true);
    bool otherThread = true;
    std::thread t([&] { otherThread = autocastEnabled(c10::DeviceType::CPU); });
    t.join();
    EXPECT_FALSE(otherThread);
    EXPECT_TRUE(autocastEnabled(c10::DeviceType::CPU));
}

// ---- loss scaler -------------------------------------------------------------------------

Tensor paramWithGrad(std::vector<float> grad) {
    Tensor p = torch::zeros({int64_t(grad.size())}, torch::requires_grad());
    p.mutable_grad() = torch::tensor(grad);
    return p;
}

TEST(LossScaler, UnscaleDividesGradientsAndReportsNonFinite) {
    LossScalerOptions o;
    o.initScale = 4.0;
    LossScaler s(o);
    EXPECT_DOUBLE_EQ(s.scale(torch::tensor(3.0f)).item<double>(), 12.0);

    Tensor a = paramWithGrad({8.0f, -4.0f});
    Tensor noGrad = torch::zeros({3}, torch::requires_grad());  // never used: no gradient
    EXPECT_TRUE(s.unscale({a, noGrad}));
    EXPECT_TRUE(torch::equal(a.grad(), torch::tensor({2.0f, -1.0f})));

    for (float bad : {INFINITY, -INFINITY, NAN}) {
        Tensor b = paramWithGrad({1.0f, bad});
        Tensor c = paramWithGrad({1.0f});
        EXPECT_FALSE(s.unscale({c, b})) << bad;
    }
    EXPECT_TRUE(s.unscale({}));
}

TEST(LossScaler, BacksOffAtOnceAndGrowsAfterTheInterval) {
    LossScalerOptions o;
    o.initScale = 1024.0;
    o.growthInterval = 3;
    LossScaler s(o);
    s.update(true);
    s.update(true);
    EXPECT_EQ(s.currentScale(), 1024.0);
    EXPECT_EQ(s.growthTracker(), 2);
    s.update(false);  // a skipped step halves the scale and restarts the count
    EXPECT_EQ(s.currentScale(), 512.0);
    EXPECT_EQ(s.growthTracker(), 0);
    EXPECT_EQ(s.consecutiveSkips(), 1);
    s.update(false);
    EXPECT_EQ(s.currentScale(), 256.0);
    EXPECT_EQ(s.consecutiveSkips(), 2);
    for (int i = 0; i < 3; ++i) s.update(true);
    EXPECT_EQ(s.currentScale(), 512.0);
    EXPECT_EQ(s.growthTracker(), 0);
    EXPECT_EQ(s.consecutiveSkips(), 0);

    s.setState(8.0, 2);
    s.update(true);
    EXPECT_EQ(s.currentScale(), 16.0);
    EXPECT_THROW(s.setState(0.0, 0), std::invalid_argument);
    EXPECT_THROW(s.setState(INFINITY, 0), std::invalid_argument);
    o.growthFactor = 1.0;
    EXPECT_THROW(LossScaler{o}, std::invalid_argument);
}

mlad::model::MladConfig smallModel() {
    mlad::model::MladConfig c;
    c.dIn = 12;
    c.dModel = 16;
    c.nLayers = 2;
    c.nHeads = 2;
    c.dFf = 24;
    c.maxLen = 10;
    c.dZ = 4;
    c.nComponents = 3;
    c.dropout = 0.0;
    return c;
}

struct SmallBatch {
    Tensor x, pad;
};

SmallBatch smallBatch(int64_t b = 16, int64_t l = 10) {
    SmallBatch s;
    s.x = torch::randn({b, l, 12});
    s.pad = torch::zeros({b, l}, torch::kBool);
    s.pad[1].slice(0, 6).fill_(true);
    s.pad[3].slice(0, 2).fill_(true);
    return s;
}

std::vector<Tensor> gradsOf(mlad::model::Mlad& net) {
    std::vector<Tensor> g;
    for (const auto& p : net->parameters()) g.push_back(p.grad().clone());
    return g;
}

// The scale is a power of two, so scaling the loss and unscaling the gradients is exact: the
// gradients equal those of plain backward bit for bit (no overflow or underflow here).
TEST(LossScaler, ScaledBackwardThenUnscaleGivesThePlainGradientsExactly) {
    torch::manual_seed(3);
    mlad::model::Mlad net(smallModel());
    const SmallBatch batch = smallBatch();
    auto step = [&](bool scaled) {
        net->zero_grad();
        torch::manual_seed(11);  // same random masks
        auto out = net->forward(batch.x, batch.pad, true);
        auto loss = net->loss(out, batch.x, batch.pad).total;
        LossScaler scaler;
        if (!scaled) {
            loss.backward();
        } else {
            scaler.scale(loss).backward();
            EXPECT_TRUE(scaler.unscale(net->parameters()));
        }
        return gradsOf(net);
    };
    const auto plain = step(false);
    const auto viaScaler = step(true);
    ASSERT_EQ(plain.size(), viaScaler.size());
    for (size_t i = 0; i < plain.size(); ++i)
        EXPECT_TRUE(torch::equal(plain[i], viaScaler[i]))
            << "parameter " << i << " differs by "
            << (plain[i] - viaScaler[i]).abs().max().item<double>();
}

double cosine(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    double dot = 0, na = 0, nb = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        const Tensor x = a[i].to(torch::kDouble), y = b[i].to(torch::kDouble);
        dot += (x * y).sum().item<double>();
        na += x.pow(2).sum().item<double>();
        nb += y.pow(2).sum().item<double>();
    }
    return dot / std::sqrt(na * nb);
}

// The model under autocast: low-precision matrix products, but z, the GMM and the loss stay
// float32/float64, nothing becomes NaN (padded and masked positions included), and loss and
// gradients stay close to float32 ones.
void checkModelUnderAutocast(const torch::Device& device) {
    torch::manual_seed(5);
    mlad::model::Mlad net(smallModel());
    net->to(device);
    SmallBatch batch = smallBatch();
    batch.x = batch.x.to(device);
    batch.pad = batch.pad.to(device);
    auto run = [&](bool amp) {
        net->zero_grad();
        torch::manual_seed(21);
        mlad::model::MladImpl::LossParts parts;
        mlad::model::MladOutput out;
        {
            AutocastScope scope(device.type(), amp);
            out = net->forward(batch.x, batch.pad, true);
            parts = net->loss(out, batch.x, batch.pad);
        }
        EXPECT_EQ(out.z.scalar_type(), torch::kFloat);
        EXPECT_EQ(out.recon.scalar_type(), torch::kFloat);
        EXPECT_EQ(parts.total.scalar_type(), torch::kFloat);
        EXPECT_TRUE(torch::isfinite(out.gamma).all().item<bool>());
        EXPECT_NEAR(out.gamma.to(torch::kFloat).sum(1).mean().item<double>(), 1.0, 1e-2);
        LossScaler scaler;
        scaler.scale(parts.total).backward();
        EXPECT_TRUE(scaler.unscale(net->parameters()));
        return std::make_pair(parts.total.item<double>(), gradsOf(net));
    };
    const auto full = run(false);
    const auto mixed = run(true);
    EXPECT_TRUE(std::isfinite(mixed.first));
    EXPECT_NE(mixed.first, full.first) << "autocast changed nothing: did it run?";
    EXPECT_NEAR(mixed.first, full.first, 0.05 * std::abs(full.first) + 1e-3);
    EXPECT_GT(cosine(full.second, mixed.second), 0.98);
}

TEST(ModelUnderAutocast, CpuBfloat16StaysCloseToFloat32) {
    checkModelUnderAutocast(torch::Device(torch::kCPU));
}

TEST(ModelUnderAutocast, CudaFloat16StaysCloseToFloat32) {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device in this build or machine";
    checkModelUnderAutocast(torch::Device(torch::kCUDA));
}

}  // namespace
