"""Ingestion at scale: index the project corpus plus a large folder of the learner's own
Markdown (e.g. ../shared/external/awsdocs, 3,669 AWS guide pages) into a temporary index.

Run: `python benchmarks/bench_ingest.py ../shared/external/awsdocs`
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tutor.config import Settings, apply_offline_environment


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    apply_offline_environment()
    from tutor.retrieval import Retriever
    from tutor.store import Index, build_index

    settings = replace(Settings.from_env(), index_dir=Path(tempfile.mkdtemp(prefix="ingest-")))
    report = build_index(settings, add=[args.folder], progress=True)
    again = build_index(settings, progress=False)
    from tutor.embeddings import get_embedder
    from tutor.glossary import Glossary

    retriever = Retriever(
        Index(settings), get_embedder(), settings, Glossary.load(settings.corpus_dir)
    )
    start = time.perf_counter()
    for q in [
        "How do I partition data in Athena?",
        "What is a Firehose delivery stream?",
        "Comment fonctionne le mode Pipe ?",
        "DeepAR hyperparameters",
    ]:
        retriever.search(q)
    per_query = (time.perf_counter() - start) / 4
    result = {
        "files": report.files,
        "chunks": report.chunks,
        "build_s": round(report.seconds, 1),
        "chunks_per_s": round(report.chunks / report.seconds, 1),
        "skipped": len(report.skipped),
        "noop_rebuild_s": round(again.seconds, 1),
        "retrieval_ms": round(1000 * per_query, 1),
    }
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
