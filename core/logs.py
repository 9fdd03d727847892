"""Logging for every command, set up in one place: one line format with one timestamp format,
third-party noise filtered here (and only here), and progress bars that do not flood a log.

What is filtered, and why it is safe: transformers' `past_key_values` FutureWarning (about its
own cache API, raised on every generate), DeepSpeed's accelerator-detection lines (repeated per
import), and transformers' weight-loading bars (nested inside augft's own bars). With -v all
of it shows again.
"""
from __future__ import annotations

import logging
import os
import sys
import warnings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATEFMT = "%Y-%m-%d %H:%M:%S"
_NOISY_LOGGERS = ("DeepSpeed", "deepspeed", "accelerate", "urllib3", "filelock", "alembic",
                  "mlflow.store")  # MLflow's database set-up lines, in a format of its own
_NOISY_WARNINGS = (r".*past_key_values.*", r".*`torch_dtype` is deprecated.*")


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format=FORMAT, datefmt=DATEFMT,
                        force=True)
    if verbose:
        return
    for pattern in _NOISY_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    if not sys.stderr.isatty():
        # A log file is not a terminal: a bar redrawn 10 times a second becomes thousands of
        # carriage-return lines. Redraw rarely (tqdm reads TQDM_* defaults from the environment).
        os.environ.setdefault("TQDM_MININTERVAL", "30")
        os.environ.setdefault("TQDM_NCOLS", "100")
