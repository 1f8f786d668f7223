// Data-parallel training as the model sees it (model/Shard.h): ranks simulated by threads with
// an in-process sum, so that the arithmetic is checked without sockets; the real c10d path (two
// processes over Gloo, kills, resume) is tests/e2e/distributed.sh.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mlad/model/Elementwise.h"
#include "mlad/model/Mlad.h"
#include "mlad/model/Shard.h"
#include "mlad/task/Task.h"
#include "mlad/train/DistGroup.h"
#include "mlad/train/Distributed.h"
#include "mlad/util/FreePort.h"

namespace {

using mlad::model::GroupScope;
using mlad::model::RankGroup;
using mlad::model::ShardScope;
using torch::Tensor;

// A collective over `world` threads: every thread hands in its tensor, all get the reduction.
class ThreadCollective {
  public:
    explicit ThreadCollective(int world) : world_(world) {}
    void reduce(Tensor& t, bool max) {
        std::unique_lock<std::mutex> lock(m_);
        acc_ = arrived_ == 0 ? t.clone() : (max ? torch::maximum(acc_, t) : acc_ + t);
        const int64_t gen = generation_;
        if (++arrived_ == world_) {
            result_ = acc_;
            arrived_ = 0;
            ++generation_;
            cv_.notify_all();
        } else {
            cv_.wait(lock, [&] { return generation_ != gen; });
        }
        t.copy_(result_);
    }
    RankGroup group(int rank) {
        RankGroup g;
        g.rank = rank;
        g.world = world_;
        g.allReduceSum = [this](Tensor& t) { reduce(t, false); };
        g.allReduceMax = [this](Tensor& t) { reduce(t, true); };
        return g;
    }

  private:
    int world_;
    std::mutex m_;
    std::condition_variable cv_;
    int arrived_ = 0;
    int64_t generation_ = 0;
    Tensor acc_, result_;
};

RankGroup identityGroup(int rank, int world) {
    RankGroup g;
    g.rank = rank;
    g.world = world;
    g.allReduceSum = [](Tensor&) {};
    g.allReduceMax = [](Tensor&) {};
    return g;
}

TEST(DataParallel, RanksSplitTheBatchIntoContiguousParts) {
    const Tensor rows = torch::arange(10, 17, torch::kInt64);  // 7 rows over 3 ranks: 2, 2, 3
    std::vector<int64_t> seen;
    for (int r = 0; r < 3; ++r) {
        const RankGroup g = identityGroup(r, 3);
        GroupScope gs(g);
        ShardScope shard(rows);
        ASSERT_NE(mlad::model::activeShard(), nullptr);
        EXPECT_EQ(mlad::model::activeShard()->globalRows, 7);
        EXPECT_EQ(mlad::model::activeShard()->rowOffset, int64_t(seen.size()));
        for (int64_t i = 0; i < shard.rows().size(0); ++i)
            seen.push_back(shard.rows()[i].item<int64_t>());
    }
    EXPECT_EQ(seen, (std::vector<int64_t>{10, 11, 12, 13, 14, 15, 16}));
    // Without a group nothing is split and no shard is set.
    ShardScope none(rows);
    EXPECT_EQ(none.rows().size(0), 7);
    EXPECT_EQ(mlad::model::activeShard(), nullptr);
}

TEST(DataParallel, ADropoutSliceDrawsWhatTheWholeBatchDraws) {
    // 13 x 37 = 481 entries per row: the ranks' slices start inside the kernel's 2048-entry
    // chunks, the case that needs the scratch draw.
    const Tensor x = (torch::rand({7, 13, 37}) + 1.0).requires_grad_(true);
    torch::manual_seed(3);
    const Tensor whole = mlad::model::dropout(x, 0.3, true);
    const Tensor wholeGrad = torch::autograd::grad({(whole * whole).sum()}, {x})[0];
    ASSERT_GT(whole.eq(0).sum().item<int64_t>(), 0);
    for (int world : {2, 3, 7}) {
        for (int r = 0; r < world; ++r) {
            const RankGroup g = identityGroup(r, world);
            Tensor part, rows, xs;
            {
                GroupScope gs(g);
                ShardScope shard(torch::arange(7, torch::kInt64));
                rows = shard.rows();
                xs = x.detach().index_select(0, rows).requires_grad_(true);
                torch::manual_seed(3);
                part = mlad::model::dropout(xs, 0.3, true);
            }
            EXPECT_TRUE(torch::equal(part, whole.detach().index_select(0, rows)))
                << "world " << world << " rank " << r;
            // Backward (here after the scope has ended) recomputes the slice's own mask.
            const Tensor g2 = torch::autograd::grad({(part * part).sum()}, {xs})[0];
            EXPECT_TRUE(torch::allclose(g2, wholeGrad.index_select(0, rows), 1e-6, 1e-6))
                << "world " << world << " rank " << r;
        }
    }
}

mlad::model::MladConfig smallConfig() {
    mlad::model::MladConfig c;
    c.dIn = 8;
    c.dModel = 16;
    c.nLayers = 1;
    c.nHeads = 2;
    c.dFf = 32;
    c.maxLen = 12;
    c.dZ = 4;
    c.nComponents = 3;
    c.dropout = 0.0;  // the threads share torch's generator: only the deterministic path here
    return c;
}

struct Batch {
    Tensor x, pad;
};

Batch makeBatch(int64_t n) {
    torch::manual_seed(17);
    Batch b;
    b.x = torch::randn({n, 12, 8});
    const Tensor len = torch::randint(3, 13, {n}, torch::kInt64);
    b.pad = torch::arange(12, torch::kInt64).unsqueeze(0).ge(len.unsqueeze(1));
    return b;
}

std::vector<Tensor> grads(mlad::model::Mlad& net) {
    std::vector<Tensor> g;
    for (const auto& p : net->parameters())
        g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
    return g;
}

TEST(DataParallel, TwoRanksReproduceTheWholeBatchsLossAndGradients) {
    const int64_t n = 11;
    const Batch b = makeBatch(n);
    torch::manual_seed(5);
    mlad::model::Mlad whole(smallConfig());
    const auto outWhole = whole->forward(b.x, b.pad, false);
    const auto lossWhole = whole->loss(outWhole, b.x, b.pad);
    lossWhole.total.backward();
    const std::vector<Tensor> gWhole = grads(whole);

    const int world = 2;
    ThreadCollective coll(world);
    std::vector<double> loss(world), energy(world), cov(world), localOnly(world);
    std::vector<std::vector<Tensor>> g(world);
    std::vector<std::thread> threads;
    std::vector<mlad::model::Mlad> replicas;
    for (int r = 0; r < world; ++r) {
        torch::manual_seed(5);
        replicas.emplace_back(smallConfig());
    }
    for (int r = 0; r < world; ++r) {
        threads.emplace_back([&, r] {
            const RankGroup group = coll.group(r);
            GroupScope gs(group);
            ShardScope shard(torch::arange(n, torch::kInt64));
            const Tensor x = b.x.index_select(0, shard.rows());
            const Tensor pad = b.pad.index_select(0, shard.rows());
            const auto out = replicas[size_t(r)]->forward(x, pad, false);
            const auto parts = replicas[size_t(r)]->loss(out, x, pad);
            parts.total.backward();
            loss[size_t(r)] = parts.total.item<double>();
            energy[size_t(r)] = parts.energy.item<double>();
            cov[size_t(r)] = parts.cov.item<double>();
            g[size_t(r)] = grads(replicas[size_t(r)]);
        });
    }
    for (auto& t : threads) t.join();

    EXPECT_NEAR(loss[0] + loss[1], lossWhole.total.item<double>(),
                1e-5 * std::abs(lossWhole.total.item<double>()));
    EXPECT_NEAR(energy[0] + energy[1], lossWhole.energy.item<double>(),
                1e-5 * std::abs(lossWhole.energy.item<double>()));
    EXPECT_NEAR(cov[0] + cov[1], lossWhole.cov.item<double>(),
                1e-5 * std::abs(lossWhole.cov.item<double>()));
    double worst = 0, scale = 0;
    for (size_t i = 0; i < gWhole.size(); ++i) {
        worst = std::max(worst, (g[0][i] + g[1][i] - gWhole[i]).abs().max().item<double>());
        scale = std::max(scale, gWhole[i].abs().max().item<double>());
    }
    ASSERT_GT(scale, 0);
    EXPECT_LT(worst, 1e-4 * scale);

    // The control: each part's own mixture (what per-rank statistics would give) does not
    // make the whole batch's loss; the sums above are what make 2 x 6 equal 11.
    double perRank = 0;
    for (int r = 0; r < world; ++r) {
        const int64_t begin = r * n / world, end = (r + 1) * n / world;
        const Tensor x = b.x.narrow(0, begin, end - begin),
                     pad = b.pad.narrow(0, begin, end - begin);
        torch::NoGradGuard ng;
        const auto out = whole->forward(x, pad, false);
        perRank += whole->loss(out, x, pad).total.item<double>() * double(end - begin) / double(n);
    }
    EXPECT_GT(std::abs(perRank - lossWhole.total.item<double>()),
              1e-3 * std::abs(lossWhole.total.item<double>()));
}

// torchrun's variables, read and checked.
class EnvGuard {
  public:
    EnvGuard() {
        for (const char* k : kKeys) {
            const char* v = std::getenv(k);
            saved_.emplace_back(k, v ? std::optional<std::string>(v) : std::nullopt);
            unsetenv(k);
        }
    }
    ~EnvGuard() {
        for (const auto& [k, v] : saved_) {
            if (v)
                setenv(k.c_str(), v->c_str(), 1);
            else
                unsetenv(k.c_str());
        }
    }

  private:
    static constexpr const char* kKeys[] = {"WORLD_SIZE",  "RANK",        "LOCAL_RANK",
                                            "MASTER_ADDR", "MASTER_PORT", "MLAD_DIST_TIMEOUT"};
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(DataParallel, SettingsComeFromTorchrunsVariables) {
    EnvGuard guard;
    EXPECT_FALSE(mlad::distSettingsFromEnvironment().has_value());
    setenv("WORLD_SIZE", "1", 1);
    EXPECT_FALSE(mlad::distSettingsFromEnvironment().has_value());
    setenv("WORLD_SIZE", "4", 1);
    setenv("RANK", "3", 1);
    setenv("LOCAL_RANK", "1", 1);
    setenv("MASTER_ADDR", "10.0.0.7", 1);
    setenv("MASTER_PORT", "29501", 1);
    const auto s = mlad::distSettingsFromEnvironment();
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->world, 4);
    EXPECT_EQ(s->rank, 3);
    EXPECT_EQ(s->localRank, 1);
    EXPECT_EQ(s->masterAddr, "10.0.0.7");
    EXPECT_EQ(s->masterPort, 29501);
    EXPECT_EQ(s->timeoutSeconds, 300);
    auto refused = [](const char* key, const char* value, const char* says) {
        const char* old = std::getenv(key);
        const std::string keep = old ? old : "";
        setenv(key, value, 1);
        try {
            mlad::distSettingsFromEnvironment();
            ADD_FAILURE() << key << "=" << value << " was accepted";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
        }
        if (old)
            setenv(key, keep.c_str(), 1);
        else
            unsetenv(key);
    };
    refused("RANK", "4", "RANK=4");
    refused("MASTER_PORT", "70000", "MASTER_PORT=70000");
    refused("WORLD_SIZE", "two", "WORLD_SIZE=two");
    refused("MLAD_DIST_TIMEOUT", "0", "MLAD_DIST_TIMEOUT=0");
    unsetenv("MASTER_ADDR");
    EXPECT_THROW(mlad::distSettingsFromEnvironment(), std::invalid_argument);
    unsetenv("WORLD_SIZE");
    EXPECT_THROW(mlad::distSettingsFromEnvironment(), std::invalid_argument);  // RANK alone
}

TEST(DataParallel, WaitingForTheOtherRanksCanBeGivenUp) {
    if (!mlad::distributedAvailable()) GTEST_SKIP() << "this build has no c10d/Gloo";
    // Rank 0 of 2 whose rank 1 never comes: the wait stops with the reason giveUp gives (a
    // helper process that ended), not after the 120 s timeout; a cancel stops it as Cancelled.
    mlad::DistSettings d;
    d.world = 2;
    d.masterPort = mlad::freeLoopbackPort();
    d.timeoutSeconds = 120;
    int asked = 0;
    d.giveUp = [&asked]() -> std::string {
        return ++asked < 3 ? "" : "rank 1 exited with status 2: no such split";
    };
    try {
        mlad::DistGroup g(d);
        FAIL() << "a group of 2 formed with one rank";
    } catch (const mlad::DistError& e) {
        EXPECT_NE(std::string(e.what()).find("gave up waiting for the other ranks: rank 1 exited "
                                             "with status 2: no such split"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_EQ(asked, 3);
    mlad::TaskContext ctx;
    ctx.cancel();
    d.masterPort = mlad::freeLoopbackPort();
    d.giveUp = [&ctx]() -> std::string {
        ctx.checkCancelled();
        return "";
    };
    EXPECT_THROW(mlad::DistGroup g(d), mlad::Cancelled);
}

}  // namespace
