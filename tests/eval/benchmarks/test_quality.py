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
    import augft.eval.benchmarks.quality as Q
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
