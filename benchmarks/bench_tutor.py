"""Speed of the tutor on this machine: index build, retrieval, time to first token, tokens/s,
peak memory. Run: `python benchmarks/bench_tutor.py [--model default|small|PATH]`.

Numbers are medians/percentiles over a fixed list of 20 questions; report ratios against the
naive baseline rather than absolute seconds when comparing runs on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tutor.config import Settings, apply_offline_environment

QUESTIONS = [
    "Which SageMaker feature detects data drift?",
    "When should I use Batch Transform instead of a real-time endpoint?",
    "Firehose or Kinesis Data Streams to land clickstream data in S3?",
    "What input format does DeepAR expect?",
    "How does SageMaker automatic model tuning choose the next hyperparameters?",
    "What is the difference between L1 and L2 regularization?",
    "Which metric should I use for an imbalanced fraud dataset?",
    "How do I keep SageMaker training traffic inside my VPC?",
    "What does Pipe mode change compared with File mode?",
    "What is SageMaker Clarify used for?",
    "Quel service détecte la dérive des données d'un modèle en production ?",
    "Quand utiliser l'inférence sans serveur plutôt qu'un point de terminaison en temps réel ?",
    "Comment réduire le surapprentissage d'un réseau de neurones ?",
    "À quoi sert AWS Glue Data Catalog ?",
    "Quelle est la différence entre précision et rappel ?",
    "Comment chiffrer les données d'entraînement au repos ?",
    "Quel algorithme SageMaker pour détecter des anomalies ?",
    "Comment héberger plusieurs modèles sur un seul point de terminaison ?",
    "Qu'est-ce que SMOTE ?",
    "Comment Amazon Personalize fait-il des recommandations ?",
]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="default")
    parser.add_argument("--skip-build", action="store_true", help="reuse the project index")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    apply_offline_environment()
    from tutor.chat import Answer, Tutor
    from tutor.embeddings import get_embedder
    from tutor.store import build_index

    settings = Settings.from_env(llm_model=args.model)
    results: dict = {"model": args.model}
    embedder = get_embedder()
    if not args.skip_build:
        tmp = Path(tempfile.mkdtemp(prefix="tutor-bench-"))
        settings = replace(settings, index_dir=tmp)
        report = build_index(settings, progress=False, embedder=embedder)
        results["index_build_s"] = round(report.seconds, 1)
        results["index_chunks"] = report.chunks
        results["index_chunks_per_s"] = round(report.chunks / report.seconds, 1)
        again = build_index(settings, progress=False, embedder=embedder)
        results["index_noop_rebuild_s"] = round(again.seconds, 2)

    tutor = Tutor(settings, embedder=embedder)
    start = time.perf_counter()
    tutor.warm_up()
    results["model_load_and_warm_s"] = round(time.perf_counter() - start, 1)

    retrieval, first, total, rates = [], [], [], []
    for q in QUESTIONS:
        t0 = time.perf_counter()
        tutor.retriever.search(q)
        retrieval.append(time.perf_counter() - t0)
        pieces = 0
        t0 = time.perf_counter()
        first_at = None
        answer = None
        for piece in tutor.stream(q):
            if isinstance(piece, Answer):
                answer = piece
            else:
                pieces += 1
                first_at = first_at or time.perf_counter()
        end = time.perf_counter()
        assert answer is not None
        first.append(answer.timings["first_token"])
        total.append(end - t0)
        if first_at and pieces > 1 and not answer.abstained:
            rates.append(pieces / max(1e-6, end - first_at))
    results.update(
        {
            "retrieval_p50_ms": round(1000 * statistics.median(retrieval), 1),
            "retrieval_p95_ms": round(1000 * pct(retrieval, 0.95), 1),
            "first_token_p50_s": round(statistics.median(first), 2),
            "first_token_p95_s": round(pct(first, 0.95), 2),
            "answer_total_p50_s": round(statistics.median(total), 2),
            "generation_tokens_per_s": round(statistics.median(rates), 1) if rates else None,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
    )
    print(json.dumps(results, indent=1))
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
