#!/usr/bin/env bash
# Installs the Debian 12 packages MLAD Workbench needs, only those missing (idempotent).
# libopenblas0-pthread matters: without it Debian's LibTorch runs on the reference BLAS, ~40x
# slower.
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache git
  libtorch-dev libgloo-dev libopenblas0-pthread libeigen3-dev
  libsqlite3-dev sqlite3 libre2-dev zlib1g-dev libxxhash-dev
  qt6-base-dev qt6-charts-dev qt6-svg-dev libqt6opengl6-dev libgl-dev fonts-dejavu-core
  libgtest-dev libgmock-dev
  libcli11-dev nlohmann-json3-dev libfftw3-dev libhnswlib-dev clang-format python3
  help2man
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
