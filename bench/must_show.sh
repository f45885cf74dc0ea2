#!/usr/bin/env bash
# The issue's "must show" lines of crashlab bench, exactly as written, with their checks:
# bench.json holds every figure for each combination, compare.py reads it, report.html
# draws its charts in headless chromium (screenshots kept in OUT). CTest label: nightly.
# Usage: bench/must_show.sh CRASHLAB OUT_DIR
set -euo pipefail
crashlab=$1 out=$2
here=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out" && mkdir -p "$out" && cd "$out"
PATH=$(dirname "$crashlab"):$PATH

check() {  # DIR NAME...: every figure of every repetition of each NAME, compare.py, chromium
  local d=$1; shift
  /usr/bin/python3 - "$d/bench.json" "$@" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
names = sys.argv[2:]
its = [b for b in j["benchmarks"] if b["run_type"] == "iteration"]
for n in names:
    mine = [b for b in its if b["name"] == n]
    assert mine, "missing " + n
    for b in mine:
        for k in ["ops_per_s", "min_us", "p50_us", "p90_us", "p99_us", "p999_us", "p9999_us", "max_us", "mean_us", "stddev_us", "cv"]:
            assert k in b and b[k] >= 0, (n, k)
        assert b["ops_per_s"] > 0 and b["p50_us"] <= b["p99_us"] <= b["max_us"] * 1.004, (n, b)
    aggs = {b["aggregate_name"] for b in j["benchmarks"] if b.get("run_name") == n and b["run_type"] == "aggregate"}
    assert aggs == {"mean", "median", "stddev", "cv"}, (n, aggs)
print("bench.json: all figures for", len(names), "combinations")
for c in j["crashlab"]["comparisons"]:
    print("  ", c["sentence"])
PY
  /usr/bin/python3 "$here/tests/third_party/gbench_compare/compare.py" benchmarks "$d/bench.json" "$d/bench.json" >/dev/null
  echo "compare.py: accepted $d/bench.json"
  local dom
  dom=$(chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=5000 --dump-dom "file://$PWD/$d/report.html" 2>/dev/null)
  echo "$dom" | grep -q '<body[^>]*data-drawn="[1-9]' || { echo "report.html: nothing drawn"; exit 1; }
  if echo "$dom" | grep -q '<body[^>]*data-errors'; then echo "report.html: script errors"; exit 1; fi
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,2800 \
    --screenshot="$PWD/$d/screenshot.png" "file://$PWD/$d/report.html" 2>/dev/null
  echo "report.html: charts drawn, screenshot $PWD/$d/screenshot.png"
}

crashlab bench --stores sqlite,redis --storage disk,tmpfs,crashfs --duration 10 --repetitions 3 --out D
check D sqlite/{disk,tmpfs,crashfs}/clients:1/insert redis/{disk,tmpfs,crashfs}/clients:1/insert

outdir() { sed -n 's|^  bench.json *\(.*\)/bench.json$|\1|p' "$1"; }
crashlab bench --stores postgres --storage disk,tmpfs --clients 1,4 --duration 10 --repetitions 3 | tee p.out
P=$(outdir p.out); P=${P#$PWD/}
check "$P" postgres/{disk,tmpfs}/clients:{1,4}/insert

crashlab bench --stores sqlite --deploy container-bind,container-volume,container-layer --duration 5 --repetitions 2 | tee c.out
C=$(outdir c.out); C=${C#$PWD/}
check "$C" sqlite/container-{bind,volume,layer}/clients:1/insert
