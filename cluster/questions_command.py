"""`augft questions --data DIR [--out DIR]`: a held-out multiple-choice test set from a corpus.

Mechanical candidates (eval.questions.build) -> model-written rewrites of a seeded sample of
them (any augment engine: the embedded model by default) -> the keep rule (questions.keep_rule:
`fair` checks validity by text and prior knowledge by the base model's confidence, `icl_checked`
asks ICL; eval.questions.keep), the model's part scored with eval's scorer
(eval.questions.judge) -> a per-split subsample. Writes, into the output folder
(the data folder by default): questions.jsonl, heldout.jsonl (the statements the questions
test, which augmentation must not copy verbatim), questions.json (the report: generated, by
which model, how many candidates, rewrites and keeps per split), and corpus.jsonl when the
output folder is not the data folder, so it is a complete data folder for `augft run --data`.
"""
from __future__ import annotations

import json
import logging
import random
import shutil
import time
from pathlib import Path
from typing import Dict, List, Optional

from tqdm import tqdm

from augft.core.corpus import HELDOUT, discover, iter_corpus
from augft.eval.questions.report import REPORT
from augft.core.errors import AugftError
from augft.core.io import atomic_write_json
from augft.core.records import write_jsonl
from augft.eval.questions import rewrite
from augft.eval.questions.build import SPLITS, Candidate, mechanical
from augft.eval.questions.keep import RULES, counts, decide, heldout, invalid, select, to_questions

log = logging.getLogger(__name__)


def _rewrites(cfg, cands: Dict[str, List[Candidate]], report: dict) -> Dict[str, List[Candidate]]:
    """Ask the configured engine to rewrite up to questions.per_split candidates per split."""
    from augft.augment.engines.base import GenRequest, Sampling, make_engine

    q = cfg.questions
    rng = random.Random(cfg.seed)
    asked = {s: rng.sample(c, min(len(c), int(q.per_split))) for s, c in cands.items()}
    flat = [c for s in SPLITS for c in asked[s]]
    engine = make_engine(cfg)
    sampling = Sampling(temperature=float(q.temperature), max_new_tokens=int(q.max_new_tokens), n=1,
                        stop=rewrite.STOP)
    try:
        t0 = time.time()
        results = []
        step = max(1, int(cfg.augment.batch_size))  # one engine batch at a time: a bar that moves
        with tqdm(total=len(flat), desc="questions: rewriting", unit="question") as bar:
            for i in range(0, len(flat), step):
                part = flat[i:i + step]
                results += engine.generate([GenRequest(c.id, rewrite.render(c), seed=cfg.seed) for c in part],
                                           sampling)
                bar.update(len(part))
        model = engine.model_name
    finally:
        engine.close()
    out: Dict[str, List[Candidate]] = {s: [] for s in SPLITS}
    reasons: Dict[str, Dict[str, int]] = {s: {} for s in SPLITS}
    # A rewrite that lands on a prompt another candidate already has is no new question.
    seen = {(c.split, " ".join(c.prompt.lower().split()), c.answer) for s in SPLITS for c in cands[s]}
    for c, res in zip(flat, results):
        text = res.texts[0] if res.texts and not res.error else ""
        why = "engine_error" if res.error else rewrite.accept(c, text)
        if why is None:
            new = rewrite.rewritten(c, text, model)
            key = (new.split, " ".join(new.prompt.lower().split()), new.answer)
            why = "duplicate" if key in seen else None
            if why is None:
                seen.add(key)
                out[c.split].append(new)
        reasons[c.split][why or "accepted"] = reasons[c.split].get(why or "accepted", 0) + 1
    report["writer"] = {"engine": str(cfg.augment.engine), "model": model, "prompt_hash": rewrite.PROMPT_HASH,
                        "temperature": float(q.temperature), "asked": {s: len(asked[s]) for s in SPLITS},
                        "outcomes": reasons, "wall_s": round(time.time() - t0, 1)}
    return out


JUDGE_KEYS = "questions.judge_cpus, questions.judge_gpus"


def judge_here(cfg, cands: List[Candidate], docs, gpus: float = 0.0) -> list:
    """The keep/drop verdicts, with the model on this process's device (in a Ray task: the GPU
    Ray assigned it, `questions.judge_gpus`)."""
    from augft.core.models import load_from_config
    from augft.core.resources import actor_device, model_on
    from augft.eval.questions.judge import judge

    model = cfg.model
    if gpus > 0:
        model = model_on(model, actor_device(str(model.device), gpus, "questions.judge_gpus"))
    lm = load_from_config(model)
    return judge(lm.model, lm.tokenizer, cands, {d.id: d for d in docs}, cfg.eval,
                 icl=str(cfg.questions.keep_rule) == "icl_checked")


def _judge(cfg, cands: List[Candidate], docs, judge_fn=judge_here) -> list:
    """In this process, or (questions.judge_gpus > 0) as one Ray task holding the GPUs, checked
    against the cluster first so it fails naming the keys instead of waiting forever."""
    q = cfg.questions
    gpus = float(q.judge_gpus)
    if gpus <= 0:
        return judge_fn(cfg, cands, docs)
    import ray

    from augft.core.ray_init import ray_session
    from augft.core.resources import actor_options, actors_spec, check_cluster

    with ray_session(cfg.cluster, log_to_driver=False):
        check_cluster(actors_spec(1, float(q.judge_cpus), gpus, JUDGE_KEYS, "the questions judge"))
        task = ray.remote(judge_fn).options(**actor_options(float(q.judge_cpus), gpus))
        return ray.get(task.remote(cfg, cands, docs, gpus))


def _keep(cfg, flat: List[Candidate], docs, report: dict):
    """The candidates questions.keep_rule keeps, and the model's verdicts by candidate id;
    report["judge"] gets the rule and each split's outcome per reason. Under `fair` the model is
    asked only about valid candidates, and only without context."""
    q, text = cfg.questions, {d.id: d.text for d in docs}
    rule = str(q.keep_rule)
    sources = {c.id: [text[i] for i in c.source_ids if i in text] for c in flat}
    asked = flat if rule == "icl_checked" else [c for c in flat if invalid(c, sources[c.id]) is None]
    verdicts = dict(zip((c.id for c in asked), _judge(cfg, asked, docs) if asked else []))
    why = {c.id: decide(rule, c, verdicts.get(c.id), sources[c.id], float(q.prior_confidence)) for c in flat}
    kept = [c for c in flat if why[c.id] == "kept"]
    report["judge"] = {
        "model": str(cfg.model.name), "keep_rule": rule,
        "rule": RULES[rule].format(p=float(q.prior_confidence)),
        "outcomes": {s: counts([c for c in flat if c.split == s], lambda c: why[c.id]) for s in SPLITS}}
    if rule == "fair":
        report["judge"]["prior_confidence"] = float(q.prior_confidence)
    return kept, verdicts


def _check_overwrite(out: Path, force: bool) -> None:
    """A test set already in `out` is replaced only with --force: a model may have judged it,
    a study may have been scored on it, and a rerun would silently change both."""
    if not (out / "questions.jsonl").is_file():
        return
    if not (out / REPORT).is_file():
        raise AugftError(f"{out / 'questions.jsonl'} exists and was not written by augft questions; "
                         "pass --out to write the generated test set elsewhere")
    if not force:
        judged = "judged by a model, " if "judge" in json.loads((out / REPORT).read_text()) else ""
        raise AugftError(f"{out / 'questions.jsonl'} is a test set augft questions built ({judged}see "
                         f"{out / REPORT}); pass --force to replace it, or --out to write a new one elsewhere")


def build_questions(cfg, data: Path, out: Path, force: bool = False) -> dict:
    """Write the test set into `out`; returns the report (also questions.json)."""
    q = cfg.questions
    corpus = discover(str(data), max_tokens=int(cfg.max_document_tokens))  # bounded documents
    docs = list(iter_corpus(corpus))
    if not docs:
        raise AugftError(f"{data}: the corpus has no documents")
    _check_overwrite(out, force)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    mech = mechanical(docs, int(q.n_choices), int(cfg.seed))
    report: dict = {"generated": True, "corpus_documents": len(docs), "seed": int(cfg.seed),
                    "n_choices": int(q.n_choices), "candidates": {s: counts(mech[s], lambda c: c.kind)
                                                                   for s in SPLITS}}
    if not any(mech.values()):
        raise AugftError(f"{data}: no sentence in the corpus states a fact augft questions can ask about "
                         "(a name followed by an entity, number or description it completes)")
    cands = {s: list(mech[s]) for s in SPLITS}
    if q.generate:
        for s, extra in _rewrites(cfg, mech, report).items():
            cands[s] += extra
    flat = [c for s in SPLITS for c in cands[s]]
    kept, verdicts = _keep(cfg, flat, docs, report) if q.filter else (flat, {})
    chosen = [c for s in SPLITS for c in select([c for c in kept if c.split == s], int(q.per_split), cfg.seed)]
    if verdicts:  # base accuracy on the written set: the fair rule does not select it away
        report["judge"]["base_correct_of_kept"] = {s: sum(verdicts[c.id].base_correct for c in chosen
                                                          if c.split == s) for s in SPLITS}
    questions = to_questions(chosen, int(cfg.seed))
    report["kept"] = {s: counts([x for x in questions if x.split == s], lambda x: x.kind) for s in SPLITS}
    report["questions"] = len(questions)
    if not questions:
        atomic_write_json(out / REPORT, report)
        raise AugftError(f"no question passed the keep rule questions.keep_rule={q.keep_rule} (see the judge "
                         f"outcomes in {out / REPORT}); try questions.filter=false or a stronger model for "
                         "the rule (model.name)")
    by_id = {c.id: c for c in chosen}
    write_jsonl(out / HELDOUT, heldout(questions, by_id))
    write_jsonl(out / "questions.jsonl", questions)
    if out.resolve() != Path(data).resolve():
        for name in ("corpus.jsonl", "corpus.parquet"):
            if (Path(data) / name).is_file():
                shutil.copyfile(Path(data) / name, out / name)
    report["wall_s"] = round(time.time() - t0, 1)
    atomic_write_json(out / REPORT, report)
    return report


def run_questions(cfg, data: Optional[Path] = None, out: Optional[Path] = None, force: bool = False) -> int:
    """CLI entry (`augft questions`)."""
    if data is None:
        raise AugftError("augft questions needs --data DIR (a folder with corpus.jsonl)")
    out = Path(out) if out is not None else Path(data)
    report = build_questions(cfg, Path(data), out, force)
    for s in SPLITS:
        print(f"{s:10s} kept {sum(report['kept'][s].values()):4d}  {report['kept'][s]}")
    writer = report.get("writer", {}).get("model", "none (questions.generate=false)")
    print(f"written by: templates + {writer}; test set: {out / 'questions.jsonl'}; report: {out / REPORT}")
    return 0
