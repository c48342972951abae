"""The use cases between the CLI and the library (DESIGN.md section 2).

- :mod:`~labelaudit.pipeline.audit`: find-issues and score, and the steps they share;
- :mod:`~labelaudit.pipeline.health`: health (the label health, its gates and document);
- :mod:`~labelaudit.pipeline.clean`: clean (remove or relabel the issues in a copy of DATA);
- :mod:`~labelaudit.pipeline.predict`: out-of-fold probabilities;
- :mod:`~labelaudit.pipeline.checks`: the gates (``--fail-above``, ``--max-noise-rate`` ...).
- :mod:`~labelaudit.pipeline.options`: the options objects the use cases share (both engines);
- :mod:`~labelaudit.pipeline.engines`: the local and the Dask engine's use cases, as objects.

Each takes paths and options, reads through :mod:`labelaudit.io`, computes with
:mod:`labelaudit.core`, writes its outputs and returns JSON-ready documents
(:mod:`labelaudit.report.documents`). Nothing here prints.
"""
