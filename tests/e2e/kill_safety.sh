#!/usr/bin/env bash
# Crash safety (issue 16): SIGKILL at 20 seeded random points during import and 20 during
# training. After every kill: the project passes integrity_check, no file is counted as
# imported unless all its lines are in, and training resumes from the last complete checkpoint;
# at the end the import holds exactly the lines of a clean import and the killed-and-resumed
# run has the same per-epoch losses as an uninterrupted one. MLAD_KILL_SEED picks the points.
set -euo pipefail
mlad="$1"
data="${MLAD_SHARED_DATA:-}"
sample="$data/bgl-20k-logparser/BGL_20k_dev.log"
if [ ! -f "$sample" ]; then
  echo "SKIP: shared sample $sample not found (set MLAD_SHARED_DATA)"
  exit 0
fi
RANDOM="${MLAD_KILL_SEED:-16}"
work="$(mktemp -d)"
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
q() { sqlite3 "$1" "$2"; }
for i in $(seq 1 40); do cat "$sample"; done > "$work/big.log"   # 800k lines
"$mlad" import --project "$work/clean.mlad" --preset BGL "$work/big.log" >/dev/null
expected=$(q "$work/clean.mlad" "select count(*) from lines")

# --- import -----------------------------------------------------------------------------------
p="$work/killed.mlad"
landed=0
for k in $(seq 1 20); do
  delay=$(printf "0.%03d" $((RANDOM % 400)))
  "$mlad" import --project "$p" --preset BGL --batch-lines 4000 "$work/big.log" >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then landed=$((landed + 1)); fi
  wait "$pid" 2>/dev/null || true
  [ -s "$p" ] || continue
  [ "$(q "$p" "pragma integrity_check")" = ok ] || fail "import kill $k: integrity_check"
  bad=$(q "$p" "select count(*) from files f where status = 'complete' and
                (select count(*) from lines l where l.file_id = f.id) != $expected")
  [ "$bad" = 0 ] || fail "import kill $k: a file is counted as imported without all its lines"
  if [ "$(q "$p" "select count(*) from files where status = 'complete'")" = 1 ]; then
    echo "import finished before kill $k"; break
  fi
done
"$mlad" import --project "$p" --preset BGL "$work/big.log" >/dev/null
got=$(q "$p" "select count(*) from lines")
dups=$(q "$p" "select count(*) from (select 1 from lines group by file_id, line_no having count(*) > 1)")
tsum=$(q "$p" "select sum(count) from templates")
[ "$got" = "$expected" ] && [ "$dups" = 0 ] && [ "$tsum" = "$expected" ] ||
  fail "after the import kills: $got lines (expected $expected), $dups duplicated, template counts $tsum"
"$mlad" import --project "$p" --preset BGL "$work/big.log" | grep -q "already imported" ||
  fail "importing the same file once more was not detected as a duplicate"
[ "$landed" -ge 10 ] || fail "only $landed kills landed during the import: make the file larger"
echo "ok: import killed $landed times at seeded points; the project stayed whole and complete"

# --- training ---------------------------------------------------------------------------------
t="$work/train.mlad"
"$mlad" import --project "$t" --preset BGL "$sample" >/dev/null
"$mlad" sequences --project "$t" --system BGL --window 20 >/dev/null
"$mlad" split --project "$t" --name s --system BGL --protocol chronological >/dev/null
args=(--split s --model mlad --epochs 400 --patience 0 --d-model 32 --layers 1 --heads 2
      --d-ff 64 --embed-dim 32 --batch-size 32 --threads 1 --seed 5)
"$mlad" train --project "$t" --run ref "${args[@]}" >/dev/null 2>&1
landed=0
for k in $(seq 1 20); do
  delay=$(printf '1.%03d' $((RANDOM % 1000)))
  "$mlad" train --project "$t" --run killed "${args[@]}" >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then landed=$((landed + 1)); fi
  wait "$pid" 2>/dev/null || true
  [ "$(q "$t" "pragma integrity_check")" = ok ] || fail "training kill $k: integrity_check"
  status=$(q "$t" "select status from runs where name = 'killed'")
  [ "$status" = done ] && { echo "training finished before kill $k"; break; }
done
[ "$(q "$t" "select status from runs where name = 'killed'")" = done ] ||
  "$mlad" train --project "$t" --run killed "${args[@]}" >/dev/null
losses() {
  q "$t" "select v.epoch, v.key, v.value from run_epoch_values v join runs r on r.id = v.run_id
          where r.name = '$1' and v.key in ('train_loss', 'val_loss') order by v.epoch, v.key"
}
[ "$(losses ref | wc -l)" = 800 ] || fail "the reference run has $(losses ref | wc -l) loss values"
diff <(losses ref) <(losses killed) > "$work/diff.txt" ||
  fail "the killed-and-resumed run differs from the uninterrupted one: $(head -5 "$work/diff.txt")"
[ "$landed" -ge 10 ] || fail "only $landed kills landed during training: train longer"
leftovers=$(find "$t.runs" -name '*.tmp*' | wc -l)
echo "ok: training killed $landed times at seeded points; resumed to the same 400 epochs of losses; $leftovers temporaries left"
echo "PASS"
