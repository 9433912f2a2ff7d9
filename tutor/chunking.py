"""Split documents into citable chunks that follow the document's own headings.

Each chunk keeps the path of headings above it ("I. … > 1. Amazon SageMaker > SageMaker Model
Monitor"), so a citation can say where in a document the passage sits.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from tutor.corpus import SourceDoc

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]


@dataclass
class Chunk:
    id: str
    text: str
    metadata: dict

    def embedding_text(self) -> str:
        """What gets embedded: the title and section give a bare passage its subject."""
        head = self.metadata["title"]
        if self.metadata.get("section"):
            head += " — " + self.metadata["section"]
        return f"{head}\n{self.text}"

    def lexical_text(self) -> str:
        return lexical_text(self.text, self.metadata)


def lexical_text(text: str, meta: dict) -> str:
    """What BM25 sees: the passage plus its title, section and the note's aliases."""
    return f"{meta['title']} {meta.get('section', '')} {meta.get('aliases', '')} {text}"


def _section_path(meta: dict, title: str) -> str:
    heads = [meta[k] for k in ("h1", "h2", "h3", "h4") if meta.get(k)]
    if heads and heads[0].strip() == title.strip():
        heads = heads[1:]
    return " > ".join(h.strip() for h in heads)


def _chunk_id(source: str, section: str, n: int, text: str) -> str:
    digest = hashlib.sha1(f"{source}\x1f{section}\x1f{n}\x1f{text}".encode()).hexdigest()
    return digest[:20]


def chunk_document(doc: SourceDoc, chunk_chars: int = 900, overlap: int = 120) -> list[Chunk]:
    """Split at headings first, then long sections by size, keeping the heading path."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_chars, chunk_overlap=overlap, separators=["\n\n", "\n", ". ", " ", ""]
    )
    if doc.path.suffix.lower() in {".md", ".markdown"}:
        sections = MarkdownHeaderTextSplitter(_HEADERS, strip_headers=True).split_text(doc.text)
        parts = [(s.page_content, _section_path(s.metadata, doc.title)) for s in sections]
        h1 = next((s.metadata["h1"] for s in sections if s.metadata.get("h1")), None)
        title = str(doc.meta.get("title") or h1 or doc.title)
    else:
        parts = [(doc.text, "")]
        title = doc.title

    base = {
        "source": doc.source,
        "title": title,
        "doc_id": doc.doc_id,
        "lang": doc.lang,
        "domain": str(doc.meta.get("domain", "")),
        # Chroma metadata must be scalar; the aliases carry the French terms of each note.
        "aliases": "; ".join(str(a) for a in doc.meta.get("aliases") or []),
    }
    chunks: list[Chunk] = []
    for text, section in parts:
        for n, piece in enumerate(splitter.split_text(text)):
            piece = re.sub(r"\n{3,}", "\n\n", piece).strip()
            if len(piece) < 20:
                continue
            meta = dict(base, section=section, chunk_index=len(chunks))
            chunks.append(Chunk(_chunk_id(doc.source, section, n, piece), piece, meta))
    return chunks
