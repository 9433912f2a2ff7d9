"""Ask the chat model for a question about a chosen key, constrained to a JSON schema.

The caller picks the key, the distractors and the passage (see bank.py); the model writes the
scenario, the question line and one explanation per option, grounded in what it is shown.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from tutor.quiz.evidence import Passage
from tutor.quiz.question import LETTERS, Option, Question, generation_schema, question_id
from tutor.quiz.topics import Choice

SYSTEM = (
    "You write practice questions for the AWS Certified Machine Learning – Specialty exam. "
    "You use only facts from the passage you are given and reply in JSON. The scenario describes "
    "a need without ever naming the correct answer. When asked for French, you write French and "
    "keep AWS service names in English."
)

# One worked example per language, placed before every request. The prefix is identical on
# every call, so llama.cpp keeps it in its KV cache and the examples cost no time after the
# first question; they teach the small model to describe the need instead of naming the answer.
EXAMPLES = [
    (
        """Passage about Amazon Transcribe:
Amazon Transcribe converts speech in audio files or live streams to text. Speaker diarization labels which speaker said each part, and custom vocabularies improve accuracy on product names.

Write one exam-style multiple-choice question whose correct answer is B) Amazon Transcribe.
Options:
A) Amazon Polly
B) Amazon Transcribe
C) Amazon Comprehend
D) Amazon Translate""",
        '{"scenario": "A call center records thousands of support calls every day. It wants a searchable text version of each call in which the agent and the customer are told apart, without building its own speech model.", "question": "Which AWS AI service should the company use?", "explanations": {"B": "It turns recorded speech into text, and speaker diarization labels which person spoke each part of the call."}}',
    ),
    (
        """Passage sur Amazon Athena :
Amazon Athena is a serverless query service that runs standard SQL directly on files in Amazon S3. You pay per amount of data scanned; columnar formats such as Parquet reduce the cost.

Rédige en français une question d'examen à choix multiple dont la bonne réponse est C) Amazon Athena.
Options :
A) Amazon Redshift
B) AWS Glue DataBrew
C) Amazon Athena
D) Amazon DynamoDB""",
        '{"scenario": "Une équipe d\'analystes veut lancer quelques requêtes SQL ponctuelles sur des journaux JSON stockés dans Amazon S3, sans gérer de serveur ni copier les données ailleurs.", "question": "Quel service de données AWS l\'équipe doit-elle utiliser ?", "explanations": {"C": "Ce service sans serveur exécute du SQL directement sur les fichiers dans S3 et facture selon le volume de données analysées."}}',
    ),
]

TEMPLATE = {
    "en": """Passage about {key_names}:
{passage}

Write one exam-style multiple-choice question whose correct answer{plural} {key_letters}.
Options:
{options}

- "scenario": two or three sentences about a company and what it needs, built from facts in the passage, so that {only}. The words "{cores}" must not appear in the scenario or the question: describe the need, not the answer.
- "question": one line asking which {kind} the company should use{choose_hint}.
- "explanations": for {key_only}, one sentence from the passage saying why it meets the need.""",
    "fr": """Passage sur {key_names} :
{passage}

Rédige en français une question d'examen à choix multiple dont la bonne réponse{plural} {key_letters}.
Options :
{options}

- "scenario" : deux ou trois phrases sur une entreprise et son besoin, tirées des faits du passage, de sorte que {only}. Les mots « {cores} » ne doivent pas apparaître dans le scénario ni dans la question : décris le besoin, pas la réponse.
- "question" : une ligne qui demande quel(le) {kind} l'entreprise doit utiliser{choose_hint}.
- "explanations" : pour {key_only}, une phrase tirée du passage qui dit pourquoi elle répond au besoin.
Écris le scénario, la question et l'explication en français.""",
}


@dataclass
class Draft:
    """Everything decided before the model writes: the question's skeleton."""

    topic: str
    domain: int
    lang: str
    kind: str
    keys: list[Choice]
    distractors: list[Choice]
    passages: list[Passage]  # one per key: what the scenario must come from
    facts: list[Passage]  # one per distractor: what it is
    level: str = "note"
    seed: int = 0

    def arrange(self) -> list[tuple[Choice, bool, Passage]]:
        """Options in a shuffled but reproducible order, each with its supporting passage."""
        opts = [(c, True, p) for c, p in zip(self.keys, self.passages, strict=True)]
        opts += [(c, False, f) for c, f in zip(self.distractors, self.facts, strict=True)]
        random.Random(self.seed).shuffle(opts)
        return opts


def build_prompt(draft: Draft, passage_chars: int = 900) -> list[dict]:
    lang = draft.lang if draft.lang in TEMPLATE else "en"
    opts = draft.arrange()
    letters = {c.name: LETTERS[i] for i, (c, _, _) in enumerate(opts)}
    key_letters = [f"{letters[k.name]}) {k.name}" for k in draft.keys]
    per_key = passage_chars // len(draft.keys)
    passage = "\n\n".join(p.text[:per_key] for p in draft.passages)
    two = len(draft.keys) > 1
    if lang == "fr":
        plural = "s sont" if two else " est"
        only = (
            "seules ces deux options répondent au besoin"
            if two
            else "seule cette option répond au besoin"
        )
        choose_hint = " (deux réponses)" if two else ""
        joiner = " et "
    else:
        plural = "s are" if two else " is"
        only = "only these two options meet the need" if two else "only this option meets the need"
        choose_hint = " (choose two)" if two else ""
        joiner = " and "
    text = TEMPLATE[lang].format(
        key_names=joiner.join(k.name for k in draft.keys),
        passage=passage,
        key_only=joiner.join(letters[k.name] for k in draft.keys),
        plural=plural,
        key_letters=joiner.join(key_letters),
        options="\n".join(f"{LETTERS[i]}) {c.name}" for i, (c, _, _) in enumerate(opts)),
        only=only,
        cores=", ".join(k.core for k in draft.keys),
        kind=draft.kind,
        choose_hint=choose_hint,
    )
    messages = [{"role": "system", "content": SYSTEM}]
    for user, assistant in EXAMPLES:
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return [*messages, {"role": "user", "content": text}]


class GenerationError(Exception):
    """The model's reply could not be turned into a question (counted as a rejection)."""


NOT_THE_ANSWER = {
    "en": "Not the best fit here. What it is: {fact}",
    "fr": "Ce n'est pas le meilleur choix ici. Ce que c'est (extrait des notes) : {fact}",
}


def generate(llm, draft: Draft, temperature: float = 0.6, max_tokens: int = 260) -> Question:
    opts = draft.arrange()
    keys = "".join(LETTERS[i] for i, (_, correct, _) in enumerate(opts) if correct)
    schema = generation_schema(keys)
    raw = "".join(llm.stream(build_prompt(draft), max_tokens, temperature, grammar_schema=schema))
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:  # only when max_tokens cut the reply short
        raise GenerationError("unparseable reply") from exc
    explanations = data.get("explanations") or {}
    citations: list[dict] = []
    options: list[Option] = []
    for i, (choice, correct, passage) in enumerate(opts):
        n = next((c["n"] for c in citations if c["text"] == passage.text), len(citations) + 1)
        if n > len(citations):
            citations.append(passage.citation(n))
        if correct:
            explanation = str(explanations.get(LETTERS[i], "")).strip()
        else:  # a distractor is explained by the corpus's own words about it, cited
            lead = NOT_THE_ANSWER.get(draft.lang, NOT_THE_ANSWER["en"])
            explanation = lead.format(fact=passage.text.strip())
        options.append(Option(choice.name, correct, explanation, n))
    scenario = str(data.get("scenario", "")).strip()
    return Question(
        id=question_id(draft.topic, draft.lang, scenario),
        lang=draft.lang,
        topic=draft.topic,
        domain=draft.domain,
        scenario=scenario,
        prompt=str(data.get("question", "")).strip(),
        options=options,
        choose=len(draft.keys),
        citations=citations,
        level=draft.level,
        model=getattr(llm, "name", ""),
    )


TRANSLATE_SCHEMA = {
    "type": "object",
    "properties": {
        "scenario": {"type": "string", "minLength": 40, "maxLength": 420},
        "question": {"type": "string", "minLength": 10, "maxLength": 200},
        "explanation": {"type": "string", "minLength": 10, "maxLength": 280},
    },
    "required": ["scenario", "question", "explanation"],
}

TRANSLATE_SYSTEM = (
    "You translate AWS exam practice questions from English into natural French. Keep AWS "
    "service names, API names and acronyms in English. Reply in JSON."
)


def translate(llm, question: Question, temperature: float = 0.2) -> Question:
    """A French twin of a validated English question: same options, keys and citations.

    French questions are validated in English first because retrieval (and so validation) is
    far more reliable on English text; the translation is then checked on its own (validate.py).
    """
    key = question.keys[0]
    source = json.dumps(
        {
            "scenario": question.scenario,
            "question": question.prompt,
            "explanation": " ".join(question.options[i].explanation for i in question.keys),
        },
        ensure_ascii=False,
    )
    messages = [
        {"role": "system", "content": TRANSLATE_SYSTEM},
        {"role": "user", "content": f"Translate into French:\n{source}"},
    ]
    raw = "".join(llm.stream(messages, 320, temperature, grammar_schema=TRANSLATE_SCHEMA))
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise GenerationError("unparseable translation") from exc
    lead = NOT_THE_ANSWER["fr"]
    options = []
    for i, o in enumerate(question.options):
        if o.correct:
            text = str(data.get("explanation", "")).strip() if i == key else ""
        else:
            fact = o.explanation.split("What it is: ", 1)[-1]
            text = lead.format(fact=fact)
        options.append(Option(o.text, o.correct, text, o.cite))
    if question.choose > 1:  # one translated explanation covers both keys
        for i in question.keys:
            options[i].explanation = str(data.get("explanation", "")).strip()
    scenario = str(data.get("scenario", "")).strip()
    return Question(
        id=question_id(question.topic, "fr", scenario),
        lang="fr",
        topic=question.topic,
        domain=question.domain,
        scenario=scenario,
        prompt=str(data.get("question", "")).strip(),
        options=options,
        choose=question.choose,
        citations=question.citations,
        level=question.level,
        model=question.model,
        translated_from=question.id,
    )
