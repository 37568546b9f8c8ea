#!/usr/bin/env bash
# A real single-node Slurm cluster (munge + slurmctld + slurmd), started by hand, as root,
# with no systemd: for scripts/cluster-tests.sh, and to try the CWL workflow on Slurm.
#
#   bash scripts/slurm-cluster.sh start DIR   # write DIR/slurm.conf, start the daemons, wait
#   bash scripts/slurm-cluster.sh stop DIR    # stop the daemons by their PID files in DIR
#   bash scripts/slurm-cluster.sh status DIR
#   bash scripts/slurm-cluster.sh pids DIR    # the daemons' PIDs (munged, slurmctld, slurmd)
#
# Everything (config, state, spool, logs, PID files) lives under DIR, but munged's files are in
# /run/pfocr-munge-<checksum of DIR> (munged refuses a 0700 temp folder); nothing under /etc is
# written, except /etc/munge/munge.key when it is missing. Client commands (sbatch, squeue, ...) find the cluster through
# SLURM_CONF=DIR/slurm.conf, which must be exported by whoever uses it (Toil submits with
# sbatch --export=ALL, so the jobs inherit it too). Every finished job is logged to
# DIR/log/jobcomp.log (jobcomp/filetxt; there is no slurmdbd, hence no sacct).
# Needs Debian's slurmctld slurmd slurm-client munge (scripts/system-deps.sh installs them).
set -euo pipefail

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$(realpath -m "$2")
conf=$dir/slurm.conf
# munged refuses paths it cannot reach or that others may write (a mktemp folder is 0700):
# its socket, PID, log and seed files go to a folder of their own under /run, named after DIR
mdir=/run/pfocr-munge-$(printf '%s' "$dir" | cksum | cut -d' ' -f1)
munge_sock=$mdir/munge.socket

log() { echo "slurm-cluster: $*" >&2; }

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_one() {  # stop_one NAME PIDFILE: TERM, wait up to 10 s, then KILL; by PID only
  local name=$1 pidfile=$2 pid i
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) did not stop on TERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

stop() {
  # slurmd first (it ends the job steps it runs), then the controller, then munge.
  stop_one slurmd "$dir/run/slurmd.pid"
  stop_one slurmctld "$dir/run/slurmctld.pid"
  stop_one munged "$mdir/munged.pid"
  if [ -d "$mdir" ] && [ ! -e "$mdir/munged.pid" ]; then
    cp "$mdir/munged.log" "$dir/log/munged.log" 2>/dev/null || true
    rm -rf "$mdir"
  fi
}

write_conf() {
  local host mem cpus
  host=$(hostname -s)
  cpus=$(nproc)
  # about 90 % of the memory, in MB, so the node is never "low memory" and drained
  mem=$(awk '/^MemTotal:/ {printf "%d", $2 * 0.9 / 1024}' /proc/meminfo)
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/run"
  cat > "$conf" <<EOF
# single-node test cluster written by scripts/slurm-cluster.sh
ClusterName=pfocr
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=${SLURMCTLD_PORT:-6817}
SlurmdPort=${SLURMD_PORT:-6818}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_sock
# no cgroups: they would move the jobs out of the sandbox's cgroup
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
ReturnToService=2
# no slurmdbd: every finished job goes to a text log instead
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.log
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
  mkdir -p "$mdir"
  chown munge: "$mdir"
  chmod 0700 "$mdir"
  if [ ! -s /etc/munge/munge.key ]; then
    log "creating /etc/munge/munge.key"
    if command -v mungekey >/dev/null 2>&1; then
      runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key
    else
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
      chown munge: /etc/munge/munge.key
      chmod 0400 /etc/munge/munge.key
    fi
  fi
  runuser -u munge -- munged --socket="$munge_sock" --pid-file="$mdir/munged.pid" \
    --log-file="$mdir/munged.log" --seed-file="$mdir/munged.seed" \
    --force  # --force: start even if a stale socket is left by a killed munged
  munge --socket="$munge_sock" -n | unmunge --socket="$munge_sock" >/dev/null
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2 i
  shift 2
  for i in $(seq 1 $((secs * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  log "timed out after ${secs}s waiting for $what"
  return 1
}

node_idle() { sinfo -h -N -o '%t' | grep -qx 'idle'; }

start() {
  if [ "$(id -u)" -ne 0 ]; then log "must run as root (slurmd and munged need it)"; exit 2; fi
  for cmd in munged slurmctld slurmd sbatch sinfo scontrol; do
    command -v "$cmd" >/dev/null 2>&1 || {
      log "$cmd not found: install slurmctld slurmd slurm-client munge (scripts/system-deps.sh)"
      exit 2
    }
  done
  if alive "$dir/run/slurmctld.pid" || alive "$dir/run/slurmd.pid" \
      || alive "$mdir/munged.pid"; then
    log "a cluster is already running in $dir: stop it first"
    exit 1
  fi
  rm -rf "$dir/state" "$dir/spool"
  write_conf
  export SLURM_CONF=$conf
  start_munge
  slurmctld -i -f "$conf"   # -i: ignore state left by an earlier run
  wait_for 30 "slurmctld (scontrol ping)" sh -c 'scontrol ping | grep -q "is UP"'
  slurmd -f "$conf"
  wait_for 60 "the node to be idle (sinfo)" node_idle
  log "cluster up in $dir: $(sinfo -h -N -o '%N %t cpus=%c mem=%mMB')"
}

case $action in
  start)
    # a half-started cluster is stopped again
    trap 'rc=$?; if [ $rc -ne 0 ]; then stop; fi' EXIT
    start
    ;;
  stop) stop ;;
  pids) cat "$mdir/munged.pid" "$dir/run/slurmctld.pid" "$dir/run/slurmd.pid" 2>/dev/null ;;
  status)
    for d in "munged:$mdir/munged.pid" "slurmctld:$dir/run/slurmctld.pid" \
             "slurmd:$dir/run/slurmd.pid"; do
      if alive "${d#*:}"; then echo "${d%%:*} running (pid $(cat "${d#*:}"))"
      else echo "${d%%:*} not running"; fi
    done
    ;;
  *) usage ;;
esac
