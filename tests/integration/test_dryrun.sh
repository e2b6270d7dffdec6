#!/usr/bin/env bash
# --dry-run of the raw engine: every (address, port) of the scan is probed
# exactly once, across seeds and shard splits (the union of --shard i/n for
# i = 1..n is the full set, each probe in exactly one shard), for range
# shapes that exercise each index mapping: one host x 65535 ports, a /24 x
# 1000 ports, an IPv6 /120, octet ranges, and a range with --exclude. The
# same seed gives the same order; another seed gives another order.
# A dry run needs no privileges and sends nothing: when run as root the
# scans run as nobody without capabilities (setpriv), so a socket attempt
# would fail the test.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || exit 77 # nmap has no --dry-run
command -v python3 >/dev/null || exit 77

AS=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all)
    chmod 755 "$T"
fi

# dry NAME ARGS...: probe lines of one run in $T/NAME.
dry() {
    local name=$1
    shift
    if ! "${AS[@]}" "$BIN" -sS -n --dry-run "$@" >"$T/$name.out" 2>"$T/$name.err"; then
        cat "$T/$name.err" >&2
        t_fail "$name: exit status $? for: $*"
    fi
    grep '^probe ' "$T/$name.out" >"$T/$name" || true
}

# check NAME EXPECT_SCRIPT: the probes of the files $T/NAME.* together must
# be exactly the set the python expression prints, each once.
check() {
    local name=$1 expect=$2
    shift 2
    python3 - "$T" "$name" "$expect" <<'EOF' || t_fail "$name: probe set differs"
import collections, glob, ipaddress, sys
tdir, name, expect = sys.argv[1:]
want = collections.Counter()
exec(expect, {"ipaddress": ipaddress, "want": want})
got = collections.Counter()
for path in sorted(glob.glob(f"{tdir}/{name}.[0-9]*")):
    if path.endswith((".out", ".err")):
        continue
    for line in open(path):
        f = line.split()
        # probe ADDR PORT tcp syn shard i/n
        assert f[0] == "probe" and f[3] == "tcp" and f[4] == "syn" and f[5] == "shard", line
        got[(str(ipaddress.ip_address(f[1])), int(f[2]))] += 1
dups = [k for k, v in got.items() if v > 1]
missing = set(want) - set(got)
extra = set(got) - set(want)
if dups or missing or extra:
    print(f"{name}: {len(got)} distinct probes, want {len(want)}; "
          f"duplicates {sorted(dups)[:5]}, missing {sorted(missing)[:5]}, "
          f"extra {sorted(extra)[:5]}", file=sys.stderr)
    sys.exit(1)
print(f"{name}: {sum(got.values())} probes, each once")
EOF
}

# shards NAME N SEED ARGS...: run shards 1..N into $T/NAME.1 .. NAME.N.
shards() {
    local name=$1 n=$2 seed=$3 i
    shift 3
    rm -f "$T/$name".[0-9]*
    for ((i = 1; i <= n; i++)); do
        dry "$name.$i" --seed "$seed" --shard "$i/$n" "$@"
        grep -qv " shard $i/$n\$" "$T/$name.$i" && t_fail "$name: shard $i/$n mislabelled"
    done
    return 0
}

ONE_HOST='
for p in range(1, 65536): want[("198.18.0.2", p)] += 1'
for seed in 1 77; do
    for n in 1 3; do
        shards onehost "$n" "$seed" -p- 198.18.0.2
        check onehost "$ONE_HOST"
    done
done
t_pass "one host x 65535 ports, seeds 1 and 77, 1 and 3 shards"

SLASH24='
for a in ipaddress.ip_network("198.18.0.0/24"):
    for p in range(1, 1001): want[(str(a), p)] += 1'
for n in 1 4; do
    shards net24 "$n" 12345 -p 1-1000 198.18.0.0/24
    check net24 "$SLASH24"
done
t_pass "198.18.0.0/24 x 1000 ports, 1 and 4 shards"

V6='
for a in ipaddress.ip_network("fd00::/120"):
    for p in (21, 22, 23, 25, 53, 80, 110, 443, 8080, 65535): want[(str(a), p)] += 1'
for n in 1 2 7; do
    shards v6 "$n" 9 -p 21-23,25,53,80,110,443,8080,65535 fd00::/120
    check v6 "$V6"
done
t_pass "fd00::/120 x 10 ports, 1, 2 and 7 shards"

OCTETS='
for b in (0, 1):
    for d in (1, 2, 3, 200):
        for p in (22, 80, 443): want[(f"198.18.{b}.{d}", p)] += 1'
shards octets 5 3 -p 22,80,443 198.18.0-1.1-3,200
check octets "$OCTETS"
t_pass "octet ranges, 5 shards"

EXCL='
ex = {"198.18.0.3"} | {f"198.18.0.{i}" for i in range(8, 12)}
for a in ipaddress.ip_network("198.18.0.0/28"):
    if str(a) not in ex:
        for p in range(1, 6): want[(str(a), p)] += 1'
for n in 1 2; do
    shards excl "$n" 5 -p 1-5 --exclude 198.18.0.3,198.18.0.8-11 198.18.0.0/28
    check excl "$EXCL"
done
t_pass "range with --exclude, 1 and 2 shards"

# Deterministic for a seed, different across seeds.
dry same.a --seed 4242 -p 1-100 198.18.0.0/28
dry same.b --seed 4242 -p 1-100 198.18.0.0/28
dry other --seed 4243 -p 1-100 198.18.0.0/28
cmp -s "$T/same.a" "$T/same.b" || t_fail "same seed, different order"
cmp -s "$T/same.a" "$T/other" && t_fail "different seeds, same order"
[ "$(sort "$T/same.a" | md5sum)" = "$(sort "$T/other" | md5sum)" ] ||
    t_fail "different seeds, different probe sets"
t_pass "order fixed by --seed"

# Shards without a common seed would each draw their own order, overlap
# and miss pairs: refused (exit 1, naming --seed). --shard auto in a Slurm
# array takes the seed from SLURM_ARRAY_JOB_ID, which all tasks share: its
# shards split the pairs exactly; a Kubernetes pod shares nothing, refused.
rc=0
"$BIN" -sS --dry-run --shard 2/3 -p 80 198.18.0.0/28 >/dev/null 2>"$T/noseed.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q -- '--seed' "$T/noseed.err" && [ "$(wc -l <"$T/noseed.err")" -eq 1 ] ||
    t_fail "--shard 2/3 without --seed: expected one line naming --seed and exit 1, got $rc: $(cat "$T/noseed.err")"
rc=0
JOB_COMPLETION_INDEX=0 PRTIP_SHARD_COUNT=3 "$BIN" -sS --dry-run --shard auto -p 80 198.18.0.0/28 \
    >/dev/null 2>"$T/k8s.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q -- '--seed' "$T/k8s.err" ||
    t_fail "--shard auto in a Kubernetes pod without --seed: expected exit 1 naming --seed, got $rc: $(cat "$T/k8s.err")"
rm -f "$T"/slurm.[0-9]*
for i in 0 1 2; do
    SLURM_ARRAY_JOB_ID=9041 SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=2 \
        dry "slurm.$((i + 1))" --shard auto -p 1-100 198.18.0.0/28
done
check slurm '
for a in ipaddress.ip_network("198.18.0.0/28"):
    for p in range(1, 101): want[(str(a), p)] += 1'
t_pass "shards without --seed refused (exit 1); a Slurm array's shards share SLURM_ARRAY_JOB_ID's seed"

# A /0 is walked lazily: the first probes come at once, and a reader that
# stops early ends the run (SIGPIPE is ignored, so EPIPE must stop it).
first=$(timeout 20 "$BIN" -sS --dry-run --seed 9 -p 80 0.0.0.0/0 | head -n 3) ||
    t_fail "dry run of 0.0.0.0/0 did not stop when its reader closed"
[ "$(printf '%s\n' "$first" | grep -c '^probe ')" -eq 3 ] || t_fail "dry run of a /0: no probes"
t_pass "0.0.0.0/0 starts at once and stops with its reader"

# 2^64 IPv6 addresses do not fit the index space: a clear error, exit 2.
rc=0
"$BIN" -sS --dry-run -p 80 fd00::/64 >/dev/null 2>"$T/big.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q 'too large' "$T/big.err" ||
    t_fail "fd00::/64: expected exit 2 and 'too large', got $rc: $(cat "$T/big.err")"
t_pass "an IPv6 /64 is refused with a hint"
