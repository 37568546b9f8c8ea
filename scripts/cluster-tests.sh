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
CLUSTER=$WORK/slurm
export SLURM_CONF=$CLUSTER/slurm.conf
JOBCOMP=$CLUSTER/log/jobcomp.log
passed=0
failed=0
CWLTOOL_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$CWLTOOL_PID" ]; then kill "$CWLTOOL_PID" 2>/dev/null; wait "$CWLTOOL_PID" 2>/dev/null; fi
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

# lines of the jobcomp log written since line $1 (each finished Slurm job is one line)
jobs_since() { tail -n +"$(($1 + 1))" "$JOBCOMP" 2>/dev/null; }
jobcomp_lines() { if [ -f "$JOBCOMP" ]; then wc -l < "$JOBCOMP"; else echo 0; fi; }
count() { grep -c -E "$1" || true; }

show_log() {  # the tail of a log, indented, for a failed check
  echo "  --- last lines of $1:"
  tail -n "${2:-15}" "$1" 2>/dev/null | cut -c1-300 | sed 's/^/  | /'
}

TOIL=(toil-cwl-runner --batchSystem slurm --no-container --logInfo --retryCount 0
      --workDir "$WORK/tmp" --disableProgress)
WORKFLOW=cwl/pfocr-gene-sets.cwl
JOB=cwl/gene-sets.job.yml
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
  echo "$passed passed, $failed failed"
  exit 1
fi

if wait "$CWLTOOL_PID"; then
  CWLTOOL_PID=""
  say "cwltool reference done ($(since "$t_ref") s since its start)"
else
  CWLTOOL_PID=""
  show_log "$WORK/cwltool.log"
  fail "the cwltool reference run failed"
  echo "$passed passed, $failed failed"
  exit 1
fi

same_as_cwltool() {  # same_as_cwltool OUTDIR: every file byte-identical, same file list
  local out=$1
  if [ -z "$(find "$WORK/out-cwltool" -type f)" ]; then echo "cwltool wrote nothing"; return 1; fi
  diff -r "$WORK/out-cwltool" "$out" >"$WORK/diff.txt" 2>&1 || {
    head -20 "$WORK/diff.txt"; return 1; }
  echo "$(find "$out" -type f | wc -l) files byte-identical to cwltool's"
}

# --- 1 + 2: the workflow on Slurm --------------------------------------------------------
say "toil-cwl-runner --batchSystem slurm on $WORKFLOW, 2 shards"
before=$(jobcomp_lines)
t=$(date +%s.%N)
"${TOIL[@]}" --jobStore "file:$WORK/js-main" --outdir "$WORK/out-slurm" "$WORKFLOW" "$JOB" \
  > "$WORK/toil-main.json" 2> "$WORK/toil-main.log"
rc=$?
say "toil run done in $(since "$t") s (exit $rc)"
if [ $rc -eq 0 ] && msg=$(same_as_cwltool "$WORK/out-slurm"); then
  pass "outputs: $msg"
else
  [ $rc -ne 0 ] && show_log "$WORK/toil-main.log" 30
  fail "outputs of the Slurm run differ from cwltool's (exit $rc): ${msg:-}"
fi
new=$(jobs_since "$before")
n_toil=$(echo "$new" | count 'Name=toil_job_')
n_done=$(echo "$new" | count 'Name=toil_job_.* JobState=COMPLETED ')
n_steps=$(echo "$new" | grep -o 'Name=toil_job_[0-9]*_[^ ]*' | sed 's/Name=toil_job_[0-9]*_//' \
  | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')
# 2 shards x (extract, filter, remap) + merge + merge_reports + export + summarise = 10
if [ "$n_toil" -eq 10 ] && [ "$n_done" -eq 10 ] \
    && [ "$(echo "$new" | count 'pfocr-extract\.cwl JobState=COMPLETED ')" -eq 2 ]; then
  pass "10 Slurm jobs COMPLETED in the jobcomp log ($n_steps)"
else
  fail "expected 10 COMPLETED Slurm jobs in $JOBCOMP, got $n_done of $n_toil: $n_steps"
fi

# --- 3: a failing job fails the run --------------------------------------------------------
say "a shard with a bad record (pfocr-extract --on-error fail, the default)"
cat > "$WORK/bad.job.yml" <<EOF
shards:
  - - {class: Directory, location: $ROOT/test-data/records/current-schema}
  - - {class: File, location: $ROOT/test-data/bad/broken-yaml.md}
organisms: [human]
EOF
before=$(jobcomp_lines)
t=$(date +%s.%N)
"${TOIL[@]}" --jobStore "file:$WORK/js-bad" --outdir "$WORK/out-bad" "$WORKFLOW" \
  "$WORK/bad.job.yml" > "$WORK/toil-bad.json" 2> "$WORK/toil-bad.log"
rc=$?
say "toil run done in $(since "$t") s (exit $rc)"
new=$(jobs_since "$before")
n_failed=$(echo "$new" | count 'pfocr-extract\.cwl JobState=FAILED .*ExitCode=1:0')
outputs=$(find "$WORK/out-bad" -type f 2>/dev/null | wc -l)
if [ $rc -ne 0 ] && [ "$n_failed" -eq 1 ] && [ "$outputs" -eq 0 ] \
    && grep -q 'broken-yaml.md' "$WORK/toil-bad.log"; then
  pass "the run failed (exit $rc): 1 FAILED extract job in Slurm, the error names" \
       "broken-yaml.md, no output written"
else
  show_log "$WORK/toil-bad.log" 30
  fail "bad record: exit $rc, $n_failed FAILED extract jobs (want 1), $outputs outputs (want 0)"
fi

# --- 4: --restart resumes a run interrupted after the extract jobs -------------------------
say "interrupted run: pfocr-filter held back until a flag file exists"
mkdir -p "$WORK/hold"
FLAG=$WORK/hold/release
real_filter=$(command -v pfocr-filter)
cat > "$WORK/hold/pfocr-filter" <<EOF
#!/bin/sh
# cluster-tests: fail until $FLAG exists, then run the real pfocr-filter
if [ ! -e "$FLAG" ]; then
  echo "pfocr-filter held back by scripts/cluster-tests.sh (no $FLAG yet)" >&2
  exit 75
fi
exec "$real_filter" "\$@"
EOF
chmod +x "$WORK/hold/pfocr-filter"
before=$(jobcomp_lines)
t=$(date +%s.%N)
PATH=$WORK/hold:$PATH "${TOIL[@]}" --jobStore "file:$WORK/js-restart" \
  --outdir "$WORK/out-restart" "$WORKFLOW" "$JOB" \
  > "$WORK/toil-interrupted.json" 2> "$WORK/toil-interrupted.log"
rc1=$?
say "interrupted run done in $(since "$t") s (exit $rc1)"
first=$(jobs_since "$before")
ex1=$(echo "$first" | count 'pfocr-extract\.cwl JobState=COMPLETED ')
fi1=$(echo "$first" | count 'pfocr-filter\.cwl JobState=FAILED ')
touch "$FLAG"
before=$(jobcomp_lines)
t=$(date +%s.%N)
PATH=$WORK/hold:$PATH "${TOIL[@]}" --restart --jobStore "file:$WORK/js-restart" \
  --outdir "$WORK/out-restart" "$WORKFLOW" "$JOB" \
  > "$WORK/toil-restart.json" 2> "$WORK/toil-restart.log"
rc2=$?
say "--restart done in $(since "$t") s (exit $rc2)"
second=$(jobs_since "$before")
ex2=$(echo "$second" | count 'pfocr-extract\.cwl')
done2=$(echo "$second" | count 'Name=toil_job_.* JobState=COMPLETED ')
msg=""
if [ $rc1 -ne 0 ] && [ "$ex1" -eq 2 ] && [ "$fi1" -ge 1 ] && [ $rc2 -eq 0 ] && [ "$ex2" -eq 0 ] \
    && [ "$done2" -eq 8 ] && msg=$(same_as_cwltool "$WORK/out-restart"); then
  pass "--restart resumed after the 2 extract jobs: 8 jobs ran, no extract again; outputs: $msg"
else
  [ $rc1 -eq 0 ] && show_log "$WORK/toil-interrupted.log" 20
  [ $rc2 -ne 0 ] && show_log "$WORK/toil-restart.log" 30
  fail "restart: first run exit $rc1 ($ex1 extract COMPLETED, want 2; $fi1 filter FAILED)," \
       "restart exit $rc2 ($ex2 extract jobs, want 0; $done2 COMPLETED, want 8) ${msg:-}"
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
