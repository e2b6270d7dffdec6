#!/usr/bin/env bash
# Input files cannot silently lose lines (issue 10, point 5).
#
# In --excludefile and -iL a NUL byte used to end its line for the parser
# (so "198.18.0.2<NUL> 198.18.0.3" excluded .2 only and .3 got scanned),
# and a read that ran out of memory was taken for the end of the file. Any
# control byte is now an error naming FILE:LINE, and a failed read is an
# error. Data files (nmap-services, nmap-payloads): a FIFO in the data
# directory used to block the run for ever, a NUL byte ended the file
# there, and a read that did not return the file's size went unnoticed.
#
# List scans (-sL -n) and data-file loading only: no packets. The
# nmap-payloads part needs root (-sU); the out-of-memory part needs a binary
# that runs under `ulimit -v` (not the ASan build): each is skipped without.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: $T_NAME: prtip's file checks" >&2; exit 77; }

printf '198.18.0.1\n198.18.0.2\0 198.18.0.3\n' >"$T/nul.txt"
t_expect_error exclnul 1 "nul\\.txt:2: byte 0x00 cannot be part of a target" \
    -sL -n 198.18.0.0/29 --excludefile "$T/nul.txt"
t_expect_error ilnul 1 "nul\\.txt:2: byte 0x00 cannot be part of a target" -sL -n -iL "$T/nul.txt"
printf '198.18.0.1\n\n198.18.0.2 \001198.18.0.3\n' >"$T/ctl.txt"
t_expect_error exclctl 1 "ctl\\.txt:3: byte 0x01" -sL -n 198.18.0.0/29 --excludefile "$T/ctl.txt"
t_expect_error ilstdin 1 "standard input:2: byte 0x00" -sL -n -iL - <"$T/nul.txt"

# Text files still work, from a pipe too, CRLF and comments included.
printf '198.18.0.1 # one\r\n198.18.0.2,3\r\n\r\n198.18.0.6' >"$T/ok.txt"
t_scan_ok excl -sL -n 198.18.0.0/29 --excludefile "$T/ok.txt"
grep -o 'report for [0-9.]*' "$T/excl.out" | awk '{ print $3 }' >"$T/excl.hosts"
printf '198.18.0.0\n198.18.0.4\n198.18.0.5\n198.18.0.7\n' >"$T/excl.want"
t_same "hosts left by a CRLF --excludefile" "$T/excl.want" "$T/excl.hosts"
cat "$T/ok.txt" | "$BIN" -sL -n -iL - >"$T/pipe.out" 2>"$T/pipe.err" || t_fail "-iL - from a pipe failed: $(cat "$T/pipe.err")"
[ "$(grep -c 'report for' "$T/pipe.out")" -eq 4 ] || t_fail "-iL - from a pipe: $(grep -c 'report for' "$T/pipe.out") hosts, not 4"
t_pass "-iL - from a pipe: 4 hosts"

# Out of memory while reading: an error, never the end of the file. A
# sparse 1 GiB file after the exclusions, under a 512 MiB address space.
if (ulimit -v 524288 && exec "$BIN" --version >/dev/null 2>&1); then
    printf '198.18.0.1\n' >"$T/big.txt"
    truncate -s 1G "$T/big.txt"
    rc=0
    (ulimit -v 524288 && exec timeout -k 2 20 "$BIN" -sL -n 198.18.0.0/29 --excludefile "$T/big.txt") \
        >"$T/oom.out" 2>"$T/oom.err" || rc=$?
    [ "$rc" -eq 1 ] || t_fail "oom: exit $rc, expected 1: $(head -c 300 "$T/oom.err")"
    grep -q "cannot read target file '$T/big.txt': Cannot allocate memory" "$T/oom.err" ||
        t_fail "oom: no clear error: $(head -c 300 "$T/oom.err")"
    t_pass "oom: $(cat "$T/oom.err")"
else
    t_log "the binary does not run under ulimit -v (ASan?): out-of-memory part skipped"
fi

# Data files: a FIFO does not block, a NUL byte and a short read are errors.
D="$T/data"
mkdir "$D"
mkfifo "$D/nmap-services"
t_expect_error svcfifo 1 "cannot read $D/nmap-services: not a regular file" --datadir "$D" -sT -n -p 80 127.0.0.1
rm "$D/nmap-services"
{ head -n 100 /usr/share/nmap/nmap-services; printf 'http\t80/tcp\t0.48\0junk\n'; tail -n +101 /usr/share/nmap/nmap-services; } >"$D/nmap-services"
t_expect_error svcnul 1 "$D/nmap-services:101: NUL byte" --datadir "$D" -sT -n -p 80 127.0.0.1
# /proc files say size 0 and read more: a read that is not st_size bytes.
ln -sf /proc/self/status "$D/nmap-services"
t_expect_error svcsize 1 "cannot read $D/nmap-services: got [0-9]+ bytes of 0" --datadir "$D" -sT -n -p 80 127.0.0.1
if [ "$(id -u)" -eq 0 ]; then
    rm "$D/nmap-services"
    cp /usr/share/nmap/nmap-services "$D/"
    mkfifo "$D/nmap-payloads"
    t_expect_error payfifo 1 "cannot read $D/nmap-payloads: not a regular file" --datadir "$D" -sU -n -Pn -p 53 127.0.0.1
fi
echo "PASS: $T_NAME"
