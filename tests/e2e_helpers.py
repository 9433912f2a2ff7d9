"""Set-up for the browser tests: a small corpus, its index, a four-question bank, and the real
app started as `python app.py` in a subprocess with its own data directory."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tutor.config import PROJECT_ROOT
from tutor.quiz.question import Option, Question, question_id

CORPUS = PROJECT_ROOT / "corpus"
NOTES = [
    "deployment/sagemaker-model-monitor.md",
    "data/kinesis-data-firehose.md",
    "data/kinesis-data-streams.md",
    "algorithms/algo-deepar.md",
    "data/athena.md",  # no question in the bank: the app offers to generate one
]
# Put into feedback and uploads: if any of it ran, window.__xss would be set.
XSS = '<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script>'


def make_corpus(root: Path) -> Path:
    """The French sheet, the glossary and four notes, keeping the notes' folders."""
    (root / "notes").mkdir(parents=True)
    shutil.copytree(CORPUS / "sheet", root / "sheet")
    shutil.copy(CORPUS / "glossary.fr-en.md", root / "glossary.fr-en.md")
    for name in NOTES:
        target = root / "notes" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / "notes" / name, target)
    return root


def _cite(n: int, note: str, title: str, section: str, text: str) -> dict:
    return {
        "n": n,
        "source": f"corpus/notes/{note}",
        "title": title,
        "section": section,
        "text": text,
    }


def bank_questions() -> list[Question]:
    """Four valid questions over the mini corpus: single and choose-two, English and French,
    one explanation carrying an HTML payload that must show as text."""
    monitor = _cite(
        1,
        NOTES[0],
        "Amazon SageMaker Model Monitor",
        "The four monitor types",
        "Data quality (DefaultModelMonitor): detects data drift and schema problems in input "
        "features.",
    )
    firehose = _cite(
        2,
        NOTES[1],
        "Amazon Data Firehose (formerly Kinesis Data Firehose)",
        "What it is",
        "Amazon Data Firehose captures streaming data, buffers it, and delivers it to S3, "
        "Redshift and OpenSearch without code to manage.",
    )
    streams = _cite(
        1,
        NOTES[2],
        "Amazon Kinesis Data Streams",
        "What it is",
        "Kinesis Data Streams stores records in shards for replay by several consumers.",
    )
    deepar = _cite(
        1,
        NOTES[3],
        "SageMaker DeepAR forecasting algorithm",
        "What it is",
        "SageMaker DeepAR trains one recurrent neural network over many related time series.",
    )
    specs = [
        (
            "sagemaker-model-monitor",
            "en",
            4,
            "A bank's fraud model was trained a year ago and input distributions have shifted.",
            "Which SageMaker capability detects this data drift automatically?",
            [
                (
                    "SageMaker Model Monitor",
                    True,
                    f"It compares captured data with a baseline. {XSS}",
                ),
                ("SageMaker Clarify", False, "It explains predictions and measures bias."),
                ("SageMaker Ground Truth", False, "It labels data."),
                ("SageMaker Data Wrangler", False, "It prepares data."),
            ],
            1,
            [monitor],
        ),
        (
            "kinesis-data-firehose",
            "en",
            1,
            "A retailer must land clickstream events in S3 and Redshift with no servers to manage.",
            "Which TWO statements about Amazon Data Firehose are true?",
            [
                ("It delivers to S3 without code", True, "Firehose delivers to S3 directly."),
                ("It buffers records before delivery", True, "Firehose buffers by size or time."),
                ("It keeps records for replay for 365 days", False, "That is Data Streams."),
                ("It trains models", False, "Firehose only moves data."),
            ],
            2,
            [firehose],
        ),
        (
            "kinesis-data-streams",
            "fr",
            1,
            "Une équipe doit relire les mêmes événements avec plusieurs consommateurs.",
            "Quel service AWS choisir ?",
            [
                (
                    "Amazon Kinesis Data Streams",
                    True,
                    "Les shards gardent les données pour relecture.",
                ),
                ("Amazon Data Firehose", False, "Il livre les données sans relecture."),
                ("AWS Glue", False, "C'est un service ETL."),
                ("Amazon Athena", False, "Il interroge S3 en SQL."),
            ],
            1,
            [streams],
        ),
        (
            "algo-deepar",
            "en",
            3,
            "A retailer forecasts demand for thousands of related products, some of them new.",
            "Which SageMaker built-in algorithm fits best?",
            [
                ("SageMaker DeepAR", True, "One RNN over many related series, with cold start."),
                ("SageMaker Linear Learner", False, "A linear model, not a forecaster."),
                ("SageMaker BlazingText", False, "Text embeddings and classification."),
                ("SageMaker K-Means", False, "Clustering."),
            ],
            1,
            [deepar],
        ),
    ]
    questions = []
    for topic, lang, domain, scenario, prompt, options, choose, cites in specs:
        for i, c in enumerate(cites, 1):
            c["n"] = i
        questions.append(
            Question(
                id=question_id(topic, lang, scenario),
                lang=lang,
                topic=topic,
                domain=domain,
                scenario=scenario,
                prompt=prompt,
                options=[Option(t, ok, why, 1) for t, ok, why in options],
                choose=choose,
                citations=cites,
                model="test",
            )
        )
    return questions


def write_bank(index_dir: Path) -> list[Question]:
    questions = bank_questions()
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / "question-bank.jsonl").open("w", encoding="utf-8") as fh:
        for q in questions:
            fh.write(json.dumps(q.to_dict(), ensure_ascii=False) + "\n")
    return questions


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(corpus: Path, index: Path, data: Path, model_cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TUTOR_CORPUS_DIR=str(corpus),
        TUTOR_INDEX_DIR=str(index),
        TUTOR_DATA_DIR=str(data),
        TUTOR_MODEL_CACHE_DIR=str(model_cache),
        TUTOR_LLM_MODEL="small",
        TUTOR_LLM_URL="",
        TUTOR_LLM_THREADS="1",
        TUTOR_MAX_ANSWER_TOKENS="40",
        TUTOR_TEMPERATURE="0",  # greedy decoding: the same answer on every run
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",
    )
    env.pop("TUTOR_AUTH", None)
    return env


def start_app(env: dict[str, str], port: int, log: Path, timeout: float = 180) -> subprocess.Popen:
    """`python app.py --port N`, waited for until it serves its page."""
    out = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, str(PROJECT_ROOT / "app.py"), "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise RuntimeError(f"the app did not start in {timeout} s: {log.read_text()[-2000:]}")


def stop_app(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
