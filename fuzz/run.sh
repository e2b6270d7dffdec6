#!/usr/bin/env bash
# Smoke-run every libFuzzer harness for a few seconds from its seed corpus.
#   fuzz/run.sh BUILD_DIR SECONDS [HARNESS...]
# Seeds live in fuzz/corpus/<name>/ (name = harness without "fuzz_"); new
# inputs go to a temporary copy so that the repository is never written.
#
# A harness fails when it crashes, or when its final coverage (libFuzzer's
# "cov:" on the DONE line: edges of the instrumented code it reached) is
# below its floor in fuzz/floors.txt. The floors catch a build whose library
# is not instrumented (libFuzzer then sees only the harness's own edges and
# mutates blind) and a harness that stopped reaching its parser. A harness
# without a floor fails too: every harness must say what it reaches.
set -euo pipefail
build=${1:-build-fuzz}
secs=${2:-20}
shift $(($# > 2 ? 2 : $#))
here=$(cd "$(dirname "$0")" && pwd)
floors="$here/floors.txt"
export PRTIP_TESTDATA="$here/../tests/data"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

floor_of() {
    awk -v n="$1" '$1 == n { print $2; exit }' "$floors"
}

status=0
found=0
bins=()
if [ $# -gt 0 ]; then
    for h in "$@"; do bins+=("$build/fuzz_${h#fuzz_}"); done
else
    bins=("$build"/fuzz_*)
fi
for bin in "${bins[@]}"; do
    [ -x "$bin" ] || continue
    found=$((found + 1))
    name=$(basename "$bin")
    seeds="$here/corpus/${name#fuzz_}"
    corpus="$work/$name"
    log="$work/$name.log"
    mkdir -p "$corpus"
    [ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
    floor=$(floor_of "$name")
    if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/$name-" "$corpus" </dev/null >"$log" 2>&1; then
        echo "fuzz: $name FAILED; last lines:"
        tail -n 60 "$log"
        status=1
        continue
    fi
    line=$(grep -E '^#[0-9]+[[:space:]]+DONE ' "$log" | tail -n 1 || true)
    cov=$(sed -nE 's/.* cov: ([0-9]+) .*/\1/p' <<<"$line")
    execs=$(sed -nE 's/.* exec\/s: ([0-9]+) .*/\1/p' <<<"$line")
    if [ -z "$cov" ]; then
        echo "fuzz: $name FAILED: no final stats line in its log"
        tail -n 60 "$log"
        status=1
    elif [ -z "$floor" ]; then
        echo "fuzz: $name FAILED: no coverage floor in fuzz/floors.txt (reached cov $cov)"
        status=1
    elif [ "$cov" -lt "$floor" ]; then
        echo "fuzz: $name FAILED: coverage $cov below its floor $floor (fuzz/floors.txt);" \
            "is the library built with -fsanitize=fuzzer-no-link?"
        status=1
    else
        echo "fuzz: $name ok (cov $cov, floor $floor, ${execs:-?} exec/s, $secs s)"
    fi
done
if [ "$found" -eq 0 ]; then
    echo "fuzz: no harnesses in $build" >&2
    exit 1
fi
exit $status
