#!/usr/bin/env bash
# Rebuild docs/report-screenshot.png: extract -> export -> report on the bundled records, then
# a headless Chromium screenshot of the top of the report (needs chromium: scripts/system-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pfocr-extract test-data/records -o "$tmp/table.tsv" -q
pfocr-export "$tmp/table.tsv" -o "$tmp/library.gmt" -q 2>/dev/null
pfocr-report "$tmp/table.tsv" -o "$tmp/report.html" --gmt "$tmp/library.gmt" \
    --remap-report test-data/report/remap-report.tsv -q
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage \
    --hide-scrollbars --user-data-dir="$tmp/profile" --window-size=1100,3000 \
    --screenshot="$tmp/shot.png" "file://$tmp/report.html" >/dev/null 2>&1
python - "$tmp/shot.png" docs/report-screenshot.png <<'PY'
import sys
from PIL import Image

Image.open(sys.argv[1]).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT) \
    .save(sys.argv[2], optimize=True)
PY
echo "wrote docs/report-screenshot.png"
