"""The docs' code references resolve: every `path/to/module.py` a page names exists, and every
`path/to/module.py:name` names a top-level function, class or assignment there (or `Class.member`).

docs/layout.md walks a condition through the code function by function; a rename that forgets the
walk would otherwise leave a newcomer following names that no longer exist.
"""
from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Set, Tuple

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# A backticked path with at least one folder (bare `stages.py` in a table leans on its row's
# package), optionally followed by `:name`.
_REF = re.compile(r"`([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]*\.py)(?::([A-Za-z_][A-Za-z0-9_.]*))?")


def references(text: str) -> List[Tuple[int, str, str]]:
    """(line number, path, name or "") of each code reference in a page's text."""
    out = []
    for no, line in enumerate(text.splitlines(), 1):
        out += [(no, m.group(1), m.group(2) or "") for m in _REF.finditer(line)]
    return out


@lru_cache(maxsize=None)
def _names(path: Path) -> Dict[str, Set[str]]:
    """Top-level names of a module, each with the names defined in its body (a class's members)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    out: Dict[str, Set[str]] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[node.name] = {getattr(n, "name", "") for n in node.body} | {
                t.id for n in node.body if isinstance(n, (ast.Assign, ast.AnnAssign))
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            out.update({t.id: set() for t in targets if isinstance(t, ast.Name)})
    return out


def unresolved(page: Path, text: str = "") -> List[str]:
    """`page:line: reference (why)` for each reference in the page (or in `text`, read as the page)
    that does not resolve."""
    bad = []
    for no, rel, name in references(text or page.read_text()):
        path = ROOT / rel
        where = f"{page.relative_to(ROOT)}:{no}: `{rel}{':' + name if name else ''}`"
        if not path.is_file():
            bad.append(f"{where} (no such file)")
            continue
        if not name:
            continue
        top, _, member = name.partition(".")
        names = _names(path)
        if top not in names or (member and member not in names[top]):
            bad.append(f"{where} (no `{name}` in {rel})")
    return bad


def test_the_pattern_reads_paths_and_names():
    text = "see `cluster/stages.py:train_stage` and `core/identity.py`, not `stages.py`\n`a/b.py:C.m`"
    assert references(text) == [(1, "cluster/stages.py", "train_stage"), (1, "core/identity.py", ""),
                                (2, "a/b.py", "C.m")]


def test_a_renamed_function_is_reported_with_its_page_and_line():
    page = ROOT / "docs" / "layout.md"
    text = "1\n`cluster/stages.py:no_such_stage` and `cluster/nowhere.py`, `cluster/stages.py:train_stage`\n"
    assert unresolved(page, text) == [
        "docs/layout.md:2: `cluster/stages.py:no_such_stage` (no `no_such_stage` in cluster/stages.py)",
        "docs/layout.md:2: `cluster/nowhere.py` (no such file)"]


def test_every_code_reference_in_the_docs_resolves():
    assert len(PAGES) > 5
    found = sum(len(references(p.read_text())) for p in PAGES)
    assert found > 20  # the walk in docs/layout.md alone names more
    bad = [b for p in PAGES for b in unresolved(p)]
    assert not bad, "docs name code that does not exist:\n" + "\n".join(bad)
