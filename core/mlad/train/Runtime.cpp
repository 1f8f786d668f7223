#include "mlad/train/Runtime.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <sqlite3.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "mlad/train/Distributed.h"
#include "mlad/util/Version.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace mlad {

namespace {

int cores() {
    return int(std::max(1u, std::thread::hardware_concurrency()));
}

void tuneAllocator() {
#if defined(__GLIBC__)
    // 32 MiB is glibc's largest mmap threshold on 64-bit; setting it also stops the dynamic
    // adjustment. Both calls only fail on out-of-range values.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

}  // namespace

void configureTorchThreads(int threads) {
    static std::once_flag once;
    std::call_once(once, tuneAllocator);
    if (threads <= 0) {
        // OMP_NUM_THREADS, as PyTorch honours it (mlad launch sets 1 for CPU ranks).
        if (const char* env = std::getenv("OMP_NUM_THREADS"); env != nullptr) {
            char* end = nullptr;
            const long n = std::strtol(env, &end, 10);
            if (end != env && *end == '\0' && n >= 1 && n <= 4096) threads = int(n);
        }
    }
    at::set_num_threads(threads > 0 ? threads : std::max(1, cores() / 2));
}

bool setBlasThreads(int threads) {
    using SetThreads = void (*)(int);
    auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (fn == nullptr) return false;
    fn(threads > 0 ? threads : cores());
    return true;
}

namespace {

// The BLAS and LAPACK libraries mapped into this process (what the dynamic loader chose, e.g.
// through Debian's alternatives), from /proc/self/maps.
std::vector<std::string> mappedBlas() {
    std::ifstream maps("/proc/self/maps");
    std::set<std::string> seen;
    std::vector<std::string> out;
    std::string line;
    while (std::getline(maps, line)) {
        const size_t slash = line.find('/');
        if (slash == std::string::npos) continue;
        const std::string path = line.substr(slash);
        const std::string file = path.substr(path.rfind('/') + 1);
        const bool blas = file.find("blas") != std::string::npos ||
                          file.find("lapack") != std::string::npos ||
                          file.find("mkl") != std::string::npos;
        if (blas && seen.insert(path).second) out.push_back(path);
    }
    return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> runtimeReport() {
    std::vector<std::pair<std::string, std::string>> r;
    r.emplace_back("MLAD Workbench", std::string(MLAD_VERSION) + " (code " + codeVersion() + ")");
    r.emplace_back("LibTorch", TORCH_VERSION);
    r.emplace_back("SQLite", sqlite3_libversion());
    r.emplace_back("CPU cores", std::to_string(cores()));
    std::string threads = std::to_string(at::get_num_threads()) + " intra-op, " +
                          std::to_string(at::get_num_interop_threads()) + " inter-op";
    if (const char* omp = std::getenv("OMP_NUM_THREADS"))
        threads += ", OMP_NUM_THREADS=" + std::string(omp);
    r.emplace_back("LibTorch threads", threads);
    std::string blas;
    using GetConfig = char* (*)();
    using GetThreads = int (*)();
    if (auto cfg = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
        blas = cfg();
        if (auto n = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads")))
            blas += ", " + std::to_string(n()) + " threads";
    }
    for (const auto& lib : mappedBlas()) blas += (blas.empty() ? "" : "; ") + lib;
    r.emplace_back("BLAS", blas.empty() ? "none loaded yet" : blas);
    r.emplace_back("oneDNN (MKL-DNN)", at::hasMKLDNN() ? "yes" : "no");
    std::string cuda;
    if (torch::cuda::is_available()) {
        cuda = std::to_string(torch::cuda::device_count()) + " device(s)";
        cuda += torch::cuda::cudnn_is_available() ? ", cuDNN available" : ", no cuDNN";
    } else {
        cuda = at::hasCUDA() ? "built with CUDA, but no device is available"
                             : "not available (this LibTorch is a CPU build)";
    }
    r.emplace_back("CUDA", cuda);
    r.emplace_back("Data-parallel",
                   distributedAvailable()
                       ? "c10d with Gloo (mlad launch --nproc-per-node N -- train ...)"
                       : "not available (built without c10d/Gloo headers)");
    return r;
}

}  // namespace mlad
