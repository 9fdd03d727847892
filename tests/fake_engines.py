"""Engines for tests that measure what happens around the model, not the model (importable as
`fake_engines`; Ray workers get them by value: `cloudpickle.register_pickle_by_value`)."""
import re


class SomePromptsFail:
    """A fixed-statement engine that cannot answer the prompts about document d1 (as a server
    that refuses a request does) until `heal` is set."""
    name, model_name = "fixed", "fixed"
    heal = False

    def generate(self, requests, sampling):
        from augft.augment.engines.base import GenResult

        return [GenResult(id=r.id, texts=[], error="HTTP 400: refused")
                if r.id.startswith("d1:") and not SomePromptsFail.heal else
                GenResult(id=r.id, texts=[f"Statement {r.id} holds true."] * sampling.n, completion_tokens=6)
                for r in requests]

    def close(self):
        pass


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
        from augft.augment.engines.base import GenResult

        self.prompts += [r.prompt for r in requests]
        return [GenResult(id=r.id, texts=[self._answer(r.prompt)] * max(1, sampling.n),
                          prompt_tokens=len((r.prefix + r.prompt).split()), completion_tokens=8) for r in requests]

    def close(self):
        pass


class Restating:
    """A local-augmentation engine that states each "the A is a kind of B" of its prompt the other
    way round ("One kind of B is the A."), the direction a question asks it; with `fail_after`,
    it becomes unreachable after that many calls (a crash in the middle of a run)."""
    name = "restating"

    def __init__(self, fail_after: int = -1):
        self.fail_after, self.calls, self.prompts = fail_after, 0, []

    def generate(self, requests, sampling):
        from augft.augment.engines.base import EngineUnavailable, GenResult

        if self.calls == self.fail_after:
            raise EngineUnavailable("the engine went away")
        self.calls += 1
        self.prompts += [r.prompt for r in requests]
        out = []
        for r in requests:
            found = re.findall(r"[Tt]he (\w+) is a kind of (\w+)\.", r.prompt)
            a, b = found[-1] if found else ("zeb", "zeb")
            out.append(GenResult(id=r.id, texts=[f" One kind of {b} is the {a}."] * max(1, sampling.n),
                                 prompt_tokens=8, completion_tokens=8))
        return out

    def close(self):
        pass


class Deducing:
    """A rule engine: "N is a K." with "Every K is a W." gives "N is a W.", with "Every K can V."
    gives "N can V."; anything else "Nothing new."."""

    def __init__(self):
        self.prompts = []

    def _answer(self, prompt: str) -> str:
        first, second = re.findall(r"Fact \d: (.*)", prompt)[-2:]
        m, g = re.match(r"^([A-Z]\w+) is an? (\w+)\.$", first), re.match(r"^Every (\w+) (is an?|can) (\w+)\.$", second)
        if not m or not g or g.group(1) != m.group(2):
            return " Nothing new."
        return f" {m.group(1)} {g.group(2)} {g.group(3)}."

    def generate(self, requests, sampling):
        from augft.augment.engines.base import GenResult

        self.prompts += [r.prompt for r in requests]
        return [GenResult(id=r.id, texts=[self._answer(r.prompt)], prompt_tokens=8, completion_tokens=4)
                for r in requests]

    def close(self):
        pass
