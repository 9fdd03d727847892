"""Scoring candidates for the keep/drop rule: base (no context; the answer's probability among the
choices too) and, for the `icl_checked` rule only, ICL (source documents only).

Uses eval's scorer and encoder, so a verdict here is what `augft eval` would score: the same
tokenization conventions and log-likelihood choice. Candidates with the same source documents
share one context (its KV cache computed once).
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Dict, List, Sequence

from augft.core.records import Document
from augft.eval.context import render
from augft.eval.encoding import Encoder
from augft.eval.metrics import argmax, choose
from augft.eval.questions.build import Candidate
from augft.eval.questions.keep import Verdict, choice_order
from augft.eval.scoring import Scorer


def _scores(scorer: Scorer, encoded, scoring: str, batch_size: int, context_ids=None) -> List[List[float]]:
    scores = scorer.score(encoded, batch_size, context_ids=context_ids)
    return [choose([c.logprob for c in s], [c.n_tokens for c in s], scoring) for s in scores]


def _prob(scores: Sequence[float], i: int) -> float:
    """Softmax of the choice scores at choice i: the model's probability for it among the choices."""
    top = max(scores)
    exp = [math.exp(x - top) for x in scores]
    return exp[i] / sum(exp)


def _base(scorer: Scorer, enc: Encoder, cands, choices, scoring: str, bs: int, progress: bool):
    from tqdm import tqdm

    plain = [enc.question(c.prompt, ch, has_context=False, where=c.id) for c, ch in zip(cands, choices)]
    out: List[List[float]] = []
    step = 4 * bs  # a few batches at a time, so the bar moves
    with tqdm(total=len(plain), desc="questions: base check", unit="question", disable=not progress) as bar:
        for i in range(0, len(plain), step):
            out += _scores(scorer, plain[i:i + step], scoring, bs)
            bar.update(len(plain[i:i + step]))
    return out


def _icl(scorer: Scorer, enc: Encoder, cands, choices, docs, eval_cfg, scoring: str, bs: int,
         progress: bool) -> List[int]:
    from tqdm import tqdm

    icl = [0] * len(cands)
    groups: Dict[tuple, List[int]] = defaultdict(list)
    for i, c in enumerate(cands):
        groups[tuple(c.source_ids)].append(i)
    for ids, idx in tqdm(sorted(groups.items()), desc="questions: icl check", unit="context", disable=not progress):
        context = enc.context_ids(render([docs[d] for d in ids], eval_cfg.icl_separator))
        encoded = [enc.question(cands[i].prompt, choices[i], has_context=True, where=cands[i].id) for i in idx]
        for i, s in zip(idx, _scores(scorer, encoded, scoring, bs, context)):
            icl[i] = argmax(s)
    return icl


def judge(model, tokenizer, cands: Sequence[Candidate], docs: Dict[str, Document], eval_cfg,
          progress: bool = True, icl: bool = True) -> List[Verdict]:
    """One verdict per candidate. The answer is scored in the last position (choice_order with
    the distractors first) so a tie never favours it: argmax takes the first best choice.
    `icl=False` scores only the base model without context (the fair rule reads nothing else)."""
    scoring = "mean" if eval_cfg.scoring == "mean" else "sum"
    enc = Encoder(tokenizer, eval_cfg.target_delimiter, eval_cfg.chat_template)
    scorer = Scorer(model)
    bs = int(eval_cfg.batch_size)
    choices = [choice_order(c, len(c.distractors)) for c in cands]
    answer = [len(c.distractors) for c in cands]
    base = _base(scorer, enc, cands, choices, scoring, bs, progress)
    picks = _icl(scorer, enc, cands, choices, docs, eval_cfg, scoring, bs, progress) if icl else None
    return [Verdict(None if picks is None else picks[i] == answer[i], argmax(base[i]) == answer[i],
                    _prob(base[i], answer[i])) for i in range(len(cands))]
