# shellcheck shell=bash
# tests/lab/services.sh — real Debian services for -sV tests and benchmarks,
# run inside a lab namespace (tests/lab/lib.sh) from a scratch directory,
# never on the host. Source after lib.sh; every daemon runs in the
# foreground under `ip netns exec`, so lab_down's kill of the namespace's
# processes stops them.
#
#   svc_up DIR NS ADDR [ADDR6]
#                        start every service whose daemon is installed, bound
#                        to ADDR in NS, with its files in DIR; sets
#                        SVC_TCP_PORTS (comma list of the ports started),
#                        SVC_CERT (the self-signed certificate nginx serves,
#                        PEM), SVC_UDP_PORTS (the UDP ports) and SVC_NAMES
#                        (port=what lines, for messages). With ADDR6, OpenSSH
#                        and nginx listen on it too (22, 80, 443).
#   svc_nginx DIR NS ADDR
#                        nginx alone (80, 8081 HTTP; 443, 4433 HTTPS with a
#                        self-signed certificate); ADDR 0.0.0.0 serves every
#                        local address (an AnyIP prefix). SVC_NGINX_CONNS
#                        (default 512) sets its worker_connections and listen
#                        backlog (one listening socket serves the whole prefix).
#
# Ports: 25 Exim, 22 OpenSSH, 80 nginx HTTP, 443 nginx HTTPS, 8081 nginx HTTP on a
# non-standard port, 4433 nginx HTTPS on a non-standard port (nmap finds it
# through the ssl re-run, not the port table), 21 vsftpd, 6379 redis,
# 11211 memcached, 53 dnsmasq (TCP and UDP), UDP 123 chronyd, UDP 161 snmpd,
# 993 IMAP over TLS 1.2+ only, 7002 a listener that greets with a banner no rule knows, 7000 a listener that accepts and closes (tcpwrapped),
# 7001 a listener that accepts and never speaks.

SVC_DIR_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

svc_log() { printf 'services: %s\n' "$*" >&2; }

# Wait until ADDR:PORT accepts in NS (up to ~5 s).
svc_wait_port() {
    local ns="$1" addr="$2" port="$3" i
    for i in $(seq 1 50); do
        if ip netns exec "$ns" python3 -c 'import socket,sys
s=socket.create_connection((sys.argv[1],int(sys.argv[2])),0.2); s.close()' "$addr" "$port" \
            2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    svc_log "nothing listens on $addr:$port in $ns"
    return 1
}

svc_add() { # PORT WHAT
    SVC_TCP_PORTS="${SVC_TCP_PORTS:+$SVC_TCP_PORTS,}$1"
    SVC_NAMES="${SVC_NAMES}$1=$2"$'\n'
}

svc_sshd() {
    local dir="$1" ns="$2" addr="$3"
    [ -x /usr/sbin/sshd ] || return 0
    mkdir -p /run/sshd
    ssh-keygen -q -t ed25519 -N '' -f "$dir/ssh_host_ed25519_key" </dev/null || return 1
    cat >"$dir/sshd_config" <<EOF
Port 22
ListenAddress $addr
${SVC_ADDR6:+ListenAddress [$SVC_ADDR6]}
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
UsePAM no
PasswordAuthentication no
EOF
    ip netns exec "$ns" /usr/sbin/sshd -D -f "$dir/sshd_config" -E "$dir/sshd.log" >/dev/null 2>&1 </dev/null &
    svc_wait_port "$ns" "$addr" 22 && svc_add 22 "OpenSSH"
}

svc_nginx() {
    local dir="$1" ns="$2" addr="$3"
    [ -x /usr/sbin/nginx ] || return 0
    mkdir -p "$dir/nginx"
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -keyout "$dir/nginx/key.pem" \
        -out "$dir/nginx/cert.pem" -subj "/CN=lab.prtip.test/O=prtip lab/C=XX" \
        -addext "subjectAltName=DNS:lab.prtip.test,IP:$addr" 2>/dev/null || return 1
    SVC_CERT="$dir/nginx/cert.pem"
    local v6http="" v6https="" bl="backlog=${SVC_NGINX_CONNS:-511}"
    if [ -n "${SVC_ADDR6:-}" ]; then
        v6http="listen [$SVC_ADDR6]:80;"
        v6https="listen [$SVC_ADDR6]:443 ssl;"
    fi
    cat >"$dir/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log;
worker_rlimit_nofile $((2 * ${SVC_NGINX_CONNS:-512} + 64));
events { worker_connections ${SVC_NGINX_CONNS:-512}; }
http {
    access_log off;
    client_body_temp_path $dir/nginx/body;
    proxy_temp_path $dir/nginx/proxy;
    fastcgi_temp_path $dir/nginx/fastcgi;
    uwsgi_temp_path $dir/nginx/uwsgi;
    scgi_temp_path $dir/nginx/scgi;
    ssl_certificate $dir/nginx/cert.pem;
    ssl_certificate_key $dir/nginx/key.pem;
    server { listen $addr:80 $bl; listen $addr:8081 $bl; $v6http location / { return 200 "lab\n"; } }
    server { listen $addr:443 ssl $bl; listen $addr:4433 ssl $bl; $v6https location / { return 200 "lab\n"; } }
}
EOF
    ip netns exec "$ns" /usr/sbin/nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" \
        >/dev/null 2>"$dir/nginx/stderr" </dev/null &
    svc_wait_port "$ns" "$addr" 80 || return 1
    svc_add 80 "nginx HTTP"
    svc_add 443 "nginx HTTPS"
    svc_add 8081 "nginx HTTP, non-standard port"
    svc_add 4433 "nginx HTTPS, non-standard port"
}

svc_vsftpd() {
    local dir="$1" ns="$2" addr="$3"
    [ -x /usr/sbin/vsftpd ] || return 0
    mkdir -p /var/run/vsftpd/empty
    cat >"$dir/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=$addr
background=NO
anonymous_enable=NO
local_enable=NO
secure_chroot_dir=/var/run/vsftpd/empty
xferlog_enable=NO
EOF
    ip netns exec "$ns" /usr/sbin/vsftpd "$dir/vsftpd.conf" >/dev/null 2>"$dir/vsftpd.err" </dev/null &
    svc_wait_port "$ns" "$addr" 21 && svc_add 21 "vsftpd"
}

svc_exim() {
    local dir="$1" ns="$2" addr="$3"
    [ -x /usr/sbin/exim4 ] || return 0
    # Debian's configuration; -oX makes it listen on the lab address only.
    ip netns exec "$ns" /usr/sbin/exim4 -bdf -oX "$addr.25" -oP "$dir/exim.pid" \
        >"$dir/exim.log" 2>&1 </dev/null &
    svc_wait_port "$ns" "$addr" 25 && svc_add 25 "Exim"
}

svc_redis() {
    local dir="$1" ns="$2" addr="$3"
    [ -x /usr/bin/redis-server ] || return 0
    ip netns exec "$ns" /usr/bin/redis-server --bind "$addr" --port 6379 --daemonize no \
        --save '' --appendonly no --dir "$dir" --protected-mode no --logfile "$dir/redis.log" >/dev/null 2>&1 </dev/null &
    svc_wait_port "$ns" "$addr" 6379 && svc_add 6379 "redis"
}

svc_memcached() {
    local dir="$1" ns="$2" addr="$3"
    [ -x /usr/bin/memcached ] || return 0
    ip netns exec "$ns" /usr/bin/memcached -u nobody -l "$addr" -p 11211 -U 0 >/dev/null 2>&1 </dev/null &
    svc_wait_port "$ns" "$addr" 11211 && svc_add 11211 "memcached"
}

# Port 993: an IMAP server that speaks TLS 1.3 only and drops the
# connection (no alert) on a ClientHello without supported_versions, as
# servers configured for modern TLS only do; nmap 7.93's SSLv3/TLS 1.0/1.2
# session probes get nothing there (issue 11 point 6).
svc_modern_tls() {
    local dir="$1" ns="$2" addr="$3"
    [ -n "$SVC_CERT" ] || return 0
    cat >"$dir/modern_tls.py" <<'EOF'
import socket, ssl, sys, threading
addr, cert, key = sys.argv[1:4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_cert_chain(cert, key)
BANNER = b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Dovecot ready.\r\n"
def modern(h):
    """A TLS ClientHello record with the supported_versions extension."""
    if len(h) < 5 + 4 + 2 + 32 + 1 or h[0] != 0x16 or h[5] != 1:
        return False
    o = 5 + 4 + 2 + 32
    o += 1 + h[o]
    o += 2 + (h[o] << 8 | h[o + 1])
    o += 1 + h[o]
    end = o + 2 + (h[o] << 8 | h[o + 1])
    o += 2
    while o + 4 <= min(end, len(h)):
        if (h[o] << 8 | h[o + 1]) == 43:
            return True
        o += 4 + (h[o + 2] << 8 | h[o + 3])
    return False
def serve(c):
    try:
        c.settimeout(10)
        head = c.recv(5, socket.MSG_PEEK | socket.MSG_WAITALL)
        if len(head) < 5 or head[0] != 0x16:
            c.close(); return
        want = 5 + (head[3] << 8 | head[4])
        h = c.recv(want, socket.MSG_PEEK | socket.MSG_WAITALL)
        if not modern(h):
            c.close(); return
        t = ctx.wrap_socket(c, server_side=True)
        t.sendall(BANNER)
        while t.recv(4096):
            pass
        t.close()
    except Exception:
        c.close()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, 993)); s.listen(128)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
    ip netns exec "$ns" python3 "$dir/modern_tls.py" "$addr" "$SVC_CERT" "$dir/nginx/key.pem" \
        >"$dir/modern_tls.log" 2>&1 </dev/null &
    svc_wait_port "$ns" "$addr" 993 && svc_add 993 "IMAP over TLS 1.3 only (old hellos dropped)"
}

# Python listeners: 7000 accepts and closes at once; 7001 accepts and stays
# silent until the client leaves.
svc_listeners() {
    local dir="$1" ns="$2" addr="$3"
    cat >"$dir/listeners.py" <<'EOF'
import selectors, socket, sys
addr = sys.argv[1]
sel = selectors.DefaultSelector()
def listen(port, mode):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(512); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, mode)
listen(7000, "close"); listen(7001, "silent"); listen(7002, "banner")
while True:
    for key, _ in sel.select():
        if key.data in ("close", "silent", "banner"):
            c, _ = key.fileobj.accept()
            if key.data == "close":
                c.close()
            else:
                if key.data == "banner":
                    try:  # a port scan's connect may be gone already
                        c.send(b"prtip-lab unknown service v1\r\n\x00\x017 [ok]\t(x)|\xfe\n")
                    except OSError:
                        c.close()
                        continue
                c.setblocking(False); sel.register(c, selectors.EVENT_READ, "held")
        else:
            try:
                d = key.fileobj.recv(65536)
            except OSError:
                d = b""
            if not d:
                sel.unregister(key.fileobj); key.fileobj.close()
EOF
    ip netns exec "$ns" python3 "$dir/listeners.py" "$addr" >/dev/null 2>&1 </dev/null &
    svc_wait_port "$ns" "$addr" 7001 || return 1
    svc_add 7000 "accept-and-close listener (tcpwrapped)"
    svc_add 7001 "silent listener"
    svc_add 7002 "unknown service with a banner (fingerprint)"
}

# UDP (and DNS over TCP): dnsmasq on 53, chronyd on 123, snmpd on 161.
svc_udp_wait() { # NS PORT
    local i
    for i in $(seq 1 50); do
        [ "$(ip netns exec "$1" ss -Huln "sport = :$2" | wc -l)" -gt 0 ] && return 0
        sleep 0.1
    done
    svc_log "nothing listens on udp $2 in $1"
    return 1
}

svc_udp() {
    local dir="$1" ns="$2" addr="$3"
    SVC_UDP_PORTS=""
    if [ -x /usr/sbin/dnsmasq ]; then
        ip netns exec "$ns" /usr/sbin/dnsmasq --keep-in-foreground --no-resolv --no-hosts \
            --conf-file=/dev/null --bind-interfaces --listen-address="$addr" --port=53 \
            --user=root --pid-file="$dir/dnsmasq.pid" >"$dir/dnsmasq.log" 2>&1 </dev/null &
        svc_udp_wait "$ns" 53 && svc_wait_port "$ns" "$addr" 53 || return 1
        svc_add 53 "dnsmasq (DNS over TCP)"
        SVC_UDP_PORTS="53"
    fi
    if [ -x /usr/sbin/chronyd ]; then
        printf 'allow all\nlocal stratum 10\ncmdport 0\nbindaddress %s\npidfile %s\ndriftfile %s\n' \
            "$addr" "$dir/chronyd.pid" "$dir/chrony.drift" >"$dir/chrony.conf"
        ip netns exec "$ns" /usr/sbin/chronyd -x -d -f "$dir/chrony.conf" >"$dir/chronyd.log" 2>&1 \
            </dev/null &
        svc_udp_wait "$ns" 123 || return 1
        SVC_UDP_PORTS="${SVC_UDP_PORTS:+$SVC_UDP_PORTS,}123"
    fi
    if [ -x /usr/sbin/snmpd ]; then
        printf 'rocommunity public default\n' >"$dir/snmpd.conf"
        ip netns exec "$ns" /usr/sbin/snmpd -f -Lf "$dir/snmpd.log" -C -c "$dir/snmpd.conf" \
            -p "$dir/snmpd.pid" "udp:$addr:161" >/dev/null 2>&1 </dev/null &
        svc_udp_wait "$ns" 161 || return 1
        SVC_UDP_PORTS="${SVC_UDP_PORTS:+$SVC_UDP_PORTS,}161"
    fi
}

svc_up() {
    local dir="$1" ns="$2" addr="$3"
    SVC_ADDR6="${4:-}"
    SVC_TCP_PORTS=""
    SVC_NAMES=""
    SVC_CERT=""
    svc_sshd "$dir" "$ns" "$addr" || return 1
    svc_nginx "$dir" "$ns" "$addr" || return 1
    svc_vsftpd "$dir" "$ns" "$addr" || return 1
    svc_exim "$dir" "$ns" "$addr" || return 1
    svc_redis "$dir" "$ns" "$addr" || return 1
    svc_memcached "$dir" "$ns" "$addr" || return 1
    svc_modern_tls "$dir" "$ns" "$addr" || return 1
    svc_udp "$dir" "$ns" "$addr" || return 1
    svc_listeners "$dir" "$ns" "$addr" || return 1
}
