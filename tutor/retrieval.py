"""Hybrid retrieval (BM25 + vectors, fused by reciprocal rank) and the relevance gate that lets
the tutor decline instead of answering from the model's memory."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from tutor.config import Settings
from tutor.glossary import Glossary
from tutor.language import detect_language, fold
from tutor.lexical import tokenize
from tutor.store import Index

RRF_K = 60  # the constant of Cormack et al.; robust across collections
MAX_EMBEDDED = 24
SENTENCE_EMBED_CHARS = 300
MAX_PER_DOC = 2  # more passages from one note crowd out the comparison a learner asked for
# The sheet's one-line items and the glossary match French wording best but teach little: the
# sheet gets one slot, the glossary only when the learner asks about terminology.
DOC_LIMITS = {"sheet": 1, "glossary-fr-en": 0}
_TERMINOLOGY = re.compile(
    r"\b(glossa\w*|vocabula\w*|en anglais|in english|en fran[cç]ais|in french|how do you say|"
    r"comment dit-on|que veut dire|terme anglais|english term|french term|terme fran[cç]ais)\b",
    re.IGNORECASE,
)


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
    lexical_coverage: float  # share of the question's content words the corpus knows at all
    unknown_terms: list[str] = field(default_factory=list)
    relevant: bool = True
    borderline: bool = False  # relevant, but only just: the model may still decline


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
        starts = {m.group(1) for m in re.finditer(r"(?:^|[.!?;:]\s+)(\w+)", question.strip())}
        unknown = []
        for w in _NAME.findall(question):
            if len(w) < 3 or (w in starts and not any(c.isupper() for c in w[1:])):
                continue  # a capital at the start of a sentence says nothing
            toks = tokenize(w)
            if toks and not any(t in vocab for t in toks):
                unknown.append(w)
        return unknown

    def search(self, question: str, lang: str | None = None) -> Retrieval:
        s = self.settings
        query = self.glossary.expand(question)
        vec = self.embedder.embed_one(query).tolist()
        vector_hits = self.index.vector_search(vec, s.candidates)
        lexical_hits = self.index.lexical.search(query, s.candidates)
        fused = reciprocal_rank_fusion([c for c, _ in vector_hits], [c for c, _ in lexical_hits])
        sims = dict(vector_hits)
        ranked = sorted(fused, key=lambda c: -fused[c])
        records = self.index.get(ranked[: s.top_k * 6])
        missing_sims = [c for c in records if c not in sims]
        if missing_sims:  # BM25-only hits: compute their similarity so the gate can judge them
            for cid, emb in self.index.embeddings(missing_sims).items():
                sims[cid] = float(sum(a * b for a, b in zip(emb, vec, strict=True)))

        chunks: list[Passage] = []
        seen_text: set[str] = set()
        per_doc: dict[str, int] = {}
        limits = dict(DOC_LIMITS)
        if _TERMINOLOGY.search(question):
            limits["glossary-fr-en"] = 1
        for cid in ranked:
            if cid not in records or len(chunks) >= s.top_k:
                continue
            text, meta = records[cid]
            key = fold(text)[:200]
            doc = meta.get("doc_id", "")
            if key in seen_text or per_doc.get(doc, 0) >= limits.get(doc, MAX_PER_DOC):
                continue
            seen_text.add(key)
            per_doc[doc] = per_doc.get(doc, 0) + 1
            chunks.append(Passage(cid, text, meta, fused[cid], sims.get(cid, 0.0)))
        passages = self.condense(query, vec, chunks)

        best = max((p.similarity for p in passages), default=0.0)
        coverage = self.vocabulary_coverage(question)
        unknown = self.unknown_names(question)
        lang = lang or detect_language(question)
        relevant = self.gate(best, coverage, unknown, lang) and bool(passages)
        borderline = relevant and lang == "en" and best < s.min_relevance + 0.08
        return Retrieval(query, passages, best, coverage, unknown, relevant, borderline)

    def condense(self, query: str, query_vec: list[float], chunks: list[Passage]) -> list[Passage]:
        """Keep the sentences of the retrieved chunks that best answer the query, within the
        token budget.

        Prompt evaluation dominates the time to the first token on a CPU, and a small model
        answers better from a few pointed sentences than from four whole sections.
        """
        budget = self.settings.context_tokens
        if sum(estimate_tokens(c.text) for c in chunks) <= budget:
            return chunks
        units = [
            (i, j, sent)
            for i, c in enumerate(chunks)
            for j, sent in enumerate(split_sentences(c.text))
        ]
        if not units:
            return chunks
        q = set(tokenize(query))
        lexical = {
            (i, j): len(q & set(tokenize(sent))) / len(q) if q else 0.0 for i, j, sent in units
        }

        # Embedding every sentence costs more than the rest of retrieval: embed only the most
        # promising ones by word overlap (earlier chunks first on ties).
        by_pos = {(i, j): sent for i, j, sent in units}
        chosen = sorted(units, key=lambda u: (-lexical[(u[0], u[1])], u[0], u[1]))[:MAX_EMBEDDED]
        # Keep the sentence after a question: in the notes' scenarios it is the answer.
        followers = [
            (i, j + 1, by_pos[(i, j + 1)])
            for i, j, sent in chosen
            if sent.rstrip().endswith("?") and (i, j + 1) in by_pos
        ]
        units = list(dict.fromkeys(chosen + followers))
        vectors = self.embedder.embed([u[2][:SENTENCE_EMBED_CHARS] for u in units])
        scores: dict[tuple[int, int], float] = {}
        cosines = vectors @ np.asarray(query_vec, dtype=np.float32)
        for (i, j, _), cosine in zip(units, cosines, strict=True):
            scores[(i, j)] = float(cosine) + 0.3 * lexical[(i, j)] - 0.03 * i
        # A question in the notes (an exam scenario) resembles the learner's question but the
        # answer is the sentence after it: hand the question's score on and demote the question.
        for i, j, sent in units:
            if sent.rstrip().endswith("?") and (i, j + 1) in scores:
                scores[(i, j + 1)] = max(scores[(i, j + 1)], scores[(i, j)])
                scores[(i, j)] -= 0.25
        keep: dict[int, list[tuple[int, str]]] = {}
        for i, j, sent in sorted(units, key=lambda u: -scores[(u[0], u[1])]):
            cost = estimate_tokens(sent)
            if cost > budget:
                continue
            budget -= cost
            keep.setdefault(i, []).append((j, sent))
        out = []
        for i, c in enumerate(chunks):
            if i in keep:
                text = " ".join(sent for _, sent in sorted(keep[i]))
                out.append(Passage(c.id, text, c.meta, c.score, c.similarity))
        return out

    def vocabulary_coverage(self, question: str) -> float:
        """Share of the question's content words that occur anywhere in the corpus."""
        vocab = self.index.lexical._retriever.vocab_dict
        words = tokenize(question)
        return sum(w in vocab for w in words) / len(words) if words else 0.0

    def gate(self, similarity: float, coverage: float, unknown: list[str], lang: str) -> bool:
        """Decide whether the material can answer.

        English questions are judged by cosine similarity. The English-only embedder scores
        French questions low, so for them the corpus vocabulary (which holds the French sheet,
        glossary and aliases) is a second, language-neutral signal. A product name the corpus
        never mentions ("Azure", "BigQuery") needs strong similarity.
        """
        s = self.settings
        if unknown and similarity < s.min_relevance + 0.3:
            return False
        if lang != "fr":
            return similarity >= s.min_relevance
        return similarity >= s.min_relevance or coverage >= s.min_coverage


_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(«\"'])|\n+")


def split_sentences(text: str) -> list[str]:
    """Sentences and bullet lines of a passage (bullet markers dropped)."""
    out = []
    for piece in _SPLIT.split(text):
        piece = re.sub(r"^\s*[-*•]\s+", "", piece).strip()
        if len(piece) > 2:
            out.append(piece)
    return out
