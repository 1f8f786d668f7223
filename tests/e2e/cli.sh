#!/usr/bin/env bash
# CLI contract on real data: --help, import/templates/export/parse, bad input exit codes and
# messages, and the headless demo pipeline (quick).
set -euo pipefail
mlad="$1"
data="${MLAD_SHARED_DATA:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

help=$("$mlad" --help)
for c in import templates export parse sequences import-sessions split embed train evaluate score runs demo; do
  echo "$help" | grep -q "^  $c " || fail "--help does not list $c"
done
"$mlad" help import | grep -q -- "--labels" || fail "import help lacks --labels"
# doctor: the runtime a bug report needs (LibTorch, BLAS, threads, CUDA), text and JSON.
doctor=$("$mlad" doctor)
for k in LibTorch BLAS "LibTorch threads" CUDA SQLite; do
  grep -q "^$k " <<< "$doctor" || fail "doctor lacks '$k': $doctor"
done
"$mlad" doctor --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["LibTorch"] and d["CUDA"]' \
  || fail "doctor --json"
set +e
"$mlad" frobnicate >/dev/null 2>&1; [ $? -ne 0 ] || fail "unknown command exits 0"
"$mlad" import --project "$work/p.mlad" --preset NOPE x.log >/dev/null 2>"$work/err"; rc=$?
set -e
[ $rc -ne 0 ] && grep -q "unknown preset" "$work/err" || fail "unknown preset not reported"

# Binary input: non-zero exit, message names the file and line.
head -c 20000 /dev/urandom > "$work/garbage.bin"
set +e
"$mlad" import --project "$work/p.mlad" --preset BGL "$work/garbage.bin" >/dev/null 2>"$work/err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "binary import exit code $rc"
grep -q "garbage.bin:1" "$work/err" || fail "binary error does not name file:line: $(cat "$work/err")"
[ "$(grep -c "garbage.bin:1" "$work/err")" = 1 ] || fail "the error is printed more than once: $(cat "$work/err")"

if [ -f "$data/loghub-2k/HDFS/HDFS_2k.log" ]; then
  "$mlad" import --project "$work/p.mlad" --preset HDFS "$data/loghub-2k/HDFS/HDFS_2k.log" >/dev/null
  n=$("$mlad" templates --project "$work/p.mlad" --system HDFS --json | grep -o '"event_id"' | wc -l)
  [ "$n" -gt 10 ] || fail "templates --json lists $n templates"
  "$mlad" export --project "$work/p.mlad" --system HDFS --out "$work/ex" >/dev/null
  [ "$(wc -l < "$work/ex/HDFS_structured.csv")" -eq 2001 ] || fail "export row count"
  "$mlad" parse --preset HDFS "$data/loghub-2k/HDFS/HDFS_2k.log" --out "$work/parse" --json | grep -q '"parsed":2000' || fail "parse"
  "$mlad" check --project "$work/p.mlad" | grep -q "integrity: ok" || fail "check"
else
  echo "shared data absent: skipping the real-data part"
fi

# The headless main job, quick.
"$mlad" demo --project "$work/demo.mlad" --quick --epochs 1 > "$work/demo.out"
grep -q "^report: " "$work/demo.out" || fail "demo printed no report path"
report=$(sed -n 's/^report: //p' "$work/demo.out")
grep -q "| demo-ras | mlad |" "$report" || fail "demo report lacks the MLAD row"
"$mlad" runs --project "$work/demo.mlad" --json | grep -q '"status":"done"' || fail "runs"
"$mlad" evaluate --project "$work/demo.mlad" --run demo-ras-mlad --threshold oracle | grep -q ORACLE || fail "oracle label"
"$mlad" score --project "$work/demo.mlad" --run demo-ras-mlad --system DemoRAS --out "$work/s.csv" >/dev/null
head -1 "$work/s.csv" | grep -q "^sequence_id,system,first_line,last_line,label,score,predicted,unseen_templates$" || fail "scores.csv header"
echo "PASS"
