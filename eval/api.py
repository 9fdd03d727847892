"""`augft eval`: score conditions on a multiple-choice test set and report accuracy and costs.

Public functions:
    run_eval(cfg, data, out) -> int        # the CLI stage
    evaluate(cfg, data_dir, out_dir, models=None) -> dict   # the results (also results.json)

Outputs (in out_dir): predictions.jsonl, plot_<split>.png, report.md, and results.json last;
results.json (with "complete": true) exists only when every condition finished, and stale outputs
of an earlier run are removed first, so a failed run never leaves a report that looks complete.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional

from augft.core.artifacts import EvalOutput
from augft.core.errors import AugftError
from augft.core.records import Question, read_corpus, read_questions, write_jsonl
from augft.eval.conditions import Condition, parse_conditions
from augft.eval.metrics import SCORINGS, argmax, choose, summarize

log = logging.getLogger(__name__)

OUTPUTS = ("results.json", "report.md", "predictions.jsonl")


def _select_questions(cfg, data_dir: Path) -> List[Question]:
    questions = read_questions(data_dir)
    if cfg.eval.splits:
        wanted = set(cfg.eval.splits)
        missing = wanted - {q.split for q in questions}
        if missing:
            raise AugftError(f"eval.splits names {sorted(missing)}, which no question in "
                             f"{data_dir}/questions.jsonl has")
        questions = [q for q in questions if q.split in wanted]
    if cfg.eval.limit > 0:
        questions = questions[:cfg.eval.limit]
    return questions


def _check_cfg(cfg) -> None:
    e = cfg.eval
    if e.scoring not in SCORINGS:
        raise AugftError(f"eval.scoring must be one of {', '.join(SCORINGS)}, got '{e.scoring}'")
    if e.batch_size < 1:
        raise AugftError(f"eval.batch_size must be at least 1, got {e.batch_size}")
    if e.bootstrap < 0:
        raise AugftError(f"eval.bootstrap must be >= 0, got {e.bootstrap}")


def _clear_outputs(out: Path) -> None:
    for name in OUTPUTS:
        (out / name).unlink(missing_ok=True)
    for p in out.glob("plot_*.png"):
        p.unlink()


def _one_off(cfg, cond: Condition, n_params: int) -> Dict[str, float]:
    from augft.eval.costs import augment_flops, train_flops

    costs = cfg.eval.costs
    out: Dict[str, float] = {}
    for label in (cond.label, cond.model_label):
        if "train_flops" not in out and label in costs.train_summaries:
            out["train_flops"] = train_flops(costs.train_summaries[label],
                                             f"eval.costs.train_summaries.{label}")
        if "augment_flops" not in out and label in costs.augment_manifests:
            out["augment_flops"] = augment_flops(costs.augment_manifests[label],
                                                 f"eval.costs.augment_manifests.{label}", n_params)
    return out


def _score_model(cfg, name: str, conds: List[Condition], questions: List[Question], corpus,
                 results: dict, pred_rows: list, cost_inputs: dict, one_off: dict) -> None:
    from augft.core.models import load_model
    from augft.eval.context import build_context
    from augft.eval.encoding import Encoder
    from augft.eval.scoring import Scorer

    e = cfg.eval
    m = load_model(name, cfg.model.cache_dir, cfg.model.device, cfg.model.dtype, cfg.model.trust_remote_code)
    enc = Encoder(m.tokenizer, e.target_delimiter, e.chat_template)
    scorer = Scorer(m.model, m.tokenizer.pad_token_id)
    window = cfg.model.max_context or m.max_context
    n_params = m.n_params

    def where(q):
        return f"question '{q.id}'"

    plain = [enc.question(q.prompt, q.choices, has_context=False, where=where(q)) for q in questions]
    for q, eq in zip(questions, plain):
        if len(eq.prompt) + max(len(c) for c in eq.choices) > window:
            raise AugftError(f"{where(q)} is longer than the model's {window}-token window")
    # Calibration: each distinct choice once, after the neutral prompt, no context; only when
    # asked for, since it is one more pass over every distinct choice.
    neutral: Dict[str, float] = {}
    if e.scoring == "calibrated" or e.calibrate:
        uniq = sorted({c for q in questions for c in q.choices})
        neutral_q = [enc.question(e.calibration_prompt, [c], has_context=False) for c in uniq]
        neutral = {c: s[0].logprob for c, s in zip(uniq, scorer.score(
            neutral_q, e.batch_size, max_tokens=e.max_batch_tokens, progress=f"{m.name}: calibration"))}
    variants = [sc for sc in SCORINGS if sc != "calibrated" or neutral]

    for cond in conds:
        t0 = time.perf_counter()
        icl_log = None
        if cond.icl:
            with_ctx = [enc.question(q.prompt, q.choices, has_context=True, where=where(q)) for q in questions]
            room = max(len(eq.prompt) + max(len(c) for c in eq.choices) for eq in with_ctx) + 1
            budget = window - room
            if e.icl_max_tokens > 0:
                budget = min(budget, e.icl_max_tokens)
            ctx = build_context(corpus, enc, budget, e.icl_separator, cfg.seed)
            icl_log = ctx.log()
            log.info("%s: ICL context of %d/%d documents, %d tokens", cond.label,
                     len(ctx.doc_ids), ctx.n_docs_total, len(ctx.ids))
            scores = scorer.score(with_ctx, e.batch_size, context_ids=ctx.ids, reuse_cache=e.icl_reuse_cache,
                                  max_tokens=e.max_batch_tokens, progress=cond.label)
            encoded, ctx_len = with_ctx, len(ctx.ids)
        else:
            scores = scorer.score(plain, e.batch_size, max_tokens=e.max_batch_tokens, progress=cond.label)
            encoded, ctx_len = plain, 0
        seconds = time.perf_counter() - t0

        rows = []
        for q, s in zip(questions, scores):
            lps = [c.logprob for c in s]
            ntok = [c.n_tokens for c in s]
            neu = [neutral[c] for c in q.choices] if neutral else None
            chosen = choose(lps, ntok, e.scoring, neu)
            pred = argmax(chosen)
            rows.append({"condition": cond.label, "id": q.id, "split": q.split, "kind": q.kind,
                         "split_kind": f"{q.split}/{q.kind}", "answer": q.answer, "pred": pred,
                         "correct": pred == q.answer, "choices": q.choices, "scores": chosen,
                         "logprob": lps, "n_tokens": ntok, "neutral_logprob": neu,
                         "greedy": [c.greedy for c in s],
                         "by_scoring": {sc: argmax(choose(lps, ntok, sc, neu)) == q.answer for sc in variants}})
        by_scoring = {}
        for sc in variants:
            per = defaultdict(list)
            for r in rows:
                per[r["split"]].append(r["by_scoring"][sc])
            by_scoring[sc] = {k: sum(v) / len(v) for k, v in sorted(per.items())}
        results[cond.label] = {
            "model": cond.model, "model_label": cond.model_label, "icl": icl_log,
            "splits": summarize(rows, "split", e.bootstrap, cfg.seed),
            "kinds": summarize(rows, "split_kind", e.bootstrap, cfg.seed),
            "by_scoring": by_scoring, "seconds": round(seconds, 3)}
        pred_rows.extend(rows)
        n = len(encoded)
        prompt_tokens = ctx_len + sum(len(eq.prompt) for eq in encoded) / n
        choice_tokens = sum(sum(len(c) for c in eq.choices) for eq in encoded) / n
        cost_inputs[cond.label] = {"n_params": n_params, "icl": cond.icl,
                                   "finetuned": cond.model_label != "base",
                                   "prompt_tokens_per_query": prompt_tokens,
                                   "tokens_per_query": prompt_tokens + choice_tokens,
                                   "seconds_per_query": seconds / n}
        one_off[cond.label] = _one_off(cfg, cond, n_params)
    del m, scorer


def evaluate(cfg, data_dir: Path, out_dir: Path, models: Optional[Dict[str, str]] = None) -> dict:
    """Score every condition of cfg.eval on data_dir's questions; write and return the results."""
    from augft.core.models import resolve_model_path
    from augft.eval.costs import cost_table
    from augft.eval.report import write_all

    _check_cfg(cfg)
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    # Outputs of an earlier run go first, so a failure below never leaves a report behind
    # that reads as this run's.
    if out_dir.is_dir():
        _clear_outputs(out_dir)
    all_models = dict(cfg.eval.models)
    all_models.update(models or {})
    conds = parse_conditions(list(cfg.eval.conditions), all_models, cfg.model.name)
    questions = _select_questions(cfg, data_dir)
    corpus = read_corpus(data_dir) if any(c.icl for c in conds) else None
    # Every model must exist before any scoring starts: no half-finished evaluations.
    for c in conds:
        resolve_model_path(c.model, cfg.model.cache_dir)
        _one_off(cfg, c, n_params=1)  # and every cost file reads (they are scaled after scoring)
    out_dir.mkdir(parents=True, exist_ok=True)

    by_model: Dict[str, List[Condition]] = defaultdict(list)
    for c in conds:
        by_model[c.model].append(c)
    cond_results: dict = {}
    pred_rows: list = []
    cost_inputs: dict = {}
    one_off: dict = {}
    for name, group in by_model.items():
        _score_model(cfg, name, group, questions, corpus, cond_results, pred_rows, cost_inputs, one_off)

    results = {
        "complete": True,
        "scoring": cfg.eval.scoring,
        "bootstrap": cfg.eval.bootstrap,
        "n_questions": len(questions),
        "conditions": {c.label: cond_results[c.label] for c in conds},
        "costs": cost_table({c.label: cost_inputs[c.label] for c in conds}, one_off),
    }
    write_jsonl(out_dir / "predictions.jsonl", pred_rows)
    results["plots"] = write_all(results, out_dir)
    EvalOutput(out_dir).write_results(results)
    return results


def run_eval(cfg, data: Optional[Path] = None, out: Path = Path("out/eval")) -> int:
    from augft.eval.report import print_table

    if data is None:
        raise AugftError("augft eval needs --data DIR (a folder with questions.jsonl, and corpus.jsonl for icl)")
    results = evaluate(cfg, data, out)
    print_table(results)
    print(f"wrote {out}/results.json, report.md, predictions.jsonl and "
          f"{len(results['plots'])} plot(s)")
    return 0
