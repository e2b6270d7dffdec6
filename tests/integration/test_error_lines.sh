#!/usr/bin/env bash
# Errors are one line, with the file and the reason, and the exit status
# says bad input (1) from runtime failure (2) (issue 10, point 6).
#
#   -oX /dev/full, -oX /proc/version   libxml2 printed its own "I/O error"
#                  lines before prtip's, which did not name the file
#   a full disk    (a 64 KiB tmpfs this test mounts and fills): the file and
#                  "No space left on device", exit 2, and the other outputs
#                  still complete documents
#   a target holding a newline         echoed over two lines
#   -oX - -oJ -    two documents interleaved on stdout: refused
#   -S ::1 with an IPv4 target (and the reverse): silently ignored; refused
#
# Loopback only; the tmpfs part needs root (skipped without).
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: $T_NAME: prtip's messages" >&2; exit 77; }

scan=(-sT -n -Pn -p 1-50 127.0.0.1)
t_expect_error full 2 '^prtip: cannot write /dev/full: No space left on device$' "${scan[@]}" -oX /dev/full
t_expect_error proc 2 '^prtip: cannot write /proc/version: ' "${scan[@]}" -oX /proc/version
t_expect_error fulljson 2 '^prtip: cannot write /dev/full: No space left on device$' "${scan[@]}" -oJ /dev/full
t_expect_error nodir 1 "^prtip: cannot write $T/no/such.xml: No such file or directory\$" "${scan[@]}" -oX "$T/no/such.xml"
t_expect_error newline 1 "'127\\.0\\.0\\.1\\\\nfoo' is not an address" -sT -n -Pn -p 80 $'127.0.0.1\nfoo'
t_expect_error twostdout 1 'only one format can go to standard output' "${scan[@]}" -oX - -oJ -
t_expect_error onefile 1 'two formats cannot share one file' "${scan[@]}" -oX "$T/a" -oJ "$T/a"
t_expect_error src6 1 '^prtip: -S ::1 is an IPv6 address, but target 127\.0\.0\.1 is IPv4' -sS -n -Pn -p 80 -S ::1 127.0.0.1
t_expect_error src4 1 '^prtip: -S 127\.0\.0\.1 is an IPv4 address, but target ::1 is IPv6' -sS -n -Pn -p 80 -S 127.0.0.1 ::1
t_expect_error badopt 1 'unrecognized|unknown|invalid' "${scan[@]}" --max-retries x

if [ "$(id -u)" -ne 0 ]; then
    t_log "not root: full-disk (tmpfs) part skipped"
    echo "PASS: $T_NAME (without the tmpfs part)"
    exit 0
fi
mkdir "$T/mnt"
mount -t tmpfs -o size=64k prtip-full "$T/mnt" || t_fail "cannot mount a tmpfs"
t_cleanup umount "$T/mnt"
dd if=/dev/zero of="$T/mnt/fill" bs=4k 2>/dev/null || true # until full
t_expect_error disk 2 "^prtip: cannot write $T/mnt/scan.xml: No space left on device\$" \
    "${scan[@]}" -oX "$T/mnt/scan.xml" -oJ "$T/ok.json" -oN "$T/ok.nmap"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/ok.json" ||
    t_fail "disk: the JSON output on the other disk is not a complete document"
t_pass "disk: the JSON output on the other disk is a complete document"

# The disk fills during the scan: one page left, 40 hosts of XML need more.
rm -f "$T/mnt/fill" "$T/mnt/scan.xml"
dd if=/dev/zero of="$T/mnt/fill" bs=4k count=15 2>/dev/null
scan=(-sT -n -Pn -p 1-5 127.0.0.1-40)
t_expect_error diskmid 2 "^prtip: cannot write $T/mnt/scan.xml: No space left on device\$" \
    "${scan[@]}" -oX "$T/mnt/scan.xml" -oX "$T/ok.xml" -oJ "$T/ok.json"
[ -s "$T/mnt/scan.xml" ] || t_fail "diskmid: the disk was full before the scan (the test's sizes are off)"
t_xml_valid "$T/ok.xml"
[ "$(t_results xml "$T/ok.xml" --what hosts | wc -l)" -eq 40 ] || t_fail "diskmid: the XML on the other disk lacks hosts"
[ "$(t_results json "$T/ok.json" --what hosts | wc -l)" -eq 40 ] || t_fail "diskmid: the JSON on the other disk lacks hosts"
t_pass "diskmid: the outputs on the other disk have all 40 hosts"
echo "PASS: $T_NAME"
