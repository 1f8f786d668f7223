#!/usr/bin/env bash
# The test suites under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/), or
# ThreadSanitizer (build-tsan/) for the task, worker and UI tests:
#   scripts/sanitize.sh [asan|asan-data|tsan] [CTEST_REGEX]
# asan builds everything (without the benchmarks) and runs the whole suite, or the tests that
# match CTEST_REGEX; a cold build takes about 30 minutes on 2 cores. asan-data builds and runs
# only the data library's tests (no LibTorch; about 5 minutes). LibTorch, Qt and the system
# libraries are not instrumented; their allocations are still checked by ASan.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-asan}"; regex="${2:-}"
case "$kind" in
  asan|asan-data) dir=build-asan; san="address,undefined" ;;
  tsan) dir=build-tsan; san="thread"; regex="${regex:-ui\.|Worker|ProjectLock|DataParallel|TaskRunner|ParseOnly}" ;;
  *) echo "usage: scripts/sanitize.sh [asan|asan-data|tsan] [CTEST_REGEX]"; exit 2 ;;
esac
./scripts/install-deps.sh >/dev/null
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMLAD_SANITIZE="$san" \
  -DMLAD_BUILD_BENCH=OFF -DMLAD_BUILD_UI=ON -DMLAD_WERROR=ON >/dev/null
if [ "$kind" = asan-data ]; then
  cmake --build "$dir" -j "$(nproc)" --target mlad_data_tests
else
  cmake --build "$dir" -j "$(nproc)"
fi
# LibTorch registers the same operators from several libraries (ODR reports that are not ours)
# and keeps its thread pools alive at exit (leaks that are not ours); the data tests load no
# LibTorch, so leaks count there.
leaks=0; [ "$kind" = asan-data ] && leaks=1
export ASAN_OPTIONS="detect_odr_violation=0:detect_leaks=$leaks:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp:${TSAN_OPTIONS:-}"
# LibTorch's OpenMP pool (libgomp, not instrumented) stays off under TSan: one intra-op thread.
if [ "$kind" = tsan ]; then export MLAD_TEST_THREADS=1 OMP_NUM_THREADS=1; fi
export MLAD_SHARED_DATA="${MLAD_SHARED_DATA:-$(cd .. && pwd)/shared/datasets}"
export QT_QPA_PLATFORM=offscreen
# QtTest stops a test function after 5 minutes by default; sanitizers run several times slower.
export QTEST_FUNCTION_TIMEOUT="${QTEST_FUNCTION_TIMEOUT:-3600000}"
if [ "$kind" = asan-data ]; then
  exec "$dir/tests/mlad_data_tests"
fi
ctest --test-dir "$dir" -j "$(nproc)" --output-on-failure --timeout 3000 ${regex:+-R "$regex"}
