#!/usr/bin/env python3
"""What changed between two scans, as comparable facts, one per line (sorted):

  host ADDR added|removed
  port ADDR PORT/PROTO STATE_A STATE_B     (a side without the port: unknown)

usage: dbfacts.py ndiff FILE   ndiff's text output (nmap's ndiff A.xml B.xml)
       dbfacts.py prtip FILE   prtip db compare A B --json
"""
import json
import re
import sys


def from_ndiff(text):
    facts = set()
    host = None
    mark = " "
    ports = {}

    def flush():
        if host is not None and mark == " ":
            for spec, (a, b) in ports.items():
                facts.add(f"port {host} {spec} {a or 'unknown'} {b or 'unknown'}")

    for line in text.splitlines():
        # " 198.18.0.2, 3A:21:78:29:08:FF:" or "+name (198.18.0.2):"
        m = re.match(r"^([ +-])(.+):$", line)
        if m and not line[1:].startswith(("PORT", "Host", "Not shown", "Nmap", "prtip")):
            flush()
            mark, name = m.group(1), m.group(2)
            paren = re.search(r"\((\S+)\)", name)
            host = paren.group(1) if paren else name.split(",")[0].strip()
            ports = {}
            continue
        if host is None:
            continue
        if line[1:] == "Host is up." and line[0] in "+-":
            facts.add(f"host {host} {'added' if line[0] == '+' else 'removed'}")
            continue
        m = re.match(r"^([+-])(\d+/\w+)\s+(\S+)", line)
        if m:
            a, b = ports.get(m.group(2), (None, None))
            if m.group(1) == "-":
                a = m.group(3)
            else:
                b = m.group(3)
            ports[m.group(2)] = (a, b)
    flush()
    return facts


def from_prtip(doc):
    facts = set()
    for h in doc["hosts_added"]:
        facts.add(f"host {h['addr']} added")
    for h in doc["hosts_removed"]:
        facts.add(f"host {h['addr']} removed")
    for h in doc["hosts_changed"]:
        for p in h["ports"]:
            facts.add(f"port {h['addr']} {p['port']}/{p['protocol']} {p['a']['state']} {p['b']['state']}")
    return facts


def main():
    kind, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        facts = from_ndiff(f.read()) if kind == "ndiff" else from_prtip(json.load(f))
    for fact in sorted(facts):
        print(fact)


if __name__ == "__main__":
    main()
