#!/usr/bin/env bash
# Installs every Debian package crashlab needs (idempotent) and builds it into build/.
# Usage: ci/setup.sh [BUILD_DIR] [extra cmake args...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$here/build"}; shift || true

need_root() { [ "$(id -u)" -eq 0 ] || { echo "crashlab setup: run as root (apt-get, FUSE, servers need it)" >&2; exit 2; }; }

mapfile -t pkgs < <(grep -v '^\s*#' "$here/ci/packages.txt" | grep -v '^\s*$')
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  need_root
  echo "crashlab setup: installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$here" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRASHLAB_WERROR=ON "$@" >/dev/null
fi
cmake --build "$build" -j "$(nproc)"
