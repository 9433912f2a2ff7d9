"""Prompt texts. The system prompt is identical for every call (answers, rewrites, quizzes), so
llama.cpp evaluates it once and reuses its KV cache; everything that changes comes last."""

from __future__ import annotations

from collections.abc import Sequence

NOT_COVERED = "NOT_IN_MATERIAL"

SYSTEM = """You are a tutor for the AWS Certified Machine Learning - Specialty exam (MLS-C01). You answer a learner's question using only the numbered passages of study material that come with it.

How to answer:
- Give the direct answer first: name the AWS service, feature, setting, algorithm, technique or number that answers the question. Then give the reason in one or two sentences.
- Write two or three short sentences in total. No lists, no headings. Never repeat the question or these instructions.
- Use only facts stated in the passages. Put the number of the supporting passage after each sentence, like [1] or [2].
- Include the precise details the passages give that answer the question: parameter names, numbers, limits.
- Answer in the language of the question (English or French). Keep AWS service names and technical terms in English.

When asked to rewrite a question instead, output only the rewritten question."""

INSTRUCTION = {
    "en": "Answer in English, in two or three sentences, starting with the direct answer.",
    "fr": "Réponds en français, en deux ou trois phrases, en commençant par la réponse directe.",
}
# Offered only when retrieval is borderline: a small model offered an exit takes it too often.
MAY_DECLINE = (
    f"If none of the passages is about the subject of this question, reply only: {NOT_COVERED}"
)


def format_passages(passages: Sequence) -> str:
    """Number passages [1]..[n]; each carries its title so a bare sentence keeps its subject."""
    lines = []
    for n, p in enumerate(passages, 1):
        text = " ".join(p.text.split())
        lines.append(f"[{n}] {p.title}: {text}")
    return "\n".join(lines)


def _user(passages_text: str, question: str, lang: str, may_decline: bool = False) -> str:
    text = (
        f"Passages:\n{passages_text}\n\nQuestion: {question}\n\n"
        f"{INSTRUCTION.get(lang, INSTRUCTION['en'])}"
    )
    return text + ("\n" + MAY_DECLINE if may_decline else "")


# Worked examples as real conversation turns: a small chat model imitates turns far better than
# examples described inside the system prompt. They never change, so they stay in the KV cache.
EXAMPLES = [
    {
        "role": "user",
        "content": _user(
            "[1] Amazon Data Firehose: Firehose loads streaming records into Amazon S3, Amazon "
            "Redshift or OpenSearch with no consumer code. It buffers records by size or time "
            "and keeps nothing for replay.\n[2] Kinesis Data Streams: Data Streams keeps records "
            "in shards for 24 hours by default, up to 365 days, so several custom consumers can "
            "read and replay them.",
            "I need clickstream events delivered to S3 without writing consumer code. "
            "Which service?",
            "en",
        ),
    },
    {
        "role": "assistant",
        "content": "Use Amazon Data Firehose, which delivers streaming data to S3 with no "
        "consumer code [1]. Kinesis Data Streams would need custom consumers and suits data "
        "that must be replayed [2].",
    },
    {
        "role": "user",
        "content": _user(
            "[1] SageMaker Model Monitor: Model Monitor compares the data captured at an "
            "endpoint with a baseline computed from the training data. Violations are published "
            "to CloudWatch when the data drifts.\n[2] SageMaker Clarify: Clarify measures bias "
            "before and after training and explains predictions with SHAP values.",
            "Comment détecter la dérive des données d'un modèle en production ?",
            "fr",
        ),
    },
    {
        "role": "assistant",
        "content": "Utilisez SageMaker Model Monitor, qui compare les données capturées par le "
        "point de terminaison à une baseline calculée sur les données d'entraînement [1]. Les "
        "écarts sont signalés comme violations dans CloudWatch [1].",
    },
]


def prefix_messages() -> list[dict]:
    """The fixed start of every conversation with the model (cached by llama.cpp)."""
    return [{"role": "system", "content": SYSTEM}, *EXAMPLES]


def answer_messages(
    question: str, passages: Sequence, lang: str, may_decline: bool = False
) -> list[dict]:
    user = _user(format_passages(passages), question, lang, may_decline)
    return [*prefix_messages(), {"role": "user", "content": user}]


def condense_messages(question: str, history: Sequence[tuple[str, str]]) -> list[dict]:
    """Ask for a standalone version of a follow-up question, in the question's language."""
    turns = "\n".join(f"Learner: {q}\nTutor: {a}" for q, a in history[-3:])
    user = (
        "Rewrite the learner's last question so it can be understood without the conversation: "
        "replace pronouns with the service or topic they refer to and keep the question's "
        "language. Output only the rewritten question.\n"
        f"Conversation:\n{turns}\nLast question: {question}\nRewritten question:"
    )
    return [*prefix_messages(), {"role": "user", "content": user}]
