"""Pre-fill: the model registry (models, a project's active model, the remote-code permission),
the guessers that turn a model's logits into P(yes) per question (``guessers/``), and the
pre-fill job that records them as predictions."""
