"""Index builds: incremental, atomic, and clear about bad input."""

from __future__ import annotations

import json

import pytest

from tutor.errors import TutorError
from tutor.store import Index, build_index, read_manifest


def test_build_then_incremental_rebuild_embeds_only_changed_files(mini_settings, embedder):
    first = build_index(mini_settings, progress=False, embedder=embedder)
    assert first.files == 3 and first.embedded_files == 3 and first.chunks > 10

    note = mini_settings.corpus_dir / "notes" / "kinesis-data-firehose.md"
    note.write_text(note.read_text() + "\n\n## Extra\n\nFirehose extra section for the test.\n")
    second = build_index(mini_settings, progress=False, embedder=embedder)
    assert second.embedded_files == 1
    assert second.reused_files == 2
    assert second.chunks == first.chunks + 1

    note.unlink()
    third = build_index(mini_settings, progress=False, embedder=embedder)
    assert third.removed_files == 1 and third.files == 2
    index = Index(mini_settings)
    assert index.size == third.chunks
    assert all(
        m["source"] != "corpus/notes/kinesis-data-firehose.md"
        for _, m in index.get(index.lexical.ids).values()
    )


def test_interrupted_build_leaves_previous_index_usable(mini_settings, embedder):
    build_index(mini_settings, progress=False, embedder=embedder)
    before = read_manifest(mini_settings.index_dir)
    (mini_settings.corpus_dir / "notes" / "new.md").write_text("# New\n\n" + "word " * 400)

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index(mini_settings, progress=False, embedder=embedder, on_progress=interrupt)
    assert read_manifest(mini_settings.index_dir) == before
    assert not list(mini_settings.index_dir.glob(".building-*"))
    assert Index(mini_settings).size == before["chunks"]


def test_unreadable_file_is_skipped_with_a_reason(mini_settings, embedder):
    (mini_settings.corpus_dir / "notes" / "latin1.md").write_bytes(
        "caf\xe9 au lait".encode("latin-1")
    )
    report = build_index(mini_settings, progress=False, embedder=embedder)
    assert report.files == 3
    assert report.skipped == [("corpus/notes/latin1.md", "is not UTF-8 text (save it as UTF-8)")]


def test_missing_index_explains_what_to_run(mini_settings):
    with pytest.raises(TutorError, match="no index found") as info:
        Index(mini_settings)
    assert "tutor index" in info.value.fix


def test_index_from_incompatible_chroma_version_is_refused(mini_settings, embedder):
    report = build_index(mini_settings, progress=False, embedder=embedder)
    manifest_path = report.path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["chromadb"] = "0.4.24"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(TutorError, match=r"chromadb 0\.4\.24") as info:
        Index(mini_settings)
    assert "--rebuild" in info.value.fix


def test_corrupt_chroma_directory_gives_one_line_error(mini_settings, embedder):
    report = build_index(mini_settings, progress=False, embedder=embedder)
    for f in (report.path / "chroma").rglob("*"):
        if f.is_file():
            f.write_bytes(b"not a database")
    with pytest.raises(TutorError, match="cannot be opened"):
        Index(mini_settings).vector_search([0.0] * 384, 3)


def test_added_folder_is_indexed_and_can_be_removed(mini_settings, embedder, tmp_path):
    extra = tmp_path / "mynotes"
    extra.mkdir()
    (extra / "tips.txt").write_text("My own tip: always enable data capture before Model Monitor.")
    report = build_index(mini_settings, add=[extra], progress=False, embedder=embedder)
    assert report.files == 4
    assert read_manifest(mini_settings.index_dir)["extra_roots"] == [str(extra.resolve())]
    again = build_index(mini_settings, progress=False, embedder=embedder)
    assert again.files == 4 and again.embedded_files == 0
    removed = build_index(mini_settings, remove=[extra], progress=False, embedder=embedder)
    assert removed.files == 3


def test_unchanged_corpus_keeps_the_live_build(mini_settings, embedder):
    first = build_index(mini_settings, progress=False, embedder=embedder)
    again = build_index(mini_settings, progress=False, embedder=embedder)
    assert again.path == first.path and again.embedded_files == 0
    assert again.files == first.files and again.chunks == first.chunks
