#!/usr/bin/env bash
# -sV against hostile services (issue 11 point 7) costs bounded time and
# memory and never crashes: in a lab namespace, listeners that flood
# endless data, trickle one byte every 50 ms forever, send a 10 MB banner
# and close, stall a TLS handshake after the first bytes of a ServerHello
# ("ssl" from the probes, then nothing through the tunnel), and reset every
# connection. prtip -sV must finish within 30 s with every port reported
# open, peak RSS under 200 MB (600 MB under ASan), and -oX valid.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: prtip's limits" >&2; exit 77; }
t_need_root
t_need /usr/bin/time
t_lab_up

cat >"$T/hostile.py" <<'EOF'
import selectors, socket, struct, sys, time
addr = sys.argv[1]
sel = selectors.DefaultSelector()
def listen(port, mode):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(512); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, ("listen", mode))
for port, mode in ((7101, "flood"), (7102, "trickle"), (7103, "big"), (7104, "tlsstall"),
                   (7105, "reset")):
    listen(port, mode)
conns = {}
chunk = b"A" * 65536
# A TLS record header and the start of a ServerHello, then silence.
hello = bytes.fromhex("160303004a020000460303") + b"\x11" * 20
while True:
    for key, ev in sel.select(timeout=0.05):
        kind, mode = key.data
        if kind == "listen":
            c, _ = key.fileobj.accept()
            c.setblocking(False)
            if mode == "reset":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()
                continue
            if mode == "big":
                c.setblocking(True)
                try:
                    c.sendall(b"B" * (10 << 20))
                except OSError:
                    pass
                c.close()
                continue
            if mode == "tlsstall":
                try:
                    c.send(hello)
                except OSError:
                    pass
            conns[c] = mode
            sel.register(c, selectors.EVENT_READ, ("conn", mode))
        else:
            try:
                d = key.fileobj.recv(65536)
            except OSError:
                d = b""
            if not d:
                sel.unregister(key.fileobj); conns.pop(key.fileobj, None); key.fileobj.close()
    for c, mode in list(conns.items()):
        try:
            if mode == "flood":
                c.send(chunk)
            elif mode == "trickle":
                c.send(b"x")
        except OSError:
            pass
EOF
ip netns exec "$LAB_TGT" python3 "$T/hostile.py" "$LAB_TGT_V4" >"$T/hostile.log" 2>&1 &
t_cleanup "kill $! 2>/dev/null"
for _ in $(seq 1 50); do
    [ "$(ip netns exec "$LAB_TGT" ss -Hltn 'sport = :7105' | wc -l)" -gt 0 ] && break
    sleep 0.1
done

start=$(date +%s)
ip netns exec "$LAB_SCAN" timeout -k 5 90 /usr/bin/time -v -o "$T/time.txt" \
    "$BIN" -sT -sV -n -Pn -p 7101-7105 "$LAB_TGT_V4" -oX "$T/out.xml" >"$T/out.txt" \
    2>"$T/err.txt" || t_fail "prtip exited $?: $(head -c 500 "$T/err.txt")"
elapsed=$(($(date +%s) - start))
rss_kb="$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$T/time.txt")"
t_log "finished in ${elapsed}s, peak RSS $((rss_kb / 1024)) MB"
[ "$elapsed" -le 30 ] || t_fail "took ${elapsed}s (limit 30s)"
# AddressSanitizer's shadow memory and quarantine triple a process's RSS.
limit_mb=200
ldd "$BIN" 2>/dev/null | grep -q libasan && limit_mb=600
[ "$rss_kb" -le $((limit_mb * 1024)) ] || t_fail "peak RSS ${rss_kb} kB (limit $limit_mb MB)"
t_xml_valid "$T/out.xml"
for port in 7101 7102 7103 7104 7105; do
    grep -q "^$port/tcp *open " "$T/out.txt" || t_fail "$port not reported open: $(cat "$T/out.txt")"
done
t_pass "hostile services: flood, trickle, 10 MB banner, stalled TLS, resets: ${elapsed}s, $((rss_kb / 1024)) MB"
