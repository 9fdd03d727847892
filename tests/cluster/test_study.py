"""The study graph and its content-hash cache, with fake stages (fast)."""
import json
import os
from pathlib import Path

import pytest

from augft.cluster.study import run_study
from augft.core.conditions import parse_all, trained_models
from augft.cluster.stages import StageFns
from augft.core.config import load_config
from augft.core.artifacts import AugmentationCounts, AugmentOutput, SplitStats, StudyResults, read_typed
from augft.core.errors import AugftError
from augft.core.targets import SourceCount, TargetsManifest, TargetsOutput
from fake_stages import FakeStages
from augft.tracking.runs import Tracker

# Labels with brackets are quoted inside a YAML flow list (as on the command line).
CONDS = "[base,icl,ft,'aug_ft[local]','aug_ft[local+global]','aug_ft[oracle]',ft+icl]"


def _cfg(*overrides):
    return load_config(None, ["tracking.enabled=false", f"pipeline.conditions={CONDS}",
                              "model.name=tiny-random-llama", *overrides])


def _study(tmp_path, fake, *overrides, data=None):
    return run_study(_cfg(*overrides), data, tmp_path / "out", fake.fns(), Tracker.disabled())


def test_conditions_parse_and_reject_unknown():
    known = ["local", "global", "entity", "oracle"]
    conds = parse_all(["base", "aug_ft[local+global]", "ft+icl", "aug_ft"], ["entity"], known)
    assert [c.strategies for c in conds] == [(), ("local", "global"), (), ("entity",)]
    assert conds[2].trained == "ft" and conds[2].icl and conds[2].label == "ft+icl"
    assert [m.trained for m in trained_models(conds)] == ["aug_ft[local+global]", "ft", "aug_ft"]
    with pytest.raises(AugftError, match="aug_ft\\[bogus\\]"):
        parse_all(["aug_ft[bogus]"], (), known)
    with pytest.raises(AugftError, match="unknown condition 'aug_ft\\[a b\\]'"):
        parse_all(["aug_ft[a b]"])
    with pytest.raises(AugftError, match="listed twice"):
        parse_all(["ft", "ft"])


def test_full_graph_then_rerun_is_all_cached(tmp_path):
    fake = FakeStages()
    res = _study(tmp_path, fake)
    # Every stage ran once; oracle is materialised by the pipeline, not the augment stage.
    assert fake.calls[("benchmark", "people")] == 1
    assert fake.calls[("augment", "local")] == 1 and fake.calls[("augment", "global")] == 1
    assert ("augment", "oracle") not in fake.calls
    assert {k for k in fake.calls if k[0] == "train"} == {
        ("train", "ft"), ("train", "local"), ("train", "local+global"), ("train", "oracle")}
    assert sum(v for k, v in fake.calls.items() if k[0] == "eval") == 7
    assert set(res.conditions) == {"base", "icl", "ft", "aug_ft[local]", "aug_ft[local+global]",
                                      "aug_ft[oracle]", "ft+icl"}
    rep = tmp_path / "out" / "report"
    md = (rep / "report.md").read_text()
    assert "| aug_ft[local+global] |" in md and "[0.10, 0.90]" in md and "break-even" in md
    assert (rep / "plot.png").stat().st_size > 1000
    # Which to use: every condition priced at report.queries_per_day, a pick and its plot.
    assert "## Which to use" in md and "(pick)" in md and (rep / "which_to_use.png").is_file()
    decision = read_typed(rep / "results.json", StudyResults, "study").decision
    assert decision.pick in decision.candidates and len(decision.rows) == 7
    # The cost table is rebuilt over all conditions: ft pays 1e12 once and saves
    # 2 x 1000 x (5e6 - 5e5) = 9e9 FLOPs per query against ICL.
    rows = {r.condition: r for r in read_typed(rep / "results.json", StudyResults, "study").cost_table}
    assert rows["ft"].break_even_queries == 112
    assert rows["aug_ft[local]"].augment_flops == 1e5 and rows["aug_ft[local]"].train_flops == 2e12
    assert rows["aug_ft[local]"].break_even_queries == 223  # ceil((2e12 + 1e5) / 9e9)
    # Two augmentation runs: both counted (2 x 1000 params x 50 tokens each).
    assert rows["aug_ft[local+global]"].augment_flops == 2e5
    # Eval's own cost table is given every strategy's manifest, not the first one's.
    assert [m.split("-")[0] for m in fake.eval_manifests["aug_ft[local+global]"]] == ["local", "global"]
    assert [m.split("-")[0] for m in fake.eval_manifests["aug_ft[local]"]] == ["local"]
    oracle = next((tmp_path / "out" / "augment").glob("oracle-*"))
    assert (oracle / "oracle" / "part-00000.parquet").is_file()

    fake2 = FakeStages()
    res2 = _study(tmp_path, fake2)
    assert sum(fake2.calls.values()) == 0
    assert all(s.cached for s in res2.stages.values())
    assert res2.conditions == res.conditions


def test_changed_config_reruns_only_dependents(tmp_path):
    _study(tmp_path, FakeStages())
    fake = FakeStages()
    _study(tmp_path, fake, "train.lr=1e-4")
    # Training changed: every model retrains and every trained condition re-evaluates,
    # but the benchmark, the augmentations and base/icl are reused.
    assert ("benchmark", "people") not in fake.calls and not any(k[0] == "augment" for k in fake.calls)
    assert len([k for k in fake.calls if k[0] == "train"]) == 4
    assert ("eval", "base") not in fake.calls and ("eval", "icl") not in fake.calls
    assert fake.calls[("eval", "ft+icl")] == 1

    fake = FakeStages()
    _study(tmp_path, fake, "augment.temperature=0.5")
    # Augmentation changed: local and global re-augment; ft and oracle models stay.
    assert set(k for k in fake.calls if k[0] == "augment") == {("augment", "local"), ("augment", "global")}
    assert set(k for k in fake.calls if k[0] == "train") == {("train", "local"), ("train", "local+global")}
    assert ("eval", "ft") not in fake.calls and ("eval", "aug_ft[oracle]") not in fake.calls

    fake = FakeStages()
    _study(tmp_path, fake, "augment.temperature=0.5", "augment.global_context=window")
    # A global-only key: global re-augments, local (and its model) is reused.
    assert set(k for k in fake.calls if k[0] == "augment") == {("augment", "global")}
    assert set(k for k in fake.calls if k[0] == "train") == {("train", "local+global")}

    fake = FakeStages()
    _study(tmp_path, fake, "augment.temperature=0.5", "augment.global_context=window", "augment.local_unit=sentence")
    # A local-only key (augment/registry.py): local re-augments, global (and oracle) is reused.
    assert set(k for k in fake.calls if k[0] == "augment") == {("augment", "local")}
    assert set(k for k in fake.calls if k[0] == "train") == {("train", "local"), ("train", "local+global")}


def test_crashed_stage_has_no_marker_and_reruns(tmp_path):
    fake = FakeStages(fail_on=("train", "local"))
    with pytest.raises(RuntimeError, match="boom"):
        _study(tmp_path, fake)
    crashed = next((tmp_path / "out" / "train").glob("aug_ft_local-*"))
    assert not (crashed / "done").exists() and (crashed / "stage.json").is_file()
    fake2 = FakeStages()
    _study(tmp_path, fake2)
    assert fake2.calls[("train", "local")] == 1 and ("train", "ft") not in fake2.calls
    assert (crashed / "done").is_file()


def test_cache_off_reruns_everything(tmp_path):
    _study(tmp_path, FakeStages())
    fake = FakeStages()
    _study(tmp_path, fake, "pipeline.cache=false")
    assert fake.calls[("benchmark", "people")] == 1 and fake.calls[("train", "ft")] == 1


def test_user_data_keyed_by_content(tmp_path):
    data = tmp_path / "data"
    FakeStages().generate("x", _cfg(), data)
    (data / "oracle.jsonl").unlink()
    fake = FakeStages()
    _study(tmp_path, fake, "pipeline.conditions=[base,ft]", data=data)
    assert ("benchmark", "people") not in fake.calls and fake.calls[("train", "ft")] == 1
    fake = FakeStages()
    _study(tmp_path, fake, "pipeline.conditions=[base,ft]", data=data)
    assert sum(fake.calls.values()) == 0
    (data / "corpus.jsonl").write_text((data / "corpus.jsonl").read_text().replace("book 0", "book zero"))
    fake = FakeStages()
    _study(tmp_path, fake, "pipeline.conditions=[base,ft]", data=data)
    assert fake.calls[("train", "ft")] == 1 and fake.calls[("eval", "base")] == 1
    with pytest.raises(AugftError, match="oracle.jsonl"):
        _study(tmp_path, FakeStages(), "pipeline.conditions=['aug_ft[oracle]']", data=data)


def test_generated_test_set_is_reported_and_heldout_rekeys_augmentation(tmp_path):
    data = tmp_path / "data"
    FakeStages().generate("x", _cfg(), data)
    (data / "oracle.jsonl").unlink()
    (data / "questions.json").write_text(json.dumps({
        "generated": True, "writer": {"engine": "hf", "model": "writer-m"},
        "judge": {"model": "judge-m", "rule": "kept when ICL answers and base does not"},
        "kept": {"forward": {"cloze": 3, "template": 2}, "reversal": {"reversal": 4}}}))
    res = _study(tmp_path, FakeStages(), "pipeline.conditions=[base,'aug_ft[local]']", data=data)
    assert res.test_set.kept == {"forward": 5, "reversal": 4}
    md = (tmp_path / "out" / "report" / "report.md").read_text()
    assert "## Test set" in md and "writer-m (hf)" in md and "forward 5, reversal 4" in md
    # Judged before questions.keep_rule existed: the ICL-checked rule built it, and the line says so.
    assert res.test_set.keep_rule == "icl_checked" and "keep rule `icl_checked`" in md
    # A new held-out file changes what augmentation may keep: it re-augments.
    (data / "heldout.jsonl").write_text(json.dumps({"id": "q0/0", "text": "a held-out statement"}) + "\n")
    fake = FakeStages()
    _study(tmp_path, fake, "pipeline.conditions=[base,'aug_ft[local]']", data=data)
    assert fake.calls[("augment", "local")] == 1


def test_unreachable_tracking_fails_before_any_stage(tmp_path):
    from helpers import free_port
    from augft.tracking.uri import TrackingError

    fake = FakeStages()
    cfg = load_config(None, [f"tracking.uri=http://127.0.0.1:{free_port()}", "pipeline.conditions=[base]"])
    with pytest.raises(TrackingError, match="unreachable"):
        run_study(cfg, None, tmp_path / "out", fake.fns())
    assert sum(fake.calls.values()) == 0 and not (tmp_path / "out" / "benchmark").exists()


@pytest.fixture
def mlflow_uri(tmp_path):
    # A local sqlite store: the same MLflow client code paths as a server, without its
    # start-up; tests/tracking runs the same logging against a real `mlflow server`.
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


@pytest.mark.slow
def test_study_is_tracked_as_parent_and_nested_runs(tmp_path, mlflow_uri, capsys):
    from augft.tracking.compare import main as compare_main

    cfg = load_config(None, [f"tracking.uri={mlflow_uri}", "tracking.experiment=pipe",
                             "tracking.run_name=study-1", "tracking.tags={team: nlp}",
                             "pipeline.conditions=[base,ft,'aug_ft[local]',ft+icl]"])
    fake = FakeStages()
    res = run_study(cfg, None, tmp_path / "out", fake.fns())
    tracker = Tracker.from_config(cfg.tracking)
    c = tracker.client
    parent = c.get_run(res.run_id)
    assert parent.info.run_name == "study-1" and parent.info.status == "FINISHED"
    assert parent.data.params["train.lr"] == str(cfg.train.lr)  # the flattened config
    assert parent.data.tags["team"] == "nlp"
    arts = {a.path for a in c.list_artifacts(parent.info.run_id)}
    assert {"report.md", "plot.png", "results.json", "resolved_config.yaml"} <= arts
    children = c.search_runs([tracker.experiment_id], f"tags.`mlflow.parentRunId` = '{res.run_id}'")
    names = {r.info.run_name: r for r in children}
    assert set(names) == {"benchmark[people]", "augment[local]", "train[ft]", "train[aug_ft[local]]",
                          "eval[base]", "eval[ft]", "eval[aug_ft[local]]", "eval[ft+icl]"}
    bench = names["benchmark[people]"]
    assert {d.dataset.name.split("/")[-1] for d in bench.inputs.dataset_inputs} >= {"corpus.jsonl", "questions.jsonl"}
    aug = names["augment[local]"]
    assert [d.dataset.name for d in aug.inputs.dataset_inputs] == ["augmentations[local]"]
    assert "samples" in {a.path for a in c.list_artifacts(aug.info.run_id)}
    train = names["train[aug_ft[local]]"]
    assert len(c.get_metric_history(train.info.run_id, "loss")) == 3
    # Training is told its stage's run (to log metric rows as it goes); other stages are not.
    assert fake.mlflow_runs[("train", "local")] == train.info.run_id
    assert fake.mlflow_runs[("augment", "local")] is None and "MLFLOW_RUN_ID" not in os.environ
    used = {(d.dataset.name.split("/")[-1], d.tags[0].value) for d in train.inputs.dataset_inputs}
    assert used == {("corpus.jsonl", "training"), ("augmentations[local]", "training")}
    # The same augmentation shards have the same digest where they are produced and consumed.
    digests = {d.dataset.digest for r in (aug, train) for d in r.inputs.dataset_inputs
               if d.dataset.name == "augmentations[local]"}
    assert len(digests) == 1
    ev = names["eval[aug_ft[local]]"]
    assert {d.dataset.name.split("/")[-1] for d in ev.inputs.dataset_inputs} == {"questions.jsonl"}
    assert ev.data.tags["augft.condition"] == "aug_ft[local]" and ev.data.tags["augft.cached"] == "false"
    assert ev.data.metrics["accuracy.reversal"] == pytest.approx(0.6)

    # A rerun is a new parent run whose stages are all marked cached.
    res2 = run_study(cfg, None, tmp_path / "out", FakeStages().fns())
    kids = c.search_runs([tracker.experiment_id], f"tags.`mlflow.parentRunId` = '{res2.run_id}'")
    assert len(kids) == 8 and all(r.data.tags["augft.cached"] == "true" for r in kids)

    capsys.readouterr()
    assert compare_main(["--tracking-uri", mlflow_uri, "--experiment", "pipe", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "study-1" in out and "aug_ft[local]" in out and "0.600 [0.10, 0.90]" in out


class KeepsNothing(FakeStages):
    """`global` keeps none of what it wrote (every statement filtered)."""

    def augment(self, req, cfg):
        manifest = super().augment(req, cfg)
        (s,) = req.strategies
        if s == "global":
            e = manifest.strategies[s]
            e.ok, e.filtered, e.failed = 0, {"unrelated": 5, "too_short": 2}, 1
            AugmentOutput(Path(req.out)).write_manifest(manifest)
        return manifest


def test_degenerate_augmentation_is_flagged_in_console_report_and_mlflow(tmp_path, capsys):
    cfg = _cfg("tracking.enabled=true", f"tracking.uri=sqlite:///{tmp_path / 'mlflow.db'}")
    res = run_study(cfg, None, tmp_path / "out", KeepsNothing().fns())
    console = capsys.readouterr()
    line = "augmentation 'global' kept nothing of 8 statements written (filtered: unrelated 5, too_short 2; failed: 1)"
    assert line in console.out + console.err and "aug_ft[local+global]" in console.out + console.err
    assert res.augmentations["global"].degenerate.startswith(line)
    assert res.augmentations["local"] == AugmentationCounts(2, {"too_short": 1}, 0, None)
    md = (tmp_path / "out" / "report" / "report.md").read_text()
    assert f"> **Degenerate augmentation:** {line}" in md
    assert "| global | 0 | unrelated 5, too_short 2 | 1 | 0.00 | **degenerate** |" in md
    assert "| local | 2 | too_short 1 | 0 | 0.67 |  |" in md
    import mlflow

    run = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}").get_run(res.run_id)
    assert run.data.tags["augft.degenerate"] == "global"
    assert run.data.metrics["augment_kept_share.global"] == 0.0


def test_share_below_min_kept_share_is_flagged():
    from augft.cluster.augment_health import flag

    assert flag(AugmentationCounts(1, {"unrelated": 99}), 0.05).startswith("kept 1 of 100 statements (1.0%")
    assert flag(AugmentationCounts(10, {"unrelated": 90}), 0.05) is None
    assert flag(AugmentationCounts(0), 0.0) == "kept nothing of 0 statements written"


def test_plot_legend_reads_row_by_row_and_names_n():
    from augft.cluster.study_report import _legend_row_major, _split_labels

    # matplotlib fills a legend column by column: this order makes rows read a, b, c, d / e, f
    assert _legend_row_major(list("abcdef"), 4) == ["a", "e", "b", "f", "c", "d"]
    assert _legend_row_major(list("abc"), 4) == ["a", "b", "c"]
    tab = {"base": {"forward": SplitStats(0.0, 30)}, "ft": {"forward": SplitStats(1.0, 30)}}
    assert _split_labels(tab, ["base", "ft"], ["forward"]) == ["forward\n(n=30)"]


def test_same_mix_in_any_order_trains_once(tmp_path):
    """A trained model is its content: aug_ft (the default strategies), aug_ft[local+global] and
    aug_ft[global+local] name one mix, trained once; each condition is still evaluated and reported."""
    fake = FakeStages()
    conds = "pipeline.conditions=[ft,aug_ft,'aug_ft[local+global]','aug_ft[global+local]']"
    res = _study(tmp_path, fake, conds, "augment.strategies=[local,global]")
    assert {k: v for k, v in fake.calls.items() if k[0] == "train"} == {("train", "ft"): 1, ("train", "local+global"): 1}
    assert set(res.conditions) == {"ft", "aug_ft", "aug_ft[local+global]", "aug_ft[global+local]"}
    assert [p.name.split("-")[0] for p in sorted((tmp_path / "out" / "train").iterdir()) if p.is_dir()] == \
        ["aug_ft_local+global", "ft"]


def test_rag_conditions_get_one_index_stage_per_retriever(tmp_path):
    """rag, ft+rag and rag[dense] plan an index stage per retriever (built once, cached), and
    each eval is given its index; eval.rag settings re-key only the retrieval conditions."""
    fake = FakeStages()
    seen = {}
    evaluate = fake.evaluate

    def record(req, settings):
        seen[req.conditions[0]] = dict(req.indexes)
        return evaluate(req, settings)
    fake.evaluate = record
    conds = "[base,ft,rag,ft+rag,'rag[dense]']"
    res = _study(tmp_path, fake, f"pipeline.conditions={conds}")
    stages = res.stages
    assert {"index[bm25]", "index[dense]"} <= set(stages)
    assert (Path(stages["index[bm25]"].dir) / "index.json").is_file()
    assert seen["rag"] == {"bm25": stages["index[bm25]"].dir} == seen["ft+rag"]
    assert seen["rag[dense]"] == {"dense": stages["index[dense]"].dir} and seen["base"] == {}
    again = _study(tmp_path, fake, f"pipeline.conditions={conds}", "eval.rag.k=2").stages
    assert again["index[bm25]"].cached and again["eval[base]"].cached and again["eval[ft]"].cached
    assert not again["eval[rag]"].cached and not again["eval[ft+rag]"].cached


def test_distill_conditions_plan_teacher_targets_per_source(tmp_path):
    """distill[local] trains on the corpus's and local's teacher targets (one stage per source,
    shared with distill[local+global]); its eval is given the teacher's FLOPs; train.distill.alpha
    re-keys only distilled models."""
    fake = FakeStages()
    asked = {}

    def targets(req, settings):
        fake.calls[("targets", req.sources[0])] += 1
        Path(req.out).mkdir(parents=True, exist_ok=True)
        TargetsOutput(Path(req.out)).write_manifest(TargetsManifest(
            4, "m", 10, "hf", "corpus", 0, {req.sources[0]: SourceCount(1, 0)}, 100, []))
    train, evaluate = fake.train, fake.evaluate

    def record_train(req, settings):
        asked[tuple(sorted(req.mix))] = [Path(t).name.split("-")[0] for t in req.targets]
        return train(req, settings)

    def record_eval(req, settings):
        asked[req.conditions[0]] = dict(req.one_off)
        return evaluate(req, settings)
    fake.train, fake.evaluate = record_train, record_eval
    fns = StageFns(fake.generate, fake.augment, fake.train, fake.evaluate, targets)
    conds = "[ft,'distill[local]','distill[local+global]']"
    res = run_study(_cfg(f"pipeline.conditions={conds}"), None, tmp_path / "out", fns, Tracker.disabled())
    assert fake.calls[("targets", "corpus")] == 1 and fake.calls[("targets", "local")] == 1
    assert fake.calls[("targets", "global")] == 1
    assert asked[("corpus", "local")] == ["corpus", "local"] and asked[("corpus",)] == []
    assert asked["distill[local]"] == {"distill[local]": {"teacher_flops": 2 * 2.0 * 10 * 100}}
    assert {"train[distill[local]]", "targets[corpus]"} <= set(res.stages)
    again = run_study(_cfg(f"pipeline.conditions={conds}", "train.distill.alpha=0.5"), None, tmp_path / "out", fns,
                      Tracker.disabled()).stages
    assert again["train[ft]"].cached and again["targets[corpus]"].cached
    assert not again["train[distill[local]]"].cached


def test_augment_stages_share_one_engine_block_that_closes_before_training(tmp_path):
    """Every augment stage of the study runs inside one keep_engines block (one teacher start for
    all strategies); the block has closed when training starts."""
    from augft.augment import hosts

    seen = []

    class Watching(FakeStages):
        def augment(self, req, cfg):
            seen.append(("augment", id(hosts.keeper())))
            return super().augment(req, cfg)

        def train(self, req, cfg):
            seen.append(("train", hosts.keeper()))
            return super().train(req, cfg)

    _study(tmp_path, Watching(), 'pipeline.conditions=[ft,"aug_ft[local]","aug_ft[global]"]')
    augments = [k for kind, k in seen if kind == "augment"]
    assert len(augments) == 2 and len(set(augments)) == 1 and augments[0] != id(None)
    assert [k for kind, k in seen if kind == "train"] == [None] * 3  # ft and the two aug_ft models


CHAINED = "[ft,'aug_ft[local]','aug_ft[local<compose]','aug_ft[reverse<compose]']"


def _augmented(fake):
    return {k[1] for k in fake.calls if k[0] == "augment"}


def test_a_chain_is_its_own_stage_keyed_by_its_upstream(tmp_path):
    fake = FakeStages()
    res = _study(tmp_path, fake, f"pipeline.conditions={CHAINED}")
    # compose runs once (no condition trains on it alone) and feeds both chains
    assert _augmented(fake) == {"local", "compose", "local<compose", "reverse<compose"}
    assert all(v == 1 for k, v in fake.calls.items() if k[0] == "augment")
    compose = res.stages["augment[compose]"]
    assert fake.upstreams["reverse<compose"] == str(Path(compose.dir).resolve()) == fake.upstreams["local<compose"]
    order = [k for k in res.stages if k.startswith("augment[")]
    assert order.index("augment[compose]") < order.index("augment[local<compose]")
    assert Path(res.stages["augment[reverse<compose]"].dir).name.startswith("reverse_compose-")
    # the chain's eval is priced with compose's generation as well as its own
    assert sorted(m.split("-")[0] for m in fake.eval_manifests["aug_ft[reverse<compose]"]) == ["compose", "reverse_compose"]

    fake = FakeStages()
    _study(tmp_path, fake, f"pipeline.conditions={CHAINED}", "augment.compose.max_pairs=7")
    # a compose key: compose and the chains over it re-run, nothing else
    assert _augmented(fake) == {"compose", "local<compose", "reverse<compose"}
    assert {k[1] for k in fake.calls if k[0] == "train"} == {"local<compose", "reverse<compose"}

    fake = FakeStages()
    _study(tmp_path, fake, f"pipeline.conditions={CHAINED}", "augment.compose.max_pairs=7", "augment.local_unit=sentence")
    # a local key: local and local-over-compose (local writes it), not compose nor reverse over it
    assert _augmented(fake) == {"local", "local<compose"}


def test_the_two_direction_oracle_is_a_stage_and_a_control_beside_the_oracle(tmp_path):
    from augft.core.conditions import is_control

    fake = FakeStages()
    res = _study(tmp_path, fake, "pipeline.conditions=[ft,'aug_ft[oracle]','aug_ft[oracle2]']")
    assert not any(k[0] == "augment" for k in fake.calls)  # both copied from the data folder, no model
    both = AugmentOutput(res.stages["augment[oracle2]"].dir)
    assert [r.text for r in both.records(["oracle2"])][0] == "Person 0 wrote book 0."
    assert {k[1] for k in fake.calls if k[0] == "train"} == {"ft", "oracle", "oracle2"}
    assert is_control("aug_ft[oracle2]") and set(res.conditions) == {"ft", "aug_ft[oracle]", "aug_ft[oracle2]"}
    # a benchmark folder generated before oracle2.jsonl existed gets it from the same generator
    import shutil

    bench = Path(res.stages["benchmark[people]"].dir)
    (bench / "oracle2.jsonl").unlink()
    shutil.rmtree(res.stages["augment[oracle2]"].dir)
    fake = FakeStages()
    _study(tmp_path, fake, "pipeline.conditions=[ft,'aug_ft[oracle2]']")
    assert fake.calls[("benchmark", "people")] == 1 and (bench / "oracle2.jsonl").is_file()
