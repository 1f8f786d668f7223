#pragma once
// Process-wide settings for LibTorch on CPU. Torch-free header: ui/ and app/ call it at start-up.
#include <string>
#include <utility>
#include <vector>

namespace mlad {

/// Sets LibTorch's intra-op CPU thread count. Debian's LibTorch defaults to one thread, so the
/// CLI, the workbench, the tests and the benchmarks call this at start-up (and a training run
/// again on its own thread: OpenMP keeps the count per calling thread).
///
/// threads > 0 is taken as given. threads = 0 (auto) takes OMP_NUM_THREADS when it is set to a
/// positive integer (as PyTorch does; `mlad launch` sets 1 for CPU ranks), else gives LibTorch
/// half the cores (at least one) and leaves OpenBLAS its own pool on all cores. The two pools are
/// separate (LibTorch's OpenMP, OpenBLAS's pthreads) and both spin while idle, so on all cores each
/// they fight over the CPUs: measured on the 2-core VM with bench/mlad_bench_model, training ran at
/// ~2,200 sequences/s with 1 LibTorch thread and ~1,470 with 2 (OMP_WAIT_POLICY=PASSIVE, which only
/// takes effect from the environment at start-up, gave ~1,900).
///
/// The first call also tunes glibc's allocator for tensor work: blocks up to 32 MiB come from
/// the heap instead of fresh mmaps, and up to 256 MiB of freed heap stay mapped. With the
/// defaults every training step of the benchmark model page-faulted ~22,000 times, which
/// doubled the step time on the 2-core development VM (575 vs 285 ms).
void configureTorchThreads(int threads = 0);

/// Sets the BLAS library's own worker-thread count where it has one (OpenBLAS, found at run
/// time); returns false when the BLAS in use offers no such call. 0 = all cores.
bool setBlasThreads(int threads);

/// What this process computes with, for `mlad doctor` and the workbench's Help > About: one
/// (label, value) pair per line, e.g. ("LibTorch", "2.1.2"), ("BLAS", "OpenBLAS 0.3.21 ...
/// (/usr/lib/.../libopenblas.so.0), 2 threads"), ("CUDA", "not available: ...").
std::vector<std::pair<std::string, std::string>> runtimeReport();

}  // namespace mlad
