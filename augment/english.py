"""English, as entity detection reads it (augment/entities.py): the dictionary (the web2 and
gcide word lists of `english-words`, offline), the inflections and compounds read by rule, and the
word classes the rules consult (generic abbreviations, function words, mass and abstract nouns).

Kept apart from the rules so the vocabulary can be read (and grown) in one place.
"""
from __future__ import annotations

from functools import lru_cache
from typing import FrozenSet, Tuple

ABBREV = frozenset({"e.g", "i.e", "a.k.a", "etc", "vs", "cf", "al", "et"})

# Generic abbreviations: a concept, not one thing.
GENERIC_CAPS = frozenset("""AI ML DL LLM LLMS API APIS CLI GUI UI UX IDE SDK CPU CPUS GPU GPUS TPU TPUS
RAM OS ID IDS IO URL URLS URI UUID UUIDS GUID GUIDS PR PRS FAQ TODO FIXME XXX NB PS OK CEO CTO HR QA IT ASAP FYI TL DR NOTE
NOT AND OR THE NO YES ALL NEW ODE ODES PDE SSD HDD USB DIY FAQS I18N L10N""".split())
DATES = frozenset("""monday tuesday wednesday thursday friday saturday sunday january february march
april may june july august september october november december""".split())
# Sentence starters that never begin a name, though a name may follow ("In Berlin", "The Nile").
FUNCTION = frozenset("""a an the this that these those there here it its in on at by for from to with
without of as and or but if when while where which who whom whose what why how after before since
until unless because although though so then thus also each every some any all many most much more
no not nor both either neither one two three our your my his her their we you they he she i is are
was were be been use see note read install run check try please learn find let just only even yet
however therefore instead besides finally first second next other another such like about over under
into onto upon via per than do does did can could should would will may might must""".split())
_PREFIXES = ("co", "re", "un", "sub", "pre", "non", "multi", "meta", "de", "inter", "auto", "micro",
             "hyper", "pseudo", "super", "over", "under", "out", "mis", "dis", "en", "in", "im", "bi", "tri", "mini",
             "post", "anti", "semi", "cross", "self")
_SUFFIXES = ("s", "es", "ed", "ing", "er", "ers", "est", "ly", "able")
_Y_SUFFIXES = ("ies", "ied", "ier", "iest", "ily")  # dictionaries, specified, easiest: the stem ends in y
# Generic technical words that no dictionary lists and no compound rule reads.
_TECH = frozenset("""async await boolean booleans unicode tuple tuples iterable iterables iterator
iterators runtime runtimes stdout stderr stdin args kwargs config configs repo repos url urls app
apps params param dict dicts init ascii toolkit toolkits dataset datasets plugin plugins
docstring docstrings wiki emoji online offline website websites email emails changelog cron
dev devs admin admins login logout setup signup builtin builtins natively hardcoded debug debugger
debugging byte bytes pixel pixels blog blogs catalog catalogs metadata backend backends frontend
frontends timestamp timestamps username filename filenames hostname localhost subclass subclasses
refactor linter linters workflow workflows laptop laptops etc""".split())
# Irregular past forms the word lists lack; regular inflections are read by rule (is_english).
_IRREGULAR = frozenset("""began begun sang sung swam swum drank drunk rang rung sank sunk shrank shrunk
sprang sprung stank stunk spun slung stung strung swung clung flung wrung hung dug fed fled bled bred
sped led slid bit hid lit shone shot strode strove forbade forgave forgot forgotten overcame overran
undertook undertaken withdrew withdrawn arisen arose awoke awoken""".split())
# Nouns a sentence can start with, bare, as a whole subject ("Software is ..."): not names.
MASS = frozenset("""data software hardware code information documentation support help work feedback
output input text content memory traffic storage access security performance time progress research
evidence equipment advice knowledge news music water""".split())
ABSTRACT = ("tion", "sion", "ment", "ness", "ity", "ance", "ence", "ure", "age", "ism", "ics", "ship", "dom",
             "ing", "ogy", "ery")


@lru_cache(maxsize=1)
def dictionary() -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """(lower-case English words, words the dictionary knows only capitalised: proper nouns).
    Only web2 marks proper nouns by case (gcide capitalises every headword), so proper nouns are
    web2's capitalised words it does not also list in lower case."""
    from english_words import get_english_words_set

    web2 = get_english_words_set(["web2"], lower=False, alpha=True)
    lower = {w for w in web2 if w.islower()}
    proper = {w.lower() for w in web2 if w[:1].isupper()} - lower
    gcide = {w.lower() for w in get_english_words_set(["gcide"], lower=False, alpha=True)}
    return frozenset(lower | (gcide - proper)), frozenset(proper)


@lru_cache(maxsize=1 << 16)  # a corpus repeats its words: each is read once per worker
def is_english(word: str, strict: bool = False) -> bool:
    """A dictionary word or a regular inflection of one. `strict` reads inflections narrowly (-d
    only after an e, a restored e only before -ed/-ing/-er), so invented words such as "pland"
    (plan + d) are not read as English."""
    eng = dictionary()[0]
    k = word.lower()
    if k in eng or k in _IRREGULAR:
        return True
    if any(k.endswith(suf) and len(k) - len(suf) >= 2 and k[: -len(suf)] + "y" in eng for suf in _Y_SUFFIXES):
        return True
    for suf in _SUFFIXES:
        stem = k[: -len(suf)]
        if k.endswith(suf) and len(stem) >= (2 if suf == "ing" else 3):  # "using"
            if stem in eng or stem in _TECH or (suf in ("ed", "ing", "er", "ers", "est", "able") and stem + "e" in eng):
                return True
            if suf in ("ed", "ing", "er", "est") and len(stem) >= 4 and stem[-1] == stem[-2] \
                    and (stem[:-1] in eng or stem[:-1] in _TECH):
                return True  # a doubled consonant: "blogged", "mapping"
            if not strict and (stem.replace("is", "iz") in eng or stem + "e" in eng):
                return True
    return k.endswith("d") and k[:-1].endswith("e") and k[:-1] in eng


@lru_cache(maxsize=1 << 16)
def is_common(word: str, strict: bool = False) -> bool:
    """A lower-case word that is ordinary text: English, a hyphenation, compound or prefixed form
    of English words ("single-threaded", "runtime", "coroutines"), or a generic technical word."""
    k = word.lower().strip("-")
    if not k or k in _TECH or k in _PREFIXES or k in ABBREV or is_english(k, strict):
        return True
    if "-" in k:
        return all(p.isdigit() or is_common(p, strict) for p in k.split("-") if p)
    if len(k) >= 7:
        if any(is_english(k[:i], True) and is_english(k[i:], strict) for i in range(3, len(k) - 3)):
            return True
        return any(k.startswith(p) and len(k) - len(p) >= 4 and is_common(k[len(p):], strict) for p in _PREFIXES)
    return False
