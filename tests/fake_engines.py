"""Engines for tests that measure what happens around the model, not the model (importable as
`fake_engines`; Ray workers get them by value: `cloudpickle.register_pickle_by_value`)."""


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
