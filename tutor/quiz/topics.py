"""The quiz's view of the corpus: one topic per note, and the answer choices it can offer.

A question's key and distractors are chosen here, from the notes themselves, rather than by
the model: a 1.5B model writes a fair scenario for a given answer far more reliably than it
picks a right answer and three wrong-but-plausible ones. Distractors are therefore always
real services or techniques named by the corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tutor.corpus import list_files, load_file

DOMAINS = {
    1: "Data Engineering",
    2: "Exploratory Data Analysis",
    3: "Modeling",
    4: "Machine Learning Implementation and Operations",
}
DOMAINS_FR = {
    1: "Ingénierie des données",
    2: "Analyse exploratoire des données",
    3: "Modélisation",
    4: "Mise en œuvre et exploitation du ML",
}
# Official MLS-C01 weights, used by the exam simulation.
DOMAIN_WEIGHTS = {1: 0.20, 2: 0.24, 3: 0.36, 4: 0.20}

# What a question asks for, by answer group. A note's group is its folder (deployment notes
# join sagemaker, evaluation joins concepts) unless its front matter sets `quiz_group`;
# distractors come from the same group, so they are always of the same family as the key.
GROUP_KIND = {
    "algorithms": ("SageMaker built-in algorithm", "algorithme intégré de SageMaker"),
    "services": ("AWS AI service", "service d'IA AWS"),
    "data": ("AWS data service", "service de données AWS"),
    "sagemaker": ("SageMaker capability", "fonctionnalité de SageMaker"),
    "operations": ("AWS service", "service AWS"),
    "practices": ("practice", "pratique"),
    # Not "compute option": the group holds a registry (ECR) too, and a review found
    # "Which compute service…" keyed to ECR.
    "compute": ("AWS service", "service AWS"),
    "concepts": ("technique", "technique"),
}
GROUP_OF = {"deployment": "sagemaker", "evaluation": "concepts"}
# Practice notes are broad themes ("Encryption", "Least privilege"): as options their titles
# made vague questions in the review, so these notes are quizzed on the concrete settings and
# features they list (quiz_items) instead, and those items are asked for as such.
ITEM_ONLY_GROUPS = {"practices": ("AWS feature or setting", "fonctionnalité ou paramètre AWS")}
# What an item question asks for where the group's own word does not fit its items (an S3
# storage class or bucket setting is not "an AWS data service").
ITEM_KIND = {**ITEM_ONLY_GROUPS, "data": ITEM_ONLY_GROUPS["practices"]}

_PREFIXES = ("Amazon SageMaker ", "SageMaker ", "Amazon ", "AWS ")


@dataclass(frozen=True)
class Choice:
    """One possible answer: a note as a whole, or one item inside a note (e.g. 'Recall')."""

    name: str
    topic: str  # note id the choice belongs to
    item: bool = False  # True when it is an item inside the note

    @property
    def core(self) -> str:
        """The distinctive part of the name, used to notice a stem that gives the answer away."""
        core = self.name
        for prefix in _PREFIXES:
            if core.startswith(prefix) and len(core) > len(prefix) + 2:
                core = core[len(prefix) :]
        core = re.sub(r"\s*\(.*?\)\s*", " ", core)
        core = re.sub(r"\s+(algorithm|service)$", "", core.strip(), flags=re.I)
        return core.strip()


@dataclass
class Topic:
    id: str
    title: str
    domain: int
    group: str  # folder under corpus/notes, merged per GROUP_OF
    folder: str
    source: str
    summary: str  # the note's first sentence: what the thing is
    choice: Choice
    items: list[Choice] = field(default_factory=list)
    distractor: bool = True  # False for overview notes: "the overview" is never a fair option
    # Curated by the team in the note's front matter (quiz_cues, quiz_item_cues): needs that
    # single this answer out from its group. The model is told one to write the scenario
    # around, and validation measures the stem against every option's cues.
    cues: list[str] = field(default_factory=list)
    item_cues: dict[str, list[str]] = field(default_factory=dict)
    confusable: set[str] = field(default_factory=set)  # ids never offered beside this one
    item_confusable: set[frozenset[str]] = field(default_factory=set)  # item pairs, likewise
    avoid: list[str] = field(default_factory=list)  # phrases that would make it a wrong key
    item_kind: tuple[str, str] | None = None  # what its items are, (en, fr), if not the group's

    @property
    def domain_name(self) -> str:
        return DOMAINS.get(self.domain, "?")

    @property
    def item_only(self) -> bool:
        """Quizzed on its items only: a practice theme, or an overview note (its title is no
        fair answer, as a key or as a distractor)."""
        return (self.group in ITEM_ONLY_GROUPS or not self.distractor) and bool(self.items)

    def level(self, variant: int) -> str:
        """Item or note question for this variant: alternate where the note lists items."""
        return "item" if self.items and (variant % 2 == 0 or self.item_only) else "note"

    def cues_for(self, choice: Choice) -> list[str]:
        """The curated needs of this note, or of one of its items."""
        return self.item_cues.get(choice.name, []) if choice.item else self.cues

    def kind(self, lang: str, level: str = "note") -> str:
        default = GROUP_KIND.get(self.group, ("option", "option"))
        en, fr = (
            (self.item_kind or ITEM_KIND.get(self.group, default)) if level == "item" else default
        )
        return fr if lang == "fr" else en


def _first_sentence(body: str) -> str:
    for para in re.split(r"\n\s*\n", body):
        para = para.strip()
        if para and not para.startswith(("#", "-", "|", "```")):
            m = re.match(r"(.+?[.!?])(\s|$)", para.replace("\n", " "))
            return (m.group(1) if m else para)[:400]
    return ""


def quiz_name(title: str) -> str:
    """A title trimmed to an answer-sized name: 'Amazon Athena', 'Feature scaling'."""
    name = re.split(r" \(| - | – |: ", title)[0].strip()
    return name


def load_topics(corpus_dir: Path) -> list[Topic]:
    """Every note under corpus/notes with front matter, in a stable order."""
    return list(_load_topics(corpus_dir.resolve()))


@lru_cache(maxsize=4)
def _load_topics(corpus_dir: Path) -> tuple[Topic, ...]:
    notes = corpus_dir / "notes"
    topics: list[Topic] = []
    if not notes.is_dir():
        return ()
    for path in list_files(notes):
        doc = load_file(path, corpus_dir)
        meta = doc.meta
        if "id" not in meta or "domain" not in meta:
            continue
        folder = path.parent.name
        name = str(meta.get("quiz_name") or quiz_name(doc.title))
        topic_id = str(meta["id"])
        items = [Choice(str(i), topic_id, item=True) for i in meta.get("quiz_items") or []]
        topics.append(
            Topic(
                id=topic_id,
                title=doc.title,
                domain=int(meta["domain"]),
                group=str(meta.get("quiz_group") or GROUP_OF.get(folder, folder)),
                folder=folder,
                source=doc.source,
                summary=_first_sentence(doc.text),
                choice=Choice(name, topic_id),
                items=items,
                distractor=bool(meta.get("quiz_distractor", True)),
                cues=_strings(meta.get("quiz_cues")),
                item_cues={
                    str(k): _strings(v) for k, v in (meta.get("quiz_item_cues") or {}).items()
                },
                confusable=set(_strings(meta.get("quiz_confusable"))),
                item_confusable={
                    frozenset(_strings(pair)) for pair in meta.get("quiz_item_confusable") or []
                },
                avoid=[a.lower() for a in _strings(meta.get("quiz_avoid"))],
                item_kind=_kind(meta.get("quiz_item_kind")),
            )
        )
    by_id = {t.id: t for t in topics}
    for t in topics:  # "never offered together" holds both ways
        for other in list(t.confusable):
            if other in by_id:
                by_id[other].confusable.add(t.id)
    return tuple(topics)


def _strings(value) -> list[str]:
    """A front-matter list (or a lone string) as clean strings."""
    if not value:
        return []
    if isinstance(value, str):
        value = [value]
    return [" ".join(str(v).split()) for v in value if str(v).strip()]


def _kind(value) -> tuple[str, str] | None:
    """quiz_item_kind: [English, French], e.g. [evaluation metric, métrique d'évaluation]."""
    kinds = _strings(value)
    return (kinds[0], kinds[1]) if len(kinds) == 2 else None


def topics_by_id(corpus_dir: Path) -> dict[str, Topic]:
    return {t.id: t for t in load_topics(corpus_dir)}
