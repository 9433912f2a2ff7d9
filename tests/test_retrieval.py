"""Hybrid retrieval and the relevance gate, on the real corpus and the real embedder."""

from __future__ import annotations

import pytest

from tutor.glossary import Glossary
from tutor.retrieval import Retriever, reciprocal_rank_fusion
from tutor.store import Index


@pytest.fixture(scope="module")
def retriever(full_settings, full_index, embedder):
    return Retriever(
        Index(full_settings), embedder, full_settings, Glossary.load(full_settings.corpus_dir)
    )


def test_rrf_rewards_agreement():
    scores = reciprocal_rank_fusion(["a", "b", "c"], ["b", "a", "d"])
    assert max(scores, key=scores.get) in {"a", "b"}
    assert scores["a"] > scores["c"] and scores["b"] > scores["d"]


@pytest.mark.parametrize(
    ("question", "expected_docs"),
    [
        ("Which SageMaker feature detects data drift?", {"sagemaker-model-monitor"}),
        ("What input format does DeepAR expect?", {"algo-deepar"}),
        (
            "Quel service charge des flux de données vers S3 sans écrire de consommateur ?",
            {"kinesis-data-firehose"},
        ),
        # Both notes teach encryption at rest with KMS keys.
        ("Comment chiffrer les données au repos avec KMS ?", {"kms", "mlops-encryption"}),
    ],
)
def test_relevant_note_is_retrieved(retriever, question, expected_docs):
    found = retriever.search(question)
    assert found.relevant
    assert expected_docs & {p.meta["doc_id"] for p in found.passages}


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of Australia?",
        "Give me a recipe for chocolate cake",
        "How do I deploy a model with Azure Machine Learning?",
        "Qui a gagné la coupe du monde de football en 2018 ?",
    ],
)
def test_off_topic_questions_are_gated(retriever, question):
    assert not retriever.search(question).relevant


def test_context_respects_the_token_budget(retriever, full_settings):
    found = retriever.search("Explain precision, recall and F1 score")
    assert 1 <= len(found.passages) <= full_settings.top_k
    assert sum(len(p.text) for p in found.passages) <= full_settings.context_tokens * 4 + 8


def test_glossary_translates_french_terms(full_settings):
    glossary = Glossary.load(full_settings.corpus_dir)
    assert len(glossary) > 100
    assert "data drift" in glossary.expand("Comment surveiller la dérive des données ?").lower()
