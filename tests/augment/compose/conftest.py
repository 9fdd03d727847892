"""A model-free engine that composes like a careful model, and a small hierarchy corpus."""
import json
import re
from pathlib import Path

import pytest

from augft.augment.engines.base import GenResult

ISA = re.compile(r"^(?:the |a )?(\w+?)s? is a kind of (\w+?)s?\.$")
CAN = re.compile(r"^(\w+?)s can (\w+)\.$")
HIERARCHY = ["The zeb is a kind of vorp.", "The vorp is a kind of quorzel.", "The quorzel is a kind of trelk.",
             "Trelks can blorp.", "The vosk is a kind of trelk."]


class ComposingEngine:
    """Writes the one-step inference of "A is a kind of B" with "B is a kind of C" or "Bs can C";
    "Nothing new." otherwise. With `cycle`, a pair starting at the zeb gets the inverted (false)
    kind, which the contradiction filter must drop."""
    name = "composing"

    def __init__(self, cycle: bool = False):
        self.cycle = cycle
        self.prompts = []

    def _answer(self, prompt: str) -> str:
        first, second = (t.lower() for t in re.findall(r"Fact \d: (.*)", prompt)[-2:])
        a, b = ISA.match(first).groups() if ISA.match(first) else (None, None)
        if a is None:
            return " Nothing new."
        isa, can = ISA.match(second), CAN.match(second)
        if isa and isa.group(1) == b:
            if self.cycle and a == "zeb":
                return f" The {isa.group(2)} is a kind of {a}."
            return f" The {a} is a kind of {isa.group(2)}."
        if can and can.group(1) == b:
            return f" The {a} can {can.group(2)}."
        return " Nothing new."

    def generate(self, requests, sampling):
        self.prompts += [r.prompt for r in requests]
        return [GenResult(id=r.id, texts=[self._answer(r.prompt)] * max(1, sampling.n),
                          prompt_tokens=len((r.prefix + r.prompt).split()), completion_tokens=8) for r in requests]

    def close(self):
        pass


@pytest.fixture
def hierarchy(tmp_path) -> Path:
    """One sentence a document: a chain zeb < vorp < quorzel < trelk, trelks blorp, vosk < trelk."""
    d = tmp_path / "data"
    d.mkdir()
    with open(d / "corpus.jsonl", "w") as f:
        for i, t in enumerate(HIERARCHY):
            f.write(json.dumps({"id": f"d{i}", "text": t}) + "\n")
    (d / "questions.jsonl").write_text(json.dumps({"id": "q0", "split": "s", "kind": "k", "prompt": "The zeb",
                                                   "choices": [" can blorp", " can fly"], "answer": 0}) + "\n")
    return d


@pytest.fixture
def composing():
    """The ComposingEngine class (tests build one per run)."""
    return ComposingEngine
