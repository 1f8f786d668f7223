#!/usr/bin/env bash
# Data-parallel scaling on this machine's CPUs (no assertions): MLAD (default model size) on
# BGL windows of 20 from the shared bgl-20k sample, trained side by side, repeated:
#   A  1 process, 1 LibTorch thread, --batch-size 2B
#   B  mlad launch --nproc-per-node 2, 1 thread each, --batch-size B (the same global batch)
#   C  1 process, 2 threads, --batch-size 2B (what one process does with both cores)
# Throughput = training sequences x epochs / the epochs' seconds (validation included);
# efficiency = B / (2 x A); "B sync": the share of B's epoch time spent summing gradients over
# the ranks (sync_seconds: communication plus waiting for the slower rank).
# Usage: bench/data_parallel.sh [MLAD_BINARY] [EPOCHS] [REPEATS] [B]
set -euo pipefail
cd "$(dirname "$0")/.."
mlad="${1:-build/app/mlad}"; epochs="${2:-3}"; repeats="${3:-3}"; b="${4:-64}"
data="${MLAD_SHARED_DATA:-$(cd .. && pwd)/shared/datasets}"
sample="$data/bgl-20k-logparser/BGL_20k_dev.log"
[ -f "$sample" ] || { echo "SKIP: $sample is absent"; exit 0; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
p="$work/p.mlad"
"$mlad" import --project "$p" --preset BGL "$sample" >/dev/null
"$mlad" sequences --project "$p" --system BGL --window 20 >/dev/null
"$mlad" split --project "$p" --name s --system BGL --protocol paper --seed 1 >/dev/null
"$mlad" embed --project "$p" >/dev/null
args=(--project "$p" --split s --epochs "$epochs" --patience 0 --seed 3)
rate() {  # run name -> sequences/s
  sqlite3 "$p" "select (select count(*) from split_members m join splits s on s.id = m.split_id
                  where s.name = 's' and m.part = 'train') * count(*) / sum(v.value)
                from run_epoch_values v join runs r on r.id = v.run_id
                where r.name = '$1' and v.key = 'seconds'"
}
share() {  # run name -> share of its epochs' time spent summing gradients over the ranks
  sqlite3 "$p" "select sum(case when v.key = 'sync_seconds' then v.value end) /
                       sum(case when v.key = 'seconds' then v.value end)
                from run_epoch_values v join runs r on r.id = v.run_id where r.name = '$1'"
}
printf "%-6s %14s %14s %14s %12s %10s\n" repeat "A 1x1 seq/s" "B 2 ranks" "C 1x2 threads" "B/(2A)" "B sync"
for i in $(seq 1 "$repeats"); do
  "$mlad" train "${args[@]}" --run "a$i" --threads 1 --batch-size $((2 * b)) >/dev/null 2>&1
  "$mlad" launch --nproc-per-node 2 -- train "${args[@]}" --run "b$i" --batch-size "$b" >/dev/null 2>&1
  "$mlad" train "${args[@]}" --run "c$i" --threads 2 --batch-size $((2 * b)) >/dev/null 2>&1
  ra=$(rate "a$i"); rb=$(rate "b$i"); rc=$(rate "c$i")
  printf "%-6s %14.0f %14.0f %14.0f %12.2f %9.1f%%\n" "$i" "$ra" "$rb" "$rc" \
    "$(python3 -c "print($rb / (2 * $ra))")" "$(python3 -c "print(100 * $(share "b$i"))")"
done
