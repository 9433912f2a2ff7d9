"""The question bank: plan which questions to write, generate and validate them, store them.

The bank is a JSON Lines file beside the index (one accepted question per line, appended as
soon as it passes, so an interrupted build resumes where it stopped). A report next to it
records the pass rate, the rejection reasons and the build time.
"""

from __future__ import annotations

import fcntl
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tutor.config import Settings
from tutor.errors import TutorError
from tutor.quiz.evidence import Evidence
from tutor.quiz.generate import Draft, GenerationError, generate, translate
from tutor.quiz.question import Question
from tutor.quiz.topics import Topic, load_topics
from tutor.quiz.validate import REASONS, Validator

ATTEMPTS_PER_SLOT = 2


@dataclass(frozen=True)
class Slot:
    """One question the bank should hold: which topic, language, kind, and a variant number."""

    topic: str
    lang: str
    level: str  # "note" or "item"
    choose: int
    variant: int

    @property
    def key(self) -> str:
        return f"{self.topic}|{self.lang}|{self.level}|{self.choose}|{self.variant}"


def bank_path(settings: Settings) -> Path:
    return settings.index_dir / "question-bank.jsonl"


def report_path(settings: Settings) -> Path:
    return settings.index_dir / "question-bank-report.json"


def load_bank(path: Path) -> list[Question]:
    """Read the bank; a damaged line is skipped (and named) rather than losing the rest."""
    if not path.exists():
        return []
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            questions.append(Question.from_dict(json.loads(line)))
        except (ValueError, TypeError) as exc:
            import sys

            print(f"warning: {path.name} line {n} skipped ({exc})", file=sys.stderr)
    return questions


def plan(
    topics: list[Topic],
    per_topic: int = 3,
    langs: tuple[str, ...] = ("en", "fr", "en"),
    choose_two_every: int = 5,
) -> list[Slot]:
    """Four questions a topic by default, alternating English and French; item-level questions
    where a note lists items, and a 'choose two' question for every fifth topic."""
    slots = []
    # Variant-major order: every topic gets its first question before any gets a second, so
    # an interrupted build still covers every topic.
    for v in range(per_topic):
        for t_i, topic in enumerate(topics):
            lang = langs[v % len(langs)]
            level = topic.level(v)
            two = choose_two_every and t_i % choose_two_every == 0
            choose = 2 if (v == 2 and level == "note" and two) else 1
            slots.append(Slot(topic.id, lang, level, choose, v))
    return slots


class BankBuilder:
    """Holds the loaded parts (index, embedder, model) for a whole build."""

    def __init__(self, settings: Settings, llm, embedder=None) -> None:
        from tutor.embeddings import get_embedder
        from tutor.glossary import Glossary
        from tutor.store import Index

        self.settings = settings
        self.llm = llm
        self.embedder = embedder or get_embedder()
        self.index = Index(settings)
        self.topics = {t.id: t for t in load_topics(settings.corpus_dir)}
        if not self.topics:
            raise TutorError(f"no notes with front matter under {settings.corpus_dir}/notes")
        self.evidence = Evidence(self.index, self.embedder)
        vocab = set(self.index.lexical._retriever.vocab_dict)
        self.validator = Validator(
            self.evidence, self.embedder, Glossary.load(settings.corpus_dir), vocab, self.topics
        )
        ids = list(self.topics)
        vecs = self.embedder.embed([self.topics[i].summary or self.topics[i].title for i in ids])
        self._summary = dict(zip(ids, vecs, strict=True))
        self._translating: set[str] = set()  # English questions this process already tried

    def similar(
        self, topic: Topic, n: int, rng: random.Random, exclude: set[str], cue: str = ""
    ) -> list[Topic]:
        """Same-group topics, the closest in meaning first: plausible but different answers.
        Never one the notes call confusable with the key, nor one whose own cues state the
        key's cue (it would answer the scenario too)."""
        peers = [
            t
            for t in self.topics.values()
            if t.group == topic.group
            and t.id not in exclude
            and t.id not in topic.confusable
            and t.distractor
            and not t.item_only
            and not self.evidence.cue_clash(cue, t.cues)
        ]
        peers.sort(key=lambda t: -float(self._summary[t.id] @ self._summary[topic.id]))
        pool = peers[: max(n + 3, n)]
        return rng.sample(pool, min(n, len(pool)))

    def draft(self, slot: Slot, attempt: int) -> Draft | None:
        """The question's skeleton, or None when the notes lack the material for this slot."""
        topic = self.topics[slot.topic]
        rng = random.Random(f"{slot.key}|{attempt}")
        turn = slot.variant + attempt
        # The need the scenario is written around: one of the key's curated cues, a different
        # one for each variant (a choose-two question gets none: its keys share no one need).
        cue = ""
        if slot.level == "item":
            names = tuple(c.name for c in topic.items)
            usable = [
                c
                for c in topic.items
                if self.evidence.described_alone(c, names) and topic.cues_for(c)
            ]
            if len(usable) < 4:
                return None
            key = usable[turn % len(usable)]
            cues = topic.cues_for(key)
            cue = cues[(turn // len(usable)) % len(cues)]
            rivals = [
                c
                for c in usable
                if c != key
                and frozenset((key.name, c.name)) not in topic.item_confusable
                and not self.evidence.cue_clash(cue, topic.cues_for(c))
            ]
            if len(rivals) < 3:
                return None
            distractors = rng.sample(rivals, 3)
            keys = [key]
        else:
            keys = [topic.choice]
            exclude = {topic.id}
            if slot.choose == 2:
                partner = self.similar(topic, 1, rng, exclude)
                if not partner:
                    return None
                keys.append(partner[0].choice)
                exclude |= {partner[0].id, *partner[0].confusable}
            else:
                if not topic.cues:
                    return None
                cue = topic.cues[turn % len(topic.cues)]
            peers = self.similar(topic, 3, rng, exclude, cue)
            if len(peers) < 3:
                return None
            distractors = [p.choice for p in peers]
        passages = []
        for k in keys:
            rivals = [c for c in distractors + keys if c != k]
            passage = self.evidence.distinctive_passage(k, rivals, turn, cue)
            if passage is None:
                return None
            passages.append(passage)
        facts = [
            self.evidence.fact(
                c,
                "" if c.item else self.topics[c.topic].summary,
                tuple(o.name for o in keys + distractors if o != c) if c.item else (),
            )
            for c in distractors
        ]
        return Draft(
            topic=topic.id,
            domain=topic.domain,
            lang=slot.lang,
            kind=topic.kind("en", slot.level),
            kind_fr=topic.kind("fr", slot.level),
            keys=keys,
            distractors=distractors,
            passages=passages,
            facts=facts,
            level=slot.level,
            seed=rng.randrange(1 << 30),
            cue=cue,
        )

    def attempt(self, draft: Draft) -> tuple[Question | None, list[str], Question | None]:
        """One generation + validation: the question if it passed, else the reasons; and, for
        a French question, the validated English original it was translated from (worth
        keeping even when the translation fails).

        A French question is written and validated in English, then translated and the
        translation checked (see translate())."""
        lang = draft.lang
        draft.lang = "en"
        try:
            q = generate(self.llm, draft)
        except GenerationError:
            return None, ["schema"], None
        verdict = self.validator.check(q)
        if not verdict.ok:
            return None, verdict.reasons, None
        self.validator.remember(q, verdict.scores.get("vector"))
        if lang == "fr":
            return (*self._french_twin(q), q)
        return q, [], None

    def _french_twin(self, source: Question) -> tuple[Question | None, list[str]]:
        """Translate a validated English question and check the translation."""
        try:
            topic = self.topics.get(source.topic)
            kind = topic.kind("fr", source.level) if topic else ""
            fr = translate(self.llm, source, glossary=self.validator.glossary, kind=kind)
        except GenerationError:
            return None, ["schema"]
        verdict = self.validator.check_translation(source, fr)
        if not verdict.ok:
            return None, verdict.reasons
        self.validator.remember(fr, verdict.scores.get("vector"))
        return fr, []

    @staticmethod
    def _append(fh, q: Question, slot: Slot, suffix: str = "") -> None:
        q.slot = slot.key + suffix
        fcntl.flock(fh, fcntl.LOCK_EX)  # shards append to the same file
        try:
            fh.write(json.dumps(q.to_dict(), ensure_ascii=False) + "\n")
            fh.flush()
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)

    def translate_existing(self, out: Path, slot: Slot) -> tuple[Question | None, list[str]] | None:
        """Translate an English question of the slot's topic that has no French twin; None
        when there is none to translate."""
        bank = load_bank(out)
        twins = {q.translated_from for q in bank if q.translated_from}
        sources = [
            q
            for q in bank
            if q.lang == "en"
            and q.topic == slot.topic
            and q.id not in twins
            and q.id not in self._translating
        ]
        if not sources:
            return None
        sources.sort(key=lambda q: q.id)
        source = sources[(slot.variant // 2) % len(sources)]  # shards pick different ones
        self._translating.add(source.id)
        return self._french_twin(source)

    def build(
        self,
        slots: list[Slot],
        out: Path,
        report: Path,
        on_progress: Callable[[int, int], None] | None = None,
        rebuild: bool = False,
        shard: tuple[int, int] = (0, 1),
    ) -> dict:
        """Fill every slot the bank does not hold yet; append each accepted question at once."""
        out.parent.mkdir(parents=True, exist_ok=True)
        if rebuild and out.exists():
            out.unlink()
        existing = load_bank(out)
        done = {q_slot for q in existing if (q_slot := _slot_of(q))}
        for q in existing:
            self.validator.remember(q)
        stats = Counter()
        reasons: Counter = Counter()
        start = time.perf_counter()
        todo = fresh_first([s for s in slots if s.key not in done], done)
        # Shards let several processes share one bank (one llama.cpp thread each can beat one
        # process with two threads, since token generation is memory-bound).
        todo = [s for k, s in enumerate(todo) if k % shard[1] == shard[0]]
        interrupted = False
        try:
            with out.open("a", encoding="utf-8") as fh:
                for i, slot in enumerate(todo, 1):
                    if slot.lang == "fr":
                        # Cheapest French question: translate a validated English one of the same
                        # topic that has no French twin yet (one model call, then the checks).
                        twin = self.translate_existing(out, slot)
                        stats["attempts"] += twin is not None
                        if twin is not None and twin[0] is not None:
                            self._append(fh, twin[0], slot)
                            stats["accepted"] += 1
                            if on_progress:
                                on_progress(i, len(todo))
                            continue
                        if twin is not None:
                            reasons.update(twin[1])
                    for attempt in range(ATTEMPTS_PER_SLOT):
                        draft = self.draft(slot, attempt)
                        if draft is None:
                            reasons["no_material"] += 1
                            break
                        stats["attempts"] += 1
                        q, why, original = self.attempt(draft)
                        if original is not None:  # a French slot's validated English original
                            self._append(fh, original, slot, suffix=f"|source{attempt}")
                            stats["accepted_sources"] += 1
                        if q is None:
                            reasons.update(why)
                            continue
                        self._append(fh, q, slot)
                        stats["accepted"] += 1
                        break
                    else:
                        stats["slots_failed"] += 1
                    if on_progress:
                        on_progress(i, len(todo))
                    if i % 10 == 0:  # a running tally, so a long build can be watched
                        partial = {
                            "running": True,
                            "done": i,
                            "of": len(todo),
                            **stats,
                            "rejections": dict(reasons),
                            "seconds": round(time.perf_counter() - start, 1),
                        }
                        running = report.with_suffix(f".running{shard[0]}.json")
                        running.write_text(json.dumps(partial))
        except KeyboardInterrupt:  # stop cleanly: the questions kept so far and the report stay
            interrupted = True
        seconds = time.perf_counter() - start
        bank = load_bank(out)
        summary = {
            "model": getattr(self.llm, "name", ""),
            "slots_planned": len(slots),
            "slots_built_now": len(todo),
            "attempts": stats["attempts"],
            "accepted": stats["accepted"],
            "english_originals_kept": stats["accepted_sources"],
            "pass_rate": round(stats["accepted"] / stats["attempts"], 3)
            if stats["attempts"]
            else None,
            "rejections": {r: reasons.get(r, 0) for r in (*REASONS, "no_material")},
            "slots_failed": stats["slots_failed"],
            "interrupted": interrupted,
            "seconds": round(seconds, 1),
            "bank_size": len(bank),
            "by_lang": dict(Counter(q.lang for q in bank)),
            "by_domain": {str(k): v for k, v in sorted(Counter(q.domain for q in bank).items())},
            "topics_covered": len({q.topic for q in bank}),
            "topics_total": len(self.topics),
            "choose_two": sum(1 for q in bank if q.choose == 2),
        }
        _merge_report(report, summary)
        return summary


def fresh_first(todo: list[Slot], done: set[str]) -> list[Slot]:
    """Missing slots, fresh variants first. A missing slot below a variant its topic already
    holds was tried by an earlier run and failed; a rerun of the same cue rarely passes, so
    those gaps go last, and a build stopped early spends its time where questions come out."""
    highest: dict[str, int] = {}
    for key in done:  # topic|lang|level|choose|variant[|sourceN]
        topic, _, _, _, variant, *_ = key.split("|")
        highest[topic] = max(highest.get(topic, -1), int(variant))
    return sorted(todo, key=lambda s: s.variant <= highest.get(s.topic, -1))  # stable


def revalidate(builder: BankBuilder, questions: list[Question]) -> dict[str, list[str]]:
    """Re-run today's rules over stored questions (after a rule changes); id → reasons.

    English questions go through every rule. French ones were validated as their English
    original: they get the rules that apply to the French text alone, and fail with their
    original when it is in the bank and fails.
    """
    failures: dict[str, list[str]] = {}
    twins: set[str] = set()
    by_id = {q.id: q for q in questions}
    for q in questions:
        if q.translated_from:  # two shards may have translated the same English question
            if q.translated_from in twins:
                failures[q.id] = ["near_duplicate"]
                continue
            twins.add(q.translated_from)
        if q.lang == "en":
            verdict = builder.validator.check(q)
        else:
            verdict = builder.validator.check_translation(by_id.get(q.translated_from, q), q)
        if not verdict.ok:
            failures[q.id] = verdict.reasons
    for q in questions:  # a French twin goes with the English question it translates
        if q.translated_from in failures and q.id not in failures:
            failures[q.id] = failures[q.translated_from]
    return failures


def rehome_citations(builder: BankBuilder, q: Question) -> bool:
    """Point each citation at the section its text really comes from (questions built before
    a fix labelled some distractor facts with the wrong section); True when one changed."""
    changed = False
    by_name = {t.choice.name: t.id for t in builder.topics.values()}
    for o in q.options:
        c = q.citations[o.cite - 1] if o.cite else None
        topic = q.topic if q.level == "item" else by_name.get(o.text)
        if not c or not topic:
            continue
        home = builder.evidence.home(topic, c["text"])
        if home is not None and home.section != c["section"]:
            c["section"] = home.section
            changed = True
    return changed


def refresh_facts(builder: BankBuilder, q: Question) -> bool:
    """Re-quote each distractor's fact with today's selection (which skips sentences that
    announce an answer); True when an explanation changed."""
    from tutor.quiz.generate import NOT_THE_ANSWER

    changed = False
    by_name = {t.choice.name: t for t in builder.topics.values()}
    for o in q.options:
        if o.correct or not o.cite:
            continue
        if q.level == "item":
            from tutor.quiz.topics import Choice

            choice, summary = Choice(o.text, q.topic, item=True), ""
        elif o.text in by_name:
            topic = by_name[o.text]
            choice, summary = topic.choice, topic.summary
        else:
            continue
        others = tuple(x.text for x in q.options if x is not o) if q.level == "item" else ()
        fact = builder.evidence.fact(choice, summary, others)
        c = q.citations[o.cite - 1]
        if fact.text == c["text"]:
            continue
        shared = sum(1 for other in q.options if other.cite == o.cite)
        if shared > 1:  # the passage is also another option's: leave it alone
            continue
        c.update({"text": fact.text, "section": fact.section, "source": fact.source})
        o.explanation = NOT_THE_ANSWER.get(q.lang, NOT_THE_ANSWER["en"]).format(fact=fact.text)
        changed = True
    return changed


def requote_keys(q: Question, source: Question | None = None) -> bool:
    """Explain each key by quoting its cited passage (questions written before explanations
    became quotes carry the model's own sentence); True when one changed. A French twin picks
    its quote with its English original's scenario, which shares the notes' language."""
    from tutor.quiz.generate import RIGHT_ANSWER, why_key

    scenario = source.scenario if source is not None else q.scenario
    scenario = f"{scenario} {q.cue}".strip()  # the need it was written around, when known
    changed = False
    for i in q.keys:
        o = q.options[i]
        passage = q.citations[o.cite - 1]["text"]
        fact = why_key(passage, scenario, o.text, tuple(x.text for x in q.options))
        text = RIGHT_ANSWER.get(q.lang, RIGHT_ANSWER["en"]).format(fact=fact)
        if text != o.explanation:
            o.explanation = text
            changed = True
    return changed


# What a question line asks for, by the words it uses (first match wins: "AI service" before
# "service"); used to find old, model-written lines that ask for the wrong kind of answer.
_ASKED = (
    ("ai", r"\bai service|service d'ia|intelligence artificielle|service ai\b"),
    ("algorithm", r"algorithm"),
    ("metric", r"metric|métrique|measure|mesure"),
    ("feature", r"feature|setting|parameter|fonctionnalit|paramètre|configuration|capabilit"),
    ("service", r"service"),
    ("technique", r"technique|method|méthode|tool|outil|practice|pratique"),
)


def _asked(text: str) -> str | None:
    # Only the words before the verb name the kind: "…use to rank features" asks for no feature.
    text = re.split(r"\b(?:should|doit|devrait|faut|does|do|can)\b", text.lower())[0]
    return next((name for name, pattern in _ASKED if re.search(pattern, text)), None)


def reask(builder: BankBuilder, q: Question) -> bool:
    """Rewrite a model-written question line that asks for the wrong kind of answer ("Which
    AWS AI service" for Batch Transform, "Which technique" for metrics) as generate.py now
    writes every line; True when it changed."""
    from tutor.quiz.generate import question_line

    topic = builder.topics.get(q.topic)
    if topic is None:
        return False
    kind = topic.kind("en", q.level)
    asked, wanted = _asked(q.prompt), _asked(kind)
    if asked is None or wanted is None or asked == wanted:
        return False
    q.prompt = question_line(topic.kind(q.lang, q.level), q.lang, q.choose, q.prompt)
    return True


def rewrite_bank(path: Path, keep: list[Question]) -> None:
    """Replace the bank atomically, so a crash mid-write never leaves half a file."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(q.to_dict(), ensure_ascii=False) + "\n" for q in keep))
    tmp.replace(path)


def _slot_of(q: Question) -> str | None:
    return q.slot or None


def _merge_report(path: Path, summary: dict) -> None:
    """Keep a history of runs so a resumed build still shows the totals of earlier runs."""
    history = []
    if path.exists():
        try:
            history = json.loads(path.read_text()).get("runs", [])
        except ValueError:
            history = []
    history.append(summary)
    total_attempts = sum(r.get("attempts", 0) for r in history)
    total_accepted = sum(r.get("accepted", 0) for r in history)
    rejections: Counter = Counter()
    for r in history:
        rejections.update(r.get("rejections", {}))
    path.write_text(
        json.dumps(
            {
                "latest": summary,
                "total": {
                    "attempts": total_attempts,
                    "accepted": total_accepted,
                    "pass_rate": round(total_accepted / total_attempts, 3)
                    if total_attempts
                    else None,
                    "rejections": dict(rejections),
                    "seconds": round(sum(r.get("seconds", 0) for r in history), 1),
                },
                "runs": history,
            },
            indent=2,
        )
    )
