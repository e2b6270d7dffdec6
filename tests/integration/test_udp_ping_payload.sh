#!/usr/bin/env bash
# -PU sends nmap's UDP ping: an empty datagram to each port, even to ports
# for which nmap-payloads has a payload (53, 161), as nmap 7.93 does (only
# --data-length would add data). The target namespace captures what arrives
# on its link. Runs against nmap too.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
t_lab_up

cat >"$T/cap.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3))
s.bind(("lab0", 0))
s.settimeout(0.2)
print("ready", flush=True)
end = time.time() + float(sys.argv[1])
while time.time() < end:
    try:
        f = s.recv(65535)
    except socket.timeout:
        continue
    if f[12:14] != b"\x08\x00" or f[23] != 17:
        continue
    ihl = (f[14] & 15) * 4
    u = f[14 + ihl:]
    print(int.from_bytes(u[2:4], "big"), int.from_bytes(u[4:6], "big") - 8, flush=True)
PY
ip netns exec "$LAB_TGT" python3 "$T/cap.py" 8 >"$T/cap.txt" &
CPID=$!
t_cleanup 'kill "$CPID" 2>/dev/null || true'
for _ in $(seq 1 50); do grep -q ready "$T/cap.txt" && break; sleep 0.1; done
ip netns exec "$LAB_SCAN" "$BIN" -sn -PU53,161,40125 --disable-arp-ping -n "$LAB_TGT_V4" \
    >"$T/scan.out" 2>"$T/scan.err" || t_fail "scan failed: $(head -c 400 "$T/scan.err")"
grep -q "Host is up" "$T/scan.out" || t_fail "host not up: $(cat "$T/scan.out")"
sleep 0.5
kill "$CPID" 2>/dev/null || true
wait "$CPID" 2>/dev/null || true
for p in 53 161 40125; do
    grep -q "^$p " "$T/cap.txt" || t_fail "no UDP ping to port $p arrived: $(cat "$T/cap.txt")"
done
bad="$(awk '$1 != "ready" && $2 != 0' "$T/cap.txt")"
[ -z "$bad" ] || t_fail "UDP pings with a payload (port, bytes): $bad"
t_pass "UDP pings to 53, 161 and 40125 were empty"
echo "PASS: $T_NAME"
