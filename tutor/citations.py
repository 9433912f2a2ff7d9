"""Check citation markers after generation: keep only those that point at a passage the model
was given, and attach what a learner needs to verify them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from tutor.lexical import tokenize

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass
class Citation:
    n: int
    source: str
    title: str
    section: str
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


def _clean_markers(text: str, valid: range) -> str:
    def fix(m: re.Match) -> str:
        nums = [int(x) for x in re.split(r"\s*[,;]\s*", m.group(1))]
        kept = [n for n in dict.fromkeys(nums) if n in valid]
        return "".join(f"[{n}]" for n in kept)

    text = _MARKER.sub(fix, text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _support(sentence: str, passage_text: str) -> float:
    words = set(tokenize(sentence))
    if not words:
        return 0.0
    return len(words & set(tokenize(passage_text))) / len(words)


def attribute_uncited(text: str, passages: Sequence, threshold: float = 0.5) -> str:
    """Give a sentence that has no marker the passage that shares most of its words, if any does.

    Small models often drop markers; this adds one only where the passage's words back the
    sentence, so it cannot invent support that is not there.
    """
    out = []
    for sentence in _SENTENCE_END.split(text):
        if sentence.strip() and not _MARKER.search(sentence) and passages:
            scores = [_support(sentence, p.text + " " + p.title) for p in passages]
            best = max(range(len(scores)), key=scores.__getitem__)
            if scores[best] >= threshold:
                stripped = sentence.rstrip()
                tail = stripped[-1] if stripped[-1:] in ".!?" else ""
                body = stripped[:-1] if tail else stripped
                sentence = f"{body} [{best + 1}]{tail}"
        out.append(sentence)
    return " ".join(s for s in out if s)


def resolve(text: str, passages: Sequence) -> tuple[str, list[Citation]]:
    """Return the text with only valid markers, and the citations those markers name."""
    valid = range(1, len(passages) + 1)
    text = _clean_markers(text, valid)
    text = attribute_uncited(text, passages)
    used: list[int] = []
    for m in _MARKER.finditer(text):
        for n in re.split(r"\s*[,;]\s*", m.group(1)):
            if int(n) not in used:
                used.append(int(n))
    citations = [
        Citation(
            n,
            passages[n - 1].source,
            passages[n - 1].title,
            passages[n - 1].section,
            passages[n - 1].text,
        )
        for n in sorted(used)
    ]
    return text, citations
