"""The Library tab's backend: browse and search the study material, and let a learner add their
own documents (Markdown, text, PDF, HTML) so the tutor can cite them.

Uploads are converted to Markdown with front matter and kept in `data_dir/personal`, a folder
registered once as an extra index root; every later `build_index` keeps it. An upload that cannot
be used is refused before anything is written, and a failed re-index puts the folder back as it
was, so a bad file never leaves the library half-changed.
"""

from __future__ import annotations

import io
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from tutor.config import Settings
from tutor.corpus import CorpusFileError, SourceDoc, list_files, load_file, source_name
from tutor.errors import TutorError
from tutor.language import detect_language

DOMAINS = {
    1: "Data Engineering",
    2: "Exploratory Data Analysis",
    3: "Modeling",
    4: "Machine Learning Implementation and Operations",
}
UPLOAD_KINDS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
}
MAX_QUERY_CHARS = 500
SNIPPET_CHARS = 220
MAX_HITS_PER_SOURCE = 3  # a browse list dominated by one note hides the others

Progress = Callable[[float, str], None]
# The app runs handlers in threads: two uploads at once would otherwise race for the index lock
# and the loser's rollback could delete a file the winner's build had already scanned.
_CHANGE_LOCK = threading.Lock()


@dataclass
class TopicEntry:
    """One browsable document: a note, the French sheet, the glossary or a personal upload."""

    id: str
    title: str
    domain: int | None
    domain_name: str
    group: str  # notes sub-folder ("sagemaker", "algorithms"…), or "sheet"/"glossary"/"personal"
    kind: str  # "note", "sheet", "glossary", "personal" or "other"
    source: str  # the name citations and search hits use
    path: Path
    words: int
    personal: bool = False


@dataclass
class Document:
    """A document ready to display: Markdown body without its front matter."""

    source: str
    title: str
    body: str
    meta: dict = field(default_factory=dict)
    personal: bool = False


@dataclass
class LibraryHit:
    """A search result for the browse tab."""

    title: str
    source: str
    section: str
    snippet: str
    score: float
    personal: bool = False


@dataclass
class AddResult:
    """What adding a personal document did, for the UI's confirmation message."""

    source: str
    title: str
    path: Path
    kind: str  # "markdown", "text", "pdf" or "html"
    words: int
    chunks: int
    replaced: bool
    seconds: float


# ---------------------------------------------------------------------------------------------
# Browsing


def personal_dir(settings: Settings) -> Path:
    """Where uploads live: learner data, so it survives reinstalling the project checkout."""
    return settings.data_dir / "personal"


def list_topics(settings: Settings) -> list[TopicEntry]:
    """Every corpus document and personal upload, ordered for grouped display."""
    entries = [_entry(doc, settings.corpus_dir) for doc in _load_all(settings.corpus_dir)]
    entries += list_personal_documents(settings)
    order = {"note": 0, "sheet": 1, "glossary": 2, "other": 3, "personal": 4}
    return sorted(
        entries, key=lambda e: (order[e.kind], e.domain or 9, e.group, e.title.casefold())
    )


def list_personal_documents(settings: Settings) -> list[TopicEntry]:
    """The learner's uploads, by title."""
    root = personal_dir(settings)
    if not root.is_dir():
        return []
    entries = [_entry(doc, root, personal=True) for doc in _load_all(root)]
    return sorted(entries, key=lambda e: e.title.casefold())


def read_document(settings: Settings, source: str) -> Document:
    """Load one document by its source name; anything outside the library is refused."""
    path, root = _resolve_source(settings, source)
    try:
        doc = load_file(path, root)
    except CorpusFileError as exc:
        raise TutorError(f"{source} {exc}", "fix or remove the file, then re-index") from exc
    personal = root == personal_dir(settings)
    return Document(doc.source, doc.title, doc.text, doc.meta, personal)


def _load_all(root: Path) -> list[SourceDoc]:
    """Readable documents under root; the index skips unreadable ones too, so the list does."""
    docs = []
    for path in list_files(root):
        try:
            docs.append(load_file(path, root))
        except CorpusFileError:
            continue
    return docs


def _entry(doc: SourceDoc, root: Path, personal: bool = False) -> TopicEntry:
    kind, group = ("personal", "personal") if personal else _kind_and_group(doc.path, root)
    domain = _domain(doc.meta.get("domain"))
    return TopicEntry(
        id=doc.doc_id,
        title=doc.title,
        domain=domain,
        domain_name=DOMAINS.get(domain or 0, ""),
        group=group,
        kind=kind,
        source=doc.source,
        path=doc.path,
        words=len(doc.text.split()),
        personal=personal,
    )


def _kind_and_group(path: Path, corpus_dir: Path) -> tuple[str, str]:
    parts = path.relative_to(corpus_dir).parts
    if path.name.startswith("glossary"):
        return "glossary", "glossary"
    if parts[0] == "sheet":
        return "sheet", "sheet"
    if parts[0] == "notes":
        return "note", parts[1] if len(parts) > 2 else ""
    return "other", parts[0] if len(parts) > 1 else ""


def _domain(value: object) -> int | None:
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if number in DOMAINS else None


def _resolve_source(settings: Settings, source: str) -> tuple[Path, Path]:
    """Map a source name to a file inside the corpus or personal folder, or refuse it."""
    refused = TutorError(
        f"{source!r} is not a document of the library", "pick a document from the list"
    )
    if not isinstance(source, str) or not source.strip() or "\x00" in source:
        raise refused
    for root in (settings.corpus_dir, personal_dir(settings)):
        candidate = (root.parent / source.strip()).resolve()
        if (
            candidate.is_relative_to(root.resolve())
            and candidate.is_file()
            and candidate in {p.resolve() for p in list_files(root)}
        ):
            return candidate, root
    raise refused


# ---------------------------------------------------------------------------------------------
# Search and status


def search_library(
    settings: Settings, query: str, limit: int = 10, embedder=None
) -> list[LibraryHit]:
    """Hybrid search (BM25 + vectors, fused as the tutor retrieves) over the index, one hit per
    section and a few per document; before any index exists, a plain word match instead."""
    query = _clean_query(query)
    limit = max(1, limit)
    if not _manifest(settings):
        return _word_search(settings, query, limit)
    return _index_search(settings, query, limit, embedder)


def _manifest(settings: Settings) -> dict:
    """The live build's manifest, empty when there is no index (store loads lazily: it pulls in
    the chunker and Chroma helpers the app does not need to draw its page)."""
    from tutor.store import read_manifest

    return read_manifest(settings.index_dir) or {}


def _clean_query(query: object) -> str:
    text = re.sub(r"\s+", " ", query).strip() if isinstance(query, str) else ""
    if not text:
        raise TutorError("the search is empty", "type a word or a service name, e.g. Kinesis")
    if len(text) > MAX_QUERY_CHARS:
        raise TutorError(
            f"the search is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS}",
            "search for a few key words",
        )
    return text


def _index_search(settings: Settings, query: str, limit: int, embedder) -> list[LibraryHit]:
    from tutor.glossary import Glossary
    from tutor.retrieval import reciprocal_rank_fusion
    from tutor.store import Index

    index = Index(settings)
    if embedder is None:
        from tutor.embeddings import get_embedder

        embedder = get_embedder()
    expanded = Glossary.load(settings.corpus_dir).expand(query)  # French words reach English notes
    k = max(settings.candidates, limit * 3)
    vector_hits = index.vector_search(embedder.embed_one(expanded).tolist(), k)
    lexical_hits = index.lexical.search(expanded, k)
    fused = reciprocal_rank_fusion([c for c, _ in vector_hits], [c for c, _ in lexical_hits])
    ranked = sorted(fused, key=lambda c: -fused[c])
    records = index.get(ranked)
    personal_root = str(personal_dir(settings).resolve())
    roots = {src: meta.get("root") for src, meta in index.manifest.get("files", {}).items()}
    hits: list[LibraryHit] = []
    seen: set[tuple[str, str]] = set()
    per_source: dict[str, int] = {}
    for cid in ranked:
        if cid not in records or len(hits) >= limit:
            continue
        text, meta = records[cid]
        key = (meta.get("source", ""), meta.get("section", ""))
        if key in seen or per_source.get(key[0], 0) >= MAX_HITS_PER_SOURCE:
            continue
        seen.add(key)
        per_source[key[0]] = per_source.get(key[0], 0) + 1
        hits.append(
            LibraryHit(
                title=meta.get("title", ""),
                source=key[0],
                section=key[1],
                snippet=snippet(text, expanded),
                score=round(fused[cid], 4),
                personal=roots.get(key[0]) == personal_root,
            )
        )
    return hits


def _word_search(settings: Settings, query: str, limit: int) -> list[LibraryHit]:
    from tutor.lexical import tokenize

    wanted = set(tokenize(query))
    scored = []
    for entry in list_topics(settings):
        doc = read_document(settings, entry.source)
        found = len(wanted & set(tokenize(f"{doc.title} {doc.body}")))
        if found:
            scored.append((found / len(wanted), entry, doc))
    scored.sort(key=lambda s: -s[0])
    return [
        LibraryHit(entry.title, entry.source, "", snippet(doc.body, query), score, entry.personal)
        for score, entry, doc in scored[:limit]
    ]


def snippet(text: str, query: str, size: int = SNIPPET_CHARS) -> str:
    """The sentence of a passage sharing most words with the query, cut to a short line."""
    from tutor.lexical import tokenize
    from tutor.retrieval import split_sentences

    wanted = set(tokenize(query))
    sentences = split_sentences(text) or [text.strip()]
    sentences = [s for s in sentences if not s.startswith("#")] or sentences  # headings say little
    best = max(sentences, key=lambda s: len(wanted & set(tokenize(s))))
    best = re.sub(r"\s+", " ", re.sub(r"^#+\s*", "", best)).strip()
    if len(best) <= size:
        return best
    return best[:size].rsplit(" ", 1)[0] + "…"


def index_status(settings: Settings) -> dict:
    """What the live index holds, from its manifest, for the status panel."""
    manifest = _manifest(settings)
    files = manifest.get("files", {})
    personal_root = str(personal_dir(settings).resolve())
    return {
        "indexed": bool(manifest),
        "documents": len(files),
        "chunks": int(manifest.get("chunks", 0)),
        "embedder": manifest.get("embedder", ""),
        "chat_model": (
            f"{settings.llm_remote_model} at {settings.llm_url}"
            if settings.llm_url
            else settings.llm_model
        ),
        "built_at": manifest.get("built_at"),
        "personal_documents": sum(1 for f in files.values() if f.get("root") == personal_root),
        "extra_roots": list(manifest.get("extra_roots", [])),
    }


# ---------------------------------------------------------------------------------------------
# Personal documents


def add_personal_document(
    settings: Settings, path: Path | str, progress: Progress | None = None, embedder=None
) -> AddResult:
    """Check, convert and index one upload so the tutor can cite it.

    Everything that can be refused is checked before the personal folder is touched; if the
    re-index fails anyway, the folder is put back as it was. A file with the same name (stem)
    replaces the earlier version.
    """
    start = time.perf_counter()
    report = progress or (lambda fraction, message: None)
    path = Path(path)
    report(0.0, f"Checking {path.name}")
    kind, raw = _check_upload(path, settings.max_upload_mb)
    report(0.05, f"Converting {path.name}")
    title, body, meta = _convert(kind, raw, path, report)
    target = personal_dir(settings) / f"{_safe_stem(path.stem)}.md"
    text = _with_front_matter(body, meta, title, path.name, target.stem)
    source = source_name(target, target.parent)
    _check_citable(settings, source, target, text)

    with _CHANGE_LOCK:
        target.parent.mkdir(parents=True, exist_ok=True)
        previous = target.read_bytes() if target.exists() else None
        _write_atomic(target, text.encode("utf-8"))
        try:
            _reindex(settings, report, embedder)
        except BaseException:
            _restore(target, previous)
            raise
        files = _manifest(settings).get("files", {})
    report(1.0, f"Added {title}")
    return AddResult(
        source=source,
        title=title,
        path=target,
        kind=kind,
        words=len(body.split()),
        chunks=int(files.get(source, {}).get("chunks", 0)),
        replaced=previous is not None,
        seconds=time.perf_counter() - start,
    )


def remove_personal_document(
    settings: Settings, source: str, progress: Progress | None = None, embedder=None
) -> None:
    """Delete an upload (by source name or file name) and drop it from the index."""
    report = progress or (lambda fraction, message: None)
    with _CHANGE_LOCK:
        mine = list_personal_documents(settings)
        matches = [e for e in mine if source in (e.source, e.path.name)]
        if not matches:
            raise TutorError(
                f"{source!r} is not one of your documents",
                "pick it from the list of your documents",
            )
        target = matches[0].path
        previous = target.read_bytes()
        target.unlink()
        try:
            _reindex(settings, report, embedder)
        except BaseException:
            _restore(target, previous)
            raise
    report(1.0, f"Removed {matches[0].title}")


def _check_upload(path: Path, max_mb: int) -> tuple[str, bytes]:
    """Return the upload's kind and bytes, or refuse it with a one-line reason."""
    name = path.name
    kind = UPLOAD_KINDS.get(path.suffix.lower())
    if kind is None:
        raise TutorError(
            f"{name}: {path.suffix or 'files without an extension'} cannot be added",
            "add a Markdown (.md), text (.txt), PDF (.pdf) or HTML (.html) file",
        )
    if not path.is_file():
        raise TutorError(f"{name} was not found", "choose the file again")
    size = path.stat().st_size
    if size == 0:
        raise TutorError(f"{name} is empty", "choose a file that contains text")
    if size > max_mb * 1024 * 1024:
        raise TutorError(
            f"{name} is {size / 1024 / 1024:.1f} MB; the limit is {max_mb} MB",
            "split it into smaller files or raise TUTOR_MAX_UPLOAD_MB",
        )
    raw = path.read_bytes()
    is_pdf = b"%PDF-" in raw[:1024]  # readers accept the header anywhere in the first 1 KB
    if kind == "pdf" and not is_pdf:
        raise TutorError(
            f"{name} is not a PDF (no %PDF- header)", "check the file or give it its real extension"
        )
    if kind != "pdf" and raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TutorError(f"{name} is UTF-16 text", "save it with UTF-8 encoding and add it again")
    if kind != "pdf" and (is_pdf or b"\x00" in raw):
        raise TutorError(
            f"{name} looks like a binary file, not {kind} text",
            "give the file its real extension, or export it as text",
        )
    return kind, raw


def _convert(kind: str, raw: bytes, path: Path, report: Progress) -> tuple[str, str, dict]:
    """Turn an upload into (title, Markdown body, front matter to keep)."""
    if kind == "pdf":
        title, body, meta = *_pdf_to_markdown(raw, path.name, report), {}
    elif kind == "html":
        title, body, meta = *_html_to_markdown(raw, path.name), {}
    else:
        text = _decode_utf8(raw, path.name)
        meta, body = _split_markdown(text, path.name) if kind == "markdown" else ({}, text)
        title = str(meta.get("title") or _first_heading(body) or "")
    body = re.sub(r"\n{3,}", "\n\n", body.replace("\r\n", "\n")).strip()
    if not re.search(r"[^\W\d_]", body):
        raise TutorError(
            f"{path.name} contains no readable text",
            "for a scanned PDF, run OCR on it first; otherwise check the file",
        )
    return title or _title_from_name(path.stem), body, meta


def _decode_utf8(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TutorError(
            f"{name} is not UTF-8 text", "save it with UTF-8 encoding and add it again"
        ) from exc


def _split_markdown(text: str, name: str) -> tuple[dict, str]:
    from tutor.corpus import split_front_matter

    try:
        return split_front_matter(text)
    except CorpusFileError as exc:
        raise TutorError(f"{name}: {exc}", "fix or delete the --- block at the top") from exc


def _pdf_to_markdown(raw: bytes, name: str, report: Progress) -> tuple[str, str]:
    """Text of every page under a "Page N" heading, so citations can say where it came from.
    Extraction of a long PDF takes a while, hence a progress report per page."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise TutorError(
                f"{name} is password-protected", "save an unprotected copy and add that"
            )
        pages = []
        for n, page in enumerate(reader.pages, 1):
            report(0.05 * (1 + n / len(reader.pages)), f"Reading page {n}/{len(reader.pages)}")
            pages.append(page.extract_text() or "")
        title = str(reader.metadata.title or "").strip() if reader.metadata else ""
    except TutorError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        raise TutorError(
            f"{name} could not be read as a PDF ({exc.__class__.__name__})",
            "open it in a PDF viewer and save or export it again",
        ) from exc
    if len(pages) == 1:
        return title, pages[0]
    body = "\n\n".join(
        f"## Page {n}\n\n{text.strip()}" for n, text in enumerate(pages, 1) if text.strip()
    )
    return title, body


# Not the whole <head>: html.parser keeps a page's body inside an unclosed <head>.
_HTML_DROP = ["script", "style", "noscript", "template", "iframe", "svg", "canvas", "title"]
_HTML_BLOCKS = [
    "p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "ul", "ol",
    "table", "tr", "pre", "blockquote", "figure", "dl", "dt", "dd", "hr",
]  # fmt: skip


def _html_to_markdown(raw: bytes, name: str) -> tuple[str, str]:
    """Visible text with headings kept as `#` lines; scripts and styles are dropped."""
    from bs4 import BeautifulSoup, UnicodeDammit

    markup = UnicodeDammit(raw, is_html=True).unicode_markup
    if markup is None:
        raise TutorError(f"{name} could not be decoded as text", "save it as UTF-8 HTML")
    soup = BeautifulSoup(markup, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(_HTML_DROP):
        tag.decompose()
    for level in range(1, 7):
        for heading in soup.find_all(f"h{level}"):
            text = heading.get_text(" ", strip=True)
            heading.replace_with(f"\n\n{'#' * level} {text}\n\n" if text else "")
    for item in soup.find_all("li"):
        item.insert(0, "\n- ")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(_HTML_BLOCKS):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in soup.get_text().splitlines()]
    return title or _first_heading("\n".join(lines)), "\n".join(lines)


def _first_heading(body: str) -> str:
    match = re.search(r"^#{1,2}\s+(.+)$", body, re.MULTILINE)
    return match.group(1).strip() if match else ""


def _title_from_name(stem: str) -> str:
    return re.sub(r"[-_]+", " ", stem).strip() or "Personal document"


def _safe_stem(stem: str) -> str:
    """A file name that cannot escape the folder, hide itself or clash with README skipping."""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_stem).strip("-_.")[:80] or "document"
    return f"{safe}-doc" if safe.lower() == "readme" else safe


def _with_front_matter(body: str, meta: dict, title: str, original: str, stem: str) -> str:
    """The stored Markdown: the upload's own front matter kept, the tutor's fields set."""
    front = dict(meta)
    front.update(
        id=f"personal-{stem}",  # never shares a doc id with a corpus note (per-note limits)
        title=title,
        lang=str(meta.get("lang") or detect_language(body[:2000])),
        personal=True,
        original_filename=original,
        added=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False).strip()
    return f"---\n{header}\n---\n\n{body}\n"


def _write_atomic(target: Path, data: bytes) -> None:
    tmp = target.with_name(f".{target.name}.tmp")  # dot files are never indexed
    tmp.write_bytes(data)
    os.replace(tmp, target)


def _restore(target: Path, previous: bytes | None) -> None:
    if previous is None:
        target.unlink(missing_ok=True)
    else:
        _write_atomic(target, previous)


def _check_citable(settings: Settings, source: str, target: Path, text: str) -> None:
    """Chunk the converted text as the index will, so a file that would yield no passage is
    refused before it is written (the chunker drops pieces under 20 characters)."""
    from tutor.chunking import chunk_document
    from tutor.corpus import split_front_matter

    meta, body = split_front_matter(text)
    doc = SourceDoc(source=source, path=target, text=body, meta=meta)
    if not chunk_document(doc, settings.chunk_chars, settings.chunk_overlap):
        raise TutorError(
            f"{target.name} has too little text to be cited",
            "add a document with at least a sentence or two of text",
        )


def _reindex(settings: Settings, report: Progress, embedder) -> None:
    """Re-index with the personal folder as an extra root (registered once, kept afterwards)."""
    from tutor.store import build_index

    def on_progress(done: int, total: int) -> None:
        report(0.1 + 0.85 * done / max(total, 1), f"Indexing: {done}/{total} passages")

    report(0.1, "Indexing")
    build_index(
        settings,
        add=[personal_dir(settings)],
        progress=False,
        embedder=embedder,
        on_progress=on_progress,
    )
