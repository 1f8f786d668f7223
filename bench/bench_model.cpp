// Model benchmark: MLAD training and scoring throughput (sequences/s) for window 20,
// d_model 100, 2 layers, batch 512, and the achieved GFLOP/s against a plain 1024x1024 matmul
// on the same machine and BLAS. `mlad_bench_model [cpu|cuda] [THREADS]`.
#include <torch/torch.h>

#include <iostream>
#include <thread>

#include "BenchUtil.h"
#include "mlad/model/Mlad.h"

using namespace mlad;

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
    std::string devName = argc > 1 ? argv[1] : "cpu";
    int threads = argc > 2 ? std::stoi(argv[2]) : int(std::thread::hardware_concurrency());
    at::set_num_threads(threads);
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
    auto step = [&] {
        auto out = net->forward(x, pad, true);
        auto loss = net->loss(out, x, pad);
        opt.zero_grad();
        loss.total.backward();
        opt.step();
    };
    for (int i = 0; i < 3; ++i) step();
    sync();
    const int steps = dev.is_cuda() ? 50 : 10;
    bench::Timer tt;
    for (int i = 0; i < steps; ++i) step();
    sync();
    double trainSec = tt.seconds();
    double trainSeqPerSec = double(B * steps) / trainSec;
    // Training ~ forward + backward (2x forward) of one masked pass.
    double trainGflops = 3.0 * forwardFlops(cfg, L) * double(B * steps) / trainSec / 1e9;

    // Scoring: GMM from a few batches, then deterministic masked passes.
    {
        torch::NoGradGuard ng;
        model::GmmAccumulator acc;
        net->accumulateGmm(acc, x, pad);
        net->setGmm(acc.finish());
    }
    net->score(x, pad);
    sync();
    bench::Timer ts;
    const int sreps = dev.is_cuda() ? 50 : 10;
    for (int i = 0; i < sreps; ++i) net->score(x, pad);
    sync();
    double scoreSec = ts.seconds();
    double scoreSeqPerSec = double(B * sreps) / scoreSec;
    double scoreGflops =
        double(cfg.scoringPasses()) * forwardFlops(cfg, L) * double(B * sreps) / scoreSec / 1e9;
    std::printf("device %s, %d threads: matmul 1024 %.1f GFLOP/s\n", devName.c_str(), threads,
                mmGflops);
    std::printf(
        "MLAD train (window 20, d_model 100, 2 layers, batch 512): %.0f sequences/s, "
        "~%.1f GFLOP/s (%.0f%% of matmul)\n",
        trainSeqPerSec, trainGflops, 100.0 * trainGflops / mmGflops);
    std::printf(
        "MLAD score (%lld masked passes): %.0f sequences/s, ~%.1f GFLOP/s (%.0f%% of "
        "matmul), peak RSS %.0f MiB\n",
        (long long)cfg.scoringPasses(), scoreSeqPerSec, scoreGflops, 100.0 * scoreGflops / mmGflops,
        bench::peakRssMiB());
    return 0;
}
