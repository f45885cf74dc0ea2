#!/usr/bin/env bash
# crashlab installed and used as a user would (CTest label install): `cmake --install`
# into a temporary prefix P; the consumer project tests/consumer built against P with
# find_package(crashlab) and its tests run; a small program built with pkg-config's
# flags; then P moved to P2 and the CLI run from there (`P2/bin/crashlab run sqlite-kill
# --cycles 5`), its SQLite agent found under P2 — the old prefix is gone and the build
# dir is not above P2, so nothing compiled in can serve.
# Usage: tests/install/check_install.sh BUILD_DIR [SOURCE_DIR]
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "${2:-$(dirname "$0")/../..}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/crashlab-install-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
# Only crashlab's own lookup may find the helpers.
unset CRASHLAB_LIBEXEC_DIR CRASHLAB_SQLITE_AGENT CRASHLAB_SYNCFAULT_SO

step() { echo "== $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[ -n "$version" ] || fail "no CMAKE_PROJECT_VERSION in $build/CMakeCache.txt"

P=$work/prefix
step "cmake --install $build --prefix $P"
cmake --install "$build" --prefix "$P" >/dev/null
for f in bin/crashlab libexec/crashlab/crashlab-sqlite-agent libexec/crashlab/crashfs \
         libexec/crashlab/libcrashlab_syncfault.so include/crashlab/framework/fault.h \
         include/crashlab/framework/version.h include/crashlab/framework/testing/crash_test.h \
         include/crashlab/faults/process/process_fault.h include/crashlab/faults/storage/storage.h \
         share/bash-completion/completions/crashlab share/zsh/vendor-completions/_crashlab \
         share/man/man1/crashlab.1; do
  [ -e "$P/$f" ] || fail "not installed: $f"
done
config=$(find "$P" -name crashlabConfig.cmake)
pc=$(find "$P" -name crashlab.pc)
[ -n "$config" ] && [ -f "$(dirname "$config")/crashlabConfigVersion.cmake" ] || fail "no crashlabConfig.cmake + version file"
[ -n "$pc" ] || fail "no crashlab.pc"
if grep -rlI -e "$build" -e "$src" "$P"; then fail "installed text files name the build or source dir (above)"; fi
for elf in "$P"/bin/* "$P"/libexec/crashlab/*; do
  strings=$(readelf -p .rodata "$elf" 2>/dev/null)
  case "$strings" in *"$src"*) fail "$elf has the source or build dir compiled in" ;; esac
done
out=$("$P/bin/crashlab" --version)
[ "$out" = "crashlab $version" ] || fail "crashlab --version printed '$out', expected 'crashlab $version'"
echo "$out"

step "consumer project (tests/consumer) against $P: find_package(crashlab)"
cmake -S "$src/tests/consumer" -B consumer "${gen[@]}" -DCMAKE_PREFIX_PATH="$P" >/dev/null
grep -q "^crashlab_DIR:PATH=$(dirname "$config")$" consumer/CMakeCache.txt || fail "consumer did not find crashlab in $P"
cmake --build consumer -j2 >/dev/null
CRASHLAB_EXPECTED_PREFIX=$P consumer/installed_test
consumer/own_program_test

step "pkg-config --cflags --libs crashlab, and a program built with them"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
flags=$(pkg-config --cflags --libs crashlab)
echo "$flags"
cat > tiny.cc <<'EOF'
#include <cstdio>

#include "faults/process/process_fault.h"
#include "faults/storage/storage.h"
#include "framework/helpers.h"
#include "framework/version.h"

int main() {
  auto fault = crashlab::faults::MakeKillFault();
  const bool crashfs = crashlab::storage::MissingCrashfs().empty();
  std::printf("crashlab %s: %s, crashfs %s\n", crashlab::kVersion,
              crashlab::HelperProgram("crashlab-sqlite-agent").c_str(), crashfs ? "usable" : "not usable");
  return fault ? 0 : 1;
}
EOF
# shellcheck disable=SC2086
c++ -std=c++20 tiny.cc -o tiny $flags
CRASHLAB_LIBEXEC_DIR=$(pkg-config --variable=libexecdir crashlab) ./tiny

step "move $P to P2, run the CLI from there"
P2=$work/moved/prefix2
mkdir -p "$(dirname "$P2")"
mv "$P" "$P2"
[ ! -e "$P" ] || fail "$P still there"
case "$P2" in "$build"/*) fail "P2 is inside the build dir" ;; esac
"$P2/bin/crashlab" run sqlite-kill --cycles 5 --seed 3 --report "$work/report" -q
report=$work/report/report.json
grep -q '^  "verdict": "valid"' "$report" || fail "verdict not valid in $report"
grep -q "\"crashlab_version\": \"$version\"" "$report" || fail "no crashlab_version $version in $report"
grep -q "\"sqlite.agent\": \"$P2/libexec/crashlab/crashlab-sqlite-agent\"" "$report" ||
  fail "the agent did not come from $P2: $(grep sqlite.agent "$report")"
grep "sqlite.agent" "$report"
PKG_CONFIG_PATH=${PKG_CONFIG_PATH/$P/$P2}
libexec=$(pkg-config --variable=libexecdir crashlab)
[ "$(cd "$libexec" && pwd)" = "$P2/libexec/crashlab" ] || fail "moved crashlab.pc gives libexecdir $libexec"

# Spec files run from the moved install (the mixed kill/pause/power-cut chaos on crashfs).
SPEC_RUNS=(sqlite-chaos.toml)
for spec in "${SPEC_RUNS[@]}"; do
  step "$P2/bin/crashlab run -f specs/$spec --cycles 6"
  "$P2/bin/crashlab" run -f "$src/specs/$spec" --cycles 6 --report "$work/spec-${spec%.toml}" -q
  grep -q '^  "verdict": "valid"' "$work/spec-${spec%.toml}/report.json" || fail "$spec: verdict not valid"
  grep -q '"powercut": 2' "$work/spec-${spec%.toml}/report.json" || fail "$spec: power cuts did not fire"
done

step "consumer reconfigured against the moved P2"
cmake -S "$src/tests/consumer" -B consumer2 "${gen[@]}" -DCMAKE_PREFIX_PATH="$P2" >/dev/null
cmake --build consumer2 -j2 --target installed_test >/dev/null
CRASHLAB_EXPECTED_PREFIX=$P2 consumer2/installed_test
echo "install check: passed"
