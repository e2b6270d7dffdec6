#!/usr/bin/env bash
# -sT run as root discovers hosts as nmap does as root, not with the
# unprivileged connect ping: an on-link target is found by ARP (reason
# arp-response, its MAC address in normal output and XML), the scanner's own
# address is localhost-response, and an off-link target (a routed AnyIP
# prefix in the target namespace) by nmap's IP probes (echo-reply: the
# target answers ICMP echo). Hosts come out in target order. Runs against
# nmap too (the expected lines were taken from nmap 7.93).
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
t_lab_up
lab_anyip "$LAB_TGT" 198.18.1.0/24 || t_fail "could not route 198.18.1.0/24 to the target"
mac="$(ip -n "$LAB_TGT" -br link show "$LAB_IF" | awk '{print toupper($3)}')"

ip netns exec "$LAB_SCAN" "$BIN" -sT -n -p 22 --reason "$LAB_TGT_V4" "$LAB_SCAN_V4" 198.18.1.7 \
    -oX "$T/st.xml" >"$T/st.out" 2>"$T/st.err" || t_fail "scan failed: $(head -c 400 "$T/st.err")"
t_xml_valid "$T/st.xml"
python3 - "$T/st.xml" "$LAB_TGT_V4" "$LAB_SCAN_V4" "$mac" <<'PY' || t_fail "XML differs from nmap's (above)"
import sys
import xml.etree.ElementTree as ET
path, tgt, me, mac = sys.argv[1:]
got = []
for h in ET.parse(path).getroot().findall("host"):
    addrs = {a.get("addrtype"): a.get("addr") for a in h.findall("address")}
    got.append((addrs.get("ipv4"), h.find("status").get("reason"), addrs.get("mac")))
want = [(tgt, "arp-response", mac), (me, "localhost-response", None),
        ("198.18.1.7", "echo-reply", None)]
if got != want:
    print(f"FAIL: hosts {got}, expected {want}", file=sys.stderr)
    sys.exit(1)
PY
t_pass "XML: arp-response with the MAC, localhost-response, echo-reply, in target order"
grep -q "^MAC Address: $mac " "$T/st.out" || t_fail "normal output has no 'MAC Address: $mac' line: $(cat "$T/st.out")"
grep -q "Host is up, received arp-response" "$T/st.out" || t_fail "normal output: no arp-response"
t_pass "normal output names the MAC address and arp-response"
echo "PASS: $T_NAME"
