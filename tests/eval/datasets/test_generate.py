import json

import pytest

from augft.core.config import load_config
from augft.core.errors import AugftError
from augft.core.records import Augmentation, read_corpus, read_questions, read_records
from augft.eval.datasets.api import BENCHMARKS, build, generate, load_checker

SPLITS = {
    "reversal": {"reversal", "rephrase"},
    "syllogism": {"syllogism"},
    "semantic": {"rephrase", "reversal", "syllogism", "category_holdout"},
    "people": {"reversal", "forward"},
    "family": {"rephrase", "reversal", "grandparent", "sibling"},
}


@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_files_are_byte_identical_for_the_same_seed(name, tmp_path, default_cfg):
    generate(name, default_cfg, tmp_path / "a")
    generate(name, default_cfg, tmp_path / "b")
    for f in ["corpus.jsonl", "questions.jsonl", "oracle.jsonl", "benchmark.json"]:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    generate(name, load_config(None, ["benchmark.seed=1"]), tmp_path / "c")
    assert (tmp_path / "a" / "corpus.jsonl").read_bytes() != (tmp_path / "c" / "corpus.jsonl").read_bytes()


def test_files_are_byte_identical_across_processes(tmp_path, cli):
    """Python salts string hashes per process: no generator may depend on set order."""
    for seed in ("1", "2"):
        r = cli("benchmark", "--name", "all", "--out", tmp_path / seed, env={"PYTHONHASHSEED": seed})
        assert r.returncode == 0, r.stderr
    files = sorted(p.relative_to(tmp_path / "1") for p in (tmp_path / "1").rglob("*.json*"))
    assert files
    for f in files:
        assert (tmp_path / "1" / f).read_bytes() == (tmp_path / "2" / f).read_bytes(), f


@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_records_valid_and_contract_fields(name, tmp_path, default_cfg):
    sizes = generate(name, default_cfg, tmp_path)
    docs, qs = read_corpus(tmp_path), read_questions(tmp_path)
    oracle = read_records(tmp_path / "oracle.jsonl", Augmentation)
    assert sizes == {"documents": len(docs), "oracle": len(oracle),
                     "questions": {s: sum(q.split == s for q in qs) for s in sizes["questions"]}}
    assert {q.split for q in qs} == SPLITS[name]
    assert all(d.meta.get("fact_ids") for d in docs)
    assert all(q.source_ids for q in qs)
    doc_ids = {d.id for d in docs}
    for a in oracle:
        assert (a.strategy, a.model, a.prompt_hash) == ("oracle", "oracle", "oracle-v1")
        assert a.source_ids and set(a.source_ids) <= doc_ids
    for q in qs:  # choices are continuations: leading space, never in the prompt
        assert all(c.startswith(" ") and f" {c.strip()} " not in f" {q.prompt} " for c in q.choices)
    meta = json.loads((tmp_path / "benchmark.json").read_text())
    assert meta["name"] == name and meta["seed"] == 0 and "truth" in meta and "sizes" in meta


def test_default_sizes_match_the_paper(generated):
    rev = generated["reversal"]
    assert len(rev.truth["facts"]) == 100 and len(rev.documents) == 1000
    assert len({f["dimension"] for f in rev.truth["facts"]}) == 28
    assert sorted(f["direction"] for f in rev.truth["facts"]).count("more") == 50
    assert len(generated["syllogism"].questions) == 69
    assert len(generated["semantic"].truth["parent"]) == 110
    ppl = generated["people"]
    assert len(ppl.truth["people"]) == 30 and len(ppl.documents) == 900
    assert len({p["description"] for p in ppl.truth["people"]}) == 30
    assert all(len(q.choices) == 4 for q in ppl.questions)


def test_sizes_are_configurable(default_cfg):
    cfg = load_config(None, ["benchmark.people.n_people=12", "benchmark.people.n_train_templates=5",
                             "benchmark.reversal.n_facts=10", "benchmark.reversal.items_per_fact=3"])
    ppl = build("people", cfg)
    assert len(ppl.documents) == 60 and len(ppl.questions) == 12 + 12 * 5
    assert len(build("reversal", cfg).documents) == 30


def test_bad_size_names_the_key():
    with pytest.raises(AugftError, match="benchmark.people.n_choices"):
        build("people", load_config(None, ["benchmark.people.n_choices=99"]))


@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_answer_positions_balanced(name, generated):
    for split in SPLITS[name]:
        qs = [q for q in generated[name].questions if q.split == split]
        k = len(qs[0].choices)
        counts = [sum(q.answer == i for q in qs) for i in range(k)]
        assert max(counts) - min(counts) <= 1, (split, counts)


def test_nonsense_words_unique_across_the_benchmark(generated):
    sem = generated["semantic"].truth
    words = list(sem["parent"]) + [w for ps in sem["props"].values() for _, w in ps] + sem["verbs"]
    assert len(words) == len(set(words))
    rev = generated["reversal"].truth["facts"]
    ents = [w for f in rev for w in (f["a"], f["b"])]
    assert len(ents) == len(set(ents))


def test_load_checker(tmp_path, default_cfg):
    assert load_checker(tmp_path) is None  # user data: no benchmark.json
    generate("people", default_cfg, tmp_path)
    chk = load_checker(tmp_path)
    assert chk is not None and chk.name == "people" and len(chk.targets()) == 30
    (tmp_path / "benchmark.json").write_text("{broken")
    with pytest.raises(AugftError, match="benchmark.json"):
        load_checker(tmp_path)


def test_cli_all_prints_sizes_table(tmp_path, cli, default_cfg):
    r = cli("benchmark", "--name", "all", "--out", tmp_path, "benchmark.people.n_people=8")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["benchmark", "documents", "questions", "per", "split", "oracle"]
    for name in BENCHMARKS:
        row = next(l for l in lines if l.startswith(name + " "))
        corpus = (tmp_path / name / "corpus.jsonl").read_text().splitlines()
        assert row.split()[1] == str(len(corpus))
    assert "forward=40" in r.stdout  # 8 people x 5 held-out templates


def test_cli_unknown_benchmark_is_a_user_error(tmp_path, cli):
    r = cli("benchmark", "--name", "nope", "--out", tmp_path)
    assert r.returncode == 2 and "benchmark.name" in r.stderr


def test_family_oracle2_states_every_oracle_fact_in_both_directions(tmp_path, default_cfg):
    from augft.augment.oracle import write_oracle_output
    from augft.core.artifacts import AugmentOutput

    generate("family", default_cfg, tmp_path)
    one = read_records(tmp_path / "oracle.jsonl", Augmentation)
    both = read_records(tmp_path / "oracle2.jsonl", Augmentation)
    checker = load_checker(tmp_path)
    assert {r.strategy for r in both} == {"oracle2"} and {r.model for r in both} == {"oracle"}
    assert {r.text for r in one} <= {r.text for r in both}
    assert all(checker.check(r.text) == "true" for r in both)
    # the same targets, now also from the side the questions ask ("A grandparent of Y is")
    assert checker.covered([r.text for r in both]) == checker.covered([r.text for r in one]) == set(checker.targets())
    others = [r.text for r in both if r.meta["direction"] == "other"]
    assert any(t.startswith("A grandparent of ") for t in others) and any(t.startswith("A sibling of ") for t in others)
    assert checker.covered(others) == set(checker.targets())
    m = write_oracle_output(tmp_path, tmp_path / "aug", 0, "oracle2")
    assert m.strategies["oracle2"].ok == len(both) == len(AugmentOutput(tmp_path / "aug").records(["oracle2"]))
    generate("people", default_cfg, tmp_path / "people")
    assert not (tmp_path / "people" / "oracle2.jsonl").exists()  # family only
