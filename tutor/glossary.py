"""French→English query expansion from the corpus glossary.

The embedder only understands English; adding the English term for each French term a learner
types ("dérive des données" → "data drift") lets French questions reach English notes.
"""

from __future__ import annotations

import re
from pathlib import Path

from tutor.language import fold

_GLUE = {"de", "des", "du", "d", "la", "le", "les", "l", "a", "au", "aux", "en", "un", "une"}


def _folded_words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).split()


def _content_words(text: str) -> list[str]:
    """Folded words without articles, so 'étiquetage de données' meets 'étiquetage des données'."""
    return [w for w in _folded_words(text) if w not in _GLUE]


def _normalize(text: str) -> str:
    return " " + " ".join(_content_words(text)) + " "


def _said(term: str, words: list[str], stem: int | None = None) -> bool:
    """Every content word of a term starts a word of the text: a loose match on word stems,
    so plurals, agreement and verb forms still count. A stem is the word's first `stem`
    letters, or all but its last two (at least four) when `stem` is None."""
    wanted = _content_words(term)
    return bool(wanted) and all(
        any(x.startswith(w[:stem] if stem else w[: max(4, len(w) - 2)]) for x in words)
        for w in wanted
    )


# Glossary lines look like: - **dérive des données** — data drift: explication…
_ENTRY = re.compile(r"^\s*[-*]\s+\*\*(?P<fr>[^*]+)\*\*\s*[—–:-]+\s*(?P<en>[^:;]+)")


class Glossary:
    def __init__(
        self,
        pairs: dict[str, str],
        french: dict[str, list[str]] | None = None,
        names: dict[str, list[str]] | None = None,
    ) -> None:
        # Longest French terms first so "point de terminaison" wins over "point".
        self._pairs = sorted(pairs.items(), key=lambda kv: -len(kv[0]))
        # English term → the French terms the glossary gives for it (as written), longest
        # English first: what a translation of an English question should say.
        self._french = sorted((french or {}).items(), key=lambda kv: -len(kv[0]))
        # Every English term, folded, → its French terms: how a French stem can name an answer.
        self._names = names or {}

    @classmethod
    def load(cls, corpus_dir: Path) -> Glossary:
        pairs: dict[str, str] = {}
        french: dict[str, list[str]] = {}
        names: dict[str, list[str]] = {}
        for path in sorted(corpus_dir.glob("glossary*.md")):
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                m = _ENTRY.match(line)
                if not m:
                    continue
                frs = [f.strip() for f in re.split(r"\s*/\s*|\s*,\s*", m.group("fr"))]
                for fr in frs:
                    key = fold(fr)
                    if len(key) >= 3:
                        pairs.setdefault(key, m.group("en").strip().rstrip("."))
                for en in re.split(r"\s*/\s*", m.group("en").strip().rstrip(".")):
                    names.setdefault(fold(en.strip()), []).extend(f for f in frs if f)
                    # Only terms of several words: a single word is often rendered by a verb
                    # or a synonym the glossary does not list ("forecasting" → "prévoir").
                    if " " in en.strip():
                        french.setdefault(en.strip().lower(), []).extend(f for f in frs if f)
        return cls(pairs, french, names)

    def __len__(self) -> int:
        return len(self._pairs)

    def translations(self, text: str) -> list[str]:
        """English equivalents of the glossary terms found in text, without repeats."""
        folded = _normalize(text)
        found: list[str] = []
        for fr, en in self._pairs:
            needle = _normalize(fr)
            if needle.strip() and needle in folded:
                folded = folded.replace(needle, " ")
                if en not in found and fold(en) not in fold(text):
                    found.append(en)
        return found

    def french_terms(self, english: str) -> list[tuple[str, list[str]]]:
        """Glossary terms in an English text, each with the French the glossary gives for it
        (longest first; a term inside a longer one found is not repeated)."""
        text = " " + re.sub(r"[^a-z0-9]+", " ", english.lower()) + " "
        found = []
        for en, frs in self._french:
            needle = " " + re.sub(r"[^a-z0-9]+", " ", en) + " "
            if needle.strip() and needle in text:
                text = text.replace(needle, " | ")
                found.append((en, frs))
        return found

    def names_in_french(self, name: str, french: str) -> bool:
        """The French text says the glossary's French for this English name ('réentraîne'
        for the answer 'Retraining'): a French stem can give an answer away in French."""
        words = _folded_words(french)
        return any(_said(term, words, 7) for term in self._names.get(fold(name.strip()), []))

    def missing_in_french(self, english: str, french: str) -> list[str]:
        """English glossary terms of a question that its French version renders neither with
        a glossary term nor by keeping the English ('chute des clients' for churn)."""
        words = _folded_words(french)
        return [
            en
            for en, frs in self.french_terms(english)
            if not any(_said(term, words) for term in [en, *frs])
        ]

    def expand(self, text: str) -> str:
        extra = self.translations(text)
        return f"{text} ({'; '.join(extra)})" if extra else text
