#!/usr/bin/env bash
# Install what is missing, then run the linter and the test suite (small model, real stack).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The browser tests drive the app in the system Chromium (Playwright's own download is not used).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  apt-get install -y -q chromium >/dev/null || echo "chromium not installed: browser tests will be skipped"
fi
. .venv/bin/activate
ruff check .
python -m pytest -q "$@"
