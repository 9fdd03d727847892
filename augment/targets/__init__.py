"""Teacher targets for context distillation: the model with the relevant documents in context
reads every training text, and its top-k next-token log-probabilities are kept per token."""
