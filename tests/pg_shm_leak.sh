#!/usr/bin/env bash
# N consecutive postgres-powercut runs (default 20) must leave `ipcs -m` unchanged: every
# System V segment a run's clusters created is gone afterwards. Segments that appeared
# meanwhile but are still attached belong to a live cluster of another run on the machine
# and are reported, not counted. Exit 1 on a leak.
# Usage: tests/pg_shm_leak.sh [CRASHLAB_CLI] [RUNS] [CYCLES_PER_RUN]
set -uo pipefail
cli=${1:-build/bin/crashlab}
runs=${2:-20}
cycles=${3:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/crashlab-shmcheck-XXXXXX")
trap 'rm -rf "$work"' EXIT
segments() { ipcs -m | awk '$2 ~ /^[0-9]+$/ {print $2, $6}' | sort; }
before=$(segments)
for i in $(seq 1 "$runs"); do
  if ! "$cli" run postgres-powercut --cycles "$cycles" --seed "$i" -q --report "$work/r$i" \
      >"$work/run.log" 2>&1; then
    echo "run $i (seed $i) failed:"; tail -5 "$work/run.log"; exit 1
  fi
done
after=$(segments)
leaked=0 foreign=0
while read -r id nattch; do
  [ -z "$id" ] && continue
  if echo "$before" | grep -q "^$id "; then continue; fi
  if [ "$nattch" = "0" ]; then leaked=$((leaked + 1)); echo "leaked segment $id"; else foreign=$((foreign + 1)); fi
done <<<"$after"
echo "ipcs -m before: $(echo "$before" | grep -c .) segment(s); after $runs postgres-powercut runs: $(echo "$after" | grep -c .) segment(s); leaked $leaked; attached to live clusters of other runs $foreign"
[ "$leaked" -eq 0 ]
