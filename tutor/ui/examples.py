"""Example questions for the empty chat, written from the French sheet's own headings.

The sheet is the syllabus the learner studies from, so its sections are what they will ask
about; deriving the examples from it keeps them in step when the sheet changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

SHEET = Path("sheet") / "aws-ml-specialty-sheet.fr.md"
_PROPER = ("Amazon ", "AWS ", "SageMaker ", "Kinesis ", "Multi-Model")
FALLBACK = [
    "Which SageMaker feature detects data drift?",
    "Quand utiliser Batch Transform plutôt qu'un point de terminaison en temps réel ?",
]


@dataclass(frozen=True)
class Heading:
    part: str  # "I" (services) or "II" (notions)
    text: str  # the heading as written, e.g. "Inférence par lots (Batch Transform)"

    @property
    def french(self) -> str:
        return re.sub(r"\s*\([^)]*\)", "", self.text).strip()

    @property
    def english(self) -> str:
        """The English terms the sheet gives in parentheses, e.g. 'Overfitting and Underfitting'
        (only asked for part II headings, where parentheses hold terms, not expansions)."""
        terms = re.findall(r"\(([^)]*)\)", self.text)
        return " and ".join(t.strip() for t in terms if t.strip())


def sheet_headings(corpus_dir: Path) -> list[Heading]:
    """The sheet's lowest-level headings (#### …) with the part (I or II) they belong to."""
    path = corpus_dir / SHEET
    if not path.is_file():
        return []
    part = ""
    headings = []
    for line in path.read_text(encoding="utf-8").splitlines():
        top = re.match(r"^##\s+([IVX]+)\.", line)
        if top:
            part = top.group(1)
        low = re.match(r"^####\s+(.+?)\s*$", line)
        if low and part:
            headings.append(Heading(part, low.group(1)))
    return headings


def example_questions(corpus_dir: Path, count: int = 6) -> list[str]:
    """About `count` questions, half English and half French, spread over the sheet:
    services from part I asked by name, notions from part II asked through their terms."""
    headings = sheet_headings(corpus_dir)
    services = [h for h in headings if h.part == "I" and h.french.startswith(_PROPER)]
    notions = [h for h in headings if h.part == "II"]
    if not services and not notions:
        return list(FALLBACK)
    picked_services = _spread(services, (count + 1) // 2)
    picked_notions = _spread(notions, count // 2)
    about_services = [
        f"What is {h.french} used for, and when should I choose it?"
        if i % 2 == 0
        else f"À quoi sert {h.french} et dans quel cas l'utiliser ?"
        for i, h in enumerate(picked_services)
    ]
    about_notions = [
        f"What should I know about {h.english} for the exam?"
        if i % 2 == 1 and h.english
        else f"Que faut-il savoir sur « {h.french} » pour l'examen ?"
        for i, h in enumerate(picked_notions)
    ]
    # Interleaved, so the first examples shown already mix services and notions, EN and FR.
    mixed = zip_longest(about_services, about_notions)
    return [q for pair in mixed for q in pair if q]


def _spread(items: list, k: int) -> list:
    """k items taken at even intervals, so examples cover the whole sheet, not its first page."""
    if k <= 0 or not items:
        return []
    if len(items) <= k:
        return list(items)
    step = len(items) / k
    return [items[int(step * i + step / 2)] for i in range(k)]
