#!/usr/bin/env python3
"""pcapng.py FILE — read a PCAPNG file (draft-ietf-opsawg-pcapng) strictly and
print one line per frame: "DIR LINK SRC DST PROTO SPORT DPORT FLAGS TS_NS",
DIR = out/in from epb_flags, FLAGS = TCP flags as letters (SAFRPU) or "-".
Then a summary line "# frames N idbs M tsresol R". Exits 1 on any malformed
block (wrong trailer length, EPB before its IDB, bad magic), so a test that
counts frames also checks the file's structure."""
import ipaddress
import struct
import sys


def fail(msg):
    print(f"pcapng.py: {msg}", file=sys.stderr)
    sys.exit(1)


def decode(link, d):
    if link == 1:  # Ethernet
        if len(d) < 14:
            return None
        et = struct.unpack(">H", d[12:14])[0]
        d = d[14:]
        if et not in (0x0800, 0x86DD):
            return ("eth%04x" % et, "-", "-", "-", "-", "-")
    elif link != 101:
        return None
    if not d:
        return None
    v = d[0] >> 4
    if v == 4:
        hl = (d[0] & 15) * 4
        src, dst, proto = ipaddress.ip_address(d[12:16]), ipaddress.ip_address(d[16:20]), d[9]
        l4 = d[hl:]
    elif v == 6:
        src, dst, proto = ipaddress.ip_address(d[8:24]), ipaddress.ip_address(d[24:40]), d[6]
        l4 = d[40:]
    else:
        return None
    sp = dp = "-"
    flags = "-"
    if proto in (6, 17) and len(l4) >= 4:
        sp, dp = struct.unpack(">HH", l4[:4])
    if proto == 6 and len(l4) >= 14:
        f = l4[13]
        flags = "".join(c for b, c in ((2, "S"), (16, "A"), (1, "F"), (4, "R"), (8, "P"), (32, "U")) if f & b) or "."
    name = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6"}.get(proto, str(proto))
    return (str(src), str(dst), name, str(sp), str(dp), flags)


def main():
    data = open(sys.argv[1], "rb").read()
    off = 0
    idbs = []
    nframes = 0
    tsresol = None
    if len(data) < 28 or struct.unpack("<I", data[:4])[0] != 0x0A0D0D0A:
        fail("no section header block")
    if struct.unpack("<I", data[8:12])[0] != 0x1A2B3C4D:
        fail("byte-order magic is not little-endian host order")
    while off < len(data):
        if off + 12 > len(data):
            fail(f"truncated block at {off}")
        btype, blen = struct.unpack("<II", data[off:off + 8])
        if blen < 12 or blen % 4 or off + blen > len(data):
            fail(f"bad block length {blen} at {off}")
        if struct.unpack("<I", data[off + blen - 4:off + blen])[0] != blen:
            fail(f"trailing length differs at {off}")
        body = data[off + 8:off + blen - 4]
        if btype == 1:
            link = struct.unpack("<H", body[:2])[0]
            res = None
            o = 8
            while o + 4 <= len(body):
                code, ln = struct.unpack("<HH", body[o:o + 4])
                if code == 0:
                    break
                if code == 9:
                    res = body[o + 4]
                o += 4 + ((ln + 3) & ~3)
            if res != 9:
                fail("interface without if_tsresol=9 (nanoseconds)")
            tsresol = res
            idbs.append(link)
        elif btype == 6:
            ifid, hi, lo, cap, orig = struct.unpack("<IIIII", body[:20])
            if ifid >= len(idbs):
                fail(f"packet for interface {ifid} before its description")
            pkt = body[20:20 + cap]
            o = 20 + ((cap + 3) & ~3)
            direction = "?"
            while o + 4 <= len(body):
                code, ln = struct.unpack("<HH", body[o:o + 4])
                if code == 0:
                    break
                if code == 2:
                    fl = struct.unpack("<I", body[o + 4:o + 8])[0] & 3
                    direction = {1: "in", 2: "out"}.get(fl, "?")
                o += 4 + ((ln + 3) & ~3)
            dec = decode(idbs[ifid], pkt) or ("?",) * 6
            print(direction, idbs[ifid], *dec, (hi << 32) | lo)
            nframes += 1
        off += blen
    print(f"# frames {nframes} idbs {len(idbs)} tsresol {tsresol}")


main()
