"""Counting while units finish: the progress bar and each strategy's summed unit stats.

The driver keeps only these counts (never records); the manifest is built from them.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from augft.core.artifacts import PhaseCounts, StrategyEntry


class Progress:
    def __init__(self, total: Optional[int], desc: str):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=desc, unit="prompt", dynamic_ncols=True)
        self.desc = desc
        self.t0 = time.perf_counter()
        self.tokens = 0
        self.new_prompts = 0
        self.reused_units = 0
        self.reused_prompts = 0

    def __call__(self, stats: Dict) -> None:
        self.tokens += stats["completion_tokens"]
        self.new_prompts += stats["prompts"]
        self.bar.update(stats["prompts"])
        dt = max(1e-9, time.perf_counter() - self.t0)
        # rates of this run's own work: units reused from an earlier run are not counted
        self.bar.set_postfix({"prompts/s": f"{self.new_prompts / dt:.1f}",
                              "generated tokens/s": f"{self.tokens / dt:.1f}"})

    def resumed(self, stats: Dict) -> None:
        """A unit an earlier run finished (its done-marker is there): counted, not redone."""
        if not self.reused_units:
            self.bar.write(f"{self.desc}: resuming: units an earlier run finished are reused")
        self.reused_units += 1
        self.reused_prompts += stats["prompts"]
        self.bar.update(stats["prompts"])

    def close(self):
        self.bar.close()
        if self.reused_units:
            print(f"{self.desc}: resumed: {self.reused_units} unit(s) ({self.reused_prompts} prompts) "
                  "were already done by an earlier run and reused")


@dataclass
class Aggregate:
    """A strategy's unit stats summed as they arrive (the driver keeps nothing else)."""
    ok: int = 0
    failed: int = 0
    inputs: int = 0
    prompts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    gen_s: float = 0.0
    filtered: Dict[str, int] = field(default_factory=dict)
    shards: List[str] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    nodes: Dict[str, int] = field(default_factory=dict)
    failed_prompts: int = 0
    failed_shards: List[str] = field(default_factory=list)
    """Failed-prompt files, relative to the strategy's folder (`failed/part-<stem>.parquet`)."""
    failed_units: List[str] = field(default_factory=list)
    """Done-markers (stats files, relative to the output) of the units with failed prompts."""
    plan: Dict[str, int] = field(default_factory=dict)
    """Planning counts summed over the shards: documents, long documents split or skipped."""

    def add(self, s: Dict) -> None:
        for k in ("ok", "failed", "inputs", "prompts", "prompt_tokens", "completion_tokens", "gen_s"):
            setattr(self, k, getattr(self, k) + s[k])
        for k, v in s["filtered"].items():
            self.filtered[k] = self.filtered.get(k, 0) + v
        if "shard" in s:
            self.shards.append(s["shard"])
        self.errors.extend(s["errors"][: max(0, 5 - len(self.errors))])
        self.nodes[s.get("node", "local")] = self.nodes.get(s.get("node", "local"), 0) + 1
        for k, v in (s.get("plan") or {}).items():
            self.plan[k] = self.plan.get(k, 0) + int(v)
        if s.get("failed_prompts"):
            self.failed_prompts += int(s["failed_prompts"])
            self.failed_shards.append(s["failed_shard"])
            self.failed_units.append(s["done_marker"])

    def manifest_entry(self) -> StrategyEntry:
        return StrategyEntry(ok=self.ok, filtered=dict(self.filtered), failed=self.failed, inputs=self.inputs,
                             prompts=self.prompts, prompt_tokens=self.prompt_tokens,
                             completion_tokens=self.completion_tokens, errors=list(self.errors),
                             gen_s=round(self.gen_s, 3), shards=sorted(self.shards), units=sum(self.nodes.values()),
                             failed_prompts=self.failed_prompts, failed_shards=sorted(self.failed_shards))

    def phase_counts(self) -> PhaseCounts:
        """As a phase that writes no records (entity extraction)."""
        return PhaseCounts(self.prompts, self.failed, self.prompt_tokens, self.completion_tokens,
                           round(self.gen_s, 3))
