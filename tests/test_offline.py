"""A question end to end with every non-local network connection refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from tutor.config import PROJECT_ROOT

GUARD = textwrap.dedent(
    """
    import socket, sys, json
    attempts = []
    real_connect = socket.socket.connect
    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if self.family == socket.AF_UNIX or host in ("127.0.0.1", "::1", "localhost"):
            return real_connect(self, address)
        attempts.append(str(address))
        raise OSError("network disabled by test")
    socket.socket.connect = guarded
    real_getaddrinfo = socket.getaddrinfo
    def no_dns(host, *a, **k):
        if host not in ("127.0.0.1", "::1", "localhost", None):
            attempts.append(f"dns:{host}")
            raise socket.gaierror("dns disabled by test")
        return real_getaddrinfo(host, *a, **k)
    socket.getaddrinfo = no_dns

    from pathlib import Path
    from tutor import Tutor, Settings
    from tutor.store import build_index
    corpus, index, cache = (Path(p) for p in sys.argv[1:4])
    settings = Settings.from_env(corpus_dir=corpus, index_dir=index, model_cache_dir=cache,
                                 llm_model="small", llm_url="", max_answer_tokens=24)
    build_index(settings, progress=False)
    answer = Tutor(settings).ask("Which SageMaker feature detects data drift?")
    print(json.dumps({"attempts": attempts, "text": answer.text}))
    """
)


def test_question_runs_with_network_blocked(mini_corpus, tmp_path, model_cache):
    env = {
        k: v for k, v in os.environ.items() if k not in {"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"}
    }  # the package must set them
    out = subprocess.run(
        [sys.executable, "-c", GUARD, str(mini_corpus), str(tmp_path / "idx"), str(model_cache)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["text"]
    assert result["attempts"] == []
