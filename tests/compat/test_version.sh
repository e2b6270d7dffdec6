#!/usr/bin/env bash
# -sV gives nmap's answers (issue 11): real Debian services in a lab
# namespace (tests/lab/services.sh: OpenSSH, nginx HTTP and HTTPS on their
# ports and on others, vsftpd, Exim, dnsmasq, redis, memcached, a listener that accepts and
# closes, one that never speaks) are scanned by nmap 7.93 -sV and by prtip
# -sV in the same test, and per port the service name, product, version,
# extra info, OS type, tunnel, method, confidence and CPEs must be equal
# (XML), as must the normal output's port rows and Service Info line and the
# greppable Ports field. nmap runs ssl-cert by name alongside, and prtip's
# ssl-cert (text and XML elements) must equal it; the certificate facts in
# prtip's JSON are checked against `openssl x509` on the served certificate.
#
# OpenSSH and nginx over IPv6 are a run of their own, and UDP (dnsmasq,
# chronyd, snmpd) is another, -sU -sV, by both.
#
# The silent listener costs nmap one 5-6 s wait per probe, so it is scanned
# in its own run at --version-intensity 0 by both, in parallel with the rest.
set -euo pipefail
. "$(dirname "$0")/../integration/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: run with prtip (it runs nmap itself)" >&2; exit 77; }
t_need_root
t_need nmap openssl ssh-keygen
nmap --version | grep -q '^Nmap version 7\.93 ' ||
    { echo "SKIP: the answers compared are nmap 7.93's" >&2; exit 77; }
[ -x /usr/sbin/sshd ] && [ -x /usr/sbin/nginx ] ||
    { echo "SKIP: needs openssh-server and nginx-light (scripts/install-deps.sh)" >&2; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"
t_lab_up
. "$HERE/../lab/services.sh"
mkdir -p "$T/svc"
svc_up "$T/svc" "$LAB_TGT" "$LAB_TGT_V4" "$LAB_TGT_V6" || t_fail "could not start the lab's services"
t_log "services: $(printf '%s' "$SVC_NAMES" | tr '\n' ';')"
PORTS="$(printf '%s' "$SVC_TCP_PORTS" | tr ',' '\n' | grep -vx '993\|7001\|7002' | paste -sd, -)"
NMAP="$(command -v nmap)"

scan() { # WHO NAME ARGS...
    local who="$1" name="$2" bin="$BIN"
    shift 2
    [ "$who" = nmap ] && bin="$NMAP"
    case "${*: -1}" in
    *:*) lab_check_addr "${*: -1}" || t_fail "target ${*: -1} is outside fd00::/8" ;;
    *) lab_guard -e "$LAB_IF" "$@" ;;
    esac
    timeout -k 5 120 ip netns exec "$LAB_SCAN" "$bin" -n -Pn "$@" \
        -oN "$T/$name.$who.nmap" -oG "$T/$name.$who.gnmap" -oX "$T/$name.$who.xml" \
        >"$T/$name.$who.out" 2>"$T/$name.$who.err"
}

scan nmap silent -sT --version-intensity 0 -sV -p 7001,7002 "$LAB_TGT_V4" &
nmap_silent=$!
scan prtip silent -sT --version-intensity 0 -sV -p 7001,7002 "$LAB_TGT_V4" &
prtip_silent=$!
# Point 6: TLS 1.3 only on 993; nmap's old hellos get nothing.
scan nmap modern -sT -sV -p 993 "$LAB_TGT_V4" &
nmap_modern=$!
scan prtip modern -sT -sV -p 993 "$LAB_TGT_V4" -oJ "$T/modern.prtip.json" &
prtip_modern=$!
# IPv6: OpenSSH and nginx (HTTP, HTTPS) on the target's fd00:: address.
scan nmap v6 -6 -sT -sV -p 22,80,443 "$LAB_TGT_V6" &
nmap_v6=$!
scan prtip v6 -6 -sT -sV -p 22,80,443 "$LAB_TGT_V6" &
prtip_v6=$!
UDP_RUN=""
if [ -n "$SVC_UDP_PORTS" ]; then
    UDP_RUN=udp
    scan nmap udp -sU -sV -p "U:$SVC_UDP_PORTS" "$LAB_TGT_V4" -e "$LAB_IF" &
    nmap_udp=$!
    scan prtip udp -sU -sV -p "U:$SVC_UDP_PORTS" "$LAB_TGT_V4" -e "$LAB_IF" &
    prtip_udp=$!
    case ",$SVC_UDP_PORTS," in *,161,*)
        # Below intensity 7 nmap runs no version script: snmpd's answer is
        # the probes' alone.
        UDP_RUN="udp udplight"
        scan nmap udplight -sU -sV --version-intensity 6 -p U:161 "$LAB_TGT_V4" -e "$LAB_IF" &
        nmap_udplight=$!
        scan prtip udplight -sU -sV --version-intensity 6 -p U:161 "$LAB_TGT_V4" -e "$LAB_IF" &
        prtip_udplight=$!
        ;;
    esac
fi
scan nmap main -sT -sV --script ssl-cert -p "$PORTS" "$LAB_TGT_V4" ||
    t_fail "nmap exited $?: $(head -c 500 "$T/main.nmap.err")"
scan prtip main -sT -sV -p "$PORTS" "$LAB_TGT_V4" -oJ "$T/main.prtip.json" ||
    t_fail "prtip exited $?: $(head -c 500 "$T/main.prtip.err")"
wait "$nmap_silent" || t_fail "nmap (silent port) exited non-zero"
wait "$prtip_silent" || t_fail "prtip (silent port) exited non-zero"
wait "$nmap_modern" || t_fail "nmap (993) exited non-zero"
wait "$prtip_modern" || t_fail "prtip (993) exited non-zero: $(head -c 300 "$T/modern.prtip.err")"
wait "$nmap_v6" || t_fail "nmap (IPv6) exited non-zero: $(head -c 300 "$T/v6.nmap.err")"
wait "$prtip_v6" || t_fail "prtip (IPv6) exited non-zero: $(head -c 300 "$T/v6.prtip.err")"
if [ -n "$UDP_RUN" ]; then
    wait "$nmap_udp" || t_fail "nmap (UDP) exited non-zero: $(head -c 300 "$T/udp.nmap.err")"
    wait "$prtip_udp" || t_fail "prtip (UDP) exited non-zero: $(head -c 300 "$T/udp.prtip.err")"
    if [ -n "${prtip_udplight:-}" ]; then
        wait "$nmap_udplight" || t_fail "nmap (UDP, intensity 6) exited non-zero"
        wait "$prtip_udplight" || t_fail "prtip (UDP, intensity 6) exited non-zero"
    fi
fi
t_xml_valid "$T/main.prtip.xml"
t_xml_valid "$T/silent.prtip.xml"

# What -sV found, per port.
for run in main silent v6 $UDP_RUN; do
    for who in nmap prtip; do
        # nmap -sV also runs its version-category NSE scripts; snmp-info
        # appends "; net-snmp SNMPv3 server" to snmpd's product (at
        # intensity 7+, so not in the udplight run): prtip does the same.
        python3 "$HERE/dump_services.py" "$T/$run.$who.xml" >"$T/$run.$who.svc"
    done
    t_same "$run: per-port service, product, version, extrainfo, CPE (XML)" \
        "$T/$run.nmap.svc" "$T/$run.prtip.svc"
done
grep -q '^443/tcp | open | name=http .*tunnel=ssl' "$T/main.prtip.svc" ||
    t_fail "443 is not ssl/http: $(grep ^443/ "$T/main.prtip.svc")"
grep -q '^4433/tcp | open | name=http .*tunnel=ssl' "$T/main.prtip.svc" ||
    t_fail "4433 (TLS on a non-standard port) is not ssl/http"
grep -q '^7000/tcp | open | name=tcpwrapped ' "$T/main.prtip.svc" || t_fail "7000 is not tcpwrapped"
if [ -n "${prtip_udplight:-}" ]; then
    # The comparison above would pass with neither side running snmp-info.
    grep -q '^161/udp | open | name=snmp | product=SNMPv1 server; net-snmp SNMPv3 server ' \
        "$T/udp.prtip.svc" || t_fail "161: no snmp-info rewrite: $(grep ^161/ "$T/udp.prtip.svc")"
    grep -q '^161/udp | open | name=snmp | product=SNMPv1 server | ' "$T/udplight.prtip.svc" ||
        t_fail "161 at intensity 6: $(grep ^161/ "$T/udplight.prtip.svc")"
fi

# The layouts people read: port rows, Service Info, greppable Ports.
mask() { sed -E 's/uptime [0-9]+ seconds/uptime N seconds/g'; }
for who in nmap prtip; do
    grep -E '^[0-9]+/tcp |^Service Info:' "$T/main.$who.nmap" | mask >"$T/main.$who.rows"
    grep -o 'Ports: .*' "$T/main.$who.gnmap" | mask >"$T/main.$who.gports"
done
t_same "normal output: port rows and Service Info" "$T/main.nmap.rows" "$T/main.prtip.rows"
t_same "greppable Ports field" "$T/main.nmap.gports" "$T/main.prtip.gports"
# nmap's fingerprint block for the service that answered and matched nothing.
for who in nmap prtip; do
    sed -n '/service unrecognized despite/,/^$/p' "$T/silent.$who.nmap" |
        sed -E 's/%D=[0-9]+\/[0-9]+%Time=[0-9A-F]+%/%D=M\/D%Time=T%/' >"$T/silent.$who.fp"
done
[ -s "$T/silent.nmap.fp" ] || t_fail "nmap printed no service fingerprint for 7002"
t_same "normal output: the SF-Port fingerprint block (date and time masked)" \
    "$T/silent.nmap.fp" "$T/silent.prtip.fp"

# ssl-cert: nmap's script (run by name) and prtip's, text and elements.
dump_cert() {
    python3 - "$1" <<'EOF'
import sys, xml.etree.ElementTree as ET
for port in ET.parse(sys.argv[1]).getroot().iter("port"):
    # nmap's ssl-cert also speaks STARTTLS (Exim's 25); prtip reports the
    # certificates of TLS tunnels only.
    if port.get("portid") not in ("443", "4433"):
        continue
    for s in port.iter("script"):
        if s.get("id") != "ssl-cert":
            continue
        print(port.get("portid"), "output", repr(s.get("output")))
        def walk(e, pre):
            for c in e:
                k = pre + "/" + (c.get("key") or "-")
                if c.tag == "table":
                    walk(c, k)
                else:
                    print(port.get("portid"), k, repr(c.text or ""))
        walk(s, "")
EOF
}
dump_cert "$T/main.nmap.xml" >"$T/cert.nmap"
dump_cert "$T/main.prtip.xml" >"$T/cert.prtip"
[ -s "$T/cert.nmap" ] || t_fail "nmap's ssl-cert gave nothing to compare"
t_same "ssl-cert on 443 and 4433 (output and elements)" "$T/cert.nmap" "$T/cert.prtip"

# Better than nmap only where nmap's probes are too old: nmap's answer is
# the port table's, prtip's comes through a modern handshake and says so.
python3 "$HERE/dump_services.py" "$T/modern.nmap.xml" >"$T/modern.nmap.svc"
python3 "$HERE/dump_services.py" "$T/modern.prtip.xml" >"$T/modern.prtip.svc"
grep -q '^993/tcp | open | name=imaps | .*tunnel= | method=table | conf=3' "$T/modern.nmap.svc" ||
    t_fail "nmap's answer on 993 is not imaps? any more: $(cat "$T/modern.nmap.svc")"
grep -q '^993/tcp | open | name=imap | product=Dovecot imapd | .*tunnel=ssl | method=probed' \
    "$T/modern.prtip.svc" || t_fail "prtip on 993: $(cat "$T/modern.prtip.svc")"
python3 - "$T/modern.prtip.json" <<'EOF' || t_fail "993: the JSON does not mark the difference"
import json, sys
p = json.load(open(sys.argv[1]))["hosts"][0]["ports"][0]
assert "modern TLS" in p["service_detail"]["differs_from_nmap"], p
assert p["tls"]["protocol"] == "TLSv1.3", p["tls"]
EOF
t_pass "993 (TLS 1.3 only): nmap imaps?, prtip ssl/imap Dovecot imapd, marked as differing"

# Certificate facts in JSON against openssl x509.
{
    echo "sha256 $(openssl x509 -in "$SVC_CERT" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' |
        tr 'A-F' 'a-f')"
    echo "serial $(openssl x509 -in "$SVC_CERT" -noout -serial | sed 's/.*=//')"
    echo "not_before $(date -u -d "$(openssl x509 -in "$SVC_CERT" -noout -startdate | sed 's/.*=//')" +%s)"
    echo "not_after $(date -u -d "$(openssl x509 -in "$SVC_CERT" -noout -enddate | sed 's/.*=//')" +%s)"
    echo "spki_sha256 $(openssl x509 -in "$SVC_CERT" -noout -pubkey | openssl pkey -pubin -outform DER |
        openssl dgst -sha256 | sed 's/.*= //')"
    echo "san $(openssl x509 -in "$SVC_CERT" -noout -ext subjectAltName | tail -n 1 | sed 's/^ *//')"
    echo "key rsa 2048"
    echo "self_signed True"
    echo "chain_len 1"
} >"$T/x509.expected"
python3 - "$T/main.prtip.json" >"$T/x509.got" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
port = next(p for h in doc["hosts"] for p in h["ports"] if p["port"] == 443)
t = port["tls"]
print("sha256", t["sha256"])
print("serial", t["serial"])
print("not_before", t["not_before"])
print("not_after", t["not_after"])
print("spki_sha256", t["spki_sha256"])
print("san", ", ".join(t["san"]))
print("key", t["key_type"], t["key_bits"])
print("self_signed", t["self_signed"])
print("chain_len", t["chain_len"])
assert t["protocol"].startswith("TLSv1"), t["protocol"]
assert t["cipher"] and len(t["ja3s"]) == 32, t
assert t["alpn"] == "http/1.1", t.get("alpn")
assert port["service_detail"]["probe"] and port["service_detail"]["line"] > 0
EOF
t_same "certificate facts (JSON) against openssl x509" "$T/x509.expected" "$T/x509.got"
t_log "nmap $(grep -o 'scanned in [0-9.]* seconds' "$T/main.nmap.nmap"), prtip $(grep -o 'scanned in [0-9.]* seconds' "$T/main.prtip.nmap")"
