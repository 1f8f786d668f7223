#!/usr/bin/env bash
# Runs every benchmark and prints the figures (nothing here asserts on time).
# Usage: bench/run.sh [LINES]   (default 1,000,000 lines for the data benchmarks)
set -euo pipefail
cd "$(dirname "$0")/.."
lines="${1:-1000000}"
./scripts/install-deps.sh >/dev/null
./scripts/build.sh >/dev/null
export MLAD_SHARED_DATA="${MLAD_SHARED_DATA:-$(cd .. && pwd)/shared/datasets}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== data layer (file built from the shared BGL sample)"
build/bench/mlad_bench_data parse "$lines" "$work"
build/bench/mlad_bench_data parse "$((lines * 2))" "$work"
build/bench/mlad_bench_data import "$lines" "$work"
echo "== Drain on pathological input (unique words on every line; bounded vs unbounded)"
build/bench/mlad_bench_data drain-worst 300000 "$work"
echo "== sequences and embeddings"
build/bench/mlad_bench_data sequences "$lines" "$work" || true
echo "== model (CPU, auto threads: the product default)"
build/bench/mlad_bench_model cpu 0
echo "== model (CPU, LibTorch on all cores)"
build/bench/mlad_bench_model cpu "$(nproc)"
echo "== model (CPU, mixed precision: bfloat16 autocast as 'mlad train --amp')"
build/bench/mlad_bench_model cpu 0 --amp
echo "== data-parallel training: 1 process vs 2 CPU ranks (mlad launch), BGL 20k windows"
bench/data_parallel.sh build/app/mlad 2 2
echo "== detectors (train and score throughput on the shared HDFS sessions, 2 epochs)"
build/bench/mlad_bench_detectors 2 3
echo "== t-SNE: ours beside scikit-learn's Barnes-Hut TSNE (10,000 x 100), then at scale (100,000 x 50)"
build/bench/mlad_bench_tsne sklearn
build/bench/mlad_bench_tsne scale
if [ -x build/bench/mlad_bench_ui ]; then
  echo "== workbench responsiveness (offscreen: slider over 1M scores, rebinning, recolouring, projection)"
  QT_QPA_PLATFORM=offscreen build/bench/mlad_bench_ui
fi
if build/app/mlad --version >/dev/null && [ -e /dev/nvidia0 ]; then
  echo "== model (CUDA)"
  build/bench/mlad_bench_model cuda || true
  echo "== model (CUDA, mixed precision: float16 autocast as 'mlad train --amp')"
  build/bench/mlad_bench_model cuda 0 --amp || true
fi
