"""Engine for any OpenAI-compatible completions server (vllm serve, llama.cpp server).

Bounded concurrency (a thread pool of `concurrency`); retries by tenacity on 429, 5xx,
timeouts and connection errors, waiting what the server's `Retry-After` header asks for, else
exponential backoff with jitter. When the retries run out the server is gone, not the prompt:
`EngineUnavailable` stops the run before the unit is written, so a rerun generates it (a row
recorded as failed would never be generated). A prompt the server refuses (HTTP 400: too long,
bad parameters) is a per-row error, counted as failed. Greedy candidates are one request
repeated, as vLLM refuses n > 1 at temperature 0. The API takes at most 4 stop strings: the
server gets the first 4 and the texts are cut at the others here, so every engine stops alike.
Where the server runs augft's own model, prompts go as token ids built as the other engines
build them (`augment.openai.token_ids`), so the served model sees the same tokens.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from typing import Dict, List, Optional, Sequence, Tuple

import tenacity

from augft.augment.engines.base import (EngineUnavailable, GenRequest, GenResult, Sampling, candidates,
                                         pair_ids, prompt_ids, request_n, yes_from_continuations)
from augft.core.errors import AugftError

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
MAX_RETRY_AFTER_S = 120.0
MAX_STOPS = 4  # the OpenAI completions API's limit


def cut_at_stops(text: str, stops: Sequence[str]) -> str:
    """`text` up to the first of `stops` (excluded), as a server ends a text at a stop string."""
    ends = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return text[:min(ends)] if ends else text


class Retryable(Exception):
    """A failure worth retrying; `retry_after` is the server's requested wait, if it sent one."""

    def __init__(self, reason: str, retry_after: Optional[float] = None):
        super().__init__(reason)
        self.retry_after = retry_after


def retry_after_seconds(value: Optional[str]) -> Optional[float]:
    """A `Retry-After` header in seconds (it may be a number or an HTTP date); None if absent."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import datetime, timezone

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


class WaitRetryAfter(tenacity.wait.wait_base):
    """Wait what the server asked for (capped), else the fallback backoff."""

    def __init__(self, fallback):
        self.fallback = fallback

    def __call__(self, retry_state) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER_S)
        return self.fallback(retry_state)


def check_endpoint(url: str, timeout: float = 5.0) -> None:
    """Fail fast, before any work, when the server cannot be reached."""
    import requests

    try:
        requests.get(url.rstrip("/") + "/v1/models", timeout=timeout)
    except requests.RequestException as exc:
        raise AugftError(f"augment.openai.url: cannot reach {url} ({type(exc).__name__}); "
                         "is the server running?") from None


def served_tokenizer(ocfg, model_cfg):
    """The tokenizer to build token-id prompts with, or None to send text (augment.openai.token_ids:
    unset means ids when the server runs augft's own model and its tokenizer is here)."""
    from augft.core.models import ModelError, load_tokenizer

    want = ocfg.token_ids
    if want is False or (want is None and ocfg.model):
        return None
    try:
        return load_tokenizer(model_cfg.name, model_cfg.cache_dir, bool(model_cfg.trust_remote_code))
    except ModelError as exc:
        if want:
            raise AugftError(f"augment.openai.token_ids: no tokenizer for {model_cfg.name} here ({exc}); "
                             "unset it to send text") from None
        return None


class OpenAIEngine:
    name = "openai"

    def __init__(self, ocfg, model: str, tokenizer=None):
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
        self._lock = threading.Lock()
        self._gone: Optional[EngineUnavailable] = None  # set when one call of a batch gives up
        self.tok = tokenizer  # None: prompts go as text

    def close(self) -> None:
        self.session.close()

    def _count_retry(self, retry_state) -> None:
        with self._lock:
            self.retries += 1

    def _send(self, body: Dict):
        """One try; Retryable for what a retry may cure."""
        import requests

        try:
            resp = self.session.post(self.url, json=body, headers=self.headers, timeout=self.timeout_s)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise Retryable(type(exc).__name__) from None
        if resp.status_code in RETRY_STATUS:
            raise Retryable(f"HTTP {resp.status_code}", retry_after_seconds(resp.headers.get("Retry-After")))
        return resp

    def _call(self, body: Dict):
        """The server's response (any status but the retried ones); EngineUnavailable once the
        retries run out."""
        if self._gone is not None:
            raise self._gone  # another prompt of this batch found the server gone: send nothing
        backoff = tenacity.wait_exponential_jitter(initial=self.backoff_s, max=60.0, jitter=self.backoff_s)
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_retries + 1), wait=WaitRetryAfter(backoff),
            retry=tenacity.retry_if_exception_type(Retryable), before_sleep=self._count_retry, reraise=True)
        try:
            return retrying(self._send, body)
        except Retryable as exc:
            self._gone = EngineUnavailable(
                f"augment.openai.url: {self.url} gave up after {self.max_retries} retries ({exc}); "
                "this unit was not written: rerun the same command to resume once the server "
                "answers (or raise augment.openai.max_retries / backoff_s)")
            raise self._gone from None

    def _one(self, r: GenRequest, s: Sampling) -> GenResult:
        prompt = prompt_ids(self.tok, r) if self.tok is not None else r.prefix + r.prompt
        body: Dict[str, object] = {"model": self.model_name, "prompt": prompt, "n": request_n(s),
                "temperature": s.temperature, "top_p": s.top_p, "max_tokens": s.max_new_tokens,
                "seed": r.seed}
        if s.stop:
            body["stop"] = list(s.stop)[:MAX_STOPS]
        resp = self._call(body)
        if resp.status_code != 200:
            return GenResult(id=r.id, texts=[], error=f"HTTP {resp.status_code}: {resp.text[:200]}")
        try:
            data = resp.json()
            choices = sorted(data["choices"], key=lambda c: c.get("index", 0))
            usage: Dict = data.get("usage") or {}
            texts = [cut_at_stops(c["text"], s.stop[MAX_STOPS:]) for c in choices]
            return GenResult(id=r.id, texts=candidates(texts, s),
                             prompt_tokens=int(usage.get("prompt_tokens", 0)),
                             completion_tokens=int(usage.get("completion_tokens", 0)))
        except (ValueError, KeyError, TypeError) as exc:
            return GenResult(id=r.id, texts=[], error=f"bad response: {exc}")

    def _continuation_one(self, pair: Tuple[str, str]) -> List[float]:
        context, cont = pair
        ids = pair_ids(self.tok, context, cont) if self.tok is not None else None
        body: Dict[str, object] = {"model": self.model_name, "prompt": ids[0] + ids[1] if ids else context + cont,
                "max_tokens": 1, "temperature": 0.0, "echo": True, "logprobs": 0}
        resp = self._call(body)
        if resp.status_code != 200:
            raise AugftError(f"augment.openai.url: {self.url} refused a scoring request "
                             f"(HTTP {resp.status_code}: {resp.text[:200]})")
        lp = resp.json()["choices"][0]["logprobs"]
        if ids:  # one log-probability per prompt token, then the generated one
            return list(lp["token_logprobs"][len(ids[0]):len(ids[0]) + len(ids[1])])
        end = len(context) + len(cont)  # the echoed prompt, without the one generated token
        return [v for off, v in zip(lp["text_offset"], lp["token_logprobs"])
                if len(context) <= off < end and v is not None]

    def continuation_logprobs(self, pairs: Sequence[Tuple[str, str]]) -> List[List[float]]:
        """From the server's echoed prompt log-probabilities (completions API, echo=true): the
        tokens that start inside the continuation."""
        return self._map(self._continuation_one, pairs)

    def yes_probability(self, prompts: Sequence[str]) -> List[float]:
        """From the echoed log-probabilities of " Yes" and " No" after each prompt (exact, where
        the server's top-k might rank neither)."""
        return yes_from_continuations(self, prompts)

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> List[GenResult]:
        return self._map(lambda r: self._one(r, sampling), requests)

    def _map(self, fn, items: Sequence) -> List:
        """`fn` over a batch, `concurrency` at a time, in order."""
        self._gone = None  # a restarted server gets every new batch
        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(fn, items))
