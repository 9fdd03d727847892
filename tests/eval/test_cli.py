"""`augft eval` end to end on the tiny model, and its errors on bad input."""
import json

import pytest

import fakes
from augft.core.artifacts import EvalOutput

from augft.core.models import resolve_model_path

TINY = "model.name=tiny-random-llama"


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def augft(capsys):
    """`augft` in this process (the real CLI entry point, without a subprocess's start-up)."""
    from augft.cluster.cli import main

    def run(*args):
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Result(code, out, err)
    return run


def test_eval_all_conditions_writes_every_output(tmp_path, mc_data, cli, tiny_model):
    ft = resolve_model_path(tiny_model)
    summary = tmp_path / "summary.json"
    fakes.train_summary(tmp_path, 4.0e12)
    manifest = tmp_path / "manifest.json"
    fakes.manifest(tmp_path, {"local": fakes.entry(0, prompt_tokens=600, completion_tokens=400)})
    # A two-strategy condition names both augment outputs; both costs count.
    manifest2 = tmp_path / "global" / "manifest.json"
    fakes.manifest(manifest2.parent, {"global": fakes.entry(0, prompt_tokens=300, completion_tokens=200)})
    out = tmp_path / "out"
    r = cli("eval", "--data", mc_data, "--out", out, TINY, "eval.conditions=[base,icl,ft,ft+icl]",
            f"eval.models={{ft: {ft}}}", f"eval.costs.train_summaries={{ft: {summary}}}",
            f"eval.costs.augment_manifests={{ft: [{manifest},{manifest2}]}}", "eval.bootstrap=200")
    assert r.returncode == 0, r.stderr
    assert "rephrase" in r.stdout and "icl" in r.stdout  # the printed table
    res = EvalOutput(out).results()
    assert res.complete and list(res.conditions) == ["base", "icl", "ft", "ft+icl"]
    for cond in res.conditions.values():
        assert set(cond.splits) == {"rephrase", "reversal", "retention"}
        for name, s in cond.splits.items():
            assert s.ci_low <= s.accuracy <= s.ci_high and s.n == (66 if name == "retention" else 6)
        assert set(cond.kinds) == {"rephrase/forward", "reversal/reversal", "retention/general"}
        # Retention: the questions base answers correctly, and perplexity on general text.
        assert cond.retention.general_ppl > 1.0
        assert cond.retention.retained.n == round(res.conditions["base"].splits["retention"].accuracy * 66)
    assert res.conditions["base"].retention.retained.accuracy == 1.0
    assert res.conditions["ft"].retention == res.conditions["base"].retention
    assert "## Gain and retention" in (out / "report.md").read_text()
    assert res.conditions["icl"].icl.docs_used == 12
    # Same weights: ft equals base and ft+icl equals icl.
    assert res.conditions["ft"].splits == res.conditions["base"].splits
    assert res.conditions["ft+icl"].splits == res.conditions["icl"].splits
    costs = res.costs
    assert costs.conditions["icl"].prompt_tokens_per_query > costs.conditions["base"].prompt_tokens_per_query + 100
    assert costs.conditions["ft"].train_flops == 4.0e12
    n_params = costs.conditions["ft"].n_params
    assert costs.conditions["ft"].augment_flops == 2 * n_params * (1000 + 500)
    be = costs.break_even["ft vs icl"]
    saving = costs.conditions["icl"].flops_per_query - costs.conditions["ft"].flops_per_query
    assert be.queries == -(-(4.0e12 + 2 * n_params * 1500) // saving)
    preds = (out / "predictions.jsonl").read_text().splitlines()
    assert len(preds) == 4 * (12 + 66)
    row = json.loads(preds[0])
    assert row["pred"] == max(range(len(row["scores"])), key=lambda i: row["scores"][i])
    report = (out / "report.md").read_text()
    assert "| base |" in report and "ft vs icl" in report and "chance" in report
    for split in ("rephrase", "reversal"):
        assert (out / f"plot_{split}.png").read_bytes()[:4] == b"\x89PNG"


def test_scoring_variants_are_consistent(tmp_path, mc_data, tiny_model):
    from augft.core.config import load_config
    from augft.eval.api import evaluate
    from augft.eval.metrics import choose

    cfg = load_config(None, [TINY, "eval.conditions=[base]", "eval.scoring=calibrated", "eval.bootstrap=0"])
    res = evaluate(cfg, mc_data, tmp_path / "o")
    base = res.conditions["base"]
    rows = [json.loads(x) for x in (tmp_path / "o" / "predictions.jsonl").read_text().splitlines()]
    for r in rows:
        assert r["scores"] == pytest.approx([a - b for a, b in zip(r["logprob"], r["neutral_logprob"])])
        assert r["pred"] == max(range(len(r["scores"])), key=lambda i: r["scores"][i])
    # Every variant's per-split accuracy follows from the per-question log-likelihoods.
    for sc in ("sum", "mean", "calibrated"):
        for split, acc in base.by_scoring[sc].items():
            mine = [r for r in rows if r["split"] == split]
            hits = [max(range(len(r["choices"])), key=lambda i: choose(
                r["logprob"], r["n_tokens"], sc, r["neutral_logprob"])[i]) == r["answer"] for r in mine]
            assert acc == pytest.approx(sum(hits) / len(hits))
    # The headline is the chosen variant.
    for split, s in base.splits.items():
        assert s.accuracy == base.by_scoring["calibrated"][split]


def _bad_question(make_data, tmp_path, **change):
    data = make_data(tmp_path / "bad")
    lines = (data / "questions.jsonl").read_text().splitlines()
    q = json.loads(lines[2])
    q.update(change)
    lines[2] = json.dumps(q)
    (data / "questions.jsonl").write_text("\n".join(lines) + "\n")
    return data


@pytest.mark.parametrize("change,message", [
    ({"answer": 7}, "questions.jsonl:3: field 'answer' is 7"),
    ({"choices": ["fine", ""]}, "questions.jsonl:3: field 'choices' has an empty choice"),
])
def test_bad_questions_are_clear_errors(tmp_path, augft, make_mc_data, change, message):
    data = _bad_question(make_mc_data, tmp_path, **change)
    out = tmp_path / "out"
    r = augft("eval", "--data", data, "--out", out, TINY)
    assert r.returncode == 2 and message in r.stderr
    assert not (out / "results.json").exists()


def test_missing_model_path_is_a_clear_error(tmp_path, mc_data, augft):
    r = augft("eval", "--data", mc_data, "--out", tmp_path / "o", TINY, "eval.conditions=[base,ft]",
            f"eval.models={{ft: {tmp_path / 'no-such-model'}}}")
    assert r.returncode == 2 and "no-such-model" in r.stderr and "does not exist" in r.stderr
    r = augft("eval", "--data", mc_data, "--out", tmp_path / "o", TINY, "eval.conditions=[aug_ft]")
    assert r.returncode == 2 and "eval.models has no 'aug_ft'" in r.stderr
    # A cost file that is not there fails before any scoring, naming its key.
    r = augft("eval", "--data", mc_data, "--out", tmp_path / "o", TINY, "eval.conditions=[base]",
              f"eval.costs.train_summaries={{base: {tmp_path / 'nope.json'}}}")
    assert r.returncode == 2 and "eval.costs.train_summaries.base" in r.stderr
    assert not (tmp_path / "o" / "predictions.jsonl").exists()


def test_failure_midway_leaves_no_report(tmp_path, mc_data, augft):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("results.json", "report.md", "predictions.jsonl", "plot_rephrase.png"):
        (out / name).write_text("from an earlier run")
    # base scores fine, then the ICL context cannot hold a single document.
    r = augft("eval", "--data", mc_data, "--out", out, TINY, "eval.conditions=[base,icl]",
            "eval.icl_max_tokens=4")
    assert r.returncode == 2 and "cannot fit even one document" in r.stderr
    for name in ("results.json", "report.md", "predictions.jsonl", "plot_rephrase.png"):
        assert not (out / name).exists(), name


def test_subsampled_context_is_logged(tmp_path, mc_data, tiny_model):
    from augft.core.config import load_config
    from augft.eval.api import evaluate

    cfg = load_config(None, [TINY, "eval.conditions=[icl]", "eval.icl_max_tokens=80", "eval.bootstrap=0"])
    res = evaluate(cfg, mc_data, tmp_path / "o")
    icl = res.conditions["icl"].icl
    assert icl.subsampled and 0 < icl.docs_used < 12 and icl.context_tokens <= 80
    assert f"{icl.docs_used}/12 documents" in (tmp_path / "o" / "report.md").read_text()


def test_bad_scoring_value_names_the_key(tmp_path, mc_data, augft):
    r = augft("eval", "--data", mc_data, "--out", tmp_path / "o", TINY, "eval.scoring=median")
    assert r.returncode == 2 and "eval.scoring" in r.stderr
