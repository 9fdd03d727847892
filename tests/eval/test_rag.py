"""`rag` conditions in `augft eval` on the tiny model: retrieved contexts within the budget,
recall@k against the questions' source ids, and their costs (index once, tokens per query)."""
import json

import pytest

from augft.core.artifacts import EvalOutput
from augft.core.config import load_config
from augft.core.models import resolve_model_path
from augft.core.records import read_questions
from augft.eval.api import evaluate
from augft.eval.encoding import Encoder
from augft.eval.rag import fit, recall, retrieve_contexts
from augft.eval.retrieval.build import build_index, load_index
from augft.eval.retrieval.spec import IndexSpec


def test_rag_conditions_in_augft_eval(tmp_path, mc_data, cli, tiny_model):
    ft = resolve_model_path(tiny_model)
    out = tmp_path / "out"
    r = cli("eval", "--data", mc_data, "--out", out, "model.name=tiny-random-llama",
            'eval.conditions=[base,icl,rag,"rag[dense]",ft+rag]', f"eval.models={{ft: {ft}}}",
            "eval.rag.k=2", "eval.retention=false")
    assert r.returncode == 0, r.stderr
    res = EvalOutput(out).results()
    assert list(res.conditions) == ["base", "icl", "rag", "rag[dense]", "ft+rag"]
    for label in ("rag", "rag[dense]", "ft+rag"):
        rag = res.conditions[label].rag
        assert rag.retriever == ("dense" if "dense" in label else "bm25") and rag.k == 2
        # Every question names its source document, and the made-up names make it findable.
        assert rag.recall_at_k["reversal"] >= 0.8 and rag.docs_per_query <= 2
        assert res.conditions[label].icl is None
    costs = res.costs.conditions
    assert costs["rag[dense]"].index_flops > 0 and costs["rag"].index_flops == 0.0
    assert costs["rag[dense]"].retrieval_flops_per_query > 0
    assert costs["base"].prompt_tokens_per_query < costs["rag"].prompt_tokens_per_query \
        < costs["icl"].prompt_tokens_per_query
    rows = [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()]
    got = [r_ for r_ in rows if r_["condition"] == "rag"]
    assert all(len(r_["retrieved"]) <= 2 for r_ in got) and any(r_["retrieved"] for r_ in got)
    # One index per retriever, reused by a second run (not rebuilt).
    assert (out / "index-bm25" / "index.json").is_file() and (out / "index-dense" / "index.json").is_file()
    md = (out / "report.md").read_text()
    assert "recall" in md and "## Which to use" in md and (out / "plot_which_to_use.png").is_file()
    assert res.decision.pick in res.conditions and len(res.decision.rows) == 5


def test_rag_scores_equal_icl_over_just_the_retrieved_documents(tmp_path, mc_data, tiny_model):
    """A rag question is scored as `icl` would score it with a corpus of its retrieved documents."""
    from augft.core.records import read_corpus, write_jsonl

    cfg = load_config(None, ["model.name=tiny-random-llama", "eval.conditions=[rag]", "eval.rag.k=1",
                             "eval.retention=false"])
    res = evaluate(cfg, mc_data, tmp_path / "a")
    assert res.conditions["rag"].rag.empty_contexts == 0
    rows = [json.loads(x) for x in (tmp_path / "a" / "predictions.jsonl").read_text().splitlines()]
    docs = {d.id: d for d in read_corpus(mc_data)}
    qs = {q.id: q for q in read_questions(mc_data)}
    icl = load_config(None, ["model.name=tiny-random-llama", "eval.conditions=[icl]", "eval.retention=false"])
    for r in rows[:3]:
        one = tmp_path / f"one-{r['id']}"
        one.mkdir()
        write_jsonl(one / "corpus.jsonl", [docs[r["retrieved"][0]]])
        write_jsonl(one / "questions.jsonl", [qs[r["id"]]])
        evaluate(icl, one, one / "out")
        other = json.loads((one / "out" / "predictions.jsonl").read_text().splitlines()[0])
        assert r["logprob"] == pytest.approx(other["logprob"], abs=1e-3)


def test_context_budget_drops_the_lowest_ranked(tmp_path, mc_data, tiny_model):
    from augft.core.models import load_tokenizer
    from augft.core.records import read_corpus

    enc = Encoder(load_tokenizer(tiny_model))
    docs = read_corpus(mc_data)[:3]
    one = len(enc.context_ids(docs[0].text + "\n\n"))
    kept, ids = fit(list(docs), enc, one + 2, "\n")
    assert [d.id for d in kept] == [docs[0].id] and len(ids) <= one + 2
    assert fit(list(docs), enc, 1, "\n") == ([], [])
    build_index(str(mc_data), IndexSpec("bm25"), tmp_path / "i")
    qs = read_questions(mc_data)
    got = retrieve_contexts(load_index(tmp_path / "i"), qs, {d.id: d for d in read_corpus(mc_data)}, enc, 3, 10_000, "\n")
    rec = recall(qs, got)
    assert set(rec) == {"rephrase", "reversal"} and all(0 <= v <= 1 for v in rec.values())


def test_recall_counts_a_document_by_the_facts_it_states():
    from augft.core.records import Document, Question
    from augft.eval.rag import Retrieved

    corpus = {"p1-t3": Document("p1-t3", "x", {"fact_ids": ["p1"]}), "p2-t1": Document("p2-t1", "y", {"fact_ids": ["p2"]})}
    qs = [Question("a", "reversal", "r", "?", ["1", "2"], 0, ["p1"]), Question("b", "reversal", "r", "?", ["1", "2"], 0, ["p1"]),
          Question("c", "forward", "f", "?", ["1", "2"], 0)]
    got = [Retrieved([], ["p1-t3"], []), Retrieved([], ["p2-t1"], []), Retrieved([], [], [])]
    assert recall(qs, got, corpus) == {"forward": None, "reversal": 0.5}


@pytest.mark.slow
def test_rag_on_the_embedded_model_finds_and_reads_the_person(tmp_path):
    """people at a small size: both retrievers find the statement about the person asked about,
    and reading it lifts the reversal questions above the model without context."""
    from augft.eval.datasets.api import generate

    cfg = load_config(None, ["benchmark.name=people", "benchmark.people.n_people=6", "benchmark.people.n_train_templates=4",
                             "benchmark.people.n_test_templates=2", "benchmark.people.n_reversal_templates=2"])
    generate("people", cfg, tmp_path / "data")
    cfg = load_config(None, ['eval.conditions=[base,"rag[bm25]","rag[dense]"]', "eval.retention=false"])
    res = evaluate(cfg, tmp_path / "data", tmp_path / "out")
    for label in ("rag[bm25]", "rag[dense]"):
        assert res.conditions[label].rag.recall_at_k["reversal"] >= 0.9
        assert res.conditions[label].splits["reversal"].accuracy > res.conditions["base"].splits["reversal"].accuracy
