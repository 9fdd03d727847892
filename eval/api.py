"""`augft eval`: score conditions on a multiple-choice test set and report accuracy and costs.

Public functions:
    run_eval(cfg, data, out) -> int        # the CLI stage
    evaluate(cfg, data_dir, out_dir, models=None) -> dict   # the results (also results.json)
    evaluate_request(EvalRequest, EvalSettings) -> EvalResults   # the same, asked by a study stage

Outputs (in out_dir): predictions.jsonl, plot_<split>.png, report.md, and results.json last;
results.json (with "complete": true) exists only when every condition finished, and stale outputs
of an earlier run are removed first, so a failed run never leaves a report that looks complete.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from functools import partial
from pathlib import Path
from typing import Dict, List, Optional

from augft.core.artifacts import EvalOutput, EvalResults, OneOffCost
from augft.core.config.settings import EvalSettings
from augft.core.errors import AugftError
from augft.core.records import Question, read_corpus, read_questions, write_jsonl
from augft.eval.conditions import Evaluated, resolve
from augft.eval.request import EvalRequest
from augft.eval.compare import Measured, compare
from augft.eval.distributed import score_on_ray, use_ray
from augft.eval.session import ModelSession

log = logging.getLogger(__name__)

OUTPUTS = ("results.json", "report.md", "predictions.jsonl")


def _select_questions(cfg, req: EvalRequest) -> List[Question]:
    data_dir = Path(req.data)
    questions = read_questions(data_dir)
    if req.splits:
        wanted = set(req.splits)
        missing = wanted - {q.split for q in questions}
        if missing:
            raise AugftError(f"eval.splits names {sorted(missing)}, which no question in "
                             f"{data_dir}/questions.jsonl has")
        questions = [q for q in questions if q.split in wanted]
    if cfg.eval.limit > 0:
        questions = questions[:cfg.eval.limit]
    if cfg.eval.retention and not req.splits:
        from augft.eval import retention

        questions += retention.questions()
    return questions


def _clear_outputs(out: Path) -> None:
    import shutil

    for name in OUTPUTS:
        (out / name).unlink(missing_ok=True)
    shutil.rmtree(EvalOutput(out).predictions_dir, ignore_errors=True)
    for p in out.glob("plot_*.png"):
        p.unlink()


def _one_off(req: EvalRequest, ev: Evaluated, n_params: int, index=None) -> OneOffCost:
    """Training, augmentation (and index, teacher-target) FLOPs of a condition, from the files
    and values the request names."""
    from augft.eval.costs import augment_flops, train_flops

    out = OneOffCost(index_flops=float(index.info.get("flops") or 0.0) if index is not None else None)
    for label in (ev.label, ev.condition.model_label):
        for name, v in (req.one_off.get(label) or {}).items():  # teacher_flops of a distilled model
            if getattr(out, str(name)) is None:
                setattr(out, str(name), float(v))
    for label in (ev.label, ev.condition.model_label):
        if out.train_flops is None and label in req.train_summaries:
            out.train_flops = train_flops(req.train_summaries[label], f"eval.costs.train_summaries.{label}")
        if out.augment_flops is None and label in req.augment_manifests:
            key = f"eval.costs.augment_manifests.{label}"
            out.augment_flops = sum(augment_flops(str(m), key, n_params) for m in req.augment_manifests[label])
    return out


def _check_inputs(cfg, req: EvalRequest, evs: List[Evaluated]) -> None:
    """Every model exists and every cost file reads before any scoring: no half-finished runs."""
    from augft.core.models import resolve_model_path

    for ev in evs:
        resolve_model_path(ev.model, cfg.model.cache_dir)
        _one_off(req, ev, n_params=1)  # the FLOPs are scaled by the real count after scoring


def _indexes(cfg, req: EvalRequest, evs: List[Evaluated], out_dir: Path) -> dict:
    """Retriever -> open index, for every retriever a rag condition uses: the request's folder,
    else one built once per corpus under eval.rag.index_dir (or beside the results)."""
    from augft.eval.retrieval.build import load_index
    from augft.eval.retrieval.spec import IndexSpec

    rag = cfg.eval.rag
    out = {}
    for ev in evs:
        r = ev.condition.retriever(str(rag.retriever))
        if r is None or r in out:
            continue
        folder = Path(req.indexes[r]) if r in req.indexes else Path(rag.index_dir or out_dir) / f"index-{r}"
        if r not in req.indexes:
            _build_index(cfg, req.data, IndexSpec.from_config(rag, r), folder)
        out[r] = load_index(folder)
    return out


def _build_index(cfg, data: str, spec, folder: Path) -> dict:
    """Here, or with eval.rag.use_ray on Ray Data (the named cluster, or a local Ray for this build)."""
    from augft.eval.retrieval.build import build_index

    if not cfg.eval.rag.use_ray:
        return build_index(data, spec, folder)
    from augft.core.ray_init import ray_session

    with ray_session(cfg.cluster):
        return build_index(data, spec, folder, use_ray=True)


def _score_all(cfg, req: EvalRequest, evs: List[Evaluated], questions, corpus,
               indexes: Optional[dict] = None) -> Dict[str, Measured]:
    """Score conditions grouped by model, so each model loads once."""
    by_model: Dict[str, List[Evaluated]] = defaultdict(list)
    for ev in evs:
        by_model[ev.model].append(ev)
    out: Dict[str, Measured] = {}
    for name, group in by_model.items():
        session = ModelSession(cfg, name)
        for ev in group:
            index = (indexes or {}).get(ev.condition.retriever(str(cfg.eval.rag.retriever)))
            res = session.score(ev, corpus, questions, index)
            out[ev.label] = Measured(res.summary, res.query, _one_off(req, ev, session.n_params, index),
                                     partial(iter, res.rows))
        session.close()
        del session
    return {ev.label: out[ev.label] for ev in evs}


def evaluate(cfg, data_dir: Path, out_dir: Path, models: Optional[Dict[str, str]] = None) -> EvalResults:
    """Score every condition of cfg.eval on data_dir's questions; write and return the results."""
    return evaluate_request(EvalRequest.from_config(cfg, data_dir, out_dir, models), EvalSettings.of(cfg))


def evaluate_request(req: EvalRequest, settings: EvalSettings) -> EvalResults:
    """Score the request's conditions with these settings; write and return the results."""
    from augft.eval.report import write_all

    data_dir, out_dir = Path(req.data), Path(req.out)
    # Outputs of an earlier run go first, so a failure below never leaves a report behind
    # that reads as this run's.
    if out_dir.is_dir():
        _clear_outputs(out_dir)
    evs = resolve(list(req.conditions), dict(req.models), settings.model.name)
    _check_inputs(settings, req, evs)
    out_dir.mkdir(parents=True, exist_ok=True)
    if use_ray(settings) and not any(ev.condition.rag is not None for ev in evs):
        # the questions stream through actors; the predictions are written there
        scored = score_on_ray(settings, req, evs, lambda ev, n: _one_off(req, ev, n))
        n_questions = sum(st.n for st in next(iter(scored.values())).summary.splits.values())
    else:  # in this process (rag conditions retrieve per question from an index opened here)
        questions = _select_questions(settings, req)
        corpus = read_corpus(data_dir) if any(ev.condition.context != "none" for ev in evs) else None
        scored = _score_all(settings, req, evs, questions, corpus, _indexes(settings, req, evs, out_dir))
        n_questions = len(questions)
        write_jsonl(EvalOutput(out_dir).predictions_path, [r for m in scored.values() for r in m.predictions()])
    results = compare(scored, str(settings.eval.scoring), str(settings.eval.interval), n_questions)
    results.decision = _decision(settings, results)
    results.plots = write_all(results, out_dir)
    EvalOutput(out_dir).write_results(results)
    return results


def _decision(settings: EvalSettings, results: EvalResults):
    """The "Which to use" recommendation at report.queries_per_day (core/decision.py)."""
    from augft.core.decision import decide, priced

    r = settings.report
    return decide(priced(results), float(r.queries_per_day), float(r.horizon_days), [str(s) for s in r.splits])


def run_eval(cfg, data: Optional[Path] = None, out: Path = Path("out/eval")) -> int:
    from augft.eval.report import print_table

    if data is None:
        raise AugftError("augft eval needs --data DIR (a folder with questions.jsonl, and corpus.jsonl for icl)")
    results = evaluate(cfg, data, out)
    print_table(results)
    print(f"wrote {out}/results.json, report.md, predictions.jsonl and "
          f"{len(results.plots)} plot(s)")
    return 0
