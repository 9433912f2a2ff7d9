"""Practice questions: schema-constrained generation with the real small model, every
validation rule, grading, persistence across a process restart, and the scheduler's choice."""

from __future__ import annotations

import copy
import subprocess
import sys
from datetime import timedelta

import pytest

from tests.quiz_samples import good_question
from tutor.errors import TutorError
from tutor.quiz.bank import BankBuilder, Slot, load_bank, plan
from tutor.quiz.evidence import others
from tutor.quiz.practice import Practice, _quotas, parse_choice
from tutor.quiz.progress import Progress, now
from tutor.quiz.question import Option, generation_schema
from tutor.quiz.topics import DOMAIN_WEIGHTS, load_topics


@pytest.fixture(scope="session")
def builder(full_settings, full_index, small_llm, embedder):
    return BankBuilder(full_settings, small_llm, embedder)


@pytest.fixture()
def good(builder):
    return good_question(builder)


def _reasons(builder, q):
    return builder.validator.check(q).reasons


FR_PROMPT = "Quel service de données AWS l'entreprise doit-elle utiliser ?"
FR_SCENARIO = (  # a faithful French twin of tests/quiz_samples.good_question
    "Une entreprise veut charger en continu des flux de clics dans Amazon S3, sans écrire de "
    "code ni gérer de serveurs."
)


def _in_french(q, scenario: str = FR_SCENARIO, prompt: str = FR_PROMPT):
    """A French copy of a question, as a translation would come out."""
    fr = copy.deepcopy(q)
    fr.lang, fr.scenario, fr.prompt = "fr", scenario, prompt
    return fr


# -- catalogue and plan ---------------------------------------------------------------------
def test_every_note_is_a_quiz_topic_with_real_answer_choices(full_settings):
    topics = load_topics(full_settings.corpus_dir)
    assert len(topics) >= 100
    assert {t.domain for t in topics} == {1, 2, 3, 4}
    groups: dict[str, int] = {}
    for t in topics:
        groups[t.group] = groups.get(t.group, 0) + 1
        assert t.summary, t.id
        assert len(t.items) in (0, *range(4, 13)), t.id  # item questions need 3 distractors
    assert min(groups.values()) >= 4  # every key has at least three same-family distractors


def test_plan_covers_every_topic_in_both_languages(full_settings):
    topics = load_topics(full_settings.corpus_dir)
    slots = plan(topics)
    assert {s.topic for s in slots} == {t.id for t in topics}
    assert {s.lang for s in slots} == {"en", "fr"}
    assert any(s.choose == 2 for s in slots)


def test_a_build_tries_fresh_variants_before_gaps_an_earlier_run_left():
    from tutor.quiz.bank import fresh_first

    slots = [Slot("athena", "en", "note", 1, v) for v in range(4)] + [
        Slot("kendra", "en", "note", 1, 0)
    ]
    done = {slots[2].key, "athena|fr|note|1|1|source0"}  # variant 1 failed, 2 was filled
    todo = [s for s in slots if s.key not in done]
    assert [(s.topic, s.variant) for s in fresh_first(todo, done)] == [
        ("athena", 3),
        ("kendra", 0),
        ("athena", 0),
        ("athena", 1),
    ]


# -- generation -------------------------------------------------------------------------------
def test_generation_is_schema_constrained_with_the_real_small_model(builder):
    """SmolLM2 writes nonsense, but the grammar still forces a parseable, complete question."""
    from tutor.quiz.generate import generate

    draft = builder.draft(Slot("kinesis-data-firehose", "en", "note", 1, 0), 0)
    assert draft is not None
    q = generate(builder.llm, draft, max_tokens=300)
    assert len(q.options) == 4 and len(q.keys) == 1
    assert q.options[q.keys[0]].text == "Amazon Data Firehose"
    assert 40 <= len(q.scenario) <= 320 and 10 <= len(q.prompt) <= 150
    assert all(o.cite and 1 <= o.cite <= len(q.citations) for o in q.options)
    assert set(generation_schema()["required"]) == {"scenario", "question"}
    key = q.options[q.keys[0]]  # explained by quoting its own cited passage, never by the model
    quote = key.explanation.removeprefix("Right answer. From the notes: ")
    assert quote != key.explanation and quote in q.citations[key.cite - 1]["text"]
    verdict = builder.validator.check(q)  # whatever it wrote, validation decides
    assert verdict.ok or verdict.reasons
    # The question line is written by code for the kind of answer, whatever the model wrote.
    assert q.prompt.startswith("Which AWS data service should the ") and q.prompt.endswith(" use?")


def test_a_french_slot_asks_in_english_first_and_translates_the_question_line(builder):
    """A French slot's English draft carries English words for what it asks (a review found an
    English question asking for a 'fonctionnalité de SageMaker'); its twin asks in French."""
    from tutor.quiz.generate import build_prompt, generate, question_line, translate

    draft = builder.draft(Slot("sagemaker-model-monitor", "fr", "note", 1, 1), 0)
    assert draft is not None
    assert (draft.kind, draft.kind_fr) == ("SageMaker capability", "fonctionnalité de SageMaker")
    draft.lang = "en"  # as BankBuilder.attempt does: write and validate in English first
    assert "asking which SageMaker capability" in build_prompt(draft)[-1]["content"]
    english = generate(builder.llm, draft, max_tokens=300)
    assert english.prompt.startswith("Which SageMaker capability should the ")
    french = translate(builder.llm, english, kind=draft.kind_fr)
    assert french.prompt == "Quelle fonctionnalité de SageMaker faut-il utiliser ?"
    assert question_line("fonctionnalité ou paramètre AWS", "fr", 2) == (
        "Quelle fonctionnalité ou quel paramètre AWS faut-il utiliser ? (Choisissez-en deux.)"
    )
    assert question_line("evaluation metric", "en", 1, "What should the data team use to score?")
    assert question_line("technique", "en", 1, "Which one should the data team use now?") == (
        "Which technique should the data team use?"
    )


def test_item_questions_offer_items_of_one_kind(builder):
    """Reviews rejected every drift question while its items mixed kinds of drift with remedies
    ("which technique…" keyed to "Concept drift"): its items are now the four monitor types,
    and every variant keys one of them with the other three as distractors."""
    topic = builder.topics["data-concept-drift"]
    items = {c.name for c in topic.items}
    keys = set()
    for variant in range(4):  # an item-only note asks for items at every variant
        draft = builder.draft(Slot("data-concept-drift", "en", "item", 1, variant), 0)
        assert draft is not None
        assert {c.name for c in draft.keys + draft.distractors} == items
        keys.add(draft.keys[0].name)
    assert keys == items
    assert topic.kind("en", "item") == "type of monitor in SageMaker Model Monitor"


def test_choose_two_draft_has_five_options_and_two_keys(builder):
    draft = builder.draft(Slot("kinesis-data-streams", "en", "note", 2, 2), 0)
    assert draft is not None
    assert len(draft.keys) == 2 and len(draft.distractors) == 3
    assert len({c.name for c in draft.keys + draft.distractors}) == 5


# -- validation: one question per rule, built to break it ------------------------------------
def test_a_sound_question_passes_every_rule(builder, good):
    verdict = builder.validator.check(good)
    assert verdict.ok, verdict.reasons


def test_schema_rule(builder, good):
    q = copy.deepcopy(good)
    q.options = q.options[:3]
    assert _reasons(builder, q) == ["schema"]
    q = copy.deepcopy(good)
    q.prompt = "Pick one"  # no question
    assert _reasons(builder, q) == ["schema"]
    q = copy.deepcopy(good)
    q.options[0].explanation = "It loads streaming records into S3 and converts JSON records to a"
    assert _reasons(builder, q) == ["schema"]  # the key's explanation stops mid-sentence
    q = copy.deepcopy(good)
    q.options[1].explanation = "Not the best fit here. What it is: "
    assert _reasons(builder, q) == ["schema"]  # a lead with no quote explains nothing


def test_key_count_rule(builder, good):
    q = copy.deepcopy(good)
    q.options[1].correct = True
    assert _reasons(builder, q) == ["key_count"]


def test_answer_given_away_rule(builder, good):
    q = copy.deepcopy(good)
    q.scenario += " The architect already suggested Firehose for this."
    assert "answer_given_away" in _reasons(builder, q)


def test_a_name_listing_alternatives_is_given_away_by_any_of_them():
    from tutor.quiz.topics import Choice
    from tutor.quiz.validate import _names

    svm = Choice("SVM, k-NN or Naive Bayes", "classic-algorithms")
    assert _names("A small dataset with a clear margin. The best technique is SVM.", svm)
    assert _names("Each email is scored with Naive Bayes on word counts.", svm)
    assert not _names("A small dataset with a clear margin between two classes.", svm)
    retraining = Choice("Retraining", "data-concept-drift", item=True)
    assert _names("A pipeline retrains the model after confirmed drift.", retraining)
    assert not _names("A pipeline trains the model again after confirmed drift.", retraining)
    assert _names("A pipeline automatically re-trains the model after drift.", retraining)


def test_a_name_is_given_away_in_another_order_form_or_case():
    """Reviews found 'stop training early' for Early stopping, 'scale automatically' for
    endpoint auto scaling and 'secure transport' for aws:SecureTransport."""
    from tutor.quiz.topics import Choice
    from tutor.quiz.validate import _names

    early = Choice("Early stopping", "overfitting-underfitting", item=True)
    assert _names("How can the company stop training early when validation loss rises?", early)
    assert not _names("Validation loss rises after epoch 15 while training loss falls.", early)
    scaling = Choice("SageMaker endpoint auto scaling", "sagemaker-endpoint-autoscaling")
    assert _names("It needs an endpoint that can scale automatically with traffic.", scaling)
    assert not _names("Traffic doubles every evening and the endpoint is too slow.", scaling)
    transport = Choice("aws:SecureTransport", "mlops-encryption", item=True)
    assert _names("How can the company enforce secure transport to the bucket?", transport)
    assert not _names("Only HTTPS requests may reach the bucket.", transport)


def test_a_name_is_given_away_by_the_words_no_other_option_shares():
    """A stem asking to "monitor the feature attribution" passed: the name's full word set
    ("attribution drift monitor") was never spelled, but "drift" and "monitor" are in every
    other option, so only "attribution" tells the items apart."""
    from tutor.quiz.topics import Choice
    from tutor.quiz.validate import _names

    monitors = ("Data quality monitor", "Model quality monitor", "Bias drift monitor")
    attribution = Choice("Feature attribution drift monitor", "data-concept-drift", item=True)
    stem = "The company wants to monitor the feature attribution of its live predictions."
    assert not _names(stem, attribution)
    assert _names(stem, attribution, monitors)
    ranking = "It must know when the inputs that drive live predictions change their order."
    assert not _names(ranking, attribution, monitors)
    # A short or common remainder ("bias", "data") is ordinary scenario language.
    bias = Choice("Bias drift monitor", "data-concept-drift", item=True)
    others = ("Data quality monitor", "Model quality monitor", attribution.name)
    assert not _names("Approval rates must not show gender bias after launch.", bias, others)


def test_invented_name_rule(builder, good):
    q = copy.deepcopy(good)
    q.options[0].explanation += " It relies on Amazon Zorblax Streamer for buffering."
    assert "invented_name" in _reasons(builder, q)
    q = copy.deepcopy(good)  # an option that is no note of the corpus (or a renamed one)
    q.options[1].text = "Amazon Zorblax Streamer"
    assert _reasons(builder, q) == ["invented_name"]
    fr = _in_french(q)
    assert builder.validator.check_translation(good, fr).reasons == ["invented_name"]


def test_key_unsupported_rule(builder, good):
    q = copy.deepcopy(good)
    q.options[0].explanation = "It paints watercolour portraits of cats and sells them at fairs."
    assert "key_unsupported" in _reasons(builder, q)


def test_distractor_supported_rule(builder, good):
    """A stem that describes Athena's job, with Firehose still marked as the key."""
    q = copy.deepcopy(good)
    q.scenario = (
        "Analysts want to run ad hoc SQL queries directly on Parquet files already stored in "
        "Amazon S3, paying only for the bytes each query scans and managing no servers."
    )
    assert "distractor_supported" in _reasons(builder, q)


def test_near_duplicate_rule(builder, good):
    from tutor.quiz.validate import Validator

    fresh = Validator(
        builder.evidence,
        builder.embedder,
        builder.validator.glossary,
        builder.validator.vocabulary,
        builder.topics,
    )
    assert fresh.check(good).ok
    fresh.remember(good)
    q = copy.deepcopy(good)
    q.scenario = q.scenario.replace("mobile game", "mobile app")
    assert fresh.check(q).reasons == ["near_duplicate"]


def test_wrong_language_and_bad_translation_rules(builder, good):
    q = copy.deepcopy(good)
    q.lang = "fr"
    assert _reasons(builder, q) == ["wrong_language"]
    q = copy.deepcopy(good)
    q.prompt = "Quel service de données AWS l'équipe devrait-elle utiliser ?"
    assert _reasons(builder, q) == ["wrong_language"]  # the question line alone is French
    fr = _in_french(
        good,
        "Une chorale de village prépare son concert de printemps et cherche des "
        "costumes assortis pour tous les chanteurs.",
        "Quelle couleur faut-il choisir ?",
    )
    assert "bad_translation" in builder.validator.check_translation(good, fr).reasons
    slips = (
        "Un entreprise veut charger en continu des flux de clics dans Amazon S3",  # gender
        "La entreprise veut charger en continu des flux de clics dans Amazon S3",  # elision
        "Une entreprise veut charger des flux de clics dans Amazon S3 with no servers",
    )
    for scenario in slips:
        fr = _in_french(good, f"{scenario}, sans écrire de code ni gérer de serveurs.")
        assert "bad_translation" in builder.validator.check_translation(good, fr).reasons, scenario
    assert builder.validator.check_translation(good, _in_french(good)).ok


def test_french_twin_keeps_the_glossary_terms(builder, good):
    """'customer churn' must come out as the glossary's 'attrition', not 'chute des clients'."""
    english = copy.deepcopy(good)
    english.scenario = good.scenario + " The data will later help predict customer churn."
    terms = builder.validator.glossary.french_terms(english.stem)
    assert ("customer churn", ["attrition des clients", "attrition", "désabonnement"]) in terms
    base = (
        "Un jeu mobile envoie un flux continu de clics. L'équipe veut les écrire dans Amazon S3 "
        "en fichiers Parquet toutes les quelques minutes, sans serveurs ni code à gérer."
    )
    fr = _in_french(good, base + " Les données aideront à prévoir la chute des clients.")
    assert "bad_translation" in builder.validator.check_translation(english, fr).reasons
    fr.scenario = base + " Les données aideront à prévoir l'attrition des clients."
    assert "bad_translation" not in builder.validator.check_translation(english, fr).reasons


def test_french_twin_keeps_numbers_needs_and_negations(builder, good):
    """Fluent French that flips the need ('le plus cher' for 'cheapest'), drops a number or a
    negation, or turns a baseline into a database is a bad translation."""
    english = copy.deepcopy(good)
    english.scenario = (
        "A mobile game streams clickstream events. The team wants them in Amazon S3 as Parquet "
        "every 5 minutes at the lowest cost, without managing servers."
    )
    faithful = (
        "Un jeu mobile envoie un flux continu de clics. L'équipe veut les écrire dans Amazon S3 "
        "en fichiers Parquet toutes les 5 minutes au coût le plus bas, sans gérer de serveurs."
    )
    fr = _in_french(good, faithful, "Quel service de données AWS l'équipe doit-elle utiliser ?")
    assert "bad_translation" not in builder.validator.check_translation(english, fr).reasons
    for wrong, old in (
        ("au coût le plus bas", "de la façon la plus chère"),  # flipped need
        ("toutes les 5 minutes", "régulièrement"),  # number lost
        ("sans gérer de serveurs", "en gérant des serveurs"),  # negation lost
    ):
        fr.scenario = faithful.replace(wrong, old)
        assert fr.scenario != faithful
        reasons = builder.validator.check_translation(english, fr).reasons
        assert "bad_translation" in reasons, old
    english.scenario += " It also wants a simple baseline first."
    fr.scenario = faithful + " Elle veut aussi une base de données simple d'abord."
    assert "bad_translation" in builder.validator.check_translation(english, fr).reasons
    fr.scenario = faithful + " Elle veut aussi un modèle de référence simple d'abord."
    assert "bad_translation" not in builder.validator.check_translation(english, fr).reasons


def test_an_old_question_line_asking_for_the_wrong_kind_is_rewritten(builder, good):
    from tutor.quiz.bank import reask

    q = copy.deepcopy(good)
    q.prompt = "Which AWS AI service should the team use to land the clicks?"
    assert reask(builder, q)
    assert q.prompt == "Which AWS data service should the team use?"
    q.prompt = "Which AWS service should the company use to land the clicks in S3?"
    assert not reask(builder, q)  # loose but the right kind: left as the reviewers read it
    assert q.prompt == "Which AWS service should the company use to land the clicks in S3?"


# -- grading and progress ---------------------------------------------------------------------
def _practice(tmp_path, full_settings, questions):
    from dataclasses import replace

    settings = replace(full_settings, data_dir=tmp_path)
    return Practice(settings, questions=questions)


def test_grading(tmp_path, full_settings, good):
    practice = _practice(tmp_path, full_settings, [good])
    key = good.key_letters
    wrong = "B" if key != "B" else "C"
    fb = practice.submit(good.id, key.lower(), seconds=12)
    assert fb.correct and fb.keys == key
    assert all(o["explanation"] for o in fb.to_dict()["options"])
    assert "Firehose" in fb.follow_up
    assert not practice.submit(good.id, wrong, seconds=5).correct
    with pytest.raises(TutorError, match="not one of the options"):
        practice.submit(good.id, "Z")
    with pytest.raises(TutorError, match="needs one option"):
        practice.submit(good.id, "AB")
    with pytest.raises(TutorError, match="unknown question"):
        practice.submit("nope", "A")
    stats = practice.summary()
    assert stats["attempts"] == 2 and stats["correct"] == 1
    assert stats["by_domain"][1]["accuracy"] == 0.5


def test_choose_two_grading(good):
    q = copy.deepcopy(good)
    q.choose = 2
    q.options.append(Option("Amazon Kinesis Data Streams", True, "x" * 20, 1))
    assert parse_choice("a, e", q) == [0, 4]
    with pytest.raises(TutorError, match="needs 2 options"):
        parse_choice("A", q)


def test_attempts_survive_a_process_crash(tmp_path):
    """The child records an answer and dies without closing anything; the answer is kept."""
    db = tmp_path / "progress.sqlite3"
    code = (
        "import os, sys; from pathlib import Path; from tutor.quiz.progress import Progress;"
        f"p = Progress(Path({str(db)!r}));"
        "p.record('q1', 'athena', 1, 'en', 'B', True, 9.5);"
        "os._exit(1)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    attempts = Progress(db).attempts()
    assert [(a.question_id, a.chosen, a.correct, a.seconds) for a in attempts] == [
        ("q1", "B", True, 9.5)
    ]
    assert "q1" in Progress(db).scheduled()


def _variant(q, topic: str, domain: int, n: int):
    v = copy.deepcopy(q)
    v.id, v.topic, v.domain = f"{topic}-{n}", topic, domain
    return v


def test_scheduler_brings_back_missed_questions_then_weak_topics(tmp_path, full_settings, good):
    qs = [_variant(good, "athena", 1, i) for i in range(3)]
    qs += [_variant(good, "redshift", 1, i) for i in range(3)]
    practice = _practice(tmp_path, full_settings, qs)
    past = now() - timedelta(hours=1)
    rec = practice.progress.record
    rec("athena-0", "athena", 1, "en", "B", False, 10, when=past)  # missed an hour ago
    rec("redshift-0", "redshift", 1, "en", "A", True, 10, when=past)
    # A missed question is due again within minutes, so it comes first.
    assert practice.next_question().id == "athena-0"
    practice.submit("athena-0", good.key_letters, 5)  # now answered correctly: not due
    # Unseen questions from the weaker topic (athena: 1 wrong of 2) come before redshift's.
    for _ in range(5):
        assert practice.next_question().topic == "athena"
    # A question answered right is scheduled days away, not immediately.
    due = practice.progress.scheduled()["redshift-0"]
    assert due - past >= timedelta(hours=12)


def test_exam_draws_by_official_domain_weights(tmp_path, full_settings, good):
    quotas = _quotas(65)
    assert sum(quotas.values()) == 65
    for d, w in DOMAIN_WEIGHTS.items():
        assert abs(quotas[d] - 65 * w) < 1
    qs = [_variant(good, f"t{d}", d, i) for d in (1, 2, 3, 4) for i in range(10)]
    practice = _practice(tmp_path, full_settings, qs)
    exam = practice.start_exam(20, seed=1)
    by_domain = {d: sum(1 for q in exam.questions if q.domain == d) for d in (1, 2, 3, 4)}
    assert by_domain == _quotas(20) == {1: 4, 2: 5, 3: 7, 4: 4}
    assert exam.time_limit == pytest.approx(20 * 180 / 65 * 60)
    exam.answer(exam.questions[0].id, good.key_letters, 30)
    report = exam.report()
    assert report["answered"] == 1 and report["correct"] == 1
    assert sum(d["questions"] for d in report["by_domain"].values()) == 20


def test_exam_spreads_each_domain_over_its_topics(tmp_path, full_settings, good):
    """One topic holding most of a domain's questions (the drift note has 15) must not crowd
    an exam: every topic of the domain comes once before any comes twice."""
    qs = [_variant(good, "crowded", 1, i) for i in range(30)]
    qs += [_variant(good, f"t{t}", 1, i) for t in range(3) for i in range(2)]
    qs += [_variant(good, f"other{d}", d, i) for d in (2, 3, 4) for i in range(10)]
    practice = _practice(tmp_path, full_settings, qs)
    for seed in range(5):
        exam = practice.start_exam(20, seed=seed)
        topics = sorted(q.topic for q in exam.questions if q.domain == 1)
        assert topics == ["crowded", "t0", "t1", "t2"]  # domain 1's quota of 4: one per topic


def test_shipped_bank_is_valid_and_covers_every_domain():
    """The committed bank: parseable, keys declared, every domain and both languages present."""
    from tutor.config import PROJECT_ROOT

    bank = load_bank(PROJECT_ROOT / "index" / "question-bank.jsonl")
    if not bank:
        pytest.skip("no question bank in index/ (run `tutor quiz build`)")
    assert len(bank) >= 300  # the floor for the shipped bank
    assert {q.domain for q in bank} == {1, 2, 3, 4}
    assert {q.lang for q in bank} == {"en", "fr"}
    for q in bank:
        assert len(q.keys) == q.choose and len(q.options) == (4 if q.choose == 1 else 5), q.id
        assert all(o.cite and 1 <= o.cite <= len(q.citations) for o in q.options), q.id
    assert len({q.id for q in bank}) == len(bank)


def test_every_shipped_question_was_read_twice_and_never_flagged():
    """The bank ships only what two reviewers accepted and none faulted (evals/README.md):
    `question_review.py drop-flagged --min-reads 2` after each build and its reads."""
    from collections import Counter

    from tutor.config import PROJECT_ROOT

    bank = load_bank(PROJECT_ROOT / "index" / "question-bank.jsonl")
    if not bank:
        pytest.skip("no question bank in index/")
    sys.path.insert(0, str(PROJECT_ROOT / "evals"))
    from question_review import all_verdicts

    verdicts = all_verdicts()
    accepted = Counter(v["id"] for v in verdicts if v["verdict"] == "correct")
    flagged = {v["id"] for v in verdicts if v["verdict"] != "correct"}
    for q in bank:
        assert accepted[q.id] >= 2, q.id
        assert q.id not in flagged and q.translated_from not in flagged, q.id


def test_cli_quiz_with_an_empty_bank_says_how_to_build_one(tmp_path, monkeypatch, capsys):
    from tutor.cli import main

    monkeypatch.setenv("TUTOR_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path / "data"))
    assert main(["quiz", "--count", "1"]) == 2
    err = capsys.readouterr().err
    assert "question bank is empty" in err and "tutor quiz build" in err
    assert main(["quiz", "stats"]) == 0
    assert "0/0 correct" in capsys.readouterr().out


def test_cli_quiz_session_records_answers(tmp_path, monkeypatch, capsys, full_settings, good):
    """A terminal session: a bad answer is explained and asked again, then graded and kept."""
    import io
    import json

    from tutor.cli import main

    index = tmp_path / "index"
    index.mkdir()
    (index / "question-bank.jsonl").write_text(json.dumps(good.to_dict()) + "\n")
    monkeypatch.setenv("TUTOR_INDEX_DIR", str(index))
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("sys.stdin", io.StringIO(f"Z\n{good.key_letters}\n"))
    assert main(["quiz", "--count", "1"]) == 0
    out = capsys.readouterr().out
    assert "'Z' is not one of the options" in out and "→ correct" in out
    assert "Amazon Data Firehose" in out and "follow up: tutor ask" in out
    assert len(Progress(tmp_path / "data" / "progress.sqlite3").attempts()) == 1


def test_citations_name_the_section_their_text_comes_from(builder, good):
    """A distractor's fact is cited with the section that holds it, and older questions whose
    citation named another section are re-homed by `tutor quiz check`."""
    from tutor.quiz.bank import rehome_citations

    athena = builder.topics["athena"]
    fact = builder.evidence.fact(athena.choice, athena.summary)
    home = builder.evidence.home("athena", fact.text)
    assert home is not None and home.section == fact.section
    q = copy.deepcopy(good)
    cited = q.options[1].cite - 1
    right = q.citations[cited]["section"]
    q.citations[cited]["section"] = "Names and changes"
    assert rehome_citations(builder, q)
    assert q.citations[cited]["section"] == right
    assert not rehome_citations(builder, q)


def test_copied_passage_rule(builder, good):
    """A scenario that pastes the note's text (or stops mid-sentence) is not a scenario."""
    q = copy.deepcopy(good)
    words = q.citations[0]["text"].split()
    q.scenario = "A team reads this: " + " ".join(words[5:20]) + "."
    assert "copied_passage" in _reasons(builder, q)
    q = copy.deepcopy(good)
    q.scenario = q.scenario.rstrip(".") + " and then the"
    assert "copied_passage" in _reasons(builder, q)


def test_distractor_facts_never_announce_an_answer(builder):
    """Worked-scenario sentences ('Right answer: …') are never quoted as a distractor's fact."""
    from tutor.quiz.evidence import _ANSWER_TALK

    for topic in builder.topics.values():
        for choice in [topic.choice, *topic.items]:
            fact = builder.evidence.fact(choice, "" if choice.item else topic.summary)
            assert not _ANSWER_TALK.search(fact.text), (choice.name, fact.text)


def test_vague_options_rule(builder, good):
    """Practice notes are quizzed on their concrete items, never with theme titles as options."""
    themes = [t for t in builder.topics.values() if t.item_only]
    assert themes, "practice notes list quiz_items"
    q = copy.deepcopy(good)
    q.topic = themes[0].id
    assert _reasons(builder, q) == ["vague_options"]
    q = copy.deepcopy(good)  # an overview note offered as a wrong answer
    q.options[1].text = builder.topics["builtin-algorithms-overview"].choice.name
    assert _reasons(builder, q) == ["vague_options"]


def test_french_twin_fails_with_its_english_original(builder, good):
    from tutor.quiz.bank import revalidate

    english = copy.deepcopy(good)
    english.options[0].explanation = "It paints watercolour portraits of cats and sells them."
    french = copy.deepcopy(good)
    french.id, french.lang, french.translated_from = "fr-twin", "fr", english.id
    french.scenario = (
        "Une entreprise veut charger en continu des flux de clics dans Amazon S3 et Amazon "
        "Redshift, sans écrire de code de consommation ni gérer de serveurs."
    )
    french.prompt = "Quel service de données AWS l'entreprise doit-elle utiliser ?"
    failures = revalidate(builder, [english, french])
    assert failures[french.id] == failures[english.id] == ["key_unsupported"]


def test_check_requotes_a_model_written_key_explanation(good):
    from tutor.quiz.bank import requote_keys

    q = copy.deepcopy(good)
    q.options[0].explanation = "It deploys models to edge devices and tunes them automatically."
    assert requote_keys(q)
    quote = q.options[0].explanation.removeprefix("Right answer. From the notes: ")
    assert quote in q.citations[0]["text"]
    assert not requote_keys(q)  # already a quote: nothing to change


def test_key_quote_names_the_key_and_skips_case_studies():
    from tutor.quiz.generate import why_key

    passage = (
        "A hospital must label X-ray images and only certified radiologists may see them. "
        "SageMaker Ground Truth runs labeling jobs with a private workforce of your own staff. "
        "Choose it only when Amazon Rekognition Custom Labels cannot cover the images."
    )
    quote = why_key(
        passage,
        "A hospital wants its X-ray images labeled by radiologists.",
        "SageMaker Ground Truth",
    )
    assert (
        quote
        == "SageMaker Ground Truth runs labeling jobs with a private workforce of your own staff."
    )
    # A "This … scenario tests" line, or a definition of another option, never explains a key.
    passage = (
        "This Random Cut Forest scenario tests anomaly scores on unlabeled streaming data. "
        "SageMaker RCF gives every unlabeled record an anomaly score from a forest of random "
        "trees. K-Means: clusters unlabeled records; the distance to a centroid is not an "
        "anomaly score."
    )
    quote = why_key(
        passage,
        "A bank needs an anomaly score for every unlabeled record.",
        "SageMaker Random Cut Forest",
        ("SageMaker Random Cut Forest", "SageMaker K-Means algorithm", "SageMaker PCA algorithm"),
    )
    assert quote.startswith("SageMaker RCF gives every unlabeled record"), quote


# -- curated cues: the notes say what singles each answer out -----------------------------------
def test_every_answer_has_curated_cues_that_never_name_it(full_settings):
    from tutor.quiz.validate import _names

    topics = load_topics(full_settings.corpus_dir)
    by_id = {t.id: t for t in topics}
    for t in topics:
        if t.distractor and not t.item_only:
            assert 2 <= len(t.cues) <= 4, t.id
        assert set(t.item_cues) <= {c.name for c in t.items}, t.id  # no misspelt item
        for item in t.items:
            assert t.item_cues.get(item.name), (t.id, item.name)
        for other in t.confusable:
            assert other in by_id and by_id[other].group == t.group, (t.id, other)
        for choice in [t.choice, *t.items]:
            for cue in t.cues_for(choice):
                assert not _names(cue, choice), (t.id, cue)


def test_draft_states_a_cue_and_never_offers_a_confusable_answer(builder):
    from tutor.quiz.generate import build_prompt

    for topic in builder.topics.values():
        if not topic.confusable or topic.item_only:
            continue
        for variant in range(3):
            draft = builder.draft(Slot(topic.id, "en", "note", 1, variant), 0)
            if draft is None:
                continue
            assert draft.cue in topic.cues
            assert draft.cue in build_prompt(draft)[-1]["content"]
            assert not {c.topic for c in draft.distractors} & topic.confusable


def test_cue_missing_rule(builder, good):
    """A stem that states none of the key's curated needs (here: a vague one) is rejected,
    even though it names no other answer."""
    q = copy.deepcopy(good)
    q.scenario = (
        "A growing company stores a lot of information in the cloud. Its managers want a "
        "better way to work with this information across every team in the organisation."
    )
    assert "cue_missing" in _reasons(builder, q)


def test_cue_rule_reads_the_scenario_without_the_long_question_line(builder, good):
    """Every data quality monitor question failed cue_missing: the code-written line "Which
    type of monitor in SageMaker Model Monitor…" diluted a stem that states the key's need."""
    topic = builder.topics["data-concept-drift"]
    q = copy.deepcopy(good)
    q.topic, q.level, q.domain = topic.id, "item", topic.domain
    names = tuple(c.name for c in topic.items)
    facts = [builder.evidence.fact(c, "", others(names, c.name)) for c in topic.items]
    q.citations = [f.citation(i + 1) for i, f in enumerate(facts)]
    q.options = [
        Option(c.name, c.name == "Data quality monitor", f"From the notes: {f.text}", i + 1)
        for i, (c, f) in enumerate(zip(topic.items, facts, strict=True))
    ]
    q.scenario = (
        "A company needs to monitor the age and income statistics of incoming requests to "
        "ensure they stay within the expected range, without relying on ground truth outcomes "
        "that will never be available."
    )
    q.prompt = "Which type of monitor in SageMaker Model Monitor should the company use?"
    v = builder.validator
    choices = v.choices(q)
    assert not v.states_cue(q, choices, v._vec(q.stem))  # the whole stem misses the need
    assert v.states_cue(q, choices, v._vec(q.scenario))
    assert "schema" not in _reasons(builder, q) and "cue_missing" not in _reasons(builder, q)
    q.scenario = "A company wants to keep an eye on its deployed model in production."
    assert "cue_missing" in _reasons(builder, q)


def test_confusable_options_rule(builder, good):
    pair = next(
        (t, builder.topics[o]) for t in builder.topics.values() for o in sorted(t.confusable)
    )
    q = copy.deepcopy(good)
    q.options[0].text, q.options[1].text = pair[0].choice.name, pair[1].choice.name
    assert "confusable_options" in _reasons(builder, q)


def test_confusable_items_are_never_key_and_distractor(builder):
    from tutor.quiz.topics import Choice
    from tutor.quiz.validate import _confusable

    trees = builder.topics["tree-models"]
    assert frozenset(("Gradient boosting", "XGBoost")) in trees.item_confusable
    opts = [Choice(n, trees.id, item=True) for n in ("XGBoost", "Decision tree", "Random Forest")]
    gb = Choice("Gradient boosting", trees.id, item=True)
    assert _confusable(trees, [*opts, gb], [0], builder.topics)  # XGBoost key, GB offered
    assert not _confusable(trees, [*opts, gb], [1], builder.topics)  # both merely distractors
    for variant in range(4):
        draft = builder.draft(Slot(trees.id, "en", "item", 1, variant), 0)
        names = {c.name for c in draft.keys + draft.distractors} if draft else set()
        assert not (
            draft
            and {"Gradient boosting", "XGBoost"} <= names
            and draft.keys[0].name in {"Gradient boosting", "XGBoost"}
        )


def test_contradicts_key_rule(builder, good):
    topic = next(t for t in builder.topics.values() if t.avoid and not t.item_only)
    q = copy.deepcopy(good)
    q.options[0].text = topic.choice.name
    q.scenario += f" Note that {topic.avoid[0]} applies here."
    assert "contradicts_key" in _reasons(builder, q)


def test_an_item_is_explained_by_its_definition_even_after_an_article(builder):
    """Two reads noted the bias drift monitor explained by a use case ("A regulated lender must
    be alerted…: that is the bias drift monitor") while the note defines it in a sentence that
    starts "The bias drift monitor recomputes…"."""
    topic = builder.topics["data-concept-drift"]
    names = tuple(c.name for c in topic.items)
    item = next(c for c in topic.items if c.name == "Bias drift monitor")
    text = builder.evidence.fact(item, "", others(names, item.name)).text
    assert text.startswith("The bias drift monitor recomputes"), text


def test_distractor_items_are_explained_by_what_they_are_not_by_a_worked_case(builder):
    """Review: 'MAE = (10 + 10 + 30 + 0) / 4 = 12.5' and 'The first model reports 98 %
    accuracy' explained nothing; the note also says what each item is."""
    for topic_id in ("regression-metrics", "classification-metrics"):
        topic = builder.topics[topic_id]
        names = tuple(c.name for c in topic.items)
        for item in topic.items:
            text = builder.evidence.fact(item, "", others(names, item.name)).text
            assert text.count("=") < 2, (item.name, text)
            assert "first model" not in text and "scenario" not in text, (item.name, text)
