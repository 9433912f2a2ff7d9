"""The index: chunks, their embeddings in Chroma, and a BM25 index, built incrementally and
swapped in atomically.

Layout of index_dir:
  CURRENT            name of the live build (replaced with os.replace, so never half-written)
  <build>/manifest.json   files, hashes and settings the build was made from
  <build>/chroma/         Chroma persistent store (collection named after the build)
  <build>/bm25/           bm25s index and its chunk ids
A build is written to a fresh `.building-*` directory and only becomes CURRENT when complete, so a
crash or Ctrl-C leaves the previous index usable.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tutor.chunking import Chunk, chunk_document, lexical_text
from tutor.config import Settings, apply_offline_environment
from tutor.corpus import CorpusFileError, file_hash, list_files, load_file, source_name
from tutor.errors import TutorError
from tutor.lexical import LexicalIndex

MANIFEST_VERSION = 1
CHUNKER_VERSION = 2  # bump when chunking changes so every file is re-chunked
ADD_BATCH = 1000


@dataclass
class BuildReport:
    """What a build did, for the CLI and the benchmark."""

    path: Path
    files: int = 0
    embedded_files: int = 0
    reused_files: int = 0
    removed_files: int = 0
    chunks: int = 0
    embedded_chunks: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def _chroma_client(path: Path | None, settings: Settings):
    apply_offline_environment()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or 8000,
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    assert path is not None
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def _chroma_version() -> str:
    import chromadb

    return chromadb.__version__


def _current_build(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except OSError:
        return None
    build = index_dir / name
    return build if name and (build / "manifest.json").is_file() else None


def read_manifest(index_dir: Path) -> dict | None:
    build = _current_build(index_dir)
    if build is None:
        return None
    try:
        return json.loads((build / "manifest.json").read_text())
    except (OSError, ValueError):
        return None


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise TutorError(
                f"another `tutor index` is already building {index_dir}", "wait for it to finish"
            ) from exc
        yield


def _scan(roots: list[Path]) -> tuple[dict[str, tuple[Path, Path]], list[tuple[str, str]]]:
    """Map source name -> (path, root) for every supported file; report missing roots."""
    found: dict[str, tuple[Path, Path]] = {}
    problems: list[tuple[str, str]] = []
    for root in roots:
        if not root.exists():
            problems.append((str(root), "folder does not exist (remove it with --remove)"))
            continue
        for path in list_files(root):
            found.setdefault(source_name(path, root), (path, root))
    return found, problems


def _old_records(build: Path | None, manifest: dict | None, settings: Settings) -> dict[str, list]:
    """Chunks of the live build grouped by source, with their embeddings, for reuse."""
    if build is None or manifest is None:
        return {}
    try:
        client = _chroma_client(build / "chroma", settings)
        coll = client.get_collection(manifest["collection"])
        grouped: dict[str, list] = {}
        total = coll.count()
        for offset in range(0, total, 5000):
            page = coll.get(
                include=["embeddings", "documents", "metadatas"], limit=5000, offset=offset
            )
            for cid, doc, meta, emb in zip(
                page["ids"], page["documents"], page["metadatas"], page["embeddings"], strict=True
            ):
                grouped.setdefault(meta["source"], []).append((cid, doc, meta, emb))
        return grouped
    except Exception:  # an unreadable old index just means everything is re-embedded
        return {}


def build_index(
    settings: Settings,
    add: list[Path] | None = None,
    remove: list[Path] | None = None,
    rebuild: bool = False,
    progress: bool = True,
    embedder=None,
    on_progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Build or update the index; only files whose content changed are embedded again."""
    start = time.perf_counter()
    index_dir = settings.index_dir
    with _build_lock(index_dir):
        old_build = None if rebuild else _current_build(index_dir)
        old_manifest = read_manifest(index_dir) if old_build else None
        prior = read_manifest(index_dir) or {}
        extra = [Path(p) for p in prior.get("extra_roots", [])]
        for p in add or []:
            p = p.expanduser().resolve()
            if not p.exists():
                raise TutorError(f"{p} does not exist", "give a folder of .md or .txt files")
            if p not in extra:
                extra.append(p)
        for p in remove or []:
            p = p.expanduser().resolve()
            if p not in extra:
                raise TutorError(
                    f"{p} is not one of the added folders", "see `tutor index --status`"
                )
            extra.remove(p)
        roots = [settings.corpus_dir.resolve(), *extra]
        if not settings.corpus_dir.is_dir():
            raise TutorError(
                f"corpus folder {settings.corpus_dir} does not exist",
                "set TUTOR_CORPUS_DIR or run from the project checkout",
            )

        files, skipped = _scan(roots)
        compatible = bool(
            old_manifest
            and old_manifest.get("embedder") == _embedder_name()
            and old_manifest.get("chunking") == _chunking(settings)
        )
        old_files = old_manifest.get("files", {}) if compatible and old_manifest else {}
        digests = {source: file_hash(path) for source, (path, _) in files.items()}
        if (
            old_build is not None
            and old_manifest is not None
            and old_files
            and digests == {src: meta["sha256"] for src, meta in old_files.items()}
            and old_manifest.get("extra_roots", []) == [str(p) for p in extra]
        ):
            # Nothing changed: keep the live build instead of copying 25k vectors for nothing.
            return BuildReport(
                path=old_build,
                files=len(digests),
                reused_files=len(digests),
                chunks=int(old_manifest.get("chunks", 0)),
                skipped=skipped,
                seconds=time.perf_counter() - start,
            )
        reusable = _old_records(old_build, old_manifest, settings) if old_files else {}

        for stale in index_dir.glob(".building-*"):
            shutil.rmtree(stale, ignore_errors=True)
        build_name = "build-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        tmp = index_dir / f".building-{build_name}"
        report = BuildReport(path=index_dir / build_name)
        try:
            manifest = _write_build(
                tmp,
                build_name,
                files,
                digests,
                old_files,
                reusable,
                settings,
                report,
                skipped,
                embedder,
                progress,
                on_progress,
            )
            manifest["extra_roots"] = [str(p) for p in extra]
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
            os.replace(tmp, index_dir / build_name)
            pointer = index_dir / "CURRENT.tmp"
            pointer.write_text(build_name)
            os.replace(pointer, index_dir / "CURRENT")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        report.removed_files = len(set(old_files) - set(files))
        report.skipped = skipped
        for other in index_dir.glob("build-*"):
            if other.name != build_name:
                shutil.rmtree(other, ignore_errors=True)
        if settings.chroma_url and old_manifest:
            try:
                _chroma_client(None, settings).delete_collection(old_manifest["collection"])
            except Exception:
                pass
    report.seconds = time.perf_counter() - start
    return report


def _embedder_name() -> str:
    from tutor.models import EMBEDDING_NAME

    return EMBEDDING_NAME


def _chunking(settings: Settings) -> dict:
    return {
        "version": CHUNKER_VERSION,
        "chars": settings.chunk_chars,
        "overlap": settings.chunk_overlap,
    }


def _write_build(
    tmp: Path,
    build_name: str,
    files: dict[str, tuple[Path, Path]],
    digests: dict[str, str],
    old_files: dict,
    reusable: dict[str, list],
    settings: Settings,
    report: BuildReport,
    skipped: list[tuple[str, str]],
    embedder,
    progress: bool,
    on_progress: Callable[[int, int], None] | None,
) -> dict:
    from tqdm.auto import tqdm

    tmp.mkdir(parents=True)
    client = _chroma_client(tmp / "chroma", settings)
    collection = client.create_collection(
        f"tutor_{build_name.replace('-', '_')}",
        metadata={"hnsw:space": "cosine"},
        embedding_function=None,
    )
    manifest_files: dict[str, dict] = {}
    fresh: list[Chunk] = []
    all_ids: list[str] = []
    all_texts: list[str] = []
    for source, (path, root) in sorted(files.items()):
        digest = digests[source]
        old = old_files.get(source)
        if old and old.get("sha256") == digest and source in reusable:
            records = reusable[source]
            _add(
                collection,
                [r[0] for r in records],
                [r[1] for r in records],
                [r[2] for r in records],
                [r[3] for r in records],
            )
            all_ids += [r[0] for r in records]
            all_texts += [lexical_text(r[1], r[2]) for r in records]
            manifest_files[source] = {"sha256": digest, "chunks": len(records), "root": str(root)}
            report.reused_files += 1
            continue
        try:
            doc = load_file(path, root)
        except CorpusFileError as exc:
            skipped.append((source, str(exc)))
            continue
        chunks = chunk_document(doc, settings.chunk_chars, settings.chunk_overlap)
        fresh += chunks
        manifest_files[source] = {"sha256": digest, "chunks": len(chunks), "root": str(root)}
        report.embedded_files += 1

    if fresh:
        if embedder is None:
            from tutor.embeddings import get_embedder

            embedder = get_embedder()
        bar = tqdm(total=len(fresh), unit="chunk", desc="embedding", disable=not progress)
        for i in range(0, len(fresh), 256):
            batch = fresh[i : i + 256]
            vectors = embedder.embed([c.embedding_text() for c in batch])
            _add(
                collection,
                [c.id for c in batch],
                [c.text for c in batch],
                [c.metadata for c in batch],
                vectors.tolist(),
            )
            bar.update(len(batch))
            if on_progress:
                on_progress(i + len(batch), len(fresh))
        bar.close()
        all_ids += [c.id for c in fresh]
        all_texts += [c.lexical_text() for c in fresh]

    LexicalIndex.build(all_ids, all_texts).save(tmp / "bm25")
    report.files = len(manifest_files)
    report.chunks = len(all_ids)
    report.embedded_chunks = len(fresh)
    return {
        "version": MANIFEST_VERSION,
        "collection": collection.name,
        "chromadb": _chroma_version(),
        "embedder": _embedder_name(),
        "chunking": _chunking(settings),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "chunks": len(all_ids),
        "files": manifest_files,
    }


def _add(collection, ids, docs, metas, embeddings) -> None:
    for i in range(0, len(ids), ADD_BATCH):
        collection.add(
            ids=ids[i : i + ADD_BATCH],
            documents=docs[i : i + ADD_BATCH],
            metadatas=metas[i : i + ADD_BATCH],
            embeddings=embeddings[i : i + ADD_BATCH],
        )


class Index:
    """A read-only handle on the live build: vector search, BM25 and chunk lookup."""

    def __init__(self, settings: Settings) -> None:
        build = _current_build(settings.index_dir)
        if build is None:
            raise TutorError(f"no index found in {settings.index_dir}", "run `tutor index` first")
        self.build = build
        try:
            self.manifest = json.loads((build / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise TutorError(
                f"index manifest in {build} is unreadable", "run `tutor index --rebuild`"
            ) from exc
        built_with = str(self.manifest.get("chromadb", "?"))
        if built_with.split(".")[0] != _chroma_version().split(".")[0]:
            raise TutorError(
                f"the index was built with chromadb {built_with}, this install has "
                f"{_chroma_version()}",
                "run `tutor index --rebuild`",
            )
        try:
            client = _chroma_client(build / "chroma", settings)
            self.collection = client.get_collection(self.manifest["collection"])
            self.size = self.collection.count()
            self.lexical = LexicalIndex.load(build / "bm25")
        except TutorError:
            raise
        except Exception as exc:
            raise TutorError(
                f"the index in {build} cannot be opened ({exc.__class__.__name__}: "
                f"{str(exc)[:120]})",
                "run `tutor index --rebuild`",
            ) from exc

    def vector_search(self, embedding: list[float], k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first."""
        if self.size == 0:
            return []
        res = self.collection.query(
            query_embeddings=[embedding], n_results=min(k, self.size), include=["distances"]
        )
        return [
            (cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)
        ]

    def get(self, ids: list[str]) -> dict[str, tuple[str, dict]]:
        """Text and metadata of chunks by id."""
        if not ids:
            return {}
        res = self.collection.get(ids=ids, include=["documents", "metadatas"])
        return {
            cid: (doc, meta)
            for cid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=True)
        }

    def embeddings(self, ids: list[str]) -> dict[str, list[float]]:
        res = self.collection.get(ids=ids, include=["embeddings"])
        return dict(zip(res["ids"], res["embeddings"], strict=True))
