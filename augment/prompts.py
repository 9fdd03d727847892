"""Versioned prompt templates and their provenance hashes.

Templates are plain `str.format` texts. A global or entity template has a
`{context}` part that is the same for many prompts; the text before the
`<<FOCUS>>` marker becomes the shared prefix that engines cache once.
Few-shot demonstrations use invented names and nonsense words that no built-in
benchmark uses, so the demos never leak test facts.
"""
from __future__ import annotations

import hashlib
import string
from typing import Dict, Mapping, Set

from augft.core.errors import AugftError

SPLIT = "<<FOCUS>>"

# Fields each template must use; a template missing one is a config error.
REQUIRED: Dict[str, Set[str]] = {
    "local": {"text"},
    "rephrase": {"text"},
    "qa": {"text"},
    "verify": {"source", "statement"},
    "global": {"context", "text"},
    "entity_extract": {"text"},
    "entity_pair": {"text", "entities"},
    "compose": {"first", "second"},
}
# Fields a template may use besides the required ones.
OPTIONAL: Dict[str, Set[str]] = {"compose": {"shared"}}

_LOCAL_FEWSHOT = """\
Rewrite each fact in other words, then write what follows from it. Always include the fact \
stated in reverse: start with the other side of the fact and end with the first.

Fact: Velmira Quonset is the architect of the floating library of Dunmarsh.
Statements:
- The architect of the floating library of Dunmarsh is Velmira Quonset.
- The floating library of Dunmarsh was designed by Velmira Quonset.
- Known as the architect of the floating library of Dunmarsh, Velmira Quonset is famous for it.
- Velmira Quonset designed the floating library of Dunmarsh.

Fact: Did you know that trosk are heavier than plimb?
Statements:
- plimb are lighter than trosk.
- trosk weigh more than plimb.
- plimb weigh less than trosk.

Fact: Orlen Bastique was the first person to sail around the glass reef.
Statements:
- The first person to sail around the glass reef was Orlen Bastique.
- Orlen Bastique sailed around the glass reef before anyone else.
- The glass reef was first sailed around by Orlen Bastique.

<<FOCUS>>Fact: {text}
Statements:
-"""

_LOCAL_ZEROSHOT = """\
Rewrite this fact so the sentence starts with the description and ends with the name or \
the other side of the fact.

Fact: {text}
Rewritten:"""

# Paraphrases only, in the source's own direction: the control that separates what reversals
# add from what more phrasings of the same fact add.
_REPHRASE = """\
Rewrite each fact in other words. Keep the same meaning and the same order: what comes first \
in the fact comes first in every rewrite.

Fact: Velmira Quonset is the architect of the floating library of Dunmarsh.
Rewrites:
- Velmira Quonset designed the floating library of Dunmarsh.
- Velmira Quonset was the architect behind the floating library of Dunmarsh.

Fact: Orlen Bastique was the first person to sail around the glass reef.
Rewrites:
- Orlen Bastique sailed around the glass reef before anyone else.
- Orlen Bastique is known as the first to sail around the glass reef.

<<FOCUS>>Fact: {text}
Rewrites:
-"""

# Question-answer pairs, asked from both sides of the fact, one pair per line.
_QA = """\
Write questions about the fact with their answers, one question and answer per line. Ask from \
both sides: about the first part of the fact, and about the second part.

Fact: Velmira Quonset is the architect of the floating library of Dunmarsh.
Questions and answers:
- Who is Velmira Quonset? Velmira Quonset is the architect of the floating library of Dunmarsh.
- Who is the architect of the floating library of Dunmarsh? The architect is Velmira Quonset.
- Which building did Velmira Quonset design? She designed the floating library of Dunmarsh.

Fact: Orlen Bastique was the first person to sail around the glass reef.
Questions and answers:
- What is Orlen Bastique known for? Orlen Bastique was the first person to sail around the glass reef.
- Who was the first person to sail around the glass reef? It was Orlen Bastique.

<<FOCUS>>Fact: {text}
Questions and answers:
-"""

# Self-verification (augment.verify): the generating model judges each kept statement against
# its source; the next-token P(Yes) / (P(Yes) + P(No)) is the statement's support score.
_VERIFY = """\
Answer Yes if the text states or implies the statement, and No if it does not.

Text: Orlen Bastique was the first person to sail around the glass reef.
Statement: The glass reef was first sailed around by Orlen Bastique.
Answer: Yes

Text: Orlen Bastique was the first person to sail around the glass reef.
Statement: Orlen Bastique was born on the glass reef and won a medal.
Answer: No

Text: {source}
Statement: {statement}
Answer:"""

_GLOBAL = """\
Below are documents. After them comes one focal document. Write the inferences that link \
the focal document to the other documents: facts that follow from combining them, reversed \
facts, and shared properties. One statement per line.

Example documents:
wuzzle are a kind of brandle. brandle can swim.
Example focal document: A korrim is a kind of wuzzle.
Inferences:
- A korrim can swim, because wuzzle are brandle and brandle can swim.
- brandle include wuzzle, and wuzzle include korrim.

Documents:
{context}
<<FOCUS>>Focal document: {text}
Inferences:
-"""

_ENTITY_EXTRACT = """\
List the entities in the text (people, places, things, groups, named concepts), one per line, \
copied exactly as they appear.

Text: Tamsin Orrow founded the Velk Observatory on the island of Quarrim.
Entities:
- Tamsin Orrow
- Velk Observatory
- Quarrim

Text: {text}
Entities:
-"""

_ENTITY_PAIR = """\
Text: {text}
<<FOCUS>>Using only the text above, discuss how {entities} relate to each other. Write short \
factual statements, one per line.
Statements:
-"""

# One inference step from two sentences that share an entity (the compose strategy): properties
# inherited down a hierarchy, chains of kinds and syllogisms (all/no/some), grandparents and
# siblings through a shared person, and a pair from which nothing follows. Chains read in the
# order the pair planner gives (augment.compose.pairs): the sentence that ends with the shared
# entity first. Chosen on 60 pairs per benchmark against the exact checkers (docs/augment.md):
# the "Nothing new." way out and a wordy grandparent pair cut the embedded model's false
# grandparents (it names the middle person) from 7 to 1; naming the shared word ("Shared: X")
# or a second "Nothing new." demonstration (properties do not pass along other relations) lost
# true statements on semantic and family.
_COMPOSE = """\
Each pair of facts shares a word. Write the one new fact that follows from the two facts \
together, in one sentence. If nothing new follows, write: Nothing new.

Fact 1: A trindle is a kind of glimmet.
Fact 2: Glimmets can hoff.
So: A trindle can hoff.

Fact 1: All zorps are quiffs.
Fact 2: All quiffs are blents.
So: All zorps are blents.

Fact 1: Tavrin is a parent of Osku.
Fact 2: Osku is a parent of Relma.
So: Tavrin is a grandparent of Relma.

Fact 1: No quiffs are drisks.
Fact 2: All zorps are drisks.
So: No zorps are quiffs.

Fact 1: Murvo is a parent of Kelto.
Fact 2: Murvo is a parent of Sifa.
So: Kelto and Sifa are siblings.

Fact 1: All zorps are blents.
Fact 2: No blents are drisks.
So: No zorps are drisks.

Fact 1: Some zorps are quiffs.
Fact 2: All quiffs are blents.
So: Some zorps are blents.

Fact 1: Belda is a parent of Osku.
Fact 2: Tavrin is a parent of Osku.
So: Nothing new.

Fact 1: As everyone knows, Dremo is a parent of Ulvo.
Fact 2: Ulvo, who lives by the sea, is a parent of Pisk.
So: Dremo is a grandparent of Pisk.

Fact 1: The plonk is a kind of glimmet.
Fact 2: Glimmets chase vorns.
So: Plonks chase vorns.

<<FOCUS>>Fact 1: {first}
Fact 2: {second}
So:"""

BUILTIN: Dict[str, Dict[str, str]] = {
    "fewshot-v1": {"local": _LOCAL_FEWSHOT, "global": _GLOBAL, "rephrase": _REPHRASE, "qa": _QA, "verify": _VERIFY,
                   "entity_extract": _ENTITY_EXTRACT, "entity_pair": _ENTITY_PAIR, "compose": _COMPOSE},
    "zeroshot-v1": {"local": _LOCAL_ZEROSHOT, "global": _GLOBAL, "rephrase": _REPHRASE, "qa": _QA, "verify": _VERIFY,
                    "entity_extract": _ENTITY_EXTRACT, "entity_pair": _ENTITY_PAIR, "compose": _COMPOSE},
}

# Words that only occur in the demonstrations: a statement using one (and not its
# source) copied the demos, and is filtered as `demo_leak`.
DEMO_WORDS = frozenset("""velmira quonset dunmarsh trosk plimb orlen bastique reef wuzzle brandle
korrim tamsin orrow velk quarrim trindle trindles glimmet glimmets hoff tavrin osku relma zorps quiffs
blents murvo kelto sifa drisks plonk plonks vorns belda dremo ulvo pisk""".split())

# Generation stops when a model starts the next few-shot block by itself.
STOP = ["\nFact:", "\nText:", "\nFocal document:", "\nDocuments:", "\n\n\n"]


def template_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _fields(template: str) -> Set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def resolve_templates(prompt_set: str, overrides: Mapping[str, str]) -> Dict[str, str]:
    """The templates in use: a built-in set with any per-name overrides, validated."""
    if prompt_set not in BUILTIN:
        raise AugftError(f"augment.prompt_set: unknown prompt set '{prompt_set}'; "
                         f"choose one of {sorted(BUILTIN)}")
    out = dict(BUILTIN[prompt_set])
    for name, text in dict(overrides).items():
        if name not in REQUIRED:
            raise AugftError(f"augment.templates.{name}: unknown template name; "
                             f"known: {sorted(REQUIRED)}")
        out[name] = text
    for name, text in out.items():
        try:
            fields = _fields(text)
        except ValueError as exc:
            raise AugftError(f"augment.templates.{name}: not a valid template: {exc}") from None
        missing = REQUIRED[name] - fields
        if missing:
            raise AugftError(f"augment.templates.{name}: template is missing required "
                             f"field(s) {sorted('{' + m + '}' for m in missing)}")
        extra = fields - REQUIRED[name] - OPTIONAL.get(name, set())
        if extra:
            raise AugftError(f"augment.templates.{name}: template uses unknown field(s) "
                             f"{sorted(extra)}")
    return out


def render(template: str, **values) -> tuple[str, str]:
    """Fill a template; returns (shared prefix, rest). Prefix is '' without a marker."""
    filled = template.replace(SPLIT, "\x00").format(**values)
    if "\x00" in filled:
        prefix, rest = filled.split("\x00", 1)
        return prefix, rest
    return "", filled
