"""The `augft` command line.

Every stage command has one shape:
    augft <command> [--config FILE] [--data DIR] [--out DIR] [key=value ...]
The stage functions are imported lazily so `augft --help` is fast and a stage's
heavy dependencies (torch, ray, mlflow) load only when that stage runs.
"""
from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from augft.cluster.cli_help import HELP
from augft.core.errors import AugftError, user_error

# command -> (module:function, help, needs --data)
STAGES: Dict[str, Tuple[str, str, bool]] = {
    "benchmark": ("augft.eval.datasets.api:run_benchmark",
                  "generate a controlled synthetic benchmark (corpus.jsonl, questions.jsonl)", False),
    "augment": ("augft.cluster.augment_command:run_augment",
                "augment a corpus with a model's in-context reasoning (shards + manifest)", True),
    "train": ("augft.train.api:run_train",
              "fine-tune on the corpus plus an augmentation mix (DeepSpeed ZeRO on Ray Train)", True),
    "targets": ("augft.cluster.targets_command:run_targets",
                "teacher targets for context distillation: the model with the documents in context, top-k "
                "log-probabilities per token of every training text", True),
    "eval": ("augft.eval.api:run_eval",
             "score conditions (base, icl, rag, ft, aug_ft, ft+icl, ft+rag, distill) on a multiple-choice test set", True),
    "ingest": ("augft.ingest.api:run_ingest",
               "turn files and folders (md, txt, html, pdf, Document jsonl/parquet) into corpus.jsonl", False),
    "questions": ("augft.cluster.questions_command:run_questions",
                  "build a held-out multiple-choice questions.jsonl from a corpus (forward, reversal, "
                  "inference)", True),
    "run": ("augft.cluster.study:run_study_command",
            "the whole study: benchmark -> augment -> train -> eval -> report, tracked in MLflow", False),
    "sweep": ("augft.cluster.sweep:run_sweep",
              "Ray Tune sweep of the augmentation mix, objective on the validation split", False),
}
# Commands with their own argument parsers: module:function taking argv.
TOOLS: Dict[str, Tuple[str, str]] = {
    "compare": ("augft.tracking.compare:main", "side-by-side table of MLflow runs (conditions x splits)"),
    "plan": ("augft.cluster.plan_command:main", "price a study before running it: tokens, FLOPs, GPU-hours, money, fit"),
    "submit": ("augft.cluster.submit:main", "submit any augft command as a Ray job and stream its logs"),
    "serve": ("augft.augment.serve:main", "vLLM's OpenAI-compatible server for the augmentation model "
              "(augment.engine=openai talks to it)"),
}

DEFAULT_OUT = "out"


class _Parser(argparse.ArgumentParser):
    """Argument errors become AugftError (the CLI prints them and exits 2), so the job
    entrypoint, `augft submit` and the manifest checks can parse a command line without exiting."""

    def error(self, message: str):
        # main() adds the one "augft: error:" prefix; the hint names the command's own help
        raise AugftError(f"{message} (see '{self.prog} --help')")


@dataclass(frozen=True)
class StageArgs:
    """A stage command's arguments as `augft` reads them."""
    command: str
    config: Optional[str]
    data: Optional[str]
    out: Optional[str]
    overrides: Tuple[str, ...]
    paths: Tuple[str, ...] = ()
    """Input files and folders (`augft ingest PATH...`)."""
    force: bool = False
    """`augft questions --force`: replace an existing test set."""
    upstream: Optional[str] = None
    """`augft augment --from DIR`: run the strategy over the records of the augment output DIR."""


def _is_path(item: str) -> bool:
    """An `augft ingest` positional that is a path, not key=value (a URI's query holds '=')."""
    return "=" not in item or "://" in item.split("=", 1)[0]


def _stage_args(ns: argparse.Namespace) -> StageArgs:
    paths = [i for i in ns.overrides if _is_path(i)] if ns.command == "ingest" else []
    overrides = _split_overrides([i for i in ns.overrides if i not in paths])
    if ns.command == "benchmark" and ns.name:
        overrides = [f"benchmark.name={ns.name}"] + overrides
    data = getattr(ns, "data", None)  # benchmark and ingest take no --data
    return StageArgs(ns.command, ns.config, data, ns.out, tuple(overrides), tuple(paths),
                     bool(getattr(ns, "force", False)), getattr(ns, "upstream", None))


def parse_stage_args(command: str, args: Sequence[str]) -> StageArgs:
    """Parse `augft <command> <args>` for a stage command (AugftError on bad arguments)."""
    if command not in STAGES:
        raise AugftError(f"'{command}' is not a stage command; stages: {', '.join(STAGES)}")
    return _stage_args(_parse(build_parser(), [command, *map(str, args)]))


def _parse(parser: argparse.ArgumentParser, argv: List[str]) -> argparse.Namespace:
    """parse_args, except that `augft ingest` takes PATHs and key=value after its options too
    (`augft ingest docs/ --out d ingest.max_tokens=256`): argparse fills a positional list once."""
    ns, extra = parser.parse_known_args(argv)
    if extra and getattr(ns, "command", None) == "ingest" and not any(e.startswith("-") for e in extra):
        ns.overrides = [*ns.overrides, *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return ns


def _load(target: str) -> Callable:
    from augft.cluster.stages import load_entry

    return load_entry(target)


def _stage_parser(sub, name: str, help_: str) -> None:
    h = HELP[name]
    p = sub.add_parser(name, help=help_, description=help_, epilog=f"example:\n  {h.example}",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", help="YAML config file (default: the embedded-default config)")
    if h.data is not None:
        p.add_argument("--data", help=h.data)
    p.add_argument("--out", help=h.out)
    if name == "benchmark":
        p.add_argument("--name", help="benchmark name (same as benchmark.name=...); "
                       "'all' generates every benchmark into subfolders")
    if name == "augment":
        p.add_argument("--from", dest="upstream", metavar="DIR",
                       help="chain: run augment.strategies (one of local, rephrase, qa, reverse) over the records "
                            "kept in DIR, an augft augment output of one strategy, instead of the corpus "
                            "(writes e.g. reverse<compose; see docs/strategies.md)")
    if name == "questions":
        p.add_argument("--force", action="store_true",
                       help="replace a test set augft questions built in --out before")
    if name == "ingest":  # PATH... and key=value share the positionals: a path has no '='
        p.add_argument("overrides", nargs="*", metavar="PATH | key=value",
                       help="files or folders to ingest, and config overrides (ingest.max_tokens=256)")
        return
    p.add_argument("overrides", nargs="*", metavar="key=value",
                   help="config overrides, e.g. train.lr=1e-4 augment.strategies=[local,global]")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("augft")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="augft",
        description="Augmented fine-tuning: augment a corpus with a model's own in-context "
                    "reasoning, fine-tune on it, and compare how each way of customizing a "
                    "model generalizes.")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="debug logging, and a traceback with every error")
    parser.add_argument("--version", action="version", version=f"augft {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    for name, (_, help_, _needs_data) in STAGES.items():
        _stage_parser(sub, name, help_)
    for name, (_, help_) in TOOLS.items():
        p = sub.add_parser(name, help=help_, add_help=False)
        p.add_argument("args", nargs=argparse.REMAINDER)
    cp = sub.add_parser("config", help="print the resolved config (with --explain: every key and its doc)",
                        description="print the resolved config")
    cp.add_argument("--config", help="YAML config file")
    cp.add_argument("--explain", action="store_true", help="list every key with its documentation")
    cp.add_argument("overrides", nargs="*", metavar="key=value")
    return parser


def _split_overrides(items: List[str]) -> List[str]:
    bad = [i for i in items if "=" not in i]
    if bad:
        raise AugftError(f"unexpected argument(s) {bad}: overrides must look like key=value")
    return items


def _config_command(ns: argparse.Namespace) -> int:
    from omegaconf import OmegaConf

    from augft.core.config import field_docs, load_config, to_yaml
    from augft.core.config.load import field_choices

    cfg = load_config(ns.config, _split_overrides(ns.overrides))
    if not ns.explain:
        print(to_yaml(cfg), end="")
        return 0
    choices = field_choices()
    for key, doc in field_docs().items():
        try:
            val = OmegaConf.select(cfg, key)
        except Exception:
            val = None
        if isinstance(val, Enum):
            val = val.value
        shown = "" if OmegaConf.is_config(val) else f" = {val!r}"
        allowed = f"\n    choices: {', '.join(map(str, choices[key]))}" if key in choices else ""
        print(f"{key}{shown}\n    {doc}{allowed}")
    return 0


def _run_stage(sa: StageArgs) -> int:
    from augft.core.config import load_config

    from augft.cluster.preflight import check_models, check_out
    from augft.cluster.remote import input_overrides, local_paths, stage_locations
    from augft.cluster.storage import check_storage

    cfg = load_config(sa.config, sa.overrides)
    target, _, needs_data = STAGES[sa.command]
    # every location may be a URI (s3://...): augment streams it through pyarrow filesystems,
    # the other stages get local copies and publish --out when done (cluster/remote.py)
    place = lambda v: v if "://" in v else Path(v)  # noqa: E731
    data = place(sa.data) if sa.data else None
    if needs_data and data is None:
        raise AugftError(f"augft {sa.command} needs --data: {HELP[sa.command].data}")
    if isinstance(data, Path) and not data.is_dir():
        raise AugftError(f"--data {data}: not a folder")
    out = place(sa.out) if sa.out else Path(DEFAULT_OUT) / sa.command
    if sa.command == "questions" and not sa.out:
        out = data  # the test set goes beside the corpus it was built from
    check_out(out, "--out" if sa.out else "the default --out")
    remote_keys = input_overrides(cfg, sa.command)  # keys naming URIs -> their local copies
    if remote_keys:
        cfg = load_config(sa.config, [*sa.overrides, *remote_keys])
    check_models(cfg, sa.command)
    check_storage(cfg, sa.command, data, out)  # a multi-node Ray cluster needs shared paths
    extra: Dict[str, object] = {"paths": local_paths(cfg, sa.paths)} if sa.command == "ingest" else {}
    if sa.command == "questions":
        extra = {"force": sa.force}
    if sa.upstream:
        extra = {"upstream": Path(sa.upstream)}
    with stage_locations(cfg, sa.command, data, out) as (data, out):
        return int(_load(target)(cfg, data=data, out=out, **extra) or 0)


def run_command(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # Tools parse their own flags (including --help).
    if argv and argv[0] in TOOLS:
        return int(_load(TOOLS[argv[0]][0])(argv[1:]) or 0)
    ns = _parse(parser, argv)
    from augft.core.logs import setup_logging

    setup_logging(ns.verbose)
    if ns.command is None:  # a bare `augft` is a usage error: help on stderr, exit 2
        parser.print_help(sys.stderr)
        return 2
    if ns.command == "config":
        return _config_command(ns)
    return _run_stage(_stage_args(ns))


def _error(message: str, verbose: bool) -> int:
    """The one error path: `augft: error: <message>`, exit 2; the traceback only with -v."""
    if verbose:
        traceback.print_exc()
    print(f"augft: error: {message}", file=sys.stderr)
    return 2


def main(argv: Optional[List[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = bool({"-v", "--verbose"} & set(args[:1]))
    from augft.core.children import Terminated, terminate_as_interrupt

    previous = terminate_as_interrupt()  # SIGTERM cleans up as Ctrl-C does: children killed, one line
    try:
        code = run_command(args)
    except AugftError as exc:
        code = _error(str(user_error(exc) or exc), verbose)
    except OSError as exc:  # permission, a path that is a file, a full disk, a store gone away
        from augft.cluster.preflight import os_error_message

        code = _error(os_error_message(exc), verbose)
    except KeyboardInterrupt as exc:
        if verbose:
            traceback.print_exc()
        how, code = ("terminated", 143) if isinstance(exc, Terminated) else ("interrupted", 130)
        print(f"augft: {how}; rerun the same command to resume (finished work is kept)", file=sys.stderr)
    finally:
        if previous is not None:
            import signal

            signal.signal(signal.SIGTERM, previous)
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
