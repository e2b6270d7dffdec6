#!/usr/bin/env bash
# One bad name does not abort the scan (issue 9, point 4): an unresolvable
# host name on the command line or in -iL gets nmap's warning
# 'Failed to resolve "name".' on stderr and the other targets are scanned,
# exit 0; -iL words that are not targets are reported with FILE:LINE and
# skipped; nothing scannable at all is exit 1 for prtip (nmap scans 0 hosts
# and exits 0, checked as such when nmap is the binary under test).
#
# Names must never reach a real resolver: everything runs in a namespace of
# our own with only lo up and a private resolv.conf naming 127.0.0.1 (no DNS
# server there, so lookups fail at once) and a private hosts file
# (ip netns exec bind-mounts /etc/netns/NS/{resolv.conf,hosts}).
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
command -v ip >/dev/null || { echo "SKIP: needs iproute2" >&2; exit 77; }

NS="prtip-bn-$$"
t_cleanup ip netns del "$NS"
t_cleanup rm -rf "/etc/netns/$NS"
ip netns add "$NS"
ip -n "$NS" link set lo up
mkdir -p "/etc/netns/$NS"
echo "nameserver 127.0.0.1" >"/etc/netns/$NS/resolv.conf"
printf '127.0.0.1 localhost\n127.0.0.3 goodname.prtip-test\n' >"/etc/netns/$NS/hosts"
IN=(ip netns exec "$NS")

run() { # NAME ARGS... -> $T/NAME.{out,err,rc}
    local name=$1 rc=0
    shift
    timeout -k 2 30 "${IN[@]}" "$BIN" -sT -Pn -n -p 22 "$@" >"$T/$name.out" 2>"$T/$name.err" \
        </dev/null || rc=$?
    echo "$rc" >"$T/$name.rc"
}
expect_rc() { # NAME RC
    [ "$(cat "$T/$1.rc")" -eq "$2" ] ||
        t_fail "$1: exit $(cat "$T/$1.rc"), expected $2; stderr: $(head -c 400 "$T/$1.err")"
}
expect_err() { # NAME FIXED-STRING
    grep -qF -- "$2" "$T/$1.err" || t_fail "$1: stderr lacks '$2': $(head -c 400 "$T/$1.err")"
}
reports() { # NAME ADDR: a scan report for ADDR
    grep -Eq "scan report for ([^ ]+ \()?$2\)?\$" "$T/$1.out" ||
        t_fail "$1: no report for $2: $(head -c 400 "$T/$1.out")"
}

# Command line: bad name between two good targets (one of them a name).
run cmdline nosuchname.invalid 127.0.0.1 goodname.prtip-test
expect_rc cmdline 0
expect_err cmdline 'Failed to resolve "nosuchname.invalid".'
reports cmdline 127.0.0.1
reports cmdline 127.0.0.3
t_pass "command line: bad name warned (nmap's line), 2 other targets scanned, exit 0"

# -iL: an unresolvable name and two junk words among good lines.
printf '127.0.0.1\nnosuch.invalid\n# a comment\nfoo!bar\n10.0.0.300 127.0.0.2 # c\n' >"$T/targets.lst"
run file -iL "$T/targets.lst"
expect_rc file 0
expect_err file 'Failed to resolve "nosuch.invalid".'
reports file 127.0.0.1
reports file 127.0.0.2
if [ "$IS_PRTIP" = 1 ]; then
    expect_err file "$T/targets.lst:4: 'foo!bar'"
    expect_err file "$T/targets.lst:5: "
    grep -F "$T/targets.lst:5: " "$T/file.err" | grep -qF '10.0.0.300' ||
        t_fail "file: line 5 warning does not name 10.0.0.300"
    t_pass "-iL: bad name warned, junk words reported with file:line, the rest scanned"
else
    expect_err file 'Failed to resolve "foo!bar".'
    t_pass "-iL (nmap): every unusable word is 'Failed to resolve', the rest scanned"
fi

# Nothing scannable: prtip exits 1 with one error line after the warnings.
run none nosuch.invalid
expect_err none 'Failed to resolve "nosuch.invalid".'
if [ "$IS_PRTIP" = 1 ]; then
    expect_rc none 1
    expect_err none 'prtip: no target could be scanned'
    grep -q "scan report" "$T/none.out" && t_fail "none: scanned something"
    t_pass "only bad names: exit 1 with 'no target could be scanned'"
else
    expect_rc none 0
    expect_err none 'No targets were specified'
    t_pass "only bad names (nmap): 0 hosts scanned, exit 0"
fi

# A syntax error on the command line is still a usage error (exit 1).
if [ "$IS_PRTIP" = 1 ]; then
    run syntax 10.0.0.300 127.0.0.1
    expect_rc syntax 1
    grep -q "scan report" "$T/syntax.out" && t_fail "syntax: scanned anyway"
    t_pass "bad octet on the command line: exit 1, nothing scanned"
fi
echo "PASS: $T_NAME"
