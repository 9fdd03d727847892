"""The one small engine interface: a batch of prompts in, texts and token counts out.

A request may carry a `prefix` shared with other requests (a global window, an
entity document); engines that can cache it (hf, vLLM prefix caching) compute it
once. Requests are built on the worker that runs the engine (augment.units), so they
never travel through Ray themselves.
"""
from __future__ import annotations

import math

from dataclasses import dataclass, field
from typing import List, Optional, Protocol, Sequence, Tuple

from augft.core.errors import AugftError


@dataclass
class Sampling:
    temperature: float = 0.8
    top_p: float = 0.95
    max_new_tokens: int = 96
    n: int = 1
    stop: List[str] = field(default_factory=list)


@dataclass
class GenRequest:
    id: str
    prompt: str
    prefix: str = ""
    seed: int = 0


@dataclass
class GenResult:
    id: str
    texts: List[str]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: Optional[str] = None


class EngineUnavailable(AugftError):
    """The engine could not answer at all (a server down past its retries), not a problem of one
    prompt: the unit is not written, so the run stops and a rerun of the same command resumes
    it, instead of recording its rows as failed (they would never be generated)."""


def request_n(s: Sampling) -> int:
    """Candidates to ask the engine for. vLLM refuses n > 1 at temperature 0, and greedy
    candidates would all be the same text: one is generated and repeated (`candidates`)."""
    return 1 if float(s.temperature) == 0.0 else int(s.n)


def candidates(texts: List[str], s: Sampling) -> List[str]:
    """`n` texts per request, as every engine returns them (greedy: the one text n times)."""
    return texts * int(s.n) if float(s.temperature) == 0.0 and len(texts) == 1 else texts


def prompt_ids(tok, r: GenRequest) -> List[int]:
    """The token ids an engine gives the model for `r`, as the hf engine builds them: the shared
    prefix with the tokenizer's special tokens and the rest without (so every prompt of a window
    starts with the same ids, which prefix caches match), or the prompt alone with them.
    Tokenising prefix + prompt as one text would merge tokens across the seam, and greedy texts
    would differ between engines."""
    if r.prefix:
        return tok(r.prefix, add_special_tokens=True)["input_ids"] + tok(r.prompt, add_special_tokens=False)["input_ids"]
    return tok(r.prompt, add_special_tokens=True)["input_ids"]


def pair_ids(tok, context: str, continuation: str) -> Tuple[List[int], List[int]]:
    """(context ids, continuation ids) for scoring, the continuation tokenised on its own."""
    return (tok(context, add_special_tokens=True)["input_ids"],
            tok(continuation, add_special_tokens=False)["input_ids"])


class Engine(Protocol):
    name: str
    model_name: str

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> List[GenResult]:
        """One result per request, in order; `n` texts each unless `error` is set."""

    def close(self) -> None: ...

    def yes_probability(self, prompts: Sequence[str]) -> List[float]:
        """For each prompt ending in a yes/no question: P(" Yes") / (P(" Yes") + P(" No")) as the
        next token (the self-verification filter, augment.verify_method=yes_no)."""

    def continuation_logprobs(self, pairs: Sequence[Tuple[str, str]]) -> List[List[float]]:
        """For each (context, continuation): the log-probability of each continuation token after
        the context (the self-verification filter, augment.verify_method=pmi)."""


def yes_from_continuations(engine, prompts: Sequence[str]) -> List[float]:
    """P(" Yes") / (P(" Yes") + P(" No")) as the next token, from the exact log-probabilities of
    both words' first tokens (top-k log-probabilities would miss them where the model ranks
    neither high); for engines that score continuations (vllm, openai)."""
    lps = engine.continuation_logprobs([(p, w) for p in prompts for w in (" Yes", " No")])
    out = []
    for yes, no in zip(lps[0::2], lps[1::2]):
        y, n = math.exp(yes[0]), math.exp(no[0])
        out.append(y / (y + n))
    return out


def make_engine(cfg) -> Engine:
    """Build the configured engine in this process (inside a Ray actor for pipelines)."""
    from augft.core.models import with_name

    name = cfg.augment.engine
    model = with_name(cfg.model, cfg.augment.get("model", ""))  # the teacher (augment.model)
    if name == "hf":
        from augft.augment.engines.hf import HFEngine

        return HFEngine(model, batch_size=int(cfg.augment.batch_size))
    if name == "openai":
        from augft.augment.engines.openai import OpenAIEngine, served_tokenizer

        o = cfg.augment.openai
        return OpenAIEngine(o, model=o.model or model.name, tokenizer=served_tokenizer(o, model))
    if name == "vllm":
        from augft.augment.engines.vllm import VLLMEngine

        return VLLMEngine(model, cfg.augment.vllm, int(cfg.seed))
    raise AugftError(f"augment.engine: unknown engine '{name}' here; choose hf, vllm or openai "
                     "(auto is resolved before engines are built)")
