"""The Library tab's backend with the real parts: real files, real Chroma, the real embedder."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tutor import Tutor
from tutor.config import PROJECT_ROOT, Settings
from tutor.errors import TutorError
from tutor.library import (
    add_personal_document,
    index_status,
    list_personal_documents,
    list_topics,
    personal_dir,
    read_document,
    remove_personal_document,
    search_library,
)
from tutor.store import Index, _build_lock, build_index, read_manifest

CORPUS = PROJECT_ROOT / "corpus"

MY_NOTES = """---
title: My Zorblax notes
---
# My Zorblax notes

Zorblax is our team's internal feature store. Zorblax refreshes every feature every fifteen
minutes from an Amazon Kinesis data stream and keeps ninety days of history.
"""


def make_corpus(root: Path, glossary: bool = False) -> Path:
    """Real notes laid out as in the shipped corpus (notes/<group>/…), small enough to index."""
    shutil.copytree(CORPUS / "sheet", root / "sheet")
    for name in ["deployment/sagemaker-model-monitor.md", "data/kinesis-data-firehose.md"]:
        (root / "notes" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / "notes" / name, root / "notes" / name)
    if glossary:
        shutil.copy(CORPUS / "glossary.fr-en.md", root / "glossary.fr-en.md")
    return root


def make_settings(tmp: Path, model_cache: Path, glossary: bool = False) -> Settings:
    return Settings.from_env(
        corpus_dir=make_corpus(tmp / "corpus", glossary),
        index_dir=tmp / "index",
        data_dir=tmp / "data",
        model_cache_dir=model_cache,
        llm_model="small",
        llm_url="",
    )


def make_pdf(pages: list[list[str]]) -> bytes:
    """A valid PDF with one Helvetica text line per string; pypdf reads but cannot draw text."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    font = 3 + 2 * len(pages)
    for lines in pages:
        page, content = len(objects) + 1, len(objects) + 2
        kids.append(f"{page} 0 R")
        text = " ".join(f"({line}) Tj T*" for line in lines)
        stream = f"BT /F1 11 Tf 14 TL 72 720 Td {text} ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>"
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out + trailer.encode()


def snapshot(settings: Settings) -> tuple[dict[str, bytes], dict | None]:
    """Everything a refused upload must leave alone: the personal folder (dot files included)
    and the live index's manifest."""
    folder = personal_dir(settings)
    files = {p.name: p.read_bytes() for p in folder.iterdir()} if folder.exists() else {}
    return files, read_manifest(settings.index_dir)


def passage_sources(settings: Settings, embedder, question: str) -> list[str]:
    """Sources the tutor's own retriever would hand the model for a question."""
    found = Tutor(settings, embedder=embedder).retriever.search(question)
    return [p.source for p in found.passages]


@pytest.fixture(scope="module")
def library(tmp_path_factory, model_cache, embedder) -> Settings:
    """An indexed library with one personal note, shared by the tests that only read it."""
    settings = make_settings(tmp_path_factory.mktemp("library"), model_cache)
    upload = tmp_path_factory.mktemp("uploads") / "my-notes.md"
    upload.write_text(MY_NOTES)
    add_personal_document(settings, upload, embedder=embedder)
    return settings


@pytest.fixture()
def fresh(tmp_path, model_cache) -> Settings:
    """An unindexed library of its own, for tests that change it."""
    return make_settings(tmp_path, model_cache)


# Browsing --------------------------------------------------------------------------------------


def test_topics_are_grouped_by_folder_and_domain(tmp_path, model_cache):
    settings = make_settings(tmp_path, model_cache, glossary=True)
    topics = {t.source: t for t in list_topics(settings)}
    firehose = topics["corpus/notes/data/kinesis-data-firehose.md"]
    assert (firehose.kind, firehose.group, firehose.id) == ("note", "data", "kinesis-data-firehose")
    assert (firehose.domain, firehose.domain_name) == (1, "Data Engineering")
    assert firehose.title.startswith("Amazon Data Firehose") and firehose.words > 300
    monitor = topics["corpus/notes/deployment/sagemaker-model-monitor.md"]
    assert monitor.group == "deployment" and monitor.domain_name
    assert topics["corpus/sheet/aws-ml-specialty-sheet.fr.md"].kind == "sheet"
    assert topics["corpus/glossary.fr-en.md"].kind == "glossary"
    assert not any(t.personal for t in topics.values())


def test_personal_documents_are_listed_and_marked(library):
    mine = list_personal_documents(library)
    assert [(t.source, t.title, t.personal, t.kind) for t in mine] == [
        ("personal/my-notes.md", "My Zorblax notes", True, "personal")
    ]
    assert mine[0] in list_topics(library)


def test_read_document_returns_markdown_without_front_matter(library):
    doc = read_document(library, "corpus/notes/data/kinesis-data-firehose.md")
    assert doc.title.startswith("Amazon Data Firehose") and doc.meta["domain"] == 1
    assert doc.body.startswith("# Amazon Data Firehose") and "aliases:" not in doc.body
    mine = read_document(library, "personal/my-notes.md")
    assert mine.personal and mine.meta["original_filename"] == "my-notes.md"
    assert mine.body.startswith("# My Zorblax notes")


@pytest.mark.parametrize(
    "source",
    [
        "corpus/../../../../etc/passwd",
        "/etc/passwd",
        "corpus/notes/../../index/CURRENT",
        "personal/../../corpus/notes/data/kinesis-data-firehose.md",
        "personal/../index/CURRENT",
        "corpus/notes/data/missing.md",
        "",
    ],
)
def test_read_document_refuses_paths_outside_the_library(library, source):
    with pytest.raises(TutorError, match="not a document of the library"):
        read_document(library, source)


# Search and status -----------------------------------------------------------------------------


def test_search_finds_sections_with_snippets(library, embedder):
    hits = search_library(library, "Firehose buffer interval", limit=5, embedder=embedder)
    assert 0 < len(hits) <= 5
    top = hits[0]
    assert top.source == "corpus/notes/data/kinesis-data-firehose.md" and top.section
    assert "buffer" in top.snippet.lower() and len(top.snippet) <= 221
    assert len({(h.source, h.section) for h in hits}) == len(hits)


def test_search_finds_personal_documents(library, embedder):
    hits = search_library(library, "Zorblax feature store refresh", embedder=embedder)
    assert hits[0].source == "personal/my-notes.md" and hits[0].personal
    assert "Zorblax" in hits[0].snippet


def test_search_without_an_index_matches_words(fresh):
    hits = search_library(fresh, "Model Monitor data capture")
    assert hits[0].source == "corpus/notes/deployment/sagemaker-model-monitor.md"


@pytest.mark.parametrize("query", ["", "   \n\t"])
def test_empty_search_is_refused(library, query):
    with pytest.raises(TutorError, match="search is empty") as info:
        search_library(library, query)
    assert info.value.fix


def test_index_status_reads_the_manifest(library, fresh):
    status = index_status(library)
    manifest = read_manifest(library.index_dir)
    assert status["indexed"] and status["documents"] == 4 == len(manifest["files"])
    assert status["chunks"] == manifest["chunks"] > 10
    assert status["embedder"] == manifest["embedder"] and status["chat_model"] == "small"
    assert status["built_at"] == manifest["built_at"] and status["personal_documents"] == 1
    assert index_status(fresh)["indexed"] is False


# Adding documents ------------------------------------------------------------------------------


def test_markdown_pdf_and_html_become_citable(fresh, embedder, tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    calls: list[tuple[float, str]] = []

    md = uploads / "Zorblax Notes.md"
    md.write_text(MY_NOTES)
    added = add_personal_document(
        fresh, md, progress=lambda f, m: calls.append((f, m)), embedder=embedder
    )
    assert added.source == "personal/Zorblax-Notes.md" and added.kind == "markdown"
    assert added.chunks >= 1 and not added.replaced
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(calls) >= 4

    pdf = uploads / "quokka.pdf"
    pdf.write_bytes(
        make_pdf(
            [
                ["Quokka scoring runs as a SageMaker batch transform job every night."],
                ["Quokka results land in an S3 bucket that Athena queries each morning."],
            ]
        )
    )
    added_pdf = add_personal_document(fresh, pdf, embedder=embedder)
    stored = added_pdf.path.read_text()
    assert "## Page 2" in stored and "Athena queries each morning" in stored
    assert "personal: true" in stored and "original_filename: quokka.pdf" in stored

    html = uploads / "wombat.html"
    html.write_text(
        "<html><head><title>Wombat runbook</title><style>p {color: red}</style>"
        "<script>var leaked = 'scriptsecretword';</script></head><body>"
        "<h1>Wombat runbook</h1><p>Wombat retrains the churn model when Model Monitor "
        "reports drift.</p><h2>Rollback</h2><ul><li>Wombat keeps the previous endpoint "
        "config for rollback.</li></ul><script>alert('scriptsecretword')</script></body></html>"
    )
    added_html = add_personal_document(fresh, html, embedder=embedder)
    stored = added_html.path.read_text()
    assert added_html.title == "Wombat runbook"
    assert "\n# Wombat runbook\n" in stored and "\n## Rollback\n" in stored
    assert "- Wombat keeps the previous endpoint" in stored
    assert "scriptsecretword" not in stored and "color: red" not in stored

    index = Index(fresh)
    texts = [text for text, _ in index.get(index.lexical.ids).values()]
    assert not any("scriptsecretword" in t for t in texts)
    assert any("Wombat keeps the previous endpoint" in t for t in texts)
    manifest = read_manifest(fresh.index_dir)
    assert manifest["extra_roots"] == [str(personal_dir(fresh).resolve())]
    assert index_status(fresh)["personal_documents"] == 3

    assert "personal/Zorblax-Notes.md" in passage_sources(
        fresh, embedder, "How often does Zorblax refresh features?"
    )
    assert "personal/quokka.md" in passage_sources(
        fresh, embedder, "Where do the Quokka results land?"
    )
    assert "personal/wombat.md" in passage_sources(
        fresh, embedder, "When does Wombat retrain the churn model?"
    )

    # The personal folder stays registered: a plain rebuild keeps the uploads.
    again = build_index(fresh, progress=False, embedder=embedder)
    assert again.files == 6 and again.embedded_files == 0


def test_same_name_replaces_the_previous_version(fresh, embedder, tmp_path):
    first = tmp_path / "plan.txt"
    first.write_text("Study plan: week one covers Kinesis Data Streams and the Glue crawlers.")
    add_personal_document(fresh, first, embedder=embedder)
    second = tmp_path / "plan.md"
    second.write_text("# Plan\n\nStudy plan, revised: week one covers SageMaker Clarify bias.")
    result = add_personal_document(fresh, second, embedder=embedder)
    assert result.replaced and result.source == "personal/plan.md"
    assert [p.name for p in personal_dir(fresh).iterdir()] == ["plan.md"]
    index = Index(fresh)
    texts = [text for text, _ in index.get(index.lexical.ids).values()]
    assert any("revised" in t for t in texts) and not any("Glue crawlers" in t for t in texts)


def test_tutor_answer_draws_on_a_personal_document(library, embedder):
    from tutor.llm import load_chat_model

    # The flow is under test, not the 135M model's wording: a few tokens on one thread (llama.cpp
    # slows down badly when all cores are shared with other work).
    settings = replace(library, max_answer_tokens=8, llm_threads=1)
    tutor = Tutor(settings, llm=load_chat_model(settings, progress=False), embedder=embedder)
    answer = tutor.ask("How often does Zorblax refresh the features?")
    assert answer.declined_by != "gate"
    assert "personal/my-notes.md" in [s["source"] for s in answer.searched]
    assert all(c.source for c in answer.citations)


# Refused uploads -------------------------------------------------------------------------------

BAD_UPLOADS = {
    "program.exe": (b"MZ\x90\x00\x03\x00\x00\x00", "cannot be added"),
    "picture.pdf": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a PDF"),
    "broken.pdf": (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "could not be read as a PDF"),
    "blank.pdf": (make_pdf([[]]), "no readable text"),
    "empty.md": (b"", "is empty"),
    "spaces.txt": (b"   \n\n\t  \n", "no readable text"),
    "my-notes.txt": ("caf\xe9 au lait, cr\xe8me br\xfbl\xe9e".encode("latin-1"), "not UTF-8"),
    "utf16.txt": ("Kinesis shards and partition keys".encode("utf-16"), "UTF-16"),
    "image.md": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
    "only-script.html": (b"<html><script>var x = 'hidden words';</script></html>", "no readable"),
    "tiny.md": (b"# Title\n\nToo short.", "too little text"),
    "bad-front.md": (b"---\ntitle: [unclosed\n---\nSome body text long enough here.", "YAML"),
}


@pytest.mark.parametrize("name", sorted(BAD_UPLOADS))
def test_bad_upload_is_refused_and_changes_nothing(library, embedder, tmp_path, name):
    data, reason = BAD_UPLOADS[name]
    upload = tmp_path / name
    upload.write_bytes(data)
    before = snapshot(library)
    with pytest.raises(TutorError, match=reason) as info:
        add_personal_document(library, upload, embedder=embedder)
    assert info.value.fix and "\n" not in str(info.value)
    assert snapshot(library) == before


def test_oversized_upload_is_refused_and_changes_nothing(library, embedder, tmp_path):
    small_limit = replace(library, max_upload_mb=1)
    upload = tmp_path / "big.txt"
    upload.write_text("Kinesis shards scale throughput. " * 40_000)  # about 1.3 MB
    before = snapshot(library)
    with pytest.raises(TutorError, match=r"MB; the limit is 1 MB") as info:
        add_personal_document(small_limit, upload, embedder=embedder)
    assert "TUTOR_MAX_UPLOAD_MB" in info.value.fix
    assert snapshot(library) == before


def test_failed_reindex_puts_the_folder_back(library, embedder, tmp_path):
    upload = tmp_path / "my-notes.md"  # would replace the existing note
    upload.write_text("# Replacement\n\nA different text that must not survive a failed index.")
    before = snapshot(library)
    with _build_lock(library.index_dir), pytest.raises(TutorError, match="already building"):
        add_personal_document(library, upload, embedder=embedder)
    assert snapshot(library) == before


# Removing documents ----------------------------------------------------------------------------


def test_remove_deletes_and_reindexes(fresh, embedder, tmp_path):
    upload = tmp_path / "my-notes.md"
    upload.write_text(MY_NOTES)
    add_personal_document(fresh, upload, embedder=embedder)
    question = "How often does Zorblax refresh features?"
    assert "personal/my-notes.md" in passage_sources(fresh, embedder, question)

    with pytest.raises(TutorError, match="not one of your documents"):
        remove_personal_document(fresh, "corpus/notes/data/kinesis-data-firehose.md")
    with pytest.raises(TutorError, match="not one of your documents"):
        remove_personal_document(fresh, "personal/../corpus/notes/data/kinesis-data-firehose.md")

    remove_personal_document(fresh, "personal/my-notes.md", embedder=embedder)
    assert list_personal_documents(fresh) == [] and not list(personal_dir(fresh).iterdir())
    assert (fresh.corpus_dir / "notes/data/kinesis-data-firehose.md").exists()
    assert index_status(fresh)["personal_documents"] == 0
    assert "personal/my-notes.md" not in passage_sources(fresh, embedder, question)
