"""Weights: the linear reward over checklist answers.

Pure (plain data in, plain data out; no Django): ``types``, ``features`` (answers to encoded
features), ``fit`` (fitting on preference pairs), ``evaluate`` (held-out accuracy) and
``scoring`` (scores and comparisons, equal to the reference scorers'), ``public`` (the released
weights). Beside them, on the database: ``answers`` (features and pair labels read from rows),
``sets`` (weight sets, promotion), ``refit`` (the refit and score jobs, the periodic refit),
``tasks`` (their declaration to the runner) and ``views`` (the API)."""
