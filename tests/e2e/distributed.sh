#!/usr/bin/env bash
# Data-parallel training over c10d/Gloo on loopback (core/mlad/train/Distributed.h):
#  1. `mlad launch --nproc-per-node 2` with --batch-size 8 trains the same steps as one process
#     with --batch-size 16 and reaches the same losses (per epoch) and the same scores, to
#     floating-point rounding;
#  2. a rank killed with SIGKILL makes the other exit at once with a message, a stopped one
#     (SIGSTOP) after MLAD_DIST_TIMEOUT; the run is recorded as failed;
#  3. the failed run resumes from its checkpoint in one process (another world size) and with
#     two ranks, and finishes.
set -euo pipefail
mlad="$1"
data="${MLAD_SHARED_DATA:-}"
sample="$data/loghub-2k/BGL/BGL_2k.log"
if [ ! -f "$sample" ]; then
  echo "SKIP: $sample is absent (set MLAD_SHARED_DATA to the shared datasets folder)"
  exit 0
fi
if ! "$mlad" doctor | grep -q "^Data-parallel .*Gloo"; then
  echo "SKIP: this build has no data-parallel support"; exit 0
fi
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
q() { sqlite3 "$1" "$2"; }
export MLAD_DIST_TIMEOUT=20

t="$work/t.mlad"
"$mlad" import --project "$t" --preset BGL "$sample" >/dev/null
"$mlad" sequences --project "$t" --system BGL --window 20 >/dev/null
"$mlad" split --project "$t" --name s --system BGL --protocol chronological >/dev/null
args=(--split s --model mlad --patience 0 --d-model 32 --layers 1 --heads 2 --d-ff 64
      --embed-dim 32 --seed 5)

# --- 1. two ranks = one process with the doubled batch -----------------------------------------
"$mlad" train --project "$t" --run one --batch-size 16 --threads 1 --epochs 4 "${args[@]}" >/dev/null 2>&1
"$mlad" launch --nproc-per-node 2 -- train --project "$t" --run two --batch-size 8 --epochs 4 \
  "${args[@]}" > "$work/launch.out" 2> "$work/launch.err" || fail "launch: $(tail -5 "$work/launch.err")"
grep -q "x 2 ranks (gloo)" "$work/launch.out" || fail "the run does not say it ran on 2 ranks: $(cat "$work/launch.out")"
[ "$(grep -c '^epoch ' "$work/launch.err")" = 4 ] || fail "the epochs were not printed once each (rank 0 only)"
losses() {
  q "$t" "select v.epoch || ' ' || v.key || ' ' || v.value from run_epoch_values v join runs r
          on r.id = v.run_id where r.name = '$1' and v.key in ('train_loss', 'train_mse',
          'train_energy', 'train_cov', 'val_loss') order by v.epoch, v.key"
}
paste -d' ' <(losses one) <(losses two) | python3 -c '
import sys
rows = [l.split() for l in sys.stdin if l.strip()]
assert len(rows) == 20, "expected 4 epochs x 5 terms, got %d" % len(rows)
worst = 0.0
for e1, k1, v1, e2, k2, v2 in rows:
    assert (e1, k1) == (e2, k2), (e1, k1, e2, k2)
    a, b = float(v1), float(v2)
    worst = max(worst, abs(a - b) / max(1.0, abs(a)))
print("largest relative loss difference, 1 process vs 2 ranks: %.2e" % worst)
assert worst < 1e-4, worst
' || fail "the losses of 2 ranks differ from those of one process"
"$mlad" score --project "$t" --run one --system BGL --out "$work/one.csv" >/dev/null
"$mlad" score --project "$t" --run two --system BGL --out "$work/two.csv" >/dev/null
paste -d, "$work/one.csv" "$work/two.csv" | python3 -c '
import sys, csv
rows = list(csv.reader(sys.stdin))[1:]
assert len(rows) > 50, len(rows)
worst = max(abs(float(r[5]) - float(r[13])) / max(1.0, abs(float(r[5]))) for r in rows)
print("largest relative score difference: %.2e over %d sequences" % (worst, len(rows)))
assert worst < 1e-3, worst
' || fail "the scores of 2 ranks differ from those of one process"
# The time spent summing gradients over the ranks is recorded per epoch (2 ranks only).
sync() { q "$t" "select count(*) || ' ' || coalesce(min(v.value), -1) from run_epoch_values v join runs r
                 on r.id = v.run_id where r.name = '$1' and v.key = 'sync_seconds'"; }
read -r n low <<< "$(sync two)"
[ "$n" = 4 ] && python3 -c "assert $low > 0" || fail "sync_seconds of the 2-rank run: $(sync two)"
[ "$(sync one | cut -d' ' -f1)" = 0 ] || fail "a 1-process run records sync_seconds"
echo "gradient sum over the ranks, per epoch: $(q "$t" "select group_concat(round(v.value, 3), ' s, ') from run_epoch_values v join runs r on r.id = v.run_id where r.name = 'two' and v.key = 'sync_seconds'") s"
q "$t" "select config from runs where name = 'two'" | grep -q '"data_parallel":{"backend":"gloo","global_batch":16,"world_size":2}' ||
  fail "the manifest does not record the data-parallel setup: $(q "$t" "select config from runs where name = 'two'")"

# A failing command: every rank says why, launch names the rank and passes its exit status on.
set +e
"$mlad" launch --nproc-per-node 2 --grace 5 -- train --project "$t" --split nosuch --epochs 1 \
  > /dev/null 2> "$work/bad.err"; rc=$?
set -e
[ "$rc" = 2 ] || fail "launch of a failing command exited $rc: $(cat "$work/bad.err")"
grep -q "no split named 'nosuch'" "$work/bad.err" || fail "the ranks' errors are missing: $(cat "$work/bad.err")"
grep -q "mlad launch: rank [01] (process [0-9]*) exited with status 2" "$work/bad.err" ||
  fail "launch does not name the failed rank: $(cat "$work/bad.err")"

# --- 2. a rank that dies or hangs ----------------------------------------------------------
start_ranks() {  # run-name port; sets pid0 pid1
  local r
  for r in 0 1; do
    MASTER_ADDR=127.0.0.1 MASTER_PORT=$2 WORLD_SIZE=2 RANK=$r LOCAL_RANK=$r OMP_NUM_THREADS=1 \
      "$mlad" train --project "$t" --run "$1" --batch-size 8 --epochs 300 "${args[@]}" \
      > "$work/$1.$r.out" 2> "$work/$1.$r.err" &
    pids+=($!)
    eval "pid$r=$!"
  done
}
epochs_of() { q "$t" "select count(distinct v.epoch) from run_epoch_values v join runs r on r.id = v.run_id where r.name = '$1'"; }
wait_epochs() {  # run-name n
  for _ in $(seq 1 600); do
    [ "$(epochs_of "$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  fail "run $1 did not reach $2 epochs"
}
port=$((20000 + RANDOM % 20000))
start_ranks killed "$port"
wait_epochs killed 3
kill -9 "$pid1"
t0=$(date +%s%N)
set +e; wait "$pid0"; rc=$?; set -e
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" -ne 0 ] || fail "rank 0 exited 0 after rank 1 was killed"
grep -q "another rank has stopped or stopped answering" "$work/killed.0.err" ||
  fail "rank 0 gave no clear message: $(tail -3 "$work/killed.0.err")"
[ "$(q "$t" "select status from runs where name = 'killed'")" = failed ] || fail "the run is not 'failed'"
echo "ok: rank 1 killed; rank 0 stopped after $ms ms with: $(grep -o 'data-parallel.*' "$work/killed.0.err" | head -1)"

port=$((port + 1))
start_ranks hung "$port"
wait_epochs hung 2
kill -STOP "$pid1"
t0=$(date +%s%N)
set +e; wait "$pid0"; rc=$?; set -e
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill -9 "$pid1" 2>/dev/null || true
[ "$rc" -ne 0 ] || fail "rank 0 exited 0 while rank 1 was stopped"
[ "$ms" -lt $(( (MLAD_DIST_TIMEOUT + 30) * 1000 )) ] || fail "rank 0 took $ms ms to give up (timeout ${MLAD_DIST_TIMEOUT} s)"
grep -q "another rank has stopped or stopped answering" "$work/hung.0.err" ||
  fail "rank 0 gave no clear message: $(tail -3 "$work/hung.0.err")"
echo "ok: rank 1 stopped; rank 0 gave up after $ms ms (MLAD_DIST_TIMEOUT=$MLAD_DIST_TIMEOUT)"

# --- 3. resume with another world size and with the same ---------------------------------
before=$(epochs_of killed)
"$mlad" train --project "$t" --run killed --batch-size 16 --threads 1 --epochs 40 "${args[@]}" >/dev/null 2>&1 ||
  fail "resuming the killed run in one process failed"
[ "$(q "$t" "select status from runs where name = 'killed'")" = done ] || fail "resumed run not done"
[ "$(epochs_of killed)" = 40 ] || fail "resumed run has $(epochs_of killed) epochs, expected 40"
"$mlad" launch --nproc-per-node 2 -- train --project "$t" --run hung --batch-size 8 --epochs 30 \
  "${args[@]}" >/dev/null 2>"$work/resume.err" || fail "resuming with 2 ranks: $(tail -3 "$work/resume.err")"
[ "$(q "$t" "select status from runs where name = 'hung'")" = done ] || fail "resumed 2-rank run not done"
echo "ok: the killed run ($before epochs) resumed in one process to 40 epochs; the hung one with 2 ranks"
[ "$(q "$t" "pragma integrity_check")" = ok ] || fail "integrity_check"
echo "PASS"
