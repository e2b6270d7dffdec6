#!/usr/bin/env bash
# --excludefile at internet scale (issue 14, item 4): a generated exclude file
# of 300,000 entries (CIDRs, octet ranges, single addresses spread over the
# IPv4 space, some IPv6 prefixes, and entries inside the scanned /16),
# then -sn and -sS -p 80 -Pn of 198.19.0.0/16 in the namespace lab. On the
# wire: an nftables dynamic set in the target namespace records every
# destination address that received any packet; it must equal the /16
# minus the excluded addresses exactly (no excluded address probed, every
# other one probed). The exclude file's load time and the peak RSS of a
# list scan (-sL of one address, which is all load) are printed, not
# asserted (speed is measured in bench/, not tested).
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" -eq 1 ] || { echo "SKIP: prtip-only (exclusion scale)"; exit 77; }
t_need_root
t_lab_up

PREFIX="198.19.0.0/16" # apart from the lab's link (198.18.0.0/24)
lab_anyip "$LAB_TGT" "$PREFIX" || t_fail "could not make $PREFIX local in $LAB_TGT"

# The exclude file and the excluded /16 addresses (one per line, for truth).
python3 - "$T/exclude.txt" "$T/excluded.txt" <<'PY'
import ipaddress, random, sys
random.seed(14)
lines, ex = [], set()
def ip(v): return str(ipaddress.IPv4Address(v))
base16 = int(ipaddress.IPv4Address("198.19.0.0"))
# Inside the /16: nmap octet ranges (expanded into 256 intervals), a CIDR,
# a last-octet range, small CIDRs and single addresses, overlapping and
# adjacent ones included.
lines += ["198.19.0-255.1-10", "198.19.7.0/24", "198.19.9.100-200", "198.19.9.201-210",
          "198.19.10-11.*", "198.19.11.128/25"]
for c in range(256):
    for d in range(256):
        if 1 <= d <= 10 or c == 7 or (c == 9 and 100 <= d <= 210) or c in (10, 11):
            ex.add(base16 + c * 256 + d)
for _ in range(1500):
    p = random.choice([28, 30, 32])
    a = (base16 + random.randrange(65536)) & ~((1 << (32 - p)) - 1)
    lines.append(f"{ip(a)}/{p}" if p < 32 else ip(a))
    ex.update(range(a, a + (1 << (32 - p))))
# The rest of the IPv4 space, never touching 198.18.0.0/15 (the lab).
lab = (int(ipaddress.IPv4Address("198.18.0.0")), int(ipaddress.IPv4Address("198.19.255.255")))
n, step, i = 295000, (1 << 32) // 295000, 0
while len(lines) < 297000 and i < n:
    a = i * step
    i += 1
    if lab[0] - 1024 <= a <= lab[1]:
        continue
    k = i % 3
    if k == 0:
        p = random.choice([24, 26, 28, 30])
        lines.append(f"{ip(a & ~((1 << (32 - p)) - 1))}/{p}")
    elif k == 1:
        lines.append(f"{ip(a)}-{min(255, (a & 255) + random.randint(0, 10))}")
    else:
        lines.append(ip(a + random.randrange(step - 1)))
while len(lines) < 300000:
    lines.append(f"2001:db8:{random.randrange(65536):x}:{random.randrange(65536):x}::/64")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
open(sys.argv[2], "w").write("\n".join(ip(a) for a in sorted(ex)) + "\n")
PY
NLINES=$(wc -l <"$T/exclude.txt")
NEXCL=$(wc -l <"$T/excluded.txt")
t_log "exclude file: $NLINES entries, $NEXCL of the $PREFIX addresses excluded"

# Load time and peak RSS (the -sL of one loopback address is all load).
python3 - "$BIN" "$T/exclude.txt" <<'PY' >&2
import resource, subprocess, sys, time
t0 = time.monotonic()
subprocess.run([sys.argv[1], "-sL", "-n", "--excludefile", sys.argv[2], "127.0.0.1"],
               check=True, stdout=subprocess.DEVNULL)
secs = time.monotonic() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"test_exclude_scale: load of 300,000 exclusions: {secs:.2f} s, peak RSS {rss / 1024:.1f} MB")
PY

lab_nft "$LAB_TGT" "
table inet excl {
    set seen {
        type ipv4_addr; size 131072; flags dynamic;
    }
    chain pre {
        type filter hook prerouting priority -300; policy accept;
        ip daddr $PREFIX add @seen { ip daddr }
    }
}" || t_fail "could not load the nftables ruleset"

# seen -> the addresses that received a packet, sorted as excluded.txt.
seen() {
    ip netns exec "$LAB_TGT" nft -j list set inet excl seen | python3 -c '
import ipaddress, json, sys
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("set", {}).get("elem", []):
        print(e)' | sort -V
}

python3 - "$PREFIX" "$T/excluded.txt" >"$T/want.txt" <<'PY'
import ipaddress, sys
ex = set(open(sys.argv[2]).read().split())
for a in ipaddress.ip_network(sys.argv[1]):
    if str(a) not in ex:
        print(a)
PY
sort -V -o "$T/want.txt" "$T/want.txt"
NWANT=$(wc -l <"$T/want.txt")

check_wire() {
    local name="$1"
    seen >"$T/$name.seen"
    local bad
    bad=$(sort "$T/$name.seen" | comm -12 - <(sort "$T/excluded.txt") | wc -l)
    [ "$bad" -eq 0 ] || t_fail "$name: $bad excluded addresses received a probe, e.g. $(sort "$T/$name.seen" | comm -12 - <(sort "$T/excluded.txt") | head -3 | paste -sd' ')"
    t_same "$name: addresses that received a probe (the /16 minus the exclusions)" "$T/want.txt" "$T/$name.seen"
    ip netns exec "$LAB_TGT" nft flush set inet excl seen
}

t_scan_ok sn ip netns exec "$LAB_SCAN" -sn -n -T4 --min-rate 20000 --excludefile "$T/exclude.txt" \
    -oG "$T/sn.gnmap" "$PREFIX"
up=$(grep -c 'Status: Up' "$T/sn.gnmap" || true)
[ "$up" -eq "$NWANT" ] || t_fail "-sn: $up hosts up, expected $NWANT (the /16 minus $NEXCL excluded)"
t_pass "-sn: $up hosts up, none of the $NEXCL excluded"
check_wire sn

t_scan_ok ss ip netns exec "$LAB_SCAN" -sS -Pn -n -T4 --min-rate 20000 --max-retries 1 -p 80 \
    --excludefile "$T/exclude.txt" -oG "$T/ss.gnmap" "$PREFIX"
closed=$(grep -c '80/closed/tcp' "$T/ss.gnmap" || true)
[ "$closed" -eq "$NWANT" ] || t_fail "-sS: $closed hosts with 80/closed, expected $NWANT"
t_pass "-sS -p 80: $closed hosts with port 80 closed"
check_wire ss
echo "PASS: $T_NAME"
