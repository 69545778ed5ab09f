"""Dataset export jobs: write a dataset version (the format is pure, in ``datasets_app.export``)
and publish it in one step; push a ready version to the Hugging Face Hub."""
