"""`semantic`: a category hierarchy of nonsense words rendered as quasi-encyclopedia
documents (several styles, 4-20 sentences each).

Test splits (4 choices; distractors are hard: true of some other category):
- `rephrase` (validation): a trained property in a held-out phrasing;
- `reversal`: relations asked passively ("trabs are glorbed by") and isa asked
  parent-first ("one kind of glon is the");
- `syllogism`: one inference step beyond the training text: properties and
  relations inherited from an ancestor, isa to the grandparent;
- `category_holdout`: categories whose only trained fact is their parent; every
  inference about them is tested.
"""
from __future__ import annotations

from typing import Dict, List

from augft.core.records import Document, Question
from augft.eval.datasets.common import (Generated, balanced_positions, cap, docs_by_fact,
                                    make_question, make_rng, oracle_aug)
from augft.eval.datasets.semantic_world import (SemanticChecker, World, isa_sentence, plural,
                                            prop_phrase, prop_sentence, rel_sentence)
from augft.eval.datasets.vocab import Vocab

KINDS = ("adj", "has", "can")
STYLES = ["encyclopedia", "field_guide", "qa", "notes", "survey"]
FILLER = [
    "Much has been written about it.", "Scholars have studied it for many years.",
    "It is described in many old books.", "Travellers often mention it.",
    "Little else is recorded here.", "The topic remains popular with students.",
    "Its name is old.", "Some details are still debated.",
]
PROMPT = "In short, every {c}"
REVERSAL_ISA = "One kind of {p} is the"
REVERSAL_REL = "{T} are {v}ed by"


def _hierarchy(n: int, rng, vocab: Vocab) -> Dict[str, str | None]:
    roots = [vocab.word() for _ in range(min(3, n))]
    parent: Dict[str, str | None] = {r: None for r in roots}
    frontier = list(roots)
    while len(parent) < n:
        p = frontier.pop(0)
        for _ in range(rng.randint(2, 4)):
            if len(parent) >= n:
                break
            c = vocab.word()
            parent[c] = p
            frontier.append(c)
    return parent


def _document(world: World, c: str, style: int, rng) -> str:
    p = world.parent[c]
    facts = []
    if p is not None:
        facts.append(isa_sentence(c, p, rng.randrange(4)))
    facts += [prop_sentence(c, k, w, rng.randrange(4)) for k, w in world.props.get(c, [])]
    facts += [rel_sentence(c, v, t, rng.randrange(4)) for v, t in world.rels.get(c, [])]
    rng.shuffle(facts)
    name = STYLES[style % len(STYLES)]
    if name == "encyclopedia":
        head = [f"{c.upper()}."]
    elif name == "field_guide":
        head = [f"Field guide entry: the {c}."]
    elif name == "qa":
        head = [f"What is known about the {c}?"]
    elif name == "notes":
        head = [f"Notes on {plural(c)}."]
    else:
        head = [f"A survey of the {c}."]
    n_fill = max(0, 4 - len(head) - len(facts)) + rng.randrange(3)
    body = facts + rng.sample(FILLER, min(n_fill, len(FILLER)))
    rng.shuffle(body)
    return " ".join(head + body)


def generate(sizes, seed: int) -> Generated:
    n, n_hold = int(sizes.n_categories), int(sizes.n_holdout)
    cap_q, per, k = int(sizes.max_questions_per_split), int(sizes.docs_per_category), int(sizes.n_choices)
    if n < 12 or not 0 <= n_hold <= n // 4 or per < 1 or k < 2:
        raise ValueError("benchmark.semantic needs n_categories >= 12, 0 <= n_holdout <= "
                         "n_categories/4, docs_per_category >= 1 and n_choices >= 2")
    rng = make_rng("semantic", seed)
    vocab = Vocab(rng)
    parent = _hierarchy(n, rng, vocab)
    cats = list(parent)
    has_child = {p for p in parent.values() if p}
    of = {c: p for c, p in parent.items() if p is not None}  # categories that have a parent
    leaves = [c for c in cats if c not in has_child and c in of and of[c] in of]
    holdout = sorted(rng.sample(leaves, min(n_hold, len(leaves))))
    verbs = vocab.words(6)
    props = {c: [[rng.choice(KINDS), vocab.word()] for _ in range(rng.randint(1, 6))]
             for c in cats if c not in holdout}
    rels: Dict[str, List[List[str]]] = {}
    base = World({"parent": parent, "props": props, "rels": {}, "verbs": verbs, "holdout": holdout})
    for c in cats:
        if c in holdout or parent[c] is None or rng.random() > 0.4:
            continue
        related = set(base.lineage(c)) | base.descendants(c) | set(holdout)
        options = [t for t in cats if t not in related]
        if options:
            rels[c] = [[rng.choice(verbs), rng.choice(options)]]
    truth = {"parent": parent, "props": props, "rels": rels, "verbs": verbs, "holdout": holdout}
    world = World(truth)
    docs = _documents(world, cats, per, rng)
    questions, targets = _questions(_specs(world, rng), cap_q, k, rng)
    truth["targets"] = targets
    fact_docs = docs_by_fact(docs)
    oracle = [oracle_aug(f"{tid}-oracle", t["text"],
                         sorted({d for f in t["fact_ids"] for d in fact_docs.get(f, [])}),
                         {"fact_ids": t["fact_ids"], "target": tid}) for tid, t in targets.items()]
    return Generated(name="semantic", seed=seed,
                     sizes={"n_categories": n, "n_holdout": len(holdout), "max_questions_per_split": cap_q,
                            "docs_per_category": per, "n_choices": k},
                     documents=docs, questions=questions, oracle=oracle, truth=truth)


def _documents(world: World, cats: List[str], per: int, rng) -> List[Document]:
    """`per` styled documents per category; a held-out category gets only its parent relation."""
    parent, props, rels, holdout = world.parent, world.props, world.rels, world.holdout
    docs: List[Document] = []
    for c in cats:
        fids = ([f"isa:{c}"] if parent[c] else []) + [f"prop:{c}:{w}" for _, w in props.get(c, [])] \
            + [f"rel:{c}:{v}:{t}" for v, t in rels.get(c, [])]
        up = parent[c]
        if c in holdout and up is not None:  # a held-out category is a leaf with a parent
            for s in range(2):
                docs.append(Document(id=f"sem-{c}-d{s}", text=isa_sentence(c, up, s),
                                     meta={"fact_ids": [f"isa:{c}"], "style": "isa_only", "category": c}))
            continue
        for s in range(per):
            docs.append(Document(id=f"sem-{c}-d{s}", text=_document(world, c, s, rng),
                                 meta={"fact_ids": fids, "style": STYLES[s % len(STYLES)], "category": c}))
    return docs


def _questions(specs, cap_q: int, k: int, rng):
    """Questions per split (capped, deterministic subsample) and the checker's targets."""
    questions: List[Question] = []
    targets: Dict[str, object] = {}
    for split in ("rephrase", "reversal", "syllogism", "category_holdout"):
        group = specs[split]
        if len(group) > cap_q:
            group = [group[i] for i in sorted(rng.sample(range(len(group)), cap_q))]
        for (kind, prompt, ans, pool, key, order, text, facts), pos in zip(
                group, balanced_positions(len(group), k, rng)):
            qid = f"{split}-{len(questions):04d}"
            questions.append(make_question(qid, split, kind, prompt, ans, rng.sample(pool, k - 1),
                                           pos, facts, {}))
            if split != "rephrase":
                targets[f"{qid}.target"] = {"text": text, "key": list(key), "order": order,
                                            "fact_ids": facts}
    return questions, targets


def _prop_fact(world: World, c: str, w: str) -> str:
    return f"prop:{world.all_props(c)[w]}:{w}"


def _specs(world: World, rng) -> Dict[str, list]:
    """Candidate questions per split:
    (kind, prompt, answer, distractor pool, target key, order, target text, fact ids)."""
    cats = sorted(world.parent)
    out: Dict[str, list] = {s: [] for s in ("rephrase", "reversal", "syllogism", "category_holdout")}
    by_kind: Dict[str, List[str]] = {kd: [] for kd in KINDS}
    for c in cats:
        for kd, w in world.props.get(c, []):
            by_kind[kd].append(w)
    for c in cats:
        held = c in world.holdout
        mine = world.all_props(c)
        for w, src in mine.items():
            kd = world.prop_kind[w]
            # Hard distractors: same kind of property, true of some other category.
            pool = [f" {prop_phrase(kd, x, True)}" for x in by_kind[kd] if x not in mine]
            if len(pool) < 3:
                continue
            split = "category_holdout" if held else ("rephrase" if src == c else "syllogism")
            chain = [f"isa:{a}" for a in world.lineage(c)[:world.lineage(c).index(src)]]
            out[split].append(("property", PROMPT.format(c=c), f" {prop_phrase(kd, w, True)}", pool,
                               ("prop", c, w), "", prop_sentence(c, kd, w, 1),
                               chain + [_prop_fact(world, c, w)]))
        anc = world.ancestors(c)
        for g in anc[1:]:  # isa beyond the parent
            pool = [f" is a {x}" for x in cats if x not in anc and x != c]
            split = "category_holdout" if held else "syllogism"
            chain = [f"isa:{a}" for a in world.lineage(c)[:world.lineage(c).index(g)]]
            out[split].append(("isa", PROMPT.format(c=c), f" is a {g}", pool, ("isa", c, g), "",
                               isa_sentence(c, g, 3), chain))
        for (v, t), src in world.all_rels(c).items():
            own = world.all_rels(c)
            pool = [f" {v}s {plural(x)}" for x in cats if (v, x) not in own and x != c]
            chain = [f"isa:{a}" for a in world.lineage(c)[:world.lineage(c).index(src)]]
            if src != c:  # inherited relation
                split = "category_holdout" if held else "syllogism"
                out[split].append(("relation", PROMPT.format(c=c), f" {v}s {plural(t)}", pool,
                                   ("rel", c, v, t), "", rel_sentence(c, v, t, 2),
                                   chain + [f"rel:{src}:{v}:{t}"]))
            else:  # trained relation, asked in the passive
                doers = {x for x in cats if world.holds(("rel", x, v, t))}
                pool = [f" {plural(x)}" for x in cats if x not in doers and x != t]
                out["reversal"].append(("relation", REVERSAL_REL.format(T=cap(plural(t)), v=v),
                                        f" {plural(c)}", pool, ("rel", c, v, t), "reversed",
                                        f"{cap(plural(t))} are {v}ed by {plural(c)}.",
                                        [f"rel:{c}:{v}:{t}"]))
        p = world.parent[c]
        if p is not None and not held:
            below = world.descendants(p)
            pool = [f" {x}" for x in cats if x not in below and x != p]
            out["reversal"].append(("isa", REVERSAL_ISA.format(p=p), f" {c}", pool, ("isa", c, p),
                                    "reversed", f"One kind of {p} is the {c}.", [f"isa:{c}"]))
    return out
