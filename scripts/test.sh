#!/usr/bin/env bash
# Installs what is missing, builds everything and runs the whole test suite (unit, CLI
# end-to-end and offscreen UI tests). Shared datasets: $MLAD_SHARED_DATA, default
# ../shared/datasets; tests that need them skip with a message when absent.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
export QT_QPA_PLATFORM=offscreen
export MLAD_SHARED_DATA="${MLAD_SHARED_DATA:-$(cd .. && pwd)/shared/datasets}"
cd build
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" --timeout 900
