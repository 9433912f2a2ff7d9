"""The Progress tab: accuracy by exam domain and over time, weakest topics, reviews due and
the history of attempts.

Charts are Gradio's native BarPlot/LinePlot (Vega, bundled with Gradio's frontend, so nothing
is fetched from a CDN) fed with small pandas frames.
"""

from __future__ import annotations

import gradio as gr
import pandas as pd

from tutor.errors import TutorError
from tutor.quiz.topics import DOMAINS
from tutor.ui.render import esc, summary_html
from tutor.ui.services import Services

SHORT_DOMAINS = {1: "1 Data eng.", 2: "2 EDA", 3: "3 Modeling", 4: "4 ML ops"}
ROLLING = 10  # answers averaged per point of the accuracy-over-time line
HISTORY_ROWS = 200
HISTORY_HEADERS = ["When (UTC)", "Topic", "Domain", "Lang", "Mode", "Chosen", "Result", "Seconds"]


def domain_frame(summary: dict) -> pd.DataFrame:
    """One row per exam domain: accuracy in percent (0 when nothing answered yet)."""
    by_domain = summary.get("by_domain") or {d: {"attempts": 0, "correct": 0} for d in DOMAINS}
    rows = []
    for d, s in by_domain.items():
        attempts = s.get("attempts", 0)
        accuracy = 100 * s["correct"] / attempts if attempts else 0.0
        rows.append(
            {
                "domain": SHORT_DOMAINS.get(int(d), str(d)),
                "accuracy": round(accuracy, 1),
                "answered": attempts,
            }
        )
    frame = pd.DataFrame(rows, columns=["domain", "accuracy", "answered"])
    # Explicit types: Gradio picks the chart scale from them (an empty frame would be "object").
    return frame.astype({"domain": "string", "accuracy": "float64", "answered": "int64"})


def timeline_frame(attempts: list) -> pd.DataFrame:
    """Accuracy over the last ROLLING answers, after each answer, oldest first."""
    ordered = list(reversed(attempts))  # Progress.attempts() is newest first
    rows = []
    for i, attempt in enumerate(ordered):
        window = ordered[max(0, i - ROLLING + 1) : i + 1]
        rows.append(
            {
                "answer": i + 1,
                "accuracy": round(100 * sum(a.correct for a in window) / len(window), 1),
                "when": attempt.answered_at[:16].replace("T", " "),
            }
        )
    frame = pd.DataFrame(rows, columns=["answer", "accuracy", "when"])
    return frame.astype({"answer": "int64", "accuracy": "float64", "when": "string"})


def history_rows(attempts: list, titles: dict[str, str]) -> list[list]:
    return [
        [
            a.answered_at[:19].replace("T", " "),
            titles.get(a.topic, a.topic),
            a.domain,
            a.lang,
            a.mode,
            a.chosen,
            "correct" if a.correct else "wrong",
            round(a.seconds),
        ]
        for a in attempts[:HISTORY_ROWS]
    ]


def build_progress_tab(services: Services):
    """Build the tab; returns the refresh function and its outputs for tab selection."""
    with gr.Row():
        refresh = gr.Button("Refresh", elem_id="progress-refresh", scale=0)
    summary = gr.HTML("", elem_id="progress-summary", js_on_load=None)
    with gr.Row():
        by_domain = gr.BarPlot(
            domain_frame({}),
            x="domain",
            y="accuracy",
            title="Accuracy by exam domain (%)",
            y_lim=[0, 100],
            tooltip=["domain", "accuracy", "answered"],
            height=300,
            elem_id="chart-domains",
        )
        over_time = gr.LinePlot(
            timeline_frame([]),
            x="answer",
            y="accuracy",
            title=f"Accuracy over your last {ROLLING} answers (%)",
            y_lim=[0, 100],
            tooltip=["answer", "accuracy", "when"],
            x_axis_format="d",
            height=300,
            elem_id="chart-time",
        )
    history = gr.Dataframe(
        headers=HISTORY_HEADERS,
        value=[],
        label="History of attempts (newest first)",
        interactive=False,
        wrap=True,
        elem_id="progress-history",
    )

    def load() -> tuple:
        try:
            practice = services.practice
        except TutorError as err:
            return f'<p class="warn">{esc(err)}</p>', gr.skip(), gr.skip(), gr.skip()
        data = practice.summary()
        attempts = practice.progress.attempts()
        titles = {t: topic.title for t, topic in practice.topics.items()}
        return (
            summary_html(data),
            domain_frame(data),
            timeline_frame(attempts),
            history_rows(attempts, titles),
        )

    outputs = [summary, by_domain, over_time, history]
    refresh.click(load, None, outputs)
    return load, outputs
