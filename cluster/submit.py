"""`augft submit`: run any augft command as a Ray job, stream its logs, return its status.

    augft submit [--address URL] [--working-dir DIR] [--env KEY[=VALUE]] ... <command> [args...]

It wraps the Ray Job Submission SDK: the working dir is uploaded (the job runs
`python -m augft.cluster.jobs <command> [args...]` inside it, see cluster/jobs/entry.py),
this augft's code travels with it as a py_module (cluster/code_snapshot.py),
environment variables such as MLFLOW_TRACKING_URI travel in the runtime env, and the
job driver's CPUs/GPUs come from `cluster.entrypoint_num_cpus/gpus` in the job's own
config. The exit status is the job driver's (0 when it succeeded).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from augft.cluster.cli import parse_stage_args
from augft.cluster.code_snapshot import temp_snapshot
from augft.cluster.jobs.entry import JOB_COMMANDS, STAGE_COMMANDS, entrypoint
from augft.core.errors import AugftError

DEFAULT_ADDRESS = "http://127.0.0.1:8265"
# Forwarded to the job when set here: where to log and where shared files live.
# Credentials are not forwarded (the dashboard shows runtime envs); on a cluster they
# come from Secrets mounted on the pods.
FORWARD_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "AUGFT_STORAGE", "AUGFT_CACHE",
               "HF_HUB_OFFLINE")
# Never uploaded with the working dir: environments, outputs, local tracking stores.
EXCLUDES = [".venv/", ".git/", "out/", "runs/", "demo-out/", "mlruns/", "*.db", "__pycache__/",
            ".pytest_cache/", "*.egg-info/", ".cache/"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="augft submit",
        description="Submit an augft command as a Ray job (Ray Job Submission API), stream its "
                    "logs and exit with the job's status.",
        epilog="example: augft submit --address http://127.0.0.1:8265 train --data D --out T "
               "train.num_workers=4 train.use_gpu=true")
    p.add_argument("--address", default=None,
                   help="Ray dashboard address (default: $RAY_API_SERVER_ADDRESS, $RAY_ADDRESS, "
                        f"else {DEFAULT_ADDRESS})")
    p.add_argument("--working-dir", default=".",
                   help="folder uploaded as the job's working dir (default: the current one)")
    p.add_argument("--no-working-dir", action="store_true",
                   help="upload no working dir (data and configs are on the cluster's shared storage)")
    p.add_argument("--code", choices=("upload", "installed"), default="upload",
                   help="upload: ship this augft's code with the job (default); installed: run the "
                        "augft installed in the cluster's image")
    p.add_argument("--env", action="append", default=[], metavar="KEY[=VALUE]",
                   help="environment variable for the job (KEY alone forwards the local value); "
                        f"forwarded when set: {', '.join(FORWARD_ENV)}")
    p.add_argument("--python", default="python",
                   help="Python interpreter on the cluster's nodes (default: python)")
    p.add_argument("--submission-id", default=None, help="job id (default: augft-<command>-<random>)")
    p.add_argument("--no-wait", action="store_true",
                   help="return after submitting (prints the id; follow with `ray job logs -f ID`)")
    p.add_argument("--timeout", type=float, default=0,
                   help="stop the job after this many seconds (0: no limit)")
    p.add_argument("command", choices=JOB_COMMANDS, metavar="command",
                   help=f"augft command to run: {', '.join(JOB_COMMANDS)}")
    p.add_argument("args", nargs=argparse.REMAINDER, help="its arguments, as for augft")
    return p


def resolve_address(address: Optional[str], env=os.environ) -> str:
    addr = address or env.get("RAY_API_SERVER_ADDRESS") or env.get("RAY_ADDRESS") or DEFAULT_ADDRESS
    if "://" not in addr:
        addr = "http://" + addr
    return addr


def job_env(items: Sequence[str], env=os.environ) -> Dict[str, str]:
    """Forwarded variables plus --env KEY=VALUE / KEY (local value)."""
    out = {k: env[k] for k in FORWARD_ENV if env.get(k)}
    for item in items:
        key, eq, val = item.partition("=")
        if not key or not key.replace("_", "").isalnum():
            raise AugftError(f"--env {item!r}: expected KEY=VALUE or KEY")
        if not eq:
            if key not in env:
                raise AugftError(f"--env {key}: not set here, so there is nothing to forward")
            val = env[key]
        out[key] = val
    return out


def job_config(command: str, args: Sequence[str], working_dir: Optional[Path]):
    """Load the job's config here, so a bad key or value fails before anything is submitted.

    `--config` is relative to the working dir, as it will be inside the job.
    """
    from augft.core.config import load_config

    if command not in STAGE_COMMANDS:
        return load_config(None, [])
    parsed = parse_stage_args(command, args)
    cfg_path: Optional[str | Path] = parsed.config
    if cfg_path and working_dir is not None and not Path(cfg_path).is_absolute():
        cfg_path = working_dir / cfg_path
    return load_config(cfg_path, parsed.overrides)


def runtime_env(working_dir: Optional[Path], env_vars: Dict[str, str],
                code: Optional[Path] = None) -> Dict[str, object]:
    """The job's runtime env: its working dir, environment and (unless the cluster's own augft
    is used) the augft code snapshot as a py_module."""
    renv: Dict[str, object] = {"env_vars": env_vars}
    if working_dir is not None:
        renv["working_dir"] = str(working_dir)
        renv["excludes"] = list(EXCLUDES)
    if code is not None:
        renv["py_modules"] = [str(code)]
    return renv


TERMINAL = ("SUCCEEDED", "FAILED", "STOPPED")


def _status_code(info) -> int:
    status = str(getattr(info.status, "value", info.status))
    if status == "SUCCEEDED":
        return 0
    code = getattr(info, "driver_exit_code", None)
    if status == "STOPPED":
        return code if code else 130
    return code if code else 1


async def _stream(client, job_id: str, out) -> None:
    async for chunk in client.tail_job_logs(job_id):
        out.write(chunk)
        out.flush()


def follow(client, job_id: str, timeout: float = 0, out=None) -> int:
    """Stream a job's logs until it ends; return its exit status (see _status_code)."""
    from ray.job_submission import JobStatus

    out = out or sys.stdout
    try:
        if timeout:
            asyncio.run(asyncio.wait_for(_stream(client, job_id, out), timeout))
        else:
            asyncio.run(_stream(client, job_id, out))
    except asyncio.TimeoutError:
        client.stop_job(job_id)
        print(f"augft submit: job {job_id} ran past --timeout {timeout:g} s; stopped it",
              file=sys.stderr)
    except RuntimeError as exc:  # the log stream dropped; the status below still counts
        print(f"augft submit: log stream ended early ({exc}); waiting for the job", file=sys.stderr)
    # The stream closes when the driver exits; the final status lands a moment later.
    deadline = time.monotonic() + 120
    while True:
        info = client.get_job_info(job_id)
        if info.status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.STOPPED):
            break
        if time.monotonic() > deadline:
            raise AugftError(f"job {job_id} is still {info.status} after its logs ended")
        time.sleep(0.5)
    code = _status_code(info)
    msg = f"augft submit: job {job_id} {info.status.value}"
    if info.status != JobStatus.SUCCEEDED and info.message:
        msg += f": {info.message.strip().splitlines()[-1]}"
    print(msg, file=sys.stderr)
    return code


def _use_token_auth() -> None:
    """Send the Ray auth token when one is configured, as `ray start` does
    ($RAY_AUTH_MODE, $RAY_AUTH_TOKEN, $RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token)."""
    try:
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available,
        )
    except ImportError:  # a Ray without token auth
        return
    maybe_enable_token_auth_if_token_available(warn_if_disabled=False)


def submit(command: str, args: Sequence[str] = (), address: Optional[str] = None,
           working_dir: Optional[str | Path] = ".", env: Optional[Dict[str, str]] = None,
           python: str = "python", submission_id: Optional[str] = None, cfg=None,
           upload_code: bool = True) -> tuple:
    """Submit `augft <command> <args>` as a Ray job; returns (client, submission_id).

    `cfg` (default: the job's own config, loaded here) gives the driver's resources;
    `upload_code` ships this augft with the job (else the cluster's installed one runs).
    """
    from ray.job_submission import JobSubmissionClient

    from augft.cluster.jobs.resources import entrypoint_resources

    wd = None
    if working_dir is not None:
        wd = Path(working_dir).resolve()
        if not wd.is_dir():
            raise AugftError(f"--working-dir {working_dir}: not a folder")
    if cfg is None:
        cfg = job_config(command, args, wd)
    addr = resolve_address(address)
    _use_token_auth()
    try:
        client = JobSubmissionClient(addr)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise AugftError(f"cannot reach the Ray dashboard at {addr} ({exc}); start a cluster "
                         "(ray start --head) or pass --address / set $RAY_ADDRESS") from None
    sid = submission_id or f"augft-{command}-{uuid.uuid4().hex[:8]}"
    code = temp_snapshot() if upload_code else None
    try:
        client.submit_job(
            entrypoint=entrypoint(command, args, python=python),
            submission_id=sid,
            runtime_env=runtime_env(wd, dict(env or {}), code),
            metadata={"augft_command": command},
            **entrypoint_resources(cfg),
        )
    finally:  # Ray has uploaded the snapshot once submit_job returns
        if code is not None:
            shutil.rmtree(code.parent, ignore_errors=True)
    return client, sid


def main(argv: Optional[List[str]] = None) -> int:
    ns = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    env = job_env(ns.env)
    wd = None if ns.no_working_dir else ns.working_dir
    client, sid = submit(ns.command, ns.args, address=ns.address, working_dir=wd, env=env,
                         python=ns.python, submission_id=ns.submission_id,
                         upload_code=ns.code == "upload")
    print(f"augft submit: job {sid} submitted to {resolve_address(ns.address)}", file=sys.stderr)
    if ns.no_wait:
        print(sid)
        return 0
    return follow(client, sid, timeout=ns.timeout)
