#!/usr/bin/env bash
# deb_install_check.sh - check that the mlad-workbench .deb installs and runs on a
# clean Debian 12 (bookworm, amd64), using Debian's own tools (mmdebstrap, apt, chroot).
#
# Usage (as root):  tools/deb_install_check.sh PATH/TO/mlad-workbench_*.deb [CHROOT_DIR]
#   CHROOT_DIR  pristine base root, default /work/chroot/bookworm. Created with
#               mmdebstrap (apt-get install mmdebstrap) if missing; never modified.
#   MIRROR=...  Debian mirror base URL, default http://deb.debian.org
#
# Each run works in a throw-away copy of the base (overlayfs, or cp -a if overlay
# mounts are not allowed), installs the .deb with apt (pulling its declared Debian
# dependencies), then checks the files, mlad, its man page, the .desktop file and a
# headless start of mlad-workbench. Prints PASS/FAIL/SKIP per step; exits non-zero
# if the install or `mlad --version` fails.
set -euo pipefail

DEB=${1:?usage: $0 PATH/TO/mlad-workbench_*.deb [CHROOT_DIR]}
BASE=${2:-/work/chroot/bookworm}
MIRROR=${MIRROR:-http://deb.debian.org}
[[ $EUID -eq 0 ]] || { echo "error: run as root (needs chroot and mount)" >&2; exit 2; }
[[ -f $DEB ]] || { echo "error: no such file: $DEB" >&2; exit 2; }
DEB=$(readlink -f "$DEB")

if [[ ! -d $BASE ]]; then
    command -v mmdebstrap >/dev/null || { echo "error: apt-get install mmdebstrap" >&2; exit 2; }
    echo "=== creating clean bookworm root in $BASE"
    mkdir -p "$(dirname "$BASE")"
    mmdebstrap --variant=apt --architectures=amd64 bookworm "$BASE" \
        "deb $MIRROR/debian bookworm main" \
        "deb $MIRROR/debian bookworm-updates main" \
        "deb $MIRROR/debian-security bookworm-security main"
fi

WORK=$(mktemp -d /tmp/deb_install_check.XXXXXX)
ROOT=$WORK/root
cleanup() {
    for m in dev sys proc ""; do
        if mountpoint -q "$ROOT/$m"; then umount -R "$ROOT/$m" || umount -lR "$ROOT/$m"; fi
    done
    # Never rm -rf while anything (e.g. the host's /dev) is still mounted below WORK.
    if grep -q " $WORK/" /proc/self/mounts; then echo "warning: mounts left under $WORK" >&2
    else rm -rf "$WORK"; fi
}
trap cleanup EXIT

mkdir -p "$ROOT" "$WORK/upper" "$WORK/ovlwork"
if ! mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$WORK/upper,workdir=$WORK/ovlwork" \
        "$ROOT" 2>/dev/null; then
    cp -a "$BASE/." "$ROOT/"
fi
mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev"
mount --rbind /sys "$ROOT/sys" && mount --make-rslave "$ROOT/sys"
mount -t proc proc "$ROOT/proc"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
cp "$DEB" "$ROOT/tmp/"
DEB_IN=/tmp/$(basename "$DEB")

in_root() {
    chroot "$ROOT" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
        HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
declare -A RES; ORDER=()
record() { RES[$1]=$2; ORDER+=("$1"); }
step() {  # step NAME CMD...: run CMD, record PASS/FAIL
    local name=$1; shift
    echo; echo "=== $name"
    if "$@"; then record "$name" PASS; else record "$name" FAIL; fi
}

install_deb() { in_root sh -c "apt-get update -q && apt-get install -y -q $DEB_IN"; }
ldd_check() {  # every installed ELF binary must resolve all its libraries
    local f n=0 bad=0
    for f in $(in_root dpkg -L mlad-workbench | grep -E '^/usr/(s?bin|lib)/'); do
        [[ -f $ROOT$f && $(head -c4 "$ROOT$f" | tr -d '\0') == $'\177ELF' ]] || continue
        n=$((n + 1))
        if in_root ldd "$f" | grep 'not found'; then echo "  ^ in $f"; bad=1; fi
    done
    echo "checked $n ELF file(s)"; return $bad
}
help_check() { local out; out=$(in_root mlad --help 2>&1) || return 1; head -n 15 <<<"$out"; }
man_check() {
    ls -l "$ROOT/usr/share/man/man1/mlad.1.gz" && gzip -t "$ROOT/usr/share/man/man1/mlad.1.gz" || return 1
    if in_root sh -c 'command -v man' >/dev/null; then in_root man -w mlad; fi
}
desktop_check() {
    local files
    files=$(in_root dpkg -L mlad-workbench | grep '\.desktop$') || { echo "no .desktop file in package"; return 1; }
    echo "$files"
    if in_root sh -c 'command -v desktop-file-validate' >/dev/null; then
        # shellcheck disable=SC2086
        in_root desktop-file-validate $files
    elif command -v desktop-file-validate >/dev/null; then  # validate on the host instead
        local f; for f in $files; do desktop-file-validate "$ROOT$f"; done
    else echo "desktop-file-validate not installed (chroot or host): only checked presence"; fi
}

step install install_deb
if [[ ${RES[install]} == PASS ]]; then
    step "dpkg -L" in_root dpkg -L mlad-workbench
    step "libraries resolve (ldd)" ldd_check
    step "mlad --version" in_root mlad --version
    step "mlad --help" help_check
    echo; echo "=== mlad doctor"
    if out=$(in_root mlad doctor 2>&1); then echo "$out"; record "mlad doctor" PASS
    elif grep -q "unknown command" <<<"$out"; then
        echo "$out"; echo "NOTE: 'mlad doctor' does not exist yet (not counted as a failure)"
        record "mlad doctor" "SKIP (command not implemented yet)"
    else echo "$out"; record "mlad doctor" FAIL; fi
    step "man page" man_check
    step ".desktop file" desktop_check
    echo; echo "=== mlad-workbench headless (QT_QPA_PLATFORM=offscreen)"
    if ! in_root sh -c 'command -v mlad-workbench' >/dev/null; then
        record "mlad-workbench headless" "SKIP (not in package)"
    else
        rc=0; in_root env QT_QPA_PLATFORM=offscreen timeout 20 mlad-workbench --version || rc=$?
        if [[ $rc -ne 0 ]]; then
            echo "mlad-workbench --version: exit $rc$([[ $rc -eq 124 ]] && echo ' (timed out)'); trying --help"
            rc=0; in_root env QT_QPA_PLATFORM=offscreen timeout 10 mlad-workbench --help || rc=$?
            echo "mlad-workbench --help: exit $rc"
        fi
        record "mlad-workbench headless" "$([[ $rc -eq 0 ]] && echo PASS || echo "FAIL (exit $rc)")"
    fi
fi

echo; echo "=== summary ($(basename "$DEB") on clean Debian 12 from $BASE)"
for s in "${ORDER[@]}"; do printf '  %-28s %s\n' "$s" "${RES[$s]}"; done
[[ ${RES[install]} == PASS && ${RES["mlad --version"]:-FAIL} == PASS ]] || { echo "RESULT: FAIL"; exit 1; }
echo "RESULT: PASS (install and mlad --version)"
