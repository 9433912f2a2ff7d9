"""Retrieval-only check (no LLM, ~1 minute): for one question per corpus topic and language,
is the topic's note among the top-k passages? Run: `python evals/retrieval_check.py [--k 5]`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tutor.config import Settings, apply_offline_environment


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    apply_offline_environment()
    from tutor.embeddings import get_embedder
    from tutor.evaluate import load_gold
    from tutor.glossary import Glossary
    from tutor.retrieval import Retriever
    from tutor.store import Index

    settings = replace(Settings.from_env(), top_k=args.k)
    retriever = Retriever(
        Index(settings), get_embedder(), settings, Glossary.load(settings.corpus_dir)
    )
    items = [i for i in load_gold(split="all") if i["kind"] != "out_of_scope"]
    for lang in ("en", "fr"):
        firsts: dict[str, dict] = {}
        for item in items:
            if item["lang"] == lang:
                firsts.setdefault(item["topic"], item)
        misses = [
            i["id"]
            for i in firsts.values()
            if not set(i["evidence"])
            & {p.meta["doc_id"] for p in retriever.search(i["question"]).passages}
        ]
        hit = len(firsts) - len(misses)
        print(
            f"{lang}: {hit}/{len(firsts)} topics have their note in the top {args.k} "
            f"({hit / len(firsts):.1%}); misses: {', '.join(misses) or 'none'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
