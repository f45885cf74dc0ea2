#!/usr/bin/env bash
# Set up everything (apt packages, build with warnings as errors), check the formatting
# (ci/format.sh), then run the default test set: every CTest test except the ones
# labelled nightly (long chaos runs) or bench; then check that the tests left nothing
# behind (processes, mounts, work dirs, container engines).
# Usage: ci/test.sh [extra ctest arguments]      e.g. ci/test.sh -L fast
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/ci/setup.sh" "$here/build"
status=0
"$here/ci/format.sh" || status=1
cd "$here/build"
marker="$here/build/.test-start"
touch "$marker"
ctest --output-on-failure --no-tests=error -LE 'nightly|bench' --timeout 900 "$@" || status=$?
"$here/ci/leftovers.sh" --since "$marker" || status=1
exit $status
