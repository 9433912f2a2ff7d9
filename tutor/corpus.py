"""Read corpus files (Markdown with optional YAML front matter, or plain text) into documents."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tutor.language import detect_language

SUPPORTED_SUFFIXES = {".md", ".markdown", ".txt"}


@dataclass
class SourceDoc:
    """One corpus file, its text without front matter, and what the front matter says."""

    source: str  # how citations name the file (relative to its root's parent when possible)
    path: Path
    text: str
    meta: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or self.path.stem.replace("-", " "))

    @property
    def lang(self) -> str:
        return str(self.meta.get("lang") or detect_language(self.text[:2000]))

    @property
    def doc_id(self) -> str:
        return str(self.meta.get("id") or self.path.stem)


class CorpusFileError(Exception):
    """A file that cannot be indexed; the message says why in one line."""


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def split_front_matter(raw: str) -> tuple[dict, str]:
    """Separate a leading `---` YAML block from the body; no block means empty metadata."""
    if not raw.startswith("---"):
        return {}, raw
    end = raw.find("\n---", 3)
    if end == -1:
        return {}, raw
    try:
        meta = yaml.safe_load(raw[3:end]) or {}
    except yaml.YAMLError as exc:
        raise CorpusFileError(f"front matter is not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(meta, dict):
        raise CorpusFileError("front matter is not a YAML mapping")
    body = raw[end + 4 :].lstrip("\n")
    return meta, body


def list_files(root: Path) -> list[Path]:
    """Supported files under root (or root itself), in a stable order."""
    if root.is_file():
        return [root] if root.suffix.lower() in SUPPORTED_SUFFIXES else []
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and p.name.lower() != "readme.md"
    )


def source_name(path: Path, root: Path) -> str:
    """Name files of a root as 'rootname/relative/path' so citations stay readable."""
    base = root.parent
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def load_file(path: Path, root: Path) -> SourceDoc:
    """Read one file; raise CorpusFileError with a one-line reason when it cannot be used."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusFileError(f"cannot be read ({exc.strerror})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusFileError("is not UTF-8 text (save it as UTF-8)") from exc
    if "\x00" in text:
        raise CorpusFileError("looks binary (contains NUL bytes)")
    meta, body = split_front_matter(text) if path.suffix.lower() != ".txt" else ({}, text)
    if not body.strip():
        raise CorpusFileError("is empty")
    return SourceDoc(source=source_name(path, root), path=path, text=body, meta=meta)
