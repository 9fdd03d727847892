"""Rebuild corpus.jsonl from the installed packages' METADATA (the versions README.md names).

Every document is text copied from a package's description as it ships in its `METADATA`: a
changelog entry (one version's items, or one item) or a sentence of the description. What this
script changes: wrapped lines joined and whitespace collapsed, inline markup reduced to its text
(as `augft ingest` does for Markdown), and, for a changelog entry, a first line naming the package
and the version heading (`pytest-timeout 2.4.0:`), since the entry itself does not name the
package; a summary document is the package's name, a colon and its `Summary` field. It stops when a version heading or a sentence is not where the source should have it.

    python benchmarks/data/realdocs/build_corpus.py SITE_PACKAGES
"""
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
# package name, dist-info folder, licence (its License / License-Expression field)
PACKAGES = {
    "pytest-timeout": ("pytest_timeout-2.4.0", "MIT"),
    "xxhash": ("xxhash-4.1.0", "BSD-2-Clause"),
    "pybase64": ("pybase64-1.5.1", "BSD-2-Clause"),
    "python-dotenv": ("python_dotenv-1.2.4", "BSD-3-Clause"),
    "tensorboardX": ("tensorboardx-2.6.5", "MIT"),
    "supervisor": ("supervisor-4.3.0", "BSD-derived (repoze.org licence)"),
}
# (id, package, version heading as the source writes it, items to keep: None = all, else indices)
ENTRIES = [
    ("pt-2.4.0", "pytest-timeout", "2.4.0", None),
    ("pt-2.3.1", "pytest-timeout", "2.3.1", None),
    ("pt-2.3.0", "pytest-timeout", "2.3.0", None),
    ("pt-2.2.0", "pytest-timeout", "2.2.0", None),
    ("pt-2.1.0", "pytest-timeout", "2.1.0", None),
    ("pt-2.0.2", "pytest-timeout", "2.0.2", None),
    ("pt-1.3.4", "pytest-timeout", "1.3.4", [0]),
    ("xx-4.1.0", "xxhash", "v4.1.0 2026-11-09", None),
    ("xx-4.0.2", "xxhash", "v4.0.2 2026-10-19", None),
    ("xx-4.0.1", "xxhash", "v4.0.1 2026-08-17", None),
    ("xx-4.0.0", "xxhash", "v4.0.0 2026-08-12", [0, 1, 3]),
    ("xx-3.8.2", "xxhash", "v3.8.2 2026-10-18", None),
    ("xx-3.8.1", "xxhash", "v3.8.1 2026-07-06", None),
    ("pb-1.5.1", "pybase64", "1.5.1", None),
    ("pb-1.5.0", "pybase64", "1.5.0", [0, 3, 13, 14, 15]),
    ("pb-1.4.3", "pybase64", "1.4.3", None),
    ("pb-1.4.2", "pybase64", "1.4.2", None),
    ("pb-1.4.1", "pybase64", "1.4.1", None),
    ("pb-1.4.0", "pybase64", "1.4.0", None),
    ("pb-1.3.0", "pybase64", "1.3.0", None),
    ("de-1.2.4a", "python-dotenv", "## [1.2.4] - 2026-10-01", [0]),
    ("de-1.2.4b", "python-dotenv", "## [1.2.4] - 2026-10-01", [1]),
    ("de-1.2.3a", "python-dotenv", "## [1.2.3] - 2026-08-16", [0]),
    ("de-1.2.3b", "python-dotenv", "## [1.2.3] - 2026-08-16", [2]),
    ("de-1.2.2", "python-dotenv", "## [1.2.2] - 2026-03-01", [0, 1, 3, 4]),
    ("tb-2.6.5", "tensorboardX", "2.6.5 (2026-04-03)", [0, 1, 2]),
    ("tb-2.6.3", "tensorboardX", "2.6.3 (2025-04-24)", None),
    ("tb-2.6.2.2", "tensorboardX", "2.6.2.2 (2023-08-20)", None),
    ("tb-2.6.1", "tensorboardX", "2.6.1 (2023-06-18)", None),
    ("tb-2.5", "tensorboardX", "2.5 (2022-02-22)", None),
    ("tb-2.4.1", "tensorboardX", "2.4.1 (2021-11-20)", None),
    ("sv-4.3.0a", "supervisor", "4.3.0 (2025-08-23)", [0]),
    ("sv-4.3.0b", "supervisor", "4.3.0 (2025-08-23)", [2]),
    ("sv-4.3.0c", "supervisor", "4.3.0 (2025-08-23)", [3]),
    ("sv-4.2.5a", "supervisor", "4.2.5 (2022-12-23)", [0]),
    ("sv-4.2.5b", "supervisor", "4.2.5 (2022-12-23)", [4]),
    ("sv-4.2.5c", "supervisor", "4.2.5 (2022-12-23)", [5]),
    ("sv-4.2.5d", "supervisor", "4.2.5 (2022-12-23)", [7]),
    ("sv-4.2.4", "supervisor", "4.2.4 (2021-12-30)", None),
    ("sv-4.2.3", "supervisor", "4.2.3 (2021-12-27)", [2]),
]
# (id, package, a passage of the description, verbatim after markup reduction); every package also
# gets a document `<package>: <its Summary field>` (id `<prefix>-sum`)
DESCRIPTIONS = [
    ("xx-about", "xxhash", "xxhash is a Python binding for the xxHash library by Yann Collet."),
    ("pb-about", "pybase64", 'pybase64 uses the same API as Python base64 "modern interface" (introduced in '
                             "Python 2.4) for an easy integration."),
    ("de-about", "python-dotenv", "python-dotenv reads key-value pairs from a .env file and can set them as "
                                  "environment variables."),
    ("sv-about", "supervisor", "Supervisor is a client/server system that allows its users to control a "
                               "number of processes on UNIX-like operating systems."),
]


def plain(text: str) -> str:
    """Inline markup reduced to its text, whitespace collapsed."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](url)
    text = re.sub(r"\[([@#][^\]]*)\]", r"\1", text)  # [@user], [#700]
    text = re.sub(r"`([^`<]+?)\s*<[^>]*>`_+", r"\1", text)  # `text <url>`_
    text = re.sub(r"`([^`]+)`_+", r"\1", text)  # `Name`__
    text = re.sub(r"\b(\w+)_\b(?!\w)", r"\1", text)  # Name_
    text = text.replace("``", "").replace("`", "").replace("**", "")
    return " ".join(text.split())


def section(lines: list, heading: str) -> list:
    """The lines under `heading` up to the next version heading."""
    start = next((i for i, ln in enumerate(lines) if ln.strip() == heading), None)
    if start is None:
        raise SystemExit(f"heading {heading!r} not found")
    body = []
    for i in range(start + 1, len(lines)):
        ln, nxt = lines[i], lines[i + 1] if i + 1 < len(lines) else ""
        is_heading = ln.startswith("## ") or (ln.strip() and re.fullmatch(r"[-~=]{3,}", nxt.strip() or "x"))
        if is_heading and body:
            break
        body.append(ln)
    return body


def items(body: list) -> list:
    """The section's items (`- ` or `* ` bullets, continuation lines joined)."""
    out = []
    for ln in body:
        s = ln.strip()
        if s[:2] in ("- ", "* "):
            out.append(s)
        elif s and out and ln[:1] == " ":
            out[-1] += " " + s
    return [plain(x) for x in out]


def summary(lines: list) -> str:
    """The METADATA's `Summary:` field."""
    return next(ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("Summary:"))


def build(site: Path) -> list:
    docs = []
    meta_lines = {p: (site / f"{d}.dist-info" / "METADATA").read_text().splitlines()
                  for p, (d, _) in PACKAGES.items()}
    for did, pkg, heading, keep in ENTRIES:
        its = items(section(meta_lines[pkg], heading))
        chosen = its if keep is None else [its[k] for k in keep]
        title = heading.replace("## ", "").replace("[", "").replace("]", "").lstrip("v")
        docs.append(_doc(did, pkg, f"{pkg} {title}:\n" + "\n".join(chosen), "changelog"))
    for did, pkg, passage in DESCRIPTIONS:
        if passage not in plain("\n".join(meta_lines[pkg])):
            raise SystemExit(f"{did}: passage not in {pkg}'s METADATA")
        docs.append(_doc(did, pkg, passage, "description"))
    for pkg, lines in meta_lines.items():
        sid = next(d for d, p, _ in DESCRIPTIONS + [(e[0], e[1], "") for e in ENTRIES] if p == pkg)[:2] + "-sum"
        docs.append(_doc(sid, pkg, f"{pkg}: {summary(lines)}", "summary"))
    return docs


_FIELD = {"changelog": "changelog in the long description", "description": "long description",
          "summary": "Summary field"}


def _doc(did: str, pkg: str, text: str, part: str) -> dict:
    dist, licence = PACKAGES[pkg]
    name, version = dist.rsplit("-", 1)
    return {"id": did, "text": text, "meta": {"package": pkg, "package_version": version, "part": part,
                                              "source": f"{pkg} {version}, METADATA ({_FIELD[part]})",
                                              "licence": licence}}


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        raise SystemExit(0 if len(sys.argv) == 2 else 2)
    rows = build(Path(sys.argv[1]))
    (HERE / "corpus.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"{len(rows)} documents")
