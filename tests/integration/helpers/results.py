#!/usr/bin/env python3
"""Normalise a scan's output file into sortable lines, so shell tests can diff.

usage: results.py {xml|json|gnmap} FILE [--what ports|hosts|runstats|extraports]

Lines printed (sorted):
  ports       ADDR PROTO PORT STATE REASON     (gnmap has no reason: "-")
  hosts       ADDR STATE                       (up/down)
  runstats    up=N down=N total=N              (xml, json when present)
  extraports  ADDR STATE COUNT
  reasons     ADDR PROTO PORT STATE REASON REASON_IP  (xml, json; "-": no reason_ip)
  hostreasons ADDR STATE REASON                       (xml, json)

XML is nmap's (-oX); JSON is prtip's -oJ document as described in
docs/OUTPUT.md (hosts[].address, hosts[].status, hosts[].ports[] with
protocol/port/state/reason, hosts[].extraports[] with state/count); greppable
is -oG. A file that does not parse is an error (exit 1, message on stderr).
"""
import json
import re
import sys
import xml.etree.ElementTree as ET


def fail(msg):
    print(f"results.py: {msg}", file=sys.stderr)
    sys.exit(1)


def from_xml(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        fail(f"{path}: not well-formed XML: {e}")
    if root.tag != "nmaprun":
        fail(f"{path}: root element is <{root.tag}>, expected <nmaprun>")
    out = {"ports": [], "hosts": [], "runstats": [], "extraports": [], "reasons": [],
           "hostreasons": []}
    for host in root.findall("host"):
        addr = None
        for a in host.findall("address"):
            if a.get("addrtype") in ("ipv4", "ipv6"):
                addr = a.get("addr")
        status = host.find("status")
        out["hosts"].append(f"{addr} {status.get('state') if status is not None else '?'}")
        if status is not None:
            out["hostreasons"].append(f"{addr} {status.get('state')} {status.get('reason')}")
        ports = host.find("ports")
        if ports is None:
            continue
        for p in ports.findall("port"):
            st = p.find("state")
            out["ports"].append(
                f"{addr} {p.get('protocol')} {p.get('portid')} {st.get('state')} {st.get('reason')}"
            )
            out["reasons"].append(
                f"{addr} {p.get('protocol')} {p.get('portid')} {st.get('state')} "
                f"{st.get('reason')} {st.get('reason_ip') or '-'}"
            )
        for e in ports.findall("extraports"):
            out["extraports"].append(f"{addr} {e.get('state')} {e.get('count')}")
    hs = root.find("runstats/hosts")
    if hs is not None:
        out["runstats"].append(f"up={hs.get('up')} down={hs.get('down')} total={hs.get('total')}")
    return out


def addr_of(h):
    a = h.get("address")
    if isinstance(a, dict):
        return a.get("addr") or a.get("address")
    if isinstance(a, list) and a:
        first = a[0]
        return first.get("addr") if isinstance(first, dict) else first
    return a


def state_of(h):
    s = h.get("status", h.get("state"))
    if isinstance(s, dict):
        return s.get("state")
    return s


def from_json(path):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: not valid JSON: {e}")
    if not isinstance(doc, dict) or not isinstance(doc.get("hosts"), list):
        fail(f"{path}: JSON document has no 'hosts' array")
    out = {"ports": [], "hosts": [], "runstats": [], "extraports": [], "reasons": [],
           "hostreasons": []}
    for h in doc["hosts"]:
        addr = addr_of(h)
        out["hosts"].append(f"{addr} {state_of(h)}")
        st = h.get("status")
        if isinstance(st, dict):
            out["hostreasons"].append(f"{addr} {st.get('state')} {st.get('reason')}")
        for p in h.get("ports", []):
            out["ports"].append(
                f"{addr} {p.get('protocol')} {p.get('port')} {p.get('state')} {p.get('reason')}"
            )
            out["reasons"].append(
                f"{addr} {p.get('protocol')} {p.get('port')} {p.get('state')} "
                f"{p.get('reason')} {p.get('reason_ip') or '-'}"
            )
        for e in h.get("extraports", []):
            out["extraports"].append(f"{addr} {e.get('state')} {e.get('count')}")
    rs = doc.get("runstats") or doc.get("summary") or {}
    hosts = rs.get("hosts", rs) if isinstance(rs, dict) else {}
    if isinstance(hosts, dict) and "up" in hosts:
        out["runstats"].append(
            f"up={hosts.get('up')} down={hosts.get('down')} total={hosts.get('total')}"
        )
    return out


def from_gnmap(path):
    out = {"ports": [], "hosts": [], "runstats": [], "extraports": [], "reasons": [],
           "hostreasons": []}
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        fail(f"{path}: {e}")
    for line in lines:
        if line.startswith("#") or not line.startswith("Host: "):
            continue
        m = re.match(r"Host: (\S+) \([^)]*\)\t(.*)$", line)
        if not m:
            fail(f"{path}: malformed line: {line!r}")
        addr, rest = m.groups()
        for field in rest.split("\t"):
            key, _, val = field.partition(": ")
            if key == "Status":
                out["hosts"].append(f"{addr} {val.lower()}")
            elif key == "Ports":
                for entry in val.split(", "):
                    parts = entry.split("/")
                    if len(parts) < 3:
                        fail(f"{path}: malformed port entry {entry!r}")
                    out["ports"].append(f"{addr} {parts[2]} {parts[0]} {parts[1]} -")
            elif key == "Ignored State":
                m2 = re.match(r"(\S+) \((\d+)\)", val)
                if m2:
                    out["extraports"].append(f"{addr} {m2.group(1)} {m2.group(2)}")
    return out


def main():
    if len(sys.argv) < 3:
        fail("usage: results.py {xml|json|gnmap} FILE [--what ports|hosts|runstats|extraports]")
    fmt, path = sys.argv[1], sys.argv[2]
    what = "ports"
    if len(sys.argv) >= 5 and sys.argv[3] == "--what":
        what = sys.argv[4]
    parse = {"xml": from_xml, "json": from_json, "gnmap": from_gnmap}.get(fmt)
    if parse is None:
        fail(f"unknown format {fmt}")
    res = parse(path)
    if what not in res:
        fail(f"unknown --what {what}")

    def key(line):
        f = line.split()
        return [int(x) if x.isdigit() else x for x in f]

    for line in sorted(set(res[what]), key=key):
        print(line)


if __name__ == "__main__":
    main()
