"""augft questions on the people benchmark's corpus treated as user data (tiny model: mechanics)."""
import json
import shutil
from pathlib import Path

import pytest

from augft.core.config import load_config
from augft.core.errors import AugftError
from augft.core.records import Document, read_questions, read_records
from augft.cluster.questions_command import build_questions


@pytest.fixture
def user_data(tmp_path: Path, cli) -> Path:
    """Only corpus.jsonl of the people benchmark: its own questions are hidden."""
    bench = tmp_path / "bench"
    r = cli("benchmark", "--name", "people", "benchmark.people.n_people=8",
            "benchmark.people.n_train_templates=6", "--out", bench)
    assert r.returncode == 0, r.stderr
    d = tmp_path / "user"
    d.mkdir()
    shutil.copyfile(bench / "corpus.jsonl", d / "corpus.jsonl")
    return d


def _cfg(tiny_model, *over):
    return load_config(None, [f"model.name={tiny_model}", "questions.per_split=10", *over])


def test_all_three_splits_written(user_data: Path, tmp_path: Path, tiny_model):
    out = tmp_path / "out"
    # The tiny random model almost never passes the keep rule, so this run switches it off; the
    # rule's own verdicts are checked below.
    report = build_questions(_cfg(tiny_model, "questions.filter=false"), user_data, out)
    qs = read_questions(out)  # the documented Question format, validated
    assert {q.split for q in qs} == {"forward", "reversal", "inference"}
    assert all(sum(q.split == s for q in qs) <= 10 for s in ("forward", "reversal", "inference"))
    assert all(q.meta["generated"] and len(q.choices) == 4 for q in qs)
    assert report["writer"]["model"] == tiny_model and report["writer"]["engine"] == "hf"
    assert sum(report["writer"]["asked"].values()) == sum(
        sum(v.values()) for v in report["writer"]["outcomes"].values())
    on_disk = json.loads((out / "questions.json").read_text())
    assert on_disk["generated"] is True and on_disk["questions"] == len(qs)
    assert on_disk["kept"]["reversal"] == {k: sum(q.split == "reversal" and q.kind == k for q in qs)
                                          for k in on_disk["kept"]["reversal"]}
    held = read_records(out / "heldout.jsonl", Document)
    assert {h.meta["question_id"] for h in held} == {q.id for q in qs}
    statements = {h.text for h in held if h.meta["role"] == "question"}
    assert all(q.prompt + q.choices[q.answer] in statements for q in qs)
    # A complete data folder: the corpus travels with the questions.
    assert (out / "corpus.jsonl").read_bytes() == (user_data / "corpus.jsonl").read_bytes()
    # Deterministic: a rerun writes the same test set.
    build_questions(_cfg(tiny_model, "questions.filter=false"), user_data, tmp_path / "again")
    assert (tmp_path / "again" / "questions.jsonl").read_bytes() == (out / "questions.jsonl").read_bytes()


def test_keep_rule_is_applied(user_data: Path, tmp_path: Path, tiny_model):
    out = tmp_path / "o"
    try:
        build_questions(_cfg(tiny_model, "questions.generate=false"), user_data, out)
    except AugftError as exc:  # the random model may keep nothing: that is reported, not written
        assert "no question passed the keep rule" in str(exc)
        assert not (out / "questions.jsonl").exists()
    report = json.loads((out / "questions.json").read_text())
    assert "writer" not in report
    outcomes = report["judge"]["outcomes"]
    for split, kinds in report["candidates"].items():
        assert sum(outcomes[split].values()) == sum(kinds.values())
        kept = sum(report["kept"][split].values())
        assert kept == min(outcomes[split].get("kept", 0), 10)


def test_cli_writes_beside_the_corpus_and_protects_a_users_questions(user_data: Path, tiny_model, cli):
    r = cli("questions", "--data", user_data, f"model.name={tiny_model}", "questions.filter=false",
            "questions.generate=false")
    assert r.returncode == 0, r.stderr
    assert (user_data / "questions.jsonl").is_file() and "reversal" in r.stdout
    args = ["questions", "--data", user_data, f"model.name={tiny_model}", "questions.filter=false",
            "questions.generate=false"]
    again = cli(*args)  # a set augft questions built is not replaced silently
    assert again.returncode == 2 and "pass --force to replace it" in again.stderr
    assert cli(*args, "--force").returncode == 0
    (user_data / "questions.json").unlink()  # now it looks like the user's own test set
    with pytest.raises(AugftError, match="was not written by augft questions"):
        build_questions(_cfg(tiny_model), user_data, user_data)


@pytest.mark.slow
def test_rewriting_through_vllm_writes_the_hf_engines_questions(user_data: Path, tmp_path: Path):
    """The rewriting step on the vllm engine (vLLM's CPU build) writes the test set the hf engine
    writes: embedded model, float32, greedy."""
    over = ["model.name=smollm2-135m-instruct", "model.dtype=float32", "questions.temperature=0",
            "questions.per_split=6", "questions.filter=false", "augment.vllm.kv_cache_gb=0.5",
            "augment.vllm.max_model_len=2048"]
    hf = build_questions(load_config(None, over), user_data, tmp_path / "hf")
    vl = build_questions(load_config(None, over + ["augment.engine=vllm"]), user_data, tmp_path / "vllm")
    assert vl["writer"]["engine"] == "vllm" and hf["writer"]["engine"] == "hf"
    assert vl["writer"]["outcomes"] == hf["writer"]["outcomes"]
    assert sum(o.get("accepted", 0) for o in vl["writer"]["outcomes"].values()) > 0  # real rewrites compared
    assert (tmp_path / "vllm" / "questions.jsonl").read_bytes() == (tmp_path / "hf" / "questions.jsonl").read_bytes()


def _as_candidates(out: Path):
    """The written questions back as candidates (answer last), to score them again."""
    from augft.eval.questions.build import Candidate

    return [Candidate(q.split, q.kind, q.prompt, q.choices[q.answer].strip(),
                      [c.strip() for i, c in enumerate(q.choices) if i != q.answer], q.source_ids,
                      q.meta["about"]) for q in read_questions(out)]


def test_fair_rule_keeps_questions_icl_gets_wrong_and_reports_the_rule(user_data: Path, tmp_path: Path,
                                                                       tiny_model):
    """Built by the fair rule, the set holds valid questions that ICL with their source documents
    gets wrong (the ICL-checked rule can keep none of those); questions.json and the study's
    test-set line name the rule and the drops per reason."""
    from augft.core.models import load_from_config
    from augft.eval.questions.judge import judge
    from augft.eval.questions.report import test_set_markdown, test_set_summary

    cfg = _cfg(tiny_model, "questions.generate=false")
    report = build_questions(cfg, user_data, tmp_path / "fair")
    j = report["judge"]
    assert j["keep_rule"] == "fair" and j["prior_confidence"] == 0.8 and "no condition" in j["rule"]
    reasons = {r for o in j["outcomes"].values() for r in o}
    assert reasons <= {"kept", "prior_knowledge", "duplicate_choices", "answer_not_in_source",
                       "subject_not_in_source", "gives_answer", "distractor_in_source"}
    assert all(sum(report["kept"][s].values()) == min(j["outcomes"][s].get("kept", 0), 10) for s in j["outcomes"])
    lm = load_from_config(cfg.model)
    docs = {d.id: d for d in read_records(user_data / "corpus.jsonl", Document)}
    again = judge(lm.model, lm.tokenizer, _as_candidates(tmp_path / "fair"), docs, cfg.eval, progress=False)
    assert any(v.icl_correct is False for v in again)  # valid, kept, and ICL gets it wrong
    assert all(v.base_p < 0.8 for v in again)
    assert sum(j["base_correct_of_kept"].values()) == sum(v.base_correct for v in again)
    summary = test_set_summary(tmp_path / "fair")
    assert summary.keep_rule == "fair" and sum(summary.dropped.values()) == sum(
        n for o in j["outcomes"].values() for r, n in o.items() if r != "kept")
    assert "keep rule `fair`" in test_set_markdown(summary) and "dropped per reason" in test_set_markdown(summary)

    old = _cfg(tiny_model, "questions.generate=false", "questions.keep_rule=icl_checked")
    try:
        build_questions(old, user_data, tmp_path / "old")
    except AugftError as exc:  # the random model may keep nothing under the old rule
        assert "questions.keep_rule=icl_checked" in str(exc)
    rep = json.loads((tmp_path / "old" / "questions.json").read_text())
    assert rep["judge"]["keep_rule"] == "icl_checked"
    assert {r for o in rep["judge"]["outcomes"].values() for r in o} <= {"kept", "icl_wrong", "base_correct"}
    if (tmp_path / "old" / "questions.jsonl").is_file():
        old_again = judge(lm.model, lm.tokenizer, _as_candidates(tmp_path / "old"), docs, cfg.eval, progress=False)
        assert all(v.icl_correct and not v.base_correct for v in old_again)
