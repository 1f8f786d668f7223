#!/usr/bin/env bash
# The main job: install what is missing, build, then open the workbench on the built-in demo
# project. Without a display, run the same demo pipeline headless through the CLI and print
# where its report is.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
demo_dir="${MLAD_DEMO_DIR:-$HOME/.local/share/mlad-workbench}"
mkdir -p "$demo_dir"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x build/app/mlad-workbench ]; then
  exec build/app/mlad-workbench --demo "$demo_dir/demo.mlad"
fi
echo "No display found: running the demo pipeline headless."
build/app/mlad demo --project "$demo_dir/demo.mlad" --report "$demo_dir/demo-report.md"
