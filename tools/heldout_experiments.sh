#!/usr/bin/env bash
# Issue 13's held-out checks: MLAD and its options on logs it did not train on, beside the
# trivial rules, with several seeds. Builds its projects from the shared samples at run time:
#   bgl-aug      BGL by time: train on June-July 2005 (bgl-20k-logparser), test on August
#   bgl-sept     BGL by time: train on all of June-August (+ BGL_2k's lines before September),
#                test on BGL_2k's September 2005 - January 2006 lines
#   hdfs-dl2ll   HDFS across sources: train on DeepLog's hdfs_train, test on deep-loglizer's
#                labelled sessions
#   hdfs-ll2dl   the reverse (hdfs_train has no anomalies: false-positive rate only)
#   bgl2tb       BGL -> Thunderbird_2k (no labels: flagged fraction only)
#   hdfs2hadoop  HDFS (hdfs_train) -> the loghub Hadoop applications, one session per
#                application, labelled by job (normal / machine down / disk full / network)
# Nothing is tuned on test labels: every run uses the default threshold rule (the 0.99
# quantile of validation scores) and, beside it, validation POT at risk 0.01.
# Usage: tools/heldout_experiments.sh OUT_DIR [SEEDS] [CONFIGS] [PROTOCOLS]
#   SEEDS: "1 2 3"; CONFIGS: names from the list below; PROTOCOLS: names from the list above.
# Writes OUT_DIR/rows.tsv (one line per run) and OUT_DIR/report.md (mean and spread per cell).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:?usage: tools/heldout_experiments.sh OUT_DIR [SEEDS] [CONFIGS] [PROTOCOLS]}"
seeds="${2:-1 2 3}"
configs="${3:-default w/o-gmm rarity diversity rarity+diversity shrink-0.5 stop-energy}"
protocols="${4:-bgl-aug bgl-sept hdfs-dl2ll hdfs-ll2dl bgl2tb hdfs2hadoop}"
rules="new-templates new-sequence distinct-templates rare-template"
data="${MLAD_SHARED_DATA:-$here/../shared/datasets}"
mlad="${MLAD:-$here/build/app/mlad}"
[ -d "$data/bgl-20k-logparser" ] || { echo "shared datasets not found at $data (set MLAD_SHARED_DATA)" >&2; exit 2; }
mkdir -p "$out"
work="$out/projects"
mkdir -p "$work"

config_args() {  # config name -> training options
  case "$1" in
    default) echo "--model mlad" ;;
    paper) echo "--model mlad-paper" ;;
    w/o-gmm) echo "--model mlad --ablation w/o-gmm" ;;
    rarity) echo "--model mlad --rarity-channel" ;;
    diversity) echo "--model mlad --diversity-channel" ;;
    rarity+diversity) echo "--model mlad --rarity-channel --diversity-channel" ;;
    shrink-0.5) echo "--model mlad --cov-shrinkage 0.5" ;;
    stop-energy) echo "--model mlad --stop-on energy" ;;
    k1) echo "--model mlad --components 1" ;;
    energy-0) echo "--model mlad --lambda-energy 0" ;;
    detach) echo "--model mlad --detach-gmm" ;;
    latent-norm) echo "--model mlad --latent-norm" ;;
    detach+latent-norm) echo "--model mlad --detach-gmm --latent-norm" ;;
    dz0) echo "--model mlad --d-z 0" ;;
    one-sided) echo "--model mlad --one-sided-recon" ;;
    shared-unseen) echo "--model mlad --unseen-vectors shared" ;;
    one-sided+shared) echo "--model mlad --one-sided-recon --unseen-vectors shared" ;;
    bic) echo "--model mlad --components-by bic" ;;
    one-sided+bic) echo "--model mlad --one-sided-recon --components-by bic" ;;
    novel-0.2) echo "--model mlad --novel-templates 0.2" ;;
    novel-0.2+drf) echo "--model mlad --novel-templates 0.2 --detach-recon-features" ;;
    drf) echo "--model mlad --detach-recon-features" ;;
    novel-0.2+drf+mse) echo "--model mlad --novel-templates 0.2 --detach-recon-features --stop-on mse" ;;
    novel-0.2+mse) echo "--model mlad --novel-templates 0.2 --stop-on mse" ;;
    *) echo "unknown config $1" >&2; exit 2 ;;
  esac
}

project_of() {  # protocol -> project file (built once)
  case "$1" in
    bgl-aug) p="$work/bgl-aug.mlad" ;;
    bgl-sept|bgl2tb) p="$work/bgl-tb.mlad" ;;
    hdfs-*) p="$work/hdfs.mlad" ;;
    hdfs2hadoop) p="$work/hadoop.mlad" ;;
  esac
  echo "$p"
}

build_projects() {
  local p
  p="$work/bgl-aug.mlad"
  if [ ! -f "$p" ]; then
    $mlad import --project "$p" --preset BGL --system BGL "$data/bgl-20k-logparser/BGL_20k_dev.log" >/dev/null
    $mlad sequences --project "$p" --system BGL --window 20 --step 20 >/dev/null
    $mlad split --project "$p" --name bgl-aug --system BGL --train-until 2005-08-01 > "$out/split-bgl-aug.txt"
    $mlad embed --project "$p" >/dev/null
  fi
  p="$work/bgl-tb.mlad"
  if [ ! -f "$p" ]; then
    $mlad import --project "$p" --preset BGL --system BGL "$data/bgl-20k-logparser/BGL_20k_dev.log" \
      "$data/loghub-2k/BGL/BGL_2k.log" >/dev/null
    $mlad import --project "$p" --preset Thunderbird --system Thunderbird \
      "$data/loghub-2k/Thunderbird/Thunderbird_2k.log" >/dev/null
    $mlad sequences --project "$p" --system BGL --window 20 --step 20 >/dev/null
    $mlad sequences --project "$p" --system Thunderbird --window 20 --step 20 >/dev/null
    $mlad split --project "$p" --name bgl-sept --system BGL --train-until 2005-09-01 > "$out/split-bgl-sept.txt"
    $mlad split --project "$p" --name bgl2tb --protocol transfer --train-system BGL \
      --test-system Thunderbird > "$out/split-bgl2tb.txt"
    $mlad embed --project "$p" >/dev/null
  fi
  p="$work/hdfs.mlad"
  if [ ! -f "$p" ]; then
    local t="$data/loghub-2k/HDFS/HDFS_templates.csv"
    $mlad import-sessions --project "$p" --system HDFS --templates "$t" \
      --deeplog "$data/hdfs-deeplog/hdfs_train" --label normal --name deeplog-train >/dev/null
    $mlad import-sessions --project "$p" --system HDFS --templates "$t" \
      --csv "$data/hdfs-v1-100k-sessions-deeploglizer/sessions.csv" --id-column BlockId \
      --label-column Label --events-column EventIds --name loglizer >/dev/null
    $mlad split --project "$p" --name hdfs-dl2ll --protocol transfer --train-system HDFS \
      --train-set deeplog-train --test-system HDFS --test-set loglizer > "$out/split-hdfs-dl2ll.txt"
    $mlad split --project "$p" --name hdfs-ll2dl --protocol transfer --train-system HDFS \
      --train-set loglizer --test-system HDFS --test-set deeplog-train > "$out/split-hdfs-ll2dl.txt"
    $mlad embed --project "$p" >/dev/null
  fi
  p="$work/hadoop.mlad"
  if [ ! -f "$p" ]; then
    $mlad import-sessions --project "$p" --system HDFS --templates "$data/loghub-2k/HDFS/HDFS_templates.csv" \
      --deeplog "$data/hdfs-deeplog/hdfs_train" --label normal --name deeplog-train >/dev/null
    find "$data/hadoop-loghub/apps" -name '*.log' | sort > "$work/hadoop-files.txt"
    # shellcheck disable=SC2046
    $mlad import --project "$p" --preset Hadoop --system Hadoop $(cat "$work/hadoop-files.txt") >/dev/null
    $mlad sequences --project "$p" --system Hadoop --session-by folder \
      --labels "$data/hadoop-loghub/app_labels.csv" --name apps >/dev/null
    $mlad split --project "$p" --name hdfs2hadoop --protocol transfer --train-system HDFS \
      --train-set deeplog-train --test-system Hadoop --test-set apps > "$out/split-hdfs2hadoop.txt"
    $mlad embed --project "$p" >/dev/null
  fi
}

# One run: train (unless done), evaluate under the default rule and validation POT, append a row:
# protocol config seed roc pr fpr flagged fpr_pot flagged_pot epochs seconds
one() {
  local proto="$1" config="$2" seed="$3" p run
  shift 3
  p="$(project_of "$proto")"
  run="$proto-${config//\//_}-s$seed"
  if ! $mlad evaluate --project "$p" --run "$run" --json > "$out/$run.json" 2>/dev/null; then
    # shellcheck disable=SC2046
    $mlad train --project "$p" --split "$proto" --run "$run" --seed "$seed" "$@" \
      > "$out/$run.log" 2>&1 || { echo "training $run failed: $(tail -1 "$out/$run.log")" >&2; return; }
    $mlad evaluate --project "$p" --run "$run" --json > "$out/$run.json"
  fi
  $mlad evaluate --project "$p" --run "$run" --threshold pot:0.01 --json > "$out/$run.pot.json" 2>/dev/null \
    || echo '{}' > "$out/$run.pot.json"
  python3 - "$out/$run.json" "$out/$run.pot.json" "$p" "$run" "$proto" "$config" "$seed" >> "$out/rows.tsv" <<'PY'
import json, sqlite3, sys
a, b, project, run, proto, config, seed = sys.argv[1:]
r = json.load(open(a)); q = json.load(open(b))
def rates(r):
    if "fp" not in r: return ("", "")
    n = r["fp"] + r["tn"]; t = r["test_sequences"]
    return ("%.4f" % (r["fp"] / n) if n else "", "%.4f" % ((r["fp"] + r["tp"]) / t) if t else "")
f = lambda v: "" if v is None else "%.4f" % v
db = sqlite3.connect(project)
rid, secs = db.execute("select id, train_seconds from runs where name=?", (run,)).fetchone()
ep = db.execute("select count(distinct epoch) from run_epoch_values where run_id=?", (rid,)).fetchone()[0]
anom = r.get("test_anomalous", 0)
print("\t".join([proto, config, seed, f(r.get("roc_auc")) if anom else "", f(r.get("pr_auc")) if anom else "",
                 *rates(r), *rates(q), str(ep), "%.1f" % (secs or 0)]))
PY
}

build_projects
[ -f "$out/rows.tsv" ] || printf "protocol\tconfig\tseed\troc_auc\tpr_auc\tfpr\tflagged\tfpr_pot\tflagged_pot\tepochs\tseconds\n" > "$out/rows.tsv"
for proto in $protocols; do
  for rule in $rules; do one "$proto" "$rule" 0 --model "$rule"; done
  for seed in $seeds; do
    for config in $configs; do
      # shellcheck disable=SC2046
      one "$proto" "$config" "$seed" $(config_args "$config") ${MLAD_EXTRA_ARGS:-}
    done
  done
done
python3 "$here/tools/heldout_report.py" "$out/rows.tsv" > "$out/report.md"
echo "wrote $out/report.md"
