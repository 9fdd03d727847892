"""Bad input to `augft eval`: refused before any scoring, one line, exit 2, --out unchanged.

To add a case: a row in CASES (the overrides, how to spoil the data folder, the message expected).
"""
import json
from pathlib import Path

import pytest

from helpers import REPO, refused

TINY = str(REPO / "configs" / "tiny.yaml")


def _edit_first_question(data: Path, **fields) -> None:
    lines = (data / "questions.jsonl").read_text().splitlines()
    q = json.loads(lines[0])
    q.update(fields)
    (data / "questions.jsonl").write_text("\n".join([json.dumps(q), *lines[1:]]) + "\n")


def _no_change(data: Path) -> None:
    pass


CASES = [
    ("a condition spelt with an underscore", ["eval.conditions=[base,ft_icl]"], _no_change,
     "unknown condition 'ft_icl': eval.models has no 'ft_icl' entry (did you mean 'ft+icl'?)"),
    ("a condition in capitals", ["eval.conditions=[base,ICL]"], _no_change, "did you mean 'icl'?"),
    ("a model label in capitals", ["eval.conditions=[FT]", "eval.models={FT: x}"], _no_change,
     "built-in names are lower case"),
    ("identical choices", [], lambda d: _edit_first_question(d, choices=["less dangerous.", "less dangerous."]),
     "field 'choices' has the same text at 0 and 1"),
    ("a user split named retention", [], lambda d: _edit_first_question(d, split="retention"),
     "split 'retention', which is built in"),
    ("a missing fine-tuned model", ["eval.conditions=[base,ft]", "eval.models={ft: no/such/model}"], _no_change,
     "eval.models.ft: model path 'no/such/model' does not exist"),
]


@pytest.mark.parametrize("what,overrides,spoil,message", CASES, ids=[c[0] for c in CASES])
def test_bad_eval_input_is_refused(what, overrides, spoil, message, mc_data, tmp_path):
    spoil(mc_data)
    out = tmp_path / "eval"
    out.mkdir()
    (out / "keep.txt").write_text("an earlier run's file\n")
    assert message in refused(["eval", "--config", TINY, "--data", mc_data, "--out", out, "tracking.enabled=false",
                    *overrides], out)


def test_questions_in_two_forms(mc_data, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["x"]}), mc_data / "questions.parquet")
    out = tmp_path / "eval"
    assert "both questions.jsonl and questions.parquet are here" in refused(
        ["eval", "--config", TINY, "--data", mc_data, "--out", out, "tracking.enabled=false"], out)


@pytest.mark.parametrize("override,key", [("benchmark.people.n_people=-1", "benchmark.people.n_people"),
                                          ("benchmark.people.n_choices=1", "benchmark.people.n_choices"),
                                          ("benchmark.seed=-1", "benchmark.seed")])
def test_benchmark_sizes_out_of_range(override, key, tmp_path):
    out = tmp_path / "bench"
    assert f"config key '{key}'" in refused(["benchmark", "--out", out, override], out)
