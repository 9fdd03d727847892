"""Ingest section (`augft ingest`) and test-set building (`augft questions`) from user documents."""
from dataclasses import dataclass, field
from typing import List

from augft.core.config.checks import Choice, require


class KeepRule(Choice):
    fair = "fair"
    icl_checked = "icl_checked"


@dataclass
class IngestConfig:
    max_tokens: int = 128
    """Largest document written to corpus.jsonl, in tokens (words and punctuation marks, counted
    without a model); text is split at paragraph, then sentence boundaries to stay under it
    (a single longer sentence is split between words)."""
    min_chars: int = 1
    """Extracted text shorter than this (after cleaning) counts as empty and is reported as skipped."""
    workers: int = 0
    """Processes that extract files in parallel (0: one per CPU core)."""
    extensions: List[str] = field(default_factory=lambda: [".md", ".txt", ".html", ".htm", ".pdf",
                                                      ".jsonl", ".parquet"])
    """File types read from folders; any other file met is listed in ingest.json as unsupported."""

    def __post_init__(self):
        require(self.max_tokens >= 8, "ingest.max_tokens", f"must be at least 8, got {self.max_tokens}")
        require(self.min_chars >= 1, "ingest.min_chars", f"must be at least 1, got {self.min_chars}")
        # a suffix is compared with its dot, lower case: 'md' or '.MD' would match no file
        bad = [e for e in self.extensions if not e.startswith(".") or e != e.lower()]
        require(not bad, "ingest.extensions", f"{bad} would match no file: write each with its dot, lower case "
                f"(e.g. {['.' + e.lstrip('.').lower() for e in bad]})")
        require(self.workers >= 0, "ingest.workers", f"must be 0 (auto) or more, got {self.workers}")


@dataclass
class QuestionsConfig:
    per_split: int = 60
    """Most questions kept per split (forward, reversal, inference), a seeded subsample."""
    n_choices: int = 4
    """Choices per question: the answer plus same-type distractors from other documents."""
    generate: bool = True
    """Let a model (augment.engine: the embedded one by default) write rephrased, reversed and
    inference questions; off: only the mechanical (template) questions are built."""
    filter: bool = True
    """Apply the keep rule (questions.keep_rule) to every candidate; off: every candidate is
    kept (no validity or prior-knowledge check)."""
    keep_rule: KeepRule = KeepRule.fair
    """Which rule keeps a question (questions.filter). `fair`: the question is valid by its text
    alone (its answer and subject are stated in its source documents, no distractor is, the
    choices are distinct, the prompt does not contain the answer) and the base model without
    context gives the answer less than questions.prior_confidence of its probability over the
    choices; no condition that reads the documents is consulted, so none is favoured.
    `icl_checked` (the rule before): kept when ICL with the source documents picks the answer and
    the base model without context does not; it selects the questions `icl` and `rag` (perfect
    retrieval) answer, so it favours them; kept for comparison (benchmarks/questions_rules.py)."""
    prior_confidence: float = 0.8
    """questions.keep_rule=fair: a question whose answer the base model (no context) gives at
    least this probability (softmax of its choice scores: summed log-likelihoods, or per-token
means under eval.scoring=mean) is prior knowledge and
    dropped; below it, right or wrong, it is kept (the report gives base accuracy on the kept).
    Above 1/questions.n_choices (chance) and at most 1."""
    max_new_tokens: int = 48
    """Generation budget for one model-written question."""
    temperature: float = 0.0
    """Sampling temperature for model-written questions (0: greedy)."""
    judge_gpus: float = 0.0
    """GPUs for the keep/drop judge (questions.filter): above 0 the judge runs as one Ray task
    holding them (local Ray unless cluster.address) and model.device=auto loads on the GPU Ray
    assigned; 0 judges in this process."""
    judge_cpus: float = 1.0
    """CPUs the judge's Ray task reserves (questions.judge_gpus above 0)."""

    def __post_init__(self):
        require(self.per_split >= 1, "questions.per_split", f"must be at least 1, got {self.per_split}")
        require(self.n_choices >= 2, "questions.n_choices", f"must be at least 2, got {self.n_choices}")
        require(1.0 / self.n_choices < self.prior_confidence <= 1.0, "questions.prior_confidence",
                f"must be above chance (1/questions.n_choices = {1.0 / self.n_choices:.3f}) and at most 1, "
                f"got {self.prior_confidence}")
        require(self.judge_gpus >= 0, "questions.judge_gpus", f"must be >= 0, got {self.judge_gpus}")
        require(self.judge_cpus > 0, "questions.judge_cpus", f"must be > 0, got {self.judge_cpus}")
        require(self.max_new_tokens >= 8, "questions.max_new_tokens",
                f"must be at least 8, got {self.max_new_tokens}")
        require(self.temperature >= 0, "questions.temperature", f"must be >= 0 (0: greedy), got {self.temperature}")
