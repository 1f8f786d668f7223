#!/usr/bin/env bash
# The workbench on a large project (issue 17): builds a project of LINES lines (default 10M)
# with the CLI from a BGL log made at run time from the shared sample (bench/make_bgl_log.py):
# import, windows of 20, a chronological split and a run of the unseen-templates rule (fitted in
# one pass, so the bench spends its time on the workbench, not on training; its 200k+ test
# scores fill the Results view as any run's would). Then the UI test largeProjectStaysResponsive
# opens it offscreen and prints the largest GUI-thread stall of every step: opening, the
# template table and a template's lines, the sequence browser, a sequence's lines, the run's
# results and the threshold slider. No assertions on the figures.
# Usage: bench/workbench_scale.sh [BUILD_DIR] [LINES]   (default: build 10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
lines="${2:-10000000}"
mlad="$build/app/mlad"
ui="$build/tests/ui/mlad_ui_tests"
[ -x "$ui" ] || { echo "SKIP: $ui is absent (configure with -DMLAD_BUILD_UI=ON)"; exit 0; }
data="${MLAD_SHARED_DATA:-$(cd .. && pwd)/shared/datasets}"
sample="$data/bgl-20k-logparser/BGL_20k_dev.log"
[ -f "$sample" ] || { echo "SKIP: $sample is absent"; exit 0; }
work="${MLAD_BENCH_DIR:-$(mktemp -d)}"
trap 'rm -rf "$work"' EXIT
p="$work/large.mlad"
echo "== building a project of $lines lines in $work"
python3 bench/make_bgl_log.py "$sample" "$lines" "$work/BGL.log"
t0=$(date +%s)
"$mlad" import --project "$p" --preset BGL "$work/BGL.log" > /dev/null
rm -f "$work/BGL.log"
"$mlad" sequences --project "$p" --system BGL --window 20 > /dev/null
"$mlad" split --project "$p" --name s --system BGL --protocol chronological > /dev/null
"$mlad" train --project "$p" --split s --run rule --model new-templates > /dev/null
echo "   built in $(( $(date +%s) - t0 )) s; project file $(( $(stat -c %s "$p") / 1048576 )) MiB"
QT_QPA_PLATFORM=offscreen MLAD_UI_LARGE_PROJECT="$p" "$ui" largeProjectStaysResponsive 2>&1 |
  grep -E "QINFO|FAIL|PASS   : WorkbenchTest::large" | sed 's/^QINFO  : WorkbenchTest::largeProjectStaysResponsive() //'
