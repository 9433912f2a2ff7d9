"""The one exception type the tutor raises for problems a learner can fix."""

from __future__ import annotations


class TutorError(Exception):
    """A problem explained in one line, with what to run or change to fix it."""

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} — {fix}" if fix else problem)
