"""The fake stages of the study's tests (`augft run`'s control flow without models): each writes
its stage's files the way the real stage does (typed values through core.artifacts)."""
import json
import os
from collections import Counter
from pathlib import Path

import fakes
from augft.cluster.stages import StageFns
from augft.core.artifacts import OneOffCost, QueryCost
from augft.core.records import Augmentation, Document, Question, write_records
from augft.eval.costs import augment_flops, train_flops


class FakeStages:
    def __init__(self, fail_on=None):
        self.calls = Counter()
        self.fail_on = fail_on  # (kind, label) that raises once
        self.eval_manifests = {}  # condition -> the augment manifests its eval was given
        self.mlflow_runs = {}  # (kind, label) -> $MLFLOW_RUN_ID while the stage ran
        self.upstreams = {}  # a chained strategy -> the upstream folder its request named

    def _maybe_fail(self, kind, label):
        if self.fail_on == (kind, label):
            self.fail_on = None
            raise RuntimeError(f"boom in {kind}[{label}]")

    def generate(self, name, cfg, out):
        self.calls[("benchmark", name)] += 1
        out = Path(out)
        docs = [Document(f"d{i}", f"Person {i} is the author of book {i}.") for i in range(3)]
        qs = [Question(f"q{i}-{s}", s, "reversal" if s == "reversal" else "control", f"Book {i} was written by",
                       [f"Person {i}", f"Person {(i + 1) % 3}"], 0) for i in range(3)
              for s in ("forward", "reversal")]
        write_records(out / "corpus.jsonl", docs)
        write_records(out / "questions.jsonl", qs)
        write_records(out / "oracle.jsonl", [Augmentation(f"o{i}", f"Book {i} was written by Person {i}.",
                                                          "oracle", [f"d{i}"], "-", "oracle") for i in range(3)])
        write_records(out / "oracle2.jsonl", [Augmentation(f"o2{i}", f"Person {i} wrote book {i}.", "oracle2", [f"d{i}"],
                                                           "-", "oracle") for i in range(3)])
        # No benchmark.json: a checker-free data folder, like user data.
        return {"corpus": 3, "questions": 6}

    def augment(self, req, cfg):
        (s,), out_dir = req.strategies, req.out
        self.calls[("augment", s)] += 1
        self.upstreams[s] = req.upstream
        self.mlflow_runs[("augment", s)] = os.environ.get("MLFLOW_RUN_ID")
        self._maybe_fail("augment", s)
        out_dir = Path(out_dir)
        if 0 < req.max_generated_tokens < 10:  # it generates 10 tokens: stopped at the cap, as augment is
            from augft.core.errors import CapReached

            raise CapReached(f"stopped at the cap of {req.max_generated_tokens} generated tokens",
                             spent=req.max_generated_tokens, cap=req.max_generated_tokens)
        recs = [Augmentation(f"{s}-{i}", f"{s} statement {i} at T={cfg.augment.temperature}", s, [f"d{i}"],
                             "h", cfg.model.name) for i in range(2)]
        write_records(out_dir / s / "part-00000.parquet", recs)
        return fakes.manifest(out_dir, {s: fakes.entry(2, filtered={"too_short": 1}, inputs=3, prompt_tokens=40,
                                                       completion_tokens=10)}, cfg.model.name)

    def train(self, req, cfg):
        label = "+".join(k for k in req.mix if k != "corpus") or "ft"
        self.calls[("train", label)] += 1
        self.mlflow_runs[("train", label)] = os.environ.get("MLFLOW_RUN_ID")
        self._maybe_fail("train", label)
        out_dir = Path(req.out)
        for a in req.augmentations:  # the mix's folders must be real augment outputs
            assert (Path(a) / "manifest.json").is_file(), a
        (out_dir / "model").mkdir(parents=True, exist_ok=True)
        (out_dir / "model" / "config.json").write_text(json.dumps({"init": req.model(cfg)}))
        rows = [{"step": i, "loss": 2.0 / (i + 1), "lr": cfg.train.lr} for i in range(3)]
        (out_dir / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        return fakes.train_summary(out_dir, 1e12 * (1 + len(req.augmentations)))

    def evaluate(self, req, cfg):
        (cond,), models = req.conditions, req.models
        self.calls[("eval", cond)] += 1
        self.eval_manifests[cond] = [Path(m).parent.name for m in req.augment_manifests.get(cond, [])]
        out_dir = Path(req.out)
        splits = list(req.splits or ["forward", "reversal"])
        # A deterministic score that depends on what was trained (so tests can see it move).
        bonus = 0.1 * len(models) + (0.2 if "aug" in cond else 0.0) + (0.1 if "icl" in cond else 0.0)
        query = QueryCost(n_params=1000, icl="icl" in cond, finetuned=bool(models), prompt_tokens_per_query=5.0,
                          tokens_per_query=5e6 if "icl" in cond else 5e5)
        # The one-off costs as eval computes them, from the files the request names.
        one_off = OneOffCost(
            train_flops=train_flops(req.train_summaries[cond], "k") if cond in req.train_summaries else None,
            augment_flops=(sum(augment_flops(m, "k", 1000) for m in req.augment_manifests[cond])
                           if cond in req.augment_manifests else None))
        return fakes.eval_results(out_dir, cond, {s: fakes.stats(round(0.3 + bonus, 3), 3, 0.1, 0.9)
                                                  for s in splits}, query, one_off)

    def fns(self):
        return StageFns(self.generate, self.augment, self.train, self.evaluate)
