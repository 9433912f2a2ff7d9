"""BM25 over chunk text, so exact service names ("Firehose", "DeepAR") are found even when the
English-only embedder has little to say about a French question."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from tutor.language import fold

_STOP = set(
    """a an the is are was were be been of in on at to for from by with and or but not no it its
    this that these those what which who whom how why when where do does did can could should
    would will
    i you we they he she my your our their me us them there here than then so if as into about
    between vs versus use used using want need best way
    le la les un une des du de d l au aux et ou mais est sont etre quel quelle quels quelles comment
    pourquoi quand que qui quoi dans pour avec sans sur par ce cette ces son sa ses leur leurs il
    elle ils elles on nous vous je j mon ma mes ne pas plus moins tres peut faut doit qu s se y en
    entre faire utiliser notre votre nos vos chaque seul seule tout tous toute toutes aussi
    alors ainsi comme si oui non deja encore toujours avoir ete etait sera fait dois devons
    veux voulons veut on ont avons avez ai a hui aujourd c ca cela ceci celui celle quoi lequel
    laquelle lesquels dont ou sans sous apres avant pendant depuis vers chez tres trop
    peu""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")


def tokenize(text: str) -> list[str]:
    """Accent-folded word tokens; hyphenated names are kept whole and also split into parts."""
    text = fold(text).replace("ı", "i")
    tokens: list[str] = []
    for tok in _TOKEN.findall(text):
        tok = tok.strip(".")
        if not tok or tok in _STOP:
            continue
        tokens.append(tok)
        if "-" in tok or "." in tok:
            tokens.extend(p for p in re.split(r"[-.]", tok) if p and p not in _STOP)
    return tokens


class LexicalIndex:
    """A bm25s index over chunk texts, saved beside the vector store."""

    def __init__(self, retriever, ids: list[str]) -> None:
        self._retriever = retriever
        self.ids = ids

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25()
        retriever.index([tokenize(t) or ["_empty_"] for t in texts], show_progress=False)
        return cls(retriever, ids)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._retriever.save(str(directory))
        (directory / "ids.json").write_text(json.dumps(self.ids))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25.load(str(directory))
        ids = json.loads((directory / "ids.json").read_text())
        return cls(retriever, ids)

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; empty when no query word is in the corpus."""
        vocab = self._retriever.vocab_dict
        tokens = [t for t in tokenize(query) if t in vocab]
        if not tokens or not self.ids:
            return []
        ids = [vocab[t] for t in tokens]
        scores = self._retriever.get_scores(ids)
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]
