#!/usr/bin/env bash
# Smoke-run every libFuzzer harness for a few seconds from its seed corpus.
#   [FUZZ_JOBS=N] fuzz/run.sh BUILD_DIR SECONDS [HARNESS...]
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
# One harness: its verdict goes to $work/NAME.verdict (first line "ok" or
# "FAILED", then what to print), so that harnesses can run side by side.
run_one() {
    local bin="$1" name seeds corpus log floor line cov execs
    name=$(basename "$bin")
    seeds="$here/corpus/${name#fuzz_}"
    corpus="$work/$name"
    log="$work/$name.log"
    mkdir -p "$corpus"
    [ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
    floor=$(floor_of "$name")
    if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/$name-" "$corpus" </dev/null >"$log" 2>&1; then
        { echo FAILED; echo "fuzz: $name FAILED; last lines:"; tail -n 60 "$log"; } >"$work/$name.verdict"
        return
    fi
    line=$(grep -E '^#[0-9]+[[:space:]]+DONE ' "$log" | tail -n 1 || true)
    cov=$(sed -nE 's/.* cov: ([0-9]+) .*/\1/p' <<<"$line")
    execs=$(sed -nE 's/.* exec\/s: ([0-9]+) .*/\1/p' <<<"$line")
    {
        if [ -z "$cov" ]; then
            echo FAILED
            echo "fuzz: $name FAILED: no final stats line in its log"
            tail -n 60 "$log"
        elif [ -z "$floor" ]; then
            echo FAILED
            echo "fuzz: $name FAILED: no coverage floor in fuzz/floors.txt (reached cov $cov)"
        elif [ "$cov" -lt "$floor" ]; then
            echo FAILED
            echo "fuzz: $name FAILED: coverage $cov below its floor $floor (fuzz/floors.txt);" \
                "is the library built with -fsanitize=fuzzer-no-link?"
        else
            echo ok
            echo "fuzz: $name ok (cov $cov, floor $floor, ${execs:-?} exec/s, $secs s)"
        fi
    } >"$work/$name.verdict"
}

# FUZZ_JOBS harnesses at a time (default 1). Each libFuzzer process is one
# thread, so up to the number of CPUs they do not slow each other down and
# every harness still gets its full SECONDS of fuzzing.
jobs=${FUZZ_JOBS:-1}
names=()
for bin in "${bins[@]}"; do
    [ -x "$bin" ] || continue
    found=$((found + 1))
    names+=("$(basename "$bin")")
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    run_one "$bin" &
done
wait
for name in ${names[@]+"${names[@]}"}; do
    if [ ! -f "$work/$name.verdict" ]; then
        echo "fuzz: $name FAILED: no verdict (the runner died)"
        status=1
        continue
    fi
    [ "$(head -n 1 "$work/$name.verdict")" = ok ] || status=1
    tail -n +2 "$work/$name.verdict"
done
if [ "$found" -eq 0 ]; then
    echo "fuzz: no harnesses in $build" >&2
    exit 1
fi
exit $status
