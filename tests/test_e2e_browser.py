"""The app in a real headless Chromium: chat with clickable citations and a follow-up,
practice with feedback, the progress chart moving, an upload the tutor then cites, separate
sessions, no HTML from documents running, and no request leaving the machine.

The app runs as `python app.py` in a subprocess (small model, one thread, temp index and data
directory). Tests in this module share one browser page and run in order, like a learner's
session. Screenshots of each step go to test-artifacts/; with TUTOR_UPDATE_SCREENSHOTS=1, one
per tab is also written to docs/screenshots/ for the README.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e_helpers import (
    XSS,
    app_env,
    free_port,
    make_corpus,
    start_app,
    stop_app,
    write_bank,
)
from tutor.config import PROJECT_ROOT, Settings

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("needs /usr/bin/chromium (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright==1.65.2")

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANSWER_TIMEOUT = 120_000  # ms; a shared 2-core machine can be slow
UNIQUE_FACT = (
    "Quillfeather is the codename of our team's feature archive. Quillfeather keeps every "
    "embedding for exactly 47 days before deleting it."
)
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# The README's screenshots are tracked files: rewrite them only when asked.
UPDATE_SCREENSHOTS = os.environ.get("TUTOR_UPDATE_SCREENSHOTS") == "1"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    from tutor.store import build_index

    root = tmp_path_factory.mktemp("e2e")
    corpus = make_corpus(root / "corpus")
    write_bank(root / "index")
    settings = Settings.from_env(
        corpus_dir=corpus,
        index_dir=root / "index",
        data_dir=root / "data",
        model_cache_dir=root / "models",
        llm_model="small",
        llm_url="",
    )
    build_index(settings, progress=False)
    port = free_port()
    env = app_env(corpus, root / "index", root / "data", root / "models")
    proc = start_app(env, port, root / "app.log")
    yield f"http://127.0.0.1:{port}/"
    stop_app(proc)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(root / "app.log", ARTIFACTS / "e2e-app.log")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def requests_seen() -> list[str]:
    return []


@pytest.fixture(scope="module")
def page(browser, app_url, requests_seen):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.on("request", lambda request: requests_seen.append(request.url))
    page.goto(app_url)
    page.wait_for_selector("#chat-input textarea", timeout=60_000)
    # The page is usable before the model is; wait for it so timings below are answers only.
    page.wait_for_function(
        "() => /Ready|Not ready/.test(document.querySelector('#status-line').innerText)",
        timeout=180_000,
    )
    assert "Not ready" not in page.inner_text("#status-line")
    yield page
    context.close()


def shot(page, name: str, readme: str | None = None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"e2e-{name}.png"), full_page=True)
    if readme and UPDATE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{readme}.png"))


def open_tab(page, label: str) -> None:
    page.click(f"button[role=tab]:has-text('{label}')")
    page.wait_for_timeout(800)


def ask(page, question: str, turn: int) -> None:
    """Type a question, send it, and wait until the sources panel holds that turn's outcome."""
    page.fill("#chat-input textarea", question)
    page.click("#chat-send")
    page.wait_for_function(
        """(turn) => {
            const s = document.querySelector('#sources-panel #turn-' + turn);
            return s && !/Searching and writing/.test(s.innerText);
        }""",
        arg=turn,
        timeout=ANSWER_TIMEOUT,
    )


def bot_messages(page) -> list[str]:
    return page.eval_on_selector_all(
        "#chatbot [data-testid=bot]", "els => els.map(e => e.innerText)"
    )


def no_xss(page) -> None:
    assert page.evaluate("() => window.__xss") is None, "HTML from a document ran in the page"


# ---------------------------------------------------------------------------------------------


def test_chat_streams_an_answer_whose_markers_open_the_passage(page):
    shot(page, "01-chat-empty")
    examples = page.inner_text("#chatbot")
    assert "?" in examples  # example questions drawn from the sheet's headings
    # Record every state of the answer bubble while it is written.
    page.evaluate(
        """() => {
            window.__lengths = [];
            const chat = document.querySelector('#chatbot');
            new MutationObserver(() => {
                const bots = chat.querySelectorAll('[data-testid=bot]');
                if (bots.length) window.__lengths.push(bots[bots.length - 1].innerText.length);
            }).observe(chat, {subtree: true, childList: true, characterData: true});
        }"""
    )
    ask(page, "Which SageMaker feature detects data drift?", 1)
    lengths = page.evaluate("() => window.__lengths")
    assert len(set(lengths)) >= 3, f"the answer did not stream: {lengths}"

    markers = page.locator("#chatbot a[href^='#src-1-']")
    assert markers.count() >= 1, "the answer has no clickable citation marker"
    target = markers.first.get_attribute("href")[1:]
    passage = page.locator(f"#sources-panel details#{target}")
    assert passage.get_attribute("open") is None
    markers.first.click()
    page.wait_for_function(
        "(id) => document.getElementById(id).open === true", arg=target, timeout=5_000
    )
    text = passage.inner_text()
    assert re.search(r"\[\d+\]", text) and len(text) > 60  # marker, title, section, passage
    assert page.url.endswith("/"), "clicking a marker navigated away"
    shot(page, "02-chat-answer-passage-open", readme="chat")


def test_follow_up_continues_the_conversation(page):
    ask(page, "And which AWS service would alert on it?", 2)
    answers = bot_messages(page)
    assert len(answers) == 2 and all(a.strip() for a in answers)
    assert page.locator("#sources-panel section.turn").count() == 2
    shot(page, "03-chat-follow-up")


def test_stop_then_new_conversation_then_an_example_question(page):
    page.fill("#chat-input textarea", "Explain Kinesis Data Streams shards in detail.")
    page.click("#chat-send")
    page.click("#chat-stop")  # before the first token: retrieval and prompt take longer
    page.wait_for_selector("#sources-panel #turn-3 :text('Stopped')", timeout=30_000)
    assert "(stopped)" in bot_messages(page)[-1]

    page.click("#chat-new")
    page.wait_for_function("() => !document.querySelector('#sources-panel #turn-1')")
    assert bot_messages(page) == []
    example = page.locator("#chatbot button.example").first
    question = example.inner_text().strip()
    example.click()  # the model is free again after Stop, and examples ask straight away
    page.wait_for_function(
        """() => {
            const s = document.querySelector('#sources-panel #turn-1');
            return s && !/Searching and writing/.test(s.innerText);
        }""",
        timeout=ANSWER_TIMEOUT,
    )
    assert question[:30] in page.inner_text("#sources-panel #turn-1")
    assert bot_messages(page)[0].strip()
    shot(page, "04-chat-example-question")
    page.click("#chat-new")
    page.wait_for_function("() => !document.querySelector('#sources-panel #turn-1')")


def chart_png(page, selector: str) -> bytes:
    page.locator(selector).scroll_into_view_if_needed()
    page.wait_for_timeout(800)  # Vega draws after the data arrives
    return page.locator(selector).screenshot()


def test_practice_feedback_then_progress_changes(page):
    open_tab(page, "Progress")
    page.wait_for_selector("#kpi-attempts")
    assert page.inner_text("#kpi-attempts") == "0"
    chart_before = chart_png(page, "#chart-domains")

    open_tab(page, "Practice")
    page.click("#quiz-lang label:has-text('English')")
    choose_dropdown(page, "#quiz-domain", "4.")
    page.click("#quiz-next")
    page.wait_for_selector("#quiz-question :text('data drift')")
    page.click("#quiz-single label:has-text('A) SageMaker Model Monitor')")
    page.click("#quiz-submit")
    feedback = page.locator("#quiz-feedback")
    feedback.locator(".verdict").wait_for()
    text = feedback.inner_text()
    assert "Correct" in text
    for option in ("Model Monitor", "Clarify", "Ground Truth", "Data Wrangler"):
        assert option in text  # every option explained
    assert "<img src=x" in text  # the payload in an explanation shows as text
    assert feedback.locator("img").count() == 0
    feedback.locator("details.src").first.click()
    assert "Amazon SageMaker Model Monitor" in feedback.inner_text()
    no_xss(page)
    shot(page, "05-practice-feedback")

    # A "choose two" question: a CheckboxGroup, both keys needed.
    choose_dropdown(page, "#quiz-domain", "1.")
    page.click("#quiz-next")
    page.wait_for_selector("#quiz-multi:visible")
    page.click("#quiz-multi label:has-text('A) It delivers')")
    page.click("#quiz-multi label:has-text('B) It buffers')")
    page.click("#quiz-submit")
    page.wait_for_selector("#quiz-feedback .verdict.ok")
    shot(page, "06-practice-choose-two", readme="practice")

    # Carry the question into the chat.
    page.click("#quiz-ask")
    page.wait_for_function(
        "() => document.querySelector('#chat-input textarea').value.length > 20", timeout=10_000
    )
    assert page.locator("#chat-input textarea").is_visible()
    assert "It delivers to S3" in page.input_value("#chat-input textarea")  # Feedback.follow_up
    shot(page, "07-ask-tutor-from-practice")

    open_tab(page, "Progress")
    page.wait_for_function("() => document.querySelector('#kpi-attempts').innerText === '2'")
    # Gradio's Dataframe draws data rows as div[role=row] (the header row is a <tr>).
    page.wait_for_function(
        "() => document.querySelectorAll('#progress-history div[role=row]').length === 2"
    )
    assert "Amazon SageMaker Model Monitor" in page.inner_text("#progress-history")
    chart_after = chart_png(page, "#chart-domains")
    assert chart_after != chart_before, "the accuracy chart did not change"
    shot(page, "08-progress", readme="progress")


def test_a_topic_without_questions_offers_to_generate_one(page):
    open_tab(page, "Practice")
    choose_dropdown(page, "#quiz-domain", "All domains")
    choose_dropdown(page, "#quiz-topic", "Amazon Athena")
    page.click("#quiz-next")
    page.wait_for_selector("#quiz-question :text('nothing for this choice')")
    generate = page.locator("#quiz-generate")
    assert generate.is_visible()
    generate.click()
    page.wait_for_selector("#quiz-status .busy", timeout=10_000)  # "Writing… about a minute"
    # The small model on a four-note corpus rarely gets a question through validation; what
    # matters here is a visible status and a clear outcome rather than a silent failure.
    page.wait_for_selector(
        "#quiz-status .warn, #quiz-status .ok", timeout=ANSWER_TIMEOUT * 2, state="attached"
    )
    outcome = page.inner_text("#quiz-status")
    if "New question" in outcome:
        assert "Athena" in page.inner_text("#quiz-question")
    else:
        assert "athena" in outcome and "try again" in outcome
    shot(page, "07b-practice-generate")


def choose_dropdown(page, selector: str, option_prefix: str) -> None:
    page.click(f"{selector} input")
    page.click(f"ul[role=listbox] li:has-text('{option_prefix}')")
    page.wait_for_timeout(500)


def test_exam_simulation_reports_by_domain(page):
    open_tab(page, "Practice")
    page.click("#quiz-mode label:has-text('Exam simulation')")
    page.click("#quiz-lang label:has-text('Any')")
    page.fill("#exam-n input[type=number]", "2")
    page.press("#exam-n input[type=number]", "Enter")
    page.click("#exam-start")
    page.wait_for_selector("#exam-clock :text('left')")
    assert re.search(r"\d\d:\d\d", page.inner_text("#exam-clock"))
    for _ in range(2):
        page.wait_for_selector("#quiz-question :text('Question')")
        widget = "#quiz-multi" if page.locator("#quiz-multi").is_visible() else "#quiz-single"
        page.locator(f"{widget} label").first.click()
        if widget == "#quiz-multi":
            page.locator(f"{widget} label").nth(1).click()
        page.click("#quiz-submit")
        page.wait_for_timeout(600)
    page.wait_for_selector("#quiz-feedback .exam-report")
    report = page.inner_text("#quiz-feedback")
    assert "Score" in report and "Domain" in report
    shot(page, "09-exam-report")


def test_bad_upload_changes_nothing_and_good_upload_is_cited(page, tmp_path):
    open_tab(page, "Library")
    before = page.inner_text("#lib-status")

    empty = tmp_path / "empty-notes.md"
    empty.write_text("")
    page.set_input_files("#lib-upload input[type=file]", str(empty))
    page.click("#lib-add")
    page.wait_for_selector("#lib-upload-status .warn")
    assert "is empty" in page.inner_text("#lib-upload-status")
    assert page.inner_text("#lib-status") == before

    upload = tmp_path / "quillfeather-notes.md"
    upload.write_text(f"# Quillfeather archive\n\n{UNIQUE_FACT} {XSS}\n", encoding="utf-8")
    page.set_input_files("#lib-upload input[type=file]", str(upload))
    page.click("#lib-add")
    page.wait_for_selector("#lib-upload-status .ok", timeout=ANSWER_TIMEOUT)
    assert "Quillfeather archive" in page.inner_text("#lib-upload-status")
    assert personal_count(page) == "1"  # the index status panel follows
    reader = page.locator("#lib-reader")
    assert "47 days" in reader.inner_text() and "<script>" in reader.inner_text()
    assert reader.locator("img, script").count() == 0
    no_xss(page)
    page.fill("#lib-query textarea", "Quillfeather embeddings")
    page.click("#lib-search")
    page.wait_for_selector("#lib-results :text('Quillfeather archive')")
    shot(page, "10-library-upload")
    # A note from the corpus, opened from a search result, for the README.
    page.fill("#lib-query textarea", "data drift baseline")
    page.click("#lib-search")
    page.locator("#lib-results :text('Amazon SageMaker Model Monitor')").first.click()
    page.wait_for_selector("#lib-reader h1:has-text('Amazon SageMaker Model Monitor')")
    shot(page, "11-library-note", readme="library")

    open_tab(page, "Chat")
    ask(page, "What is Quillfeather?", 1)
    panel = page.locator("#sources-panel #turn-1")
    cited = panel.locator("details.src", has_text="personal/quillfeather-notes.md")
    assert cited.count() == 1, f"the answer does not cite the upload: {panel.text_content()}"
    assert "personal/quillfeather-notes.md" in bot_messages(page)[-1]  # the sources line
    page.locator("#chatbot a[href^='#src-1-']").first.click()
    page.wait_for_function(
        "() => document.querySelector('#sources-panel #turn-1 details.src').open === true"
    )
    assert "47 days" in cited.inner_text() and "<img src=x" in cited.inner_text()
    assert panel.locator("img, script").count() == 0
    no_xss(page)
    shot(page, "12-chat-cites-upload")

    open_tab(page, "Library")
    choose_dropdown(page, "#lib-mine", "Quillfeather archive")
    page.click("#lib-remove")
    page.wait_for_selector("#lib-upload-status :text('Removed')", timeout=ANSWER_TIMEOUT)
    assert personal_count(page) == "0"
    page.click("#lib-mine input")
    assert page.locator("ul[role=listbox] li:has-text('Quillfeather')").count() == 0
    page.keyboard.press("Escape")


def personal_count(page) -> str:
    return page.inner_text("#lib-status tr:has-text('Your documents') td").strip()


def test_each_browser_tab_has_its_own_session(browser, app_url, page):
    other = browser.new_context().new_page()
    other.goto(app_url)
    other.wait_for_selector("#chat-input textarea")
    assert bot_messages(page), "the first tab lost its conversation"
    assert bot_messages(other) == []
    assert "Searching" not in other.inner_text("#sources-panel")

    # Both tabs ask at once: the model queue takes them in turn and each gets its own answer.
    open_tab(page, "Chat")
    for tab, question in ((page, "What does Firehose deliver to?"), (other, "What is DeepAR?")):
        tab.fill("#chat-input textarea", question)
        tab.click("#chat-send")
    done = (
        "(t) => { const s = document.querySelector('#sources-panel #turn-' + t);"
        " return s && !/Searching and writing/.test(s.innerText); }"
    )
    page.wait_for_function(done, arg=2, timeout=ANSWER_TIMEOUT)
    other.wait_for_function(done, arg=1, timeout=ANSWER_TIMEOUT)
    assert len(bot_messages(page)) == 2 and len(bot_messages(other)) == 1
    assert "What is DeepAR?" in other.inner_text("#chatbot")
    assert "What is DeepAR?" not in page.inner_text("#chatbot")

    open_tab(other, "Practice")
    assert "Pick a domain or a topic" in other.inner_text("#quiz-question")
    other.context.close()


def test_every_request_stayed_on_this_machine(requests_seen):
    assert requests_seen
    remote = sorted({u for u in requests_seen if urlparse(u).hostname not in LOCAL_HOSTS})
    assert remote == [], f"the page fetched from the network: {remote[:10]}"


@pytest.mark.skipif(not UPDATE_SCREENSHOTS, reason="set TUTOR_UPDATE_SCREENSHOTS=1 to refresh")
def test_screenshots_were_written():
    for name in ("chat", "practice", "progress", "library"):
        path = SCREENSHOTS / f"{name}.png"
        assert path.stat().st_size > 10_000 and time.time() - path.stat().st_mtime < 3600
