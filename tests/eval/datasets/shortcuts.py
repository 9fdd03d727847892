"""Surface shortcuts: simple heuristics that answer a benchmark's questions without
reasoning. A sound benchmark keeps every one of them near (or below) chance.

Each heuristic maps (question, generated benchmark) to a choice index. Generic ones
look only at the choices or prompt (position, length, word overlap, corpus frequency);
copy heuristics look at the training text the way a model copying from its context
would ("repeat the comparative seen in context", "repeat the subject of the last
premise").
"""
from __future__ import annotations

from collections import Counter
from typing import Callable, Dict, List

from augft.core.records import Question
from augft.eval.datasets.common import Generated, normalize

Heuristic = Callable[[Question, Generated], int]


def _argmax(values: List[float]) -> int:
    return max(range(len(values)), key=lambda i: (values[i], -i))


def first_choice(q: Question, g: Generated) -> int:
    return 0


def last_choice(q: Question, g: Generated) -> int:
    return len(q.choices) - 1


def longest_choice(q: Question, g: Generated) -> int:
    return _argmax([len(c) for c in q.choices])


def shortest_choice(q: Question, g: Generated) -> int:
    return _argmax([-len(c) for c in q.choices])


def prompt_overlap(q: Question, g: Generated) -> int:
    """The choice sharing most words with the prompt."""
    p = set(normalize(q.prompt).split())
    return _argmax([len(p & set(normalize(c).split())) for c in q.choices])


def _corpus_counts(g: Generated) -> Counter:
    if "_counts" not in g.extra:  # cached; popped before writing
        g.extra["_counts"] = Counter(w for d in g.documents for w in normalize(d.text).split())
    return g.extra["_counts"]


def corpus_frequency(q: Question, g: Generated) -> int:
    """The choice whose words are most frequent in the training corpus."""
    counts = _corpus_counts(g)
    return _argmax([sum(counts[w] for w in normalize(c).split()) for c in q.choices])


# -- copy heuristics (benchmark-specific) --------------------------------------
def copy_comparative(q: Question, g: Generated) -> int:
    """reversal: pick the choice with the comparative word the trained fact used."""
    fact = next(f for f in g.truth["facts"] if f["id"] == q.source_ids[0])
    return _argmax([float(c.split()[0] == fact["direction"]) for c in q.choices])


def _item(q: Question, g: Generated) -> dict:
    return next(it for it in g.truth["items"] if it["id"] == q.source_ids[0])


def _parse(choice: str):
    w = normalize(choice).split()
    if w[0] == "some" and "not" in w:
        return ("somenot", w[1], w[-1])
    return (w[0], w[1], w[-1])


def last_premise_subject(q: Question, g: Generated) -> int:
    """syllogism: "all <subject of the last premise> are <predicate of the first premise>";
    failing that, any "all" conclusion whose subject is an end term of the last premise."""
    it = _item(q, g)
    (_, _, p1_pred), (_, subj, _) = it["premises"]
    parsed = [_parse(c) for c in q.choices]
    for want in (lambda p: p == ("all", subj, p1_pred), lambda p: p[0] == "all" and p[1] == subj,
                 lambda p: p[0] == "all" and p[1] in it["premises"][1][1:]):
        hits = [i for i, p in enumerate(parsed) if want(p)]
        if hits:
            return hits[0]
    return 0


def copy_last_premise(q: Question, g: Generated) -> int:
    """syllogism: the quantifier of the last premise, terms in the order they first
    appear in the premises."""
    return _copy_premise(q, g, -1)


def copy_first_premise(q: Question, g: Generated) -> int:
    """syllogism: as copy_last_premise, with the first premise's quantifier."""
    return _copy_premise(q, g, 0)


def _copy_premise(q: Question, g: Generated, which: int) -> int:
    it = _item(q, g)
    ends = set(it["terms"][t] for t in ("S", "P"))
    order = [w for p in it["premises"] for w in p[1:] if w in ends]
    x, y = order[0], next(w for w in order if w != order[0])
    quant = it["premises"][which][0]
    parsed = [_parse(c) for c in q.choices]
    for want in (lambda p: p == (quant, x, y), lambda p: p[0] == quant):
        hits = [i for i, p in enumerate(parsed) if want(p)]
        if hits:
            return hits[0]
    return 0


def direction_by_last_premise(q: Question, g: Generated) -> int:
    """syllogism, given the right quantifier for free: choose the direction whose subject
    is the end term named in the last premise. Only defined where the right quantifier
    has two directions among the choices (all, some-not); else -1 (skipped)."""
    it = _item(q, g)
    quant = it["answer"][0]
    same = [i for i, c in enumerate(q.choices) if _parse(c)[0] == quant]
    if len(same) != 2:
        return -1
    last_terms = it["premises"][-1][1:]
    for i in same:
        if _parse(q.choices[i])[1] in last_terms:
            return i
    return same[0]


GENERIC: Dict[str, Heuristic] = {
    "first_choice": first_choice, "last_choice": last_choice, "longest_choice": longest_choice,
    "shortest_choice": shortest_choice, "prompt_overlap": prompt_overlap,
    "corpus_frequency": corpus_frequency,
}
COPY: Dict[str, Dict[str, Heuristic]] = {
    "reversal": {"copy_comparative": copy_comparative},
    "syllogism": {"last_premise_subject": last_premise_subject,
                  "copy_last_premise": copy_last_premise, "copy_first_premise": copy_first_premise,
                  "direction_by_last_premise": direction_by_last_premise},
}


def evaluate(g: Generated) -> Dict[str, Dict[str, dict]]:
    """split -> heuristic -> {"accuracy", "chance", "n"} (questions a heuristic skips,
    by returning -1, do not count; chance is over the counted questions)."""
    heuristics = dict(GENERIC, **COPY.get(g.name, {}))
    out: Dict[str, Dict[str, dict]] = {}
    splits = sorted({q.split for q in g.questions})
    for split in splits:
        qs = [q for q in g.questions if q.split == split]
        out[split] = {}
        for name, h in heuristics.items():
            picks = [(q, h(q, g)) for q in qs]
            picks = [(q, i) for q, i in picks if i >= 0]
            if not picks:
                continue
            n = len(picks)
            chance = sum(1 / len(q.choices) for q, _ in picks) / n
            if name == "direction_by_last_premise":
                chance = 0.5  # a 2-way choice once the quantifier is given
            acc = sum(q.answer == i for q, i in picks) / n
            out[split][name] = {"accuracy": round(acc, 4), "chance": round(chance, 4), "n": n}
    g.extra.pop("_counts", None)
    return out
