#!/usr/bin/env bash
# Kills `mlad import` with SIGKILL at random moments, then checks that the project is valid
# after every kill and that importing again completes with exactly the lines of a clean import
# (no duplicates, nothing lost).
set -euo pipefail
mlad="$1"
data="${MLAD_SHARED_DATA:-}"
sample="$data/bgl-20k-logparser/BGL_20k_dev.log"
if [ ! -f "$sample" ]; then
  echo "SKIP: shared sample $sample not found (set MLAD_SHARED_DATA)"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for i in $(seq 1 12); do cat "$sample"; done > "$work/big.log"   # ~190k lines
"$mlad" import --project "$work/clean.mlad" --preset BGL "$work/big.log" >/dev/null
expected=$(sqlite3 "$work/clean.mlad" "select count(*) from lines")

p="$work/killed.mlad"
for attempt in 1 2 3 4; do
  "$mlad" import --project "$p" --preset BGL --batch-lines 5000 "$work/big.log" >/dev/null 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 9 + 1))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  integrity=$(sqlite3 "$p" "pragma integrity_check" 2>&1 || true)
  lines=$(sqlite3 "$p" "select count(*) from lines" 2>/dev/null || echo 0)
  echo "kill $attempt: integrity=$integrity lines=$lines"
  if [ -s "$p" ] && [ "$integrity" != "ok" ]; then
    echo "FAIL: project invalid after kill $attempt"; exit 1
  fi
done
"$mlad" import --project "$p" --preset BGL "$work/big.log"
got=$(sqlite3 "$p" "select count(*) from lines")
dups=$(sqlite3 "$p" "select count(*) from (select 1 from lines group by file_id, line_no having count(*) > 1)")
tsum=$(sqlite3 "$p" "select sum(count) from templates")
echo "expected=$expected got=$got duplicates=$dups template_count_sum=$tsum"
[ "$got" = "$expected" ] || { echo "FAIL: line count differs"; exit 1; }
[ "$dups" = "0" ] || { echo "FAIL: duplicated lines"; exit 1; }
[ "$tsum" = "$expected" ] || { echo "FAIL: template counts disagree with lines"; exit 1; }
# A third import of the same file is detected as a duplicate.
"$mlad" import --project "$p" --preset BGL "$work/big.log" | grep -q "already imported"
echo "PASS"
