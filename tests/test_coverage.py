"""The corpus covers every item of the study sheet, with complete notes of useful length."""

from __future__ import annotations

import re

import pytest
import yaml

from tutor.config import PROJECT_ROOT
from tutor.corpus import split_front_matter

CORPUS = PROJECT_ROOT / "corpus"
NOTES = sorted((CORPUS / "notes").rglob("*.md"))
COVERAGE = yaml.safe_load((CORPUS / "coverage.yaml").read_text(encoding="utf-8"))["items"]
CORE_FOLDERS = {"sagemaker", "deployment"}
METRIC_NOTES = {"classification-metrics", "auc-roc-pr-log-loss", "regression-metrics"}


def _note(path):
    meta, body = split_front_matter(path.read_text(encoding="utf-8"))
    return meta, body


def test_every_sheet_item_maps_to_existing_notes():
    note_ids = {p.stem for p in NOTES}
    sheet = (CORPUS / "sheet" / "aws-ml-specialty-sheet.fr.md").read_text(encoding="utf-8")
    headings = [h.strip() for h in re.findall(r"^#### (.+)$", sheet, re.MULTILINE)]
    covered = {item["section"] for item in COVERAGE}
    assert [h for h in headings if h not in covered] == []
    for item in COVERAGE:
        ids = list(item["notes"]) + [n for ns in (item.get("lines") or {}).values() for n in ns]
        assert ids, item["section"]
        assert [n for n in ids if n not in note_ids] == [], item["section"]


def test_every_note_is_reachable_from_the_sheet():
    mapped = set()
    for item in COVERAGE:
        mapped |= set(item["notes"])
        for ns in (item.get("lines") or {}).values():
            mapped |= set(ns)
    orphans = [p.stem for p in NOTES if p.stem not in mapped]
    assert orphans == []


@pytest.mark.parametrize("path", NOTES, ids=[p.stem for p in NOTES])
def test_note_has_front_matter_and_enough_words(path):
    meta, body = _note(path)
    for key in ("id", "title", "domain", "services", "aliases", "lang"):
        assert key in meta, f"{path.name} lacks {key}"
    assert meta["id"] == path.stem
    assert meta["domain"] in (1, 2, 3, 4)
    assert meta["lang"] == "en"
    assert isinstance(meta["aliases"], list) and len(meta["aliases"]) >= 3
    words = len(body.split())
    floor = 600 if path.parent.name in CORE_FOLDERS or path.stem in METRIC_NOTES else 300
    assert words >= floor, f"{path.name}: {words} words < {floor}"
    assert re.search(r"^## ", body, re.MULTILINE), "notes are split into ## sections"


def test_corpus_is_large_enough():
    total = sum(len(_note(p)[1].split()) for p in NOTES)
    assert total >= 60_000


def test_glossary_covers_the_sheet_vocabulary():
    from tutor.glossary import Glossary

    glossary = Glossary.load(CORPUS)
    assert len(glossary) >= 120
    for term in [
        "dérive des données",
        "étiquetage de données",
        "point de terminaison",
        "surapprentissage",
        "inférence par lots",
        "moindre privilège",
        "entrepôt de données",
    ]:
        assert glossary.translations(term), term
