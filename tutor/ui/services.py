"""What the app shares between all browser sessions: one Tutor (one llama.cpp model), one
Practice (one progress database), and the background warm-up that loads them.

Sessions keep only their own conversation and current question (gr.State); everything heavy
lives here once per process.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tutor.chat import Tutor
from tutor.errors import TutorError


class SharedModel:
    """Stands in for the tutor's chat model until Practice first needs one.

    Practice would otherwise load a second copy of the model for on-demand questions; this
    hands it the tutor's model (loaded in the background) the moment it is used.
    """

    def __init__(self, tutor: Tutor) -> None:
        self._tutor = tutor

    def __getattr__(self, name: str):
        return getattr(self._tutor.llm, name)


class Services:
    """The process-wide tutor, practice and model status."""

    def __init__(self, tutor: Tutor, practice=None) -> None:
        self.tutor = tutor
        self.settings = tutor.settings
        self.status = "Loading the search index and the model…"
        self.ready = False
        self.failed = False
        self._practice = practice
        self._practice_error = ""
        self._practice_lock = threading.Lock()
        self._bank_mtimes: tuple[float, float] = (0.0, 0.0)
        self._warm_thread: threading.Thread | None = None

    # -- model warm-up -------------------------------------------------------------------------
    def start_warm_up(self) -> None:
        """Load the index and the model in the background so the page is usable at once."""
        if self._warm_thread is not None:
            return

        def warm() -> None:
            start = time.perf_counter()
            try:
                self.tutor.warm_up()
            except TutorError as err:
                self.status, self.failed = f"Not ready: {err}", True
                return
            except Exception as err:  # a broken model file must not kill the page
                self.status = f"Not ready: {err.__class__.__name__}: {err}"
                self.failed = True
                return
            self.status = f"Ready (loaded in {time.perf_counter() - start:.0f} s)."
            self.ready = True

        self._warm_thread = threading.Thread(target=warm, name="tutor-warm-up", daemon=True)
        self._warm_thread.start()

    def model_state(self) -> str:
        return self.status

    # -- practice --------------------------------------------------------------------------
    @property
    def practice(self):
        """The shared Practice, created on first use (opening the progress database is quick,
        but a broken bank should only disable the Practice tab, not the app)."""
        with self._practice_lock:
            if self._practice is None and not self._practice_error:
                try:
                    from tutor.quiz.practice import Practice

                    self._practice = Practice(
                        self.settings, llm=SharedModel(self.tutor), embedder=self.tutor._embedder
                    )
                    self._bank_mtimes = self._mtimes()
                except (TutorError, ImportError, OSError, ValueError) as err:
                    self._practice_error = str(err)
            if self._practice is None:
                raise TutorError(f"practice is unavailable: {self._practice_error}")
            return self._practice

    def refresh_bank(self) -> int:
        """Pick up questions appended to the bank since start (it may still be being built);
        returns how many were added."""
        practice = self.practice
        mtimes = self._mtimes()
        if mtimes == self._bank_mtimes:
            return 0

        added = practice.reload_bank()
        self._bank_mtimes = mtimes
        return added

    def _mtimes(self) -> tuple[float, float]:
        from tutor.quiz.bank import bank_path

        generated = self.settings.data_dir / "generated-questions.jsonl"
        return (_mtime(bank_path(self.settings)), _mtime(generated))

    # -- library ---------------------------------------------------------------------------
    def index_changed(self) -> None:
        """After an upload or removal the live index is a new build: drop the tutor's retriever
        so the next question opens it (the next load is quick: the embedder stays loaded)."""
        with self.tutor._load_lock:
            self.tutor._retriever = None
        # Practice caches a question builder holding the old build's Index (deleted by the
        # rebuild); it must open the new one for on-demand generation.
        if self._practice is not None:
            self._practice.index_changed()

    @property
    def embedder(self):
        return self.tutor._embedder


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
