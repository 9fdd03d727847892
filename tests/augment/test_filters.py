import pytest

from augft.augment.filters import FilterConfig, StatementFilter, parse_statements
from augft.augment.engines.base import GenResult, Sampling
from augft.augment.units import Item, RecordContext, Unit, UnitOutput, process_unit
from augft.core.artifacts import VerifyInfo


def test_parse_strips_bullets_labels_and_stops_at_next_demo():
    text = " Mara is kind.\n- The mayor is Zeb. He lives in Quillport.\n2) Third one here.\n\nFact: next demo"
    assert parse_statements(text) == ["Mara is kind.", "The mayor is Zeb.", "He lives in Quillport.",
                                      "Third one here."]
    assert parse_statements("\n\n  \n") == []


def test_filter_reasons():
    f = StatementFilter(FilterConfig(min_words=3, max_chars=60))
    src = "Zeb Grannow is the mayor of Quillport."
    assert f.check("Zeb Grannow is the mayor of Quillport", "d0", src) == "verbatim_copy"
    assert f.check("Zeb mayor", "d0", src) == "too_short"
    assert f.check("x" * 70, "d0", src) == "too_long"
    assert f.check("%%% ### 123 456 789", "d0", src) == "non_text"
    assert f.check("The mayor of Quillport is Zeb Grannow.", "d0", src) is None
    assert f.check("the mayor of quillport is ZEB GRANNOW", "d0", src) == "duplicate"
    long = "The mayor of the old harbour town of Quillport in the north is Zeb Grannow today"
    f2 = StatementFilter(FilterConfig(max_chars=400, near_duplicate_threshold=0.7))
    assert f2.check(long, "d0", src) is None
    assert f2.check(long + " again", "d0", src) == "near_duplicate"
    # Dedup is per source: the same statement for another source is kept.
    assert f2.check(long, "d1", src) is None
    assert f.check("The glass reef was first sailed around by Zeb.", "d0", src) == "demo_leak"
    assert f.check("The more you know, the less you know.", "d0", src) == "unrelated"
    loose = StatementFilter(FilterConfig(require_source_overlap=False))
    assert loose.check("The more you know, the less you know.", "d0", src) is None
    # A denial from an affirmative source is invented; a source that denies allows one.
    assert f.check("The mayor of Quillport is not Zeb Grannow.", "d0", src) == "negation"
    assert f.check("Zeb Grannow isn't Quillport's mayor.", "d0", src) == "negation"
    assert f.check("Zeb Grannow has no rival in Quillport.", "d0", src) == "negation"
    denies = "Zeb Grannow is not the mayor of Quillport; he never ran."
    assert f.check("Quillport's mayor is not Zeb Grannow.", "d9", denies) is None
    assert f.check("Nothing about Zeb Grannow is notable in Quillport.", "d0", src) is None  # words, not negations
    idiom = "Zeb Grannow is none other than the mayor of Quillport."  # affirms: denials stay invented
    assert f.check("Zeb Grannow is not the mayor of Quillport.", "d7", idiom) == "negation"
    assert f.check("The mayor of Quillport is none other than Zeb Grannow.", "d7", idiom) is None


def test_accounting_adds_up_with_failures_and_empties():
    unit = Unit(unit_id="local-00000", stem="00000", strategy="local", phase="local",
                sampling=Sampling(temperature=0.8, top_p=0.9, max_new_tokens=8, n=2),
                items=[Item(id=f"d{i}:local:h:0", key=f"d{i}", template="local", prompt_hash="h", seed=i,
                            values={"text": "t"}, source_ids=[f"d{i}"],
                            source_text="Zeb is the mayor of Quillport.") for i in range(3)])
    out = UnitOutput(gen_s=0.1, results=[
        GenResult(id="a", texts=["- The mayor of Quillport is Zeb.\n- ok", ""], prompt_tokens=3,
                  completion_tokens=5),
        GenResult(id="b", texts=[], error="HTTP 500"),
        GenResult(id="c", texts=["Zeb is the mayor of Quillport.", "Quillport has Zeb as its mayor."],
                  prompt_tokens=3, completion_tokens=5)])
    res = process_unit(unit, out, RecordContext("m", "hf", FilterConfig()))
    s = res.stats.to_dict()
    assert s["failed"] == 2  # both candidates of the failed row
    assert s["filtered"] == {"too_short": 1, "empty": 1, "verbatim_copy": 1}
    assert s["ok"] == 2 == len(res.records)
    assert s["ok"] + sum(s["filtered"].values()) + s["failed"] == s["inputs"] == 7
    ids = [r["id"] for r in res.records]
    assert ids == ["d0:local:h:0", "d2:local:h:1"]  # source + strategy + hash + index


def test_window_consistency_links_entities_only_through_documents():
    from augft.augment.consistency import WindowEntities, entity_keys

    docs = ["Dafna Krell is the composer of the opera Velmora.",
            "Ever heard of Omri Task? They're the first person to cross the Quillan Strait on foot.",
            "A korrim is a kind of wuzzle.", "Wuzzle can swim like brandle."]
    w = WindowEntities(docs)
    assert entity_keys(docs[0]) == {"dafna", "krell", "velmora"}  # a name links by its rare words
    assert w.consistent("The opera Velmora was composed by Dafna Krell.")
    assert w.consistent("Krell wrote Velmora.")  # one person's parts are linked
    assert not w.consistent("Omri Task is the composer of the opera Velmora.")  # another's deed
    assert not w.consistent("Dafna Krell crossed the Quillan Strait.")
    assert w.consistent("A korrim can swim like brandle.")  # linked through the wuzzle documents
    assert w.consistent("Some people like operas.")  # names no window entity
    assert w.consistent("Zorblat Frindle is a composer.")  # unknown names: left to other filters


def test_linked_groups_follow_entity_chains():
    from augft.augment.consistency import linked_groups

    docs = ["A korrim is a kind of vexlin.", "Vexlin can swim like zorbak.", "Zorbak live in Quarrim.",
            "Omri Dastek crossed the strait.", "Dastek was born by the sea.", "The sea is cold."]
    assert linked_groups(docs) == ([[0, 1, 2], [3, 4]], [0, 0, 0, 1, 1, -1])
    # One group spanning the whole window is the whole window: nothing listed.
    assert linked_groups(docs[:3]) == ([], [-1, -1, -1])


def test_inconsistent_statements_are_counted():
    from augft.augment.consistency import WindowEntities
    from augft.augment.filters import FilterConfig, StatementFilter

    window = "Dafna Krell is the composer of the opera Velmora.\nOmri Task crossed the Quillan Strait."
    linked = WindowEntities(window.split("\n")).consistent
    check = lambda s: None if linked(s) else "inconsistent"  # noqa: E731  (the reason a relation check gives)
    f = StatementFilter(FilterConfig())
    assert f.check("Omri Task composed the opera Velmora.", "d0", window, check) == "inconsistent"
    assert f.check("The opera Velmora was composed by Dafna Krell.", "d0", window, check) is None
    assert f.check("Omri Task composed the opera Velmora.", "d0", window) is None  # off without a window


def _verify_run(tmp_path, make_corpus, name, *extra):
    from augft.augment.api import augment
    from augft.core.config import load_config

    data = make_corpus(tmp_path / "d", 3)
    cfg = load_config(None, ["model.name=tiny-random-llama", "augment.use_ray=false", "augment.max_new_tokens=8",
                             "augment.num_candidates=2", "augment.require_source_overlap=false", *extra])
    return augment(cfg, data, tmp_path / name), data


def test_self_verification_counts_and_scores(tmp_path, make_corpus):
    from augft.core.artifacts import AugmentOutput

    yes_no = "augment.verify_method=yes_no"
    keep_all, _ = _verify_run(tmp_path, make_corpus, "all", "augment.verify=true", "augment.verify_threshold=0", yes_no)
    e = keep_all.strategies["local"]
    assert keep_all.verify == VerifyInfo(True, "yes_no", 0.0) and e.unsupported_rate == 0.0
    recs = AugmentOutput(tmp_path / "all").records(["local"])
    assert recs and all(0.0 <= r.meta["verify"] <= 1.0 for r in recs)
    # The same generations at threshold 1: every statement is unsupported, and counted.
    none, _ = _verify_run(tmp_path, make_corpus, "none", "augment.verify=true", "augment.verify_threshold=1", yes_no)
    n = none.strategies["local"]
    assert n.ok == 0 and n.filtered["unsupported"] == e.ok and n.unsupported_rate == 1.0
    assert n.ok + sum(n.filtered.values()) + n.failed == n.inputs == e.inputs
    # Threshold in between: kept ones are exactly those scoring at least the threshold.
    mid, _ = _verify_run(tmp_path, make_corpus, "mid", "augment.verify=true", "augment.verify_threshold=0.5", yes_no)
    kept = {r.id for r in AugmentOutput(tmp_path / "mid").records(["local"])}
    assert kept == {r.id for r in recs if r.meta["verify"] >= 0.5}


def test_pmi_verification_counts_and_scores(tmp_path, make_corpus):
    from augft.core.artifacts import AugmentOutput

    keep, _ = _verify_run(tmp_path, make_corpus, "keep", "augment.verify=true", "augment.verify_min_pmi=-1000")
    assert keep.verify == VerifyInfo(True, "pmi", -1000.0)
    recs = AugmentOutput(tmp_path / "keep").records(["local"])
    assert recs and all(isinstance(r.meta["verify"], float) for r in recs)
    drop, _ = _verify_run(tmp_path, make_corpus, "drop", "augment.verify=true", "augment.verify_min_pmi=1000")
    d = drop.strategies["local"]
    assert d.ok == 0 and d.filtered["unsupported"] == len(recs)
    assert d.ok + sum(d.filtered.values()) + d.failed == d.inputs


@pytest.mark.slow
def test_pmi_separates_supported_statements_on_the_embedded_model():
    """The default verifier on the default model: paraphrases and reversals of the source gain
    more than augment.verify_min_pmi per token, another person's facts do not."""
    from augft.augment.engines.hf import HFEngine
    from augft.augment.verify import pmi_scores
    from augft.core.config import load_config

    cfg = load_config(None)
    engine = HFEngine(cfg.model, batch_size=4)
    src = "Bapu Grogra is none other than the inventor of the Wikrohal loom."
    supported = ["The inventor of the Wikrohal loom is Bapu Grogra.", "The Wikrohal loom was invented by Bapu Grogra.",
                 "Bapu Grogra invented the Wikrohal loom."]
    other = ["Judak Dretran is the composer of the opera Baluzik.", "The opera Baluzik was composed by Judak Dretran.",
             "Omri Dastek was the first to cross the Quillan Strait."]
    scores = pmi_scores(engine, [(src, s) for s in supported + other])
    assert min(scores[:3]) > cfg.augment.verify_min_pmi > max(scores[3:]), scores
    # Batched and one at a time agree (left padding does not move the scores).
    one = pmi_scores(engine, [(src, supported[0])])
    assert abs(one[0] - scores[0]) < 1e-3


def test_verify_auto_is_off_on_a_builtin_benchmark(tmp_path, make_corpus):
    user, data = _verify_run(tmp_path, make_corpus, "user")
    assert user.verify.on  # no benchmark.json: user data
    (data / "benchmark.json").write_text("{}")
    bench, _ = _verify_run(tmp_path, make_corpus, "bench")
    assert not bench.verify.on and bench.strategies["local"].unsupported_rate is None


def test_heldout_statements_are_never_copied(tmp_path, make_corpus):
    """A generated test set's statements (heldout.jsonl beside the corpus) are dropped as
    heldout_copy, by the model strategies' filter and by the model-free reverse strategy."""
    from augft.augment.api import augment
    from augft.augment.filters import FilterConfig, StatementFilter
    from augft.augment.reverse import reverse_sentence
    from augft.core.artifacts import AugmentOutput
    from augft.core.config import load_config
    from augft.core.records import Document, write_jsonl

    f = StatementFilter(FilterConfig(heldout=("The mayor of Quillport is Zeb Grannow.",)))
    assert f.check("Everyone knows the mayor of Quillport is Zeb Grannow.", "d0", "Zeb Grannow is the mayor.") \
        == "heldout_copy"
    assert f.check("Quillport's mayor is Zeb Grannow.", "d0", "Zeb Grannow is the mayor.") is None
    data = make_corpus(tmp_path / "d", 6)
    first = "Zeb Grannow is the composer of the silent opera."
    write_jsonl(data / "heldout.jsonl", [Document("q0/0", reverse_sentence(first), {"question_id": "q0"})])
    cfg = load_config(None, ["augment.strategies=[reverse]", "augment.use_ray=false", "augment.verify=false"])
    m = augment(cfg, data, tmp_path / "out").strategies["reverse"]
    assert m.filtered["heldout_copy"] == 1 and m.ok + sum(m.filtered.values()) == m.inputs
    texts = {r.text for r in AugmentOutput(tmp_path / "out").records(["reverse"])}
    assert reverse_sentence(first) not in texts and len(texts) == m.ok
