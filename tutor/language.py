"""Tell English from French in a learner's question.

Hand-written on purpose: general language detectors are unreliable on ten-word questions full of
English AWS names, and the tutor only ever has to choose between two languages.
"""

from __future__ import annotations

import re
import unicodedata

_FR = set(
    "le la les un une des du de d l au aux est sont quel quelle quels quelles comment pourquoi "
    "quand quoi que qui dans pour avec sans sur entre et ou mais donc faut il elle ils on nous "
    "vous je j mon ma mes ce cette ces son sa ses leur leurs plus moins très peut peux doit "
    "dois utiliser faire quelle qu lorsque données modèle modèles entraînement différence "
    "expliquer explique choisir quoi sert à".split()
)
_EN = set(
    "the a an is are was what which how why when where who do does should can could would "
    "of in on for with without to from and or but between difference use using my i you it "
    "this that these those they be model data explain choose".split()
)
_FRENCH_LETTERS = set("éèêàùâîôûçëïœ")


def fold(text: str) -> str:
    """Lower-case and strip accents, so 'Dérive' and 'derive' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def detect_language(text: str) -> str:
    """Return 'fr' or 'en' (the default when the evidence is even)."""
    words = re.findall(r"[a-zàâäçéèêëîïôöùûüœ]+", text.lower())
    fr = sum(w in _FR for w in words) + 2 * sum(c in _FRENCH_LETTERS for c in text.lower())
    en = sum(w in _EN for w in words)
    return "fr" if fr > en else "en"
