#!/usr/bin/env python3
"""TCP listeners for prtip's integration tests and benchmarks.

Binds listening sockets, prints what it bound, then accepts and immediately
closes every connection until killed (SIGTERM/SIGINT). Accepting keeps the
listen queue empty, so repeated scans never see a full backlog (which would
turn an open port into a silent, "filtered" one).

usage: listen.py --addr ADDR [--addr ADDR ...] [--random N] [--ports P,P,...]
                 [--closed N]

  --addr ADDR   address to bind (IPv4 or IPv6; repeatable)
  --random N    bind N listeners on kernel-chosen free ports, per address
  --ports LIST  bind these exact ports (comma list, ranges a-b), per address
  --closed N    also report N ports per address that are free right now
                (bound to port 0 and closed again; none of them is listening)

Output on stdout, one per line, then "ready":
  open ADDR PORT
  closed ADDR PORT
"""
import argparse
import ipaddress
import selectors
import signal
import socket
import sys


def parse_ports(text):
    ports = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            ports.extend(range(int(lo), int(hi) + 1))
        else:
            ports.append(int(part))
    return ports


def family(addr):
    return socket.AF_INET6 if ipaddress.ip_address(addr).version == 6 else socket.AF_INET


def make_socket(addr, port):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    if s.family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--addr", action="append", required=True)
    ap.add_argument("--random", type=int, default=0)
    ap.add_argument("--ports", default="")
    ap.add_argument("--closed", type=int, default=0)
    ap.add_argument("--backlog", type=int, default=1024)
    args = ap.parse_args()

    listeners = []
    lines = []
    fixed = parse_ports(args.ports)
    for addr in args.addr:
        for port in fixed:
            s = make_socket(addr, port)
            s.listen(args.backlog)
            listeners.append(s)
            lines.append(("open", addr, port))
        for _ in range(args.random):
            s = make_socket(addr, 0)
            s.listen(args.backlog)
            listeners.append(s)
            lines.append(("open", addr, s.getsockname()[1]))

    open_ports = {port for _, _, port in lines}
    for addr in args.addr:
        held = []
        found = []
        while len(found) < args.closed:
            s = make_socket(addr, 0)
            held.append(s)  # keep bound until done so ports are distinct
            port = s.getsockname()[1]
            if port not in open_ports and port not in found:
                found.append(port)
        for s in held:
            s.close()
        lines.extend(("closed", addr, p) for p in found)

    for kind, addr, port in lines:
        print(kind, addr, port)
    print("ready", flush=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    sel = selectors.DefaultSelector()
    for s in listeners:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    while True:
        if not listeners:
            signal.pause()
        for key, _ in sel.select():
            try:
                conn, _ = key.fileobj.accept()
                conn.close()
            except OSError:
                pass


if __name__ == "__main__":
    main()
