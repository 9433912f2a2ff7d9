"""A hand-written question that passes every validation rule, built on real corpus passages,
and a way to break it one rule at a time (tests/test_quiz.py)."""

from __future__ import annotations

from tutor.quiz.question import Option, Question, question_id

SCENARIO = (
    "A mobile game sends a continuous flow of clickstream events. The team wants the events "
    "buffered, compressed and written to Amazon S3 as Parquet files every few minutes, with no "
    "servers or consumer code to manage."
)
PROMPT = "Which AWS service should the team use?"
KEY_EXPLANATION = (
    "It loads streaming records into S3 with the least operational effort and converts JSON "
    "records to Parquet or ORC on the way, buffering them for a few minutes."
)


def good_question(builder) -> Question:
    """Amazon Data Firehose as key; Athena, Redshift and Glue ETL jobs as distractors."""
    topics = builder.topics
    key = topics["kinesis-data-firehose"].choice
    passage = next(p for p in builder.evidence.chunks(key.topic) if "When to use it" in p.section)
    distractors = [topics[t].choice for t in ("athena", "redshift", "glue-etl-jobs")]
    facts = [builder.evidence.fact(c, topics[c.topic].summary) for c in distractors]
    citations = [passage.citation(1)] + [f.citation(i + 2) for i, f in enumerate(facts)]
    options = [Option(key.name, True, KEY_EXPLANATION, 1)] + [
        Option(c.name, False, f"Not the best fit here. What it is: {f.text}", i + 2)
        for i, (c, f) in enumerate(zip(distractors, facts, strict=True))
    ]
    return Question(
        id=question_id("kinesis-data-firehose", "en", SCENARIO),
        lang="en",
        topic="kinesis-data-firehose",
        domain=1,
        scenario=SCENARIO,
        prompt=PROMPT,
        options=options,
        choose=1,
        citations=citations,
        level="note",
        model="hand-written test sample",
    )
