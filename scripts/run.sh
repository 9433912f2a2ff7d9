#!/usr/bin/env bash
# Install what is missing, prepare the models and the index, then start the app on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
tutor setup
exec python app.py "$@"
