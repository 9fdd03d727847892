import random
import re

from augft.eval.datasets.vocab import Vocab, is_english


def test_words_are_unique_pronounceable_and_not_english():
    v = Vocab(random.Random(1))
    words = v.words(500)
    assert len(set(words)) == 500
    for w in words:
        assert 4 <= len(w) <= 5 and w.islower() and not w.endswith("s")
        assert re.fullmatch(r"[^aeiou]{1,2}[aeiou][^aeiou]{1,2}", w), w
        assert not is_english(w), w


def test_english_words_are_rejected():
    for w in ["dog", "house", "blog", "lamp", "dust", "grant"]:
        assert is_english(w)
    assert not is_english("femp") and not is_english("glon")


def test_proper_nouns_capitalised_and_unique_with_words():
    v = Vocab(random.Random(2), reserved={"Velmora"})
    names = [v.proper(2) for _ in range(200)] + v.words(200)
    assert len({n.lower() for n in names}) == 400
    assert "velmora" not in {n.lower() for n in names}
    assert all(n[0].isupper() for n in names[:200])


def test_same_seed_same_words():
    assert Vocab(random.Random(7)).words(50) == Vocab(random.Random(7)).words(50)
    assert Vocab(random.Random(7)).words(50) != Vocab(random.Random(8)).words(50)
