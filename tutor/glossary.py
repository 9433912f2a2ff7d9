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
    def __init__(self, pairs: dict[str, str]) -> None:
        # Longest French terms first so "point de terminaison" wins over "point".
        self._pairs = sorted(pairs.items(), key=lambda kv: -len(kv[0]))

    @classmethod
    def load(cls, corpus_dir: Path) -> Glossary:
        pairs: dict[str, str] = {}
        for path in sorted(corpus_dir.glob("glossary*.md")):
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                m = _ENTRY.match(line)
                if not m:
                    continue
                for fr in re.split(r"\s*/\s*|\s*,\s*", m.group("fr")):
                    key = fold(fr.strip())
                    if len(key) >= 3:
                        pairs.setdefault(key, m.group("en").strip().rstrip("."))
        return cls(pairs)

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

    def expand(self, text: str) -> str:
        extra = self.translations(text)
        return f"{text} ({'; '.join(extra)})" if extra else text
