# bench/lib.sh — what every benchmark script parses the same way. Source it
# after setting ROOT (the repository), then call bench_args "$@":
#   --no-write     print the markdown only (WRITE=0; default WRITE=1)
#   --only X       one part of a script that has several (ONLY=X)
#   -h, --help     the script's header comment (its lines 2.. up to the
#                  first line that is not a comment), then exit 0
#   anything else  the prtip binary (PRTIP, made absolute; default
#                  $ROOT/build/prtip)
# shellcheck shell=bash

bench_help() {
    awk 'NR == 1 { next } /^#/ { print; next } { exit }' "$0"
}

bench_args() {
    WRITE=1
    ONLY=""
    PRTIP=""
    while [ $# -gt 0 ]; do
        case "$1" in
        --no-write) WRITE=0; shift ;;
        --only) ONLY="${2:?--only needs the part to run}"; shift 2 ;;
        -h | --help) bench_help; exit 0 ;;
        *) PRTIP="$1"; shift ;;
        esac
    done
    PRTIP="$(realpath -m "${PRTIP:-$ROOT/build/prtip}")"
}
