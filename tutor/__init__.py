"""Offline exam tutor for AWS Certified Machine Learning – Specialty (MLS-C01)."""

from tutor.config import Settings, apply_offline_environment

apply_offline_environment()

from tutor.chat import Answer, Tutor  # noqa: E402
from tutor.citations import Citation  # noqa: E402
from tutor.errors import TutorError  # noqa: E402

__all__ = ["Answer", "Citation", "Settings", "Tutor", "TutorError"]
