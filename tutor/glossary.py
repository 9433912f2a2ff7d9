"""French→English query expansion from the corpus glossary.

The embedder only understands English; adding the English term for each French term a learner
types ("dérive des données" → "data drift") lets French questions reach English notes.
"""

from __future__ import annotations

import re
from pathlib import Path

from tutor.language import fold

_GLUE = {"de", "des", "du", "d", "la", "le", "les", "l", "a", "au", "aux", "en", "un", "une"}


def _normalize(text: str) -> str:
    """Folded words without articles, so 'étiquetage de données' meets 'étiquetage des données'."""
    words = re.sub(r"[^a-z0-9]+", " ", fold(text)).split()
    return " " + " ".join(w for w in words if w not in _GLUE) + " "


# Glossary lines look like: - **dérive des données** — data drift: explication…
_ENTRY = re.compile(r"^\s*[-*]\s+\*\*(?P<fr>[^*]+)\*\*\s*[—–:-]+\s*(?P<en>[^:;]+)")


class Glossary:
    def __init__(self, pairs: dict[str, str], french: dict[str, list[str]] | None = None) -> None:
        # Longest French terms first so "point de terminaison" wins over "point".
        self._pairs = sorted(pairs.items(), key=lambda kv: -len(kv[0]))
        # English term → the French terms the glossary gives for it (as written), longest
        # English first: what a translation of an English question should say.
        self._french = sorted((french or {}).items(), key=lambda kv: -len(kv[0]))

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
        glossary = cls(pairs, french)
        glossary._names = names
        return glossary

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
        words = re.sub(r"[^a-z0-9]+", " ", fold(french)).split()
        for term in getattr(self, "_names", {}).get(fold(name.strip()), []):
            wanted = [w for w in re.sub(r"[^a-z0-9]+", " ", fold(term)).split() if w not in _GLUE]
            if wanted and all(any(x.startswith(w[:7]) for x in words) for w in wanted):
                return True
        return False

    def missing_in_french(self, english: str, french: str) -> list[str]:
        """English glossary terms of a question that its French version renders neither with
        a glossary term nor by keeping the English ('chute des clients' for churn)."""
        words = re.sub(r"[^a-z0-9]+", " ", fold(french)).split()

        def said(term: str) -> bool:
            wanted = [w for w in re.sub(r"[^a-z0-9]+", " ", fold(term)).split() if w not in _GLUE]
            # A loose match on word stems, so plurals and agreement still count.
            return bool(wanted) and all(
                any(x.startswith(w[: max(4, len(w) - 2)]) for x in words) for w in wanted
            )

        return [en for en, frs in self.french_terms(english) if not any(map(said, [en, *frs]))]

    def expand(self, text: str) -> str:
        extra = self.translations(text)
        return f"{text} ({'; '.join(extra)})" if extra else text
