"""Packaged models: found offline, assembled once, verified, and refused when corrupt."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys

import pytest

from tutor.config import Settings
from tutor.errors import TutorError
from tutor.models import PackagedModel, check_gguf, prepare_packaged, resolve_llm_path


def test_small_model_resolves_and_is_verified(model_cache):
    path = resolve_llm_path(
        Settings.from_env(llm_model="small", model_cache_dir=model_cache), progress=False
    )
    assert path.name.endswith(".gguf") and path.stat().st_size == 98_362_432
    assert (model_cache / "SmolLM2-135M-Instruct.Q4_1.gguf.verified.json").is_file()


def _fake_split_model(tmp_path, monkeypatch, payload: bytes, sha: str) -> PackagedModel:
    """Two real importable packages on sys.path, each holding half of a GGUF-looking file."""
    site = tmp_path / "site"
    halves = [payload[: len(payload) // 2], payload[len(payload) // 2 :]]
    for i, half in enumerate(halves, 1):
        pkg = site / f"fake_model_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(half)
    monkeypatch.syspath_prepend(str(site))
    for i in (1, 2):
        sys.modules.pop(f"fake_model_part{i}", None)
    return PackagedModel(
        "fake",
        "fake.gguf",
        len(payload),
        sha,
        tuple((f"fake_model_part{i}", f"data/part{i:02d}.bin") for i in (1, 2)),
    )


def test_split_model_is_assembled_and_checked(tmp_path, monkeypatch):
    payload = b"GGUF" + bytes(range(256)) * 40
    model = _fake_split_model(tmp_path, monkeypatch, payload, hashlib.sha256(payload).hexdigest())
    path = prepare_packaged(model, tmp_path / "cache", progress=False)
    assert path.read_bytes() == payload
    assert prepare_packaged(model, tmp_path / "cache", progress=False) == path  # stamp reused


def _prepare(model: PackagedModel, cache) -> tuple[str, bytes]:
    path = prepare_packaged(model, cache, progress=False)
    return str(path), hashlib.sha256(path.read_bytes()).digest()


def test_processes_starting_together_share_one_assembly(tmp_path, monkeypatch):
    """Build shards (or the app and a CLI command) started at once used to assemble into the
    same temporary file; the loser's rename failed and the command died."""
    payload = b"GGUF" + os.urandom(48 << 20)
    digest = hashlib.sha256(payload).digest()
    model = _fake_split_model(tmp_path, monkeypatch, payload, digest.hex())
    cache = tmp_path / "cache"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        results = pool.starmap(_prepare, [(model, cache)] * 4)
    assert set(results) == {(str(cache / "fake.gguf"), digest)}
    assert [p.name for p in cache.iterdir() if p.name.endswith(".partial")] == []


def test_tampered_split_model_is_refused_and_removed(tmp_path, monkeypatch):
    payload = b"GGUF" + b"x" * 1000
    model = _fake_split_model(tmp_path, monkeypatch, payload, "0" * 64)
    with pytest.raises(TutorError, match="corrupt"):
        prepare_packaged(model, tmp_path / "cache", progress=False)
    assert not (tmp_path / "cache" / "fake.gguf").exists()


def test_missing_part_names_the_package(tmp_path):
    model = PackagedModel(
        "absent", "absent.gguf", 1, "0" * 64, (("no_such_model_part1", "data/part01.bin"),)
    )
    with pytest.raises(TutorError, match="no-such-model-part1"):
        prepare_packaged(model, tmp_path, progress=False)


def test_custom_path_must_be_a_gguf(tmp_path):
    with pytest.raises(TutorError, match="does not exist"):
        check_gguf(tmp_path / "nope.gguf")
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(TutorError, match="not a GGUF"):
        check_gguf(bad)


def test_corrupt_gguf_with_valid_magic_fails_cleanly(tmp_path):
    from tutor.llm import LlamaCppModel

    bad = tmp_path / "truncated.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 64)
    with pytest.raises(TutorError, match="could not load"):
        LlamaCppModel(bad)
