#!/usr/bin/env bash
# CUDA checks for a session that is lent a GPU machine (the `device` tool). That machine has
# CUDA, CMake, ninja and PyTorch (LibTorch 2.x) but no Qt and no package registry, so the
# headers and static libraries the core needs travel as Debian packages:
#
#   here:   tools/gpu_check.sh fetch
#           downloads them into deb-cache/ (ignored by git);
#   there:  device run, carry ["deb-cache"], command "tools/gpu_check.sh build"
#           unpacks them into build-gpu/prefix (never into /) and builds core + CLI + unit
#           tests + benchmarks with -DMLAD_BUILD_UI=OFF against PyTorch's LibTorch;
#   there:  device run, command "tools/gpu_check.sh check" (same warm machine: build-gpu/ is
#           kept) runs the CUDA tests, the whole unit suite, a CUDA training run of the demo
#           with and without --amp, and the model benchmark on CUDA and CPU. The log goes to
#           $OUT/gpu_check.log when $OUT is set.
#
# TORCH_PREFIX overrides the LibTorch CMake prefix (default: PyTorch's own).
set -euo pipefail
cd "$(dirname "$0")/.."

debs=deb-cache
prefix="$PWD/build-gpu/prefix"
arch=x86_64-linux-gnu
packages=(libsqlite3-dev libsqlite3-0 libeigen3-dev libre2-dev libre2-9 zlib1g-dev zlib1g
          libgtest-dev pkgconf pkgconf-bin libpkgconf3 nlohmann-json3-dev libcli11-dev
          libfftw3-dev libfftw3-double3 libhnswlib-dev libxxhash-dev libxxhash0)

unpack() {
  rm -rf "$prefix"
  mkdir -p "$prefix"
  for p in "${packages[@]}"; do
    local f
    f=$(ls "$debs"/"${p}"_*.deb 2>/dev/null | head -1)
    [ -n "$f" ] || { echo "gpu_check: $debs has no $p package: run 'tools/gpu_check.sh fetch' here first" >&2; exit 2; }
    dpkg -x "$f" "$prefix"
  done
  # Only static SQLite, RE2, FFTW and xxHash are left to link against: no run-time library path needed.
  rm -f "$prefix/usr/lib/$arch/libsqlite3.so" "$prefix/usr/lib/$arch/libre2.so" \
        "$prefix/usr/lib/$arch/libfftw3.so" "$prefix/usr/lib/$arch/libxxhash.so"
}

environment() {
  export PATH="$prefix/usr/bin:$PATH"
  export LD_LIBRARY_PATH="$prefix/usr/lib/$arch${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"  # pkgconf's library
  # re2.pc says /usr/...: the sysroot maps that into the prefix.
  export PKG_CONFIG_LIBDIR="$prefix/usr/lib/$arch/pkgconfig:$prefix/usr/share/pkgconfig"
  export PKG_CONFIG_SYSROOT_DIR="$prefix"
}

torch_prefix() {
  if [ -n "${TORCH_PREFIX:-}" ]; then echo "$TORCH_PREFIX"; return; fi
  python3 -c 'import torch; print(torch.utils.cmake_prefix_path)'
}

case "${1:-}" in
  fetch)
    mkdir -p "$debs"
    (cd "$debs" && apt-get download "${packages[@]}")
    du -sh "$debs"
    ;;
  build)
    unpack
    environment
    if python3 -c 'import torch' 2>/dev/null; then
      python3 -c 'import torch; print("PyTorch", torch.__version__, "CUDA", torch.version.cuda, "cxx11 ABI", torch.compiled_with_cxx11_abi())'
      if [ "$(python3 -c 'import torch; print(int(torch.compiled_with_cxx11_abi()))')" = 0 ]; then
        echo "gpu_check: this LibTorch uses the pre-C++11 std::string ABI; Debian's GoogleTest and RE2 use the C++11 one and cannot link with it" >&2
        exit 3
      fi
    fi
    cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMLAD_BUILD_UI=OFF \
      -DCMAKE_PREFIX_PATH="$prefix/usr;$(torch_prefix)"
    grep -E '^(SQLite3_INCLUDE_DIR|SQLite3_LIBRARY|Eigen3_DIR|GTest_DIR|RE2_INCLUDE_DIRS|RE2_LINK_LIBRARIES|Torch_DIR):' \
      build-gpu/CMakeCache.txt || true
    cmake --build build-gpu -j "$(nproc)"
    ;;
  check)
    environment
    set +e  # report every step, also after a failing one
    log="${OUT:-build-gpu}/gpu_check.log"
    {
      nvidia-smi -L || true
      echo "== CUDA unit tests"
      build-gpu/tests/mlad_unit_tests --gtest_filter='*Cuda*:*CUDA*' || echo "CUDA TESTS FAILED"
      echo "== all unit tests"
      build-gpu/tests/mlad_unit_tests --gtest_brief=1 || echo "UNIT TESTS FAILED"
      echo "== demo project, CUDA training with and without --amp"
      demo="$(mktemp -d)/demo.mlad"
      build-gpu/app/mlad demo --project "$demo" --quick > /dev/null
      for amp in "" --amp; do
        build-gpu/app/mlad train --project "$demo" --split demo-hdfs --device cuda $amp \
          --epochs 5 --run "cuda${amp:+-amp}" 2>&1 | tail -2
        build-gpu/app/mlad evaluate --project "$demo" --run "cuda${amp:+-amp}"
      done
      build-gpu/app/mlad runs --project "$demo"
      echo "== model benchmark"
      build-gpu/bench/mlad_bench_model cuda
      build-gpu/bench/mlad_bench_model cuda 0 --amp
      build-gpu/bench/mlad_bench_model cpu 0
    } 2>&1 | tee "$log"
    ;;
  *)
    echo "usage: tools/gpu_check.sh fetch|build|check" >&2
    exit 2
    ;;
esac
