#!/usr/bin/env bash
# Cluster tests: the CWL gene-set workflow on a real single-node Slurm cluster through Toil.
#
#   bash scripts/cluster-tests.sh        (as root; run by scripts/run-tests.sh after pytest)
#
# Starts munge + slurmctld + slurmd by hand (scripts/slurm-cluster.sh, everything under a temp
# folder), runs `toil-cwl-runner --batchSystem slurm` on cwl/pfocr-gene-sets.cwl with the two
# shards of cwl/gene-sets.job.yml, and checks:
#   1. every output is byte-identical to a cwltool run of the same job;
#   2. the jobs really ran under Slurm: the 10 tool calls are 10 COMPLETED jobs in the cluster's
#      jobcomp/filetxt log;
#   3. a failing job makes the run fail: a shard with a bad record (pfocr-extract's default
#      --on-error fail) fails its Slurm job and the Toil run exits non-zero, writing no output;
#   4. --restart resumes an interrupted run: pfocr-filter is held back (a wrapper first on PATH
#      fails until a flag file exists), so the run stops after the extract jobs; after the flag
#      is created, `--restart` finishes it without running any extract job again, and the
#      outputs are byte-identical to cwltool's;
#   5. the cluster is stopped by its PID files (also on failure or interrupt: a trap).
# The Toil runs of 1-2, 3 and 4 share the cluster at the same time, to keep this short.
# Prints a `N passed, N failed` line; exit 1 if any check failed. Not root: skipped, with a
# message, exit 0 (the daemons need root). KEEP=1 keeps the work folder.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
T0=$(date +%s.%N)

since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf '[cluster %6ss] %s\n' "$(since "$T0")" "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "cluster-tests: SKIPPED: not root (munged, slurmctld and slurmd must run as root;"
  echo "cluster-tests: CI runs as root). 0 passed, 0 failed, 5 skipped"
  exit 0
fi
for cmd in munged slurmctld slurmd sbatch; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    echo "cluster-tests: $cmd not found: run scripts/system-deps.sh (slurmctld slurmd" \
         "slurm-client munge)" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
done
if [ -z "${VIRTUAL_ENV:-}" ] && [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
# Toil submits with sbatch --export=ALL: the jobs find _toil_worker and the tools on this PATH.
command -v toil-cwl-runner >/dev/null && command -v cwltool >/dev/null \
  && command -v pfocr-filter >/dev/null || {
  echo "cluster-tests: toil-cwl-runner, cwltool or the pfocr tools not on PATH:" \
       "run scripts/setup-venv.sh" >&2
  echo "0 passed, 1 failed"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pfocr-cluster-tests.XXXXXX")
# two free TCP ports, so a cluster left running by someone else cannot get in the way
read -r SLURMCTLD_PORT SLURMD_PORT < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
EOF
)
export SLURMCTLD_PORT SLURMD_PORT
CLUSTER=$WORK/slurm
export SLURM_CONF=$CLUSTER/slurm.conf
JOBCOMP=$CLUSTER/log/jobcomp.log
passed=0
failed=0
CWLTOOL_PID=""
TOIL_PIDS=""

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  # our own background runs, by PID: TERM (a toil leader then cancels its Slurm jobs), and
  # KILL what is still there after 10 s
  if [ -n "$CWLTOOL_PID$TOIL_PIDS" ]; then
    local kids="" i
    for pid in $CWLTOOL_PID $TOIL_PIDS; do kids="$kids $(pgrep -P "$pid" | tr '\n' ' ')"; done
    for pid in $kids $CWLTOOL_PID $TOIL_PIDS; do kill -TERM "$pid" 2>/dev/null; done
    for i in $(seq 1 50); do
      local alive=0
      for pid in $kids $CWLTOOL_PID $TOIL_PIDS; do kill -0 "$pid" 2>/dev/null && alive=1; done
      [ $alive -eq 0 ] && break
      sleep 0.2
    done
    for pid in $kids $CWLTOOL_PID $TOIL_PIDS; do kill -KILL "$pid" 2>/dev/null; done
    for pid in $CWLTOOL_PID $TOIL_PIDS; do wait "$pid" 2>/dev/null; done
  fi
  if [ -e "$CLUSTER/slurm.conf" ]; then
    # cancel what is left of this cluster's jobs, then stop the daemons by PID
    scancel --quiet --user=root 2>/dev/null || true
    bash scripts/slurm-cluster.sh stop "$CLUSTER" 2>&1 | sed 's/^/  /'
  fi
  if [ "${KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

pass() { passed=$((passed + 1)); say "PASS $*"; }
fail() { failed=$((failed + 1)); say "FAIL $*"; }

count() { grep -c -E "$1" || true; }

show_log() {  # the tail of a log, indented, for a failed check
  echo "  --- last lines of $1:"
  tail -n "${2:-15}" "$1" 2>/dev/null | cut -c1-300 | sed 's/^/  | /'
}

TOIL=(toil-cwl-runner --batchSystem slurm --no-container --logInfo --retryCount 0
      --workDir "$WORK/tmp" --disableProgress)
WORKFLOW=$ROOT/cwl/pfocr-gene-sets.cwl
JOB=$ROOT/cwl/gene-sets.job.yml
mkdir -p "$WORK/tmp"

# The reference: cwltool on the same job, in the background while the cluster starts.
say "cwltool reference run of $JOB (background)"
t_ref=$(date +%s.%N)
cwltool --quiet --no-container --parallel --outdir "$WORK/out-cwltool" "$WORKFLOW" "$JOB" \
  > "$WORK/cwltool.json" 2> "$WORK/cwltool.log" &
CWLTOOL_PID=$!

say "starting the Slurm cluster in $CLUSTER"
t=$(date +%s.%N)
if bash scripts/slurm-cluster.sh start "$CLUSTER" > "$WORK/cluster-start.log" 2>&1; then
  sed 's/^/  /' "$WORK/cluster-start.log"
  say "cluster up in $(since "$t") s"
else
  sed 's/^/  /' "$WORK/cluster-start.log"
  for f in "$CLUSTER"/log/*.log; do show_log "$f"; done
  fail "the cluster did not start"
  echo "cluster-tests: $passed passed, $failed failed"
  exit 1
fi

# Three Toil runs share the cluster at once (Toil mostly waits): each leader runs in its own
# folder, which Slurm logs as the job's WorkDir, so the jobcomp lines tell the runs apart.
runs_of() { grep -F "WorkDir=$WORK/run-$1 " "$JOBCOMP" 2>/dev/null; }
toil_in() {  # toil_in NAME ARGS...: one toil-cwl-runner in $WORK/run-NAME; exit code in rc-NAME
  local name=$1 t rc
  shift
  t=$(date +%s.%N)
  (cd "$WORK/run-$name" && exec "${TOIL[@]}" "$@") \
    > "$WORK/toil-$name.json" 2> "$WORK/toil-$name.log"
  rc=$?
  echo "$rc" > "$WORK/rc-$name"
  say "toil run '$name' done in $(since "$t") s (exit $rc)"
}
mkdir -p "$WORK/run-main" "$WORK/run-bad" "$WORK/run-held" "$WORK/run-restart"

# 1 + 2: the workflow on Slurm.
say "run 'main': toil-cwl-runner --batchSystem slurm on cwl/pfocr-gene-sets.cwl, 2 shards"
toil_in main --jobStore "file:$WORK/js-main" --outdir "$WORK/out-slurm" "$WORKFLOW" "$JOB" &
main_pid=$!

# 3: a failing job fails the run: a shard with a bad record.
printf '%s\n' "shards:" \
  "  - - {class: Directory, location: $ROOT/test-data/records/current-schema}" \
  "  - - {class: File, location: $ROOT/test-data/bad/broken-yaml.md}" \
  "organisms: [human]" > "$WORK/bad.job.yml"
say "run 'bad': a shard with a bad record (pfocr-extract --on-error fail, the default)"
toil_in bad --jobStore "file:$WORK/js-bad" --outdir "$WORK/out-bad" "$WORKFLOW" \
  "$WORK/bad.job.yml" &
bad_pid=$!

# 4: --restart resumes a run interrupted after the extract jobs: pfocr-filter is held back by
# a wrapper first on PATH (the jobs inherit the leader's PATH) until a flag file exists.
mkdir -p "$WORK/hold"
FLAG=$WORK/hold/release
real_filter=$(command -v pfocr-filter)
printf '%s\n' "#!/bin/sh" \
  "# cluster-tests: fail until $FLAG exists, then run the real pfocr-filter" \
  "if [ ! -e '$FLAG' ]; then" \
  "  echo 'pfocr-filter held back by scripts/cluster-tests.sh (no $FLAG yet)' >&2" \
  "  exit 75" \
  "fi" \
  "exec '$real_filter' \"\$@\"" > "$WORK/hold/pfocr-filter"
chmod +x "$WORK/hold/pfocr-filter"
(
  export PATH=$WORK/hold:$PATH
  say "run 'held': the same workflow, pfocr-filter held back until a flag file exists"
  toil_in held --jobStore "file:$WORK/js-restart" --outdir "$WORK/out-restart" "$WORKFLOW" "$JOB"
  touch "$FLAG"
  say "run 'restart': flag created, toil-cwl-runner --restart on the same job store"
  toil_in restart --restart --jobStore "file:$WORK/js-restart" --outdir "$WORK/out-restart" \
    "$WORKFLOW" "$JOB"
) &
restart_pid=$!
TOIL_PIDS="$main_pid $bad_pid $restart_pid"

if wait "$CWLTOOL_PID"; then
  say "cwltool reference done in $(since "$t_ref") s"
else
  show_log "$WORK/cwltool.log"
  fail "the cwltool reference run failed"
fi
CWLTOOL_PID=""
wait $TOIL_PIDS
TOIL_PIDS=""
say "all Toil runs done"

same_as_cwltool() {  # same_as_cwltool OUTDIR: every file byte-identical, same file list
  # (pfocr-export's *.manifest.json name the input files where the runner staged them: those
  # are compared with every path reduced to its base name, as tests/test_cwl.py does)
  local out=$1
  if [ -z "$(find "$WORK/out-cwltool" -type f)" ]; then echo "cwltool wrote nothing"; return 1; fi
  diff -r -x '*.manifest.json' "$WORK/out-cwltool" "$out" >"$WORK/diff.txt" 2>&1 || {
    head -20 "$WORK/diff.txt"; return 1; }
  python - "$WORK/out-cwltool" "$out" >"$WORK/diff.txt" 2>&1 <<'PY' || {
import json, os, sys
def base(v):
    if isinstance(v, dict):
        return {k: base(x) for k, x in v.items()}
    if isinstance(v, list):
        return [base(x) for x in v]
    return os.path.basename(v) if isinstance(v, str) and "/" in v else v
def manifests(root):
    return {os.path.relpath(os.path.join(d, f), root): base(json.load(open(os.path.join(d, f))))
            for d, _, fs in os.walk(root) for f in fs if f.endswith(".manifest.json")}
a, b = manifests(sys.argv[1]), manifests(sys.argv[2])
if a != b:
    sys.exit(f"manifests differ (paths as base names): {sorted(a)} vs {sorted(b)}")
PY
    head -20 "$WORK/diff.txt"; return 1; }
  echo "$(find "$out" -type f | wc -l) files identical to cwltool's (manifests: paths as base names)"
}
rc_of() { cat "$WORK/rc-$1" 2>/dev/null || echo "none"; }

# --- 1: outputs byte-identical ---
rc=$(rc_of main)
msg=""
if [ "$rc" = 0 ] && msg=$(same_as_cwltool "$WORK/out-slurm"); then
  pass "run 'main' on Slurm: $msg"
else
  [ "$rc" != 0 ] && show_log "$WORK/toil-main.log" 30
  fail "run 'main': exit $rc; outputs differ from cwltool's: $msg"
fi

# --- 2: the jobs ran under Slurm ---
new=$(runs_of main)
n_toil=$(echo "$new" | count 'Name=toil_job_')
n_done=$(echo "$new" | count 'Name=toil_job_.* JobState=COMPLETED ')
n_steps=$(echo "$new" | grep -o 'Name=toil_job_[0-9]*_[^ ]*' | sed 's/^.*\.cwl\.//' \
  | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')
# 2 shards x (extract, filter, remap) + merge + merge_reports + export + summarise = 10
if [ "$n_toil" -eq 10 ] && [ "$n_done" -eq 10 ] \
    && [ "$(echo "$new" | count 'pfocr-extract\.cwl JobState=COMPLETED ')" -eq 2 ]; then
  pass "run 'main': 10 Slurm jobs COMPLETED in the jobcomp log ($n_steps)"
else
  fail "run 'main': want 10 COMPLETED Slurm jobs in $JOBCOMP, got $n_done of $n_toil: $n_steps"
fi

# --- 3: a failing job fails the run ---
rc=$(rc_of bad)
new=$(runs_of bad)
n_failed=$(echo "$new" | count 'pfocr-extract\.cwl JobState=FAILED .*ExitCode=1:0')
outputs=$(find "$WORK/out-bad" -type f 2>/dev/null | wc -l)
if [ "$rc" != 0 ] && [ "$rc" != none ] && [ "$n_failed" -eq 1 ] && [ "$outputs" -eq 0 ] \
    && grep -q 'broken-yaml.md' "$WORK/toil-bad.log"; then
  pass "run 'bad' failed (exit $rc): 1 FAILED extract job in Slurm, the error names" \
       "broken-yaml.md, no output written"
else
  show_log "$WORK/toil-bad.log" 30
  fail "run 'bad': exit $rc, $n_failed FAILED extract jobs (want 1), $outputs outputs (want 0)"
fi

# --- 4: --restart resumes ---
rc1=$(rc_of held)
rc2=$(rc_of restart)
first=$(runs_of held)
second=$(runs_of restart)
ex1=$(echo "$first" | count 'pfocr-extract\.cwl JobState=COMPLETED ')
fi1=$(echo "$first" | count 'pfocr-filter\.cwl JobState=FAILED ')
ex2=$(echo "$second" | count 'pfocr-extract\.cwl')
done2=$(echo "$second" | count 'Name=toil_job_.* JobState=COMPLETED ')
msg=""
if [ "$rc1" != 0 ] && [ "$rc1" != none ] && [ "$ex1" -eq 2 ] && [ "$fi1" -ge 1 ] \
    && [ "$rc2" = 0 ] && [ "$ex2" -eq 0 ] && [ "$done2" -eq 8 ] \
    && msg=$(same_as_cwltool "$WORK/out-restart"); then
  pass "--restart resumed after the 2 extract jobs ($fi1 filter jobs held back): 8 jobs ran," \
       "no extract again; $msg"
else
  [ "$rc1" = 0 ] && show_log "$WORK/toil-held.log" 20
  [ "$rc2" != 0 ] && show_log "$WORK/toil-restart.log" 30
  fail "restart: first run exit $rc1 ($ex1 extract COMPLETED, want 2; $fi1 filter FAILED)," \
       "restart exit $rc2 ($ex2 extract jobs, want 0; $done2 COMPLETED, want 8) $msg"
fi

# --- 5: the cluster stops by PID -----------------------------------------------------------
say "stopping the cluster"
pids=$(bash scripts/slurm-cluster.sh pids "$CLUSTER" | tr '\n' ' ')
t=$(date +%s.%N)
scancel --quiet --user=root 2>/dev/null || true
bash scripts/slurm-cluster.sh stop "$CLUSTER" 2>&1 | sed 's/^/  /'
left=""
for pid in $pids; do kill -0 "$pid" 2>/dev/null && left="$left $pid"; done
n_pids=$(echo "$pids" | wc -w)
if [ "$n_pids" -eq 3 ] && [ -z "$left" ]; then
  pass "cluster stopped in $(since "$t") s (munged, slurmctld, slurmd: pids $pids)"
else
  fail "cluster stop: $n_pids PID files (want 3), still running:${left:- none}"
fi
rm -f "$CLUSTER/slurm.conf"  # stopped: nothing left for the trap to do

say "done in $(since "$T0") s"
echo "cluster-tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
