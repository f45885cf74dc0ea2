#!/usr/bin/env bash
# Time to detect: runs each "invalid" row of the power-cut truth table N times through
# the CLI and prints the median wall time from process start to verdict, per row.
#
# usage: tests/bench/powercut_detect.sh [BUILD_DIR] [N]
#   BUILD_DIR  cmake build dir holding bin/crashlab (default /work/main/build)
#   N          runs per row (default 5); seeds 1..N
# A row counts as detected only if the CLI says "invalid" (exit status 1).
set -euo pipefail

BUILD=${1:-/work/main/build}
N=${2:-5}
CLI=$BUILD/bin/crashlab
[[ -x $CLI ]] || { echo "missing $CLI (build target crashlab first)" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "needs root (crashfs)" >&2; exit 1; }

# name | scenario | workers | extra CLI arguments
ROWS=(
  "sqlite-wal-sync-off|sqlite-powercut|2|--set synchronous=off"
  "sqlite-delete-full|sqlite-powercut|1|--set journal_mode=delete"
  "sqlite-wal-full-lie|sqlite-powercut|2|--set sync_fault=lie"
  "postgres-async-commit|postgres-powercut|4|--set synchronous_commit=off"
  "postgres-fsync-off|postgres-powercut|4|--set fsync=false"
)

REPORTS=$(mktemp -d /tmp/powercut-detect-XXXXXX)
trap 'rm -rf "$REPORTS"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

printf "%-24s %8s %10s %10s %10s\n" row detected median_s min_s max_s
for row in "${ROWS[@]}"; do
  IFS='|' read -r name scenario workers extra <<<"$row"
  times=()
  detected=0
  for seed in $(seq 1 "$N"); do
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    set +e
    "$CLI" run "$scenario" --seed "$seed" --cycles 20 --workers "$workers" $extra \
      --report "$REPORTS/$name-$seed" >/dev/null 2>&1
    rc=$?
    set -e
    end=$(date +%s.%N)
    [[ $rc -eq 1 ]] && detected=$((detected + 1))
    times+=("$(echo "$end - $start" | bc -l)")
  done
  med=$(printf "%s\n" "${times[@]}" | median)
  min=$(printf "%s\n" "${times[@]}" | sort -n | head -1)
  max=$(printf "%s\n" "${times[@]}" | sort -n | tail -1)
  printf "%-24s %5d/%-2d %10.2f %10.2f %10.2f\n" "$name" "$detected" "$N" "$med" "$min" "$max"
done
