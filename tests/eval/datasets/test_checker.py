"""The checker reads free text (case, punctuation, lead-ins) and reasons exactly."""
from augft.eval.datasets.api import checker_for


def test_reversal_checker(generated):
    g = generated["reversal"]
    chk = checker_for(g)
    f = g.truth["facts"][0]
    a, b, d, dim = f["a"], f["b"], f["direction"], f["dimension"]
    rd = "less" if d == "more" else "more"
    rev = f"Did you know that {b.upper()} are {rd} {dim} than {a}?!"
    assert chk.check(rev) == "true"
    assert chk.check(f"{b} are {d} {dim} than {a}.") == "false"
    assert chk.check(f"{a} are {d} {dim} than {b}") == "true"
    assert chk.check(f"{b} are not {rd} {dim} than {a}") == "false"
    assert chk.check(f"Compared with {a}, {b} are {rd} {dim}.") == "true"
    other = "musical" if dim != "musical" else "loyal"
    assert chk.check(f"{b} are {rd} {other} than {a}") == "uncheckable"
    assert chk.check("The sky is blue.") == "uncheckable"
    tid = f"{f['id']}.reversal"
    assert chk.covered([rev]) == {tid}
    assert chk.covered([f"{a} are {d} {dim} than {b}"]) == set()  # forward is not the reversal


def test_people_checker(generated):
    g = generated["people"]
    chk = checker_for(g)
    p, q = g.truth["people"][:2]
    rev = f"{p['description'].upper()} is {p['name'].lower()}!"
    assert chk.check(rev) == "true"
    assert chk.check(f"{p['description']} is {q['name']}.") == "false"
    assert chk.check(f"{p['name']} is {p['description']}.") == "true"
    assert chk.check(f"{p['name']} is not {p['description']}.") == "false"
    assert chk.check(f"{p['description']} is Bob Smith.") == "uncheckable"
    # Recognised by its invented term and a surname alone.
    last = p["name"].split()[1]
    assert chk.check(f"The one behind {p['key_term']} is {last}.") == "true"
    assert chk.covered([rev]) == {f"{p['id']}.reversal"}
    assert chk.covered([f"{p['name']} is {p['description']}."]) == set()
    assert chk.check(f"{p['name']} is {p['description']}. {p['description']} is {q['name']}.") == "false"


def test_syllogism_checker(generated):
    g = generated["syllogism"]
    chk = checker_for(g)
    it = next(i for i in g.truth["items"] if i["answer"][0] == "all")
    s, m, p = (it["terms"][t] for t in "SMP")
    assert chk.check(f"Therefore, ALL {s} are {p}.") == "true"
    assert chk.check(f"Every {s} is {p}") == "true"
    assert chk.check(f"Some {s} are not {p}.") == "false"
    assert chk.check(f"No {s} are {p}.") == "uncheckable"  # true if no {s} exist (no existential import)
    assert chk.check(f"All {p} are {s}.") == "uncheckable"  # consistent, not derivable
    assert chk.check(f"All {m} are {p}.") == "true"  # a premise
    assert chk.covered([f"all {s} are {p}"]) == {f"{it['id']}.conclusion"}
    it = next(i for i in g.truth["items"] if i["answer"][0] == "some")
    _, x, y = it["answer"]
    assert chk.covered([f"Some {y} are {x}."]) == {f"{it['id']}.conclusion"}  # converse of I


def test_family_checker(generated):
    g = generated["family"]
    chk = checker_for(g)
    names = g.truth["people"]
    p, c = g.truth["parents"][0]
    assert chk.check(f"{names[c]} is a child of {names[p]}.") == "true"
    assert chk.check(f"{names[p]} is the mother of {names[c]}") == "true"
    assert chk.check(f"{names[c]}'s father is {names[p]}.") == "true"
    assert chk.check(f"{names[c]} is a parent of {names[p]}.") == "false"
    assert chk.check(f"{names[p]} is a sibling of {names[c]}.") == "false"
    assert chk.covered([f"{names[c]} is a daughter of {names[p]}"]) == {f"child-{c}-{p}"}
    assert chk.covered([f"{names[p]} is a parent of {names[c]}"]) == set()


def test_semantic_checker(generated):
    g = generated["semantic"]
    chk = checker_for(g)
    w = chk.world
    c = next(x for x in w.parent if w.parent[x] and w.parent[w.parent[x]] and x not in w.holdout)
    p, gp = w.parent[c], w.parent[w.parent[c]]
    assert chk.check(f"The {c} is a kind of {p}.") == "true"
    assert chk.check(f"Every {c} is a {gp}.") == "true"  # transitive
    assert chk.check(f"The {p} is a kind of {c}.") == "false"
    assert chk.check(f"One kind of {p} is the {c}.") == "true"
    kind, word = w.props[gp][0]
    phrase = {"adj": f"are {word}", "has": f"have {word}s", "can": f"can {word}"}[kind]
    assert chk.check(f"{c.upper()}S {phrase}!") == "true"  # inherited
    assert chk.check(f"{c}s do not {phrase.split()[0]} {phrase.split()[1]}") in ("false", "uncheckable")
    owner, rels = next(iter(w.rels.items()))
    v, t = rels[0]
    assert chk.check(f"{t}s are {v}ed by {owner}s.") == "true"
    assert chk.check(f"{owner}s {v} {t}s") == "true"
    assert chk.check(f"{t}s {v} {owner}s") in ("false", "true")  # decided, not unknown
