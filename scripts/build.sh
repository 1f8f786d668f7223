#!/usr/bin/env bash
# Configures and builds into build/ (Release with debug info, Ninja, ccache when present).
# Extra CMake options may be passed as arguments, e.g. -DMLAD_BUILD_UI=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
# Let ccache share hits between checkouts in different directories (CI clones afresh).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j "$jobs"
