#!/usr/bin/python3
"""dump_libnmap.py FILE.xml: what python3-libnmap reports for an nmap XML
file, one fact a line, in a form to diff against another scanner's file.
Host order is not part of the comparison (scanners finish hosts in any
order): hosts are sorted by address; ports by protocol and number. The
extraports are printed as libnmap keeps them (it keeps one <extraports>
element of a host, so their order in the file decides what it reports)."""
import sys

from libnmap.parser import NmapParser


def main():
    report = NmapParser.parse_fromfile(sys.argv[1])
    for h in sorted(report.hosts, key=lambda h: h.address):
        a = h.address
        print(f"host {a} ipv4={h.ipv4 or '-'} ipv6={h.ipv6 or '-'} status={h.status}")
        print(f"host {a} hostnames={','.join(h.hostnames) or '-'}")
        for s in sorted(h.services, key=lambda s: (s.protocol, s.port)):
            print(f"port {a} {s.protocol}/{s.port} state={s.state} reason={s.reason} "
                  f"reason_ttl={s.reason_ttl} service={s.service or '-'}")
        st = h.extraports_state or {}
        state = st.get("state") or {}
        print(f"extraports {a} state={state.get('state', '-')} count={state.get('count', '-')}")
        for r in h.extraports_reasons or []:
            print(f"extrareasons {a} reason={r.get('reason')} count={r.get('count')} "
                  f"proto={r.get('proto')} ports={r.get('ports')}")
    print(f"hosts total={report.hosts_total} up={report.hosts_up} down={report.hosts_down}")


if __name__ == "__main__":
    main()
