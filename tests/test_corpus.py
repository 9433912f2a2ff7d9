"""The corpus itself: the sheet unchanged, notes with front matter, chunks with section paths."""

from __future__ import annotations

import re

from tutor.chunking import chunk_document
from tutor.config import PROJECT_ROOT
from tutor.corpus import load_file

SEED = PROJECT_ROOT.parent / "shared" / "seed" / "aws-ml-specialty-sheet.fr.txt"
SHEET = PROJECT_ROOT / "corpus" / "sheet" / "aws-ml-specialty-sheet.fr.md"


def _words(text: str) -> list[str]:
    text = text.replace("**", "")
    return re.findall(r"[^\s•o\-#*]+", text)


def test_sheet_markdown_keeps_the_french_text_unchanged():
    if not SEED.exists():  # the seed lives in the shared folder beside the checkout
        import pytest

        pytest.skip("shared seed sheet not present")
    seed_words = [w for w in _words(SEED.read_text(encoding="utf-8")) if w not in {"o", "•"}]
    body = SHEET.read_text(encoding="utf-8").split("---", 2)[2]
    md_words = _words(body)
    # Every word of the seed, in order, appears in the Markdown (headings may repeat a label).
    it = iter(md_words)
    missing = [w for w in seed_words if not any(w == m for m in it)]
    assert missing == []


def test_sheet_chunks_carry_their_section_path():
    doc = load_file(SHEET, SHEET.parent.parent)
    chunks = chunk_document(doc)
    monitor = [c for c in chunks if "Model Monitor" in c.metadata["section"]]
    assert monitor, "the Model Monitor item should be its own section"
    assert monitor[0].metadata["section"] == (
        "I. Services AWS Fondamentaux pour le Machine Learning > 1. Amazon SageMaker > "
        "SageMaker Model Monitor"
    )
    assert monitor[0].metadata["lang"] == "fr"
    assert monitor[0].metadata["source"] == "corpus/sheet/aws-ml-specialty-sheet.fr.md"


def test_chunk_ids_are_stable_and_unique():
    doc = load_file(SHEET, SHEET.parent.parent)
    a = [c.id for c in chunk_document(doc)]
    b = [c.id for c in chunk_document(load_file(SHEET, SHEET.parent.parent))]
    assert a == b and len(set(a)) == len(a)
