"""Commands in the README and docs run as written in bash and in zsh: zsh treats an unquoted
`key=[a,b]` or `aug_ft[local]` as a glob and stops with "no matches found"."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHELL_BLOCKS = ("", "bash", "sh", "console")


def unquoted_brackets(text: str):
    """(line number, line) of each command line in a shell block with an unquoted `x[...]`."""
    found, lang, inside = [], "", False
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            inside, lang = not inside, line[3:].strip()
            continue
        if not inside or lang not in SHELL_BLOCKS or line.lstrip().startswith("#"):
            continue
        bare = re.sub(r"'[^']*'|\"[^\"]*\"", "", line)
        if "augft" in line or "=" in bare:
            if re.search(r"[\w.=]\[[^\]\s]*\]", bare) and "[--" not in bare:  # `[--flag]`: usage syntax
                found.append((n, line))
    return found


def test_the_rule_catches_an_unquoted_override():
    text = "```bash\naugft run pipeline.conditions=[base,icl]\naugft run 'pipeline.conditions=[base]'\n```\n"
    assert unquoted_brackets(text) == [(2, "augft run pipeline.conditions=[base,icl]")]


def test_every_command_quotes_its_brackets():
    bad = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        bad += [f"{path.relative_to(ROOT)}:{n}: {line}" for n, line in unquoted_brackets(path.read_text())]
    assert not bad, "quote these for zsh:\n" + "\n".join(bad)
