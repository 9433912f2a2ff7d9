"""One settings object for the whole tutor, read from TUTOR_* environment variables.

Every knob has a documented default so that `Tutor()` works on a fresh install with no
configuration at all; the README lists the variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "aws-ml-tutor"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aws-ml-tutor"


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Field docs name the environment variable that sets each one."""

    corpus_dir: Path = PROJECT_ROOT / "corpus"  # TUTOR_CORPUS_DIR
    index_dir: Path = PROJECT_ROOT / "index"  # TUTOR_INDEX_DIR
    data_dir: Path = field(default_factory=_default_data_dir)  # TUTOR_DATA_DIR: learner data
    model_cache_dir: Path = field(default_factory=_default_cache_dir)  # TUTOR_MODEL_CACHE_DIR

    # Chat model: "default" (packaged Qwen2.5-Coder-1.5B), "small" (packaged SmolLM2-135M),
    # or a path to any GGUF file.
    llm_model: str = "default"  # TUTOR_LLM_MODEL
    llm_url: str = ""  # TUTOR_LLM_URL: OpenAI-compatible server; overrides llm_model when set
    llm_api_key: str = ""  # TUTOR_LLM_API_KEY
    llm_remote_model: str = "local"  # TUTOR_LLM_REMOTE_MODEL: model name sent to the server
    llm_threads: int = 0  # TUTOR_LLM_THREADS: 0 = number of CPU cores
    llm_context: int = 4096  # TUTOR_LLM_CONTEXT: context window in tokens
    max_answer_tokens: int = 160  # TUTOR_MAX_ANSWER_TOKENS
    temperature: float = 0.1  # TUTOR_TEMPERATURE

    # Retrieval.
    top_k: int = 4  # TUTOR_TOP_K: passages given to the model at most
    candidates: int = 24  # TUTOR_CANDIDATES: hits taken from each retriever before fusion
    context_tokens: int = 260  # TUTOR_CONTEXT_TOKENS: budget for the passages in the prompt
    min_relevance: float = 0.28  # TUTOR_MIN_RELEVANCE: cosine similarity that counts as on topic
    min_coverage: float = 0.55  # TUTOR_MIN_COVERAGE: share of question words the corpus knows
    chunk_chars: int = 1600  # TUTOR_CHUNK_CHARS: target chunk size when a section is long
    chunk_overlap: int = 150  # TUTOR_CHUNK_OVERLAP

    # Chroma server (scaling out); empty means an in-process persistent store under index_dir.
    chroma_url: str = ""  # TUTOR_CHROMA_URL

    # App.
    host: str = "127.0.0.1"  # TUTOR_HOST
    port: int = 7860  # TUTOR_PORT
    max_upload_mb: int = 10  # TUTOR_MAX_UPLOAD_MB: largest personal document accepted

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Build settings from the environment; explicit keyword overrides win."""
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(f"TUTOR_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.name, raw, type(getattr(_DEFAULTS, f.name)))
        values.update(overrides)
        return replace(_DEFAULTS, **values)  # type: ignore[arg-type]


def _coerce(name: str, raw: str, kind: type) -> object:
    try:
        if kind is Path:
            return Path(raw).expanduser()
        if kind is bool:
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        return kind(raw)
    except ValueError as exc:
        from tutor.errors import TutorError

        raise TutorError(
            f"TUTOR_{name.upper()}={raw!r} is not a valid {kind.__name__}",
            f"unset it or give a {kind.__name__} value",
        ) from exc


_DEFAULTS = Settings()


def apply_offline_environment() -> None:
    """Keep every library off the network: the tutor must work on a laptop with no connection."""
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TOKENIZERS_PARALLELISM": "false",
        # Model loading bars from transformers would clutter the CLI's answer output.
        "TRANSFORMERS_VERBOSITY": "error",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }.items():
        os.environ.setdefault(key, value)
    # setdefault would let a stray HF_HUB_OFFLINE=0 through; the offline promise is not optional.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
