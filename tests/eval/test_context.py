"""The ICL context: whole corpus when it fits, a seeded subsample when not, a clear error when nothing fits."""
import pytest

from augft.core.errors import AugftError
from augft.core.models import load_tokenizer
from augft.core.records import Document
from augft.eval.context import build_context
from augft.eval.encoding import Encoder


@pytest.fixture(scope="module")
def enc(tiny_model):
    return Encoder(load_tokenizer(tiny_model))


DOCS = [Document(id=f"d{i}", text=f"The blick number {i} is heavier than the dax {i}.") for i in range(30)]


def test_whole_corpus_when_it_fits(enc):
    ctx = build_context(DOCS, enc, budget=10_000)
    assert ctx.doc_ids == [d.id for d in DOCS] and not ctx.subsampled
    assert ctx.text.startswith(DOCS[0].text) and ctx.text.endswith("\n\n")
    assert ctx.ids == enc.context_ids(ctx.text)


def test_subsample_fits_is_deterministic_and_in_corpus_order(enc):
    a = build_context(DOCS, enc, budget=120, seed=1)
    b = build_context(DOCS, enc, budget=120, seed=1)
    c = build_context(DOCS, enc, budget=120, seed=2)
    assert a.subsampled and 1 < len(a.doc_ids) < len(DOCS)
    assert len(a.ids) <= 120
    assert a.doc_ids == b.doc_ids and a.ids == b.ids
    assert a.doc_ids != c.doc_ids
    pos = {d.id: i for i, d in enumerate(DOCS)}
    assert [pos[i] for i in a.doc_ids] == sorted(pos[i] for i in a.doc_ids)
    logged = a.log()
    assert logged.docs_used == len(a.doc_ids) and logged.docs_total == len(DOCS)


def test_context_that_cannot_fit_one_document(enc):
    with pytest.raises(AugftError, match="cannot fit even one document"):
        build_context(DOCS, enc, budget=5)
    with pytest.raises(AugftError, match="no room"):
        build_context(DOCS, enc, budget=0)
