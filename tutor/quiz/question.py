"""What a practice question is, on disk and in memory, and the JSON schema the model fills."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

LETTERS = "ABCDE"


@dataclass
class Option:
    text: str
    correct: bool
    explanation: str = ""
    cite: int | None = None  # 1-based index into Question.citations backing the explanation


@dataclass
class Question:
    """An exam-style multiple-choice question with one (or, for "choose two", two) keys."""

    id: str
    lang: str
    topic: str  # note id the question is about
    domain: int  # exam domain 1-4
    scenario: str
    prompt: str  # the question line, e.g. "Which AWS service should the team use?"
    options: list[Option]
    choose: int = 1
    citations: list[dict] = field(default_factory=list)  # n, source, title, section, text
    level: str = "note"  # "note": options are notes; "item": options are items of one note
    model: str = ""
    slot: str = ""  # which planned bank slot it fills (empty for on-demand questions)
    translated_from: str = ""  # id of the validated English question this one translates
    cue: str = ""  # the curated need the scenario was written around (Topic.cues)

    @property
    def keys(self) -> list[int]:
        return [i for i, o in enumerate(self.options) if o.correct]

    @property
    def key_letters(self) -> str:
        return "".join(LETTERS[i] for i in self.keys)

    @property
    def stem(self) -> str:
        return f"{self.scenario} {self.prompt}".strip()

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Question:
        data = dict(data)
        data["options"] = [Option(**o) for o in data.get("options", [])]
        return cls(**data)

    def render(self) -> str:
        """Plain-text form for the terminal and for follow-up questions in the chat."""
        lines = [self.scenario, self.prompt]
        lines += [f"{LETTERS[i]}) {o.text}" for i, o in enumerate(self.options)]
        return "\n".join(lines)


def question_id(topic: str, lang: str, scenario: str) -> str:
    digest = hashlib.sha1(f"{topic}|{lang}|{scenario}".encode()).hexdigest()[:10]
    return f"{topic}-{lang}-{digest}"


def generation_schema() -> dict:
    """The JSON the model must produce; llama.cpp turns it into a grammar, so replies parse.

    The options and the key are fixed by the caller, so the model only writes the scenario and
    the question line. Every option is explained by quoting the notes (generate.py): the review
    found model-written explanations of a right key that were false or cut short. Length bounds
    keep the 1.5B model from rambling and bound generation time.
    """
    return {
        "type": "object",
        "properties": {
            "scenario": {"type": "string", "minLength": 40, "maxLength": 320},
            "question": {"type": "string", "minLength": 10, "maxLength": 150},
        },
        "required": ["scenario", "question"],
    }
