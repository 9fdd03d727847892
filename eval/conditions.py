"""Which model each evaluated condition loads (the labels are parsed by core.conditions).

`base` and `icl` use model.name; any trained label (ft, aug_ft, aug_ft[local], a custom name)
uses its entry in eval.models; `<trained>+icl` uses the trained label's entry.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

from augft.core.conditions import Condition, parse_all
from augft.core.errors import AugftError


@dataclass(frozen=True)
class Evaluated:
    condition: Condition
    model: str
    """Model name or path to load."""

    @property
    def label(self) -> str:
        return self.condition.label


def resolve(labels: List[str], models: Dict[str, str], base_model: str) -> List[Evaluated]:
    """Parse eval.conditions and find each condition's model; errors name the missing key."""
    out = []
    for cond in parse_all(labels, key="eval.conditions"):
        name = cond.model_label
        if cond.trained is None:
            model = base_model
        elif name in models:
            model = models[name]
        else:
            raise AugftError(
                f"eval.conditions has '{cond.label}' but eval.models has no '{name}' entry; give the "
                f"fine-tuned model's folder, e.g. eval.models={{{name}: <train out>/model}}")
        if not model:
            raise AugftError(f"eval.models.{name} is empty")
        out.append(Evaluated(cond, model))
    return out
