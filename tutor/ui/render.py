"""Safe rendering of everything the app shows: model answers, corpus text, quiz feedback.

Nothing from a document, an upload or the model may run in the learner's page. Two rules:
text that goes into an HTML panel is escaped with `html.escape`; text that goes into Markdown
has `<` escaped outside code (so no tag can form), remote images disabled (an image URL in a
note would make the page fetch from the network) and `javascript:` links defused. Gradio's own
sanitizer stays on as a second layer.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tutor.chat import Answer

_CODE = re.compile(r"(```.*?```|`[^`\n]+`)", re.DOTALL)
_MARKER = re.compile(r"\[(\d+)\]")
_QUOTE_PREFIX = re.compile(r"(?m)^([ \t]*(?:>[ \t]*)*)(.*)$")
_JS_LINK = re.compile(r"\]\(\s*(?:javascript|vbscript|data):", re.IGNORECASE)
LETTERS = "ABCDE"


def esc(text: object) -> str:
    """HTML-escape any value for an HTML panel."""
    return html.escape(str(text), quote=True)


def safe_markdown(text: str) -> str:
    """Markdown that keeps its formatting but cannot carry HTML, remote images or script links.

    Code spans and fences are left alone: the Markdown renderer already shows their content as
    literal text, and escaping there would show `&lt;` to the learner.
    """
    parts = _CODE.split(text or "")
    return "".join(part if i % 2 else _defuse(part) for i, part in enumerate(parts))


def _defuse(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    # `>` cannot open a tag; escape it except where it marks a blockquote at a line start.
    text = _QUOTE_PREFIX.sub(lambda m: m.group(1) + m.group(2).replace(">", "&gt;"), text)
    text = text.replace("![", "!\\[")  # an image would be fetched: show its Markdown instead
    return _JS_LINK.sub("](#", text)


def _code(text: str) -> str:
    """A file name as inline code; backticks removed so it cannot close the span early."""
    return "`" + str(text).replace("`", "'") + "`"


def _one_line(text: str, limit: int | None = None) -> str:
    flat = " ".join(str(text).split())
    if limit and len(flat) > limit:
        flat = flat[:limit].rsplit(" ", 1)[0] + "…"
    return flat


# ---------------------------------------------------------------------------------------------
# Chat


def anchor(turn: int, n: int) -> str:
    """The id of one cited passage in the sources panel: turn number and citation number."""
    return f"src-{turn}-{n}"


def format_sources(answer: Answer, turn: int | None = None) -> str:
    """The Markdown line under an answer: its sources, or what was searched when it declined.

    With a turn number, each source is a link to its passage in the sources panel.
    """
    if answer.abstained:
        searched = ", ".join(dict.fromkeys(p["title"] for p in answer.searched)) or "nothing"
        label = "Searched" if answer.language == "en" else "Recherché dans"
        return f"\n\n_{label}: {safe_markdown(searched)}_"
    if not answer.citations:
        return ""
    items = []
    for c in answer.citations:
        link = f"[\\[{c.n}\\]](#{anchor(turn, c.n)})" if turn is not None else f"[{c.n}]"
        # The sheet's sections are full paths ("I. … > 1. … > Model Monitor"): the last step
        # is enough under an answer; the sources panel shows the whole path.
        section = c.section.split(" > ")[-1] if c.section else ""
        where = f" › {safe_markdown(section)}" if section else ""
        items.append(f"{link} {safe_markdown(c.title)}{where} ({_code(c.source)})")
    return "\n\n**Sources:** " + " · ".join(items)


def answer_markdown(answer: Answer, turn: int) -> str:
    """The final answer for the chat: safe text whose [n] markers link to their passages."""
    cited = {c.n for c in answer.citations}
    text = safe_markdown(answer.text)
    if cited:

        def link(m: re.Match) -> str:
            n = int(m.group(1))
            return f"[\\[{n}\\]](#{anchor(turn, n)})" if n in cited else m.group(0)

        text = _MARKER.sub(link, text)
    return text + format_sources(answer, turn)


@dataclass
class Turn:
    """One question of a conversation and, once it is finished, its answer."""

    number: int
    question: str
    answer: Answer | None = None
    partial: str = ""  # text streamed so far
    error: str = ""
    stopped: bool = False


def sources_panel(turns: Sequence[Turn]) -> str:
    """HTML for the side panel: each answer's cited passages, newest answer first.

    Each passage is a <details> element whose id the inline markers link to, so a click on
    [2] opens passage 2 of that answer without a round trip to the server.
    """
    if not turns:
        return (
            '<div class="tutor-sources-empty">Sources of each answer appear here. '
            "Click a marker such as [1] in an answer to open the passage it cites.</div>"
        )
    blocks = []
    for turn in reversed(turns):
        head = (
            f'<div class="turn-head">Answer {turn.number} · '
            f"<q>{esc(_one_line(turn.question, 90))}</q></div>"
        )
        answer = turn.answer
        if answer is None:
            if turn.error:
                body = f'<p class="warn">{esc(turn.error)}</p>'
            elif turn.stopped:
                body = '<p class="muted">Stopped before the answer was complete.</p>'
            else:
                body = '<p class="muted">Searching and writing…</p>'
        elif answer.abstained:
            label = "Not covered by the study material. Searched:"
            if answer.language != "en":
                label = "Non couvert par le support d'étude. Recherché dans :"
            body = f'<p class="muted">{esc(label)}</p>{_searched_list(answer.searched)}'
        elif not answer.citations:
            label = "This answer cites no passage. The passages it was given:"
            body = f'<p class="muted">{esc(label)}</p>{_searched_list(answer.searched)}'
        else:
            body = "".join(
                f'<details class="src" id="{anchor(turn.number, c.n)}">'
                f"<summary><b>[{c.n}]</b> {esc(c.title)}"
                + (f' <span class="sec">› {esc(c.section)}</span>' if c.section else "")
                + "</summary>"
                f'<div class="src-file">{esc(c.source)}</div>'
                f'<div class="passage">{_paragraphs(c.text)}</div></details>'
                for c in answer.citations
            )
        blocks.append(f'<section class="turn" id="turn-{turn.number}">{head}{body}</section>')
    return '<div class="tutor-sources">' + "".join(blocks) + "</div>"


def _searched_list(searched: list[dict]) -> str:
    items = "".join(
        f"<li>{esc(p.get('title', ''))}"
        + (f" › {esc(p['section'])}" if p.get("section") else "")
        + f' <span class="src-file">{esc(p.get("source", ""))}</span></li>'
        for p in searched
    )
    return f'<ul class="searched">{items or "<li>nothing</li>"}</ul>'


def _paragraphs(text: str) -> str:
    paras = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    return "".join(f"<p>{esc(p).replace(chr(10), '<br>')}</p>" for p in paras)


# ---------------------------------------------------------------------------------------------
# Practice


def question_html(question, position: str = "", topic_title: str = "") -> str:
    """A question's stem (options are the Radio/CheckboxGroup labels, which Gradio shows as
    plain text)."""
    from tutor.quiz.topics import DOMAINS

    meta = [f"Domain {question.domain}: {DOMAINS.get(question.domain, '?')}"]
    if topic_title:
        meta.append(topic_title)
    meta.append("English" if question.lang == "en" else "Français")
    if position:
        meta.insert(0, position)
    choose = ""
    if question.choose > 1:
        choose = (
            f'<p class="choose">Choose {question.choose}.</p>'
            if question.lang == "en"
            else f'<p class="choose">Choisissez-en {question.choose}.</p>'
        )
    return (
        f'<div class="quiz-q"><div class="quiz-meta">{esc(" · ".join(meta))}</div>'
        f"<p>{esc(question.scenario)}</p><p><b>{esc(question.prompt)}</b></p>{choose}</div>"
    )


def option_choices(question) -> list[tuple[str, str]]:
    """(label, letter) pairs for the answer widget."""
    return [(f"{LETTERS[i]}) {o.text}", LETTERS[i]) for i, o in enumerate(question.options)]


def feedback_html(feedback) -> str:
    """Right or wrong, then why for every option, each with the passage that backs it."""
    q = feedback.question
    if feedback.correct:
        verdict = '<div class="verdict ok">✔ Correct</div>'
    else:
        verdict = (
            f'<div class="verdict ko">✘ Incorrect: you chose {esc(feedback.chosen or "-")}, '
            f"the answer is {esc(feedback.keys)}</div>"
        )
    rows = []
    for i, option in enumerate(q.options):
        letter = LETTERS[i]
        mark = "✔" if option.correct else "✘"
        picked = " (your choice)" if letter in feedback.chosen else ""
        cite = f' <span class="cite">[{option.cite}]</span>' if option.cite else ""
        css = "opt right" if option.correct else "opt wrong"
        rows.append(
            f'<li class="{css}"><b>{mark} {letter}) {esc(option.text)}</b>{esc(picked)}'
            f"<div>{esc(option.explanation)}{cite}</div></li>"
        )
    cites = "".join(
        f'<details class="src"><summary><b>[{esc(c.get("n", ""))}]</b> {esc(c.get("title", ""))}'
        + (f' <span class="sec">› {esc(c["section"])}</span>' if c.get("section") else "")
        + f'</summary><div class="src-file">{esc(c.get("source", ""))}</div>'
        f'<div class="passage">{_paragraphs(str(c.get("text", "")))}</div></details>'
        for c in q.citations
    )
    due = ""
    if feedback.next_due is not None:
        when = feedback.next_due.strftime("%Y-%m-%d %H:%M")
        due = f'<p class="muted">Next review: {esc(when)} UTC</p>'
    return (
        f'<div class="quiz-fb">{verdict}<ul class="opts">{"".join(rows)}</ul>'
        f'<div class="cites"><b>Passages</b>{cites or "<p>none</p>"}</div>{due}</div>'
    )


def exam_report_html(report: dict, missed: Iterable[tuple[str, str, str]] = ()) -> str:
    """Score, a row per exam domain, and the questions missed with their answer."""
    rows = "".join(
        f"<tr><td>{esc(d)}. {esc(r['name'])}</td><td>{r['questions']}</td>"
        f"<td>{r['answered']}</td><td>{r['correct']}</td>"
        f"<td>{_pct(r['correct'], r['questions'])}</td></tr>"
        for d, r in report.get("by_domain", {}).items()
    )
    minutes, seconds = divmod(int(report.get("seconds_used", 0)), 60)
    missed_rows = "".join(
        f"<li>{esc(_one_line(stem, 160))} <b>Answer: {esc(key)}</b>"
        f"{' (you: ' + esc(chosen) + ')' if chosen else ' (not answered)'}</li>"
        for stem, key, chosen in missed
    )
    return (
        f'<div class="exam-report"><h3>Score {report.get("score", 0)}% '
        f"({report.get('correct', 0)}/{report.get('questions', 0)})</h3>"
        f'<p class="muted">Answered {report.get("answered", 0)} of {report.get("questions", 0)} '
        f"in {minutes} min {seconds:02d} s (limit {round(report.get('time_limit', 0) / 60)} min)."
        "</p><table><thead><tr><th>Domain</th><th>Questions</th><th>Answered</th>"
        f"<th>Correct</th><th>Score</th></tr></thead><tbody>{rows}</tbody></table>"
        + (f"<h4>To review</h4><ol>{missed_rows}</ol>" if missed_rows else "")
        + "</div>"
    )


def _pct(num: int, den: int) -> str:
    return f"{round(100 * num / den)}%" if den else "-"


def clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


# ---------------------------------------------------------------------------------------------
# Progress and library


def summary_html(summary: dict) -> str:
    attempts, correct = summary.get("attempts", 0), summary.get("correct", 0)
    weakest = "".join(
        f"<li>{esc(w['title'])}: {round(100 * (1 - w['error_rate']))}% estimated "
        f"({w['attempts']} answered)</li>"
        for w in summary.get("weakest", [])
    )
    return (
        '<div class="summary">'
        f'<div class="kpis"><span><b id="kpi-attempts">{attempts}</b> answered</span>'
        f"<span><b>{_pct(correct, attempts)}</b> correct</span>"
        f'<span><b id="kpi-due">{summary.get("due", 0)}</b> reviews due</span>'
        f"<span><b>{summary.get('bank', 0)}</b> questions in the bank</span></div>"
        f"<h4>Weakest topics</h4>"
        + (f"<ol>{weakest}</ol>" if weakest else '<p class="muted">Nothing answered yet.</p>')
        + "</div>"
    )


def status_html(status: dict, model_state: str) -> str:
    """The index status panel."""
    built = status.get("built_at") or "never"
    rows = [
        ("Documents", status.get("documents", 0)),
        ("Passages (chunks)", status.get("chunks", 0)),
        ("Your documents", status.get("personal_documents", 0)),
        ("Embedding model", status.get("embedder") or "-"),
        ("Chat model", status.get("chat_model") or "-"),
        ("Model state", model_state),
        ("Last build", built),
    ]
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    note = "" if status.get("indexed") else '<p class="warn">No index yet: run `tutor index`.</p>'
    return f'<table class="index-status">{body}</table>{note}'


def document_markdown(title: str, source: str, body: str, meta_line: str = "") -> str:
    """A library document for gr.Markdown, with its front matter already removed."""
    head = _code(source) + (f" · {safe_markdown(meta_line)}" if meta_line else "")
    if not body.lstrip().startswith("# "):  # notes open with their title; others get one
        head = f"### {safe_markdown(title)}\n\n{head}"
    return f"{head}\n\n{safe_markdown(body)}"
