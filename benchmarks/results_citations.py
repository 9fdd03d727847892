"""The citation checker for README and docs: a measured number in prose carries a comment naming
the results file and the path of its value (`1.005x <!-- r:train_throughput.json:cpu_ratio_vs_hf_same_blocks -->`),
and `check_doc` fails when the printed number differs from the file at the rounding shown, or when a
line naming a results file prints a decimal, ratio or percent that cites nothing.
benchmarks/write_results.py re-exports it; tests/docs/test_results.py runs it on every doc.
"""
from __future__ import annotations

import re
from typing import Any, List, Mapping, Tuple

# A generated block, `<!-- results:SPEC -->` ... `<!-- /results -->` (checked by regenerating it).
BLOCK = re.compile(r"(<!-- results:([\w.:\-\[\]]+) -->\n)(.*?)(<!-- /results -->)", re.S)


def lookup(data: Any, path: str) -> Any:
    """The value at a dotted path; a key may itself hold dots or spaces (tried longest first)."""
    if not path:
        return data
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        key, rest = ".".join(parts[:i]), ".".join(parts[i:])
        if isinstance(data, Mapping) and key in data:
            return lookup(data[key], rest)
        if isinstance(data, list) and key.isdigit() and int(key) < len(data):
            return lookup(data[int(key)], rest)
    raise KeyError(path)


# PATH a dotted path into benchmarks/results/FILE.json, optionally scaled (`*100` for a percent,
# `/60` for minutes from seconds). The number printed just before the comment must equal the value
# at the rounding shown (3 decimals printed: within 0.0005).
CITE = re.compile(r"<!-- r:([\w.\-]+?)(?:\.json)?:([^>]*?)(?:\s*([*/])\s*(\d+(?:\.\d+)?))? -->")
NUMBER = re.compile(r"(?<![\w.\-])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[+-]?\d+)?")
RESULTS_FILE = re.compile(r"benchmarks/results/[\w.\-]+\.json")


def _tolerance(printed: str) -> float:
    mantissa, _, exp = printed.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10 ** -decimals * (10 ** int(exp) if exp else 1)


def prose(text: str) -> str:
    """The text with generated blocks blanked (those are checked by regenerating them)."""
    for m in reversed(list(BLOCK.finditer(text))):
        text = text[:m.start(3)] + re.sub(r"[^\n]", " ", m.group(3)) + text[m.end(3):]
    return text


def _masked(text: str) -> str:
    """The text with its citations blanked (their paths hold digits that are not claims)."""
    return CITE.sub(lambda m: " " * len(m.group(0)), text)


def cited_numbers(text: str, files: Mapping[str, Any]) -> Tuple[List[Tuple[int, str, Any]], List[Tuple[int, str]]]:
    """(offset, printed, value) for each citation, and (offset, why) for each that cannot be read.
    The cited number is the last one before the comment, at most a unit (`x`, `%`, ` min`) away."""
    masked, found, errors = _masked(text), [], []
    for m in CITE.finditer(text):
        nums = list(NUMBER.finditer(masked, max(0, m.start() - 40), m.start()))
        gap = masked[nums[-1].end():m.start()] if nums else ""
        if not nums or len(gap) > 16 or re.search(r"\d", gap):
            errors.append((m.start(), f"{m.group(0)} follows no number"))
            continue
        name, path, op, factor = m.group(1), m.group(2).strip(), m.group(3), m.group(4)
        try:
            value = float(lookup(files[name], path))
        except (KeyError, TypeError, ValueError):
            errors.append((m.start(), f"{m.group(0)}: no number at {path!r} in benchmarks/results/{name}.json"))
            continue
        value = value * float(factor) if op == "*" else value / float(factor) if op == "/" else value
        found.append((nums[-1].start(), nums[-1].group(0), value))
    return found, errors


def check_doc(text: str, files: Mapping[str, Any]) -> List[str]:
    """Every cited number against its file, and every decimal, ratio or percent on a line that
    names a results file cited. Returns 'line N: why' for each failure."""
    text = prose(text)
    line = lambda offset: text.count("\n", 0, offset) + 1  # noqa: E731
    found, why = cited_numbers(text, files)
    errors = [(at, w) for at, w in why]
    for at, printed, value in found:
        if abs(float(printed.replace(",", "")) - value) > _tolerance(printed) * (1 + 1e-9):
            errors.append((at, f"{printed} printed, {value:.6g} in the file it cites"))
    cited, masked, offset = {at for at, _, _ in found}, _masked(text), 0
    for raw in masked.splitlines(keepends=True):
        if RESULTS_FILE.search(raw):
            for m in NUMBER.finditer(raw):
                after = raw[m.end():m.end() + 1]
                if ("." in m.group(0) or after in ("x", "%")) and offset + m.start() not in cited:
                    errors.append((offset + m.start(), f"{m.group(0)} is on a line naming a results file but cites none"))
        offset += len(raw)
    return [f"line {line(at)}: {w}" for at, w in sorted(errors)]
