#!/usr/bin/env bash
# crashfs performance line: native dir vs libfuse passthrough_ll vs crashfs (fs_model=posix
# and fs_model=ext4, two mounts), same disk, one run.
#
# usage: tests/bench/crashfs_bench.sh [BUILD_DIR] [WORK_DIR]
#   BUILD_DIR  cmake build dir holding faults/crashfs targets (crashfs, crashfs_sqlite_tool);
#              passthrough_ll is compiled into it from /usr/share/doc/libfuse3-dev/examples.
#   WORK_DIR   scratch directory on the disk under test (default /var/tmp/crashfs-bench).
# Env: FULL_TX (default 3000), NORMAL_TX (default 30000), SEQ_MIB (default 256), REPS (default 5),
#      CUTS (default 20). Needs root and /dev/fuse. Prints a table of absolute figures and ratios.
set -euo pipefail

BUILD=${1:-/work/main/build-crashfs}
WORK=${2:-/var/tmp/crashfs-bench}
FULL_TX=${FULL_TX:-3000}
NORMAL_TX=${NORMAL_TX:-30000}
SEQ_MIB=${SEQ_MIB:-256}
REPS=${REPS:-5}
CUTS=${CUTS:-20}
EXAMPLES=/usr/share/doc/libfuse3-dev/examples

find_bin() {
  local found
  found=$(find "$BUILD" -type f -name "$1" -perm -u+x 2>/dev/null | head -1)
  [[ -n $found ]] || { echo "missing $1 in $BUILD (build target $1 first)" >&2; exit 1; }
  echo "$found"
}
CRASHFS=$(find_bin crashfs)
SQLTOOL=$(find_bin crashfs_sqlite_tool)
PASSTHROUGH=$BUILD/passthrough_ll
if [[ ! -x $PASSTHROUGH || $EXAMPLES/passthrough_ll.c -nt $PASSTHROUGH ]]; then
  # shellcheck disable=SC2046
  gcc -O2 -Wall -I"$EXAMPLES" "$EXAMPLES/passthrough_ll.c" $(pkg-config fuse3 --cflags --libs) \
    -o "$PASSTHROUGH"
fi

[[ $(id -u) -eq 0 ]] || { echo "needs root" >&2; exit 1; }

rm -rf "$WORK"
mkdir -p "$WORK"/{native,pt-backing,pt-mnt,cf-backing,cf-mnt,c4-backing,c4-mnt}
PT_PID=""
CF_PID=""
C4_PID=""
cleanup() {
  set +e
  if [[ -n $CF_PID ]]; then
    "$CRASHFS" ctl "$WORK/cf.sock" quit >/dev/null 2>&1
    wait "$CF_PID" 2>/dev/null
  fi
  if [[ -n $C4_PID ]]; then
    "$CRASHFS" ctl "$WORK/c4.sock" quit >/dev/null 2>&1
    wait "$C4_PID" 2>/dev/null
  fi
  if [[ -n $PT_PID ]]; then
    umount "$WORK/pt-mnt" 2>/dev/null
    kill "$PT_PID" 2>/dev/null
    wait "$PT_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# passthrough_ll with its default options (no writeback cache), as in DESIGN.md's table.
"$PASSTHROUGH" -f -o source="$WORK/pt-backing" "$WORK/pt-mnt" &
PT_PID=$!
"$CRASHFS" mount --control "$WORK/cf.sock" "$WORK/cf-backing" "$WORK/cf-mnt" >/dev/null &
CF_PID=$!
"$CRASHFS" mount --fs-model ext4 --control "$WORK/c4.sock" "$WORK/c4-backing" "$WORK/c4-mnt" \
  >/dev/null &
C4_PID=$!
for _ in $(seq 200); do
  if mountpoint -q "$WORK/pt-mnt" && "$CRASHFS" ctl "$WORK/cf.sock" ping >/dev/null 2>&1 &&
    "$CRASHFS" ctl "$WORK/c4.sock" ping >/dev/null 2>&1; then
    break
  fi
  sleep 0.05
done
mountpoint -q "$WORK/pt-mnt" || { echo "passthrough_ll did not mount" >&2; exit 1; }
"$CRASHFS" ctl "$WORK/cf.sock" ping >/dev/null
"$CRASHFS" ctl "$WORK/c4.sock" ping >/dev/null

declare -A DIRS=([native]="$WORK/native" [passthrough_ll]="$WORK/pt-mnt" [crashfs]="$WORK/cf-mnt"
  [crashfs_ext4]="$WORK/c4-mnt")
TARGETS=(native passthrough_ll crashfs crashfs_ext4)

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Every removal is followed by a directory fsync: on crashfs an unlink is only final (and
# its space only freed) once the directory is synced, as on a real disk after a crash.
sqlite_tps() {  # dir sync n -> tx/s of one fresh database
  local dir=$1 sync=$2 n=$3
  rm -f "$dir"/bench.db*
  sync "$dir"
  "$SQLTOOL" bench "$dir/bench.db" "$sync" "$n"
  rm -f "$dir"/bench.db*
  sync "$dir"
}

seq_mibs() {  # dir -> MiB/s of SEQ_MIB MiB written sequentially + fsync
  local dir=$1 t0 t1
  t0=$(date +%s%N)
  dd if=/dev/zero of="$dir/seq" bs=1M count="$SEQ_MIB" conv=fsync status=none
  t1=$(date +%s%N)
  awk -v n="$SEQ_MIB" -v ns=$((t1 - t0)) 'BEGIN {printf "%.1f\n", n / (ns / 1e9)}'
  rm -f "$dir/seq"
  sync "$dir"
}

# Targets are interleaved within each repetition so that load from other processes on the
# machine spreads over all three instead of biasing one; each figure is the median.
declare -A FULL NORMAL SEQ
declare -A FULL_R NORMAL_R SEQ_R
for r in $(seq "$REPS"); do
  for t in "${TARGETS[@]}"; do
    FULL_R[$t]+="$(sqlite_tps "${DIRS[$t]}" FULL "$FULL_TX") "
    NORMAL_R[$t]+="$(sqlite_tps "${DIRS[$t]}" NORMAL "$NORMAL_TX") "
    SEQ_R[$t]+="$(seq_mibs "${DIRS[$t]}") "
  done
done
for t in "${TARGETS[@]}"; do
  FULL[$t]=$(tr ' ' '\n' <<<"${FULL_R[$t]}" | grep . | median)
  NORMAL[$t]=$(tr ' ' '\n' <<<"${NORMAL_R[$t]}" | grep . | median)
  SEQ[$t]=$(tr ' ' '\n' <<<"${SEQ_R[$t]}" | grep . | median)
done

# Power cut + remount: each cycle leaves unsynced data in a synced file and an unsynced create.
CUT_MS=()
WALL_MS=()
dd if=/dev/zero of="$WORK/cf-mnt/base" bs=1M count=8 conv=fsync status=none
"$CRASHFS" ctl "$WORK/cf.sock" ping >/dev/null
sync_dir() { sync "$1"; }  # coreutils sync FILE = fsync(FILE)
sync_dir "$WORK/cf-mnt"
for i in $(seq "$CUTS"); do
  dd if=/dev/urandom of="$WORK/cf-mnt/base" bs=64K count=16 conv=notrunc status=none
  dd if=/dev/zero of="$WORK/cf-mnt/new$i" bs=64K count=4 status=none
  t0=$(date +%s%N)
  out=$("$CRASHFS" ctl "$WORK/cf.sock" power-cut)
  t1=$(date +%s%N)
  CUT_MS+=("$(sed -n 's/.*total_ms=\([0-9.]*\).*/\1/p' <<<"$out")")
  WALL_MS+=("$(awk -v ns=$((t1 - t0)) 'BEGIN {printf "%.2f", ns / 1e6}')")
  [[ -e $WORK/cf-mnt/new$i ]] && { echo "power cut kept an unsynced create" >&2; exit 1; }
done
CUT_MED=$(printf '%s\n' "${CUT_MS[@]}" | median)
CUT_MAX=$(printf '%s\n' "${CUT_MS[@]}" | sort -g | tail -1)
WALL_MED=$(printf '%s\n' "${WALL_MS[@]}" | median)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "crashfs benchmark ($(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), work dir $WORK; medians of $REPS interleaved runs)"
printf '%-36s %10s %15s %9s %13s %10s %10s %11s %8s\n' workload native passthrough_ll crashfs \
  crashfs_ext4 pt/native cf/native cf4/native cf/pt
row() {
  local name=$1 unit=$2; local -n m=$3
  printf '%-36s %10s %15s %9s %13s %10s %10s %11s %8s\n' "$name ($unit)" "${m[native]}" \
    "${m[passthrough_ll]}" "${m[crashfs]}" "${m[crashfs_ext4]}" \
    "$(ratio "${m[passthrough_ll]}" "${m[native]}")" "$(ratio "${m[crashfs]}" "${m[native]}")" \
    "$(ratio "${m[crashfs_ext4]}" "${m[native]}")" "$(ratio "${m[crashfs]}" "${m[passthrough_ll]}")"
}
row "SQLite WAL synchronous=FULL" "tx/s" FULL
row "SQLite WAL synchronous=NORMAL" "tx/s" NORMAL
row "${SEQ_MIB} MiB sequential write + fsync" "MiB/s" SEQ
echo "power cut + remount (crashfs, $CUTS cuts): median ${CUT_MED} ms, max ${CUT_MAX} ms" \
  "(in-process); median ${WALL_MED} ms wall incl. ctl client"
if [[ -n ${VERBOSE:-} ]]; then
  for t in "${TARGETS[@]}"; do
    echo "runs $t: FULL ${FULL_R[$t]}| NORMAL ${NORMAL_R[$t]}| SEQ ${SEQ_R[$t]}"
  done
fi
