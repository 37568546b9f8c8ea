#!/usr/bin/env bash
# Set everything up from PyPI / Debian packages and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f scripts/system-deps.sh ]; then bash scripts/system-deps.sh; fi
bash scripts/setup-venv.sh
. .venv/bin/activate
# install (or check) Galaxy's own venv while ruff, pytest and the cluster test run
mkdir -p .galaxy-test
bash scripts/galaxy-tests.sh --install-only > .galaxy-test/install.log 2>&1 &
galaxy_install=$!
trap 'kill "$galaxy_install" 2>/dev/null || true' EXIT
echo "== ruff"
ruff check tools tests bench
echo "== pytest"
python -m pytest -q -p no:cacheprovider
echo "== cluster"
# the CWL workflow on a real single-node Slurm cluster through Toil (as root; skipped if not)
bash scripts/cluster-tests.sh
echo "== galaxy"
if ! wait "$galaxy_install"; then
  cat .galaxy-test/install.log >&2
  echo "run-tests: installing Galaxy failed (log above)" >&2
  exit 1
fi
trap - EXIT
cat .galaxy-test/install.log >&2
bash scripts/galaxy-tests.sh
