"""The Gradio app a learner lives in: Chat, Practice, Progress and Library tabs.

`python app.py` / `tutor serve` call `launch`; tests build the app with `build_app(tutor)`.
"""

from tutor.ui.app import AUTH_ENV, build_app, launch, parse_auth
from tutor.ui.render import format_sources

__all__ = ["AUTH_ENV", "build_app", "format_sources", "launch", "parse_auth"]
