#!/usr/bin/env bash
# --shard auto: 4 shards started as a Kubernetes Indexed Job and as a Slurm
# job array would start them (the schedulers' variables set by hand: no
# scheduler runs here), against 256 AnyIP addresses x ports 22 (open), 80,
# 443 (closed) in the namespace lab. For each scheduler:
#   - every shard's -oG plus its --packet-capture;
#   - the union of the shards' (address, port, state) equals one unsharded
#     scan's, and no pair is reported by two shards;
#   - on the wire (the captures): each (address, port) got exactly one SYN
#     from exactly one shard, and the target's nftables counter saw 768.
# Slurm's array is 5-11:2 (tasks 5, 7, 9, 11: an array not starting at 0
# or 1, with a step). Then the refusals: no variables, a missing count, an
# inconsistent array.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" -eq 1 ] || { echo "SKIP: prtip only"; exit 77; }
t_need_root
t_lab_up

PREFIX="198.18.130.0/24"
lab_anyip "$LAB_TGT" "$PREFIX" || t_fail "could not make $PREFIX local"
lab_nft "$LAB_TGT" "
table inet prtip_shard {
    counter syns { }
    chain pre {
        type filter hook prerouting priority -300; policy accept;
        ip daddr $PREFIX tcp flags & (syn | ack) == syn counter name \"syns\"
    }
}" || t_fail "could not load the nftables ruleset"
lab_listen "$LAB_TGT" "$T/listen.out" --addr 0.0.0.0 --ports 22 --backlog 1024
COMMON=(-sS -Pn -n -T4 --max-retries 1 --seed 4242 -p 22,80,443)
syns() { ip netns exec "$LAB_TGT" nft list counter inet prtip_shard syns | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
# ADDR PROTO PORT STATE lines of -oG files (helpers/results.py).
states() { for f; do python3 "$T_HELPERS/results.py" gnmap "$f" --what ports; done; }

t_scan whole ip netns exec "$LAB_SCAN" "${COMMON[@]}" -oG "$T/whole.gnmap" "$PREFIX"
[ "$(cat "$T/whole.rc")" = 0 ] || t_fail "unsharded scan failed: $(cat "$T/whole.err")"
states "$T/whole.gnmap" | sort >"$T/whole.states"
[ "$(wc -l <"$T/whole.states")" = 768 ] || t_fail "unsharded scan: $(wc -l <"$T/whole.states") ports, expected 768"

# run_shards NAME: the four shards with the variables in $T/NAME.envN.
run_shards() {
    local name="$1" k
    ip netns exec "$LAB_TGT" nft reset counters >/dev/null
    for k in 0 1 2 3; do
        # shellcheck disable=SC2046
        env -i PATH="$PATH" PRTIP_DATADIR="$PRTIP_DATADIR" $(cat "$T/$name.env$k") \
            timeout 60 ip netns exec "$LAB_SCAN" "$BIN" "${COMMON[@]}" --shard auto \
            -oG "$T/$name.$k.gnmap" --packet-capture "$T/$name.$k.pcapng" --dry-run "$PREFIX" \
            >"$T/$name.$k.dry" 2>&1 || t_fail "$name shard $k (dry run) failed: $(cat "$T/$name.$k.dry")"
        env -i PATH="$PATH" PRTIP_DATADIR="$PRTIP_DATADIR" $(cat "$T/$name.env$k") \
            timeout 60 ip netns exec "$LAB_SCAN" "$BIN" "${COMMON[@]}" --shard auto \
            -oG "$T/$name.$k.gnmap" --packet-capture "$T/$name.$k.pcapng" \
            --db "$T/$name.db" --db-job "$name" "$PREFIX" \
            >"$T/$name.$k.out" 2>"$T/$name.$k.err" || t_fail "$name shard $k failed: $(cat "$T/$name.$k.err")"
        python3 "$T_HELPERS/pcapng.py" "$T/$name.$k.pcapng" |
            awk -v k="$k" '$1 == "out" && $8 == "S" { print $4, $7, k }' >>"$T/$name.wire"
    done
    states "$T/$name".[0-3].gnmap | sort >"$T/$name.union"
    t_same "$name: union of 4 shards against the unsharded scan" "$T/whole.states" "$T/$name.union"
    local dup
    dup=$(states "$T/$name".[0-3].gnmap | sort | uniq -d | wc -l)
    [ "$dup" = 0 ] || t_fail "$name: $dup ports reported by two shards"
    [ "$(wc -l <"$T/$name.wire")" = 768 ] || t_fail "$name: $(wc -l <"$T/$name.wire") SYNs on the wire, expected 768"
    [ "$(cut -d' ' -f1,2 "$T/$name.wire" | sort -u | wc -l)" = 768 ] || t_fail "$name: an (address, port) got two SYNs"
    [ "$(syns)" = 768 ] || t_fail "$name: the target counted $(syns) SYNs, expected 768"
    for k in 0 1 2 3; do
        local want n
        want=$(grep -c "shard $((k + 1))/4" "$T/$name.$k.dry" || true)
        n=$(awk -v k="$k" '$3 == k' "$T/$name.wire" | wc -l)
        [ "$n" -gt 0 ] && [ "$n" = "$want" ] || t_fail "$name: shard $k sent $n SYNs, its dry run lists $want as shard $((k + 1))/4"
    done
    # The shards stored as one job: exported as one scan, it equals the unsharded scan.
    "$BIN" db --db "$T/$name.db" export "$name" -oG "$T/$name.db.gnmap" >"$T/$name.db.out" 2>&1 ||
        t_fail "$name: prtip db export failed: $(cat "$T/$name.db.out")"
    states "$T/$name.db.gnmap" | sort >"$T/$name.db.states"
    t_same "$name: the job in the database against the unsharded scan" "$T/whole.states" "$T/$name.db.states"
    t_pass "$name: 4 shards cover the 768 (address, port) pairs exactly once ($(cut -d' ' -f3 "$T/$name.wire" | sort | uniq -c | awk '{printf "%s ", $1}'))"
}

for k in 0 1 2 3; do
    echo "JOB_COMPLETION_INDEX=$k PRTIP_SHARD_COUNT=4" >"$T/k8s.env$k"
    echo "SLURM_ARRAY_TASK_ID=$((5 + 2 * k)) SLURM_ARRAY_TASK_MIN=5 SLURM_ARRAY_TASK_MAX=11 SLURM_ARRAY_TASK_STEP=2 SLURM_ARRAY_TASK_COUNT=4 SLURM_ARRAY_JOB_ID=77" >"$T/slurm.env$k"
done
run_shards k8s
run_shards slurm

# Refusals: one line naming what is missing, exit 1.
refuse() {
    local name="$1" pat="$2"
    shift 2
    local rc=0
    env -i PATH="$PATH" "$@" "$BIN" -sS -Pn -n -p 22 --shard auto --dry-run "$LAB_TGT_V4" \
        >"$T/$name.out" 2>"$T/$name.err" || rc=$?
    [ "$rc" = 1 ] || t_fail "$name: exit $rc, expected 1"
    [ "$(wc -l <"$T/$name.err")" = 1 ] && grep -qE "$pat" "$T/$name.err" ||
        t_fail "$name: expected one line matching '$pat': $(cat "$T/$name.err")"
    t_pass "$name: $(cat "$T/$name.err")"
}
refuse novars 'no scheduler variables'
refuse nocount 'PRTIP_SHARD_COUNT' JOB_COMPLETION_INDEX=1
refuse listarray 'evenly spaced' SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=9 SLURM_ARRAY_TASK_STEP=1 SLURM_ARRAY_TASK_COUNT=3
refuse both 'both' JOB_COMPLETION_INDEX=0 PRTIP_SHARD_COUNT=2 SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=2
