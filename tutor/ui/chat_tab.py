"""The Chat tab: streamed answers, clickable citation markers, a sources panel, Stop and New.

The conversation lives in a per-session ChatSession (gr.State); the Chatbot is only a view of
it, re-rendered from the session on every update, so what the model sees as history is the
plain answer text, never the links and escaping added for display.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import gradio as gr

from tutor.chat import Answer
from tutor.errors import TutorError
from tutor.ui.examples import example_questions
from tutor.ui.render import Turn, answer_markdown, safe_markdown, sources_panel
from tutor.ui.services import Services

logger = logging.getLogger(__name__)

# Opens the passage a marker points at. Installed once per page from the sources panel; a
# capturing listener so the link never navigates (the Chatbot would open it in a new tab).
MARKER_JS = """
if (!window.__tutorMarkers) {
  window.__tutorMarkers = true;
  document.addEventListener('click', function (ev) {
    const link = ev.target && ev.target.closest && ev.target.closest('a[href^="#src-"]');
    if (!link) return;
    ev.preventDefault();
    ev.stopPropagation();
    const target = document.getElementById(link.getAttribute('href').slice(1));
    if (!target) return;
    target.open = true;
    target.scrollIntoView({block: 'nearest'});
    target.classList.add('flash');
    setTimeout(function () { target.classList.remove('flash'); }, 1600);
  }, true);
}
"""


@dataclass
class ChatSession:
    """One browser tab's conversation."""

    turns: list[Turn] = field(default_factory=list)

    def history(self) -> list[tuple[str, str]]:
        """(question, answer) pairs the tutor uses to understand a follow-up."""
        done = [t for t in self.turns if t.answer is not None and not t.stopped]
        return [(t.question, t.answer.text) for t in done]


@dataclass
class ChatParts:
    """Components other tabs need: the input box (Practice fills it) and the Chatbot."""

    textbox: gr.Textbox
    chatbot: gr.Chatbot


def chat_messages(session: ChatSession | None) -> list[dict]:
    """The Chatbot view of a session; every text is made safe before Gradio sees it."""
    messages: list[dict] = []
    for turn in session.turns if session else []:
        messages.append({"role": "user", "content": safe_markdown(turn.question)})
        if turn.answer is not None:
            content = answer_markdown(turn.answer, turn.number)
        elif turn.error:
            content = f"⚠️ {safe_markdown(turn.error)}"
        else:
            content = safe_markdown(turn.partial) if turn.partial else "…"
            if turn.stopped:
                content += "\n\n_(stopped)_"
        messages.append({"role": "assistant", "content": content})
    return messages


def build_chat_tab(services: Services) -> ChatParts:
    examples = example_questions(services.settings.corpus_dir)
    session = gr.State(None)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=360):
            chatbot = gr.Chatbot(
                label="Tutor",
                height=540,
                sanitize_html=True,
                allow_tags=False,
                render_markdown=True,
                latex_delimiters=[],  # "$5 per TB … $0.02" is prices, not maths
                feedback_options=None,
                buttons=["copy"],
                examples=[{"text": q} for q in examples],
                placeholder=(
                    "**Ask about the MLS-C01 exam, in English or French.**  \n"
                    "Answers come only from the study material and cite it: click a marker "
                    "such as [1] to read the passage."
                ),
                elem_id="chatbot",
            )
            textbox = gr.Textbox(
                placeholder="Ask a question, or a follow-up to the last answer…",
                show_label=False,
                lines=1,
                max_lines=6,
                max_length=2000,
                elem_id="chat-input",
                autofocus=True,
            )
            with gr.Row():
                send = gr.Button("Send", variant="primary", elem_id="chat-send")
                stop = gr.Button("Stop", variant="stop", elem_id="chat-stop")
                new = gr.Button("New conversation", elem_id="chat-new")
        with gr.Column(scale=2, min_width=280):
            gr.Markdown("#### Sources")
            panel = gr.HTML(
                sources_panel([]),
                js_on_load=MARKER_JS,
                elem_id="sources-panel",
                max_height=620,
            )

    def ask(message: str, state: ChatSession | None) -> Iterator[tuple]:
        """Stream one answer: the typed text first, then pieces as the model writes them."""
        state = state or ChatSession()
        message = (message or "").strip()
        if not message:
            yield chat_messages(state), "", gr.skip(), state
            return
        history = state.history()
        turn = Turn(len(state.turns) + 1, message)
        if not services.ready and not services.failed:
            turn.partial = "_Loading the model: your question is answered as soon as it is ready…_"
        state.turns.append(turn)
        yield chat_messages(state), "", sources_panel(state.turns), state
        shown = ""
        try:
            for piece in services.tutor.stream(message, history):
                if isinstance(piece, Answer):
                    turn.answer = piece
                    break
                shown += piece
                turn.partial = shown
                yield chat_messages(state), gr.skip(), gr.skip(), state
        except TutorError as err:
            turn.error = str(err)
        except Exception as err:  # keep the conversation usable; the log has the traceback
            logger.exception("answering %r failed", message)
            turn.error = f"the tutor failed on this question ({err.__class__.__name__}); try again"
        yield chat_messages(state), gr.skip(), sources_panel(state.turns), state

    def ask_example(state: ChatSession | None, evt: gr.SelectData) -> Iterator[tuple]:
        value = evt.value if isinstance(evt.value, dict) else {}
        yield from ask(str(value.get("text", "")), state)

    def stopped(state: ChatSession | None) -> tuple:
        if state and state.turns and state.turns[-1].answer is None:
            state.turns[-1].stopped = True
        return chat_messages(state), sources_panel(state.turns if state else []), state

    def new_conversation() -> tuple:
        return [], sources_panel([]), None, ""

    outputs = [chatbot, textbox, panel, session]
    llm = {"concurrency_id": "llm", "concurrency_limit": 1}
    submitted = textbox.submit(ask, [textbox, session], outputs, **llm)
    clicked = send.click(ask, [textbox, session], outputs, **llm)
    example = chatbot.example_select(ask_example, [session], outputs, **llm)
    stop.click(stopped, [session], [chatbot, panel, session], cancels=[submitted, clicked, example])
    running = [submitted, clicked, example]
    new.click(new_conversation, None, [chatbot, panel, session, textbox], cancels=running)
    # The Chatbot's own bin icon clears the view: clear the conversation behind it too.
    chatbot.clear(new_conversation, None, [chatbot, panel, session, textbox], cancels=running)
    return ChatParts(textbox=textbox, chatbot=chatbot)
