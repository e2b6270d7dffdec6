#!/usr/bin/env python3
"""Print one line per port of an nmap/prtip XML file with what -sV found:
port/proto state service name, product, version, extrainfo, hostname,
ostype, devicetype, tunnel, method, conf and the CPEs, so that two scanners'
files compare with diff. With --addr, each line starts with the host's
address (for scans of many hosts).

A value that changes by itself between two scans of the same service is
masked: memcached's "uptime N seconds", and the date and time in a service
fingerprint (servicefp, printed unwrapped).
"""
import re
import sys
import xml.etree.ElementTree as ET

FIELDS = ("name", "product", "version", "extrainfo", "hostname", "ostype", "devicetype",
          "tunnel", "method", "conf")


def mask(value):
    return re.sub(r"uptime \d+ seconds", "uptime N seconds", value)


def main(path, with_addr=False):
    root = ET.parse(path).getroot()
    for host in root.iter("host"):
        addr = host.find("address")
        for port in host.iter("port"):
            state = port.find("state").get("state")
            svc = port.find("service")
            parts = [f"{port.get('portid')}/{port.get('protocol')}", state]
            if with_addr:
                parts.insert(0, addr.get("addr") if addr is not None else "-")
            if svc is None:
                parts.append("-")
            else:
                for f in FIELDS:
                    parts.append(f"{f}={mask(svc.get(f, ''))}")
                parts.append("cpe=" + ",".join(c.text or "" for c in svc.findall("cpe")))
                fp = svc.get("servicefp")
                if fp:
                    fp = re.sub(r"%D=\d+/\d+%Time=[0-9A-F]+%", "%D=M/D%Time=T%", fp)
                    parts.append("servicefp=" + fp.replace("\nSF:", ""))
            print(" | ".join(parts))


if __name__ == "__main__":
    if sys.argv[1] == "--addr":
        main(sys.argv[2], with_addr=True)
    else:
        main(sys.argv[1])
