"""The learner's record: every attempt in SQLite, and an FSRS card per question.

SQLite in WAL mode with synchronous=FULL commits each answer before the call returns, so a
crash never loses an answered question. Scheduling uses the maintained `fsrs` package rather
than a home-made rule: a missed question comes back within minutes, a known one much later.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fsrs import Card, Rating, Scheduler

SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    domain INTEGER NOT NULL,
    lang TEXT NOT NULL,
    chosen TEXT NOT NULL,
    correct INTEGER NOT NULL,
    seconds REAL NOT NULL,
    mode TEXT NOT NULL DEFAULT 'practice',
    answered_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_question ON attempts(question_id);
CREATE TABLE IF NOT EXISTS cards (
    question_id TEXT PRIMARY KEY,
    card TEXT NOT NULL,
    due TEXT NOT NULL
);
"""

SLOW_SECONDS = 120  # a right answer that took this long counts as "hard" for the scheduler


@dataclass
class Attempt:
    question_id: str
    topic: str
    domain: int
    lang: str
    chosen: str
    correct: bool
    seconds: float
    mode: str
    answered_at: str


def now() -> datetime:
    return datetime.now(UTC)


class Progress:
    """One learner's database. Safe to share between the app's threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        # One 10-minute step: a missed question returns in the same session, a question
        # answered right on first sight graduates straight to a review days later.
        step = (timedelta(minutes=10),)
        self.scheduler = Scheduler(learning_steps=step, relearning_steps=step, enable_fuzzing=False)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def record(
        self,
        question_id: str,
        topic: str,
        domain: int,
        lang: str,
        chosen: str,
        correct: bool,
        seconds: float,
        mode: str = "practice",
        when: datetime | None = None,
    ) -> datetime:
        """Store the attempt and reschedule the question in one transaction; return next due."""
        when = when or now()
        with self._lock:
            row = self._db.execute(
                "SELECT card FROM cards WHERE question_id = ?", (question_id,)
            ).fetchone()
            card = Card.from_dict(json.loads(row[0])) if row else Card()
            if not correct:
                rating = Rating.Again
            elif seconds > SLOW_SECONDS:
                rating = Rating.Hard
            else:
                rating = Rating.Good
            card, _ = self.scheduler.review_card(card, rating, when)
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO attempts (question_id, topic, domain, lang, chosen, correct, "
                    "seconds, mode, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        question_id,
                        topic,
                        domain,
                        lang,
                        chosen,
                        int(correct),
                        float(seconds),
                        mode,
                        when.isoformat(),
                    ),
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO cards (question_id, card, due) VALUES (?, ?, ?)",
                    (question_id, json.dumps(card.to_dict()), card.due.isoformat()),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return card.due

    def attempts(self, limit: int | None = None) -> list[Attempt]:
        sql = (
            "SELECT question_id, topic, domain, lang, chosen, correct, seconds, mode, "
            "answered_at FROM attempts ORDER BY id DESC"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            rows = self._db.execute(sql).fetchall()
        return [Attempt(*r[:5], bool(r[5]), *r[6:]) for r in rows]

    def due(self, at: datetime | None = None) -> dict[str, datetime]:
        """Questions whose review is due, with their due time."""
        at = at or now()
        with self._lock:
            rows = self._db.execute(
                "SELECT question_id, due FROM cards WHERE due <= ? ORDER BY due", (at.isoformat(),)
            ).fetchall()
        return {q: datetime.fromisoformat(d) for q, d in rows}

    def scheduled(self) -> dict[str, datetime]:
        with self._lock:
            rows = self._db.execute("SELECT question_id, due FROM cards").fetchall()
        return {q: datetime.fromisoformat(d) for q, d in rows}

    def _accuracy_by(self, key: Callable[[Attempt], object]) -> dict:
        stats: dict = defaultdict(lambda: {"attempts": 0, "correct": 0})
        for a in self.attempts():
            s = stats[key(a)]
            s["attempts"] += 1
            s["correct"] += int(a.correct)
        for s in stats.values():
            s["accuracy"] = s["correct"] / s["attempts"]
        return dict(stats)

    def topic_stats(self) -> dict[str, dict]:
        """Attempts, correct answers and accuracy per topic (every attempt counts)."""
        return self._accuracy_by(lambda a: a.topic)

    def domain_stats(self) -> dict[int, dict]:
        return dict(sorted(self._accuracy_by(lambda a: a.domain).items()))

    def weakness(self, topic: str, stats: dict[str, dict] | None = None) -> float:
        """Estimated error rate of a topic, pulled toward 0.5 when it has few attempts
        (a Beta(1,1) prior), so one lucky answer does not mark a topic as mastered."""
        s = (stats or self.topic_stats()).get(topic, {"attempts": 0, "correct": 0})
        return (s["attempts"] - s["correct"] + 1) / (s["attempts"] + 2)

    def weakest_topics(self, n: int = 5, min_attempts: int = 1) -> list[tuple[str, float, int]]:
        """(topic, weakness, attempts), weakest first, among topics actually practised."""
        stats = self.topic_stats()
        rows = [
            (t, self.weakness(t, stats), s["attempts"])
            for t, s in stats.items()
            if s["attempts"] >= min_attempts
        ]
        return sorted(rows, key=lambda r: (-r[1], -r[2]))[:n]
