"""Prompt texts. The system prompt is identical for every call (answers, rewrites, quizzes), so
llama.cpp evaluates it once and reuses its KV cache; everything that changes comes last."""

from __future__ import annotations

from collections.abc import Sequence

NOT_COVERED = "NOT_IN_MATERIAL"

SYSTEM = f"""You are a tutor for the AWS Certified Machine Learning - Specialty exam (MLS-C01).
Rules for answers:
1. Use only the numbered passages given with the question. Never add facts from memory.
2. End every sentence with the number of the passage that supports it, like [1] or [2][3]. Only cite numbers that were given.
3. Be short: two to four sentences. Start with the direct answer (the AWS service, feature, technique or number asked for), then the reason.
4. Write in the language requested (English or French). Keep AWS service names and technical terms in English.
5. Almost every question is answered by the passages. Only when no passage is about the subject of the question at all (for example cooking, sport or another cloud provider), reply with exactly: {NOT_COVERED}
When asked to rewrite a question, output only the rewritten question.

Example 1
Passages:
[1] Amazon Polly - What it is: Polly turns text into lifelike speech.
Question (answer in English): What is the best pizza in Naples?
Answer: {NOT_COVERED}

Example 2
Passages:
[1] Amazon Data Firehose - When to use it: Firehose loads streaming records into Amazon S3, Amazon Redshift or OpenSearch with no consumer code; it buffers by size or time and keeps nothing for replay.
[2] Kinesis Data Streams - What it is: Data Streams keeps records in shards (24 hours by default, up to 365 days) so that several custom consumers can read and replay them.
Question (answer in English): I need clickstream events delivered to S3 without writing consumer code. Which service?
Answer: Use Amazon Data Firehose (formerly Kinesis Data Firehose), which delivers streaming data to S3 without any consumer code [1]. Kinesis Data Streams would need your own consumers and fits when records must be replayed [2].

Example 3
Passages:
[1] SageMaker Model Monitor - What it is: Model Monitor compares the data captured at an endpoint with a baseline computed from the training data and raises violations in CloudWatch when the data drifts.
Question (answer in French): Comment détecter la dérive des données d'un modèle en production ?
Answer: Utilisez SageMaker Model Monitor : il compare les données capturées par le point de terminaison à une baseline issue des données d'entraînement [1]. Les écarts (data drift) sont signalés comme violations dans CloudWatch [1].
"""

LANGUAGE_NAMES = {"en": "English", "fr": "French"}


def format_passages(passages: Sequence) -> str:
    """Number passages [1]..[n]; each line carries its title and section for context."""
    lines = []
    for n, p in enumerate(passages, 1):
        head = p.title + (f" - {p.section}" if p.section else "")
        text = " ".join(p.text.split())
        lines.append(f"[{n}] {head}: {text}")
    return "\n".join(lines)


def answer_messages(question: str, passages: Sequence, lang: str) -> list[dict]:
    user = (
        f"Passages:\n{format_passages(passages)}\n"
        f"Question (answer in {LANGUAGE_NAMES.get(lang, 'English')}): {question}"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def condense_messages(question: str, history: Sequence[tuple[str, str]]) -> list[dict]:
    """Ask for a standalone version of a follow-up question, in the question's language."""
    turns = "\n".join(f"Learner: {q}\nTutor: {a}" for q, a in history[-3:])
    user = (
        "Rewrite the learner's last question so it can be understood without the conversation: "
        "replace pronouns with the service or topic they refer to and keep the question's "
        "language. Output only the rewritten question.\n"
        f"Conversation:\n{turns}\nLast question: {question}\nRewritten question:"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
