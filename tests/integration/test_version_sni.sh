#!/usr/bin/env bash
# -sV sends the host name the user typed as TLS SNI, and nothing when the
# target is an address (issue 11 point 4). In a lab namespace nginx serves
# two certificates on one port: one.prtip.test's to a client that names
# it, default.prtip.test's to any other (no SNI), and logs the name each
# TLS connection sent. The name is given through a hosts file bind-mounted
# over /etc/hosts in a private mount namespace of the scanner side (the
# machine's resolver is never asked; the scanner namespace has no route out).
#
# By name: every TLS connection nginx saw named one.prtip.test (the later
# probes resuming the first handshake's session), prtip's
# ssl-cert subject is one.prtip.test's (XML and normal output), JSON tls.sni
# is the name, and nmap's ssl-cert on the same name shows the same subject.
# By address: no TLS connection sent a name, the subject is the default
# certificate's, and JSON has no sni.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: prtip's JSON and -sV" >&2; exit 77; }
t_need_root
t_need openssl unshare python3
[ -x /usr/sbin/nginx ] || { echo "SKIP: needs nginx-light (scripts/install-deps.sh)" >&2; exit 77; }
t_lab_up
NAME=one.prtip.test

mkdir -p "$T/nginx"
for cn in "$NAME" default.prtip.test; do
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout "$T/nginx/$cn.key" \
        -out "$T/nginx/$cn.pem" -subj "/CN=$cn/O=prtip sni" -addext "subjectAltName=DNS:$cn" \
        2>/dev/null || t_fail "openssl could not make the $cn certificate"
done
cat >"$T/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 256; }
http {
    log_format sni '\$ssl_protocol|\$ssl_server_name|\$status|\$ssl_session_reused';
    access_log $T/nginx/access.log sni;
    client_body_temp_path $T/nginx/body;
    proxy_temp_path $T/nginx/proxy;
    fastcgi_temp_path $T/nginx/fastcgi;
    uwsgi_temp_path $T/nginx/uwsgi;
    scgi_temp_path $T/nginx/scgi;
    server {
        listen $LAB_TGT_V4:443 ssl default_server;
        ssl_certificate $T/nginx/default.prtip.test.pem;
        ssl_certificate_key $T/nginx/default.prtip.test.key;
        location / { return 200 "default\n"; }
    }
    server {
        listen $LAB_TGT_V4:443 ssl;
        server_name $NAME;
        ssl_certificate $T/nginx/$NAME.pem;
        ssl_certificate_key $T/nginx/$NAME.key;
        location / { return 200 "one\n"; }
    }
}
EOF
ip netns exec "$LAB_TGT" /usr/sbin/nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" \
    >/dev/null 2>"$T/nginx/stderr" </dev/null &
. "$SRC/tests/lab/services.sh"
svc_wait_port "$LAB_TGT" "$LAB_TGT_V4" 443 || t_fail "nginx did not start: $(cat "$T/nginx/stderr")"

# The only name the scanner side knows, in its own /etc/hosts.
lab_check_addr "$LAB_TGT_V4" || t_fail "target $LAB_TGT_V4 is outside the lab"
printf '127.0.0.1 localhost\n%s %s\n' "$LAB_TGT_V4" "$NAME" >"$T/hosts"
named() { # TOOL ARGS...: run in the scanner namespace with $T/hosts as /etc/hosts
    timeout -k 5 60 ip netns exec "$LAB_SCAN" unshare -m sh -c \
        'mount --make-rprivate / && mount --bind "$1" /etc/hosts && shift && exec "$@"' \
        sh "$T/hosts" "$@"
}

# The log lines of TLS connections (nginx also logs plain HTTP sent to the
# TLS port, with no protocol) from line FROM on, as "protocol|name|status|r"
# (r: "r" when the connection resumed a session, else ".").
tls_lines() { tail -n +"$1" "$T/nginx/access.log" | awk -F'|' '$1 != "-" && $1 != ""'; }
json_sni() {
    python3 - "$1" <<'EOF'
import json, sys
sni = set()
def walk(o):
    if isinstance(o, dict):
        if isinstance(o.get("tls"), dict):
            sni.add(o["tls"].get("sni", "(none)"))
        for v in o.values():
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(json.load(open(sys.argv[1])))
print(" ".join(sorted(sni)) or "(no tls object)")
EOF
}
subject() { # XML FILE: ssl-cert's subject commonName on 443
    python3 - "$1" <<'EOF'
import sys, xml.etree.ElementTree as ET
for s in ET.parse(sys.argv[1]).getroot().iter("script"):
    if s.get("id") == "ssl-cert":
        for t in s.findall("table"):
            if t.get("key") == "subject":
                for e in t.findall("elem"):
                    if e.get("key") == "commonName":
                        print(e.text)
EOF
}

# By name.
from=$(($(wc -l <"$T/nginx/access.log" 2>/dev/null || echo 0) + 1))
named "$BIN" -sT -sV -n -Pn -p 443 "$NAME" -oX "$T/name.xml" -oJ "$T/name.json" -oN "$T/name.nmap" \
    >"$T/name.out" 2>"$T/name.err" || t_fail "prtip by name exited $?: $(head -c 500 "$T/name.err")"
grep -q "addr=\"$LAB_TGT_V4\"" "$T/name.xml" || t_fail "the name did not resolve to $LAB_TGT_V4"
grep -q "<hostname name=\"$NAME\" type=\"user\"" "$T/name.xml" || t_fail "no user hostname in XML"
tls_lines "$from" >"$T/name.tls"
[ -s "$T/name.tls" ] || t_fail "nginx logged no TLS connection from the scan by name"
if grep -v "^[^|]*|$NAME|" "$T/name.tls" >&2; then
    t_fail "TLS connections above (scan by name) did not send SNI $NAME"
fi
t_pass "by name: all $(wc -l <"$T/name.tls") TLS connections sent SNI $NAME"
# The probes after the port's first handshake resume its session (nmap
# keeps one SSL session per service too), under the same name.
grep -q '|r$' "$T/name.tls" || t_fail "no probe through TLS resumed the port's session"
t_pass "by name: $(grep -c '|r$' "$T/name.tls") of them resumed the port's first session"
[ "$(subject "$T/name.xml")" = "$NAME" ] ||
    t_fail "by name: ssl-cert subject is '$(subject "$T/name.xml")', not $NAME's certificate"
grep -q "Subject: commonName=$NAME/organizationName=prtip sni" "$T/name.nmap" ||
    t_fail "by name: normal output's ssl-cert subject is not $NAME's"
[ "$(json_sni "$T/name.json")" = "$NAME" ] ||
    t_fail "by name: JSON tls.sni is '$(json_sni "$T/name.json")', expected $NAME"
t_pass "by name: ssl-cert subject CN=$NAME (XML, normal), JSON tls.sni=$NAME"

# nmap, the reference, on the same name (ssl-cert alone: no -sV wait).
if command -v nmap >/dev/null; then
    named "$(command -v nmap)" -sT -n -Pn -p 443 --script ssl-cert "$NAME" -oX "$T/nmap.xml" \
        >/dev/null 2>"$T/nmap.err" || t_fail "nmap by name exited $?: $(head -c 300 "$T/nmap.err")"
    [ "$(subject "$T/nmap.xml")" = "$NAME" ] ||
        t_fail "nmap's ssl-cert subject by name is '$(subject "$T/nmap.xml")', prtip's $NAME"
    t_pass "nmap's ssl-cert by name shows the same subject"
fi

# By address: no SNI.
from=$(($(wc -l <"$T/nginx/access.log") + 1))
ip netns exec "$LAB_SCAN" timeout -k 5 60 "$BIN" -sT -sV -n -Pn -p 443 "$LAB_TGT_V4" \
    -oX "$T/addr.xml" -oJ "$T/addr.json" >"$T/addr.out" 2>"$T/addr.err" ||
    t_fail "prtip by address exited $?: $(head -c 500 "$T/addr.err")"
tls_lines "$from" >"$T/addr.tls"
[ -s "$T/addr.tls" ] || t_fail "nginx logged no TLS connection from the scan by address"
if grep -v '^[^|]*|-\{0,1\}|' "$T/addr.tls" >&2; then
    t_fail "TLS connections above (scan by address) sent a server name"
fi
[ "$(subject "$T/addr.xml")" = default.prtip.test ] ||
    t_fail "by address: ssl-cert subject is '$(subject "$T/addr.xml")', not the default certificate"
[ "$(json_sni "$T/addr.json")" = "(none)" ] ||
    t_fail "by address: JSON tls.sni is '$(json_sni "$T/addr.json")', expected none"
t_pass "by address: no SNI on $(wc -l <"$T/addr.tls") TLS connections, default certificate, no JSON sni"
