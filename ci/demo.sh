#!/usr/bin/env bash
# The main job: set up everything (apt packages, build), then run the default chaos
# scenario on SQLite and print the verdict and where the report is.
# Usage: ci/demo.sh [extra crashlab run arguments]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/ci/setup.sh" "$here/build"
cd "$here"
exec "$here/build/bin/crashlab" run sqlite-kill --cycles 50 --seed 7 "$@"
