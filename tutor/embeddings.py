"""The packaged all-MiniLM-L6-v2 sentence embedder, loaded once per process."""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np

from tutor.config import apply_offline_environment
from tutor.models import EMBEDDING_NAME, embedding_model_dir


class Embedder:
    """Thin wrapper so the rest of the code never imports sentence-transformers (5 s import)."""

    name = EMBEDDING_NAME

    def __init__(self) -> None:
        apply_offline_environment()
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(embedding_model_dir()), device="cpu")
        self._lock = threading.Lock()  # torch inference is not guaranteed re-entrant

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, so cosine similarity is a dot product."""
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


@lru_cache(maxsize=1)
def get_embedder() -> Embedder:
    return Embedder()
