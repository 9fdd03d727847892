"""Building a held-out multiple-choice test set from a user's corpus (`augft questions`).

Model-free parts live here (candidate facts, cloze over an entity or noun phrase, same-type
distractors from other documents, the prompt template for model-written questions and the
rule that accepts what a model wrote, the keep/drop rule); the command that adds generation
and scoring is `augft.cluster.questions_command`.
"""
