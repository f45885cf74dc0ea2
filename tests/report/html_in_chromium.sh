#!/usr/bin/env bash
# The issue's must-show in a real browser: `crashlab run sqlite-powercut --set
# synchronous=off --cycles 5 --seed 2 --report D`, then D/report.html in headless
# Chromium: no console message, the latency and throughput charts draw their lines and
# the fault windows, the loss timeline draws the lost ops before the fault line, the
# summary sentence names the loss; a screenshot is kept in OUT. junit.xml validates
# against junit-10.xsd; `crashlab report D` re-renders the page.
# Usage: html_in_chromium.sh CRASHLAB JUNIT_XSD OUT   (exit 77: skipped, says why)
set -euo pipefail
crashlab=$1 xsd=$2 out=$(realpath -m "$3")
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
command -v chromium >/dev/null || skip "chromium missing (apt-get install chromium)"
command -v xmllint >/dev/null || skip "xmllint missing (apt-get install libxml2-utils)"
[ "$(id -u)" -eq 0 ] && [ -e /dev/fuse ] || skip "power cuts need root and /dev/fuse"

rm -rf "$out"
mkdir -p "$out"
D=$out/run
set +e
"$crashlab" run sqlite-powercut --set synchronous=off --cycles 5 --seed 2 --report "$D" \
  >"$out/run.out" 2>&1
rc=$?
set -e
cat "$out/run.out"
[ "$rc" -eq 1 ] || fail "expected exit 1 (data lost), got $rc"

browse() {  # browse FLAG... : Chromium on the page, console to $out/console.log
  timeout 120 chromium --headless --disable-gpu --no-sandbox --hide-scrollbars \
    --user-data-dir="$out/profile" \
    --enable-logging=stderr --v=0 "$@" 2>>"$out/console.log"
}
# The console check must be able to fail: a page that logs an error is caught.
echo '<html><body><script>console.error("probe")</script></body></html>' >"$out/probe.html"
: >"$out/console.log"
browse --dump-dom "file://$out/probe.html" >/dev/null
grep -q 'CONSOLE.*"probe"' "$out/console.log" || fail "console messages are not captured"

: >"$out/console.log"
browse --dump-dom "file://$D/report.html" >"$out/dom.html"
browse --window-size=1100,4200 --screenshot="$out/report.png" "file://$D/report.html" >/dev/null
if grep -q 'CONSOLE' "$out/console.log"; then
  grep 'CONSOLE' "$out/console.log"
  fail "report.html logged to the console"
fi
[ -s "$out/report.png" ] && [ "$(stat -c %s "$out/report.png")" -gt 20000 ] ||
  fail "screenshot missing or blank"

dom=$out/dom.html
section() {  # the rendered DOM of the <section> whose <h2> is $1
  python3 - "$dom" "$1" <<'PY'
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
for s in re.findall(r"<section>.*?</section>", page, re.S):
    if "<h2>" + sys.argv[2] + "</h2>" in s:
        print(s)
PY
}
need() {  # need TEXT-REGEX IN WHAT
  grep -Eq -- "$1" <<<"$2" || fail "$3"
}
lat=$(section "Latency over time")
thr=$(section "Throughput over time")
loss=$(section "Loss timeline")
need '<polyline class="series"[^>]* points="[0-9]' "$lat" "latency chart draws no line"
need '<rect class="band"' "$lat" "latency chart shades no fault window"
need 'p99' "$lat" "latency chart has no p99 legend"
need '<polyline class="series"[^>]* points="[0-9]' "$thr" "throughput chart draws no line"
need '<rect class="band"' "$thr" "throughput chart shades no fault window"
need '<circle ' "$loss" "loss timeline draws no lost op"
need '>fault</text>' "$loss" "loss timeline has no fault line"
need 'ops in [0-9.]+ ms' "$loss" "loss timeline does not give the window's width"
summary=$(grep -o '<p class="summary">[^<]*' "$dom" || true)
echo "summary: ${summary#*>}"
need 'acknowledged writes? lost in cycle [0-9]+' "$summary" "summary names no loss"
need 'before the power cut' "$summary" "summary does not place the loss before the cut"
# The lost ops were acknowledged before the cut: every one left of the fault line.
python3 - "$D/anomalies.jsonl" <<'PY' || fail "a lost op is drawn after the fault instant"
import json, sys
rel = [json.loads(l)["completed_ms_from_fault"] for l in open(sys.argv[1])
       if '"kind":"lost"' in l and "completed_ms_from_fault" in l]
print(f"{len(rel)} lost ops, acknowledged {min(rel):.1f} .. {max(rel):.1f} ms from the cut")
sys.exit(0 if rel and max(rel) <= 0 else 1)
PY
grep -Eq '(src|href)="(https?:)?//' "$D/report.html" && fail "report.html loads something from the network"
xmllint --noout --schema "$xsd" "$D/junit.xml" || fail "junit.xml does not validate"

# crashlab report D: re-renders the page and prints the summary.
rm "$D/report.html"
set +e
"$crashlab" report "$D" >"$out/report.out" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "crashlab report: expected exit 1 (invalid), got $rc: $(cat "$out/report.out")"
grep -q 'INVALID' "$out/report.out" || fail "crashlab report printed no verdict"
grep -q '<circle ' "$D/report.html" || fail "crashlab report did not re-render the loss timeline"
echo "ok: screenshot $out/report.png"
