#!/usr/bin/env bash
# Storage benchmark in the namespace lab (tests/lab): the /17 x 3-port SYN
# scan of bench/syn.sh (b) — 198.18.128.0/17 local to the target (AnyIP),
# listeners on 22 (every address) and 443 (every 4th address, the others
# reset by nftables), 80 closed: 40,960 open of 98,304 probes — run
# without a store, with --db SQLite (a fresh file each run) and with --db
# PostgreSQL (a server started here: initdb as nobody, Unix socket, fsync
# on; a fresh database each run), interleaved, RUNS times each; and with
# each back end into a database that already holds HIST scans of the same
# workload (what nightly scans of one range meet: the database grows),
# one more scan per run.
#
#   sudo bash bench/store.sh [--no-write] [PRTIP_BINARY]   (default build/prtip)
#
# Per run: wall time of the scan (until prtip exits, i.e. until every row
# is committed), open ports in its -oG file, open ports read back from the
# database (prtip db query), and the writer's own figures from -d (rows,
# transactions, seconds spent writing: rows/s). Then prtip db compare of two
# stored /17 scans (the last two runs of each back end): wall time and peak
# RSS from /usr/bin/time -v. Medians. The markdown replaces the "store"
# section of docs/BENCHMARKS.md unless --no-write.
#
# Environment: RUNS (5), RATE (100000 pps, prtip --rate), HIST (20).
# Network safety: only prtip sends, inside two namespaces made here.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/tests/lab/lib.sh"
. "$ROOT/bench/lib.sh"
bench_args "$@"
RUNS="${RUNS:-5}"
RATE="${RATE:-100000}"
HIST="${HIST:-20}"
RANGE="198.18.128.0/17"
die() { echo "bench/store.sh: $*" >&2; exit 1; }
say() { echo "bench/store.sh: $*" >&2; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
lab_require || die "lab requirements missing"

W="$(mktemp -d /tmp/prtip-bench-store.XXXXXX)"
chmod 711 "$W"
PIDS=()
LAB=""
# helpers/pg.sh expects the integration tests' helpers.
T="$W"
T_NAME=bench-store
CLEANUPS=()
t_fail() { die "$*"; }
t_cleanup() { CLEANUPS+=("$*"); }
cleanup() {
    local p i
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${CLEANUPS[$i]}" >/dev/null 2>&1 || true; done
    [ -z "$LAB" ] || lab_down "$LAB"
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
. "$ROOT/tests/integration/helpers/pg.sh"

LAB="s$$"
lab_up "$LAB" >/dev/null || die "could not bring up the lab"
lab_anyip "$LAB_TGT" "$RANGE" || die "could not make $RANGE local"
ip netns exec "$LAB_TGT" sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.ip_forward=0 >/dev/null
lab_nft "$LAB_TGT" "
table inet prtip_lab {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $RANGE tcp dport 443 ip daddr & 0.0.0.3 != 0.0.0.0 reject with tcp reset
    }
}" || die "could not load the target's ruleset"
lab_listen "$LAB_TGT" "$W/listen.txt" --addr 0.0.0.0 --ports 22,443 --backlog 4096 || die "no listeners"
PIDS+=("$LAB_LISTEN_PID")

pg_start "$W/pg"
# The benchmark keeps fsync on (pg.sh turns it off for tests): restart with it.
runuser -u nobody -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
runuser -u nobody -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-k $PG_DIR/sock -c listen_addresses=" start >/dev/null || die "PostgreSQL restart failed"

# The databases with history: HIST scans of the workload stored first.
HIST_SQLITE="$W/history.db"
runuser -u nobody -- "$PG_BIN/createdb" -h "$PG_DIR/sock" -U prtip history || die createdb
HIST_PG="postgresql://prtip@/history?host=$PG_DIR/sock"
say "storing $HIST scans into each history database"
for db in "$HIST_SQLITE" "$HIST_PG"; do
    for k in $(seq 1 "$HIST"); do
        ip netns exec "$LAB_SCAN" "$PRTIP" -sS -Pn -n -p 22,80,443 --rate "$RATE" --db "$db" "$RANGE" \
            >/dev/null 2>&1 || die "history scan $k failed"
    done
done
# As a database that has been in use: statistics current, nothing left for
# autovacuum to start on during the first runs.
runuser -u nobody -- "$PG_BIN/psql" -h "$PG_DIR/sock" -U prtip -d history -qc "VACUUM ANALYZE" ||
    die "VACUUM ANALYZE failed"

# Before each run (every mode): a CHECKPOINT, and the server's autovacuum
# workers (the statistics and visibility upkeep after earlier runs' rows)
# let finish, at most 10 s, so that no run pays for the setup or upkeep of
# another (a new database's creation leaves ~8 MB that the checkpointer
# would otherwise write out during the scan that follows).
settle() {
    local i n
    runuser -u nobody -- "$PG_BIN/psql" -h "$PG_DIR/sock" -U prtip -d postgres -qc CHECKPOINT || true
    sleep 0.2
    for i in $(seq 1 100); do
        n=$(runuser -u nobody -- "$PG_BIN/psql" -h "$PG_DIR/sock" -U prtip -d postgres -qtAc \
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'") || return 0
        [ "$n" = 0 ] && return 0
        sleep 0.1
    done
}

scan() { # MODE RUN -> prints "wall open db_open rows txns write_s"
    local mode="$1" run="$2" db=() dbarg=""
    case "$mode" in
    sqlite) dbarg="$W/run$run.db"; rm -f "$dbarg"* ;;
    postgres)
        runuser -u nobody -- "$PG_BIN/createdb" -h "$PG_DIR/sock" -U prtip "run$run" || die createdb
        dbarg="postgresql://prtip@/run$run?host=$PG_DIR/sock" ;;
    sqlite-history) dbarg="$HIST_SQLITE" ;;
    postgres-history) dbarg="$HIST_PG" ;;
    esac
    [ -z "$dbarg" ] || db=(--db "$dbarg" -d)
    settle
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -f '%U %S' -o "$W/$mode$run.time" ip netns exec "$LAB_SCAN" "$PRTIP" -sS -Pn -n -p 22,80,443 --rate "$RATE" -oG "$W/$mode$run.gnmap" \
        "${db[@]}" "$RANGE" >/dev/null 2>"$W/$mode$run.err" || die "$mode run $run failed: $(tail -n 3 "$W/$mode$run.err")"
    t1=$(date +%s.%N)
    local open dbopen="-" rows="-" txns="-" ws="-" early="-" wcpu="-" wait="-" cpu
    open=$(grep -o '[0-9]*/open/' "$W/$mode$run.gnmap" | wc -l)
    if [ -n "$dbarg" ]; then
        dbopen=$(( $("$PRTIP" db --db "$dbarg" query --scan latest --state open | wc -l) - 1 ))
        read -r rows txns ws < <(sed -n 's/.*\[store\] scan [0-9]*: \([0-9]*\) rows in \([0-9]*\) transactions, \([0-9.]*\) s writing.*/\1 \2 \3/p' "$W/$mode$run.err")
        early=$(sed -n 's/.*\[raw\] \([0-9]*\) hosts delivered while the scan ran.*/\1/p' "$W/$mode$run.err")
        read -r wcpu wait < <(sed -n 's/.*\[store\] scan [0-9]*: .* \([0-9.]*\) s of CPU, .* the end waited \([0-9.]*\) s .*/\1 \2/p' "$W/$mode$run.err") || true
    fi
    cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$W/$mode$run.time")
    echo "$(python3 -c "print(f'{$t1 - $t0:.3f}')") $open $dbopen $rows $txns $ws ${early:-0} $cpu ${wcpu:--} ${wait:--}"
}

for run in $(seq 1 "$RUNS"); do
    for mode in none sqlite postgres sqlite-history postgres-history; do
        r="$(scan "$mode" "$run")"
        say "run $run $mode: wall open db_open rows txns write_s early = $r"
        echo "$mode $r" >>"$W/results"
    done
done

# db compare of two stored /17 scans: the first two of each history database.
CMP_SQLITE="$HIST_SQLITE"
CMP_PG="$HIST_PG"
for run in $(seq 1 "$RUNS"); do
    for db in "$CMP_SQLITE" "$CMP_PG"; do
        /usr/bin/time -v "$PRTIP" db --db "$db" compare 1 2 --json >"$W/cmp.json" 2>"$W/cmp.time" ||
            die "compare failed: $(tail -n 3 "$W/cmp.time")"
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$W/cmp.time")
        rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$W/cmp.time")
        echo "$([ "$db" = "$CMP_SQLITE" ] && echo sqlite || echo postgres) $wall $rss" >>"$W/compare"
        say "compare $db: ${wall}s ${rss} MiB"
    done
done

COMMIT="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$W/results" "$W/compare" "$RUNS" "$RATE" "$COMMIT" "$LOAD" "$HIST" >"$W/section.md" <<'PY'
import statistics as st, sys, platform, datetime
res, cmp, runs, rate, commit, load, hist = sys.argv[1:8]
rows = {}
for line in open(res):
    f = line.split()
    rows.setdefault(f[0], []).append(f[1:])
cm = {}
for line in open(cmp):
    f = line.split()
    cm.setdefault(f[0], []).append((float(f[1]), float(f[2])))
med = lambda xs: st.median(xs)
base = med([float(r[0]) for r in rows["none"]])
costs = {}
spread = max(float(r[0]) for r in rows["none"]) - min(float(r[0]) for r in rows["none"])
L = ["### Storage: SYN scan of 198.18.128.0/17 × 3 ports with and without `--db`", ""]
L.append(f"The bench/syn.sh (b) workload (40,960 open of 98,304 probes) at `--rate {int(rate):,}`, "
         f"{runs} runs of each configuration, interleaved; medians. Wall time is until prtip exits, "
         "i.e. until every row is committed. SQLite: a new file per run (WAL, synchronous=NORMAL). "
         "PostgreSQL 15: a server in the benchmark's directory on a Unix socket (fsync on, the "
         "locale of the machine: C.UTF-8), a new database per run; before each run of every configuration the benchmark runs a CHECKPOINT and waits for autovacuum's workers to finish (at most 10 s), so that no run pays for the setup or upkeep of another (a new database's creation leaves ~8 MB for the checkpointer to write). *-history*: into one database "
         f"that held {hist} scans of this workload before the first run (each run adds one: what "
         "a database meets when the same range is scanned every night). Rows: 32,768 hosts + 98,304 ports per scan. Rows/s: rows / time the "
         "writer thread spent in its transactions (prtip -d). CPU: user + system time of the prtip "
         "process (the PostgreSQL server's own CPU is not in it); writer CPU: the writer thread's "
         "share of it; end wait: how long the scan's end waited for the writer after every output "
         "was written (prtip -d).")
L.append("")
L.append("| store | wall (s) | min–max (s) | vs none | CPU (s) | open in -oG | open read back from the db | rows | transactions | writer busy (s) | rows/s | writer CPU (s) | end wait (s) | hosts stored during the scan |")
L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for mode in ("none", "sqlite", "postgres", "sqlite-history", "postgres-history"):
    r = rows[mode]
    wall = med([float(x[0]) for x in r])
    opens = sorted(set(x[1] for x in r))
    dbo = sorted(set(x[2] for x in r))
    mm = f"{min(float(x[0]) for x in r):.2f}–{max(float(x[0]) for x in r):.2f}"
    cpu = med([float(x[7]) for x in r])
    if mode == "none":
        L.append(f"| none | {wall:.2f} | {mm} | — | {cpu:.2f} | {', '.join(opens)} | — | — | — | — | — | — | — | — |")
        continue
    wcpu = med([float(x[8]) for x in r])
    wait = med([float(x[9]) for x in r])
    nrows = med([int(x[3]) for x in r])
    tx = med([int(x[4]) for x in r])
    ws = med([float(x[5]) for x in r])
    early = med([int(x[6]) for x in r]) if all(len(x) > 6 for x in r) else 0
    costs[mode] = wall - base
    L.append(f"| {mode} | {wall:.2f} | {mm} | {wall - base:+.2f} s ({(wall / base - 1) * 100:+.0f}%) | {cpu:.2f} | {', '.join(opens)} | "
             f"{', '.join(dbo)} | {int(nrows):,} | {int(tx)} | {ws:.2f} | {nrows / ws:,.0f} | {wcpu:.2f} | {wait:.3f} | {int(early):,} |")
L.append("")
L.append(f"Run-to-run spread without a store (max − min wall): {spread:.2f} s. "
         + " ".join(f"{m}: {c:+.2f} s, {'within' if c <= spread else 'above'} it." for m, c in costs.items()))
L.append("")
L.append("How: the raw engine hands a host to the stream as soon as every probe of it is answered "
         "(without a discovery pass, as here with -Pn), in 1 ms slices when its reply rings are "
         "empty, and the outputs put hosts back in target order; the writer gathers what came in "
         "100 ms (at most 4,096 hosts) per transaction. *hosts stored during the scan*: handed over "
         "before the last reply wait ended (prtip -d); the rest go at the end. Writer busy includes "
         "waiting for the CPU: during the scan the writer shares the 2 CPUs with the sender, the "
         "receiver and the aggregator, so rows/s is lower than when it wrote after the scan.")
L.append("")
L.append("`prtip db compare 1 2 --json` of two stored /17 scans (each 32,768 hosts, 98,304 ports):")
L.append("")
L.append("| store | wall (s) | peak RSS (MiB) |")
L.append("|---|---:|---:|")
for mode in ("sqlite", "postgres"):
    c = cm[mode]
    L.append(f"| {mode} | {med([x[0] for x in c]):.2f} | {med([x[1] for x in c]):.1f} |")
L.append("")
cpu = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
L.append(f"Machine: 2 CPUs ({cpu}), kernel {platform.release()}, shared with other sessions "
         f"(load average at the end: {load}). prtip commit {commit}. "
         f"Measured: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC with `bench/store.sh`.")
print("\n".join(L))
PY
cat "$W/section.md"
if [ "$WRITE" = 1 ]; then
    python3 "$ROOT/bench/write_section.py" "$ROOT/docs/BENCHMARKS.md" store "$W/section.md"
    say "docs/BENCHMARKS.md updated"
fi
