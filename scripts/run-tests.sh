#!/usr/bin/env bash
# Set everything up from PyPI / Debian packages and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh
. .venv/bin/activate
echo "== ruff"
ruff check tools tests bench
echo "== pytest"
python -m pytest -q -p no:cacheprovider
