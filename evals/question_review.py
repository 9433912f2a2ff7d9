"""Sample bank questions for a human-style review and summarise the verdicts.

    python evals/question_review.py sample --n 50 --seed 7   # writes evals/question-review-sheet.md
    python evals/question_review.py summary                  # reads evals/question-review.jsonl
    python evals/question_review.py calibrate                # today's rules vs every past verdict
    python evals/question_review.py drop-flagged             # remove what a review flagged
    python evals/question_review.py sheets --out-dir DIR     # the whole bank, to read it all

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


def sample(n: int, seed: int, new_since: Path | None = None, sheet: Path = SHEET) -> None:
    bank = _new_since(load_bank(ROOT / "index" / "question-bank.jsonl"), new_since)
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
    title = f"Question review sheet ({len(picked)} of {len(bank)} bank questions, seed {seed})"
    write_sheet(picked, title, sheet)


def _new_since(bank: list, older: Path | None) -> list:
    """Only the questions an older bank file lacks (what a change added), or all of them."""
    if older is None:
        return bank
    old = {q.id for q in load_bank(older)}
    return [q for q in bank if q.id not in old]


def write_sheet(picked: list, title: str, sheet: Path) -> None:
    """Each question beside its options' explanations and the passage its key cites."""
    lines = [f"# {title}", ""]
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
    sheet.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {sheet} ({len(picked)} questions)")


def sheets(parts: int, bank_file: Path, out_dir: Path, new_since: Path | None) -> None:
    """The whole bank (or what it gained since an older bank file) split into sheets, for an
    editorial read of every question before it ships."""
    bank = _new_since(load_bank(bank_file), new_since)
    if not bank:
        raise SystemExit("no questions to write: the bank has nothing new since that file")
    out_dir.mkdir(parents=True, exist_ok=True)
    size = -(-len(bank) // parts)
    # Fewer sheets than asked when the bank is small, each numbered "k of how many there are".
    chunks = [bank[k : k + size] for k in range(0, len(bank), size)]
    for k, chunk in enumerate(chunks, 1):
        write_sheet(
            chunk, f"Editorial sheet, part {k} of {len(chunks)}", out_dir / f"part{k}-sheet.md"
        )


def summary() -> None:
    rows = [json.loads(line) for line in VERDICTS.read_text().splitlines() if line.strip()]
    counts = Counter(r["verdict"] for r in rows)
    print(f"{len(rows)} reviewed: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    for r in rows:
        if r["verdict"] != "correct":
            print(f"  {r['id']}: {r['verdict']} — {r['reason']}")


def all_verdicts() -> list[dict]:
    """Every verdict of every review, oldest review first (the official one last)."""
    files = [*sorted((ROOT / "evals" / "question-reviews").glob("**/*.jsonl")), VERDICTS]
    return [
        json.loads(line)
        for f in files
        if f.exists()  # no official review yet
        for line in f.read_text().splitlines()
        if line.strip()
    ]


def reviewed_questions() -> dict[str, object]:
    """Every question a review has judged: from today's bank or, when it has since been
    dropped, from the bank as committed in git history."""
    import subprocess

    from tutor.quiz.question import Question

    found = {q.id: q for q in load_bank(ROOT / "index" / "question-bank.jsonl")}
    commits = subprocess.run(
        ["git", "log", "--format=%H", "--", "index/question-bank.jsonl"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    for commit in commits:
        text = subprocess.run(
            ["git", "show", f"{commit}:index/question-bank.jsonl"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        for line in text.splitlines():
            try:
                q = Question.from_dict(json.loads(line))
            except (ValueError, TypeError):
                continue
            found.setdefault(q.id, q)
    return found


def calibrate() -> None:
    """Run today's validation over every reviewed question and show, by verdict, what the
    rules say: the evidence for the thresholds in tutor/quiz/validate.py."""
    from tutor.config import Settings
    from tutor.quiz.bank import BankBuilder

    questions = reviewed_questions()
    # The latest review of a question wins.
    verdicts = {r["id"]: r["verdict"] for r in all_verdicts()}
    builder = BankBuilder(Settings.from_env(), llm=None)
    v = builder.validator
    table: dict[str, Counter] = {}
    rows = []
    for qid, verdict in verdicts.items():
        q = questions.get(qid)
        if q is None:
            continue
        english = questions.get(q.translated_from) if q.translated_from else q
        if english is None or english.lang != "en":
            continue
        checked = v.check(english)
        vec = checked.scores.get("vector")
        if vec is None:
            vec = v._vec(english.stem)
        key, rival = v.cue_scores(english, v.choices(english), vec)
        reasons = [r for r in checked.reasons if r != "near_duplicate"]
        rows.append((verdict, key, rival, reasons, qid))
        table.setdefault(verdict, Counter())["kept" if not reasons else "rejected"] += 1
    for verdict, key, rival, reasons, qid in sorted(rows):
        print(
            f"{verdict:9} key {key:.2f} rival {rival:.2f} gap {key - rival:+.2f} "
            f"{','.join(reasons) or 'kept':40} {qid}"
        )
    for verdict, c in sorted(table.items()):
        print(f"{verdict}: {dict(c)}")


def drop_flagged(min_reads: int = 0) -> None:
    """Take out of the bank every question any review judged wrong or ambiguous, with the
    French twins of a flagged English question (a translation keeps its original's fault; a
    flagged translation says nothing about its original); with min_reads, also every question
    fewer reviewers than that have read and accepted."""
    from tutor.quiz.bank import rewrite_bank

    path = ROOT / "index" / "question-bank.jsonl"
    bank = load_bank(path)
    verdicts = all_verdicts()
    flagged = {r["id"] for r in verdicts if r["verdict"] in ("wrong", "ambiguous")}
    accepted = Counter(r["id"] for r in verdicts if r["verdict"] == "correct")
    drop = flagged | {q.id for q in bank if q.translated_from in flagged}
    drop |= {q.id for q in bank if accepted[q.id] < min_reads}
    keep = [q for q in bank if q.id not in drop]
    rewrite_bank(path, keep)
    print(
        f"dropped {len(bank) - len(keep)} questions a review flagged or fewer than {min_reads} "
        f"accepted (or their twins); {len(keep)} left"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--n", type=int, default=50)
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--new-since", type=Path, help="only questions not in this older bank file")
    s.add_argument("--sheet", type=Path, default=SHEET, help="where to write the sheet")
    e = sub.add_parser("sheets")
    e.add_argument("--parts", type=int, default=8)
    e.add_argument("--bank", type=Path, default=ROOT / "index" / "question-bank.jsonl")
    e.add_argument("--out-dir", type=Path, required=True)
    e.add_argument("--new-since", type=Path, help="only questions not in this older bank file")
    sub.add_parser("summary")
    sub.add_parser("calibrate")
    d = sub.add_parser("drop-flagged")
    d.add_argument(
        "--min-reads", type=int, default=0, help="keep only questions this many accepted"
    )
    args = ap.parse_args()
    if args.cmd == "sample":
        sample(args.n, args.seed, args.new_since, args.sheet)
    elif args.cmd == "sheets":
        sheets(args.parts, args.bank, args.out_dir, args.new_since)
    elif args.cmd == "calibrate":
        calibrate()
    elif args.cmd == "drop-flagged":
        drop_flagged(args.min_reads)
    else:
        summary()


if __name__ == "__main__":
    main()
