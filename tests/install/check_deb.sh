#!/usr/bin/env bash
# The Debian package in a clean Debian 12 (CTest label nightly): builds the .deb with
# CPack, unpacks a fresh bookworm (debootstrap, cached under /var/cache/crashlab), installs
# the package there with apt-get (its Depends only, so they must be enough; set
# CRASHLAB_DEB_RECOMMENDS=1 to install the Recommends too) and runs
# `crashlab run sqlite-kill --cycles 5` in the chroot: exit 0, verdict valid.
# Every mount is undone on exit, failure included. Needs root and deb.debian.org.
# Usage: tests/install/check_deb.sh BUILD_DIR        (exit 77: skipped, the reason on stderr)
set -euo pipefail
build=$(cd "$1" && pwd)
mirror=http://deb.debian.org/debian
cache=/var/cache/crashlab
tarball=$cache/debian12-minbase.tar.gz
start=$(date +%s)

step() { echo "== [$(($(date +%s) - start))s] $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root (chroot, mounts)" >&2; exit 77; }

work=$(mktemp -d /var/tmp/crashlab-deb-XXXXXX)
root=$work/root
mounted=()
cleanup() {
  local status=$? m
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    m=${mounted[i]}
    umount "$m" 2>/dev/null || umount -l "$m" || echo "could not unmount $m" >&2
  done
  if grep -q " $root[/ ]" /proc/mounts; then
    echo "mounts left under $root, not removing $work:" >&2
    grep " $root" /proc/mounts >&2
    exit 1
  fi
  rm -rf --one-file-system "$work"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mnt() {  # mnt ARGS... TARGET: mount and remember it for cleanup
  mount "$@"
  mounted+=("${!#}")
}

step "cpack -G DEB ($build)"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; fail "cpack"; }
deb=$(find "$work/pkg" -maxdepth 1 -name 'crashlab_*.deb' | head -1)
[ -n "$deb" ] || fail "no crashlab_*.deb in $work/pkg"
dpkg-deb -f "$deb" Package Version Architecture Depends Recommends
dpkg-deb -c "$deb" >"$work/contents"
grep -q '\./usr/bin/crashlab$' "$work/contents" || fail "the package has no /usr/bin/crashlab"
grep -q '\./usr/libexec/crashlab/crashlab-sqlite-agent$' "$work/contents" || fail "no agent in libexec"

step "a clean Debian 12 root"
if [ -f "$tarball" ] && [ -z "$(find "$tarball" -mtime +30)" ]; then
  mkdir "$root"
  tar -xzf "$tarball" -C "$root"
else
  if ! command -v debootstrap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
      { echo "skipped: debootstrap missing and apt-get install failed" >&2; exit 77; }
  fi
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap"; }
  cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
  rm -rf "$root/var/cache/apt/archives/"*.deb
  mkdir -p "$cache"
  tar -czf "$tarball.tmp" -C "$root" . && mv "$tarball.tmp" "$tarball"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"

mnt -t proc proc "$root/proc"
mnt -t sysfs sysfs "$root/sys"
mnt --bind /dev "$root/dev"
mnt -t tmpfs tmpfs "$root/dev/shm"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }

recommends=--no-install-recommends
[ "${CRASHLAB_DEB_RECOMMENDS:-0}" = 1 ] && recommends=
step "apt-get install ./$(basename "$deb") $recommends (in the chroot)"
in_root apt-get update -qq
in_root sh -c "cd /tmp && apt-get install -y -q $recommends ./$(basename "$deb")" \
  >"$work/apt.log" 2>&1 || { tail -30 "$work/apt.log" >&2; fail "apt-get install"; }
grep -c '^Setting up' "$work/apt.log" | sed 's/$/ packages set up/'
grep '^Setting up crashlab' "$work/apt.log"

step "crashlab in the chroot"
in_root crashlab --version
status=0
in_root sh -c 'cd /tmp && crashlab run sqlite-kill --cycles 5 --seed 5 --report /tmp/report -q' || status=$?
[ $status -eq 0 ] || fail "crashlab run sqlite-kill exited $status"
grep -q '^  "verdict": "valid"' "$root/tmp/report/report.json" || fail "verdict not valid"
grep '"sqlite.agent"' "$root/tmp/report/report.json"
step "the .deb installs and runs sqlite-kill in a clean Debian 12: passed"
