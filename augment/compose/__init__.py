"""The `compose` strategy: one-step inferences from pairs of sentences that share an entity,
fed back for `augment.compose.rounds` rounds (docs/augment.md, "Composition").

- keys.py: a sentence's entity keys and terms, the sentences pairs are made of, and the check
  that a statement joins its pair;
- pairs.py: which pairs one entity gets (bounded, spread, deterministic);
- individuals.py: with focus=individuals, which keys are named individuals, what a pair says
  about one, and the budget per individual and round;
- plan.py: the round's pairs as work units, grouped by entity on the Ray workers or here;
- claims.py and settle.py: after each round, statements that contradict the corpus or an
  earlier kept statement (or repeat one) are dropped, and the round's shards are written;
- rounds.py: the rounds, their counts and the strategy's manifest entry.
"""
