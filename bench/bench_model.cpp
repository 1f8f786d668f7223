// Model benchmark: MLAD training and scoring throughput (sequences/s) for window 20,
// d_model 100, 2 layers, batch 512, and the achieved GFLOP/s against a plain 1024x1024 matmul
// on the same machine and BLAS. `mlad_bench_model [cpu|cuda] [THREADS] [BLAS_THREADS] [--amp]`.
// THREADS sets LibTorch's intra-op threads (default 0 = the product's auto setting, see
// mlad/train/Runtime.h), BLAS_THREADS OpenBLAS's own pool (default: OpenBLAS's choice).
// --amp trains as `mlad train --amp` does (autocast float16 on CUDA / bfloat16 on CPU, loss
// scaling) and adds a matmul in that dtype to the reference. Each figure is the median of 5
// rounds, with the best. Last, one attention layer's forward + backward (batch 512, window 20,
// 4 heads) for alpha 1.3 (the fused kernel with the general Newton row normaliser), as a ratio to
// alpha 1.5 (the fused kernel with the exact sort-based normaliser) and to the unfused tensor
// reference path at alpha 1.3.
#include <torch/torch.h>

#include <algorithm>
#include <iostream>
#include <vector>

#include "BenchUtil.h"
#include "mlad/model/Attention.h"
#include "mlad/model/Mlad.h"
#include "mlad/train/Amp.h"
#include "mlad/train/Runtime.h"

using namespace mlad;  // NOLINT

// Forward multiply-adds of one sequence through the encoder, counted from the layer shapes.
static double forwardFlops(const model::MladConfig& c, int64_t L) {
    double d = double(c.dModel), f = double(c.dFf), in = double(c.dIn), l = double(L);
    double perLayer = l * d * 3 * d * 2     // qkv
                      + 2 * l * l * d * 2   // scores + weighted sum
                      + l * d * d * 2       // output projection
                      + 2 * l * d * f * 2;  // feed-forward
    return l * in * d * 2 + double(c.nLayers) * perLayer + l * d * in * 2;
}

int main(int argc, char** argv) {
    std::vector<std::string> args;
    bool amp = false;
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--amp")
            amp = true;
        else
            args.emplace_back(argv[i]);
    }
    std::string devName = args.size() > 0 ? args[0] : "cpu";
    configureTorchThreads(args.size() > 1 ? std::stoi(args[1]) : 0);
    const int threads = at::get_num_threads();
    std::string blas = "default";
    if (args.size() > 2) blas = setBlasThreads(std::stoi(args[2])) ? args[2] : "n/a";
    torch::Device dev =
        devName == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    if (devName == "cuda" && !torch::cuda::is_available()) {
        std::cerr << "no CUDA device\n";
        return 2;
    }
    auto sync = [&] {
        if (dev.is_cuda()) torch::cuda::synchronize();
    };
    // Reference: plain matmul.
    auto a = torch::randn({1024, 1024}, torch::TensorOptions().device(dev));
    auto b = torch::randn({1024, 1024}, torch::TensorOptions().device(dev));
    for (int i = 0; i < 3; ++i) torch::mm(a, b);
    sync();
    bench::Timer tm;
    const int reps = dev.is_cuda() ? 200 : 20;
    for (int i = 0; i < reps; ++i) torch::mm(a, b);
    sync();
    double mmGflops = 2.0 * 1024 * 1024 * 1024 * reps / tm.seconds() / 1e9;
    double mmLowGflops = 0;
    const c10::ScalarType lowType = autocastDtype(dev.type());
    if (amp) {
        auto al = a.to(lowType), bl = b.to(lowType);
        for (int i = 0; i < 3; ++i) torch::mm(al, bl);
        sync();
        bench::Timer tl;
        for (int i = 0; i < reps; ++i) torch::mm(al, bl);
        sync();
        mmLowGflops = 2.0 * 1024 * 1024 * 1024 * reps / tl.seconds() / 1e9;
    }

    torch::manual_seed(1);
    model::MladConfig cfg;
    cfg.dIn = 100;
    cfg.dModel = 100;
    cfg.nLayers = 2;
    cfg.maxLen = 20;
    model::Mlad net(cfg);
    net->to(dev);
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-3));
    const int64_t B = 512, L = 20;
    auto x = torch::randn({B, L, 100}, torch::TensorOptions().device(dev));
    auto pad = torch::zeros({B, L}, torch::TensorOptions().dtype(torch::kBool).device(dev));
    LossScaler scaler;
    auto step = [&] {
        model::MladImpl::LossParts loss;
        {
            AutocastScope autocast(dev.type(), amp);
            auto out = net->forward(x, pad, true);
            loss = net->loss(out, x, pad);
        }
        opt.zero_grad();
        if (!amp) {
            loss.total.backward();
            opt.step();
            return;
        }
        scaler.scale(loss.total).backward();
        const bool finite = scaler.unscale(net->parameters());
        if (finite) opt.step();
        scaler.update(finite);
    };
    // Median and best of `rounds` rounds of `reps` calls, in calls per second.
    auto rate = [&](auto&& fn, int reps, int rounds) {
        std::vector<double> r;
        for (int k = 0; k < rounds; ++k) {
            bench::Timer t;
            for (int i = 0; i < reps; ++i) fn();
            sync();
            r.push_back(double(reps) / t.seconds());
        }
        std::sort(r.begin(), r.end());
        return std::make_pair(r[r.size() / 2], r.back());
    };
    for (int i = 0; i < 3; ++i) step();
    sync();
    const int steps = dev.is_cuda() ? 50 : 10;
    const auto [trainMed, trainBest] = rate(step, steps, 5);
    const double trainSeqPerSec = double(B) * trainMed;
    // Training ~ forward + backward (2x forward) of one masked pass.
    const double trainGflops = 3.0 * forwardFlops(cfg, L) * trainSeqPerSec / 1e9;

    // Scoring: GMM from a few batches, then deterministic masked passes.
    {
        torch::NoGradGuard ng;
        model::GmmAccumulator acc;
        net->accumulateGmm(acc, x, pad);
        net->setGmm(acc.finish());
    }
    net->score(x, pad);
    sync();
    const int sreps = dev.is_cuda() ? 50 : 10;
    const auto [scoreMed, scoreBest] = rate([&] { net->score(x, pad); }, sreps, 5);
    const double scoreSeqPerSec = double(B) * scoreMed;
    const double scoreGflops =
        double(cfg.scoringPasses()) * forwardFlops(cfg, L) * scoreSeqPerSec / 1e9;
    std::printf("device %s, %d torch threads, BLAS threads %s: matmul 1024 %.1f GFLOP/s\n",
                devName.c_str(), threads, blas.c_str(), mmGflops);
    if (amp)
        std::printf(
            "mixed precision: training under autocast (%s), matmul 1024 in %s %.1f GFLOP/s; "
            "scoring stays float32\n",
            c10::toString(lowType), c10::toString(lowType), mmLowGflops);
    std::printf(
        "MLAD train (window 20, d_model 100, 2 layers, batch 512): %.0f sequences/s "
        "(median of 5; best %.0f), ~%.1f GFLOP/s (%.0f%% of matmul)\n",
        trainSeqPerSec, double(B) * trainBest, trainGflops, 100.0 * trainGflops / mmGflops);
    std::printf(
        "MLAD score (%lld masked passes): %.0f sequences/s (median of 5; best %.0f), ~%.1f "
        "GFLOP/s (%.0f%% of matmul), peak RSS %.0f MiB\n",
        (long long)cfg.scoringPasses(), scoreSeqPerSec, double(B) * scoreBest, scoreGflops,
        100.0 * scoreGflops / mmGflops, bench::peakRssMiB());

    // Attention normalisers side by side (same qkv, same upstream gradient).
    auto qkv = torch::randn({B, L, 300}, torch::TensorOptions().device(dev)).requires_grad_(true);
    auto padA = torch::zeros({B, L}, torch::TensorOptions().dtype(torch::kBool).device(dev));
    auto attnRate = [&](double alpha, bool reference) {
        auto call = [&] {
            const auto r = reference ? model::entmaxAttentionReference(qkv, padA, 4, alpha)
                                     : model::entmaxAttention(qkv, padA, 4, alpha);
            r.context.sum().backward();
            qkv.mutable_grad() = torch::Tensor();
        };
        call();
        return rate(call, dev.is_cuda() ? 20 : 5, 5).first;
    };
    const double a15 = attnRate(1.5, false), a13 = attnRate(1.3, false),
                 a13ref = attnRate(1.3, true);
    std::printf(
        "attention fwd+bwd (batch 512, window 20, 4 heads): alpha 1.5 %.1f calls/s; alpha 1.3 "
        "%.1f calls/s (%.2fx of 1.5); alpha 1.3 unfused %.1f calls/s (%.2fx of 1.5; fusing gives "
        "%.1fx)\n",
        a15, a13, a13 / a15, a13ref, a13ref / a15, a13 / a13ref);
    return 0;
}
