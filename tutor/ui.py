"""The Gradio app: a chat page that streams answers and lists their sources.

Heavy models load in a background thread at start, so the page is usable at once and shows a
status line until the tutor is ready.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from tutor.chat import Answer, Tutor
from tutor.config import Settings, apply_offline_environment
from tutor.errors import TutorError

EXAMPLES = [
    "Which SageMaker feature detects data drift?",
    "Firehose or Kinesis Data Streams to land clickstream data in S3?",
    "Quand utiliser Batch Transform plutôt qu'un point de terminaison en temps réel ?",
    "Comment réduire le surapprentissage d'un réseau de neurones ?",
    "What input format does DeepAR expect?",
]


def format_sources(answer: Answer) -> str:
    """Sources as a Markdown list under the answer (passage text quoted, never raw HTML)."""
    if answer.abstained:
        searched = ", ".join(dict.fromkeys(p["title"] for p in answer.searched)) or "nothing"
        label = "Searched" if answer.language == "en" else "Recherché dans"
        return f"\n\n_{label}: {_escape(searched)}_"
    if not answer.citations:
        return ""
    lines = ["", "", "**Sources**"]
    for c in answer.citations:
        where = f" › {_escape(c.section)}" if c.section else ""
        snippet = _escape(" ".join(c.text.split())[:300])
        lines.append(f"- [{c.n}] **{_escape(c.title)}**{where} — `{c.source}`  \n  > {snippet}")
    return "\n".join(lines)


def _escape(text: str) -> str:
    """Neutralise HTML in corpus text; Gradio also sanitises, this keeps it readable."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


def build_app(tutor: Tutor):
    import gradio as gr

    status = {"text": "Loading the search index and the model…"}

    def warm() -> None:
        try:
            tutor.warm_up()
            status["text"] = "Ready."
        except TutorError as err:
            status["text"] = f"Not ready: {err}"

    threading.Thread(target=warm, daemon=True).start()

    def respond(message: str, history: list) -> Iterator[str]:
        try:
            shown = ""
            for piece in tutor.stream(message, history):
                if isinstance(piece, Answer):
                    yield piece.text + format_sources(piece)
                else:
                    shown += piece
                    yield shown
        except TutorError as err:
            yield f"⚠️ {err}"

    theme = gr.themes.Default(
        font=[gr.themes.Font("system-ui"), "sans-serif"],
        font_mono=[gr.themes.Font("ui-monospace"), "monospace"],
    )
    with gr.Blocks(title="AWS ML Specialty tutor") as app:
        gr.Markdown(
            "## AWS Certified Machine Learning – Specialty tutor\n"
            "Ask in English or French. Answers come only from the study material "
            "and cite it."
        )
        status_md = gr.Markdown(lambda: f"_Status: {status['text']}_", every=2.0)
        gr.ChatInterface(
            respond,
            chatbot=gr.Chatbot(height=520, sanitize_html=True, label="Tutor"),
            examples=EXAMPLES,
            cache_examples=False,
            flagging_mode="never",
            save_history=False,
        )
        del status_md
    app.theme_choice = theme  # type: ignore[attr-defined]
    return app


def launch(
    settings: Settings | None = None,
    host: str | None = None,
    port: int | None = None,
    share: bool = False,
) -> None:
    apply_offline_environment()
    settings = settings or Settings.from_env()
    app = build_app(Tutor(settings, progress=True))
    app.queue(default_concurrency_limit=1).launch(
        server_name=host or settings.host,
        server_port=port or settings.port,
        share=share,
        theme=app.theme_choice,  # type: ignore[attr-defined]
        footer_links=[],
    )
