"""The Gradio app starts on loopback, serves its page, and answers through its API."""

from __future__ import annotations

import socket

import httpx

from tutor.chat import Answer
from tutor.ui import build_app, format_sources


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_app_serves_its_page_on_loopback(tutor):
    app = build_app(tutor)
    port = _free_port()
    app.queue().launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True
    )
    try:
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
        assert page.status_code == 200
        assert "AWS" in page.text or "gradio" in page.text.lower()
    finally:
        app.close()


def test_sources_are_listed_and_html_is_neutralised():
    from tutor.citations import Citation

    answer = Answer(
        "Use Model Monitor [1].",
        [
            Citation(
                1,
                "corpus/x.md",
                "Model <b>Monitor</b>",
                "What it is",
                "<script>alert(1)</script> compares data with a baseline",
            )
        ],
        False,
        {},
        "en",
    )
    text = format_sources(answer)
    assert "[1]" in text and "corpus/x.md" in text
    assert "<script>" not in text and "<b>" not in text
