"""eval/datasets/identity.py: the benchmark stage's contract, checked over the schema."""
from identity_checks import check

from augft.core.config import load_config
from augft.eval.datasets.identity import CONTRACT, identity


def test_every_benchmark_key_is_classified_and_each_class_holds():
    check(CONTRACT, lambda cfg: identity(cfg.benchmark), "benchmark.name=all")


def test_another_benchmarks_sizes_change_nothing():
    a = load_config(None, ["benchmark.name=people"])
    b = load_config(None, ["benchmark.name=people", "benchmark.reversal.n_facts=7", "seed=3"])
    assert identity(a.benchmark) == identity(b.benchmark)
    assert identity(a.benchmark) != identity(load_config(None, ["benchmark.people.n_people=7"]).benchmark)
