"""Hybrid retrieval (BM25 + vectors, fused by reciprocal rank) and the relevance gate that lets
the tutor decline instead of answering from the model's memory."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tutor.config import Settings
from tutor.glossary import Glossary
from tutor.language import fold
from tutor.lexical import tokenize
from tutor.store import Index

RRF_K = 60  # the constant of Cormack et al.; robust across collections


@dataclass
class Passage:
    id: str
    text: str
    meta: dict
    score: float  # fused score
    similarity: float  # cosine similarity to the query (0 when only BM25 found it)

    @property
    def source(self) -> str:
        return self.meta.get("source", "")

    @property
    def title(self) -> str:
        return self.meta.get("title", "")

    @property
    def section(self) -> str:
        return self.meta.get("section", "")


@dataclass
class Retrieval:
    query: str  # the query actually searched (after glossary expansion)
    passages: list[Passage]
    best_similarity: float
    lexical_coverage: float  # share of the query's content words found in the best passage
    unknown_terms: list[str] = field(default_factory=list)
    relevant: bool = True


def reciprocal_rank_fusion(*rankings: list[str], k: int = RRF_K) -> dict[str, float]:
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (k + rank + 1)
    return scores


def estimate_tokens(text: str) -> int:
    """Cheap token estimate (about 4 characters a token for English, a bit less for French)."""
    return max(1, len(text) // 4 + 1)


_NAME = re.compile(r"\b(?:[A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*|[A-Z][a-z]{2,}[a-z0-9]*)\b")


class Retriever:
    def __init__(self, index: Index, embedder, settings: Settings, glossary: Glossary) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.glossary = glossary

    def unknown_names(self, question: str) -> list[str]:
        """Product-like names in the question that the corpus never mentions (e.g. 'Azure')."""
        vocab = self.index.lexical._retriever.vocab_dict
        words = _NAME.findall(question)
        first = question.strip().split(" ", 1)[0]
        unknown = []
        for w in words:
            if w == first and not any(c.isupper() for c in w[1:]):
                continue  # a capital at the start of a sentence says nothing
            toks = tokenize(w)
            if toks and not any(t in vocab for t in toks):
                unknown.append(w)
        return unknown

    def search(self, question: str) -> Retrieval:
        s = self.settings
        query = self.glossary.expand(question)
        vec = self.embedder.embed_one(query).tolist()
        vector_hits = self.index.vector_search(vec, s.candidates)
        lexical_hits = self.index.lexical.search(query, s.candidates)
        fused = reciprocal_rank_fusion([c for c, _ in vector_hits], [c for c, _ in lexical_hits])
        sims = dict(vector_hits)
        ranked = sorted(fused, key=lambda c: -fused[c])
        records = self.index.get(ranked[: s.top_k * 3])
        missing_sims = [c for c in records if c not in sims]
        if missing_sims:  # BM25-only hits: compute their similarity so the gate can judge them
            for cid, emb in self.index.embeddings(missing_sims).items():
                sims[cid] = float(sum(a * b for a, b in zip(emb, vec, strict=True)))

        passages: list[Passage] = []
        budget = s.context_tokens
        seen_text: set[str] = set()
        for cid in ranked:
            if cid not in records or len(passages) >= s.top_k:
                continue
            text, meta = records[cid]
            key = fold(text)[:200]
            if key in seen_text:
                continue
            cost = estimate_tokens(text)
            if passages and cost > budget:
                continue
            if not passages and cost > budget:
                text = _trim(text, budget)
                cost = budget
            budget -= cost
            seen_text.add(key)
            passages.append(Passage(cid, text, meta, fused[cid], sims.get(cid, 0.0)))

        best = max((p.similarity for p in passages), default=0.0)
        coverage = _coverage(query, passages[0].text if passages else "")
        unknown = self.unknown_names(question)
        relevant = (
            bool(passages)
            and best >= s.min_relevance
            and not (unknown and best < s.min_relevance + 0.25)
        )
        return Retrieval(query, passages, best, coverage, unknown, relevant)


def _trim(text: str, budget_tokens: int) -> str:
    """Cut a passage at a sentence boundary so it fits the token budget."""
    limit = budget_tokens * 4
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("\n"))
    return (cut[: end + 1] if end > limit // 2 else cut).rstrip() + " …"


def _coverage(query: str, text: str) -> float:
    q = set(tokenize(query))
    if not q:
        return 0.0
    return len(q & set(tokenize(text))) / len(q)
