"""``labelaudit score``: the quality of every label, from 1 (surely right) to 0 (surely wrong)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import multilabel
from labelaudit.cli.app import app
from labelaudit.cli.groups import (
    AuditInputs,
    Display,
    EngineChoice,
    MultiLabelScoring,
    expand_groups,
)
from labelaudit.cli.options import (
    CsvSafeOption,
    MethodOption,
    ScoreMethod,
    TopOption,
    output_option,
)
from labelaudit.cli.output import Outcome, perform

AdjustPredProbsOption = Annotated[
    bool,
    typer.Option(
        "--adjust-pred-probs",
        help="Score probabilities adjusted by the per-class thresholds (not for "
        "confidence_weighted_entropy).",
    ),
]
ScoresOutputOption = Annotated[
    Path | None,
    output_option(
        "Write every row's label quality, in input order (.parquet or .csv; '-': CSV to "
        "standard output)."
    ),
]


@app.command("score")
@expand_groups
def score(
    *,
    inputs: AuditInputs,
    method: MethodOption = ScoreMethod.self_confidence,
    adjust_pred_probs: AdjustPredProbsOption = False,
    output: ScoresOutputOption = None,
    top: TopOption = 10,
    scoring: MultiLabelScoring,
    csv_safe: CsvSafeOption = False,
    engine: EngineChoice,
    display: Display,
) -> None:
    """Score the quality of every label (1 = surely right, 0 = surely wrong).

    Example: labelaudit score --labels y.parquet --probs p.npy -o scores.parquet
    """
    display = display.for_output(output, "the scores")
    pipeline, sources = engine.pipeline(inputs.sources(), multi_label=scoring.multi_label)
    if multilabel.run("score", locals()):
        return
    from labelaudit.pipeline.options import ResultOptions, ScoreOptions
    from labelaudit.report import terminal

    def work() -> Outcome:
        document = pipeline.score_labels(
            sources,
            ScoreOptions(method.value, adjust_pred_probs),
            ResultOptions(output, top, csv_safe=csv_safe),
        )
        return Outcome(
            document, lambda console: terminal.render_score(console, document, document["lowest"])
        )

    perform("Scoring labels…", work, display)
