#!/usr/bin/env bash
# Bad command lines: prtip exits 1 and prints exactly one line on stderr,
# "prtip: ...", that names the offending input; nothing is scanned.
#
# nmap (when it is the binary under test) differs on several of these (it
# scans 0 hosts and exits 0 for an unresolvable/empty target list, assumes
# /32 for /33, exits 255 for unknown options, prints "QUITTING!"); for nmap
# the test checks nmap's own documented behaviour instead, so the harness
# itself is validated.
#
# Parse errors send no packets; still, every case runs in a fresh network
# namespace where only lo is up (ip netns as root, else unshare -rn; skipped
# when neither is possible, since a buggy parser could scan 10.0.0.0).
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"

IN=()
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null; then
    NS="prtip-cli-$$"
    t_cleanup ip netns del "$NS"
    ip netns add "$NS"
    ip -n "$NS" link set lo up
    IN=(ip netns exec "$NS")
elif unshare -rn true 2>/dev/null; then
    # Unprivileged: a user + network namespace of our own, lo brought up inside.
    IN=(unshare -rn sh -c 'ip link set lo up 2>/dev/null; exec "$@"' sh)
else
    # A buggy parser could scan 10.0.0.0 for real: never run these unsandboxed.
    echo "SKIP: $T_NAME needs root or unprivileged user namespaces (unshare -rn)" >&2
    exit 77
fi

: >"$T/empty.lst"
printf '# only a comment\n\n' >"$T/comment.lst"

# name | args | regex the prtip line must match (the input named) | nmap rc | nmap stderr regex
CASES=(
    "port range|-p 0-70000 127.0.0.1|70000|1|between 0 and 65535"
    "bad octet|10.0.0.300|10\\.0\\.0\\.300|0|Failed to resolve \"10\\.0\\.0\\.300\""
    "bad prefix|10.0.0.0/33|10\\.0\\.0\\.0/33|0|Illegal netmask in \"10\\.0\\.0\\.0/33\""
    "timing template|-T9 127.0.0.1|-?T ?9|'9'|-T9|1|Unknown timing mode"
    "unknown option|--bogus-option 127.0.0.1|--bogus-option|255|unrecognized option '--bogus-option'"
    "no targets||[Nn]o targets|0|No targets were specified"
    "missing -iL file|-iL /nonexistent|/nonexistent|1|Failed to open input file /nonexistent"
    "empty -iL file|-iL $T/empty.lst|$T/empty\\.lst|0|No targets were specified"
    "bad --host-timeout|--host-timeout 5x 127.0.0.1|5x|1|Bogus --host-timeout"
)

fails=0
n=0
for c in "${CASES[@]}"; do
    IFS='|' read -r -a f <<<"$c"
    name="${f[0]}"
    args="${f[1]}"
    nmap_re="${f[${#f[@]} - 1]}"
    nmap_rc="${f[${#f[@]} - 2]}"
    # The prtip regex may itself contain '|' (alternatives): re-join the middle.
    prtip_re="$(IFS='|'; echo "${f[*]:2:${#f[@]}-4}")"
    n=$((n + 1))
    rc=0
    # shellcheck disable=SC2086 # args are word-split on purpose
    timeout -k 2 15 "${IN[@]}" "$BIN" -sT -Pn -n $args >"$T/out" 2>"$T/err" </dev/null || rc=$?
    lines="$(grep -c . "$T/err" || true)"
    err="$(cat "$T/err")"
    problem=""
    if [ "$IS_PRTIP" = 1 ]; then
        [ "$rc" -eq 1 ] || problem="exit status $rc, expected 1"
        if [ -z "$problem" ] && [ "$lines" -ne 1 ]; then
            problem="$lines lines on stderr, expected exactly 1"
        fi
        if [ -z "$problem" ] && ! grep -Eq "^prtip: " "$T/err"; then
            problem="stderr line does not start with 'prtip: '"
        fi
        if [ -z "$problem" ] && ! grep -Eq -- "$prtip_re" "$T/err"; then
            problem="stderr does not name the input (/$prtip_re/)"
        fi
        if [ -z "$problem" ] && grep -q "scan report for" "$T/out"; then
            problem="it scanned anyway"
        fi
    else
        [ "$rc" -eq "$nmap_rc" ] || problem="nmap exit status $rc, expected $nmap_rc"
        if [ -z "$problem" ] && ! grep -Eq -- "$nmap_re" "$T/err"; then
            problem="nmap stderr does not match /$nmap_re/"
        fi
    fi
    if [ -n "$problem" ]; then
        printf 'not ok: %s (%s): %s\n    stderr: %s\n' "$name" "${args:-<no arguments>}" "$problem" \
            "$(printf '%s' "$err" | head -c 600 | sed '2,$s/^/            /')" >&2
        fails=$((fails + 1))
    else
        t_pass "$name: exit $rc, \"$(head -n 1 "$T/err")\""
    fi
done

# Positive control: a valid command line in the same sandbox succeeds, so the
# failures above come from parsing, not from the environment.
rc=0
timeout -k 2 30 "${IN[@]}" "$BIN" -sT -Pn -n -p 1 127.0.0.1 >"$T/out" 2>"$T/err" </dev/null || rc=$?
if [ "$rc" -ne 0 ]; then
    printf 'not ok: control (-sT -Pn -n -p 1 127.0.0.1): exit %s: %s\n' "$rc" "$(head -c 400 "$T/err")" >&2
    fails=$((fails + 1))
else
    t_pass "control: valid command line exits 0"
fi

[ "$fails" -eq 0 ] || t_fail "$fails of $((n + 1)) cases failed"
echo "PASS: $T_NAME"
