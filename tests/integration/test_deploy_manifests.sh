#!/usr/bin/env bash
# deploy/: the Kubernetes manifest parses as YAML and has what an Indexed
# Job of prtip shards needs (completionMode Indexed, completions equal to
# PRTIP_SHARD_COUNT, restartPolicy Never, NET_RAW and NET_ADMIN added, a
# prtip command with --shard auto and --seed); the sbatch script is valid
# bash, declares an array and runs prtip with --shard auto and --seed.
# No cluster is needed (none runs here).
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml not installed"; exit 77; }

python3 - "$SRC/deploy/kubernetes/prtip-indexed-job.yaml" <<'PY' || t_fail "Kubernetes manifest check failed"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
jobs = [d for d in docs if d.get("kind") == "Job"]
assert len(jobs) == 1, "one Job"
j = jobs[0]
assert j["apiVersion"] == "batch/v1", j["apiVersion"]
assert j["metadata"]["name"], "metadata.name"
s = j["spec"]
assert s["completionMode"] == "Indexed", "completionMode: Indexed"
assert isinstance(s["completions"], int) and s["completions"] >= 1, "completions"
pod = s["template"]["spec"]
assert pod["restartPolicy"] in ("Never", "OnFailure"), "a Job's pods need restartPolicy Never/OnFailure"
c = pod["containers"][0]
env = {e["name"]: e.get("value") for e in c.get("env", [])}
assert env.get("PRTIP_SHARD_COUNT") == str(s["completions"]), "PRTIP_SHARD_COUNT must equal completions"
caps = c["securityContext"]["capabilities"]["add"]
assert "NET_RAW" in caps and "NET_ADMIN" in caps, caps
cmd = " ".join(c.get("command", []) + c.get("args", []))
assert "prtip" in cmd and "--shard auto" in cmd and "--seed" in cmd, cmd
names = {v["name"] for v in pod.get("volumes", [])}
for m in c.get("volumeMounts", []):
    assert m["name"] in names, f"volumeMount {m['name']} has no volume"
cms = {d["metadata"]["name"] for d in docs if d.get("kind") == "ConfigMap"}
for v in pod.get("volumes", []):
    if "configMap" in v:
        assert v["configMap"]["name"] in cms, "the ConfigMap the Job mounts is in the file"
print("ok")
PY
t_pass "Kubernetes Indexed Job manifest: fields and capabilities"

S="$SRC/deploy/slurm/prtip-array.sbatch"
bash -n "$S" || t_fail "sbatch script: bash syntax"
grep -q '^#SBATCH --array=' "$S" || t_fail "sbatch script declares no --array"
grep -q 'prtip .*--shard auto\|--shard auto' "$S" && grep -q -- '--seed' "$S" ||
    t_fail "sbatch script does not run prtip with --shard auto and --seed"
t_pass "Slurm array script: syntax, --array, --shard auto, --seed"
