"""The Practice tab: one question at a time with immediate, cited feedback, or a timed exam
simulation with a score report by domain.

Each browser tab holds only its current question or exam (PracticeSession in gr.State); the
bank and the progress database are the process-wide Practice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import gradio as gr

from tutor.errors import TutorError
from tutor.quiz.topics import DOMAINS
from tutor.ui.render import (
    clock,
    esc,
    exam_report_html,
    feedback_html,
    option_choices,
    question_html,
)
from tutor.ui.services import Services

ALL = "all"
LANGS = [("English", "en"), ("Français", "fr"), ("Any", "any")]


@dataclass
class PracticeSession:
    """One browser tab's place in practice: the question on screen, or the exam under way."""

    question_id: str | None = None
    shown_at: float = 0.0
    answered: bool = False
    follow_up: str = ""
    exam: object | None = None  # tutor.quiz.practice.Exam
    exam_pos: int = 0
    seen: set[str] = field(default_factory=set)


@dataclass
class PracticeParts:
    """Components the app wires to tab selection."""

    domain: gr.Dropdown
    topic: gr.Dropdown


def _domain_choices() -> list[tuple[str, str]]:
    return [("All domains", ALL)] + [(f"{d}. {name}", str(d)) for d, name in DOMAINS.items()]


def _topic_choices(services: Services, domain: str) -> list[tuple[str, str]]:
    """Topics of the chosen domain, each with how many questions the bank holds for it."""
    try:
        practice = services.practice
    except TutorError:
        return [("All topics", ALL)]
    wanted = None if domain in (None, "", ALL) else int(domain)
    choices = [("All topics", ALL)]
    for topic in sorted(practice.topics.values(), key=lambda t: (t.domain, t.title.casefold())):
        if wanted is not None and topic.domain != wanted:
            continue
        count = len(practice.candidates(topic=topic.id))
        choices.append((f"{topic.title} ({count})", topic.id))
    return choices


def _lang(value: str | None) -> str | None:
    return None if value in (None, "", "any") else value


def build_practice_tab(services: Services, tabs: gr.Tabs, chat_input: gr.Textbox) -> None:
    session = gr.State(None)
    with gr.Row():
        mode = gr.Radio(
            ["Practice", "Exam simulation"], value="Practice", label="Mode", elem_id="quiz-mode"
        )
        lang = gr.Radio(LANGS, value="any", label="Language", elem_id="quiz-lang")
    with gr.Row(visible=True) as practice_row:
        domain = gr.Dropdown(
            _domain_choices(), value=ALL, label="Exam domain", elem_id="quiz-domain"
        )
        topic = gr.Dropdown(
            _topic_choices(services, ALL),
            value=ALL,
            label="Topic",
            elem_id="quiz-topic",
            filterable=True,
        )
        next_btn = gr.Button("Next question", variant="primary", elem_id="quiz-next")
    with gr.Row(visible=False) as exam_row:
        exam_n = gr.Slider(1, 65, value=10, step=1, label="Questions", elem_id="exam-n")
        start_btn = gr.Button("Start exam", variant="primary", elem_id="exam-start")
        finish_btn = gr.Button("Finish exam", elem_id="exam-finish", interactive=False)
        exam_clock = gr.HTML("", elem_id="exam-clock", js_on_load=None)
    status = gr.HTML("", elem_id="quiz-status", js_on_load=None)
    generate_btn = gr.Button("Generate a question", visible=False, elem_id="quiz-generate")
    question = gr.HTML(
        '<p class="muted">Pick a domain or a topic, then press <b>Next question</b>.</p>',
        elem_id="quiz-question",
        js_on_load=None,
    )
    single = gr.Radio([], label="Your answer", visible=False, elem_id="quiz-single")
    multi = gr.CheckboxGroup(
        [], label="Your answers (choose two)", visible=False, elem_id="quiz-multi"
    )
    with gr.Row():
        submit_btn = gr.Button(
            "Submit", variant="primary", interactive=False, elem_id="quiz-submit"
        )
        ask_btn = gr.Button(
            "Ask the tutor about this question", interactive=False, elem_id="quiz-ask"
        )
    feedback = gr.HTML("", elem_id="quiz-feedback", js_on_load=None)
    timer = gr.Timer(1.0, active=False)

    # Handlers return {component: update}; components left out keep their value.
    all_outputs = {
        question, single, multi, submit_btn, ask_btn, feedback, status, generate_btn,
        exam_clock, timer, finish_btn, session,
    }  # fmt: skip

    def show(q, state: PracticeSession, position: str = "", exam: bool = False) -> dict:
        """Put question q on screen with a fresh answer widget."""
        state.question_id, state.shown_at, state.answered = q.id, time.monotonic(), False
        state.follow_up = ""
        state.seen.add(q.id)
        topic_entry = services.practice.topics.get(q.topic)
        title = topic_entry.title if topic_entry else ""
        choices = option_choices(q)
        return {
            question: question_html(q, position, title),
            single: gr.Radio(choices=choices, value=None, visible=q.choose == 1, interactive=True),
            multi: gr.CheckboxGroup(
                choices=choices,
                value=[],
                visible=q.choose > 1,
                interactive=True,
                label=f"Your answers (choose {q.choose})",
            ),
            submit_btn: gr.Button(interactive=True),
            ask_btn: gr.Button(interactive=not exam),  # no asking the tutor during an exam
            feedback: "",
            status: "",
            session: state,
        }

    def blank(message: str, state: PracticeSession | None) -> dict:
        return {
            question: f'<p class="muted">{esc(message)}</p>',
            single: gr.Radio(visible=False, value=None),
            multi: gr.CheckboxGroup(visible=False, value=[]),
            submit_btn: gr.Button(interactive=False),
            ask_btn: gr.Button(interactive=False),
            feedback: "",
            session: state,
        }

    def warn(err: object) -> str:
        return f'<p class="warn">{esc(err)}</p>'

    # -- practice mode -------------------------------------------------------------------------
    def on_mode(value: str):
        exam = value == "Exam simulation"
        return gr.Row(visible=not exam), gr.Row(visible=exam)

    def on_domain(value: str):
        return gr.Dropdown(choices=_topic_choices(services, value), value=ALL)

    def next_question(domain_v: str, topic_v: str, lang_v: str, state: PracticeSession | None):
        state = state or PracticeSession()
        if state.exam is not None:
            return {status: warn("An exam is under way: finish it first."), session: state}
        topic_id = None if topic_v in (None, "", ALL) else topic_v
        domain_id = None if domain_v in (None, "", ALL) or topic_id else int(domain_v)
        try:
            services.refresh_bank()
            practice = services.practice
            exclude = {state.question_id} if state.question_id else set()
            q = practice.next_question(
                topic=topic_id, domain=domain_id, lang=_lang(lang_v), exclude=exclude
            )
            if q is None and exclude:  # only the current question fits: show it again
                q = practice.next_question(topic=topic_id, domain=domain_id, lang=_lang(lang_v))
        except TutorError as err:
            return {**blank(str(err), state), generate_btn: gr.Button(visible=False)}
        if q is None:
            message = "The question bank has nothing for this choice yet."
            if topic_id:
                message += " Press “Generate a question” to have the tutor write one."
            return {**blank(message, state), generate_btn: gr.Button(visible=bool(topic_id))}
        return {**show(q, state), generate_btn: gr.Button(visible=False)}

    def submit(single_v, multi_v, state: PracticeSession | None):
        if state is None or state.question_id is None or state.answered:
            return {}
        q = services.practice.questions[state.question_id]
        chosen = (multi_v or []) if q.choose > 1 else ([single_v] if single_v else [])
        seconds = time.monotonic() - state.shown_at
        try:
            if state.exam is not None:
                return exam_submit(chosen, seconds, state)
            fb = services.practice.submit(q.id, chosen, seconds)
        except TutorError as err:
            return {status: warn(err)}
        state.answered, state.follow_up = True, fb.follow_up
        return {
            single: gr.Radio(interactive=False),
            multi: gr.CheckboxGroup(interactive=False),
            submit_btn: gr.Button(interactive=False),
            ask_btn: gr.Button(interactive=True),
            feedback: feedback_html(fb),
            status: "",
            session: state,
        }

    def ask_tutor(state: PracticeSession | None):
        if state is None or state.question_id is None or state.exam is not None:
            return gr.skip(), gr.skip()
        text = state.follow_up or services.practice.questions[state.question_id].render()
        return gr.Tabs(selected="chat"), text

    def generate_status():
        return (
            '<p class="busy">Writing and checking a new question with the local model… '
            "this takes about a minute; the chat waits meanwhile.</p>",
            gr.Button(interactive=False),
        )

    def generate(topic_v: str, lang_v: str, state: PracticeSession | None):
        state = state or PracticeSession()
        if topic_v in (None, "", ALL):
            return {status: warn("Pick a topic first."), generate_btn: gr.Button(interactive=True)}
        try:
            q = services.practice.generate(topic_v, _lang(lang_v) or "en")
        except TutorError as err:
            return {status: warn(err), generate_btn: gr.Button(interactive=True), session: state}
        return {
            **show(q, state),
            status: '<p class="ok">New question written, checked and saved.</p>',
            generate_btn: gr.Button(visible=False, interactive=True),
        }

    # -- exam mode ---------------------------------------------------------------------------
    def start_exam(n: float, lang_v: str, state: PracticeSession | None):
        state = state or PracticeSession()
        try:
            services.refresh_bank()
            exam = services.practice.start_exam(int(n), _lang(lang_v))
        except TutorError as err:
            return {**blank(str(err), state), status: warn(err)}
        state.exam, state.exam_pos = exam, 0
        position = f"Question 1 of {len(exam.questions)}"
        return {
            **show(exam.questions[0], state, position, exam=True),
            exam_clock: _clock_html(exam),
            timer: gr.Timer(active=True),
            finish_btn: gr.Button(interactive=True),
            start_btn: gr.Button(interactive=False),
        }

    def exam_submit(chosen: list, seconds: float, state: PracticeSession) -> dict:
        exam = state.exam
        exam.answer(state.question_id, chosen, seconds)
        state.exam_pos += 1
        if state.exam_pos >= len(exam.questions):
            return finished(state)
        position = f"Question {state.exam_pos + 1} of {len(exam.questions)}"
        return {
            **show(exam.questions[state.exam_pos], state, position, exam=True),
            exam_clock: _clock_html(exam),
        }

    def finished(state: PracticeSession, note: str = "") -> dict:
        """The score report; the exam leaves the session."""
        exam = state.exam
        report = exam.report()
        missed = [
            (q.stem, q.key_letters, exam.answers[q.id].chosen if q.id in exam.answers else "")
            for q in exam.questions
            if q.id not in exam.answers or not exam.answers[q.id].correct
        ]
        state.exam, state.question_id = None, None
        return {
            **blank("Exam finished. Start another, or switch to Practice.", state),
            feedback: exam_report_html(report, missed),
            status: note,
            exam_clock: "",
            timer: gr.Timer(active=False),
            finish_btn: gr.Button(interactive=False),
            start_btn: gr.Button(interactive=True),
        }

    def finish(state: PracticeSession | None):
        if state is None or state.exam is None:
            return {timer: gr.Timer(active=False), finish_btn: gr.Button(interactive=False)}
        return finished(state)

    def tick(state: PracticeSession | None):
        if state is None or state.exam is None:
            return {timer: gr.Timer(active=False)}
        if state.exam.remaining <= 0:
            return finished(state, warn("Time is up."))
        return {exam_clock: _clock_html(state.exam)}

    outputs = [*all_outputs, start_btn]
    mode.change(on_mode, [mode], [practice_row, exam_row])
    domain.change(on_domain, [domain], [topic])
    next_btn.click(next_question, [domain, topic, lang, session], outputs)
    submit_btn.click(submit, [single, multi, session], outputs)
    ask_btn.click(ask_tutor, [session], [tabs, chat_input])
    generate_btn.click(generate_status, None, [status, generate_btn]).then(
        generate, [topic, lang, session], outputs, concurrency_id="llm", concurrency_limit=1
    )
    start_btn.click(start_exam, [exam_n, lang, session], outputs)
    finish_btn.click(finish, [session], outputs)
    timer.tick(tick, [session], outputs, concurrency_limit=None, show_progress="hidden")
    return PracticeParts(domain=domain, topic=topic)


def _clock_html(exam) -> str:
    return (
        f'<div class="exam-clock">Time left <b>{clock(exam.remaining)}</b> · '
        f"{len(exam.answers)} of {len(exam.questions)} answered</div>"
    )


def refresh_topics(services: Services, domain: str, topic: str) -> gr.Dropdown:
    """Topic counts again (the bank may have grown), keeping the learner's choice."""
    try:
        services.refresh_bank()
    except TutorError:
        pass
    choices = _topic_choices(services, domain)
    keep = topic if topic in {value for _, value in choices} else ALL
    return gr.Dropdown(choices=choices, value=keep)
