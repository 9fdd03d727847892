"""What each stage command's `--help` says: what `--data` must hold for that command, where
`--out` goes by default, and an example. Kept apart from the parser so the texts read as one
page."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional


@dataclass(frozen=True)
class CommandHelp:
    data: Optional[str]
    """`--data` help for this command; None: the command takes no --data."""
    out: str
    """`--out` help, with the default the command really uses."""
    example: str
    """One or two command lines, shown under the options."""


HELP: Dict[str, CommandHelp] = {
    "benchmark": CommandHelp(
        None, "output folder (default: out/benchmark)",
        "augft benchmark --name people --out data/people\n"
        "  augft benchmark --name all --out data            # every benchmark in a subfolder"),
    "ingest": CommandHelp(
        None, "output folder for corpus.jsonl and ingest.json (default: out/ingest)",
        "augft ingest my-docs/ notes.pdf --out my-data ingest.max_tokens=256"),
    "questions": CommandHelp(
        "folder with corpus.jsonl (required); the test set is written beside it",
        "output folder for questions.jsonl, heldout.jsonl and questions.json "
        "(default: the --data folder)",
        "augft questions --data my-data\n"
        "  augft questions --data my-data --force   # replace the set built before"),
    "augment": CommandHelp(
        "folder or s3:// URI with corpus.jsonl or corpus shards (required); oracle.jsonl for "
        "the oracle strategy, heldout.jsonl (from augft questions) is kept out",
        "output folder or s3:// URI for manifest.json and <strategy>/part-*.parquet "
        "(default: out/augment)",
        "augft augment --config configs/tiny.yaml --data data/people --out out/aug "
        "'augment.strategies=[local,reverse]'"),
    "train": CommandHelp(
        "folder with corpus.jsonl (required); augmentations come from train.augmentations=[DIR]",
        "output folder for summary.json, checkpoints/ and model/ (default: out/train)",
        "augft train --config configs/tiny.yaml --data data/people --out out/ft \\\n"
        "      'train.augmentations=[out/aug]'"),
    "targets": CommandHelp(
        "folder with corpus.jsonl (required); strategies' texts come from train.augmentations=[DIR]",
        "output folder for targets.json and part-*.parquet (default: out/targets)",
        "augft targets --data data/people --out out/targets 'train.augmentations=[out/aug]' train.mix.local=1.0\n"
        "  augft train --data data/people --out out/distill 'train.targets=[out/targets]' train.mix.local=1.0"),
    "eval": CommandHelp(
        "folder with questions.jsonl, and corpus.jsonl for the icl conditions (required)",
        "output folder for results.json, report.md and plots (default: out/eval)",
        "augft eval --config configs/tiny.yaml --data data/people --out out/eval "
        "'eval.models={ft: out/ft/model}'"),
    "run": CommandHelp(
        "folder with corpus.jsonl and questions.jsonl (optional; default: generate "
        "benchmark.name)",
        "study folder: one subfolder per stage, report/ at the end (default: out/run)",
        "augft run --config configs/quickstart.yaml --out demo-out\n"
        "  augft run --config configs/quickstart.yaml --data my-data --out my-study "
        "'pipeline.conditions=[base,icl,ft,\"aug_ft[local]\"]'"),
    "sweep": CommandHelp(
        "folder with corpus.jsonl and questions.jsonl (optional; default: generate "
        "benchmark.name)",
        "sweep folder: trials.json and the best config's study (default: out/sweep)",
        "augft sweep --config configs/tiny.yaml --out out/sweep pipeline.sweep.num_samples=4"),
}
