#include "mlad/train/Runtime.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <algorithm>
#include <mutex>
#include <thread>

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
    at::set_num_threads(threads > 0 ? threads : std::max(1, cores() / 2));
}

bool setBlasThreads(int threads) {
    using SetThreads = void (*)(int);
    auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (fn == nullptr) return false;
    fn(threads > 0 ? threads : cores());
    return true;
}

}  // namespace mlad
