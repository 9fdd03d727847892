"""The job entrypoint: `python -m augft.cluster.jobs <command> [args...]`.

It runs the same `augft` command line, after the few adjustments a Ray job needs:
- A job runs in a per-job copy of the uploaded working dir, which Ray deletes
  afterwards. With a shared storage root (`cluster.storage` or $AUGFT_STORAGE: a PVC
  or a mounted bucket) the job runs *in* that root, so every relative path (`--data`,
  `--out`, and paths inside overrides such as `train.augmentations=[aug]`) lands on
  shared storage where the next job finds it. `--config` stays relative to the
  working dir (the shipped configs), and the working dir stays importable (PYTHONPATH)
  for any process the stage starts.
- Inside a job Ray sets $RAY_ADDRESS; stages that would start a local Ray join the
  cluster instead (`cluster.address=$RAY_ADDRESS`) unless the config names one.
"""
from __future__ import annotations

import json
import os
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

from augft.cluster.cli import STAGES, StageArgs, parse_stage_args
from augft.core.errors import AugftError

# Stage commands take --config/--data/--out; tools pass their arguments through.
STAGE_COMMANDS = tuple(STAGES)
TOOL_COMMANDS = ("compare",)
JOB_COMMANDS = STAGE_COMMANDS + TOOL_COMMANDS


def entrypoint(command: str, args: Sequence[str] = (), python: str = "python") -> str:
    """The shell command a Ray job runs for `augft <command> <args>`.

    `python` is the interpreter on the cluster's nodes (the image's, or a venv's).
    """
    _check_command(command)
    return shlex.join([python, "-m", "augft.cluster.jobs", command, *map(str, args)])


def _check_command(command: str) -> None:
    if command not in JOB_COMMANDS:
        raise AugftError(f"'{command}' is not a command that runs as a job; "
                         f"choose one of: {', '.join(JOB_COMMANDS)}")


def _override(args: StageArgs, key: str) -> Optional[str]:
    for item in args.overrides:
        k, _, val = item.partition("=")
        if k == key:
            return val
    return None


@dataclass
class JobPlan:
    """What the entrypoint does: run `argv` in `cwd` with `env` added."""

    argv: List[str]
    cwd: Path
    env: Dict[str, str] = field(default_factory=dict)


def plan(argv: Sequence[str], env: Optional[Mapping[str, str]] = None,
         cwd: Optional[Path] = None) -> JobPlan:
    """Work out how to run a job's `<command> [args...]` (see the module doc)."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else Path(cwd)
    argv = [str(a) for a in argv]
    if not argv:
        raise AugftError("usage: python -m augft.cluster.jobs <command> [args...]; "
                         f"commands: {', '.join(JOB_COMMANDS)}")
    command, args = argv[0], argv[1:]
    _check_command(command)
    if command in TOOL_COMMANDS:
        return JobPlan(argv, cwd)
    parsed = parse_stage_args(command, args)
    cfg = None
    if parsed.config:
        from augft.core.config import load_config

        cfg = load_config(cwd / parsed.config)
    root = _override(parsed, "cluster.storage")
    if root is None:
        root = (cfg.cluster.storage if cfg is not None else "") or env.get("AUGFT_STORAGE", "")
    out: List[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        flag, eq, val = a.partition("=")
        if flag == "--config":  # stays relative to the working dir after the chdir
            if not eq:
                val = args[i + 1]
                i += 1
            out += [flag, str(cwd / val) if root else val]
        else:
            out.append(a)
        i += 1
    address = _override(parsed, "cluster.address") or (cfg.cluster.address if cfg is not None else "")
    if env.get("RAY_ADDRESS") and not address:
        out.append(f"cluster.address={env['RAY_ADDRESS']}")
    extra: Dict[str, str] = {}
    run_in = cwd
    if root:
        run_in = Path(root) if Path(root).is_absolute() else cwd / root
        # Processes the stage starts import augft from the working dir too.
        extra["PYTHONPATH"] = os.pathsep.join(p for p in (str(cwd), env.get("PYTHONPATH", "")) if p)
    return JobPlan([command] + out, run_in, extra)


def _submission_id(env: Mapping[str, str]) -> str:
    """The Ray submission id, from the job config Ray hands the driver (or '-')."""
    try:
        meta = json.loads(env.get("RAY_JOB_CONFIG_JSON_ENV_VAR", "{}")).get("metadata") or {}
    except json.JSONDecodeError:
        meta = {}
    return meta.get("job_submission_id", "-")


def main(argv: Optional[List[str]] = None) -> int:
    from augft.cluster.cli import main as cli_main

    try:
        job = plan(sys.argv[1:] if argv is None else argv)
        job.cwd.mkdir(parents=True, exist_ok=True)
    except (AugftError, OSError) as exc:
        print(f"augft: error: {exc}", file=sys.stderr)
        return 2
    os.environ.update(job.env)
    os.chdir(job.cwd)
    import augft.cluster

    code = Path(augft.cluster.__file__).resolve().parents[1]
    print(f"augft job {_submission_id(os.environ)}: augft {shlex.join(job.argv)} (in {job.cwd}; "
          f"augft from {code})", flush=True)
    return cli_main(job.argv)
