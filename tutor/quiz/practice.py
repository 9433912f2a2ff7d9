"""The practice API the CLI and the app share: next question, grade, explain, exam simulation.

Which question comes next: reviews that FSRS says are due (most overdue first), then questions
never seen from the weakest topic, then the earliest upcoming review. Questions come from the
prebuilt bank, plus any the learner had generated on demand for a topic the bank lacked.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from tutor.config import Settings
from tutor.errors import TutorError
from tutor.quiz.bank import bank_path, load_bank
from tutor.quiz.progress import Progress, now
from tutor.quiz.question import LETTERS, Question
from tutor.quiz.topics import DOMAIN_WEIGHTS, DOMAINS, load_topics

EXAM_MINUTES_PER_QUESTION = 180 / 65  # the real exam: 65 questions in 180 minutes


@dataclass
class Feedback:
    question: Question
    chosen: str  # letters the learner picked, e.g. "B" or "AC"
    correct: bool
    keys: str
    next_due: datetime | None
    follow_up: str  # a question to carry into the chat

    def to_dict(self) -> dict:
        return {
            "question_id": self.question.id,
            "chosen": self.chosen,
            "correct": self.correct,
            "keys": self.keys,
            "options": [
                {
                    "letter": LETTERS[i],
                    "text": o.text,
                    "correct": o.correct,
                    "explanation": o.explanation,
                    "cite": o.cite,
                }
                for i, o in enumerate(self.question.options)
            ],
            "citations": self.question.citations,
            "follow_up": self.follow_up,
            "next_due": self.next_due.isoformat() if self.next_due else None,
        }


def parse_choice(raw: str | list | tuple, question: Question) -> list[int]:
    """'b', 'A,C', ['A', 'C'] or [0, 2] → sorted option indexes; a clear error otherwise."""
    if isinstance(raw, str):
        letters = [c for c in raw.upper() if c.isalpha()]
        items: list = letters
    else:
        items = list(raw)
    picked: set[int] = set()
    for item in items:
        if isinstance(item, int):
            idx = item
        elif isinstance(item, str) and len(item.strip()) == 1:
            idx = LETTERS.find(item.strip().upper())
        else:
            idx = -1
        if not 0 <= idx < len(question.options):
            valid = ", ".join(LETTERS[: len(question.options)])
            raise TutorError(f"{item!r} is not one of the options", f"answer with {valid}")
        picked.add(idx)
    if len(picked) != question.choose:
        need = "one option" if question.choose == 1 else f"{question.choose} options"
        raise TutorError(f"this question needs {need}, got {len(picked)}", f"pick {need}")
    return sorted(picked)


def follow_up(question: Question) -> str:
    """A self-contained question for the chat: the scenario, what was asked, and the key."""
    keys = [question.options[i].text for i in question.keys]
    if question.lang == "fr":
        answer = " et ".join(keys)
        verb = "sont-elles les bonnes réponses" if len(keys) > 1 else "est-elle la bonne réponse"
        return f"{question.scenario} {question.prompt} Pourquoi « {answer} » {verb} ?"
    answer = " and ".join(keys)
    verb = "are the right answers" if len(keys) > 1 else "is the right answer"
    return f"{question.scenario} {question.prompt} Why {verb}: {answer}?"


class Practice:
    """A learner's practice: the bank, their progress database, optional on-demand generation."""

    def __init__(
        self,
        settings: Settings,
        progress: Progress | None = None,
        questions: list[Question] | None = None,
        llm=None,
        embedder=None,
    ) -> None:
        self.settings = settings
        self.progress = progress or Progress(settings.data_dir / "progress.sqlite3")
        self.generated_path = settings.data_dir / "generated-questions.jsonl"
        if questions is None:
            questions = load_bank(bank_path(settings)) + load_bank(self.generated_path)
        self.questions = {q.id: q for q in questions}
        self.topics = {t.id: t for t in load_topics(settings.corpus_dir)}
        self._llm = llm
        self._embedder = embedder
        self._builder = None
        self._lock = threading.Lock()

    # -- choosing -----------------------------------------------------------------------
    def candidates(
        self, topic: str | None = None, domain: int | None = None, lang: str | None = None
    ) -> list[Question]:
        return [
            q
            for q in self.questions.values()
            if (topic is None or q.topic == topic)
            and (domain is None or q.domain == domain)
            and (lang is None or q.lang == lang)
        ]

    def next_question(
        self,
        topic: str | None = None,
        domain: int | None = None,
        lang: str | None = None,
        exclude: set[str] | None = None,
        rng: random.Random | None = None,
    ) -> Question | None:
        rng = rng or random.Random()
        exclude = exclude or set()
        pool = [q for q in self.candidates(topic, domain, lang) if q.id not in exclude]
        if not pool:
            return None
        scheduled = self.progress.scheduled()
        at = now()
        due = sorted(
            (scheduled[q.id], q.id) for q in pool if q.id in scheduled and scheduled[q.id] <= at
        )
        if due:
            return self.questions[due[0][1]]
        unseen = [q for q in pool if q.id not in scheduled]
        if unseen:
            stats = self.progress.topic_stats()
            weakness = {q.topic: self.progress.weakness(q.topic, stats) for q in unseen}
            worst = max(weakness.values())
            topics = sorted(t for t, w in weakness.items() if w >= worst - 1e-9)
            chosen_topic = rng.choice(topics)
            return rng.choice([q for q in unseen if q.topic == chosen_topic])
        return self.questions[min((scheduled[q.id], q.id) for q in pool)[1]]

    # -- grading ------------------------------------------------------------------------
    def submit(
        self, question_id: str, chosen, seconds: float = 0.0, mode: str = "practice"
    ) -> Feedback:
        question = self.questions.get(question_id)
        if question is None:
            raise TutorError(f"unknown question {question_id!r}", "ask for the next question")
        picked = parse_choice(chosen, question)
        correct = picked == question.keys
        letters = "".join(LETTERS[i] for i in picked)
        due = self.progress.record(
            question.id,
            question.topic,
            question.domain,
            question.lang,
            letters,
            correct,
            max(0.0, float(seconds)),
            mode,
        )
        return Feedback(question, letters, correct, question.key_letters, due, follow_up(question))

    # -- on demand ----------------------------------------------------------------------
    def generate(self, topic: str, lang: str = "en", tries: int = 3) -> Question:
        """Write and validate a new question for a topic the bank lacks; kept for next time."""
        if topic not in self.topics:
            raise TutorError(f"unknown topic {topic!r}", "pick a topic from the list")
        with self._lock:
            if self._builder is None:
                from tutor.llm import load_chat_model
                from tutor.quiz.bank import BankBuilder

                llm = self._llm or load_chat_model(self.settings, progress=False)
                self._builder = BankBuilder(self.settings, llm, self._embedder)
                for q in self.questions.values():
                    self._builder.validator.remember(q)
            from tutor.quiz.bank import Slot

            t = self.topics[topic]
            reasons: list[str] = []
            for attempt in range(tries):
                variant = random.randrange(100, 10_000)
                level = t.level(attempt)
                draft = self._builder.draft(Slot(topic, lang, level, 1, variant), attempt)
                if draft is None:
                    reasons.append("not enough material or same-family options for this topic")
                    continue
                q, why, _ = self._builder.attempt(draft)
                if q is not None:
                    self.questions[q.id] = q
                    self.generated_path.parent.mkdir(parents=True, exist_ok=True)
                    with self.generated_path.open("a", encoding="utf-8") as fh:
                        fh.write(json.dumps(q.to_dict(), ensure_ascii=False) + "\n")
                    return q
                reasons += why
        raise TutorError(
            f"no question for {topic} passed validation in {tries} tries ({', '.join(reasons)})",
            "try again, or practise another topic",
        )

    def index_changed(self) -> None:
        """The live index was rebuilt (an upload, a removal): drop the cached builder, whose
        Index points at a build that no longer exists."""
        with self._lock:
            self._builder = None

    def reload_bank(self) -> int:
        """Pick up questions appended to the bank (or generated elsewhere); returns how many."""
        added = 0
        for q in load_bank(bank_path(self.settings)) + load_bank(self.generated_path):
            if q.id not in self.questions:
                self.questions[q.id] = q
                added += 1
        return added

    # -- progress -----------------------------------------------------------------------
    def summary(self) -> dict:
        """Scores by domain and topic, weakest topics, reviews due: for the CLI and the app."""
        stats = self.progress.topic_stats()
        due = self.progress.due()
        return {
            "attempts": sum(s["attempts"] for s in stats.values()),
            "correct": sum(s["correct"] for s in stats.values()),
            "by_domain": {
                d: {
                    "name": DOMAINS[d],
                    **self.progress.domain_stats().get(
                        d, {"attempts": 0, "correct": 0, "accuracy": None}
                    ),
                }
                for d in DOMAINS
            },
            "by_topic": {
                t: {"title": self.topics[t].title if t in self.topics else t, **s}
                for t, s in stats.items()
            },
            "weakest": [
                {
                    "topic": t,
                    "title": self.topics[t].title if t in self.topics else t,
                    "error_rate": round(w, 2),
                    "attempts": n,
                }
                for t, w, n in self.progress.weakest_topics()
            ],
            "due": len([q for q in due if q in self.questions]),
            "bank": len(self.questions),
        }

    def start_exam(self, n: int = 65, lang: str | None = None, seed: int | None = None) -> Exam:
        return Exam.draw(self, n, lang, seed)


def _spread(pool: list[Question], rng: random.Random) -> list[Question]:
    """The pool shuffled topic by topic: one question of every topic (in random order) before
    a second of any, so a topic the bank holds many questions on does not crowd an exam."""
    by_topic: dict[str, list[Question]] = {}
    for q in pool:
        by_topic.setdefault(q.topic, []).append(q)
    rounds: list[list[Question]] = []
    for questions in by_topic.values():
        rng.shuffle(questions)
        for i, q in enumerate(questions):
            if i == len(rounds):
                rounds.append([])
            rounds[i].append(q)
    for r in rounds:
        rng.shuffle(r)
    return [q for r in rounds for q in r]


@dataclass
class Exam:
    """A timed simulation with questions drawn by the official domain weights."""

    practice: Practice
    questions: list[Question]
    time_limit: float  # seconds
    started: float = field(default_factory=time.monotonic)
    answers: dict[str, Feedback] = field(default_factory=dict)

    @classmethod
    def draw(cls, practice: Practice, n: int, lang: str | None, seed: int | None) -> Exam:
        if n < 1:
            raise TutorError("an exam needs at least one question")
        rng = random.Random(seed)
        quotas = _quotas(n)
        chosen: list[Question] = []
        for domain, k in quotas.items():
            chosen += _spread(practice.candidates(domain=domain, lang=lang), rng)[:k]
        if len(chosen) < n:  # a domain ran short: top up from the others
            rest = [q for q in practice.candidates(lang=lang) if q not in chosen]
            rng.shuffle(rest)
            chosen += rest[: n - len(chosen)]
        if not chosen:
            raise TutorError("the question bank is empty", "run `tutor quiz build`")
        rng.shuffle(chosen)
        return cls(practice, chosen, time_limit=len(chosen) * EXAM_MINUTES_PER_QUESTION * 60)

    @property
    def remaining(self) -> float:
        return max(0.0, self.time_limit - (time.monotonic() - self.started))

    def answer(self, question_id: str, chosen, seconds: float) -> Feedback:
        if self.remaining <= 0:
            raise TutorError("time is up", "see your score report")
        if question_id not in {q.id for q in self.questions}:
            raise TutorError("that question is not part of this exam")
        fb = self.practice.submit(question_id, chosen, seconds, mode="exam")
        self.answers[question_id] = fb
        return fb

    def report(self) -> dict:
        by_domain: dict[int, dict] = {}
        for q in self.questions:
            d = by_domain.setdefault(
                q.domain, {"name": DOMAINS[q.domain], "questions": 0, "answered": 0, "correct": 0}
            )
            d["questions"] += 1
            fb = self.answers.get(q.id)
            if fb:
                d["answered"] += 1
                d["correct"] += int(fb.correct)
        correct = sum(d["correct"] for d in by_domain.values())
        return {
            "questions": len(self.questions),
            "answered": len(self.answers),
            "correct": correct,
            "score": round(100 * correct / len(self.questions), 1),
            "by_domain": dict(sorted(by_domain.items())),
            "seconds_used": round(min(self.time_limit, time.monotonic() - self.started)),
            "time_limit": round(self.time_limit),
        }


def _quotas(n: int) -> dict[int, int]:
    """Largest-remainder rounding of the official weights to n questions."""
    raw = {d: w * n for d, w in DOMAIN_WEIGHTS.items()}
    quotas = {d: int(v) for d, v in raw.items()}
    for d in sorted(raw, key=lambda d: -(raw[d] - quotas[d]))[: n - sum(quotas.values())]:
        quotas[d] += 1
    return quotas
