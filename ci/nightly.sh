#!/usr/bin/env bash
# The nightly chaos run: the long suites (CTest label nightly), then long CLI runs of the
# SQLite scenarios and the mixed-fault chaos spec with a seed derived from the date,
# reports under reports/nightly-DATE.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/ci/setup.sh" "$here/build"
day=$(date +%Y%m%d)
seed=$((10#$day))
out="$here/reports/nightly-$day"
mkdir -p "$out"
status=0
(cd "$here/build" && ctest --output-on-failure -L nightly --output-junit "$out/ctest-junit.xml") || status=1
for s in sqlite-kill sqlite-pause; do
  "$here/build/bin/crashlab" run "$s" --duration 300 --seed "$seed" --report "$out/$s" -q || status=1
done
# Every fault SQLite supports on crashfs, mixed across cycles (specs/sqlite-chaos.toml).
"$here/build/bin/crashlab" run -f "$here/specs/sqlite-chaos.toml" --cycles 0 --duration 300 --seed "$seed" \
  --set fault=kill,pause,restart,powercut,crashpoints,fsync-eio --report "$out/sqlite-chaos" -q || status=1
echo "nightly reports: $out"
exit $status
