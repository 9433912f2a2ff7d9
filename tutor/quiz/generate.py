"""Ask the chat model for a question about a chosen key, constrained to a JSON schema.

The caller picks the key, the distractors and the passage (see bank.py); the model writes only
the scenario and the question line, grounded in what it is shown. Every option is explained by
quoting the notes: the key by its passage's sentence closest to the scenario, a distractor by
what it is.
"""

from __future__ import annotations

import json
import random
import re
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
The need the scenario must state (in your own words): must turn recorded phone calls into searchable text and tell the two speakers apart
Options:
A) Amazon Polly
B) Amazon Transcribe
C) Amazon Comprehend
D) Amazon Translate""",
        '{"scenario": "A call center records thousands of support calls every day. It wants a searchable text version of each call in which the agent and the customer are told apart, without building its own speech model.", "question": "Which AWS AI service should the company use?"}',
    ),
    (
        """Passage sur Amazon Athena :
Amazon Athena is a serverless query service that runs standard SQL directly on files in Amazon S3. You pay per amount of data scanned; columnar formats such as Parquet reduce the cost.

Rédige en français une question d'examen à choix multiple dont la bonne réponse est C) Amazon Athena.
Le besoin que le scénario doit exprimer (avec tes mots) : must run occasional SQL queries on files that stay in Amazon S3, with no servers to manage
Options :
A) Amazon Redshift
B) AWS Glue DataBrew
C) Amazon Athena
D) Amazon DynamoDB""",
        '{"scenario": "Une équipe d\'analystes veut lancer quelques requêtes SQL ponctuelles sur des journaux JSON stockés dans Amazon S3, sans gérer de serveur ni copier les données ailleurs.", "question": "Quel service de données AWS l\'équipe doit-elle utiliser ?"}',
    ),
]

TEMPLATE = {
    "en": """Passage about {key_names}:
{passage}

Write one exam-style multiple-choice question whose correct answer{plural} {key_letters}.{need}
Options:
{options}

- "scenario": two or three sentences about a company and what it needs, built from facts in the passage, so that {only}. Nothing in it may contradict the correct answer. The words "{cores}" must not appear in the scenario or the question: describe the need, not the answer.
- "question": one line asking which {kind} the company should use{choose_hint}.""",
    "fr": """Passage sur {key_names} :
{passage}

Rédige en français une question d'examen à choix multiple dont la bonne réponse{plural} {key_letters}.{need}
Options :
{options}

- "scenario" : deux ou trois phrases sur une entreprise et son besoin, tirées des faits du passage, de sorte que {only}. Les mots « {cores} » ne doivent pas apparaître dans le scénario ni dans la question : décris le besoin, pas la réponse.
- "question" : une ligne qui demande quel(le) {kind} l'entreprise doit utiliser{choose_hint}.
Écris le scénario et la question en français.""",
}


@dataclass
class Draft:
    """Everything decided before the model writes: the question's skeleton."""

    topic: str
    domain: int
    lang: str
    kind: str  # what the question asks for, in English ("SageMaker capability")
    keys: list[Choice]
    distractors: list[Choice]
    passages: list[Passage]  # one per key: what the scenario must come from
    facts: list[Passage]  # one per distractor: what it is
    level: str = "note"
    seed: int = 0
    cue: str = ""  # the curated need the scenario must state (Topic.cues)
    kind_fr: str = ""  # the same in French, for a French prompt

    def kind_for(self, lang: str) -> str:
        return (self.kind_fr or self.kind) if lang == "fr" else self.kind

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
    need = ""
    if draft.cue:
        lead = (
            "Le besoin que le scénario doit exprimer (avec tes mots) : "
            if lang == "fr"
            else "The need the scenario must state (in your own words): "
        )
        need = f"\n{lead}{draft.cue}"
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
        plural=plural,
        key_letters=joiner.join(key_letters),
        options="\n".join(f"{LETTERS[i]}) {c.name}" for i, (c, _, _) in enumerate(opts)),
        only=only,
        cores=", ".join(k.core for k in draft.keys),
        kind=draft.kind_for(lang),
        choose_hint=choose_hint,
        need=need,
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
RIGHT_ANSWER = {
    "en": "Right answer. From the notes: {fact}",
    "fr": "Bonne réponse. Extrait des notes : {fact}",
}


def quoted_fact(explanation: str) -> str:
    """The notes' own words inside an option's explanation (after its lead)."""
    for lead in (*NOT_THE_ANSWER.values(), *RIGHT_ANSWER.values()):
        head = lead.split("{fact}")[0]
        if explanation.startswith(head):
            return explanation[len(head) :]
    return explanation


def why_key(passage: str, scenario: str, name: str = "", others: tuple[str, ...] = ()) -> str:
    """The passage sentence that names the key and shares the most words with the scenario
    (the scenario was written from this passage), plus the next one when it is short: a
    quote, so it cannot state anything the notes do not. Sentences that tell a case study or
    argue for another option ("Choose it only when…") are passed over."""
    from tutor.quiz.evidence import mentions
    from tutor.quiz.topics import Choice
    from tutor.retrieval import split_sentences
    from tutor.retrieval import tokenize as words

    sentences = [s for s in split_sentences(passage) if not s.startswith("#")]
    if not sentences:
        return passage.strip()
    asked = set(words(scenario))
    core = Choice(name, "").core if name else ""

    def about_another(s: str) -> bool:
        """A definition-list line about another option ("K-Means: clusters data; …")."""
        head = re.match(r"^([A-Z][\w\- ]{1,40}):\s", s)
        return bool(head) and any(
            mentions(head.group(1), Choice(o, "").core) for o in others if o != name
        )

    def rank(i: int) -> tuple:
        s = sentences[i]
        return (
            not _OFF_TOPIC.search(s),
            not about_another(s),
            bool(name) and (mentions(s, name) or (bool(core) and mentions(s, core))),
            len(asked & set(words(s))),
            -i,
        )

    best = max(range(len(sentences)), key=rank)
    quote = sentences[best]
    if len(quote) < 90 and best + 1 < len(sentences) and not _OFF_TOPIC.search(sentences[best + 1]):
        quote = f"{quote} {sentences[best + 1]}"
    return quote


# Sentences of a note that make poor explanations of its own key.
_OFF_TOPIC = re.compile(
    r"\b(choose it only when|right answer|this (?:[\w-]+ ){0,5}scenario|the answer is|why the others)\b"
    r"|^(?:a|an)\s+[a-z-]+(?:\s+[a-z-]+)?\s+(?:company|team|hospital|bank|retailer|startup)\b"
    r"|^(?:a|an)\s+(?:[\w-]+\s+){0,3}(?:wants|needs|must|predicts|trains|runs|is building)\b",
    re.I,
)


_FEMININE = {"fonctionnalité", "pratique", "technique", "métrique", "méthode", "option", "courbe"}


def question_line(kind: str, lang: str, choose: int = 1, written: str = "") -> str:
    """The question line, written by code from the kind of answer the options are.

    The reviews found the model's own question lines asking for the wrong kind ("Which AWS AI
    service" for Batch Transform, "Which technique" for metrics), naming the answer ("to stop
    training early", "pour gérer les clés d'encryption") or in the other language; the scenario
    carries the need, so a fixed line loses nothing. The model's subject ("the team") is kept.
    """
    if lang == "fr":

        def quel(phrase: str) -> str:
            head = phrase.split()[0] if phrase.split() else ""
            return ("Quelle " if head in _FEMININE else "Quel ") + phrase

        asked = " ou ".join(
            quel(part) if i == 0 else "q" + quel(part)[1:]
            for i, part in enumerate(kind.split(" ou "))
        )
        return f"{asked} faut-il utiliser ?" + (" (Choisissez-en deux.)" if choose == 2 else "")
    m = re.search(r"\bshould (the [a-z][a-z -]{1,30}?) use\b", written.lower())
    subject = m.group(1) if m else "the company"
    return f"Which {kind} should {subject} use?" + (" (Choose two.)" if choose == 2 else "")


def generate(llm, draft: Draft, temperature: float = 0.6, max_tokens: int = 200) -> Question:
    opts = draft.arrange()
    raw = "".join(
        llm.stream(build_prompt(draft), max_tokens, temperature, grammar_schema=generation_schema())
    )
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:  # only when max_tokens cut the reply short
        raise GenerationError("unparseable reply") from exc
    scenario = str(data.get("scenario", "")).strip()
    citations: list[dict] = []
    options: list[Option] = []
    for choice, correct, passage in opts:
        n = next((c["n"] for c in citations if c["text"] == passage.text), len(citations) + 1)
        if n > len(citations):
            citations.append(passage.citation(n))
        if correct:
            lead = RIGHT_ANSWER.get(draft.lang, RIGHT_ANSWER["en"])
            explanation = lead.format(
                fact=why_key(
                    passage.text,
                    f"{scenario} {draft.cue}",
                    choice.name,
                    tuple(c.name for c, _, _ in opts),
                )
            )
        else:
            lead = NOT_THE_ANSWER.get(draft.lang, NOT_THE_ANSWER["en"])
            explanation = lead.format(fact=passage.text.strip())
        options.append(Option(choice.name, correct, explanation, n))
    return Question(
        id=question_id(draft.topic, draft.lang, scenario),
        lang=draft.lang,
        topic=draft.topic,
        domain=draft.domain,
        scenario=scenario,
        prompt=question_line(
            draft.kind_for(draft.lang),
            draft.lang,
            len(draft.keys),
            str(data.get("question", "")),
        ),
        options=options,
        choose=len(draft.keys),
        citations=citations,
        level=draft.level,
        model=getattr(llm, "name", ""),
        cue=draft.cue,
    )


TRANSLATE_SCHEMA = {
    "type": "object",
    "properties": {
        "scenario": {"type": "string", "minLength": 40, "maxLength": 420},
        "question": {"type": "string", "minLength": 10, "maxLength": 200},
    },
    "required": ["scenario", "question"],
}

TRANSLATE_SYSTEM = (
    "You translate AWS exam practice questions from English into natural, correct French: "
    "feminine nouns such as « entreprise » and « équipe » take « une », « la », « elle »; "
    "elide before a vowel (l'entreprise, d'un, qu'elle, s'il). Keep AWS service names, API "
    "names and acronyms in English. Reply in JSON."
)

# Two worked translations placed before every request (a fixed prefix, so it stays in the KV
# cache): the review of the first French questions found gender, elision and vocabulary slips
# ("Un entreprise", "temps sérieux" for time series, "chute des clients" for churn).
TRANSLATE_EXAMPLES = [
    (
        {
            "scenario": "A retail company keeps years of sales history in Amazon S3. Its "
            "analysts want to forecast weekly demand for each store, and the history of each "
            "store is a separate time series.",
            "question": "Which SageMaker built-in algorithm should the company use?",
        },
        {
            "scenario": "Une entreprise de distribution conserve plusieurs années d'historique "
            "de ventes dans Amazon S3. Ses analystes veulent prévoir la demande hebdomadaire de "
            "chaque magasin, et l'historique de chaque magasin forme une série temporelle "
            "distincte.",
            "question": "Quel algorithme intégré de SageMaker l'entreprise doit-elle utiliser ?",
        },
    ),
    (
        {
            "scenario": "A bank wants to spot customers who are likely to close their "
            "accounts (churn). Its team needs a cost-effective setup and wants to be alerted "
            "when the input data drifts after the model is deployed.",
            "question": "Which SageMaker capability should the team use to detect the drift?",
        },
        {
            "scenario": "Une banque veut repérer les clients susceptibles de fermer leur compte "
            "(attrition). Son équipe a besoin d'une solution économique et veut être alertée "
            "quand les données d'entrée dérivent après le déploiement du modèle.",
            "question": "Quelle fonctionnalité de SageMaker l'équipe doit-elle utiliser pour "
            "détecter la dérive ?",
        },
    ),
]


def translate(
    llm, question: Question, temperature: float = 0.2, glossary=None, kind: str = ""
) -> Question:
    """A French twin of a validated English question: same options, keys and citations.

    French questions are validated in English first because retrieval (and so validation) is
    far more reliable on English text; the translation is then checked on its own (validate.py).
    Explanations quote the (English) notes, so only their lead is French.
    """
    messages = [{"role": "system", "content": TRANSLATE_SYSTEM}]
    for en, fr in TRANSLATE_EXAMPLES:
        messages += [
            {"role": "user", "content": "Translate into French:\n" + json.dumps(en)},
            {"role": "assistant", "content": json.dumps(fr, ensure_ascii=False)},
        ]
    source = json.dumps({"scenario": question.scenario, "question": question.prompt})
    request = f"Translate into French:\n{source}"
    terms = glossary.french_terms(question.stem) if glossary is not None else []
    if terms:  # the corpus glossary's French for the question's terms ("churn" → "attrition")
        hints = "; ".join(f"{en} = {frs[0]}" for en, frs in terms if frs)
        request += f"\nUse these French terms: {hints}."
    messages.append({"role": "user", "content": request})
    raw = "".join(llm.stream(messages, 300, temperature, grammar_schema=TRANSLATE_SCHEMA))
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise GenerationError("unparseable translation") from exc
    options = []
    for o in question.options:
        lead = (RIGHT_ANSWER if o.correct else NOT_THE_ANSWER)["fr"]
        options.append(
            Option(o.text, o.correct, lead.format(fact=quoted_fact(o.explanation)), o.cite)
        )
    scenario = str(data.get("scenario", "")).strip()
    return Question(
        id=question_id(question.topic, "fr", scenario),
        lang="fr",
        topic=question.topic,
        domain=question.domain,
        scenario=scenario,
        prompt=question_line(kind, "fr", question.choose, str(data.get("question", "")))
        if kind
        else str(data.get("question", "")).strip(),
        options=options,
        choose=question.choose,
        citations=question.citations,
        level=question.level,
        model=question.model,
        translated_from=question.id,
        cue=question.cue,
    )
