"""The files stages exchange, typed: one owner for each format.

`folders` reads and writes the stage output folders; `manifest`, `train_summary`,
`eval_results` and `quality` define their JSON files as dataclasses; `codec` turns them into
JSON and back, naming the file and field of a bad value. Nothing else writes these files or
reads them by string key.
"""
from augft.core.artifacts.codec import ArtifactError, decode, encode, from_json, read_typed
from augft.core.artifacts.eval_results import (BreakEven, ConditionCost, ConditionSummary, CostTable, EvalResults,
                                               IclSample, OneOffCost, QueryCost, RagInfo, Retained, Retention,
                                               SplitStats)
from augft.core.artifacts.decision import Decision, DecisionRow, Pick, Priced
from augft.core.artifacts.folders import (MANIFEST, RESULTS, SPEND, SUMMARY, AugmentOutput, EvalOutput, TrainOutput,
                                          artifact_json, read_stage_spend, read_train_summary, write_artifact,
                                          write_stage_spend)
from augft.core.artifacts.manifest import (EngineChoice, EngineResources, Manifest, PhaseCounts, RoundEntry,
                                           SamplingParams, StrategyEntry, Timings, VerifyInfo)
from augft.core.artifacts.quality import Coverage, Ledger, Quality, RoundQuality, StepCoverage, StrategyQuality
from augft.core.artifacts.train_summary import DataStats, TrainSummary, WorkerSummary
from augft.core.artifacts.study import (AugmentationCounts, CostRow, PlanActual, Spend, StageRecord, StageSpend,
                                       StudyResults, TestSetSummary)


def artifact_schemas() -> dict:
    """The schema version of every stage artifact (part of every stage cache key)."""
    return {c.__name__: c.SCHEMA for c in (Manifest, Quality, TrainSummary, EvalResults)}
