#!/usr/bin/env bash
# Smoke-run every libFuzzer harness for a few seconds from its seed corpus.
#   fuzz/run.sh BUILD_DIR SECONDS
# Seeds live in fuzz/corpus/<name>/ (name = harness without "fuzz_"); new
# inputs go to a temporary copy so that the repository is never written.
set -euo pipefail
build=${1:-build-fuzz}
secs=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
export PRTIP_TESTDATA="$here/../tests/data"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
found=0
for bin in "$build"/fuzz_*; do
    [ -x "$bin" ] || continue
    found=$((found + 1))
    name=$(basename "$bin")
    seeds="$here/corpus/${name#fuzz_}"
    corpus="$work/$name"
    mkdir -p "$corpus"
    [ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
    if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/$name-" "$corpus" >"$work/$name.log" 2>&1; then
        echo "fuzz: $name ok ($(grep -c '' "$work/$name.log") log lines, $secs s)"
    else
        echo "fuzz: $name FAILED; last lines:"
        tail -n 30 "$work/$name.log"
        status=1
    fi
done
if [ "$found" -eq 0 ]; then
    echo "fuzz: no harnesses in $build" >&2
    exit 1
fi
exit $status
