"""Public API of the controlled benchmarks (`augft benchmark`).

    generate(name, cfg, out) -> dict        writes one benchmark's files, returns its sizes
    run_benchmark(cfg, data=None, out=...)  the CLI stage; name "all" -> one subfolder each
    load_checker(data_dir) -> Checker|None  the exact checker, rebuilt from benchmark.json

Files written into `out`: corpus.jsonl (Document), questions.jsonl (Question),
oracle.jsonl (Augmentation, strategy "oracle"), oracle2.jsonl (the same facts in both directions,
strategy "oracle2"; family only) and benchmark.json
({"name", "seed", "sizes", "counts", "truth"}).
"""
from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Dict, Optional

from augft.core.errors import AugftError
from augft.core.io import atomic_write_json
from augft.core.tables import render_text
from augft.core.records import write_records
from augft.eval.datasets.checker import Checker
from augft.eval.datasets.common import Generated

# name -> (module, checker class)
BENCHMARKS: Dict[str, tuple] = {
    "reversal": ("augft.eval.datasets.reversal", "ReversalChecker"),
    "syllogism": ("augft.eval.datasets.syllogism", "SyllogismChecker"),
    "semantic": ("augft.eval.datasets.semantic", "SemanticChecker"),
    "people": ("augft.eval.datasets.people", "PeopleChecker"),
    "family": ("augft.eval.datasets.family", "FamilyChecker"),
}
FORMAT_VERSION = 1


def _section(cfg):
    """Accept the whole config or just its `benchmark` section."""
    return cfg.benchmark if hasattr(cfg, "benchmark") else cfg


def _module(name: str):
    if name not in BENCHMARKS:
        raise AugftError(f"benchmark.name: unknown benchmark '{name}' "
                         f"(choose from {', '.join(BENCHMARKS)} or all)")
    return importlib.import_module(BENCHMARKS[name][0])


def build(name: str, cfg) -> Generated:
    """Generate a benchmark in memory (nothing written)."""
    sec = _section(cfg)
    try:
        return _module(name).generate(getattr(sec, name), int(sec.seed))
    except ValueError as exc:  # bad sizes; the message names the config key
        raise AugftError(str(exc)) from None


def counts(g: Generated) -> dict:
    splits: Dict[str, int] = {}
    for q in g.questions:
        splits[q.split] = splits.get(q.split, 0) + 1
    return {"documents": len(g.documents), "questions": splits, "oracle": len(g.oracle)}


def write(g: Generated, out: Path) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_records(out / "corpus.jsonl", g.documents)
    write_records(out / "questions.jsonl", g.questions)
    write_records(out / "oracle.jsonl", g.oracle)
    if g.oracle2:
        write_records(out / "oracle2.jsonl", g.oracle2)
    c = counts(g)
    atomic_write_json(out / "benchmark.json", {"name": g.name, "seed": g.seed, "sizes": g.sizes,
                                         "counts": c, "version": FORMAT_VERSION,
                                         "truth": g.truth, **g.extra})
    return c


def generate(name: str, cfg, out: Path) -> dict:
    """Write benchmark `name` (sizes and seed from cfg.benchmark) into `out`; returns
    {"documents": n, "questions": {split: n}, "oracle": n}."""
    return write(build(name, cfg), Path(out))


def format_table(rows: Dict[str, dict]) -> str:
    head = ["benchmark", "documents", "questions", "per split", "oracle"]
    body = [[name, str(c["documents"]), str(sum(c["questions"].values())),
             ", ".join(f"{s}={n}" for s, n in c["questions"].items()), str(c["oracle"])]
            for name, c in rows.items()]
    return render_text(head, body)


def run_benchmark(cfg, data: Optional[Path] = None, out: Path = Path("out/benchmark")) -> int:
    """CLI stage: generate cfg.benchmark.name (or every benchmark for "all") and print sizes."""
    from tqdm import tqdm

    if data is not None:
        raise AugftError("augft benchmark generates data; it takes no --data")
    name = str(_section(cfg).name)
    out = Path(out)
    if name == "all":
        rows = {n: generate(n, cfg, out / n) for n in tqdm(BENCHMARKS, desc="benchmarks")}
    else:
        rows = {name: generate(name, cfg, out)}
    print(format_table(rows))
    print(f"written to {out}")
    return 0


def load_checker(data_dir: Path) -> Optional[Checker]:
    """The exact checker for a generated benchmark folder; None for user data
    (no benchmark.json)."""
    path = Path(data_dir) / "benchmark.json"
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AugftError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    name = meta.get("name")
    if name not in BENCHMARKS or "truth" not in meta:
        raise AugftError(f"{path}: unknown benchmark '{name}' or missing 'truth'")
    mod = importlib.import_module(BENCHMARKS[name][0])
    return getattr(mod, BENCHMARKS[name][1])(meta["truth"])


def checker_for(g: Generated) -> Checker:
    """The checker of an in-memory benchmark (round-tripped through JSON like the file)."""
    mod = importlib.import_module(BENCHMARKS[g.name][0])
    return getattr(mod, BENCHMARKS[g.name][1])(json.loads(json.dumps(g.truth)))
