"""Shared fixtures: the real embedder, real Chroma stores in temp dirs, the small real GGUF."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tutor.config import PROJECT_ROOT, Settings, apply_offline_environment

apply_offline_environment()

CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture(scope="session")
def embedder():
    from tutor.embeddings import get_embedder

    return get_embedder()


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def full_settings(tmp_path_factory, model_cache) -> Settings:
    """Settings over the project's real corpus, with the small test model."""
    return Settings.from_env(
        corpus_dir=CORPUS,
        index_dir=tmp_path_factory.mktemp("index"),
        model_cache_dir=model_cache,
        llm_model="small",
        llm_url="",
        max_answer_tokens=48,
    )


@pytest.fixture(scope="session")
def full_index(full_settings, embedder):
    from tutor.store import build_index

    return build_index(full_settings, progress=False, embedder=embedder)


@pytest.fixture(scope="session")
def small_llm(full_settings):
    from tutor.llm import load_chat_model

    return load_chat_model(full_settings, progress=False)


@pytest.fixture(scope="session")
def tutor(full_settings, full_index, embedder, small_llm):
    from tutor import Tutor

    return Tutor(full_settings, llm=small_llm, embedder=embedder)


@pytest.fixture()
def mini_corpus(tmp_path) -> Path:
    """A few real corpus files in a temp dir, small enough to rebuild in seconds."""
    root = tmp_path / "corpus"
    (root / "notes").mkdir(parents=True)
    shutil.copytree(CORPUS / "sheet", root / "sheet")
    for name in ["deployment/sagemaker-model-monitor.md", "data/kinesis-data-firehose.md"]:
        shutil.copy(CORPUS / "notes" / name, root / "notes" / Path(name).name)
    return root


@pytest.fixture()
def mini_settings(tmp_path, mini_corpus, model_cache) -> Settings:
    return Settings.from_env(
        corpus_dir=mini_corpus,
        index_dir=tmp_path / "index",
        model_cache_dir=model_cache,
        llm_model="small",
        llm_url="",
    )
