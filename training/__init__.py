"""Training the models that claims/ scores and matches with: the check-worthiness models (the
fine-tuned encoder and the TF-IDF model), the matcher and the NLI cross-encoder.

Nothing here runs at ingest or match time. The package reads labelled files (the benchmarks
beside the project, TSVs exported from the warehouse), imports claims/ for the features and the
scoring code the models are shipped with, and writes model folders. It never imports flows/:
the ``claimflow train``, ``evaluate`` and ``train-matcher`` commands call it, and so does the
declared workflow, ``training/project.yml`` (``python -m spacy project run WORKFLOW training/``),
through ``python -m training``.

- :mod:`training.data`: reading and writing labelled check-worthiness TSVs, the benchmark folders;
- :mod:`training.config`: the hyperparameters, read from ``training/configs/*.toml``;
- :mod:`training.metrics`: the figures every model is reported with, calibration, threshold choice;
- :mod:`training.checkworthy`: training and evaluating the check-worthiness models;
- :mod:`training.finetune`: the fine-tuning job, run by the training venv's python (torch);
- :mod:`training.matcher`: training and evaluating the matcher;
- :mod:`training.nli`: the NLI cross-encoder's fine-tuning job, run by the training venv's python.
"""
