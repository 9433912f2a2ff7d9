"""Citation markers are checked after generation."""

from __future__ import annotations

from dataclasses import dataclass

from tutor.citations import resolve


@dataclass
class P:
    text: str
    title: str = "T"
    section: str = "S"
    source: str = "corpus/x.md"


PASSAGES = [
    P("Model Monitor compares captured endpoint data with a baseline and reports drift."),
    P("Firehose delivers streaming data to Amazon S3 without consumer code."),
]


def test_markers_pointing_at_no_passage_are_removed():
    text, cites = resolve("Use Model Monitor [1][7]. It reports drift [3, 1].", PASSAGES)
    assert text == "Use Model Monitor [1]. It reports drift [1]."
    assert [c.n for c in cites] == [1]
    assert cites[0].text == PASSAGES[0].text and cites[0].source == "corpus/x.md"


def test_fabricated_marker_alone_leaves_no_citation():
    text, cites = resolve("Azure does this [9].", PASSAGES)
    assert "[9]" not in text and cites == []


def test_uncited_sentence_gets_the_passage_that_supports_it():
    text, cites = resolve("Firehose delivers streaming data to Amazon S3.", PASSAGES)
    assert text.endswith("[2].") and [c.n for c in cites] == [2]


def test_unsupported_uncited_sentence_gets_no_marker():
    text, cites = resolve("Quantum computers train models faster.", PASSAGES)
    assert "[" not in text and cites == []
