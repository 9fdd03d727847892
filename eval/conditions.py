"""Evaluation conditions: which model each label uses and whether the corpus is in context.

Labels: `base` (model.name, no context), `icl` (model.name, corpus in context), any label with an
entry in eval.models (ft, aug_ft, aug_ft[local], ...: that model, no context), and any of these
followed by `+icl` (that model with the corpus in context; `ft+icl` uses eval.models.ft).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

from augft.core.errors import AugftError


@dataclass
class Condition:
    label: str
    """The name in reports (e.g. `aug_ft[local]`, `ft+icl`)."""
    model_label: str
    """Which model: `base` or a key of eval.models."""
    model: str
    """Model name or path to load."""
    icl: bool
    """Whether the corpus is in context."""


def parse_conditions(labels: List[str], models: Dict[str, str], base_model: str) -> List[Condition]:
    if not labels:
        raise AugftError("eval.conditions is empty: name at least one of base, icl, ft, aug_ft, ft+icl")
    seen = set()
    out = []
    for label in labels:
        if label in seen:
            raise AugftError(f"eval.conditions lists '{label}' twice")
        seen.add(label)
        icl = label == "icl" or label.endswith("+icl")
        model_label = "base" if label == "icl" else (label[:-len("+icl")] if label.endswith("+icl") else label)
        if model_label in models:
            model = models[model_label]
        elif model_label == "base":
            model = base_model
        else:
            raise AugftError(
                f"eval.conditions has '{label}' but eval.models has no '{model_label}' entry; give the "
                f"fine-tuned model's folder, e.g. eval.models={{{model_label}: <train out>/model}}")
        if not model:
            raise AugftError(f"eval.models.{model_label} is empty")
        out.append(Condition(label, model_label, model, icl))
    return out
