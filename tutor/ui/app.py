"""The Gradio app: Chat, Practice, Progress and Library tabs over one shared tutor.

It starts in seconds: the page is served at once and the index and model load in a
background thread, with a status line until they are ready. It listens on loopback unless
told otherwise, sends no analytics and loads nothing from a CDN (system fonts, Gradio's
bundled frontend only).
"""

from __future__ import annotations

import os

from tutor.chat import Tutor
from tutor.config import Settings, apply_offline_environment
from tutor.errors import TutorError

AUTH_ENV = "TUTOR_AUTH"

CSS = """
.tutor-sources .turn { margin-bottom: 1rem; }
.tutor-sources .turn-head { font-weight: 600; margin-bottom: .35rem; }
.tutor-sources details.src, .quiz-fb details.src {
  border: 1px solid var(--border-color-primary); border-radius: 6px;
  padding: .35rem .6rem; margin: .3rem 0; background: var(--background-fill-secondary);
}
.tutor-sources details.src summary, .quiz-fb details.src summary { cursor: pointer; }
details.src.flash { outline: 3px solid var(--color-accent); }
.src-file { font-family: ui-monospace, monospace; font-size: .8em; opacity: .75; }
.passage p { margin: .4rem 0; }
.sec { opacity: .8; }
.muted { opacity: .75; }
.warn { color: var(--error-text-color, #b91c1c); }
.ok { color: #15803d; }
.busy::before { content: "⏳ "; }
.verdict { font-size: 1.15em; font-weight: 700; margin: .4rem 0; }
.verdict.ok { color: #15803d; } .verdict.ko { color: #b91c1c; }
.quiz-fb ul.opts { list-style: none; padding-left: 0; }
.quiz-fb li.opt { margin: .45rem 0; }
.quiz-fb li.opt.right b { color: #15803d; }
.quiz-meta { font-size: .85em; opacity: .75; margin-bottom: .3rem; }
.kpis { display: flex; gap: 1.5rem; flex-wrap: wrap; font-size: 1.05em; }
.kpis b { font-size: 1.4em; }
.exam-report table, table.index-status { border-collapse: collapse; }
.exam-report td, .exam-report th, table.index-status td, table.index-status th {
  padding: .25rem .6rem; border-bottom: 1px solid var(--border-color-primary); text-align: left;
}
.exam-clock { font-size: 1.1em; }
#status-line { font-size: .9em; opacity: .85; }
"""


def _theme():
    import gradio as gr

    # System fonts: the default theme would fetch web fonts from Google.
    return gr.themes.Default(
        font=[gr.themes.Font("system-ui"), "sans-serif"],
        font_mono=[gr.themes.Font("ui-monospace"), "monospace"],
    )


def build_app(tutor: Tutor, practice=None):
    """The whole app over one tutor (and one Practice, created from the tutor's settings when
    not given). Starts the background warm-up; returns the gr.Blocks."""
    import gradio as gr

    from tutor.ui.chat_tab import build_chat_tab
    from tutor.ui.library_tab import build_library_tab
    from tutor.ui.practice_tab import build_practice_tab, refresh_topics
    from tutor.ui.progress_tab import build_progress_tab
    from tutor.ui.services import Services

    services = Services(tutor, practice)
    services.start_warm_up()

    with gr.Blocks(title="AWS ML Specialty tutor", analytics_enabled=False) as app:
        with gr.Row():
            gr.Markdown(
                "### AWS Certified Machine Learning – Specialty tutor\n"
                "Ask in English or French; answers come only from the study material and cite it."
            )
            status = gr.Markdown(f"_Status: {services.status}_", elem_id="status-line")
        poll = gr.Timer(1.0)

        with gr.Tabs(selected="chat") as tabs:
            with gr.Tab("Chat", id="chat", elem_id="tab-chat"):
                chat = build_chat_tab(services)
            with gr.Tab("Practice", id="practice", elem_id="tab-practice") as practice_tab:
                practice_parts = build_practice_tab(services, tabs, chat.textbox)
            with gr.Tab("Progress", id="progress", elem_id="tab-progress") as progress_tab:
                load_progress, progress_outputs = build_progress_tab(services)
            with gr.Tab("Library", id="library", elem_id="tab-library") as library_tab:
                refresh_library, library_outputs = build_library_tab(services)

        def poll_status():
            done = services.ready or services.failed
            return f"_Status: {services.status}_", gr.Timer(active=not done)

        poll.tick(poll_status, None, [status, poll], concurrency_limit=None, show_progress="hidden")
        practice_tab.select(
            lambda d, t: refresh_topics(services, d, t),
            [practice_parts.domain, practice_parts.topic],
            [practice_parts.topic],
        )
        progress_tab.select(load_progress, None, progress_outputs)
        library_tab.select(refresh_library, None, library_outputs)

    app.tutor_services = services  # type: ignore[attr-defined]
    app.launch_options = {"theme": _theme(), "css": CSS}  # type: ignore[attr-defined]
    return app


def parse_auth(raw: str | None) -> list[tuple[str, str]] | None:
    """TUTOR_AUTH="user:password" (several pairs separated by commas) → Gradio's auth list."""
    if not raw or not raw.strip():
        return None
    pairs = []
    for item in raw.split(","):
        user, sep, password = item.strip().partition(":")
        if not sep or not user or not password:
            raise TutorError(
                f"{AUTH_ENV} must look like user:password (got {item.strip()[:20]!r}…)",
                f"set {AUTH_ENV}=name:secret, or unset it",
            )
        pairs.append((user, password))
    return pairs


def launch(
    settings: Settings | None = None,
    host: str | None = None,
    port: int | None = None,
    share: bool = False,
) -> None:
    """Serve the app until interrupted. Loopback on Settings.port unless host/share say
    otherwise; a login is required when TUTOR_AUTH is set."""
    apply_offline_environment()
    settings = settings or Settings.from_env()
    auth = parse_auth(os.environ.get(AUTH_ENV))
    app = build_app(Tutor(settings, progress=True))
    app.queue(default_concurrency_limit=1).launch(
        server_name=host or settings.host,
        server_port=port or settings.port,
        share=share,
        auth=auth,
        auth_message="AWS ML Specialty tutor" if auth else None,
        footer_links=[],
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        **app.launch_options,  # type: ignore[attr-defined]
    )
