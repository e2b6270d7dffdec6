# shellcheck shell=bash
# tests/integration/helpers/common.sh — shared setup for integration tests.
#
# A test is run as `bash tests/integration/test_x.sh BINARY` (CTest passes
# build/prtip; nmap works too: its command line is the same). Source this,
# then call `t_init "$@"`. Provides:
#
#   BIN           the scanner under test (absolute path)
#   IS_PRTIP      1 for prtip, 0 when BIN is nmap (nmap-only deviations are gated on it)
#   SRC           repository root ($PRTIP_SRC or derived from this file)
#   T             a private temporary directory, removed on exit
#   t_cleanup CMD...   run CMD at exit (LIFO), also on failure/interrupt
#   t_fail MSG         print "FAIL: test: MSG" and exit 1
#   t_pass MSG         print "ok: MSG"
#   t_same WHAT EXPECTED_FILE GOT_FILE   fail with a diff unless equal
#   t_scan NAME [ip netns exec NS] ARGS...  run BIN with a 60 s timeout;
#                 stdout/stderr/rc in $T/NAME.{out,err,rc}; returns 0 always
#   t_results FMT FILE [--what W]   helpers/results.py
#   t_xml_valid FILE   xmllint against nmap.dtd (fails the test if invalid)
#   t_lab_up           lab_require + lab_up with a unique id, torn down at exit
#   t_expect_error NAME RC PATTERN ARGS...   t_scan, then fail unless exit RC
#                 and exactly one line on stderr matching PATTERN (grep -E)
#   t_private_lo  as root, a network namespace of the test's own with only lo
#                 up (deleted at exit): sets IN=(ip netns exec NS), empty when
#                 not root, so that loopback listeners and scans run as
#                 "${IN[@]}" CMD see nobody else's ports
#   t_listen FILE ARGS...   helpers/listen.py ARGS (stdout to FILE) in the
#                 background, in "${IN[@]}" if set, until exit; returns once
#                 it is ready

T_HELPERS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
T_NAME="$(basename "${0%.sh}")"
T_CLEANUPS=()

t_log() { printf '%s: %s\n' "$T_NAME" "$*" >&2; }
t_pass() { printf 'ok: %s\n' "$*"; }

t_fail() {
    printf 'FAIL: %s: %s\n' "$T_NAME" "$*" >&2
    exit 1
}

t_run_cleanups() {
    local rc=$? i
    set +e
    for ((i = ${#T_CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${T_CLEANUPS[$i]}" >/dev/null 2>&1
    done
    if [ -n "${T:-}" ] && [ -d "$T" ]; then
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "${PRTIP_KEEP_TMP:-}" ]; then
            t_log "kept $T"
        else
            rm -rf "$T"
        fi
    fi
    exit "$rc"
}

t_cleanup() { T_CLEANUPS+=("$*"); }

t_init() {
    if [ $# -lt 1 ] || [ -z "$1" ]; then
        echo "usage: bash $0 PATH-TO-SCANNER (build/prtip or /usr/bin/nmap)" >&2
        exit 1
    fi
    BIN="$1"
    case "$BIN" in /*) ;; *) BIN="$(command -v "$BIN" || echo "$PWD/$BIN")" ;; esac
    [ -x "$BIN" ] || t_fail "scanner binary '$1' not found or not executable"
    SRC="${PRTIP_SRC:-$(cd "$T_HELPERS/../../.." && pwd)}"
    IS_PRTIP=1
    # prtip's -V also has an "Nmap version X.Y-compatible" line (for
    # python3-nmap): it is nmap only when it does not say prtip first.
    if "$BIN" --version 2>/dev/null | head -n 1 | grep -q '^Nmap version'; then
        IS_PRTIP=0
    fi
    T="$(mktemp -d "/tmp/prtip-${T_NAME}.XXXXXX")"
    trap t_run_cleanups EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    export PRTIP_DATADIR="${PRTIP_DATADIR:-/usr/share/nmap}"
    t_log "scanner $BIN ($([ "$IS_PRTIP" = 1 ] && echo prtip || echo nmap))"
}

t_need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: $T_NAME needs root (network namespaces)" >&2
        exit 77
    fi
}

t_need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $T_NAME needs '$tool'" >&2; exit 77; }
    done
}

# t_scan NAME [ip netns exec NS] ARGS...: BIN runs in the namespace if the
# arguments start with "ip netns exec NS".
t_scan() {
    local name="$1"
    shift
    local pre=()
    if [ "${1:-}" = ip ] && [ "${2:-}" = netns ] && [ "${3:-}" = exec ]; then
        pre=(ip netns exec "$4")
        shift 4
    fi
    local rc=0
    printf '%s\n' "${pre[*]} $BIN $*" >"$T/$name.cmd"
    timeout -k 5 60 "${pre[@]}" "$BIN" "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
    echo "$rc" >"$T/$name.rc"
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        t_fail "$name: scanner timed out after 60 s: $(cat "$T/$name.cmd")"
    fi
    return 0
}

# t_scan_ok NAME ...: t_scan, then fail unless exit status 0.
t_scan_ok() {
    local name="$1"
    t_scan "$@"
    local rc
    rc="$(cat "$T/$name.rc")"
    if [ "$rc" -ne 0 ]; then
        t_log "command: $(cat "$T/$name.cmd")"
        t_log "stderr: $(head -c 2000 "$T/$name.err")"
        t_fail "$name: scanner exited $rc, expected 0"
    fi
}

t_expect_error() {
    local name="$1" want="$2" pat="$3"
    shift 3
    t_scan "$name" "$@"
    local rc lines
    rc="$(cat "$T/$name.rc")"
    lines="$(grep -c '' "$T/$name.err" || true)"
    [ "$rc" -eq "$want" ] || t_fail "$name: exit $rc, expected $want; stderr: $(cat "$T/$name.err")"
    [ "$lines" -eq 1 ] || t_fail "$name: $lines lines on stderr, expected one: $(cat "$T/$name.err")"
    grep -Eq "$pat" "$T/$name.err" || t_fail "$name: stderr does not match /$pat/: $(cat "$T/$name.err")"
    t_pass "$name: exit $rc: $(cat "$T/$name.err")"
}

t_private_lo() {
    IN=()
    if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null; then
        local ns="prtip-lo-$$"
        t_cleanup ip netns del "$ns"
        ip netns add "$ns" || t_fail "cannot create network namespace $ns"
        ip -n "$ns" link set lo up
        IN=(ip netns exec "$ns")
        t_log "running in private namespace $ns"
    else
        t_log "not root: using the host's loopback"
    fi
}

t_listen() {
    local file="$1" pid
    shift
    ${IN+"${IN[@]}"} python3 "$T_HELPERS/listen.py" "$@" >"$file" &
    pid=$!
    t_cleanup kill "$pid"
    for _ in $(seq 1 100); do
        grep -qx ready "$file" && return 0
        kill -0 "$pid" 2>/dev/null || t_fail "listener helper died: $(cat "$file")"
        sleep 0.1
    done
    t_fail "listener helper not ready after 10 s"
}

t_results() { python3 "$T_HELPERS/results.py" "$@"; }

t_xml_valid() {
    local f="$1" dtd="${PRTIP_DATADIR:-/usr/share/nmap}/nmap.dtd"
    [ -s "$f" ] || t_fail "XML output $f missing or empty"
    if ! command -v xmllint >/dev/null 2>&1; then
        t_log "xmllint not installed (libxml2-utils): only checking well-formedness"
        python3 -c 'import sys,xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$f" ||
            t_fail "$f is not well-formed XML"
        return 0
    fi
    [ -r "$dtd" ] || dtd=/usr/share/nmap/nmap.dtd
    if ! xmllint --noout --dtdvalid "$dtd" "$f" 2>"$T/xmllint.err"; then
        head -n 20 "$T/xmllint.err" >&2
        t_fail "$f does not validate against $dtd"
    fi
}

# t_same WHAT EXPECTED GOT: compare two files of sorted lines.
t_same() {
    local what="$1" exp="$2" got="$3"
    if ! diff -u "$exp" "$got" >"$T/diff.txt"; then
        echo "--- expected ($what)" >&2
        cat "$exp" >&2
        echo "--- got" >&2
        cat "$got" >&2
        echo "--- diff -u expected got" >&2
        cat "$T/diff.txt" >&2
        t_fail "$what differs from expectation"
    fi
    t_pass "$what ($(wc -l <"$exp") lines)"
}

t_lab_up() {
    . "$T_HELPERS/../../lab/lib.sh"
    lab_require
    local id="t$$"
    t_cleanup lab_down "$id"
    lab_up "$id" >/dev/null || t_fail "could not bring up the lab (tests/lab/lib.sh)"
}
