#!/usr/bin/env bash
# Time and peak memory of every stage on projects of 1M / 3M / 10M lines, as a user runs them
# (the CLI, from process start): import, sequences (windows of 20), split (chronological),
# embed, train (1 epoch, default MLAD), score. The log is built at run time from the shared
# BGL sample by bench/make_bgl_log.py: repetition k shifts the timestamps by k sample spans and
# renames the nodes (R02 -> R02k...), so templates and windows stay realistic. No assertions.
# Usage: bench/scale.sh [MLAD_BINARY] [LINES...]   (default: build/app/mlad 1000000 3000000 10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
mlad="${1:-build/app/mlad}"; shift || true
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1000000 3000000 10000000)
data="${MLAD_SHARED_DATA:-$(cd .. && pwd)/shared/datasets}"
sample="$data/bgl-20k-logparser/BGL_20k_dev.log"
[ -f "$sample" ] || { echo "SKIP: $sample is absent"; exit 0; }
work="${MLAD_BENCH_DIR:-$(mktemp -d)}"; trap 'rm -rf "$work"' EXIT
make_log() {  # lines out
  python3 bench/make_bgl_log.py "$sample" "$1" "$2"
}
stage() {  # name command... ; prints seconds and peak RSS
  local name="$1"; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out" 2> "$work/err" || {
    echo "$name failed: $(tail -3 "$work/err")"; return 1; }
  read -r sec kb < "$work/time"
  printf "  %-10s %9.1f s %9.0f MiB\n" "$name" "$sec" "$(python3 -c "print($kb / 1024)")"
}
for n in "${sizes[@]}"; do
  log="$work/BGL_$n.log"; p="$work/p_$n.mlad"
  make_log "$n" "$log"
  echo "== $n lines ($(( $(stat -c %s "$log") / 1048576 )) MiB)"
  stage import "$mlad" import --project "$p" --preset BGL "$log"
  stage sequences "$mlad" sequences --project "$p" --system BGL --window 20
  stage split "$mlad" split --project "$p" --name s --system BGL --protocol chronological
  stage embed "$mlad" embed --project "$p"
  stage train "$mlad" train --project "$p" --split s --run r --epochs 1
  stage score "$mlad" score --project "$p" --run r --system BGL --out "$work/scores_$n.csv"
  echo "  project file $(( $(stat -c %s "$p") / 1048576 )) MiB"
  rm -rf "$log" "$p" "$p"-* "$p.runs" "$work/scores_$n.csv"
done
