#!/usr/bin/env bash
# Container engines of crashlab runs: each test starts a private podman root or dockerd
# under $TMPDIR/crashlab-engine-XXXXXX and tears it down itself. This script checks that
# nothing is left (CI runs it after the suites) and cleans up after a runner that was
# SIGKILLed (the only case the runner cannot clean up itself).
# Usage: ci/containers.sh check | clean | smoke
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=${TMPDIR:-/tmp}

# Processes of crashlab engines: their command line or cgroup names an engine dir.
engine_pids() {
  local p
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q 'crashlab-engine-' ||
       grep -q '/crashlab-engine-' "$p/cgroup" 2>/dev/null; then
      echo "${p#/proc/}"
    fi
  done
}
engine_mounts() { awk '$5 ~ /crashlab-engine-/ {print $5}' /proc/self/mountinfo | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-; }
engine_cgroups() { find /sys/fs/cgroup -maxdepth 2 -type d -name 'crashlab-engine-*' 2>/dev/null; }
engine_dirs() { find "$tmp" -maxdepth 1 -type d -name 'crashlab-engine-*' 2>/dev/null; }

check() {
  local bad=0 pids mounts cgroups dirs
  pids=$(engine_pids); mounts=$(engine_mounts); cgroups=$(engine_cgroups); dirs=$(engine_dirs)
  if [ -n "$pids" ]; then bad=1; echo "engine processes left:"; ps -o pid,ppid,user,comm -p "$(echo $pids | tr ' ' ,)"; fi
  if [ -n "$mounts" ]; then bad=1; echo "engine mounts left:"; echo "$mounts"; fi
  if [ -n "$cgroups" ]; then bad=1; echo "engine cgroups left:"; echo "$cgroups"; fi
  if [ -n "$dirs" ]; then bad=1; echo "engine dirs left:"; echo "$dirs"; fi
  [ $bad -eq 0 ] && echo "crashlab containers: nothing left behind"
  return $bad
}

clean() {
  local pid m c d
  # Thaw first: a frozen (paused) container process does not die.
  for c in $(engine_cgroups); do
    find "$c" -name freezer.state -exec sh -c 'echo THAWED > "$1"' _ {} \; 2>/dev/null
  done
  for pid in $(engine_pids); do kill -9 "$pid" 2>/dev/null; done
  sleep 1
  for m in $(engine_mounts); do umount -l "$m" 2>/dev/null; done
  for c in $(engine_cgroups); do find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null; done
  for d in $(engine_dirs); do rm -rf "$d"; done
  check
}

# Starts each installed engine privately, runs one container from the local base image
# and tears it all down (the suite's EngineTeardownRemovesEverything test, alone).
smoke() {
  local bin="$here/build/suites/container_sqlite_test"
  [ -x "$bin" ] || { echo "build first (ci/setup.sh): $bin missing" >&2; return 2; }
  "$bin" --gtest_filter='ContainerSqlite.EngineTeardownRemovesEverything' && check
}

case "${1:-check}" in
  check) check ;;
  clean) clean ;;
  smoke) smoke ;;
  *) echo "usage: $0 check | clean | smoke" >&2; exit 2 ;;
esac
