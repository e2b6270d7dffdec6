#!/usr/bin/env python3
"""Print an output file (FORMAT: xml, json, gnmap, ndjson, csv) with its host
records sorted, everything else in place: for comparing a db export with the
live file when the raw engine handed hosts over as they completed (the store
keeps arrival order, the live outputs target order; docs/STORAGE.md)."""
import json
import re
import sys


def sort_in_place(items, is_host):
    hosts = sorted(x for x in items if is_host(x))
    it = iter(hosts)
    return [next(it) if is_host(x) else x for x in items]


def main():
    fmt, path = sys.argv[1], sys.argv[2]
    text = open(path, encoding="utf-8", errors="surrogateescape").read()
    if fmt == "xml":
        parts = re.split(r"(<host\b.*?</host>\n?)", text, flags=re.S)
        out = "".join(sort_in_place(parts, lambda p: p.startswith("<host")))
    elif fmt == "json":
        doc = json.loads(text)

        def walk(o):
            if isinstance(o, dict):
                for k, v in o.items():
                    if k == "hosts" and isinstance(v, list):
                        v.sort(key=lambda h: json.dumps(h, sort_keys=True))
                    walk(v)
            elif isinstance(o, list):
                for v in o:
                    walk(v)
        walk(doc)
        out = json.dumps(doc, sort_keys=True, indent=1) + "\n"
    elif fmt in ("gnmap", "ndjson", "csv"):
        lines = text.splitlines(keepends=True)
        if fmt == "gnmap":
            is_host = lambda l: l.startswith("Host: ")
        elif fmt == "csv":
            is_host = lambda l, first=lines[0] if lines else None: l is not first
        else:
            def is_host(l):
                try:
                    return "ip" in json.loads(l)  # host and port records
                except ValueError:
                    return False
        out = "".join(sort_in_place(lines, is_host))
    else:
        sys.exit(f"host_order.py: unknown format {fmt}")
    sys.stdout.write(out)


main()
