"""Entity mentions in text: the names a document is about, read by rules, offline.

What counts as an entity (the rule `benchmarks/data/README.md` labels by): a name of one
specific thing (a person, organisation, place, product or project, a named standard, format or
language) or a code identifier (module, function, class, option); generic words are not, however
technical ("runtime", "thread", "API"), nor are dates and numbers.

The rules, each cheap (a regex pass and set look-ups, so whole corpora run on workers):
- a capitalised word outside a sentence start is a name ("visited Paris", "the Falcon team");
  at a sentence start only when the dictionary knows it as a proper noun only ("Paris is") or
  does not know it at all ("Velmora is");
- mixed case ("GitHub", "MLflow"), all capitals that are not a generic abbreviation ("HTTP",
  not "API"), and code shapes (`snake_case`, `module.attr`, `call()`, backticks, `--flag`,
  letters with digits as in `sqlite3`) are names;
- consecutive names form one mention, joined by "of" and name particles ("Marie Curie",
  "Google Summer of Code", "Acme Corp"), a possessive ends one ("Acme Corp's");
- a lower-case word that no English dictionary knows, in any inflection (regular, -ies/-ied from
  -y, -est, the common irregular pasts), compound or prefixed form, is an invented or technical
  name ("femp", "asyncio"; not "runtime", "coroutines", "dictionaries", "began"), as is a
  lower-case word named as a module ("the decimal module", "import turtle"), a word alone in
  single quotes, and the program of a backticked command line ("`python my_script.py`");
- paths and tz zone names are one code mention ("/etc/issue", "America/New_York"); names joined
  by a slash are read one by one ("Python/IPython"), common words so joined are none
  ("input/output");
- a sentence-initial dictionary word is a name when only a name fits: a bare subject before
  "is"/"was"/"has" that is no mass or abstract noun ("Flask is", not "Software is"), a plural
  form before a singular verb ("Requests allows"), before "module" ("Thread module");
- not names: generic abbreviations (UUID, unless "class UUID"), versions ("V2"), and a
  capitalised common word that ends a name after an abbreviation ("SMTP Authentication").

A mention's `key` is its normalised name ("marie curie"); its `parts` are what links documents
and pairs sentences: the name's words that are not common English words ("Krell" in "Dafna
Krell", so a later "Krell" links to it), or the whole key when every word is common ("python
package index").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from augft.augment.english import (ABBREV as _ABBREV, ABSTRACT as _ABSTRACT, DATES as _DATES,
                                    FUNCTION as _FUNCTION, GENERIC_CAPS as _GENERIC_CAPS, MASS as _MASS,
                                    dictionary as _dictionary, is_common, is_english)

KINDS = ("name", "code", "invented")
ENTITY_COUNTS = ("documents_with_entities", "whole_window", "linked")
"""The coverage counts a strategy's manifest entry reports (core StrategyEntry.entities)."""


@dataclass(frozen=True)
class Mention:
    text: str
    """As written (a possessive and call parentheses dropped)."""
    start: int
    end: int
    key: str
    """Normalised: lower case, single spaces, backticks dropped."""
    kind: str
    """"name" (capitalised or all-capitals), "code" (identifier shape), "invented" (a lower-case
    word no dictionary knows)."""
    parts: Tuple[str, ...]
    """The keys that link this mention to others (see the module docstring)."""


# A word, identifier (dotted, ::, hyphenated, with digits), an optional possessive and call
# parentheses; a backticked span; a command-line flag.
_TOKEN = re.compile(r"`+[^`\s]+`+|(?<![\w-])--?[A-Za-z][\w-]*|(?<![\w.])\.{0,2}/?(?:[A-Za-z_][\w.-]*/)+[A-Za-z_][\w.-]*\w"
                    r"|[A-Za-z_][\w]*(?:(?:::|[.-])[A-Za-z0-9_]+)*(?:['\u2019][A-Za-z]+)?(?:\(\))?|\d\w*(?:\.\d\w*)*")
_STARTERS = set(".!?:;\n\"'(\u201c\u2018[*-\u2014`")  # a backticked title starts like a sentence
_CONNECT = frozenset({"of", "de", "du", "da", "del", "della", "der", "van", "von", "la", "le", "al", "bin", "&"})
_MODULE_WORDS = frozenset({"module", "modules", "package", "packages"})
def _code_shape(tok: str) -> bool:
    core = tok.rstrip("()")
    return (tok.endswith("()") or tok.startswith("`") or tok.startswith("-") or "_" in core or "::" in core
            or ("." in core and core.lower() not in _ABBREV)
            or (core.islower() and any(c.isdigit() for c in core) and core[0].isalpha()))


def _word_kind(tok: str, at_start: bool, strict: bool) -> Optional[str]:
    """The kind of mention one token is on its own (None: not a name)."""
    if _code_shape(tok):
        return "code"
    letters = tok.replace("-", "")
    if not letters.isalnum() or not tok[0].isalpha():
        return None
    low = tok.lower()
    if len(tok) > 2 and tok.endswith("s") and tok[:-1].isupper():
        tok, low = tok[:-1], low[:-1]  # a plural abbreviation: "APIs", "LLMs"
    if re.fullmatch(r"[vV]\d+(?:\.\d+)*", tok):
        return None  # a version: "Pydantic V2"
    if tok.isupper() or (tok[0].isupper() and any(c.isdigit() for c in tok)):
        if len(tok) == 1:
            return None if tok in "IA" or at_start else "name"
        return None if low.upper() in _GENERIC_CAPS else "name"
    if tok[0].isupper():
        if any(c.isupper() for c in tok[1:]) and any(c.islower() for c in tok):
            return "name"  # mixed case: GitHub, MLflow, DeepSpeed-MoE
        if low in _DATES:
            return None
        if not at_start:
            return "name"
        return "name" if low in _dictionary()[1] or not is_english(low, strict) else None
    if any(c.isupper() for c in tok):
        return "name"  # iPhone, macOS
    return None if is_common(low, strict) else "invented"


def _at_start(text: str, pos: int) -> bool:
    i = pos - 1
    while i >= 0 and text[i] in " \t":  # look back, never copy: documents can be long
        i -= 1
    if i >= 0 and text[i] in "([" and i + 1 == pos:
        return _at_start(text, i)  # an opening bracket starts nothing: "around [Jinja]", "(Thanks to"
    return i < 0 or text[i] in _STARTERS


def _strip(tok: str) -> str:
    """The name a token writes: backticks, a possessive, call parentheses dropped."""
    t = tok.strip("`")
    if len(t) > 2 and t[-2] in "'\u2019" and t[-1] in "sS":
        t = t[:-2]
    if len(t) > 2 and t[0] == t[-1] == "_" and "_" not in t[1:-1]:
        t = t[1:-1]  # markdown emphasis, not an identifier
    return t[:-2] if t.endswith("()") else t


def _parts(words: List[str]) -> Tuple[str, ...]:
    lower = _dictionary()[0]
    keys = [w.lower() for w in words if w.lower() not in _CONNECT]
    rare = tuple(dict.fromkeys(k for k in keys if k not in lower))
    return rare or (" ".join(w.lower() for w in words),)


@dataclass
class _Tok:
    raw: str
    text: str
    start: int
    end: int
    at_start: bool
    kind: Optional[str]

    @property
    def possessive(self) -> bool:
        return self.raw.rstrip("`")[-2:-1] in ("'", "\u2019") and self.raw[-1:] in "sS"


# A command line in backticks (not a reStructuredText link, `text`_): its first word is a program.
_COMMAND = re.compile(r"(?<!`)`([a-z][\w.-]*) [^`\n]*`(?![`_])")
# Areas of the tz database's zone names: "America/New_York" is one name, "Python/IPython" two.
_TZ_AREAS = frozenset("africa america antarctica arctic asia atlantic australia europe indian pacific etc".split())


def _slashed(raw: str, strict: bool) -> Optional[str]:
    """How a slash-joined token reads: "path" (one code mention: "/etc/issue", "docs/conf.py",
    "America/New_York"), "words" (alternatives of common words: "input/output"), or None:
    alternatives of names, read one by one ("Python/IPython")."""
    parts = raw.strip("./").split("/")
    if raw[0] in "./" or parts[0].lower() in _TZ_AREAS or any(_code_shape(p) for p in parts):
        return "path"
    if all(p.islower() for p in parts):
        return "words" if all(is_common(p, strict) for p in parts) else "path"
    return None


def _units(text: str, strict: bool):
    """(raw, start, end) of each token; names joined by slashes come apart."""
    for m in _TOKEN.finditer(text):
        raw = m.group()
        if "/" in raw and not raw.startswith("`") and _slashed(raw, strict) is None:
            at = m.start()
            for part in raw.split("/"):
                yield part, at, at + len(part)
                at += len(part) + 1
        else:
            yield raw, m.start(), m.end()


def _tok(text: str, raw: str, begin: int, end: int, strict: bool) -> _Tok:
    t = _strip(raw)
    contraction = re.search(r"['\u2019](?![sS]$)[A-Za-z]+$", raw)
    if not t or raw[0].isdigit() or contraction or not any(c.isalpha() for c in t):
        return _Tok(raw, t, begin, end, False, None)  # "didn't" names nothing
    start = begin + raw.index(t[0])
    at_start = _at_start(text, begin)
    called = re.match(r"\((?!e?s\))", text[end:end + 3])  # "Decimal('1.0')", not "example(s)"
    if "/" in t and not raw.startswith("`"):
        kind = "code" if _slashed(t, strict) == "path" else None
    elif called or _quoted(text, begin, end):
        kind = "code"
    else:
        kind = _word_kind(raw if raw.startswith("`") or raw.endswith("()") else t, at_start, strict)
    if kind in ("invented", "name") and "-" in t:  # "optparse-inspired", "JSON-free": the name is before
        head = t.split("-")
        keep = next((i for i, p in enumerate(head) if i and p.islower() and is_common(p, strict)), len(head))
        t = "-".join(head[:keep])
    return _Tok(raw, t, start, start + len(t), at_start, kind)


def _quoted(text: str, begin: int, end: int) -> bool:
    """A word alone in single quotes is an identifier ("'value' is the top level object")."""
    return text[begin - 1:begin] == "'" and text[end:end + 1] == "'" and (begin < 2 or not text[begin - 2].isalnum())


def _tokens(text: str, strict: bool) -> List[_Tok]:
    out = [_tok(text, raw, b, e, strict) for raw, b, e in _units(text, strict)]
    heads = {m.start(1) for m in _COMMAND.finditer(text)}
    for t in out:
        if t.kind is None and t.start in heads and t.text not in _FUNCTION and t.text != "import":
            t.kind = "code"
    _module_context(out)
    _sentence_subjects(out)
    _descriptors(out)
    _named_elsewhere(out)
    return out


def _named_elsewhere(toks: List[_Tok]) -> None:
    """A sentence-initial word the text also capitalises mid-sentence is that name ("Rich can
    render tables. ... see Rich's docs")."""
    named = {t.text for t in toks if t.kind == "name" and not t.at_start}
    for t in toks:
        if t.kind is None and t.at_start and t.text in named:
            t.kind = "name"


def _sentence_subjects(toks: List[_Tok]) -> None:
    """A capitalised dictionary word that starts a sentence is a name when it is a bare subject
    that only a name can be: before "is"/"was"/"has" ("Flask is a framework"; not a mass or
    abstract noun: "Software is", "Installation is"), or a plural form before a singular verb
    ("Requests allows", "Transformers works")."""
    for i, t in enumerate(toks[:-1]):
        low, nxt = t.text.lower(), toks[i + 1]
        if t.kind or not t.at_start or not t.text[:1].isupper() or not t.text.isalpha() \
                or low in _FUNCTION or low in _MASS or low.endswith(_ABSTRACT) or nxt.start != t.end + 1:
            continue
        verb = nxt.text in ("is", "was", "has")
        plural = (low.endswith("s") and not low.endswith(("ss", "us", "is")) and nxt.text.islower()
                  and nxt.text.endswith("s") and not nxt.text.endswith("ss") and is_english(nxt.text))
        if verb or plural:
            t.kind = "name"


def _descriptors(toks: List[_Tok]) -> None:
    """A capitalised common word after an abbreviation, ending the name, describes it: "SMTP
    Authentication", "HTTP Server" name SMTP and HTTP only."""
    for i, t in enumerate(toks):
        if i == 0 or t.kind != "name" or not t.text.istitle() or not t.text.isalpha():
            continue
        prev, nxt = toks[i - 1], toks[i + 1] if i + 1 < len(toks) else None
        after_abbrev = len(prev.text) > 1 and prev.text.isalpha() and prev.text.isupper() and prev.end + 1 == t.start
        last = nxt is None or nxt.kind != "name" or nxt.start != t.end + 1
        if after_abbrev and last and t.text.lower() not in _dictionary()[1] and is_english(t.text.lower()):
            t.kind = None


def _module_context(toks: List[_Tok]) -> None:
    """A lower-case word named as a module is code: "the decimal module", "import turtle"."""
    for i, t in enumerate(toks):
        if t.kind or not t.text.isalpha() or not t.text.islower():
            continue
        before = toks[i - 1].text.lower() if i else ""
        after = toks[i + 1].text.lower() if i + 1 < len(toks) else ""
        module = after in ("module", "modules") or (after in _MODULE_WORDS and not is_english(t.text))
        if (before == "the" and module) or before == "import" or (before == "from" and after == "import"):
            t.kind = "code"
    for i, t in enumerate(toks[1:], 1):  # "class UUID": a class is code, however generic its name
        if toks[i - 1].text == "class" and t.text[:1].isupper() and t.kind in (None, "name"):
            t.kind = "code"
    for i, t in enumerate(toks[:-1]):  # "Thread module emulating ...": a sentence starts with its name
        if t.kind is None and t.at_start and t.text.istitle() and t.text.lower() not in _FUNCTION \
                and toks[i + 1].text in ("module", "modules"):
            t.kind = "name"


def _acronym(t: _Tok) -> bool:
    return len(t.text) > 1 and t.text.isalpha() and t.text.isupper()


def _joins(text: str, a: _Tok, b: _Tok) -> bool:
    """Whether b continues the name a is in: a space apart, no possessive between; an
    abbreviation stands alone ("Python WSGI HTTP Server" names three things)."""
    if _acronym(a) or _acronym(b):
        return False
    return not a.possessive and text[a.end:b.start] in (" ", "\u00a0") and a.raw.endswith(a.text[-1:])


def _span_end(text: str, toks: List[_Tok], i: int) -> int:
    """The index after the last token of the name that starts at token i."""
    j = i + 1
    while j < len(toks) and _joins(text, toks[j - 1], toks[j]):
        t = toks[j]
        if t.kind == "name":
            j += 1
        elif t.text.lower() in _CONNECT and j + 1 < len(toks) and toks[j + 1].kind == "name" \
                and _joins(text, t, toks[j + 1]) and t.text.islower():
            j += 2
        else:
            break
    if j == i + 1 and j < len(toks) and _acronym(toks[i]) and toks[j].raw.isdigit() \
            and text[toks[i].end:toks[j].start] == " ":
        j += 1  # RFC 821, PEP 249
    return j


def _initial_joins(text: str, toks: List[_Tok], i: int) -> bool:
    """A capitalised dictionary word that starts a sentence begins the name after it ("Acme
    Corp", "Beautiful Soup"), unless it is a word that never begins one ("The", "In")."""
    t = toks[i]
    return (t.kind is None and t.at_start and t.text[:1].isupper() and t.text.isalpha()
            and t.text.lower() not in _FUNCTION and not t.text.endswith("ing") and i + 1 < len(toks) and toks[i + 1].kind == "name"
            and toks[i + 1].text[:1].isupper() and _joins(text, t, toks[i + 1]))


def mentions(text: str, strict: bool = False) -> List[Mention]:
    """The entity mentions of `text` in order. `strict` reads English inflections narrowly
    (see `is_english`), so fewer invented words pass for English."""
    toks = _tokens(text, strict)
    out: List[Mention] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind in ("code", "invented"):
            key = t.text.strip("`").lower()
            out.append(Mention(text[t.start:t.end], t.start, t.end, key, t.kind, (key,)))
            i += 1
        elif t.kind == "name" or _initial_joins(text, toks, i):
            j = _span_end(text, toks, i)
            span = toks[i:j]
            body = text[span[0].start:span[-1].end]
            words = [s.text for s in span]
            out.append(Mention(body, span[0].start, span[-1].end, " ".join(body.lower().split()), "name",
                               _parts(words)))
            i = j
        else:
            i += 1
    return out


def mention_keys(text: str, strict: bool = False) -> List[str]:
    """The normalised keys of `text`'s mentions, each once, in the order they first occur."""
    return list(dict.fromkeys(m.key for m in mentions(text, strict)))


def link_keys(text: str, strict: bool = False) -> List[str]:
    """The keys that link `text` to other texts (mentions' parts), each once, in order."""
    return list(dict.fromkeys(p for m in mentions(text, strict) for p in m.parts))
