"""Answer-fidelity harness: runs the tutor over the gold set and measures retrieval, correctness,
citations, faithfulness, abstention and latency.

Support of a sentence by a passage is decided without a judge model (none ships offline): a
sentence counts as supported when most of its content words appear in the passage, or when its
embedding is close to the passage's (cosine ≥ SUPPORT_COSINE). Both thresholds are documented
in evals/README.md with their agreement on a hand-labelled sample.
"""

from __future__ import annotations

import json
import re
import statistics
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tutor.config import PROJECT_ROOT
from tutor.language import fold
from tutor.lexical import tokenize

EVALS_DIR = PROJECT_ROOT / "evals"
GOLD = EVALS_DIR / "gold.jsonl"
SUPPORT_OVERLAP = 0.5
SUPPORT_COSINE = 0.6
_MARKER = re.compile(r"\[(\d+)\]")
_SENTENCES = re.compile(r"(?<=[.!?])\s+")


LOWER_IS_BETTER = {
    "false_decline_rate",
    "first_token_p50",
    "first_token_p95",
    "total_p50",
    "errors",
}


class GoldError(ValueError):
    """A gold item that does not follow the documented format."""


REQUIRED = {
    "id",
    "lang",
    "question",
    "reference_answer",
    "key_facts",
    "evidence",
    "topic",
    "domain",
    "kind",
    "split",
}
KINDS = {"fact", "comparison", "scenario", "out_of_scope"}


def load_gold(path: Path = GOLD, split: str | None = None) -> list[dict]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        missing = REQUIRED - set(item)
        if missing:
            raise GoldError(f"{path.name}:{n} lacks {sorted(missing)}")
        if item["kind"] not in KINDS or item["split"] not in {"dev", "test"}:
            raise GoldError(f"{path.name}:{n} has an unknown kind or split")
        if split in (None, "all") or item["split"] == split:
            items.append(item)
    return items


def quick_items(items: list[dict], per_kind_and_language: int) -> list[dict]:
    """A small sample with every kind of question in both languages, for CI."""
    picked: dict[tuple[str, str], int] = {}
    chosen = []
    for item in items:
        key = (item["kind"], item["lang"])
        if picked.get(key, 0) < per_kind_and_language:
            picked[key] = picked.get(key, 0) + 1
            chosen.append(item)
    return chosen


def key_fact_recall(answer: str, key_facts: list[list[str]]) -> float:
    """Share of key-fact groups of which at least one phrasing appears in the answer."""
    if not key_facts:
        return 1.0
    text = fold(answer)
    hits = sum(any(fold(p) in text for p in group) for group in key_facts)
    return hits / len(key_facts)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCES.split(text) if len(s.strip()) > 3]


def overlap(sentence: str, passage: str) -> float:
    words = set(tokenize(_MARKER.sub("", sentence)))
    if not words:
        return 1.0
    return len(words & set(tokenize(passage))) / len(words)


@dataclass
class SupportJudge:
    """Decides whether a passage supports a sentence (lexical overlap or embedding cosine)."""

    embed: Callable[[list[str]], object] | None = None

    def supports(self, sentence: str, passage: str) -> bool:
        if overlap(sentence, passage) >= SUPPORT_OVERLAP:
            return True
        if self.embed is None:
            return False
        vecs = self.embed([_MARKER.sub("", sentence), passage])
        return float(vecs[0] @ vecs[1]) >= SUPPORT_COSINE


@dataclass
class ItemResult:
    id: str
    lang: str
    kind: str
    topic: str
    domain: int
    question: str
    reference: str
    answer: str
    abstained: bool
    key_fact_recall: float
    correct: bool
    retrieved_docs: list[str]
    evidence_rank: int | None  # 1-based rank of the first gold evidence among passages
    markers: int
    supported_markers: int
    sentences: int
    supported_sentences: int
    has_valid_citation: bool
    first_token: float
    total: float
    error: str = ""
    declined_by: str = ""
    support: list[dict] = field(default_factory=list)  # each sentence, its passage, the verdict


def evaluate_item(tutor, item: dict, judge: SupportJudge) -> ItemResult:
    from tutor.chat import Answer

    error = ""
    try:
        answer = tutor.ask(item["question"])
    except Exception as exc:  # one failing item must not stop the run
        error = f"{exc.__class__.__name__}: {exc}"
        answer = Answer("", [], False, {}, item["lang"])  # scored as a wrong answer
    oos = item["kind"] == "out_of_scope"
    docs = [s.get("doc_id", "") for s in answer.searched]
    rank = next((i for i, d in enumerate(docs, 1) if d in item["evidence"]), None)
    recall = (
        0.0 if answer.abstained and not oos else key_fact_recall(answer.text, item["key_facts"])
    )
    correct = answer.abstained if oos else (not answer.abstained and recall == 1.0)
    by_n = {c.n: c.text for c in answer.citations}
    markers = supported_m = sentences = supported_s = 0
    support: list[dict] = []
    if not answer.abstained:
        for sentence in split_sentences(answer.text):
            cited = [int(n) for n in _MARKER.findall(sentence) if int(n) in by_n]
            sentences += 1
            ok = [judge.supports(sentence, by_n[n]) for n in cited]
            support += [
                {"sentence": sentence, "n": n, "passage": by_n[n], "supported": v}
                for n, v in zip(cited, ok, strict=True)
            ]
            markers += len(cited)
            supported_m += sum(ok)
            supported_s += any(ok)
    return ItemResult(
        item["id"],
        item["lang"],
        item["kind"],
        item["topic"],
        item["domain"],
        item["question"],
        item["reference_answer"],
        answer.text,
        answer.abstained,
        recall,
        correct,
        docs,
        rank,
        markers,
        supported_m,
        sentences,
        supported_s,
        bool(answer.citations),
        answer.timings.get("first_token", 0.0),
        answer.timings.get("total", 0.0),
        error,
        answer.declined_by,
        support,
    )


def _pct(values: Iterable[float], q: float) -> float:
    vals = sorted(values)
    if not vals:
        return 0.0
    return vals[min(len(vals) - 1, round(q * (len(vals) - 1)))]


def summarize(results: list[ItemResult]) -> dict:
    inscope = [r for r in results if r.kind != "out_of_scope"]
    oos = [r for r in results if r.kind == "out_of_scope"]
    answered = [r for r in inscope if not r.abstained]
    declined = [r for r in results if r.abstained]

    def ratio(a: float, b: float) -> float:
        return round(a / b, 4) if b else 0.0

    metrics = {
        "items": len(results),
        "correct": ratio(sum(r.correct for r in results), len(results)),
        "answer_correct_inscope": ratio(sum(r.correct for r in inscope), len(inscope)),
        "key_fact_recall": ratio(sum(r.key_fact_recall for r in inscope), len(inscope)),
        "retrieval_recall_at_k": ratio(
            sum(r.evidence_rank is not None for r in inscope), len(inscope)
        ),
        "retrieval_mrr": ratio(
            sum(1 / r.evidence_rank for r in inscope if r.evidence_rank), len(inscope)
        ),
        "citation_precision": ratio(
            sum(r.supported_markers for r in answered), sum(r.markers for r in answered)
        ),
        "answers_with_valid_citation": ratio(
            sum(r.has_valid_citation for r in answered), len(answered)
        ),
        "faithfulness": ratio(
            sum(r.supported_sentences for r in answered), sum(r.sentences for r in answered)
        ),
        "abstention_recall": ratio(sum(r.abstained for r in oos), len(oos)),
        "abstention_precision": ratio(
            sum(r.kind == "out_of_scope" for r in declined), len(declined)
        ),
        "false_decline_rate": ratio(sum(r.abstained for r in inscope), len(inscope)),
        "first_token_p50": round(statistics.median([r.first_token for r in results]), 3)
        if results
        else 0.0,
        "first_token_p95": round(_pct([r.first_token for r in results], 0.95), 3),
        "total_p50": round(statistics.median([r.total for r in results]), 3) if results else 0.0,
        "errors": sum(bool(r.error) for r in results),
    }
    return metrics


def breakdown(results: list[ItemResult], key: str) -> dict[str, dict]:
    groups: dict[str, list[ItemResult]] = defaultdict(list)
    for r in results:
        groups[str(getattr(r, key))].append(r)
    return {
        k: {
            "items": len(v),
            "correct": round(sum(r.correct for r in v) / len(v), 3),
            "retrieval_recall_at_k": round(
                sum(r.evidence_rank is not None for r in v if r.kind != "out_of_scope")
                / max(1, sum(r.kind != "out_of_scope" for r in v)),
                3,
            ),
        }
        for k, v in sorted(groups.items())
    }


def load_thresholds(path: Path = EVALS_DIR / "thresholds.toml") -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def check_floors(metrics: dict, floors: dict) -> list[str]:
    """Metrics on the wrong side of their bound (for LOWER_IS_BETTER ones it is a ceiling)."""
    failures = []
    for name, bound in floors.items():
        value = metrics.get(name)
        if value is None:
            failures.append(f"{name}: not measured")
        elif name in LOWER_IS_BETTER:
            if value > bound:
                failures.append(f"{name} = {value} above ceiling {bound}")
        elif value < bound:
            failures.append(f"{name} = {value} below floor {bound}")
    return failures


@dataclass
class Report:
    metrics: dict
    results: list[ItemResult]
    meta: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "meta": self.meta,
            "metrics": self.metrics,
            "by_language": breakdown(self.results, "lang"),
            "by_kind": breakdown(self.results, "kind"),
            "by_domain": breakdown(self.results, "domain"),
            "by_topic": breakdown(self.results, "topic"),
            "items": [r.__dict__ for r in self.results],
        }


def run_eval(
    tutor, items: list[dict], judge: SupportJudge, progress: bool = True
) -> list[ItemResult]:
    from tqdm.auto import tqdm

    return [
        evaluate_item(tutor, item, judge)
        for item in tqdm(items, desc="evaluating", disable=not progress)
    ]


def markdown_report(report: dict, previous: dict | None) -> str:
    m = report["metrics"]
    lines = [
        f"# Evaluation {report['meta'].get('timestamp', '')}",
        "",
        f"Model: `{report['meta'].get('model')}` · split: {report['meta'].get('split')} · "
        f"items: {m['items']}",
        "",
        "| metric | value | previous |",
        "|---|---|---|",
    ]
    prev = (previous or {}).get("metrics", {})
    for k, v in m.items():
        lines.append(f"| {k} | {v} | {prev.get(k, '')} |")
    for title, key in [
        ("By language", "by_language"),
        ("By kind", "by_kind"),
        ("By domain", "by_domain"),
    ]:
        lines += [
            "",
            f"## {title}",
            "",
            "| group | items | correct | retrieval@k |",
            "|---|---|---|---|",
        ]
        for g, v in report[key].items():
            lines.append(f"| {g} | {v['items']} | {v['correct']} | {v['retrieval_recall_at_k']} |")
    worst = [i for i in report["items"] if not i["correct"]][:15]
    lines += ["", "## Items answered wrongly", ""]
    for i in worst:
        lines += [
            f"### {i['id']} ({i['lang']}, {i['kind']})",
            f"- Question: {i['question']}",
            f"- Reference: {i['reference']}",
            f"- Tutor: {i['answer'] or i['error']}",
            f"- Key-fact recall: {i['key_fact_recall']:.2f}; retrieved: "
            f"{', '.join(i['retrieved_docs'][:4])}",
            "",
        ]
    return "\n".join(lines) + "\n"


def write_report(report: Report, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    previous_files = sorted(out_dir.glob("*.json"))
    previous = None
    if previous_files:
        try:
            previous = json.loads(previous_files[-1].read_text())
        except (OSError, ValueError):
            previous = None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report.meta.setdefault("timestamp", stamp)
    data = report.to_json()
    jpath = out_dir / f"{stamp}.json"
    jpath.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    mpath = out_dir / f"{stamp}.md"
    mpath.write_text(markdown_report(data, previous))
    return jpath, mpath
