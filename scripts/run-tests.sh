#!/usr/bin/env bash
# Set everything up from PyPI / Debian packages and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f scripts/system-deps.sh ]; then bash scripts/system-deps.sh; fi
bash scripts/setup-venv.sh
. .venv/bin/activate
echo "== ruff"
ruff check tools tests bench
echo "== pytest"
python -m pytest -q -p no:cacheprovider
echo "== cluster"
# the CWL workflow on a real single-node Slurm cluster through Toil (as root; skipped if not)
bash scripts/cluster-tests.sh
if [ -f scripts/galaxy-tests.sh ]; then
  echo "== galaxy"
  bash scripts/galaxy-tests.sh
fi
