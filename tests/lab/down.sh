#!/usr/bin/env bash
# Remove a prtip test lab made by up.sh: kills what still runs in its
# namespaces and deletes them. Safe to run twice.
#
#   tests/lab/down.sh --id NAME      (or LAB_ID=NAME tests/lab/down.sh)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

id="${LAB_ID:-}"
while [ $# -gt 0 ]; do
    case "$1" in
    --id) id="${2:?--id needs a value}"; shift 2 ;;
    --id=*) id="${1#--id=}"; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "down.sh: unknown argument '$1'" >&2; exit 1 ;;
    esac
done
[ -n "$id" ] || { echo "down.sh: which lab? (--id NAME)" >&2; exit 1; }
lab_require
lab_down "$id"
