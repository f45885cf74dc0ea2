#!/usr/bin/env bash
# Checks that the tests left nothing behind: no store, agent or crashfs process, no FUSE
# mount, no work dir, no container engine (ci/containers.sh check), no record of a dead
# run (crashlab clean removes those). Exit 1 if anything is.
# Usage: ci/leftovers.sh [--since FILE]   (only work dirs newer than FILE count)
set -uo pipefail
since=()
if [ "${1:-}" = "--since" ] && [ -n "${2:-}" ]; then since=(-newer "$2"); fi
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=${TMPDIR:-/tmp}
bad=0
for prog in postgres redis-server crashlab-sqlite-agent crashfs toykv; do
  pids=$(pgrep -x "$prog" 2>/dev/null || true)
  [ -z "$pids" ] && pids=$(pgrep -f "/$prog( |$)" 2>/dev/null || true)
  if [ -n "$pids" ]; then bad=1; echo "left running: $prog ($pids)"; ps -o pid,ppid,user,args -p "$(echo $pids | tr ' ' ,)"; fi
done
if grep -q 'crashfs' /proc/mounts; then bad=1; echo "crashfs mounts left:"; grep crashfs /proc/mounts; fi
dirs=$(find "$tmp" /dev/shm -mindepth 1 -maxdepth 1 -name 'crashlab-*' ! -name 'crashlab-engine-*' "${since[@]}" 2>/dev/null)
if [ -n "$dirs" ]; then bad=1; echo "work dirs left:"; echo "$dirs"; fi
"$here/ci/containers.sh" check >/dev/null || { bad=1; "$here/ci/containers.sh" check; }
# Records of runs whose runner died and whose guardian did not clean up (crashlab clean).
state=${CRASHLAB_STATE_DIR:-/run/crashlab}
[ "$(id -u)" -eq 0 ] || state=${CRASHLAB_STATE_DIR:-$tmp/.crashlab-state-$(id -u)}
for rec in "$state"/*/; do
  [ -d "$rec" ] || continue
  pid=$(basename "$rec" | cut -d- -f1)
  start=$(basename "$rec" | cut -d- -f2)
  alive=$(awk '{sub(/.*\) /, ""); print $20}' "/proc/$pid/stat" 2>/dev/null)
  if [ "$alive" != "$start" ]; then bad=1; echo "run record of dead runner $pid left: $rec"; cat "$rec/resources"; fi
done
[ $bad -eq 0 ] && echo "leftovers: nothing left behind (processes, mounts, work dirs, engines)"
exit $bad
