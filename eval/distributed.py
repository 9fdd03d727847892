"""Scoring at corpus scale: the questions stream through a Ray Data actor pool.

One task reads the test set where it lies (validated, `file:line` in errors) and streams it;
actors load the model once (an eval `ModelSession` each) and score batches of questions for
every condition of that model, the ICL context's KV cache computed once per actor; each batch's
prediction rows go straight to `<out>/predictions/part-*.parquet` and only counts come back:
per split and split/kind the correct answers, the questions and the chance level, per scoring
variant the hits, the tokens read, the seconds, and the few retention rows that retention
against `base` needs. The driver sums them into the same `ConditionSummary` the single-process
scorer builds (the same counts give the same accuracies and intervals).

The ICL context depends on the longest question and on the corpus: a pass over the questions
finds the room the longest one needs, and one task reads the corpus and builds the context; the
actors get its token ids.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from functools import partial
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence

from augft.core.artifacts import ConditionSummary, IclSample, QueryCost, Retention, SplitStats
from augft.core.corpus import discover, iter_shard_records
from augft.core.records import Question
from augft.eval.conditions import Evaluated
from augft.eval.metrics import Tally

if TYPE_CHECKING:
    from augft.eval.compare import Measured

PREDICTIONS = "predictions"


def questions_ds(data: str, splits: Optional[Sequence[str]], limit: int, retention: bool):
    """The test set as a Ray Dataset of question rows, read by one task where it lies."""
    import ray

    ds = ray.data.from_items([{"data": str(data)}], override_num_blocks=1).flat_map(
        _question_rows, fn_kwargs={"splits": list(splits) if splits else None})
    if limit:
        ds = ds.limit(limit)
    if retention and not splits:
        from augft.eval import retention as ret

        ds = ds.union(ray.data.from_items([_row(q) for q in ret.questions()]))
    return ds


def _row(q: Question) -> dict:
    return {"question": json.dumps({"id": q.id, "split": q.split, "kind": q.kind, "prompt": q.prompt,
                                    "choices": list(q.choices), "answer": q.answer}, ensure_ascii=False)}


def _question_rows(row, splits) -> List[dict]:
    qs = discover(row["data"], stem="questions")
    out = []
    for shard in qs.shards:
        for _, q in iter_shard_records(qs, shard, Question):
            if splits is None or q.split in splits:
                out.append(_row(q))
    return out


def _questions(batch) -> List[Question]:
    return [Question(**json.loads(s)) for s in batch["question"]]


@dataclass
class Counts:
    """One condition's scores summed over batches: what its summary and costs are made of."""
    splits: Dict[str, Tally] = field(default_factory=dict)
    kinds: Dict[str, Tally] = field(default_factory=dict)
    hits: Dict[str, Dict[str, List[int]]] = field(default_factory=dict)
    """Scoring variant -> split -> [correct, n]."""
    n: int = 0
    seconds: float = 0.0
    prompt_tokens: int = 0
    tokens: int = 0
    retention_rows: List[dict] = field(default_factory=list)
    """The rows of the retention split (at most the bank's 66): retention against base joins them."""

    def add(self, s: dict) -> None:
        for key, target in (("splits", self.splits), ("kinds", self.kinds)):
            for g, (c, n, ch) in s[key].items():
                target.setdefault(g, Tally()).merge(Tally(c, n, ch))
        for sc, per in s["hits"].items():
            for g, (c, n) in per.items():
                acc = self.hits.setdefault(sc, {}).setdefault(g, [0, 0])
                acc[0], acc[1] = acc[0] + c, acc[1] + n
        self.n += s["n"]
        self.seconds += s["seconds"]
        self.prompt_tokens += s["prompt_tokens"]
        self.tokens += s["tokens"]
        self.retention_rows += s["retention_rows"]


def batch_counts(rows: List[dict], scored) -> dict:
    """The counts of one condition's rows of one batch (what an actor sends back)."""
    splits: Dict[str, Tally] = {}
    kinds: Dict[str, Tally] = {}
    hits: Dict[str, Dict[str, List[int]]] = {}
    for r in rows:
        splits.setdefault(r["split"], Tally()).add(r["correct"], len(r["choices"]))
        kinds.setdefault(r["split_kind"], Tally()).add(r["correct"], len(r["choices"]))
        for sc, ok in r["by_scoring"].items():
            acc = hits.setdefault(sc, {}).setdefault(r["split"], [0, 0])
            acc[0], acc[1] = acc[0] + int(ok), acc[1] + 1
    return {"splits": {g: [t.correct, t.n, t.chance_sum] for g, t in splits.items()},
            "kinds": {g: [t.correct, t.n, t.chance_sum] for g, t in kinds.items()}, "hits": hits,
            "n": len(rows), "seconds": scored.seconds, "prompt_tokens": scored.prompt_tokens,
            "tokens": scored.tokens, "retention_rows": [r for r in rows if r["split"] == "retention"]}


class ScoringActor:
    """Ray Data callable class: one model session per actor, every condition of that model per batch.
    The model loads on the device Ray assigned the actor (eval.actor_gpus; `actor_device`)."""

    def __init__(self, settings, model: str, evs: List[Evaluated], ctx_ids: Optional[List[int]], out: str):
        from dataclasses import replace

        from augft.core.resources import actor_device, model_on

        self.device = actor_device(str(settings.model.device), float(settings.eval.actor_gpus), "eval.actor_gpus")
        self.session = self._session(replace(settings, model=model_on(settings.model, self.device)), model)
        self.evs, self.ctx_ids, self.out = evs, ctx_ids, Path(out) / PREDICTIONS

    def _session(self, settings, model: str):
        from augft.eval.session import ModelSession

        return ModelSession(settings, model)

    def __call__(self, batch):
        from augft.core.records import write_parquet

        qs = _questions(batch)
        name = hashlib.sha1("\n".join(q.id for q in qs).encode()).hexdigest()[:16]
        stats = []
        for i, ev in enumerate(self.evs):
            scored = self.session.score_rows(ev, qs, self.ctx_ids if ev.condition.icl else None, progress=False)
            write_parquet(self.out / f"part-{name}-{i}.parquet", [_flat(r) for r in scored.rows])
            stats.append(json.dumps({"label": ev.label, "n_params": int(self.session.n_params),
                                     "general_ppl": self.session.general_ppl, **batch_counts(scored.rows, scored)}))
        return {"stats": [json.dumps(stats)]}


def _flat(r: dict) -> dict:
    # Parquet columns: the per-scoring verdicts as JSON text (their keys vary with the settings)
    return {**r, "by_scoring": json.dumps(r["by_scoring"])}


def summary_of(c: Counts, ev: Evaluated, settings, general_ppl: Optional[float],
               icl: Optional[IclSample]) -> ConditionSummary:
    e, seed = settings.eval, int(settings.seed)
    method, resamples = str(e.interval), int(e.bootstrap)

    def stats(groups: Dict[str, Tally]) -> Dict[str, SplitStats]:
        return {g: t.stats(method, resamples, seed) for g, t in sorted(groups.items())}

    return ConditionSummary(
        model=ev.model, model_label=ev.condition.model_label, icl=icl, splits=stats(c.splits),
        kinds=stats(c.kinds), by_scoring={sc: {g: h / n for g, (h, n) in sorted(per.items())}
                                          for sc, per in c.hits.items()},
        seconds=round(c.seconds, 3),
        retention=Retention(general_ppl=general_ppl) if general_ppl is not None else None)


def query_cost(c: Counts, ev: Evaluated, n_params: int) -> QueryCost:
    return QueryCost(n_params=int(n_params), icl=ev.condition.icl, finetuned=ev.condition.trained is not None,
                     prompt_tokens_per_query=c.prompt_tokens / c.n, tokens_per_query=c.tokens / c.n,
                     seconds_per_query=c.seconds / c.n)


# -- the driver's side ---------------------------------------------------------------------

_ENCODERS: Dict[str, object] = {}


def _encoder(settings, model: str):
    """A tokenizer-only encoder (no weights), once per worker process."""
    if model not in _ENCODERS:
        from augft.core.models import load_tokenizer
        from augft.eval.encoding import Encoder

        e = settings.eval
        tok = load_tokenizer(model, settings.model.cache_dir, settings.model.trust_remote_code)
        _ENCODERS[model] = Encoder(tok, e.target_delimiter, e.chat_template)
    return _ENCODERS[model]


def _room_batch(batch, settings, model: str):
    enc = _encoder(settings, model)
    rooms = []
    for q in _questions(batch):
        eq = enc.question(q.prompt, q.choices, has_context=True, where=f"question '{q.id}'")
        rooms.append(len(eq.prompt) + max(len(c) for c in eq.choices) + 1)
    return {"room": rooms}


def _window(settings, model: str) -> int:
    if settings.model.max_context:
        return int(settings.model.max_context)
    from transformers import AutoConfig

    from augft.core.models import resolve_model_path

    cfg = AutoConfig.from_pretrained(resolve_model_path(model, settings.model.cache_dir))
    return int(getattr(cfg, "max_position_embeddings", 2048))


def _icl_context(settings, model: str, data: str, room: int):
    """(context ids, its IclSample), built where a worker reads the corpus."""
    from augft.core.records import read_corpus
    from augft.eval.context import build_context

    e = settings.eval
    budget = _window(settings, model) - room
    if e.icl_max_tokens > 0:
        budget = min(budget, e.icl_max_tokens)
    ctx = build_context(read_corpus(data), _encoder(settings, model), budget, e.icl_separator, settings.seed)
    return list(ctx.ids), ctx.log()


def icl_for(qds, settings, model: str, data: str):
    """The ICL context for `model`: the longest question's room, from a pass over the questions,
    then the context built by one task that reads the corpus."""
    import ray

    room = int(qds.map_batches(_room_batch, batch_format="numpy",
                               fn_kwargs={"settings": settings, "model": model}).max("room"))
    return ray.get(ray.remote(_icl_context).remote(settings, model, data, room))


def use_ray(settings) -> bool:
    """eval.use_ray, or (unset) whether a Ray cluster is named (cluster.address or $RAY_ADDRESS)."""
    import os

    if settings.eval.use_ray is not None:
        return bool(settings.eval.use_ray)
    return bool(settings.cluster.address or os.environ.get("RAY_ADDRESS"))


KEYS = "eval.num_actors, eval.actor_cpus, eval.actor_gpus"


def placement(settings):
    """What the scoring actors ask of Ray at once (core.resources' spec, checked before work)."""
    from augft.core.resources import actors_spec

    e = settings.eval
    return actors_spec(int(e.num_actors), float(e.actor_cpus), float(e.actor_gpus), KEYS, "eval's scoring actors")


def _pool(qds, settings, model: str, group: List[Evaluated], ctx_ids, out: str, actor=ScoringActor):
    import ray

    from augft.core.resources import actor_options

    e = settings.eval
    return qds.map_batches(actor, batch_size=int(e.ray_batch_size), batch_format="numpy",
                           compute=ray.data.ActorPoolStrategy(size=int(e.num_actors)),
                           **actor_options(float(e.actor_cpus), float(e.actor_gpus)),
                           fn_constructor_kwargs={"settings": settings, "model": model, "evs": group,
                                                  "ctx_ids": ctx_ids, "out": out})


def _run_model(qds, settings, model: str, group: List[Evaluated], ctx_ids, out: str, total: int):
    """Every condition of `model` scored by the pool: ({label: Counts}, {n_params, general_ppl})."""
    from tqdm import tqdm

    counts = {ev.label: Counts() for ev in group}
    info: Dict[str, object] = {}
    with tqdm(total=total * len(group), desc=f"{model}: scoring", unit="q") as bar:
        for row in _pool(qds, settings, model, group, ctx_ids, out).iter_rows():
            for s in json.loads(row["stats"]):
                d = json.loads(s)
                info.update(n_params=d.pop("n_params"), general_ppl=d.pop("general_ppl"))
                counts[d.pop("label")].add(d)
                bar.update(d["n"])
    return counts, info


def score_on_ray(settings, req, evs: List[Evaluated], one_off) -> Dict[str, Measured]:
    """Every condition of the request scored on Ray; {label: Measured} for eval's comparison.
    `one_off(ev, n_params)` prices a condition's training and augmentation."""
    import ray

    from augft.core.ray_init import init_ray, user_errors_as_themselves

    started = init_ray(settings.cluster, log_to_driver=False)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars, ctx.print_on_execution_start = False, False  # our own bar counts questions
    user_errors_as_themselves()
    try:
        from augft.core.resources import check_cluster

        check_cluster(placement(settings))  # an actor pool that can never be placed waits forever
        return _score_models(settings, req, evs, one_off)
    finally:
        if started:  # a caller's own Ray (a study, a notebook) is left as it was
            ray.shutdown()


def _for_workers(location, must_exist: bool = False) -> str:
    """A local path made absolute: Ray tasks and actors run in their own working directory, not
    the driver's (a job's driver runs in its storage folder). URIs and model names pass as given."""
    import os

    from augft.core.corpus import is_uri

    loc = os.fspath(location)
    if is_uri(loc) or (must_exist and not os.path.exists(loc)):
        return loc
    return os.path.abspath(loc)


def _score_models(settings, req, evs: List[Evaluated], one_off) -> Dict[str, Measured]:
    from augft.eval.compare import Measured

    e = settings.eval
    data, folder = _for_workers(req.data), _for_workers(req.out)
    qds = questions_ds(data, req.splits, int(e.limit), bool(e.retention)).materialize()
    total = qds.count()
    out: Dict[str, Measured] = {}
    for model in dict.fromkeys(ev.model for ev in evs):
        group = [ev for ev in evs if ev.model == model]
        ctx_ids, icl = icl_for(qds, settings, model, data) if any(ev.condition.icl for ev in group) else (None, None)
        counts, info = _run_model(qds, settings, _for_workers(model, must_exist=True), group, ctx_ids, folder, total)
        for ev in group:
            c = counts[ev.label]
            out[ev.label] = Measured(summary_of(c, ev, settings, info["general_ppl"], icl if ev.condition.icl else None),
                                     query_cost(c, ev, info["n_params"]), one_off(ev, info["n_params"]),
                                     partial(iter, c.retention_rows))
    return out
