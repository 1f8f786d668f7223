// t-SNE benchmark. Points: `clusters` Gaussian clusters (unit spread, centres drawn with
// standard deviation 5), seeded.
//
//   mlad_bench_tsne sklearn [N] [D] [ITER]   ours and scikit-learn's Barnes-Hut TSNE side by side
//   on
//       the same N x D points (default 10,000 x 100, 1,000 iterations): same perplexity (30),
//       iterations, PCA initialisation and learning rate (scikit-learn's "auto", N/12 per unit of
//       our gradient, which has no factor 4), then ours with its own defaults (openTSNE's
//       per-phase rate). Trustworthiness (k = 10) of every layout by one function (ours, exact
//       ranks). scikit-learn runs in Debian's python3 (python3-sklearn) with 2 jobs.
//   mlad_bench_tsne scale [N] [D] [ITER]     ours alone (default 100,000 x 50): time per phase,
//       KL, peak memory; and the workbench's default sample (10,000 points).
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "BenchUtil.h"
#include "mlad/tsne/Tsne.h"

using namespace mlad;  // NOLINT

namespace {

tsne::Matrix clusters(int64_t n, int64_t d, int k, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> nd(0.0, 1.0);
    std::vector<double> centre(static_cast<size_t>(k * d));
    for (double& v : centre) v = nd(rng) * 5.0;
    tsne::Matrix x;
    x.n = n;
    x.d = d;
    x.data.resize(static_cast<size_t>(n * d));
    for (int64_t i = 0; i < n; ++i) {
        const int64_t c = i % k;
        for (int64_t j = 0; j < d; ++j)
            x.data[static_cast<size_t>(i * d + j)] =
                centre[static_cast<size_t>(c * d + j)] + nd(rng);
    }
    return x;
}

void writeRaw(const std::string& path, const std::vector<double>& v) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(v.data()),
              static_cast<std::streamsize>(v.size() * sizeof(double)));
    if (!out) throw std::runtime_error("cannot write " + path);
}

std::vector<double> readRaw(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return {};
    const auto bytes = static_cast<size_t>(in.tellg());
    std::vector<double> v(bytes / sizeof(double));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(bytes));
    return v;
}

tsne::Result ours(const tsne::Matrix& x, int iters, double lr, const char* label) {
    tsne::Options o;
    o.iterations = iters;
    o.learningRate = lr;
    o.threads = 2;
    o.klEvery = 0;
    const tsne::Result r = tsne::run(x, o);
    std::printf("%-44s %7.1f s  (method %s, KL %.3f)\n", label, r.seconds,
                tsne::methodName(r.method).c_str(), r.kl);
    std::fflush(stdout);
    return r;
}

int sklearnSideBySide(int64_t n, int64_t d, int iters) {
    const tsne::Matrix x = clusters(n, d, 10, 1);
    const auto dir =
        std::filesystem::temp_directory_path() / ("mlad-tsne-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string xin = (dir / "x.f64").string(), yout = (dir / "y.f64").string(),
                      tfile = (dir / "t.txt").string();
    writeRaw(xin, x.data);
    std::printf(
        "t-SNE, %lld x %lld points (10 Gaussian clusters), perplexity 30, %d iterations, PCA "
        "initialisation, 2 threads\n",
        (long long)n, (long long)d, iters);
    const double lrSk = std::max(double(n) / 12.0, 50.0 * 4.0);  // sklearn auto, in our units
    const tsne::Result a = ours(x, iters, lrSk, "ours, scikit-learn's learning rate:");
    const std::string script =
        "import sys, time, numpy as np\n"
        "from sklearn.manifold import TSNE\n"
        "x = np.fromfile('" +
        xin + "').reshape(" + std::to_string(n) + ", " + std::to_string(d) +
        ")\n"
        "t = time.perf_counter()\n"
        "y = TSNE(n_components=2, perplexity=30.0, early_exaggeration=12.0, learning_rate='auto', "
        "n_iter=" +
        std::to_string(iters) +
        ", init='pca', method='barnes_hut', angle=0.5, "
        "n_jobs=2, random_state=1).fit_transform(x)\n"
        "open('" +
        tfile +
        "', 'w').write(str(time.perf_counter() - t))\n"
        "np.ascontiguousarray(y, dtype=np.float64).tofile('" +
        yout + "')\n";
    const std::string pyfile = (dir / "sk.py").string();
    std::ofstream(pyfile) << script;
    const int rc = std::system(("/usr/bin/python3 " + pyfile + " 2>/dev/null").c_str());
    const tsne::Result b = ours(x, iters, 0.0, "ours, own defaults (openTSNE's rates):");
    const double ta = tsne::trustworthiness(x, a.y, 10, 2),
                 tb = tsne::trustworthiness(x, b.y, 10, 2);
    std::vector<double> ySk = readRaw(yout);
    if (rc != 0 || ySk.size() != static_cast<size_t>(2 * n)) {
        std::printf(
            "scikit-learn: not available (/usr/bin/python3 with python3-sklearn): no comparison\n");
        std::printf("trustworthiness k=10: ours %.4f (own defaults %.4f)\n", ta, tb);
    } else {
        double tsk = 0;
        std::ifstream(tfile) >> tsk;
        const double tk = tsne::trustworthiness(x, ySk, 10, 2);
        std::printf("%-44s %7.1f s\n", "scikit-learn 1.2 TSNE (barnes_hut, 2 jobs):", tsk);
        std::printf("speed-up: %.1fx at the same learning rate, %.1fx with our defaults\n",
                    tsk / a.seconds, tsk / b.seconds);
        std::printf(
            "trustworthiness k=10: scikit-learn %.4f, ours %.4f (%+.4f), ours with own "
            "defaults %.4f (%+.4f)\n",
            tk, ta, ta - tk, tb, tb - tk);
    }
    std::filesystem::remove_all(dir);
    return 0;
}

int scale(int64_t n, int64_t d, int iters) {
    const tsne::Matrix x = clusters(n, d, 10, 2);
    tsne::Options o;
    o.iterations = iters;
    o.threads = 2;
    double tAff = 0;
    const auto t0 = std::chrono::steady_clock::now();
    TaskContext task(
        [&](const Progress& p) {
            if (p.stage == "optimising" && p.done == 1 && tAff == 0)
                tAff = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        },
        0.0);
    const tsne::Result r = tsne::run(x, o, &task);
    std::printf(
        "t-SNE %lld x %lld (10 clusters), %d iterations, 2 threads: %.1f s (neighbours + "
        "affinities + init %.1f s, optimisation %.1f s), method %s, neighbours %s, KL %.3f, "
        "peak RSS %.0f MiB\n",
        (long long)n, (long long)d, iters, r.seconds, tAff, r.seconds - tAff,
        tsne::methodName(r.method).c_str(), r.neighbors == tsne::Neighbors::Hnsw ? "hnsw" : "exact",
        r.kl, bench::peakRssMiB());
    std::fflush(stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "sklearn";
    try {
        if (mode == "sklearn")
            return sklearnSideBySide(argc > 2 ? std::atoll(argv[2]) : 10000,
                                     argc > 3 ? std::atoll(argv[3]) : 100,
                                     argc > 4 ? std::atoi(argv[4]) : 1000);
        if (mode == "scale") {
            scale(argc > 2 ? std::atoll(argv[2]) : 100000, argc > 3 ? std::atoll(argv[3]) : 50,
                  argc > 4 ? std::atoi(argv[4]) : 1000);
            if (argc <= 2) scale(10000, 100, 1000);  // the workbench's default sample
            return 0;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mlad_bench_tsne: %s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "usage: mlad_bench_tsne sklearn|scale [N] [D] [ITER]\n");
    return 2;
}
