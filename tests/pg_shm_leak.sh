#!/usr/bin/env bash
# N consecutive postgres-powercut runs (default 20) must leave `ipcs -m` unchanged: every
# System V segment their clusters created is gone afterwards. Other runs on the machine
# may create segments meanwhile; a new segment counts as ours only if a postmaster of
# these runs (a child of their runner, sampled while they run) created it. Exit 1 on a leak.
# Usage: tests/pg_shm_leak.sh [CRASHLAB_CLI] [RUNS] [CYCLES_PER_RUN]
set -uo pipefail
cli=${1:-build/bin/crashlab}
runs=${2:-20}
cycles=${3:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/crashlab-shmcheck-XXXXXX")
trap 'rm -rf "$work"' EXIT
segments() { ipcs -m | awk '$2 ~ /^[0-9]+$/ {print $2, $6}' | sort; }
before=$(segments)
: >"$work/pids"
for i in $(seq 1 "$runs"); do
  "$cli" run postgres-powercut --cycles "$cycles" --seed "$i" -q --report "$work/r$i" \
    >"$work/run.log" 2>&1 &
  runner=$!
  while kill -0 "$runner" 2>/dev/null; do
    ps --ppid "$runner" -o pid= >>"$work/pids" 2>/dev/null
    sleep 0.02
  done
  if ! wait "$runner"; then echo "run $i (seed $i) failed:"; tail -5 "$work/run.log"; exit 1; fi
done
after=$(segments)
ours=0 others=0 leaked=0
while read -r id nattch; do
  [ -z "$id" ] && continue
  echo "$before" | grep -q "^$id " && continue
  cpid=$(ipcs -m -p | awk -v id="$id" '$1 == id {print $3}')
  if grep -qx " *$cpid" "$work/pids"; then
    ours=$((ours + 1))
    if [ "$nattch" = "0" ]; then leaked=$((leaked + 1)); echo "leaked segment $id (created by postmaster $cpid)"; fi
  else
    others=$((others + 1))
  fi
done <<<"$after"
echo "ipcs -m before: $(echo "$before" | grep -c .) segment(s); after $runs postgres-powercut runs: $(echo "$after" | grep -c .) segment(s); left by these runs: $leaked; new ones of other runs on the machine: $others"
[ "$leaked" -eq 0 ]
