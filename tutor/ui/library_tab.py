"""The Library tab: browse and search the study material, read any note, add or remove one's
own documents, and see what the index holds.

Documents are shown as Markdown with HTML neutralised (render.safe_markdown); an upload that
cannot be used shows the TutorError message and leaves the library as it was (the library
backend checks before it writes and rolls back a failed re-index).
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from tutor import library
from tutor.errors import TutorError
from tutor.ui.render import document_markdown, esc, status_html
from tutor.ui.services import Services

ALL = "all"
SHELVES = [
    ("All documents", ALL),
    *[(f"{d}. {name}", str(d)) for d, name in library.DOMAINS.items()],
    ("French sheet and glossary", "sheet"),
    ("My documents", "personal"),
]
UPLOAD_TYPES = [".md", ".markdown", ".txt", ".pdf", ".html", ".htm"]


def document_choices(services: Services, shelf: str) -> list[tuple[str, str]]:
    """(label, source) for the document picker, filtered by shelf."""
    entries = library.list_topics(services.settings)
    if shelf == "personal":
        entries = [e for e in entries if e.personal]
    elif shelf == "sheet":
        entries = [e for e in entries if e.kind in ("sheet", "glossary", "other")]
    elif shelf not in (None, "", ALL):
        entries = [e for e in entries if e.domain == int(shelf) and not e.personal]
    return [(_label(e), e.source) for e in entries]


def _label(entry: library.TopicEntry) -> str:
    if entry.personal:
        return f"{entry.title} (my document)"
    where = entry.group or entry.kind
    return f"{entry.title} · {where}"


def render_document(services: Services, source: str | None) -> str:
    if not source:
        return "_Pick a document, or search the library._"
    try:
        doc = library.read_document(services.settings, source)
    except TutorError as err:
        return f"⚠️ {esc(err)}"
    meta = []
    if doc.meta.get("domain"):
        meta.append(f"domain {doc.meta['domain']}")
    if doc.personal:
        meta.append(f"your document ({doc.meta.get('original_filename', '')})")
    meta.append(f"{len(doc.body.split()):,} words")
    return document_markdown(doc.title, doc.source, doc.body, " · ".join(meta))


def personal_choices(services: Services) -> list[tuple[str, str]]:
    return [(e.title, e.source) for e in library.list_personal_documents(services.settings)]


def build_library_tab(services: Services):
    """Build the tab; returns the refresh function and outputs used when the tab is selected."""
    hits_state = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=300):
            shelf = gr.Dropdown(SHELVES, value=ALL, label="Shelf", elem_id="lib-shelf")
            choices = document_choices(services, ALL)
            first = _default_document(choices)
            doc = gr.Dropdown(
                choices,
                value=first,
                label="Document",
                filterable=True,
                elem_id="lib-doc",
            )
            with gr.Row():
                query = gr.Textbox(
                    placeholder="Search the library, e.g. data drift",
                    show_label=False,
                    max_length=library.MAX_QUERY_CHARS,
                    elem_id="lib-query",
                    scale=3,
                )
                search_btn = gr.Button("Search", elem_id="lib-search", scale=1)
            results = gr.Dataframe(
                headers=["Document", "Section", "Passage"],
                value=[],
                interactive=False,
                wrap=True,
                column_widths=["30%", "25%", "45%"],
                max_height=360,
                label="Search results (click one to open it)",
                elem_id="lib-results",
            )
            with gr.Accordion("Add your own document", open=True):
                upload = gr.File(
                    label="Markdown, text, PDF or HTML",
                    file_types=UPLOAD_TYPES,
                    type="filepath",
                    height=110,
                    elem_id="lib-upload",
                )
                add_btn = gr.Button("Add to library", variant="primary", elem_id="lib-add")
                upload_status = gr.HTML("", elem_id="lib-upload-status", js_on_load=None)
                mine = gr.Dropdown(
                    personal_choices(services),
                    value=None,
                    label="Your documents",
                    elem_id="lib-mine",
                )
                remove_btn = gr.Button("Remove", variant="stop", elem_id="lib-remove")
            with gr.Accordion("Index status", open=True):
                status = gr.HTML("", elem_id="lib-status", js_on_load=None)
        with gr.Column(scale=3, min_width=360):
            reader = gr.Markdown(
                render_document(services, first),
                sanitize_html=True,
                latex_delimiters=[],
                elem_id="lib-reader",
                height=760,
            )

    def status_panel() -> str:
        return status_html(library.index_status(services.settings), services.model_state())

    def on_shelf(value: str):
        return gr.Dropdown(choices=document_choices(services, value), value=None)

    def search(text: str):
        try:
            hits = library.search_library(services.settings, text, embedder=services.embedder)
        except TutorError as err:
            return [["", "", f"⚠️ {err}"]], []
        rows = [
            [h.title + (" (my document)" if h.personal else ""), h.section, h.snippet] for h in hits
        ]
        return rows or [["", "", "Nothing found."]], [h.source for h in hits]

    def open_hit(sources: list[str], shelf_v: str, evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if not isinstance(row, int) or not 0 <= row < len(sources):
            return gr.skip(), gr.skip()
        source = sources[row]
        on_shelf = source in {s for _, s in document_choices(services, shelf_v)}
        # The picker follows when the document is on the current shelf, else it is cleared.
        return render_document(services, source), gr.Dropdown(value=source if on_shelf else None)

    def on_document(source: str | None):
        return render_document(services, source) if source else gr.skip()

    def add(path: str | None, shelf_v: str, progress=gr.Progress()):  # noqa: B008 (Gradio's API)
        if not path:
            return ('<p class="warn">Choose a file first.</p>', *_unchanged())
        try:
            result = library.add_personal_document(
                services.settings,
                Path(path),
                progress=lambda fraction, message: progress(fraction, desc=message),
                embedder=services.embedder,
            )
        except TutorError as err:
            # The message names the file; the picker is emptied so another can be chosen.
            return (f'<p class="warn">⚠️ {esc(err)}</p>', None, *_unchanged()[1:])
        services.index_changed()
        verb = "Replaced" if result.replaced else "Added"
        message = (
            f'<p class="ok">{verb} <b>{esc(result.title)}</b> ({esc(result.kind)}, '
            f"{result.words:,} words, {result.chunks} passages) in {result.seconds:.1f} s. "
            "The tutor can cite it now.</p>"
        )
        return (
            message,
            None,
            gr.Dropdown(choices=personal_choices(services), value=result.source),
            gr.Dropdown(choices=document_choices(services, shelf_v), value=result.source),
            render_document(services, result.source),
            status_panel(),
        )

    def remove(source: str | None, shelf_v: str, progress=gr.Progress()):  # noqa: B008 (Gradio's API)
        if not source:
            return ('<p class="warn">Pick one of your documents first.</p>', *_unchanged())
        try:
            library.remove_personal_document(
                services.settings,
                source,
                progress=lambda fraction, message: progress(fraction, desc=message),
                embedder=services.embedder,
            )
        except TutorError as err:
            return (f'<p class="warn">⚠️ {esc(err)}</p>', *_unchanged())
        services.index_changed()
        return (
            f'<p class="ok">Removed {esc(source)}.</p>',
            gr.skip(),
            gr.Dropdown(choices=personal_choices(services), value=None),
            gr.Dropdown(choices=document_choices(services, shelf_v), value=None),
            render_document(services, None),
            status_panel(),
        )

    shelf.change(on_shelf, [shelf], [doc])
    doc.change(on_document, [doc], [reader])
    query.submit(search, [query], [results, hits_state])
    search_btn.click(search, [query], [results, hits_state])
    results.select(open_hit, [hits_state, shelf], [reader, doc])
    change_outputs = [upload_status, upload, mine, doc, reader, status]
    # Re-indexing shares the model queue: it never runs while an answer is being written.
    llm = {"concurrency_id": "llm", "concurrency_limit": 1}
    add_btn.click(add, [upload, shelf], change_outputs, **llm)
    remove_btn.click(remove, [mine, shelf], change_outputs, **llm)

    def refresh():
        return status_panel(), gr.Dropdown(choices=personal_choices(services))

    return refresh, [status, mine]


def _default_document(choices: list[tuple[str, str]]) -> str | None:
    """The French sheet when present: it is the syllabus the learner starts from."""
    for _, source in choices:
        if "/sheet/" in source:
            return source
    return choices[0][1] if choices else None


def _unchanged() -> tuple:
    return (gr.skip(),) * 5
