"""Every example in a command's --help parses as written: the shell words (glob characters
quoted), the argument parser, and the config overrides."""
import shlex

import pytest

from augft.cluster.cli import parse_stage_args
from augft.cluster.cli_help import HELP
from augft.core.config import load_config
from helpers import REPO


def _examples():
    for command, h in HELP.items():
        text = h.example.replace("\\\n", " ")
        for line in text.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("augft "):
                yield command, line


EXAMPLES = list(_examples())


@pytest.mark.parametrize("command,line", EXAMPLES, ids=[line for _, line in EXAMPLES])
def test_help_example_parses_as_written(command, line):
    raw = shlex.split(line, posix=False)  # quotes kept: a shell would expand an unquoted [ or *
    unquoted_globs = [w for w in raw if any(c in w for c in "[]*?") and w[0] not in "'\""]
    assert not unquoted_globs, f"{line}: quote {unquoted_globs} (a shell may expand it)"
    words = shlex.split(line)
    assert words[0] == "augft"
    args = parse_stage_args(words[1], words[2:])
    config = str(REPO / args.config) if args.config else None
    load_config(config, args.overrides)  # raises on an override the config cannot parse


def test_every_stage_has_an_example():
    assert {c for c, _ in EXAMPLES} == set(HELP)


def test_submit_help_example_parses_as_written():
    from augft.cluster.submit import build_parser

    p = build_parser()
    line = p.epilog.split("example:", 1)[1].strip()
    words = shlex.split(line)
    ns = p.parse_args(words[2:])
    args = parse_stage_args(ns.command, ns.args)
    cfg = load_config(None, args.overrides)
    assert ns.command == "train" and str(args.data) == "D" and str(args.out) == "T"
    assert cfg.train.num_workers == 4 and cfg.train.use_gpu is True  # the example's overrides took
