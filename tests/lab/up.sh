#!/usr/bin/env bash
# Bring up a prtip test lab (two network namespaces joined by a veth pair).
#
#   tests/lab/up.sh [--id NAME]        # default id: this script's PID
#   eval "$(tests/lab/up.sh --id demo)"   # then: ip netns exec "$LAB_SCAN" ...
#   tests/lab/down.sh --id demo
#
# Prints the lab's names and addresses as sourceable VAR=value lines. Addresses
# come from LAB_SCAN_V4, LAB_TGT_V4, LAB_V4_PLEN, LAB_SCAN_V6, LAB_TGT_V6,
# LAB_V6_PLEN (see lib.sh). Exit 77 without root/iproute2/nftables, 1 on failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

id=""
while [ $# -gt 0 ]; do
    case "$1" in
    --id) id="${2:?--id needs a value}"; shift 2 ;;
    --id=*) id="${1#--id=}"; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "up.sh: unknown argument '$1'" >&2; exit 1 ;;
    esac
done
case "$id" in
*[!A-Za-z0-9_.-]*) echo "up.sh: id '$id' may only contain letters, digits, '_', '.', '-'" >&2; exit 1 ;;
esac
lab_require
lab_up "${id:-$$}"
lab_print
