"""Research jobs: fine-tune a registered model on a dataset version (LoRA, merged into a new
model) and evaluate models and weight sets on a version's test split. Built on the model
registry and guessers (``worker.prefill``) and the weights (``worker.weights``)."""
