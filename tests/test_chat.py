"""The whole question flow with the real stack and the small GGUF model."""

from __future__ import annotations

import pytest

from tutor import Answer, Citation, Tutor, TutorError
from tutor.chat import clean_question, normalize_history


def test_ask_returns_an_answer_with_timings(tutor):
    answer = tutor.ask("Which SageMaker feature detects data drift?")
    assert isinstance(answer, Answer)
    assert answer.text and not answer.abstained
    assert answer.searched and answer.searched[0]["title"]
    assert {"retrieval", "first_token", "total"} <= set(answer.timings)
    assert 0 < answer.timings["first_token"] <= answer.timings["total"]
    assert all(
        isinstance(c, Citation) and 1 <= c.n <= len(answer.searched) for c in answer.citations
    )


def test_stream_yields_text_then_the_final_answer(tutor):
    pieces = list(tutor.stream("What does Amazon Polly do?"))
    assert isinstance(pieces[-1], Answer)
    assert all(isinstance(p, str) for p in pieces[:-1]) and len(pieces) >= 2


def test_off_topic_question_is_declined_without_calling_the_model(tutor):
    answer = tutor.ask("What is the capital of Australia?")
    assert answer.abstained and answer.citations == []
    assert "does not cover" in answer.text


def test_french_decline_is_in_french(tutor):
    answer = tutor.ask("Quelle est la meilleure recette de crêpes ?")
    assert answer.abstained and answer.language == "fr"
    assert "ne couvre pas" in answer.text


def test_follow_up_is_rewritten_before_retrieval(tutor):
    history = [
        {"role": "user", "content": "What is SageMaker Model Monitor?"},
        {"role": "assistant", "content": "It watches endpoints for drift [1]."},
    ]
    answer = tutor.ask("How do I set it up?", history)
    assert "condense" in answer.timings
    assert answer.query  # the standalone question that was searched


@pytest.mark.parametrize(
    ("bad", "message"),
    [("", "empty"), ("   \n\t ", "empty"), ("x" * 100_000, "100,000 characters"), (None, "text")],
)
def test_bad_questions_get_one_line_errors(tutor, bad, message):
    with pytest.raises(TutorError, match=message) as info:
        tutor.ask(bad)
    assert "\n" not in str(info.value)


def test_control_characters_are_removed():
    assert clean_question("What\x00 is\x1b[31m Polly?\x7f") == "What is [31m Polly?"


def test_history_accepts_pairs_and_messages():
    assert normalize_history([("q", "a")]) == [("q", "a")]
    msgs = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    assert normalize_history(msgs) == [("q", "a")]


def test_missing_index_is_explained(tmp_path, full_settings):
    from dataclasses import replace

    broken = Tutor(replace(full_settings, index_dir=tmp_path / "none"))
    with pytest.raises(TutorError, match="no index found"):
        broken.ask("What is Model Monitor?")
