"""Token counting that travels: a small picklable spec that loads its tokenizer once per process."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

_LOADED: Dict[Tuple, object] = {}


@dataclass(frozen=True)
class TokenCounter:
    """Counts tokens with the model's tokenizer, or estimates 4 characters per token when
    `estimate` is set (a remote openai model without a local tokenizer)."""
    model: str
    cache_dir: str = ""
    trust_remote_code: bool = False
    estimate: bool = False

    def _tok(self):
        key = (self.model, self.cache_dir, self.trust_remote_code)
        if key not in _LOADED:
            from augft.core.models import load_tokenizer

            _LOADED[key] = load_tokenizer(self.model, self.cache_dir, self.trust_remote_code)
        return _LOADED[key]

    def many(self, texts: Sequence[str]) -> List[int]:
        if self.estimate:
            return [len(t) // 4 + 1 for t in texts]
        if not texts:
            return []
        return [len(ids) for ids in self._tok()(list(texts), add_special_tokens=False)["input_ids"]]

    def __call__(self, text: str) -> int:
        return self.many([text])[0]
