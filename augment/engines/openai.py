"""Engine for any OpenAI-compatible completions server (vllm serve, llama.cpp server).

Bounded concurrency (a thread pool of `concurrency`), retries with exponential
backoff and jitter on 429, 5xx, timeouts and connection errors, and a per-row
error in the result when retries run out: a row is never dropped.
"""
from __future__ import annotations

import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Sequence

from augft.augment.engines.base import GenRequest, GenResult, Sampling
from augft.core.errors import AugftError

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


def check_endpoint(url: str, timeout: float = 5.0) -> None:
    """Fail fast, before any work, when the server cannot be reached."""
    import requests

    try:
        requests.get(url.rstrip("/") + "/v1/models", timeout=timeout)
    except requests.RequestException as exc:
        raise AugftError(f"augment.openai.url: cannot reach {url} ({type(exc).__name__}); "
                         "is the server running?") from None


class OpenAIEngine:
    name = "openai"

    def __init__(self, ocfg, model: str):
        import requests

        self.url = ocfg.url.rstrip("/") + "/v1/completions"
        self.model_name = model
        self.concurrency = max(1, int(ocfg.concurrency))
        self.max_retries = int(ocfg.max_retries)
        self.backoff_s = float(ocfg.backoff_s)
        self.timeout_s = float(ocfg.timeout_s)
        key = os.environ.get(ocfg.api_key_env, "") if ocfg.api_key_env else ""
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.session = requests.Session()
        self.retries = 0  # total retries made, for the manifest/tests

    def close(self) -> None:
        self.session.close()

    def _one(self, r: GenRequest, s: Sampling) -> GenResult:
        import requests

        body = {"model": self.model_name, "prompt": r.prefix + r.prompt, "n": s.n,
                "temperature": s.temperature, "top_p": s.top_p, "max_tokens": s.max_new_tokens,
                "seed": r.seed}
        if s.stop:
            body["stop"] = list(s.stop)[:4]  # the OpenAI API accepts at most 4
        last = ""
        rng = random.Random(r.seed)
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.retries += 1
                time.sleep(self.backoff_s * (2 ** (attempt - 1)) * (0.5 + rng.random()))
            try:
                resp = self.session.post(self.url, json=body, headers=self.headers,
                                         timeout=self.timeout_s)
            except (requests.Timeout, requests.ConnectionError) as exc:
                last = f"{type(exc).__name__}"
                continue
            if resp.status_code in RETRY_STATUS:
                last = f"HTTP {resp.status_code}"
                continue
            if resp.status_code != 200:
                return GenResult(id=r.id, texts=[], error=f"HTTP {resp.status_code}: {resp.text[:200]}")
            try:
                data = resp.json()
                choices = sorted(data["choices"], key=lambda c: c.get("index", 0))
                usage: Dict = data.get("usage") or {}
                return GenResult(id=r.id, texts=[c["text"] for c in choices],
                                 prompt_tokens=int(usage.get("prompt_tokens", 0)),
                                 completion_tokens=int(usage.get("completion_tokens", 0)))
            except (ValueError, KeyError, TypeError) as exc:
                return GenResult(id=r.id, texts=[], error=f"bad response: {exc}")
        return GenResult(id=r.id, texts=[], error=f"gave up after {self.max_retries} retries: {last}")

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> List[GenResult]:
        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(lambda r: self._one(r, sampling), requests))
