"""The harness itself must catch wrong answers, fabricated citations and missed abstentions."""

from __future__ import annotations

import json

import pytest

from tutor import evaluate as ev
from tutor.chat import Answer
from tutor.citations import Citation

ITEM = {
    "id": "t-1",
    "lang": "en",
    "question": "Which feature detects data drift?",
    "reference_answer": "SageMaker Model Monitor.",
    "key_facts": [["Model Monitor"], ["baseline"]],
    "evidence": ["sagemaker-model-monitor"],
    "topic": "sagemaker-model-monitor",
    "domain": 4,
    "kind": "fact",
    "split": "dev",
}
OOS = dict(
    ITEM,
    id="t-2",
    question="Capital of Australia?",
    key_facts=[],
    evidence=[],
    topic="out_of_scope",
    kind="out_of_scope",
)
PASSAGE = (
    "SageMaker Model Monitor compares data captured at the endpoint with a baseline "
    "computed from the training data and reports drift violations."
)


class FakeTutor:
    """Stands in for the model at the edge: the harness, not the tutor, is under test here."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer

    def ask(self, question: str) -> Answer:
        return self.answer


def _answer(text: str, cites: list[Citation], abstained: bool = False) -> Answer:
    searched = [
        {"n": 1, "doc_id": "sagemaker-model-monitor", "title": "t", "section": "", "source": "s"}
    ]
    return Answer(text, cites, abstained, {"first_token": 0.5, "total": 1.0}, "en", "", searched)


GOOD_CITE = Citation(1, "corpus/notes/x.md", "SageMaker Model Monitor", "What it is", PASSAGE)
judge = ev.SupportJudge()


def test_correct_grounded_answer_scores_well():
    r = ev.evaluate_item(
        FakeTutor(
            _answer(
                "SageMaker Model Monitor compares endpoint data with a baseline [1].", [GOOD_CITE]
            )
        ),
        ITEM,
        judge,
    )
    assert r.correct and r.key_fact_recall == 1.0 and r.evidence_rank == 1
    assert r.markers == 1 and r.supported_markers == 1 and r.supported_sentences == 1


def test_wrong_answer_is_caught():
    r = ev.evaluate_item(
        FakeTutor(_answer("Use Amazon Polly for that [1].", [GOOD_CITE])), ITEM, judge
    )
    assert not r.correct and r.key_fact_recall == 0.0
    assert r.supported_markers == 0  # and its citation does not support it


def test_fabricated_citation_is_caught():
    fake = Citation(1, "corpus/notes/x.md", "Amazon Polly", "", "Polly turns text into speech.")
    r = ev.evaluate_item(
        FakeTutor(_answer("Model Monitor compares endpoint data with a baseline [1].", [fake])),
        ITEM,
        judge,
    )
    assert r.markers == 1 and r.supported_markers == 0
    metrics = ev.summarize([r])
    assert metrics["citation_precision"] == 0.0 and metrics["faithfulness"] == 0.0


def test_missed_abstention_is_caught():
    r = ev.evaluate_item(
        FakeTutor(_answer("Canberra is the capital [1].", [GOOD_CITE])), OOS, judge
    )
    assert not r.correct
    assert ev.summarize([r])["abstention_recall"] == 0.0


def test_false_decline_counts_against_in_scope():
    r = ev.evaluate_item(FakeTutor(_answer("Not covered.", [], abstained=True)), ITEM, judge)
    metrics = ev.summarize([r])
    assert not r.correct and metrics["false_decline_rate"] == 1.0


def test_key_facts_ignore_case_and_accents():
    assert ev.key_fact_recall("La DERIVE des données", [["dérive"], ["donnees"]]) == 1.0
    assert ev.key_fact_recall("rien", [["dérive"], ["drift"]]) == 0.0


def test_floors_and_ceilings():
    metrics = {"answer_correct_inscope": 0.8, "first_token_p50": 3.0, "false_decline_rate": 0.0}
    bounds = {"answer_correct_inscope": 0.9, "first_token_p50": 2.0, "false_decline_rate": 0.05}
    fails = ev.check_floors(metrics, bounds)
    assert len(fails) == 2 and not any("false_decline" in f for f in fails)


def test_gold_set_follows_the_format():
    items = ev.load_gold(split="all")
    assert len(items) >= 200
    assert sum(i["lang"] == "fr" for i in items) >= 50
    assert sum(i["kind"] == "comparison" for i in items) >= 30
    assert sum(i["kind"] == "scenario" for i in items) >= 20
    assert sum(i["kind"] == "out_of_scope" for i in items) >= 20
    assert len({i["id"] for i in items}) == len(items)
    from tutor.config import PROJECT_ROOT

    notes = {p.stem for p in (PROJECT_ROOT / "corpus" / "notes").rglob("*.md")}
    evidence = {e for i in items for e in i["evidence"]}
    assert notes <= evidence, f"notes with no gold item: {sorted(notes - evidence)}"
    assert evidence <= notes | {"sheet", "glossary-fr-en"}


def test_malformed_gold_is_rejected(tmp_path):
    bad = tmp_path / "gold.jsonl"
    bad.write_text(json.dumps({"id": "x", "question": "q"}) + "\n")
    with pytest.raises(ev.GoldError, match="lacks"):
        ev.load_gold(bad)


def test_quick_eval_runs_end_to_end_on_the_real_stack(tutor):
    items = [i for i in ev.load_gold(split="dev") if i["kind"] in {"fact", "out_of_scope"}][:6]
    results = ev.run_eval(tutor, items, ev.SupportJudge(), progress=False)
    metrics = ev.summarize(results)
    assert metrics["items"] == 6 and metrics["errors"] == 0
    assert metrics["retrieval_recall_at_k"] > 0


def test_support_judge_agrees_with_the_hand_labelled_sample(embedder):
    """40 answer sentences labelled by hand (evals/judge_agreement.jsonl); the judge must not
    drift below the agreement it had when the sample was labelled (27/40)."""
    from tutor.config import PROJECT_ROOT

    rows = [
        json.loads(line)
        for line in (PROJECT_ROOT / "evals" / "judge_agreement.jsonl").read_text().splitlines()
    ]
    assert len(rows) == 40
    judge = ev.SupportJudge(embed=embedder.embed)
    agree = sum(judge.supports(r["sentence"], r["passage"]) == r["human"] for r in rows)
    assert agree >= 27
