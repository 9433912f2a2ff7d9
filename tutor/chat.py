"""The tutor's question flow, top to bottom:

question → (rewrite a follow-up) → retrieve → gate → prompt → generate → resolve citations → Answer
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field

from tutor import prompts
from tutor.citations import Citation, resolve
from tutor.config import Settings, apply_offline_environment
from tutor.errors import TutorError
from tutor.language import detect_language

MAX_QUESTION_CHARS = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

DECLINE = {
    "en": "The study material does not cover this, so I won't answer from memory. "
    "Try asking about an AWS ML service or an ML notion from the MLS-C01 syllabus.",
    "fr": "Le support d'étude ne couvre pas ce sujet : je préfère ne pas répondre de mémoire. "
    "Posez une question sur un service AWS de ML ou une notion du programme MLS-C01.",
}


@dataclass
class Answer:
    text: str
    citations: list[Citation]
    abstained: bool
    timings: dict
    language: str = "en"
    query: str = ""  # the standalone question that was searched
    searched: list[dict] = field(default_factory=list)  # passages given to the model
    declined_by: str = ""  # "gate" (retrieval found nothing relevant) or "model"

    def to_dict(self) -> dict:
        return asdict(self)


def clean_question(question: object) -> str:
    """Validate a learner's question; raise TutorError with a one-line reason when unusable."""
    if not isinstance(question, str):
        raise TutorError("the question must be text")
    text = _CONTROL.sub(" ", question.replace("\r\n", "\n").replace("\t", " "))
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise TutorError("the question is empty", "type a question about the MLS-C01 exam")
    if len(text) > MAX_QUESTION_CHARS:
        raise TutorError(
            f"the question is {len(text):,} characters long; the limit is {MAX_QUESTION_CHARS:,}",
            "shorten it to the question itself",
        )
    return text


def normalize_history(history: Sequence | None) -> list[tuple[str, str]]:
    """Accept (question, answer) pairs or OpenAI/Gradio-style role messages."""
    pairs: list[tuple[str, str]] = []
    if not history:
        return pairs
    pending: str | None = None
    for item in history:
        if isinstance(item, dict):
            role, content = item.get("role"), item.get("content")
            if not isinstance(content, str):
                continue
            if role == "user":
                pending = content
            elif role == "assistant" and pending is not None:
                pairs.append((pending, content))
                pending = None
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            pairs.append((str(item[0]), str(item[1] or "")))
    return pairs


class Tutor:
    """Answers questions from the indexed study material, citing the passages it used."""

    def __init__(
        self, settings: Settings | None = None, *, llm=None, embedder=None, progress: bool = False
    ) -> None:
        apply_offline_environment()
        self.settings = settings or Settings.from_env()
        self._llm = llm
        self._embedder = embedder
        self._retriever = None
        self._progress = progress
        self._load_lock = threading.Lock()

    # Heavy parts load lazily so the app can show its page first.
    @property
    def retriever(self):
        with self._load_lock:
            if self._retriever is None:
                from tutor.glossary import Glossary
                from tutor.retrieval import Retriever
                from tutor.store import Index

                index = Index(self.settings)
                if self._embedder is None:
                    from tutor.embeddings import get_embedder

                    self._embedder = get_embedder()
                self._retriever = Retriever(
                    index, self._embedder, self.settings, Glossary.load(self.settings.corpus_dir)
                )
            return self._retriever

    @property
    def llm(self):
        with self._load_lock:
            if self._llm is None:
                from tutor.llm import load_chat_model

                self._llm = load_chat_model(self.settings, progress=self._progress)
                self._llm.warm(prompts.prefix_messages())
            return self._llm

    def warm_up(self) -> None:
        """Load every heavy part now (the app calls this in the background at start)."""
        _ = self.retriever, self.llm

    def ask(self, question: str, history: Sequence | None = None) -> Answer:
        answer = None
        for piece in self.stream(question, history):
            if isinstance(piece, Answer):
                answer = piece
        assert answer is not None
        return answer

    def stream(self, question: str, history: Sequence | None = None) -> Iterator[str | Answer]:
        """Yield text pieces as they are generated, then the final Answer."""
        start = time.perf_counter()
        question = clean_question(question)
        pairs = normalize_history(history)
        lang = detect_language(question)
        timings: dict[str, float] = {}

        query = question
        if pairs:
            query = self._condense(question, pairs)
            timings["condense"] = time.perf_counter() - start

        t0 = time.perf_counter()
        found = self.retriever.search(query, lang)
        timings["retrieval"] = time.perf_counter() - t0
        searched = [
            {
                "n": n,
                "source": p.source,
                "title": p.title,
                "section": p.section,
                "doc_id": p.meta.get("doc_id", ""),
                "similarity": round(p.similarity, 3),
            }
            for n, p in enumerate(found.passages, 1)
        ]

        if not found.relevant:
            timings["first_token"] = timings["total"] = time.perf_counter() - start
            yield DECLINE[lang]
            yield Answer(DECLINE[lang], [], True, timings, lang, query, searched, "gate")
            return

        messages = prompts.answer_messages(
            question if not pairs else query, found.passages, lang, found.borderline
        )
        raw = ""
        shown = 0
        for piece in self.llm.stream(
            messages, self.settings.max_answer_tokens, self.settings.temperature
        ):
            if "first_token" not in timings:
                timings["first_token"] = time.perf_counter() - start
            raw += piece
            visible = _visible(raw)
            if visible is None:
                continue  # might be the start of the decline sentinel: hold it back
            if len(visible) > shown:
                yield visible[shown:]
                shown = len(visible)

        timings.setdefault("first_token", time.perf_counter() - start)
        text = _strip_prefix(raw)
        if prompts.NOT_COVERED in text or not text:
            timings["total"] = time.perf_counter() - start
            yield Answer(DECLINE[lang], [], True, timings, lang, query, searched, "model")
            return
        text, citations = resolve(text, found.passages)
        timings["total"] = time.perf_counter() - start
        yield Answer(text, citations, False, timings, lang, query, searched)

    def _condense(self, question: str, pairs: list[tuple[str, str]]) -> str:
        messages = prompts.condense_messages(question, pairs)
        out = "".join(self.llm.stream(messages, 60, 0.0)).strip()
        out = out.splitlines()[0].strip().strip('"') if out else ""
        # A rewrite that lost the question entirely is worse than the raw follow-up.
        return out if 5 <= len(out) <= 400 else question


def _strip_prefix(raw: str) -> str:
    return re.sub(r"^\s*(Answer|Réponse)\s*:\s*", "", raw.strip(), flags=re.IGNORECASE).strip()


def _visible(raw: str) -> str | None:
    """Text safe to show so far, or None while it could still be the decline sentinel."""
    text = _strip_prefix(raw) if raw.strip() else ""
    if not text:
        return None
    if prompts.NOT_COVERED.startswith(text) or text.startswith(prompts.NOT_COVERED):
        return None
    return text
