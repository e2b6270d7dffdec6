#!/usr/bin/env python3
"""wire.py — what a scan put on the wire, seen from inside the target's
namespace, and checks over it (tests/integration/test_raw_timing_opts.sh).

  wire.py capture IFACE OUT READY
      Capture every IPv4 frame in and out of IFACE (AF_PACKET, kernel
      receive timestamps) until SIGTERM; READY is created once the socket
      is bound. OUT gets one line per TCP, UDP or ICMP-error packet:
          t_ns dir proto src sport dst dport flags
      dir is "in" (to this namespace) or "out"; proto tcp, udp, or unreach
      for an ICMP destination unreachable, whose addresses and ports are
      those of the datagram it quotes (the probe), so replies match probes.

  wire.py check OUT KIND TEST [ARGS...]
      KIND: syn (-sS: TCP SYNs are the probes), connect (-sT: the same, but a
            SYN repeating an earlier one's address and source port is the
            kernel retransmitting that connect(), not a new probe), or udp (-sU).
      Prints what it measured; exits 1 when the property does not hold:
        ascending               per host, the first probe of each port comes
                                in ascending port order (-r)
        maxout N MS             never more than N probes outstanding: a probe
                                is outstanding from its arrival until its
                                reply leaves, or for MS ms if none does
        minout N MS [WITHIN]    at some moment at least N are outstanding
                                (among the probes of the first WITHIN ms)
        maxhosts N              at most N hosts between their first and last
                                probe at any moment (host groups)
        minhosts N              at some moment N hosts are
        gaps MS [MAXMS]         consecutive probes to one host are >= MS ms
                                apart (and, with MAXMS, the median gap of a
                                host is <= MAXMS) while two hosts overlap
        span HOST MS            HOST's probes span at most MS ms
        after A B               every probe of B comes after the last of A
        count HOST MIN          at least MIN probes to HOST
        mingap MS               some two consecutive probes (any hosts) are
                                less than MS ms apart
        maxgap HOST MS          no two consecutive probes to HOST more than
                                MS ms apart
"""
import heapq
import signal
import socket
import statistics
import struct
import sys

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = 35


def ip4(b):
    return socket.inet_ntoa(b)


def parse_ip(data):
    """(proto, src, sport, dst, dport, flags) of an IPv4 packet, or None."""
    if len(data) < 20 or data[0] >> 4 != 4:
        return None
    ihl = (data[0] & 15) * 4
    proto = data[9]
    src, dst = ip4(data[12:16]), ip4(data[16:20])
    l4 = data[ihl:]
    if proto == 6 and len(l4) >= 14:
        sport, dport = struct.unpack("!HH", l4[:4])
        return ("tcp", src, sport, dst, dport, l4[13])
    if proto == 17 and len(l4) >= 4:
        sport, dport = struct.unpack("!HH", l4[:4])
        return ("udp", src, sport, dst, dport, 0)
    if proto == 1 and len(l4) >= 8 and l4[0] == 3:
        inner = parse_ip(l4[8:])
        if inner:
            return ("unreach", inner[1], inner[2], inner[3], inner[4], l4[1])
    return None


def capture(iface, out, ready):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((iface, 0))
    lines = []
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    open(ready, "w").close()
    s.settimeout(0.2)
    while not stop:
        try:
            data, anc, _flags, addr = s.recvmsg(2048, socket.CMSG_SPACE(16))
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        if addr[1] != ETH_P_IP:
            continue
        t = None
        for lvl, typ, cd in anc:
            if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS and len(cd) >= 16:
                sec, nsec = struct.unpack("qq", cd[:16])
                t = sec * 1000000000 + nsec
        if t is None:
            t = 0
        d = data[14:] if len(data) > 14 and data[12:14] == b"\x08\x00" else data
        p = parse_ip(d)
        if not p:
            continue
        direction = "out" if addr[2] == PACKET_OUTGOING else "in"
        lines.append("%d %s %s %s %d %s %d %d" % (t, direction, p[0], p[1], p[2], p[3], p[4], p[5]))
    with open(out, "w") as f:
        f.write("\n".join(lines) + ("\n" if lines else ""))


def load(path, kind):
    """Probes [(t, host, port, key)] and reply times {key: [t...]}, by time."""
    probes, replies, seen = [], {}, set()
    retransmits = kind == "connect"
    kind = "syn" if retransmits else kind
    for line in open(path):
        t, d, proto, src, sport, dst, dport, flags = line.split()
        t, sport, dport, flags = int(t), int(sport), int(dport), int(flags)
        if d == "in" and kind == "syn" and proto == "tcp" and flags & 0x12 == 0x02:
            if retransmits and (dst, dport, sport) in seen:
                continue  # the kernel's SYN retransmission of one connect()
            seen.add((dst, dport, sport))
            probes.append((t, dst, dport, (dst, dport, sport)))
        elif d == "in" and kind == "udp" and proto == "udp":
            probes.append((t, dst, dport, (dst, dport, sport)))
        elif d == "out" and proto in ("tcp", "udp") and (kind == "syn") == (proto == "tcp"):
            if proto == "tcp" and not flags & 0x04 and flags & 0x12 != 0x12:
                continue  # neither RST nor SYN-ACK
            replies.setdefault((src, sport, dport), []).append(t)
        elif d == "out" and proto == "unreach":
            replies.setdefault((dst, dport, sport), []).append(t)
    probes.sort()
    return probes, replies


def outstanding(probes, replies, ms):
    """Max and list of outstanding counts just after each probe arrives."""
    hold = ms * 1000000
    ends = []
    for t, _h, _p, key in probes:
        later = [r for r in replies.get(key, []) if r >= t]
        ends.append(min(later[0], t + hold) if later else t + hold)
    counts, live = [], []
    for i, (t, _h, _p, _k) in enumerate(probes):
        heapq.heappush(live, ends[i])
        while live and live[0] <= t:
            heapq.heappop(live)
        counts.append(len(live))
    return counts


def spans(probes):
    sp = {}
    for t, h, _p, _k in probes:
        a, b = sp.get(h, (t, t))
        sp[h] = (min(a, t), max(b, t))
    return sp


def overlap_max(sp):
    ev = []
    for a, b in sp.values():
        ev.append((a, 1))
        ev.append((b, -1))
    ev.sort(key=lambda e: (e[0], -e[1]))
    cur = best = 0
    for _t, d in ev:
        cur += d
        best = max(best, cur)
    return best


def check(path, kind, test, args):
    probes, replies = load(path, kind)
    if not probes:
        print("no probes captured")
        return False
    hosts = sorted({h for _t, h, _p, _k in probes})
    print("%d probes to %d host(s)" % (len(probes), len(hosts)))
    if test == "ascending":
        ok = True
        for h in hosts:
            seen, order = set(), []
            for _t, hh, p, _k in probes:
                if hh == h and p not in seen:
                    seen.add(p)
                    order.append(p)
            good = order == sorted(order)
            print("%s: %d ports, first probes %s" % (h, len(order), "ascending" if good else "NOT ascending: %s" % order[:20]))
            ok = ok and good
        return ok
    if test in ("maxout", "minout"):
        n, ms = int(args[0]), float(args[1])
        if len(args) > 2:
            probes = [p for p in probes if p[0] - probes[0][0] <= float(args[2]) * 1e6]
        counts = outstanding(probes, replies, ms)
        print("at most %d probe(s) outstanding at once (a silent probe held %g ms)" % (max(counts), ms))
        return max(counts) <= n if test == "maxout" else max(counts) >= n
    if test in ("maxhosts", "minhosts"):
        n = int(args[0])
        m = overlap_max(spans(probes))
        print("at most %d host(s) probed at once" % m)
        return m <= n if test == "maxhosts" else m >= n
    if test == "gaps":
        ms = float(args[0])
        ok = True
        for h in hosts:
            ts = [t for t, hh, _p, _k in probes if hh == h]
            gaps = [(b - a) / 1e6 for a, b in zip(ts, ts[1:])]
            if not gaps:
                continue
            med = statistics.median(gaps)
            print("%s: %d probes, gaps min %.1f ms, median %.1f ms" % (h, len(ts), min(gaps), med))
            ok = ok and min(gaps) >= ms
            if len(args) > 1:
                ok = ok and med <= float(args[1])
        allts = [t for t, _h, _p, _k in probes]
        g = [(b - a) / 1e6 for a, b in zip(allts, allts[1:])]
        print("all hosts: min gap %.1f ms; hosts probed at once: %d" % (min(g) if g else 0, overlap_max(spans(probes))))
        return ok
    if test == "span":
        h, ms = args[0], float(args[1])
        sp = spans(probes)
        if h not in sp:
            print("%s: no probes" % h)
            return False
        s = (sp[h][1] - sp[h][0]) / 1e6
        print("%s: probes over %.0f ms" % (h, s))
        return s <= ms
    if test == "after":
        a, b = args
        sp = spans(probes)
        if a not in sp or b not in sp:
            return False
        print("%s: last probe %.0f ms before %s's first" % (a, (sp[b][0] - sp[a][1]) / 1e6, b))
        return sp[b][0] > sp[a][1]
    if test == "maxgap":
        h, ms = args[0], float(args[1])
        ts = [t for t, hh, _p, _k in probes if hh == h]
        gaps = [(b - a) / 1e6 for a, b in zip(ts, ts[1:])]
        if not gaps:
            print("%s: fewer than two probes" % h)
            return False
        print("%s: %d probes, longest gap %.0f ms" % (h, len(ts), max(gaps)))
        return max(gaps) <= ms
    if test == "mingap":
        allts = [t for t, _h, _p, _k in probes]
        g = min((b - a) / 1e6 for a, b in zip(allts, allts[1:]))
        print("shortest gap between two probes: %.2f ms" % g)
        return g < float(args[0])
    if test == "count":
        n = sum(1 for _t, h, _p, _k in probes if h == args[0])
        print("%s: %d probes" % (args[0], n))
        return n >= int(args[1])
    print("unknown test %s" % test)
    return False


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "capture":
        capture(sys.argv[2], sys.argv[3], sys.argv[4])
        return 0
    if len(sys.argv) >= 5 and sys.argv[1] == "check":
        return 0 if check(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
