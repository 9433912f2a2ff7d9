"""The Gradio app without a browser: it builds and serves on loopback quickly, reports a missing
index instead of crashing, asks for a login when TUTOR_AUTH is set, and every renderer turns
HTML from documents, uploads or the model into text."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e_helpers import XSS, bank_questions, free_port, write_bank
from tutor.chat import Answer
from tutor.citations import Citation
from tutor.config import Settings
from tutor.errors import TutorError
from tutor.ui import build_app, format_sources, parse_auth
from tutor.ui.examples import example_questions, sheet_headings
from tutor.ui.render import (
    Turn,
    answer_markdown,
    document_markdown,
    feedback_html,
    safe_markdown,
    sources_panel,
)


@pytest.fixture()
def app_settings(tmp_path, mini_corpus, model_cache) -> Settings:
    """A corpus with no index yet and a throwaway learner data directory."""
    return Settings.from_env(
        corpus_dir=mini_corpus,
        index_dir=tmp_path / "index",
        data_dir=tmp_path / "data",
        model_cache_dir=model_cache,
        llm_model="small",
        llm_url="",
    )


def _serve(app, **kwargs) -> int:
    port = free_port()
    app.queue(default_concurrency_limit=1).launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **kwargs
    )
    return port


def test_app_serves_its_page_on_loopback_and_explains_a_missing_index(app_settings):
    from tutor import Tutor

    write_bank(app_settings.index_dir)  # the bank sits beside the (missing) index
    start = time.perf_counter()
    app = build_app(Tutor(app_settings))
    built = time.perf_counter() - start
    port = _serve(app)
    try:
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
        assert page.status_code == 200 and "AWS ML Specialty tutor" in page.text
        services = app.tutor_services
        for _ in range(100):
            if services.failed or services.ready:
                break
            time.sleep(0.1)
        assert services.failed and "no index" in services.status
        assert len(services.practice.questions) == len(bank_questions())
    finally:
        app.close()
    assert built < 15, f"building the page took {built:.1f} s"


def test_auth_from_the_environment_guards_the_app(app_settings):
    from tutor import Tutor

    assert parse_auth(None) is None and parse_auth("  ") is None
    assert parse_auth("ann:s3cret, bob:pa:ss") == [("ann", "s3cret"), ("bob", "pa:ss")]
    with pytest.raises(TutorError, match="TUTOR_AUTH"):
        parse_auth("nopassword")

    app = build_app(Tutor(app_settings))
    port = _serve(app, auth=parse_auth("ann:s3cret"))
    try:
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/config", timeout=30).status_code == 401
        with httpx.Client(base_url=base, timeout=30) as client:
            login = client.post("/login", data={"username": "ann", "password": "s3cret"})
            assert login.status_code == 200
            assert client.get("/config").status_code == 200
    finally:
        app.close()


def _answer(text: str, citations: list[Citation], **kw) -> Answer:
    return Answer(text, citations, False, {}, "en", **kw)


CITATION = Citation(
    1,
    "corpus/x.md",
    "Model <b>Monitor</b>",
    "What it is",
    f"{XSS} compares data with a baseline",
)


def test_sources_are_listed_and_html_is_neutralised():
    text = format_sources(_answer("Use Model Monitor [1].", [CITATION]))
    assert "[1]" in text and "corpus/x.md" in text
    assert "<script>" not in text and "<b>" not in text and "<img" not in text


def test_markers_link_to_their_passage_and_the_panel_escapes_it():
    answer = _answer("Use Model Monitor [1], not [2]. <img src=x onerror=alert(1)>", [CITATION])
    shown = answer_markdown(answer, turn=3)
    assert "[\\[1\\]](#src-3-1)" in shown  # cited: a link to passage 1 of answer 3
    assert "[2]" in shown and "#src-3-2" not in shown  # not cited: left as text
    assert "<img" not in shown and "&lt;img" in shown

    panel = sources_panel([Turn(3, "what <b>is</b> it?", answer)])
    assert 'id="src-3-1"' in panel
    assert "<script>" not in panel and "<img" not in panel and "<b>is</b>" not in panel
    assert "&lt;script&gt;" in panel and "baseline" in panel


def test_declined_and_uncited_answers_show_what_was_searched():
    searched = [{"n": 1, "source": "corpus/a.md", "title": "<i>A</i>", "section": "S"}]
    declined = Answer("Not covered.", [], True, {}, "en", searched=searched)
    assert "Searched" in format_sources(declined)
    panel = sources_panel([Turn(1, "q", declined)])
    assert "corpus/a.md" in panel and "<i>" not in panel
    uncited = _answer("Something.", [], searched=searched)
    assert "corpus/a.md" in sources_panel([Turn(1, "q", uncited)])


def test_markdown_keeps_formatting_but_not_html_images_or_script_links():
    raw = (
        "# Title\n\n> a quote with a>b\n\n<script>alert(1)</script> ![x](http://example.com/p.png)"
        " [bad](javascript:alert(1)) `<b>code</b>`"
    )
    safe = safe_markdown(raw)
    assert safe.startswith("# Title") and "\n> a quote with a&gt;b" in safe
    assert "<script>" not in safe and "&lt;script&gt;" in safe
    assert "![x](" not in safe  # no image to fetch from the network
    assert "javascript:" not in safe
    assert "`<b>code</b>`" in safe  # code is shown literally by the renderer
    doc = document_markdown("T", "personal/x.md", f"Body {XSS}", "your document")
    assert "<img" not in doc and "<script>" not in doc


def test_feedback_explains_every_option_with_escaped_text():
    from tutor.quiz.practice import Feedback

    question = bank_questions()[0]  # its right option's explanation carries XSS
    html = feedback_html(Feedback(question, "B", False, "A", None, "why?"))
    assert "Incorrect" in html and "the answer is A" in html
    for option in question.options:
        assert option.text in html
    assert "<img" not in html and "<script>" not in html and "&lt;img" in html
    assert question.citations[0]["title"] in html


def test_example_questions_come_from_the_sheet_headings(mini_corpus):
    headings = sheet_headings(mini_corpus)
    assert len(headings) > 20
    examples = example_questions(mini_corpus)
    assert 4 <= len(examples) <= 6
    names = [h.french for h in headings] + [h.english for h in headings if h.english]
    assert all(any(name in q for name in names) for q in examples)
    assert any(q.startswith(("What", "When")) for q in examples)  # English
    assert any(q.startswith(("À quoi", "Que faut")) for q in examples)  # French
