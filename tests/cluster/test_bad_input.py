"""Bad input to `augft run`: refused before any work, one line, exit 2, the study folder unchanged.

To add a case: a row in CONDITIONS or QUESTIONS (the input, the message expected), or a test that
calls `expect_refusal(args, message, out_folder)`.
"""
import json
from pathlib import Path

import pytest

from helpers import REPO, expect_refusal, refused

TINY = str(REPO / "configs" / "tiny.yaml")

# label -> the suggestion the error must make
CONDITIONS = [("foo", "'ft'"), ("ICL", "'icl'"), ("Base", "'base'"), ("ft_icl", "'ft+icl'"),
              ("FT", "'ft'"), ("Aug_FT[local]", "'aug_ft[local]'")]


@pytest.fixture
def study_out(tmp_path) -> Path:
    out = tmp_path / "study"
    out.mkdir()
    (out / "keep.txt").write_text("an earlier study's file\n")
    return out


@pytest.mark.parametrize("label,nearest", CONDITIONS)
def test_unknown_condition_is_refused_with_the_nearest_name(label, nearest, study_out):
    r = expect_refusal(["run", "--config", TINY, "--out", study_out, "tracking.enabled=false",
                        f"pipeline.conditions=[base,'{label}']"], f"unknown condition '{label}'", study_out)
    assert f"did you mean {nearest}?" in r.stderr and "pipeline.conditions" in r.stderr


def _question(**kw) -> dict:
    q = {"id": "q0", "split": "reversal", "kind": "reversal", "prompt": "glon are",
         "choices": [" less dangerous than femp.", " more dangerous than femp."], "answer": 0}
    q.update(kw)
    return q


# (what is wrong, the question's fields, the message expected)
QUESTIONS = [
    ("identical choices", {"choices": [" less dangerous.", " less dangerous."]}, "has the same text at 0 and 1"),
    ("choices the same but for spacing", {"choices": [" less  dangerous.", " less dangerous. "]},
     "has the same text at 0 and 1"),
    ("answer past the choices", {"answer": 2}, "field 'answer' is 2, outside 0..1"),
    ("negative answer", {"answer": -1}, "field 'answer' is -1"),
    ("answer given as true", {"answer": True}, "field 'answer' must be an integer"),
    ("a split named like the built-in retention", {"split": "retention"}, "split 'retention', which is built in"),
    ("no kind", {"kind": None}, "missing field 'kind'"),
]


@pytest.mark.parametrize("what,fields,message", QUESTIONS, ids=[q[0] for q in QUESTIONS])
def test_bad_question_is_refused_when_the_study_starts(what, fields, message, tmp_path, study_out):
    data = tmp_path / "data"
    data.mkdir()
    (data / "corpus.jsonl").write_text(json.dumps({"id": "d0", "text": "femp are more dangerous than glon."}) + "\n")
    good = _question(id="q1")
    bad = {k: v for k, v in _question(**fields).items() if v is not None}
    (data / "questions.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    r = expect_refusal(["run", "--config", TINY, "--data", data, "--out", study_out, "tracking.enabled=false",
                        "pipeline.conditions=[base,ft]"], message, study_out)
    assert "questions.jsonl:2" in r.stderr or "retention" in r.stderr


def test_seed_below_zero_is_refused_at_load(study_out):
    assert "config key 'seed'" in refused(["run", "--config", TINY, "--out", study_out, "seed=-1"], study_out)
