"""Nonsense vocabulary: pronounceable invented words that are not English.

Words are built from syllable parts with a seeded RNG, so a benchmark's words
never overlap pre-training text. A `Vocab` hands out each word at most once,
so every word is unique across one whole benchmark (and plural/verb forms
built by adding "s" or "ed" cannot collide with another word, since no word
ends in "s").
"""
from __future__ import annotations

import random
from functools import lru_cache
from typing import AbstractSet, FrozenSet, List, Set

ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "t", "v", "z", "br", "dr",
          "fl", "gl", "gr", "kl", "pl", "pr", "tr", "sk", "sn", "bl", "kr", "fr", "st", "sp"]
VOWELS = ["a", "e", "i", "o", "u"]
# No "s", "x" or "z" codas: plurals and verb forms stay "word" + "s".
CODAS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "t", "mp", "nd",
         "ft", "lk", "rn", "nt", "rf", "lb", "rk", "sk", "rp", "nk"]
# Consonant+vowel syllables for longer (two-syllable) proper names.
NAME_ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
               "br", "dr", "gr", "kr", "tr", "th", "sh", "h", "j", "w"]
NAME_CODAS = ["", "", "n", "l", "r", "k", "m", "th", "x", "nd", "rn", "ll"]

# Fallback when the `english-words` package is missing: common short English words.
_STOPLIST = """able about also area army away baby back bad bag ball band bank bar base bat
bear bed bell belt best bill bird bit blow blue boat body bold bolt bomb bond bone book
born boss both bowl bulk burn bus but cake calm camp card care cart case cast cat cell
coat cold cook cool cop cord core cost crew crop cut dark data date dawn dead deal dear
debt deck deep desk dial diet dirt disk dock dog done door dose down drag draw drop drug
drum dual duck dust duty each earn east edge else even ever exit face fact fail fair fall
farm fast fat fear feed feel felt file fill film find fine fire firm fish fist flag flat
fled flip flow fold folk fond food fool foot form fort free frog fuel full fund gain game
gang gate gave gift girl glad glow goal gold golf gone good grab gray grew grid grim grip
gulf gum gun guy hair half hall hand hang hard harm hat hate have head hear heat held
hell help herb hero hide high hill hint hire hold hole home hope horn host hour huge hung
hunt hurt idea inch into iron item jail joke jump jury just keen keep kept kick kill kind
king kiss kit knee knew know lab lack lady laid lake lamp land lane last late lead leaf
lean left lend less life lift like limb line link lion list live load loan lock logo long
look lord lose loss lost loud love luck lump lung made mail main make male mall many map
mark mask mass mate meal mean meat meet melt menu mere mess mild milk mill mind mine miss
mode mood moon more most move much must myth nail name navy near neat neck need nest net
news next nice nine node none norm nose note odd once only open oral oven over pace pack
page paid pain pair pale palm park part pass past path peak pick pile pine pink pipe plan
play plot plug plus poem poet pole poll pond pool poor port pose post pour pray prey pull
pump pure push quit race rack rage raid rail rain rank rare rate read real rear rely rent
rest rice rich ride ring rise risk road rock role roll roof room root rope rose rude rule
rush safe sake sale salt same sand save seal seat seed seek seem seen self sell send ship
shop shot show shut sick side sign silk sing sink site size skin slip slow snow soft soil
sold sole some song soon sort soul spin spot star stay stem step stop such suit sure swim
tail take tale talk tall tank tape task team tear tell tend tent term test text than that
them then they thin this tide tile till time tiny tire told toll tone tool tour town trap
tree trim trip true tube tune turn twin type unit upon used user vast very view vote wage
wait wake walk wall want warm warn wash wave weak wear week well went were west what when
whom wide wife wild will wind wine wing wire wise wish with wolf wood word wore work yard
yeah year your zero zone blog vlog meme emoji selfie wiki app apps""".split()


@lru_cache(maxsize=1)
def english_words() -> FrozenSet[str]:
    """Lower-case English words to reject (a large word list when installed)."""
    words = set(_STOPLIST)
    try:
        from english_words import get_english_words_set

        words |= get_english_words_set(["web2", "gcide"], lower=True, alpha=True)
    except ImportError:  # the stoplist still rejects the common words
        pass
    return frozenset(words)


def is_english(word: str) -> bool:
    w = word.lower()
    eng = english_words()
    # Reject when the word or an obvious inflection of it is English ("bolts", "florped").
    return w in eng or (w + "s") in eng or (w + "ed") in eng or (w + "er") in eng


class Vocab:
    """Seeded source of unique nonsense words for one benchmark."""

    def __init__(self, rng: random.Random, reserved: AbstractSet[str] = frozenset()):
        self.rng = rng
        self.used: Set[str] = {w.lower() for w in reserved}

    def _take(self, make, tries: int = 10000) -> str:
        for _ in range(tries):
            w = make()
            lw = w.lower()
            if lw in self.used or lw.endswith("s") or is_english(lw):
                continue
            self.used.add(lw)
            return w
        raise RuntimeError("nonsense vocabulary exhausted; use smaller benchmark sizes")

    def word(self, min_len: int = 4, max_len: int = 5) -> str:
        """One lower-case syllable word (consonant cluster, vowel, coda), e.g. `femp`."""
        def make():
            while True:
                w = self.rng.choice(ONSETS) + self.rng.choice(VOWELS) + self.rng.choice(CODAS)
                if min_len <= len(w) <= max_len:
                    return w
        return self._take(make)

    def words(self, n: int, min_len: int = 4, max_len: int = 5) -> List[str]:
        return [self.word(min_len, max_len) for _ in range(n)]

    def proper(self, syllables: int = 2) -> str:
        """A capitalised multi-syllable proper noun, e.g. `Velmora`."""
        def make():
            w = "".join(self.rng.choice(NAME_ONSETS) + self.rng.choice(VOWELS)
                        for _ in range(syllables))
            return (w + self.rng.choice(NAME_CODAS)).capitalize()
        return self._take(make)
