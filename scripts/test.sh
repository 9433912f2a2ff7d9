#!/usr/bin/env bash
# Install what is missing, then run the linter and the test suite (small model, real stack).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
ruff check .
python -m pytest -q "$@"
