"""Augmentation quality by an exact checker: counts, coverage, and the orchestrator's quality.json."""
from __future__ import annotations

import fakes
from augft.core.artifacts import AugmentOutput
from augft.core.records import Augmentation, write_parquet


class FakeChecker:
    """Ground truth: 'X is Y' facts; a statement is true if it states a fact or its reversal."""

    def __init__(self, facts):
        self.facts = facts  # name -> description

    def check(self, text):
        t = text.lower().strip(". ")
        for name, desc in self.facts.items():
            if name.lower() in t and desc.lower() in t:
                return "true"
        return "uncheckable" if not any(n.lower() in t for n in self.facts) else "false"

    def targets(self):
        return {f"rev:{n}": f"{d} is {n}" for n, d in self.facts.items()}

    def covered(self, texts):
        out = set()
        for t in texts:
            t = t.lower().strip(". ")
            for n, d in self.facts.items():
                if t.startswith(d.lower()) and t.endswith(n.lower()):
                    out.add(f"rev:{n}")
        return out


def _aug(i, text, strategy):
    return Augmentation(id=f"a{i}", text=text, strategy=strategy, source_ids=["d0"], prompt_hash="h",
                        model="m")


def test_quality_counts_and_coverage(tmp_path, monkeypatch):
    import augft.eval.datasets.quality as Q
    from augft.cluster.augment_command import record_quality

    facts = {"Zeb Grannow": "the composer of the silent opera",
             "Mara Grannow": "the first diver to reach the blue trench"}
    out = AugmentOutput(tmp_path / "aug")
    texts = {"local": ["The composer of the silent opera is Zeb Grannow.", "Mara Grannow is the composer.",
                       "Nothing here."],
             "oracle": ["The composer of the silent opera is Zeb Grannow.",
                        "The first diver to reach the blue trench is Mara Grannow."]}
    for strategy, ts in texts.items():
        write_parquet(out.strategy_dir(strategy) / "part-00000.parquet",
                      [_aug(i, t, strategy) for i, t in enumerate(ts)])
    fakes.manifest(out.dir, {s: fakes.entry(len(ts)) for s, ts in texts.items()})
    monkeypatch.setattr(Q, "load_checker", lambda d: FakeChecker(facts))
    q = record_quality(tmp_path, out.dir)
    o, loc = q.strategies["oracle"], q.strategies["local"]
    assert o.covered == 2 and o.coverage == 1.0 and o.true == 2
    assert (loc.true, loc.false, loc.uncheckable) == (1, 1, 1)
    assert out.quality() == q
    monkeypatch.setattr(Q, "load_checker", lambda d: None)  # user data: no checker, no file
    (tmp_path / "aug" / "quality.json").unlink()
    assert not record_quality(tmp_path, out.dir).strategies and not (tmp_path / "aug" / "quality.json").exists()


def test_multi_step_coverage_and_per_round_counts_for_compose(tmp_path):
    """Semantic's targets by their steps; compose records counted per round, cumulatively."""
    from augft.core.config import load_config
    from augft.eval.datasets.api import build, checker_for, write
    from augft.eval.datasets.quality import augmentation_quality

    cfg = load_config(None, ["benchmark.name=semantic", "benchmark.semantic.n_categories=24",
                             "benchmark.semantic.n_holdout=4", "benchmark.semantic.docs_per_category=1",
                             "benchmark.semantic.max_questions_per_split=30"])
    g = build("semantic", cfg)
    write(g, tmp_path / "data")
    checker = checker_for(g)
    steps = checker.target_steps()
    two = [tid for tid, n in steps.items() if n == 2][:2]
    three = [tid for tid, n in steps.items() if n == 3][:1]
    assert two and three and any(n == 1 for n in steps.values())
    texts = {1: [checker.targets()[t] for t in two] + ["Nothing here is checkable."], 2: [checker.targets()[three[0]]]}
    out = AugmentOutput(tmp_path / "aug")
    rows = [Augmentation(id=f"c{k}-{i}:compose:h:0", text=t, strategy="compose", source_ids=["d"], prompt_hash="h",
                         model="m", meta={"compose": {"round": k}}) for k, ts in texts.items() for i, t in enumerate(ts)]
    write_parquet(out.strategy_dir("compose") / "part-r1.parquet", rows)
    fakes.manifest(out.dir, {"compose": fakes.entry(len(rows), shards=["part-r1.parquet"])})
    q = augmentation_quality(tmp_path / "data", out.dir).strategies["compose"]
    assert q.multi_step.covered == 3 and q.by_steps["2"].covered == 2 and q.by_steps["3"].covered == 1
    r1, r2 = q.rounds
    assert (r1.round, r1.true, r1.uncheckable, r1.covered) == (1, 2, 1, 2)
    assert (r2.covered, r2.cumulative.covered, r2.cumulative.multi_step.covered) == (1, 3, 3)


def test_family_coverage_per_direction_and_the_ledger_of_individuals(tmp_path):
    """The one-direction oracle covers every target only as stated; oracle2 from both sides; a
    compose-like round about few individuals shows in the ledger."""
    from augft.core.config import load_config
    from augft.eval.datasets.api import build, checker_for
    from augft.eval.datasets.quality import round_quality, strategy_quality

    g = build("family", load_config())
    checker = checker_for(g)
    one = strategy_quality(checker, [r.text for r in g.oracle])
    both = strategy_quality(checker, [r.text for r in g.oracle2])
    n = len(checker.targets())
    assert {k: (v.covered, v.targets) for k, v in one.by_direction.items()} == {
        "stated": (n, n), "other": (0, n), "both": (0, n)}
    assert {k: v.covered for k, v in both.by_direction.items()} == {"stated": n, "other": n, "both": n}
    assert one.ledger.depth == 2 and one.ledger.about_individuals == len(g.oracle)
    assert one.ledger.individuals == len({p for r in g.oracle for p in checker.individuals(r.text)}) > 10
    grand = [t for tid, t in checker.targets().items() if tid.startswith("grandparent-")][:2]
    other = [f"A grandparent of {t.split(' of ')[1].rstrip('.')} is {t.split(' is ')[0]}." for t in grand]
    r1, r2 = round_quality(checker, {1: grand + ["Nothing checkable."], 2: other})
    assert (r1.by_direction["stated"].covered, r1.by_direction["other"].covered) == (2, 0)
    assert (r2.by_direction["stated"].covered, r2.by_direction["other"].covered) == (0, 2)
    assert r2.cumulative.by_direction["both"].covered == 2
    people = set().union(*(checker.individuals(t) for t in grand))
    assert (r1.ledger.about_individuals, r1.ledger.individuals, r1.ledger.depth) == (2, len(people), 2)
