"""Sample bank questions for a human-style review and summarise the verdicts.

    python evals/question_review.py sample --n 50 --seed 7   # writes evals/question-review-sheet.md
    python evals/question_review.py summary                  # reads evals/question-review.jsonl

The sheet shows each sampled question with its key, every option's explanation and the full
passage the key cites, so a reviewer can judge "is the key correct and unambiguous?" by reading.
Verdicts go to question-review.jsonl, one per line: {"id", "verdict": "correct" | "wrong" |
"ambiguous", "reason"}.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tutor.quiz.bank import load_bank  # noqa: E402
from tutor.quiz.question import LETTERS  # noqa: E402

SHEET = ROOT / "evals" / "question-review-sheet.md"
VERDICTS = ROOT / "evals" / "question-review.jsonl"


def sample(n: int, seed: int) -> None:
    bank = load_bank(ROOT / "index" / "question-bank.jsonl")
    rng = random.Random(seed)
    # Stratify by language so both are reviewed in proportion.
    by_lang: dict[str, list] = {}
    for q in bank:
        by_lang.setdefault(q.lang, []).append(q)
    picked = []
    for _lang, qs in sorted(by_lang.items()):
        k = round(n * len(qs) / len(bank))
        picked += rng.sample(qs, min(k, len(qs)))
    picked = picked[:n]
    lines = [
        f"# Question review sheet ({len(picked)} of {len(bank)} bank questions, seed {seed})",
        "",
    ]
    for i, q in enumerate(picked, 1):
        lines += [
            f"## {i}. `{q.id}` ({q.lang}, domain {q.domain}, {q.level}, choose {q.choose})",
            "",
            q.scenario,
            "",
            f"**{q.prompt}**",
            "",
        ]
        for j, o in enumerate(q.options):
            mark = "**KEY**" if o.correct else ""
            lines.append(f"- {LETTERS[j]}) {o.text} {mark} — {o.explanation} [{o.cite}]")
        for c in q.citations:
            if any(q.options[k].cite == c["n"] for k in q.keys):
                lines += [
                    "",
                    f"> [{c['n']}] {c['title']} › {c['section']}",
                    ">",
                    "> " + " ".join(c["text"].split()),
                ]
        lines.append("")
    SHEET.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {SHEET} ({len(picked)} questions)")


def summary() -> None:
    rows = [json.loads(line) for line in VERDICTS.read_text().splitlines() if line.strip()]
    counts = Counter(r["verdict"] for r in rows)
    print(f"{len(rows)} reviewed: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    for r in rows:
        if r["verdict"] != "correct":
            print(f"  {r['id']}: {r['verdict']} — {r['reason']}")


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--n", type=int, default=50)
    s.add_argument("--seed", type=int, default=7)
    sub.add_parser("summary")
    args = ap.parse_args()
    if args.cmd == "sample":
        sample(args.n, args.seed)
    else:
        summary()


if __name__ == "__main__":
    main()
