#!/usr/bin/env bash
# Test the Galaxy wrappers (galaxy/) in a real Galaxy installed from PyPI, offline.
#
#   bash scripts/galaxy-tests.sh              lint, start Galaxy, run every tool test and the
#                                             workflow tests, stop Galaxy; exit 1 on any failure
#   bash scripts/galaxy-tests.sh -t TOOL_ID   only that tool's tests (repeatable; no workflow)
#   bash scripts/galaxy-tests.sh --no-workflow / --no-tools / --no-lint
#   bash scripts/galaxy-tests.sh --serve      start Galaxy and keep it up until interrupted
#                                             (prints its URL and keys, for manual testing)
#   bash scripts/galaxy-tests.sh --install-only   install (or check) the venv below and exit
#                                             (so a caller can overlap it with other tests)
#
# Galaxy (galaxy-web-apps) and planemo are pinned and installed into their own venv under
# .galaxy-test/venv (reused when present), with this package installed (editable) into the same
# venv: Galaxy jobs run with that venv's Python. Galaxy runs with gunicorn on 127.0.0.1 (a free
# port), in its own process group, with a fresh SQLite database under .galaxy-test/run, no conda,
# no containers, the local job runner, and a Celery worker (SQLite broker) that fetches uploads
# and sets metadata in processes forked with Galaxy already imported; both are stopped by their
# PIDs when the script exits. A progress line every minute (PROGRESS_EVERY=seconds);
# PARALLEL_TESTS (default 3) tool tests at a time; GALAXY_TEST_RUN=DIR runs it in another folder.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

GALAXY_VERSION=26.1.2
PLANEMO_VERSION=0.75.47
GT=$ROOT/.galaxy-test
VENV=$GT/venv
RUN=${GALAXY_TEST_RUN:-$GT/run}  # (another folder lets two runs of one checkout coexist)
PY=${PYTHON:-python3}
PARALLEL_TESTS=${PARALLEL_TESTS:-3}  # tool tests at a time (they mostly wait on Galaxy's polling)

DO_LINT=1 DO_TOOLS=1 DO_WORKFLOW=1 SERVE=0 INSTALL_ONLY=0
TOOL_IDS=()
while [ $# -gt 0 ]; do
  case $1 in
    -t) TOOL_IDS+=("$2"); DO_WORKFLOW=0; shift 2 ;;
    --no-lint) DO_LINT=0; shift ;;
    --no-tools) DO_TOOLS=0; shift ;;
    --no-workflow) DO_WORKFLOW=0; shift ;;
    --serve) SERVE=1; shift ;;
    --install-only) INSTALL_ONLY=1; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "galaxy-tests: unknown argument: $1" >&2; exit 2 ;;
  esac
done

say() { echo "galaxy-tests: $*" >&2; }
T0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - T0 ))s"; }

# ---------------------------------------------------------------- install (or reuse) the venv
STAMP="galaxy-web-apps==$GALAXY_VERSION planemo==$PLANEMO_VERSION"
if [ ! -f "$VENV/.pfocr-stamp" ] || [ "$(cat "$VENV/.pfocr-stamp")" != "$STAMP" ] \
    || ! "$VENV/bin/python" -c "import galaxy.version, planemo" >/dev/null 2>&1; then
  say "installing $STAMP into $VENV (takes about 2 minutes)"
  rm -rf "$VENV"
  mkdir -p "$GT"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
  "$VENV/bin/python" -m pip install --quiet "galaxy-web-apps==$GALAXY_VERSION" \
    "planemo==$PLANEMO_VERSION" 2>&1 | grep -v '^WARNING: Location' >&2 || true
  "$VENV/bin/python" -c "import galaxy.version, planemo" || { say "install failed"; exit 1; }
  echo "$STAMP" > "$VENV/.pfocr-stamp"
fi
say "installing pfocr-tools into the Galaxy venv"
"$VENV/bin/python" -m pip install --quiet -e "$ROOT" 2>&1 | grep -v '^WARNING: Location' >&2 || true
"$VENV/bin/python" -c "import pfocr_tools" || { say "pfocr-tools install failed"; exit 1; }
export PATH="$VENV/bin:$PATH"
export VIRTUAL_ENV=$VENV
if [ "$INSTALL_ONLY" = 1 ]; then say "installed ($(elapsed))"; exit 0; fi

FAILED=0
TOTAL_PASSED=0
TOTAL_FAILED=0

# ---------------------------------------------------------------- lint
# (run beside Galaxy's start-up, which it would otherwise wait for: four planemo runs take
# 1-2 minutes on 2 busy cores); writes 0 or 1 to $GT/lint.status
run_lint() {
  local failed=0 wf ga
  say "planemo lint -r --fail_level warn galaxy/"
  if ! planemo lint -r --fail_level warn galaxy/ >"$GT/lint.log" 2>&1; then
    grep -E '^(\.\.|Linting|Applying|Failed)|WARNING|ERROR' "$GT/lint.log" | grep -vE 'CHECK|INFO' >&2 || true
    say "planemo lint FAILED (full log: $GT/lint.log)"
    failed=1
  fi
  # the Tool Shed metadata (.shed.yml); version_bumped asks the main Tool Shed (offline here)
  say "planemo shed_lint --skip version_bumped --fail_level warn galaxy/"
  if ! planemo shed_lint --skip version_bumped --fail_level warn galaxy/ >"$GT/shed-lint.log" 2>&1; then
    grep -E 'WARNING|ERROR|Traceback' "$GT/shed-lint.log" >&2 || tail -20 "$GT/shed-lint.log" >&2
    say "planemo shed_lint FAILED (full log: $GT/shed-lint.log)"
    failed=1
  fi
  # the workflow folder as IWC wants it (README.md, CHANGELOG.md, .dockstore.yml, release,
  # tests found for the .ga and the Format2 source)
  if [ -d galaxy/workflows ]; then
    say "planemo workflow_lint --iwc galaxy/workflows/"
    if ! planemo workflow_lint --iwc --fail_level warn galaxy/workflows/ >"$GT/workflow-lint.log" 2>&1; then
      grep -vE 'CHECK|INFO' "$GT/workflow-lint.log" >&2 || true
      say "planemo workflow_lint FAILED (full log: $GT/workflow-lint.log)"
      failed=1
    fi
  fi
  for wf in galaxy/workflows/*.gxwf.yml; do
    [ -e "$wf" ] || continue
    # the committed native .ga must be the conversion of the Format2 file
    ga=${wf%.gxwf.yml}.ga
    if ! gxwf-to-native "$wf" "$GT/check.ga" >/dev/null 2>&1 || ! cmp -s "$GT/check.ga" "$ga"; then
      say "$ga is not up to date: run  gxwf-to-native $wf $ga  (in $VENV)"
      failed=1
    fi
  done
  echo "$failed" > "$GT/lint.status"
}
LINT_PID=
stop_lint() {
  if [ -n "$LINT_PID" ]; then
    pkill -P "$LINT_PID" 2>/dev/null || true
    kill "$LINT_PID" 2>/dev/null || true
    wait "$LINT_PID" 2>/dev/null || true
    LINT_PID=
  fi
}

# ---------------------------------------------------------------- configure and start Galaxy
rm -rf "$RUN"
mkdir -p "$RUN"/{database,files,tmp,jobs,tool-deps,results}
PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
ADMIN_KEY=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(16))')
ID_SECRET=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(16))')
ADMIN_EMAIL=pfocr-admin@example.org

# Galaxy loads a copy of the tools in which pfocr_remap's MyGene.info test points at the test
# server's port (a free one, so that runs in other checkouts do not collide)
MYGENE_PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$RUN/tools"
cp "$ROOT"/galaxy/*.xml "$RUN/tools/"
sed -i "s#http://127.0.0.1:18642/v3#http://127.0.0.1:$MYGENE_PORT/v3#g" "$RUN"/tools/*.xml
{
  echo '<?xml version="1.0"?>'
  echo '<toolbox monitor="false">'
  echo '  <section id="pfocr" name="PFOCR">'
  for xml in "$RUN"/tools/*.xml; do
    case $(basename "$xml") in macros.xml) continue ;; esac
    echo "    <tool file=\"$xml\"/>"
  done
  echo '  </section>'
  echo '</toolbox>'
} > "$RUN/tool_conf.xml"

cat > "$RUN/galaxy.yml" <<EOF
gravity:
  process_manager: null
galaxy:
  database_connection: sqlite:///$RUN/database/universe.sqlite?isolation_level=IMMEDIATE
  database_auto_migrate: true
  file_path: $RUN/files
  new_file_path: $RUN/tmp
  job_working_directory: $RUN/jobs
  tool_dependency_dir: $RUN/tool-deps
  data_dir: $RUN/database
  tool_config_file: $RUN/tool_conf.xml
  tool_data_path: $RUN/tool-data
  conda_auto_init: false
  conda_auto_install: false
  dependency_resolvers: []
  container_resolvers: []
  enable_mulled_containers: false
  involucro_auto_init: false
  # Metadata is set by a Celery worker whose fork server has Galaxy imported already, not by
  # a fresh Python that imports Galaxy at the end of every job script (9-19 s a job on 2
  # busy cores). Uploads (the __DATA_FETCH__ tool: one per test dataset) run in that worker
  # too, with no job script at all. Broker and results: SQLite files under data_dir (the
  # defaults), so nothing else to install or run.
  enable_celery_tasks: true
  metadata_strategy: directory_celery
  preserve_python_environment: always
  bootstrap_admin_api_key: $ADMIN_KEY
  admin_users: $ADMIN_EMAIL
  id_secret: $ID_SECRET
  allow_path_paste: true
  watch_tools: 'false'
  cleanup_job: onsuccess
  job_config:
    runners:
      local:
        load: galaxy.jobs.runners.local:LocalJobRunner
        workers: 3
    execution:
      default: local
      environments:
        local:
          runner: local
          env:
            - name: GALAXY_SLOTS
              value: '1'
EOF

# a MyGene.info-compatible test server (tests/mygene_server.py, fixture genes from test-data/)
# on $MYGENE_PORT, for pfocr_remap's MyGene.info test
MYGENE_PID=
start_mygene() {
  "$VENV/bin/python" - "$ROOT" "$ROOT/test-data/remap/mygene-genes.json" "$MYGENE_PORT" \
    >"$RUN/mygene-server.log" 2>&1 <<'EOF' &
import sys
sys.path.insert(0, sys.argv[1])
from tests import mygene_server
class FixedPort(mygene_server.MyGeneServer):
    def server_bind(self):
        self.server_address = ("127.0.0.1", int(sys.argv[3]))
        super().server_bind()
server = FixedPort.from_file(sys.argv[2]).start()
print(server.url, flush=True)
server.thread.join()
EOF
  MYGENE_PID=$!
  for _ in $(seq 1 30); do
    if "$VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' \
        "http://127.0.0.1:$MYGENE_PORT/v3/metadata" >/dev/null 2>&1; then return 0; fi
    kill -0 "$MYGENE_PID" 2>/dev/null || break
    sleep 1
  done
  cat "$RUN/mygene-server.log" >&2
  say "the MyGene.info test server did not start on port $MYGENE_PORT"
  return 1
}
stop_mygene() {
  if [ -n "$MYGENE_PID" ]; then kill "$MYGENE_PID" 2>/dev/null || true; MYGENE_PID=; fi
}

PROGRESS_PID=
stop_progress() {  # the progress loop and its sleep
  if [ -n "$PROGRESS_PID" ]; then
    pkill -P "$PROGRESS_PID" 2>/dev/null || true
    kill "$PROGRESS_PID" 2>/dev/null || true
    wait "$PROGRESS_PID" 2>/dev/null || true
    PROGRESS_PID=
  fi
}
CELERY_PID=
stop_celery() {
  if [ -n "$CELERY_PID" ] && kill -0 "$CELERY_PID" 2>/dev/null; then
    kill -TERM -- "-$CELERY_PID" 2>/dev/null || kill -TERM "$CELERY_PID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$CELERY_PID" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$CELERY_PID" 2>/dev/null || true
  fi
  CELERY_PID=
}
GALAXY_PID=
stop_galaxy() {
  if [ -n "$GALAXY_PID" ] && kill -0 "$GALAXY_PID" 2>/dev/null; then
    say "stopping Galaxy (pid $GALAXY_PID)"
    kill -TERM -- "-$GALAXY_PID" 2>/dev/null || kill -TERM "$GALAXY_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$GALAXY_PID" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$GALAXY_PID" 2>/dev/null || true
  fi
  GALAXY_PID=
}
trap 'stop_lint; stop_progress; stop_galaxy; stop_celery; stop_mygene' EXIT
trap 'exit 130' INT TERM

say "starting Galaxy $GALAXY_VERSION on $URL (log: $RUN/galaxy.log; $(elapsed) of install before)"
G0=$(date +%s)
(
  cd "$RUN"
  export GALAXY_CONFIG_FILE=$RUN/galaxy.yml
  # setsid: own process group (and session), so it is stopped as a whole by its PID
  exec setsid "$VENV/bin/gunicorn" 'galaxy.webapps.galaxy.fast_factory:factory()' \
    --timeout 600 -k galaxy.webapps.galaxy.workers.Worker -b "127.0.0.1:$PORT" --workers=1 \
    --config python:galaxy.web_stack.gunicorn_config --no-control-socket
) >"$RUN/galaxy.log" 2>&1 &
GALAXY_PID=$!
# the Celery worker (uploads and metadata), started beside Galaxy
(
  cd "$RUN"
  export GALAXY_CONFIG_FILE=$RUN/galaxy.yml
  exec setsid "$VENV/bin/celery" --app galaxy.celery worker --concurrency 2 --pool threads \
    --queues celery,galaxy.internal,galaxy.external --loglevel INFO --without-heartbeat \
    --without-gossip --without-mingle
) >"$RUN/celery.log" 2>&1 &
CELERY_PID=$!

if [ "$DO_LINT" = 1 ] && [ "$SERVE" = 0 ]; then
  rm -f "$GT/lint.status"
  run_lint &
  LINT_PID=$!
fi

for i in $(seq 1 240); do
  if "$VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' \
      "$URL/api/version" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$GALAXY_PID" 2>/dev/null; then
    tail -40 "$RUN/galaxy.log" >&2; say "Galaxy exited before it was ready"; exit 1
  fi
  if ! kill -0 "$CELERY_PID" 2>/dev/null; then
    tail -40 "$RUN/celery.log" >&2; say "the Celery worker exited (log: $RUN/celery.log)"; exit 1
  fi
  if [ "$i" = 240 ]; then tail -40 "$RUN/galaxy.log" >&2; say "Galaxy not ready after 240 s"; exit 1; fi
  if [ $((i % 60)) = 0 ]; then say "Galaxy still starting ($(( $(date +%s) - G0 ))s)"; fi
  sleep 1
done
say "Galaxy ready after $(( $(date +%s) - G0 ))s (from its start; $(elapsed) in all)"

# a normal user (and its API key) for planemo's workflow tests
USER_KEY=$("$VENV/bin/python" - "$URL" "$ADMIN_KEY" <<'EOF'
import sys
from bioblend.galaxy import GalaxyInstance
gi = GalaxyInstance(url=sys.argv[1], key=sys.argv[2])
user = gi.users.create_local_user("pfocr-tester", "pfocr-tester@example.org", "pfocr-tester-pw")
print(gi.users.create_user_apikey(user["id"]))
EOF
)

if [ "$DO_TOOLS" = 1 ] || [ "$SERVE" = 1 ]; then
  start_mygene || FAILED=1
fi

if [ "$SERVE" = 1 ]; then
  say "serving: URL=$URL ADMIN_KEY=$ADMIN_KEY USER_KEY=$USER_KEY (Ctrl-C or kill $$ to stop)"
  wait "$GALAXY_PID" || true
  exit 0
fi

# ---------------------------------------------------------------- tool tests
count_tool_results() {  # test JSON -> "passed failed", failures (with details) listed on stderr
  "$VENV/bin/python" - "$1" <<'EOF'
import json, sys
try:
    with open(sys.argv[1]) as fh:
        tests = json.load(fh).get("tests", [])
except (OSError, ValueError):
    tests = []
passed = failed = 0
for t in tests:
    status = (t.get("data") or {}).get("status")
    if status == "success":
        passed += 1
    else:
        failed += 1
        data = t.get("data") or {}
        job = data.get("job") or {}
        print(f"galaxy-tests: FAILED {t.get('id')}: {status}", file=sys.stderr)
        for problem in data.get("output_problems") or []:
            print(f"    {problem}", file=sys.stderr)
        if data.get("execution_problem"):
            print(f"    {data['execution_problem']}", file=sys.stderr)
        if job:
            print(f"    command: {(job.get('command_line') or '')[:1000]}", file=sys.stderr)
            print(f"    exit code {job.get('exit_code')}; stderr: "
                  f"{(job.get('stderr') or '')[-1000:]}", file=sys.stderr)
print(passed, failed)
EOF
}

# ---------------------------------------------------------------- workflow tests
count_planemo_results() {  # planemo's test JSON has the same shape as galaxy-tool-test's
  count_tool_results "$1"
}

run_workflows() {  # every workflow's tests; writes "passed failed" to $RUN/results/workflows.count
  local wf name rc p f tp=0 tf=0
  for wf in galaxy/workflows/*.gxwf.yml; do
    [ -e "$wf" ] || continue
    name=$(basename "$wf" .gxwf.yml)
    say "running workflow tests of $wf (planemo test --engine external_galaxy)"
    rc=0
    (cd "$RUN/results" && planemo test --engine external_galaxy --galaxy_url "$URL" \
       --galaxy_admin_key "$ADMIN_KEY" --galaxy_user_key "$USER_KEY" \
       --test_output_json "$RUN/results/$name.json" --test_output "$RUN/results/$name.html" \
       --summary minimal "$ROOT/$wf") >"$RUN/results/$name.log" 2>&1 || rc=1
    read -r p f < <(count_planemo_results "$RUN/results/$name.json")
    if [ "$rc" != 0 ] || [ "$f" != 0 ] || [ "$p" = 0 ]; then
      tail -60 "$RUN/results/$name.log" >&2
      [ "$f" != 0 ] || f=$((f + 1))
    fi
    say "workflow $name: $p passed, $f failed ($(elapsed))"
    tp=$((tp + p)); tf=$((tf + f))
  done
  echo "$tp $tf" > "$RUN/results/workflows.count"
}

# a progress line every PROGRESS_EVERY seconds while the tests run (they take minutes)
PROGRESS_EVERY=${PROGRESS_EVERY:-60}
progress() {
  local started passed failed wf
  while sleep "$PROGRESS_EVERY"; do
    started=$(cat "$RUN"/results/tools*.log 2>/dev/null | grep -c "Executing test '") || true
    passed=$(cat "$RUN"/results/tools*.log 2>/dev/null | grep -c "Test '.*' passed") || true
    failed=$(cat "$RUN"/results/tools*.log 2>/dev/null | grep -c "Test '.*' failed") || true
    wf=
    if [ "$DO_WORKFLOW" = 1 ]; then
      if [ -f "$RUN/results/workflows.count" ]; then wf="; workflow tests done"
      else wf="; workflow tests running"; fi
    fi
    say "progress: tool tests $((passed + failed)) done of $started started ($passed passed," \
        "$failed failed)$wf; Galaxy jobs: $(galaxy_jobs) ($(elapsed))"
  done
}
galaxy_jobs() {  # "N ok, N running, ..." over every user's jobs, from the API
  "$VENV/bin/python" - "$URL" "$ADMIN_KEY" <<'EOF' 2>/dev/null || echo "?"
import collections, json, sys, urllib.request
req = urllib.request.Request(f"{sys.argv[1]}/api/jobs?limit=10000&user_details=true",
                             headers={"x-api-key": sys.argv[2]})
with urllib.request.urlopen(req, timeout=20) as fh:
    states = collections.Counter(job["state"] for job in json.load(fh))
print(", ".join(f"{n} {state}" for state, n in sorted(states.items())) or "none yet")
EOF
}
if [ "$DO_TOOLS" = 1 ] || [ "$DO_WORKFLOW" = 1 ]; then
  progress &
  PROGRESS_PID=$!
fi

# the workflow tests run beside the tool tests (their jobs fill the gaps between test jobs)
WF_PID=
if [ "$DO_WORKFLOW" = 1 ]; then
  run_workflows &
  WF_PID=$!
fi

# ---------------------------------------------------------------- tool tests
if [ "$DO_TOOLS" = 1 ]; then
  args=()
  for t in "${TOOL_IDS[@]+"${TOOL_IDS[@]}"}"; do args+=(-t "$t"); done
  say "running tool tests (galaxy-tool-test --parallel-tests $PARALLEL_TESTS)"
  rc=0
  # galaxy-tool-test saves each output under -o by its test-data path and makes the folder
  # without exist_ok: two parallel tests writing into one folder race ("File exists", seen
  # as a failed test); make the folders first
  (cd "$ROOT/galaxy/test-data" && find . -type d) | while read -r d; do
    mkdir -p "$RUN/results/tool-outputs/$d"
  done
  if [ "${#TOOL_IDS[@]}" -gt 1 ]; then
    # galaxy-tool-test takes one -t: run each tool in turn, appending to one JSON
    first=1
    for t in "${TOOL_IDS[@]}"; do
      extra=(); [ "$first" = 1 ] || extra=(--append)
      galaxy-tool-test -u "$URL" -a "$ADMIN_KEY" --test-data "$ROOT/galaxy/test-data" \
        --parallel-tests "$PARALLEL_TESTS" -t "$t" "${extra[@]+"${extra[@]}"}" -j "$RUN/results/tools.json" \
        -o "$RUN/results/tool-outputs" >"$RUN/results/tools-$t.log" 2>&1 || rc=1
      first=0
    done
  else
    galaxy-tool-test -u "$URL" -a "$ADMIN_KEY" --test-data "$ROOT/galaxy/test-data" \
      --parallel-tests "$PARALLEL_TESTS" "${args[@]+"${args[@]}"}" -j "$RUN/results/tools.json" \
      -o "$RUN/results/tool-outputs" >"$RUN/results/tools.log" 2>&1 || rc=1
  fi
  read -r p f < <(count_tool_results "$RUN/results/tools.json")
  if [ "$rc" != 0 ] || [ "$f" != 0 ] || [ "$p" = 0 ]; then
    [ "$f" != 0 ] || { tail -40 "$RUN"/results/tools*.log >&2; f=$((f + 1)); }
    FAILED=1
  fi
  say "tool tests: $p passed, $f failed ($(elapsed))"
  TOTAL_PASSED=$((TOTAL_PASSED + p)); TOTAL_FAILED=$((TOTAL_FAILED + f))
fi

if [ -n "$WF_PID" ]; then
  wait "$WF_PID" || true
  read -r p f < "$RUN/results/workflows.count" || { p=0; f=1; }
  [ "$f" = 0 ] && [ "$p" != 0 ] || FAILED=1
  TOTAL_PASSED=$((TOTAL_PASSED + p)); TOTAL_FAILED=$((TOTAL_FAILED + f))
fi

stop_progress
stop_galaxy
stop_celery
stop_mygene
if [ -n "$LINT_PID" ]; then
  wait "$LINT_PID" || true
  LINT_PID=
  [ "$(cat "$GT/lint.status" 2>/dev/null)" = 0 ] || { say "lint FAILED"; FAILED=1; }
fi
echo "galaxy: $TOTAL_PASSED passed, $TOTAL_FAILED failed (lint $([ "$DO_LINT" = 1 ] && echo run || echo skipped); $(elapsed))"
if [ "$FAILED" != 0 ]; then
  say "FAILED (logs and outputs under $RUN)"
  exit 1
fi
