"""The `tutor` command: answers, JSON output, and one-line errors instead of tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tutor.config import PROJECT_ROOT


def run(args, settings, timeout=600):
    env = dict(
        os.environ,
        TUTOR_CORPUS_DIR=str(settings.corpus_dir),
        TUTOR_INDEX_DIR=str(settings.index_dir),
        TUTOR_LLM_MODEL="small",
        TUTOR_MODEL_CACHE_DIR=str(settings.model_cache_dir),
        TUTOR_MAX_ANSWER_TOKENS="32",
    )
    env.pop("TUTOR_LLM_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "tutor.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=timeout,
    )


def test_ask_json_prints_one_answer_object(full_settings, full_index):
    out = run(["ask", "--json", "Which SageMaker feature detects data drift?"], full_settings)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert set(answer) >= {"text", "citations", "abstained", "timings"}
    for c in answer["citations"]:
        assert set(c) == {"n", "source", "title", "section", "text"}


def test_ask_prints_answer_and_sources(full_settings, full_index):
    out = run(["ask", "What does Amazon Polly do?"], full_settings)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()


def test_empty_question_is_a_one_line_error(full_settings, full_index):
    out = run(["ask", "   "], full_settings)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith("error: the question is empty")


def test_missing_index_is_a_clear_error(full_settings, tmp_path):
    from dataclasses import replace

    out = run(["ask", "What is Polly?"], replace(full_settings, index_dir=tmp_path / "none"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "run `tutor index` first" in out.stderr


def test_bad_setting_is_a_clear_error(full_settings):
    env_settings = full_settings
    out = subprocess.run(
        [sys.executable, "-m", "tutor.cli", "index", "--status"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=dict(os.environ, TUTOR_TOP_K="many", TUTOR_INDEX_DIR=str(env_settings.index_dir)),
    )
    assert out.returncode == 2 and "TUTOR_TOP_K" in out.stderr and "Traceback" not in out.stderr


def test_index_status(full_settings, full_index):
    out = run(["index", "--status"], full_settings)
    assert out.returncode == 0 and "chunks" in out.stdout
