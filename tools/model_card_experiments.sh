#!/usr/bin/env bash
# Produces the results table of docs/MODEL_CARD.md on the shared public samples:
# HDFS sessions (deep-loglizer 100k) and BGL windows of 20 (logparser 20k sample), each with the
# paper and the chronological split, for MLAD and its two ablations, at the default threshold
# (99th percentile of validation scores; nothing tuned on test labels).
# Usage: tools/model_card_experiments.sh [OUT.md] [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/results.md}"
epochs="${2:-20}"
data="${MLAD_SHARED_DATA:-$(cd .. && pwd)/shared/datasets}"
mlad=build/app/mlad
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
p="$work/p.mlad"

$mlad import-sessions --project "$p" --system HDFS --templates "$data/loghub-2k/HDFS/HDFS_templates.csv" \
  --csv "$data/hdfs-v1-100k-sessions-deeploglizer/sessions.csv" >/dev/null
$mlad import --project "$p" --preset BGL "$data/bgl-20k-logparser/BGL_20k_dev.log" >/dev/null
$mlad sequences --project "$p" --system BGL --window 20 --step 20 >/dev/null
for sys in HDFS BGL; do
  $mlad split --project "$p" --name "$sys-chrono" --protocol chronological --system "$sys" \
    --train-fraction 0.6 --val-fraction 0.1 > "$work/$sys-chrono.txt"
  $mlad split --project "$p" --name "$sys-paper" --protocol paper --system "$sys" --seed 42 \
    > "$work/$sys-paper.txt"
done
$mlad embed --project "$p" >/dev/null

# One table row: the labels given, then P, R, F1, ROC-AUC, PR-AUC, F1 at the natural rate, the
# oracle F1 and the training seconds of the run.
cat > "$work/row.py" <<'PY'
import json, sys, sqlite3
run_json, project, run, labels = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
r = json.load(open(run_json))
secs = sqlite3.connect(project).execute("select train_seconds from runs where name=?", (run,)).fetchone()[0]
f = lambda v: "-" if v is None else f"{v:.3f}"
print("| " + " | ".join(labels) + f" | {f(r['precision'])} | {f(r['recall'])} | {f(r['f1'])} | "
      f"{f(r['roc_auc'])} | {f(r['pr_auc'])} | {f(r['at_natural_rate']['f1'])} | {f(r['oracle_best_f1']['f1'])} | {secs:.0f} |")
PY
row() {  # row RUN LABEL...
  local run="$1"; shift
  $mlad evaluate --project "$p" --run "$run" --json > "$work/$run.json"
  python3 "$work/row.py" "$work/$run.json" "$p" "$run" "$@"
}
{
  echo "| data | split | model | P | R | F1 | ROC-AUC | PR-AUC | F1 at natural rate | oracle F1 (not a result) | train s |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
} > "$work/table.md"
for sys in HDFS BGL; do
  for proto in chrono paper; do
    for model in mlad w/o-entmax w/o-gmm; do
      run="$sys-$proto-${model//\//_}"
      $mlad train --project "$p" --split "$sys-$proto" --model "$model" --run "$run" \
        --epochs "$epochs" --patience 4 --seed 42 >/dev/null 2>"$work/$run.log"
      row "$run" "$sys" "$proto" "$model" >> "$work/table.md"
    done
  done
done
# Mixed precision (--amp; on this CPU bfloat16 autocast) against the float32 runs above.
{
  echo "| data | split | precision | P | R | F1 | ROC-AUC | PR-AUC | F1 at natural rate | oracle F1 (not a result) | train s |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
} > "$work/amp.md"
for sys in HDFS BGL; do
  run="$sys-chrono-mlad-amp"
  $mlad train --project "$p" --split "$sys-chrono" --model mlad --run "$run" --amp \
    --epochs "$epochs" --patience 4 --seed 42 >/dev/null 2>"$work/$run.log"
  row "$sys-chrono-mlad" "$sys" chrono "float32" >> "$work/amp.md"
  row "$run" "$sys" chrono "mixed: $(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select device from runs where name=?", (sys.argv[2],)).fetchone()[0])' "$p" "$run")" >> "$work/amp.md"
done
# The identical-shortcut check: the same HDFS chronological split with unmasked (full)
# reconstruction, scored by reconstruction error (w/o-gmm) and by the GMM energy (mlad).
{
  echo "| model | reconstruction | P | R | F1 | ROC-AUC | PR-AUC | final train MSE |"
  echo "|---|---|---|---|---|---|---|---|"
} > "$work/full.md"
for model in w/o-gmm mlad; do
  for recon in masked full; do
    run="HDFS-chrono-${model//\//_}-$recon"
    if [ "$recon" = masked ]; then run="HDFS-chrono-${model//\//_}"; else
      $mlad train --project "$p" --split HDFS-chrono --model "$model" --recon full --run "$run" \
        --epochs "$epochs" --patience 4 --seed 42 >/dev/null 2>"$work/$run.log"
    fi
    $mlad evaluate --project "$p" --run "$run" --json > "$work/$run.json"
    python3 - "$work/$run.json" "$model" "$recon" "$p" "$run" >> "$work/full.md" <<'PY'
import json, sys, sqlite3
r = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[4])
mse = db.execute("select e.value from run_epoch_values e join runs r on r.id = e.run_id "
                 "where r.name=? and e.key='train_mse' order by e.epoch desc limit 1",
                 (sys.argv[5],)).fetchone()
f = lambda v: "-" if v is None else f"{v:.3f}"
print(f"| {sys.argv[2]} | {sys.argv[3]} | {f(r['precision'])} | {f(r['recall'])} | {f(r['f1'])} | "
      f"{f(r['roc_auc'])} | {f(r['pr_auc'])} | {f(mse[0] if mse else None)} |")
PY
  done
done
{
  echo "# Measured results"
  echo
  echo "Produced by \`tools/model_card_experiments.sh\` ($(date -u +%Y-%m-%d), code $(git describe --always --dirty), epochs <= $epochs, patience 4, seed 42, CPU)."
  echo
  cat "$work/table.md"
  echo
  echo "Mixed precision (\`--amp\`) against float32, MLAD on the chronological splits, same settings:"
  echo
  cat "$work/amp.md"
  echo
  echo "Identical-shortcut check (HDFS chrono, masked vs full reconstruction, same settings):"
  echo
  cat "$work/full.md"
  echo
  echo "Splits (leakage facts as printed by \`mlad split\`):"
  echo
  for f in HDFS-chrono HDFS-paper BGL-chrono BGL-paper; do
    echo '```'; cat "$work/$f.txt"; echo '```'
  done
} > "$out"
cat "$out"
