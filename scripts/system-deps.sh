#!/usr/bin/env bash
# Debian packages some tests need (run first by scripts/run-tests.sh). Idempotent and quick
# when everything is already installed: apt is only touched for what is missing.
#   chromium: renders pfocr-report's HTML in a real headless browser (tests/test_report.py)
#   fonts-dejavu-core: the report's font, so screenshots look the same everywhere
#   slurmctld slurmd slurm-client munge: a real single-node Slurm cluster that
#     scripts/cluster-tests.sh starts by hand to run the CWL workflow through Toil on it
# A failed install only warns: the tests that need a package then say what is missing.
set -euo pipefail
packages=(chromium fonts-dejavu-core slurmctld slurmd slurm-client munge)
missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "system-deps: already installed: ${packages[*]}"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: apt-get not found; please install: ${missing[*]}" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "system-deps: not root and no sudo; please install: ${missing[*]}" >&2
    exit 0
  fi
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if $SUDO apt-get update -qq \
    && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  echo "system-deps: installed ${missing[*]}"
else
  echo "system-deps: warning: could not install ${missing[*]}" >&2
fi
