#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) into build-fuzz/ and runs each for a
# bounded time on seed corpora made from the shared public samples.
#   fuzz/run.sh [SECONDS_PER_TARGET=60] [TARGET...]
# Findings land in build-fuzz/findings/<target>/ (crash-*, timeout-*, oom-*); the summary
# prints executions and findings per target. A finding becomes a regression test (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_log_import fuzz_log_format fuzz_csv_inputs fuzz_sessions fuzz_project_open)
data="${MLAD_SHARED_DATA:-../shared/datasets}"
out=build-fuzz
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake -S . -B "$out" -G Ninja -DMLAD_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out" -j "$(nproc)" --target "${targets[@]}"

# --- seed corpora (small: libFuzzer mutates them) --------------------------------------------
seeds="$out/seeds"
rm -rf "$seeds"; mkdir -p "$seeds"/{fuzz_log_import,fuzz_log_format,fuzz_csv_inputs,fuzz_sessions,fuzz_project_open}
mapfile -t presets < <(ls datasets/presets/*.preset | sort)
byte() { printf "\\$(printf '%03o' "$1")"; }
if [ -d "$data" ]; then
  for i in "${!presets[@]}"; do
    name=$(sed -n 's/^name = //p' "${presets[$i]}")
    format=$(sed -n 's/^format = //p' "${presets[$i]}")
    log=$(ls "$data"/loghub-2k/"$name"/*_2k.log 2>/dev/null | head -1 || true)
    [ -n "$log" ] || continue
    { byte "$i"; head -c 3000 "$log"; } > "$seeds/fuzz_log_import/$name"
    { byte "$i"; head -c 3000 "$log" | gzip -c; } > "$seeds/fuzz_log_import/$name.gz"
    { printf '%s\n---\n' "$format"; head -n 20 "$log"; } > "$seeds/fuzz_log_format/$name"
  done
  labels="$data/hdfs-2k-block-labels-logllm/anomaly_label.csv"
  [ -f "$labels" ] && { byte 0; head -n 30 "$labels"; } > "$seeds/fuzz_csv_inputs/labels"
  structured="$data/loghub-2k/HDFS/HDFS_2k.log_structured.csv"
  [ -f "$structured" ] && { byte 3; head -n 15 "$structured"; } > "$seeds/fuzz_csv_inputs/structured"
  templates="$data/loghub-2k/HDFS/HDFS_templates.csv"
  train="$data/hdfs-deeplog/hdfs_train"
  if [ -f "$templates" ] && [ -f "$train" ]; then
    { byte 0; cat "$templates"; printf '\n---\n'; head -n 20 "$train"; } > "$seeds/fuzz_sessions/deeplog"
    { byte 1; cat "$templates"; printf '\n---\nBlockId,Label,EventIds\nblk_1,Normal,"[E5, E22, E11]"\nblk_2,Anomaly,E5 E9\n'; } \
      > "$seeds/fuzz_sessions/csv"
  fi
else
  echo "note: $data not found; seeds are the built-in examples only" >&2
fi
{ byte 0; printf 'BlockId,Label\nblk_1,Normal\nblk_2,Anomaly\n'; } > "$seeds/fuzz_csv_inputs/labels-mini"
{ byte 2; printf 'template,0,1,2\n"a, <*>",0.5,-1,2e3\nb,1,2,3\n'; } > "$seeds/fuzz_csv_inputs/vectors"
{ byte 4; printf 'x,"y\n""z""",w\r\n1,2,3\n'; } > "$seeds/fuzz_csv_inputs/quoted"
{ byte 0; printf 'E1,open <*>\nE2,close\n\n---\n1 2 1\n2 2\n'; } > "$seeds/fuzz_sessions/mini"
printf '<Date> <Time> <Level>: <Content>\n---\n2024-01-01 10:00:00 INFO: started\n' > "$seeds/fuzz_log_format/mini"
# A real, small project file (made by the product's CLI when it is built in build/).
if [ -x build/app/mlad ] && [ -d "$data/loghub-2k/BGL" ]; then
  tmp=$(mktemp -d)
  head -n 40 "$data/loghub-2k/BGL/BGL_2k.log" > "$tmp/b.log"
  build/app/mlad import --project "$tmp/p.mlad" --preset BGL "$tmp/b.log" >/dev/null
  build/app/mlad sequences --project "$tmp/p.mlad" --system BGL --window 10 >/dev/null
  sqlite3 "$tmp/p.mlad" "PRAGMA journal_mode=DELETE; VACUUM;" >/dev/null 2>&1 || true
  cp "$tmp/p.mlad" "$seeds/fuzz_project_open/small.mlad"
  rm -rf "$tmp"
fi
printf 'SQLite format 3\0' > "$seeds/fuzz_project_open/header-only"

# --- run ------------------------------------------------------------------------------------
summary=()
for t in "${targets[@]}"; do
  corpus="$out/corpus/$t"; findings="$out/findings/$t"
  mkdir -p "$corpus" "$findings"
  maxlen=65536; [ "$t" = fuzz_project_open ] && maxlen=262144
  log="$out/$t.log"
  echo "== $t for ${seconds}s"
  set +e
  "$out/fuzz/$t" "$corpus" "$seeds/$t" -max_total_time="$seconds" -timeout=20 \
    -rss_limit_mb=2048 -max_len=$maxlen -print_final_stats=1 -artifact_prefix="$findings/" \
    >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  found=$(find "$findings" -type f | wc -l)
  summary+=("$t: ${execs:-?} executions in ${seconds}s, $found finding(s), exit $rc")
  [ "$rc" = 0 ] || tail -n 40 "$log"
done
printf '%s\n' "${summary[@]}"
