#!/usr/bin/env bash
# --shard auto under a real Slurm: the test starts a single-node cluster of
# its own (munged, slurmctld, slurmd from Debian, configured in its temp
# directory, talking over 127.0.0.1 on ports of its own) and a throwaway
# PostgreSQL, then submits deploy/slurm/prtip-array.sbatch as a 4-task job
# array (--array=5-11:2, tasks 5, 7, 9, 11) whose tasks each run
# `prtip -sS --shard auto --db postgresql://… --db-job prtip-<job>` inside
# the lab's scanner namespace against 256 AnyIP addresses x ports 22
# (open), 80, 443 (closed). Checks:
#   - all 4 tasks ran and exited 0 (scontrol show job), each found ports, and
#     their -oG together equal one unsharded scan with no port twice;
#   - the job in PostgreSQL (prtip db export) equals one unsharded scan;
#   - the target's nftables counters: each (address, port) got exactly one
#     SYN (768 named counters would be slow; a set of seen pairs plus a
#     counter of SYNs whose pair was already in the set does it).
# Skips (77) when Slurm or munge is not installed.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
. "$(dirname "$0")/helpers/pg.sh"
t_init "$@"
[ "$IS_PRTIP" -eq 1 ] || { echo "SKIP: prtip only"; exit 77; }
t_need_root
for tool in munged slurmctld slurmd sbatch sinfo squeue scontrol scancel; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "SKIP: $T_NAME needs '$tool' (apt-get install slurmctld slurmd slurm-client munge)" >&2; exit 77; }
done
t_lab_up
pg_start "$T/pg"

PREFIX="198.18.131.0/24"
lab_anyip "$LAB_TGT" "$PREFIX" || t_fail "could not make $PREFIX local"
lab_nft "$LAB_TGT" "
table inet prtip_slurm {
    counter syns { }
    counter again { }
    set seen { type ipv4_addr . inet_service; size 4096; flags dynamic; }
    chain pre {
        type filter hook prerouting priority -300; policy accept;
        ip daddr $PREFIX tcp flags & (syn | ack) == syn counter name \"syns\"
        ip daddr $PREFIX tcp flags & (syn | ack) == syn ip daddr . tcp dport @seen counter name \"again\"
        ip daddr $PREFIX tcp flags & (syn | ack) == syn add @seen { ip daddr . tcp dport }
    }
}" || t_fail "could not load the nftables ruleset"
lab_listen "$LAB_TGT" "$T/listen.out" --addr 0.0.0.0 --ports 22 --backlog 1024
COMMON=(-sS -Pn -n -T4 --max-retries 1 --seed 4242 -p 22,80,443)
counter() { ip netns exec "$LAB_TGT" nft list counter inet prtip_slurm "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
# ADDR PROTO PORT STATE lines of -oG files (helpers/results.py).
states() { for f; do python3 "$T_HELPERS/results.py" gnmap "$f" --what ports; done; }

t_scan whole ip netns exec "$LAB_SCAN" "${COMMON[@]}" -oG "$T/whole.gnmap" "$PREFIX"
[ "$(cat "$T/whole.rc")" = 0 ] || t_fail "unsharded scan failed: $(cat "$T/whole.err")"
states "$T/whole.gnmap" | sort >"$T/whole.states"
[ "$(wc -l <"$T/whole.states")" = 768 ] || t_fail "unsharded scan: $(wc -l <"$T/whole.states") ports, expected 768"
ip netns exec "$LAB_TGT" nft reset counters >/dev/null
ip netns exec "$LAB_TGT" nft flush set inet prtip_slurm seen

# --- munge: a key of our own, the daemon on a socket in our directory.
S="$T/slurm"
mkdir -p "$S/munge" "$S/state" "$S/spool" "$S/jobs"
chmod 711 "$S/munge"
dd if=/dev/urandom of="$S/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$S/munge/munge.key"
MUNGE_SOCK="$S/munge/munge.socket"
# munged runs as root here (--force: it refuses that otherwise), in the
# foreground as the test's child so the cleanup kills and reaps it by PID.
munged --foreground --force --socket="$MUNGE_SOCK" --key-file="$S/munge/munge.key" \
    --pid-file="$S/munge/munged.pid" --log-file="$S/munge/munged.log" \
    --seed-file="$S/munge/munged.seed" >"$S/munge/start.log" 2>&1 &
MUNGED_PID=$!
t_cleanup "kill $MUNGED_PID; wait $MUNGED_PID"
for _ in $(seq 1 50); do
    [ -S "$MUNGE_SOCK" ] && break
    kill -0 $MUNGED_PID 2>/dev/null || break
    sleep 0.1
done
[ -S "$MUNGE_SOCK" ] || t_fail "munged made no socket: $(tail -n 5 "$S/munge/munged.log")"

# --- Slurm: one node, everything in $S, loopback only, ports from the
# test's PID so parallel runs do not clash. The node is declared with 8 CPUs
# (config_overrides: slurmd takes the declaration over the 2 it finds) so
# the script's 4 tasks x --cpus-per-task=2 run at once instead of in turns.
PORT=$((20000 + ($$ % 10000) * 2))
export SLURM_CONF="$S/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=prtiptest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCK
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool/%n
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SchedulerType=sched/builtin
SlurmctldTimeout=10
SlurmdTimeout=10
InactiveLimit=0
MinJobAge=300
KillWait=2
SlurmdParameters=config_overrides
NodeName=localhost NodeAddr=127.0.0.1 CPUs=8 RealMemory=4096 State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
# Both daemons in the foreground (-D) as the test's children, killed by PID.
slurmctld -D -i -f "$SLURM_CONF" >"$S/slurmctld.out" 2>&1 &
CTLD_PID=$!
t_cleanup "kill $CTLD_PID; wait $CTLD_PID"
slurmd -D -N localhost -f "$SLURM_CONF" >"$S/slurmd.out" 2>&1 &
SLURMD_PID=$!
t_cleanup "kill $SLURMD_PID; wait $SLURMD_PID"
# Runs first: a task still running when the test fails is cancelled (our
# controller only: SLURM_CONF is the test's).
t_cleanup 'timeout 5 scancel --quiet --user=root'
state=""
for _ in $(seq 1 100); do
    state="$(sinfo -h -n localhost -o %t 2>/dev/null || true)"
    [ "$state" = idle ] && break
    kill -0 $CTLD_PID 2>/dev/null || t_fail "slurmctld exited: $(tail -n 5 "$S/slurmctld.log" "$S/slurmctld.out" 2>/dev/null)"
    kill -0 $SLURMD_PID 2>/dev/null || t_fail "slurmd exited: $(tail -n 5 "$S/slurmd.log" "$S/slurmd.out" 2>/dev/null)"
    sleep 0.1
done
[ "$state" = idle ] || t_fail "the node is '$state', not idle: $(tail -n 5 "$S/slurmd.log" "$S/slurmctld.log")"
t_pass "single-node Slurm up ($(sinfo -V)), node idle"

# --- The job array: deploy/slurm/prtip-array.sbatch itself, as shipped,
# with its #SBATCH --array replaced on the command line by 5-11:2 (an array
# not starting at 0 or 1, with a step). Its `prtip` is a shim that runs
# the scanner inside the lab's scanner namespace; targets, ports and
# the database come through the environment sbatch passes on.
mkdir -p "$S/bin"
printf '#!/bin/sh\nexec timeout 60 ip netns exec %s %s "$@"\n' "$LAB_SCAN" "$(realpath "$BIN")" >"$S/bin/prtip"
chmod 755 "$S/bin/prtip"
: >"$S/exclude.txt"
# sbatch --wait polls every few seconds; squeue every 0.1 s is faster. The
# controller keeps finished tasks for MinJobAge (300 s): scontrol then
# gives each task's state and exit code.
# No SEED: the tasks take their common seed from SLURM_ARRAY_JOB_ID
# (docs/SCALE.md); the wire checks below prove that they share it.
SEED= PATH="$S/bin:$PATH" TARGETS="$PREFIX" PORTS=22,80,443 EXCLUDE="$S/exclude.txt" \
    PRTIP_DB="$PG_URL" sbatch --parsable --array=5-11:2 --chdir="$S/jobs" \
    "$SRC/deploy/slurm/prtip-array.sbatch" >"$S/sbatch.out" 2>&1 ||
    t_fail "sbatch failed: $(cat "$S/sbatch.out")"
JOB="$(cat "$S/sbatch.out")"
case "$JOB" in '' | *[!0-9]*) t_fail "sbatch said no job id: $JOB" ;; esac
for _ in $(seq 1 600); do
    [ -z "$(squeue -h -j "$JOB" -o %i 2>/dev/null)" ] && break
    sleep 0.1
done
[ -z "$(squeue -h -j "$JOB" -o %i)" ] || t_fail "job $JOB still queued or running after 60 s: $(squeue -j "$JOB")"
scontrol -o show job "$JOB" >"$S/job.txt" || t_fail "scontrol show job $JOB failed"
[ "$(grep -c 'JobState=COMPLETED .*ExitCode=0:0' "$S/job.txt")" = 4 ] ||
    t_fail "job $JOB: not 4 tasks COMPLETED with exit 0: $(grep -o 'ArrayTaskId=[0-9]* JobState=[A-Z]*\|ExitCode=[0-9:]*' "$S/job.txt"; tail -n 20 "$S"/jobs/prtip-*.log 2>/dev/null)"
for k in 5 7 9 11; do
    [ -e "$S/jobs/prtip-${JOB}_$k.log" ] || t_fail "array task $k left no log: $(ls "$S/jobs")"
    g="$S/jobs/results/$JOB/shard-$k.gnmap"
    [ "$(states "$g" | wc -l)" -gt 0 ] || t_fail "array task $k found no ports: $(cat "$S/jobs/prtip-${JOB}_$k.log")"
done
t_pass "sbatch --array=5-11:2 deploy/slurm/prtip-array.sbatch: job $JOB, 4 tasks ran ($(for k in 5 7 9 11; do states "$S/jobs/results/$JOB/shard-$k.gnmap" | wc -l; done | paste -sd' ') ports)"

# The tasks' shards split the pairs: together the unsharded scan, none twice.
states "$S/jobs/results/$JOB"/shard-*.gnmap | sort >"$T/union"
dup=$(uniq -d "$T/union" | wc -l)
[ "$dup" = 0 ] || t_fail "$dup ports reported by two tasks"
t_same "the 4 tasks' -oG against the unsharded scan" "$T/whole.states" "$T/union"

# The wire: 768 SYNs, none to a pair already seen.
[ "$(counter syns)" = 768 ] || t_fail "the target counted $(counter syns) SYNs, expected 768"
[ "$(counter again)" = 0 ] || t_fail "$(counter again) SYNs went to an (address, port) already probed"
t_pass "the target saw 768 SYNs, each (address, port) once"

# The database: the 4 tasks are one job; exported, it equals the unsharded scan.
"$BIN" db --db "$PG_URL" export "prtip-$JOB" -oG "$T/db.gnmap" >"$T/db.out" 2>&1 ||
    t_fail "prtip db export failed: $(cat "$T/db.out")"
states "$T/db.gnmap" | sort >"$T/db.states"
t_same "the job in PostgreSQL against the unsharded scan" "$T/whole.states" "$T/db.states"
t_pass "Slurm array 5-11:2 -> 4 shards -> one PostgreSQL job equal to the unsharded scan"
