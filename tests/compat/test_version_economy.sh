#!/usr/bin/env bash
# -sV is fast without costing the services more than nmap does (issue 11
# point 3): a port runs few probes ahead (src/detect/version_port.c,
# spec_window) and one SSL hello at a time. nginx serves HTTP on 80 and 8081
# and HTTPS on 443 and 4433 in a lab target; nmap -sV and prtip -sV scan it
# one after the other while nftables counts, per port, the connection
# attempts (SYNs) reaching the target. For every port prtip's count must not
# exceed nmap's, and the answers must be equal. (Before the window, prtip
# opened 14 connections per HTTPS port where nmap opens 9-10; nmap's count
# includes its version-category NSE scripts, 6 connections per HTTP port.)
set -euo pipefail
. "$(dirname "$0")/../integration/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: run with prtip (it runs nmap itself)" >&2; exit 77; }
t_need_root
t_need nmap nft openssl
nmap --version | grep -q '^Nmap version 7\.93 ' ||
    { echo "SKIP: the answers compared are nmap 7.93's" >&2; exit 77; }
[ -x /usr/sbin/nginx ] || { echo "SKIP: needs nginx-light (scripts/install-deps.sh)" >&2; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"
t_lab_up
. "$HERE/../lab/services.sh"
mkdir -p "$T/svc"
SVC_TCP_PORTS="" SVC_NAMES="" svc_nginx "$T/svc" "$LAB_TGT" "$LAB_TGT_V4" ||
    t_fail "could not start nginx"
PORTS=80,443,8081,4433

for who in nmap prtip; do
    bin="$BIN"
    [ "$who" = nmap ] && bin="$(command -v nmap)"
    lab_guard -e "$LAB_IF" -p "$PORTS" "$LAB_TGT_V4"
    lab_syn_count_start "$LAB_TGT" "$PORTS" || t_fail "nft could not count in $LAB_TGT"
    timeout -k 5 90 ip netns exec "$LAB_SCAN" "$bin" -n -Pn -sT -sV -p "$PORTS" "$LAB_TGT_V4" \
        -oX "$T/$who.xml" >"$T/$who.out" 2>"$T/$who.err" ||
        t_fail "$who exited non-zero: $(head -c 300 "$T/$who.err")"
    lab_syn_counts "$LAB_TGT" | sort -n >"$T/$who.syns"
    python3 "$HERE/dump_services.py" "$T/$who.xml" >"$T/$who.svc"
done
t_same "prtip's answers are nmap's" "$T/nmap.svc" "$T/prtip.svc"
grep -q 'product=nginx' "$T/prtip.svc" || t_fail "nginx was not recognised"
while read -r port n; do
    p="$(awk -v p="$port" '$1 == p { print $2 }' "$T/prtip.syns")"
    t_log "port $port: nmap $n connections, prtip $p"
    [ "$n" -gt 1 ] || t_fail "port $port: nmap made $n connections (nothing counted?)"
    [ "$p" -le "$n" ] || t_fail "port $port: prtip made $p connections, nmap $n"
done <"$T/nmap.syns"
t_pass "prtip -sV opens no more connections per port than nmap -sV"
