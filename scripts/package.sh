#!/usr/bin/env bash
# Builds the Debian package: mlad-workbench_VERSION_ARCH.deb in build/ (mlad, mlad-ml,
# mlad-workbench, the desktop entry, icons, AppStream metadata, the man page, presets), with
# its dependencies declared from the binaries (dpkg-shlibdeps). Check it on a clean Debian 12
# with tools/deb_install_check.sh build/mlad-workbench_*.deb.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh >/dev/null
./scripts/build.sh -DMLAD_BUILD_UI=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
(cd build && cpack -G DEB >/dev/null)
ls -1 build/mlad-workbench_*.deb
