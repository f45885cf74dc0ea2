#!/usr/bin/env bash
# Builds the framework's own tests with ASan+UBSan and with TSan and runs them.
# Usage: ci/sanitize.sh [address|thread]  (default: both)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/ci/setup.sh" "$here/build" >/dev/null
for san in ${1:-address thread}; do
  b="$here/build-$san"
  cmake -S "$here" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCRASHLAB_SANITIZE="$san" >/dev/null
  cmake --build "$b" -j "$(nproc)" --target framework_unit_test report_test bench_unit_test cli_test own_program_test sqlite_kill_test crashlab crashlab-sqlite-agent toykv
  (cd "$b" && TSAN_OPTIONS="halt_on_error=1" ASAN_OPTIONS="detect_leaks=1" \
     ctest --output-on-failure -R 'RowsChecker|Aggregate|Marker|Bank|Counter|List|Integrity|CheckResult|History|Schedule|Rng|Process|TempDir|FreePort|Registry|Validate|MixedFault|FaultWrapper|RunScenario|CliTest|CliOutputTest|ReportTest|TimelineBuckets|SvgHelpers|ToyKv|SqliteKill|Helpers|Histogram|Stats|Measure')
done
