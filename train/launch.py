"""Run the training loop without Ray: `python -m augft.train.launch OUT/plan.json`.

Usable under torchrun (`torchrun --nproc_per_node N -m augft.train.launch PLAN`), under the
deepspeed launcher (which adds --local_rank), or alone as one process.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from augft.core.children import die_with_parent, run_owned, watch_owner
from augft.core.errors import AugftError
from augft.core.io import free_port
from augft.train.checkpoints import ERROR_NOTE, worker_error


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m augft.train.launch", description=__doc__)
    p.add_argument("plan", help="plan.json written by `augft train` (train.api.prepare)")
    p.add_argument("--local_rank", "--local-rank", type=int, default=None,
                   help="set by the deepspeed launcher")
    args = p.parse_args(argv)
    if "TORCHELASTIC_RUN_ID" in os.environ:  # started by torchrun's agent
        # torchrun starts each worker in its own session, so killing the launcher would leave
        # workers training (and writing checkpoints) on their own: die with it, and with augft
        die_with_parent()
        watch_owner()
    if args.local_rank is not None:
        os.environ.setdefault("LOCAL_RANK", str(args.local_rank))
    from augft.train.loop import run_worker
    from augft.train.plan import WorkerPlan

    try:
        run_worker(WorkerPlan.from_json(Path(args.plan)))
    except AugftError as exc:  # one line (the launcher reports it), not a traceback per rank
        print(f"augft train worker: error: {exc}", file=sys.stderr)
        return 2
    return 0


def agent(argv) -> int:
    """torchrun (`python -m augft.train.launch --torchrun <torchrun args>`), except that a failed
    worker is one line: the worker said why, and torchrun's own traceback would bury it."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import get_args_parser, run

    try:
        run(get_args_parser().parse_args(argv))
    except ChildFailedError as exc:
        rank, failure = exc.get_first_failure()
        print(f"augft train: worker rank {rank} failed (exit code {failure.exitcode})", file=sys.stderr)
        return 1
    return 0


def launch_torchrun(plan_path: Path, num_workers: int) -> None:
    """Start `num_workers` local processes with torchrun and wait for them."""
    cmd = [sys.executable, "-m", "augft.train.launch", "--torchrun", f"--nproc_per_node={num_workers}",
           "--nnodes=1", "--master_addr=127.0.0.1", f"--master_port={free_port()}",
           "-m", "augft.train.launch", str(plan_path)]
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // num_workers)))
    out = Path(plan_path).parent
    (out / ERROR_NOTE).unlink(missing_ok=True)
    rc = run_owned(cmd, env)  # its own process group, killed with augft (Ctrl-C, SIGTERM, SIGKILL)
    if rc != 0:
        raise AugftError(worker_error(out) or f"training workers failed (torchrun exit code {rc}); see the log above")


if __name__ == "__main__":
    sys.exit(agent(sys.argv[2:]) if sys.argv[1:2] == ["--torchrun"] else main())
