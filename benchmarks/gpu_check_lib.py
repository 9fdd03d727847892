"""The parts of `make gpu-check` (benchmarks/gpu_check.py): a model and tokenizer built from a
config with no download, a synthetic corpus, and the export, scoring and generation checks.

Everything here runs on what a bare GPU machine has (torch, transformers, accelerate, peft,
pyarrow) plus the wheels `make gpu-wheels` carries (augft, DeepSpeed and its pure-Python
dependencies, OmegaConf); tests/benchmarks/test_gpu_check.py checks that import closure.
"""
from __future__ import annotations

import itertools
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence

SPECIALS = ["<unk>", "<|endoftext|>", "<pad>"]


@dataclass(frozen=True)
class Size:
    """One scale of the check: `full` for a GPU (~0.45B Llama, 1024-token blocks), `tiny` for
    the CPU path that runs in `make test`."""
    vocab: int
    dims: Dict[str, int]
    block: int
    micro: int
    steps: int
    docs: int
    questions: int
    icl_tokens: int
    gen_tokens: int
    gen_batches: tuple = (1, 8, 64)


SIZES = {
    # ~0.45B parameters: the shape of a small Llama/Qwen2 (GQA 12:4 heads of 128 dims).
    "full": Size(vocab=32000, dims=dict(hidden_size=1536, intermediate_size=4096, num_hidden_layers=16,
                                        num_attention_heads=12, num_key_value_heads=4,
                                        max_position_embeddings=4096),
                 block=1024, micro=8, steps=20, docs=6000, questions=64, icl_tokens=2048, gen_tokens=64),
    "tiny": Size(vocab=512, dims=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512),
                 block=64, micro=2, steps=3, docs=120, questions=12, icl_tokens=96, gen_tokens=4),
}


def words(n: int) -> List[str]:
    """`n` distinct pronounceable nonsense words (three syllables), the same on every machine."""
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    return ["".join(w) for w in itertools.islice(itertools.product(syllables, repeat=3), n)]


def build_tokenizer(vocab: int):
    """A word-level tokenizer whose every id is a word: the model can emit any id and it decodes."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    table = {w: i for i, w in enumerate(SPECIALS + words(vocab - len(SPECIALS)))}
    tok = Tokenizer(models.WordLevel(table, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<|endoftext|>",
                                   eos_token="<|endoftext|>", pad_token="<pad>")


def build_model(dst: Path, size: Size, dtype: str) -> int:
    """A randomly initialised Llama from a config (seed 0) with its tokenizer, saved as
    safetensors in `dst`; returns the parameter count."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = build_tokenizer(size.vocab)
    config = LlamaConfig(vocab_size=size.vocab, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                         pad_token_id=tok.pad_token_id, tie_word_embeddings=True, **size.dims)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).to(getattr(torch, dtype))
    model.save_pretrained(dst, safe_serialization=True)
    tok.save_pretrained(dst)
    return sum(p.numel() for p in model.parameters())


def write_corpus(dst: Path, size: Size, seed: int = 0) -> Path:
    """`corpus.jsonl` of documents of 4-12 sentences of 6-16 words from the tokenizer's words."""
    rng = random.Random(seed)
    vocab = words(size.vocab - len(SPECIALS))
    dst.mkdir(parents=True, exist_ok=True)
    with open(dst / "corpus.jsonl", "w") as fh:
        for i in range(size.docs):
            sentences = [" ".join(rng.choices(vocab, k=rng.randint(6, 16))) + " ." for _ in range(rng.randint(4, 12))]
            fh.write(json.dumps({"id": f"doc{i:05d}", "text": " ".join(sentences)}) + "\n")
    return dst


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def export_matches_checkpoint(model_dir: Path, checkpoint: Path, device: str, n_tokens: int) -> dict:
    """Logits of the exported (and reloaded) model against the model rebuilt from the ZeRO
    checkpoint's fp32 master weights, cast to the exported dtype: the two paths share nothing
    but the trained values, so equal logits mean the export gathered every shard correctly."""
    import torch
    from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint
    from transformers import AutoConfig, AutoModelForCausalLM

    # dtype=auto: the dtype the export saved (bf16 after bf16 training), not a float32 upcast
    exported = AutoModelForCausalLM.from_pretrained(model_dir, dtype="auto", use_safetensors=True).to(device).eval()
    dtype = next(exported.parameters()).dtype
    state = get_fp32_state_dict_from_zero_checkpoint(str(checkpoint), tag="ds")
    rebuilt = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(model_dir), dtype=dtype)
    missing, unexpected = rebuilt.load_state_dict({k: v.to(dtype) for k, v in state.items()}, strict=False)
    rebuilt.tie_weights()
    rebuilt = rebuilt.to(device).eval()
    ids = torch.randint(len(SPECIALS), exported.config.vocab_size, (2, n_tokens),
                        generator=torch.Generator().manual_seed(1)).to(device)
    with torch.inference_mode():
        a, b = exported(input_ids=ids).logits.float(), rebuilt(input_ids=ids).logits.float()
    diff = float((a - b).abs().max())
    scale = float(a.abs().max())
    same_argmax = bool(torch.equal(a.argmax(-1), b.argmax(-1)))
    missing = [k for k in missing if "lm_head" not in k]
    return {"max_abs_logit_diff": diff, "max_abs_logit": scale, "same_argmax": same_argmax,
            "missing_keys": missing[:5], "unexpected_keys": list(unexpected)[:5], "dtype": str(dtype),
            "ok": same_argmax and diff <= 1e-3 * max(scale, 1.0) and not missing and not unexpected}


def questions(size: Size, seed: int = 2):
    """Multiple-choice questions of random words: prompts of 4-24 tokens, 4 choices of 1-4."""
    from augft.eval.encoding import EncodedQuestion

    rng = random.Random(seed)
    lo, hi = len(SPECIALS), size.vocab - 1
    return [EncodedQuestion([rng.randint(lo, hi) for _ in range(rng.randint(4, 24))],
                            [[rng.randint(lo, hi) for _ in range(rng.randint(1, 4))] for _ in range(4)])
            for _ in range(size.questions)]


def _plain_logprob(model, prompt: Sequence[int], choice: Sequence[int], device: str) -> float:
    """One unpacked forward of prompt + choice: the reference eval's packed scoring must match."""
    import torch

    ids = torch.tensor([list(prompt) + list(choice)], device=device)
    with torch.inference_mode():
        logp = model(input_ids=ids).logits[0].float().log_softmax(-1)
    at = torch.arange(len(prompt) - 1, len(prompt) + len(choice) - 1, device=device)
    return float(logp[at, torch.tensor(choice, device=device)].sum())


def _agreement(a: List[List[float]], b: List[List[float]], margin: float) -> dict:
    """Same prediction per question, except where the reference's top two are within `margin`
    nats (a tie that rounding may break either way); counts both."""
    same = near = 0
    for x, y in zip(a, b):
        top = sorted(y, reverse=True)
        if max(range(len(x)), key=x.__getitem__) == max(range(len(y)), key=y.__getitem__):
            same += 1
        elif top[0] - top[1] <= margin:
            near += 1
    diff = max(abs(p - q) for x, y in zip(a, b) for p, q in zip(x, y))
    return {"questions": len(a), "same_predictions": same, "near_ties": near, "max_abs_diff": diff,
            "ok": same + near == len(a)}


def scoring_check(lm, size: Size) -> dict:
    """eval's scorer on the device: base (packed batches) against one plain forward per choice,
    and ICL with the shared context's KV cache computed once against recomputed per question."""
    import torch

    from augft.eval.scoring import Scorer

    qs, dev = questions(size), lm.device
    margin = 0.05 if lm.dtype != torch.float32 else 1e-4  # bf16 rounding of a sum of log-probs
    scorer = Scorer(lm.model)
    t = time.perf_counter()
    base = scorer.score(qs, batch_size=16)
    _sync(dev)
    base_s = time.perf_counter() - t
    plain = [[_plain_logprob(lm.model, q.prompt, c, dev) for c in q.choices] for q in qs]
    out = {"base": {**_agreement([[c.logprob for c in s] for s in base], plain, margin), "s": base_s}}
    rng = random.Random(3)
    ctx = [rng.randint(len(SPECIALS), size.vocab - 1) for _ in range(size.icl_tokens)]
    timed = {}
    for reuse in (True, False):
        t = time.perf_counter()
        timed[reuse] = scorer.score(qs, batch_size=16, context_ids=ctx, reuse_cache=reuse)
        _sync(dev)
        timed[f"{reuse}_s"] = time.perf_counter() - t
    icl = _agreement(*[[[c.logprob for c in s] for s in timed[r]] for r in (True, False)], margin)
    out["icl"] = {**icl, "context_tokens": len(ctx), "reuse_s": timed["True_s"], "recompute_s": timed["False_s"],
                  "speedup": timed["False_s"] / max(timed["True_s"], 1e-9)}
    return out


def generation_check(lm, size: Size) -> List[dict]:
    """The hf engine generating greedily at each batch size: tokens/s of completion tokens."""
    from types import SimpleNamespace

    from augft.augment.engines.base import GenRequest, Sampling
    from augft.augment.engines.hf import HFEngine

    vocab = words(size.vocab - len(SPECIALS))
    rng = random.Random(4)
    rows = []
    for b in (1,) + tuple(size.gen_batches):  # the first batch-1 call warms up kernels; not reported
        engine = HFEngine(SimpleNamespace(name=str(lm.path)), batch_size=b, share_prefix=False, loaded=lm)
        reqs = [GenRequest(id=f"g{i}", prompt=" ".join(rng.choices(vocab, k=16))) for i in range(b)]
        t = time.perf_counter()
        res = engine.generate(reqs, Sampling(temperature=0.0, max_new_tokens=size.gen_tokens))
        _sync(lm.device)
        dt = time.perf_counter() - t
        tokens = sum(r.completion_tokens for r in res)
        rows.append({"batch": b, "tokens": tokens, "s": dt, "tokens_per_s": tokens / dt if dt > 0 else 0.0,
                     "ok": len(res) == b and all(r.texts and r.error is None for r in res)})
    return rows[1:]
