#!/usr/bin/env bash
# Installs what is missing, checks the formatting, builds everything with warnings as errors
# and runs the whole test suite (unit, CLI end-to-end and offscreen UI tests). Shared datasets:
# $MLAD_SHARED_DATA, default ../shared/datasets; tests that need them skip with a message when
# absent.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/format.sh --check
# First the core + CLI + unit tests without Qt (-DMLAD_BUILD_UI=OFF: the GPU server build must
# keep compiling), then the same build folder with the workbench added: the core targets do not
# depend on the option, so the second pass builds only the UI.
./scripts/build.sh -DMLAD_BUILD_UI=OFF -DMLAD_WERROR=ON
echo "test: core + CLI build without Qt passed"
./scripts/build.sh -DMLAD_BUILD_UI=ON -DMLAD_WERROR=ON
export QT_QPA_PLATFORM=offscreen
export MLAD_SHARED_DATA="${MLAD_SHARED_DATA:-$(cd .. && pwd)/shared/datasets}"
cd build
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" --timeout 900
