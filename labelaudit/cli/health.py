"""``labelaudit health``: the dataset's label health, with gates for CI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import multilabel
from labelaudit.cli.app import app
from labelaudit.cli.groups import (
    AuditInputs,
    CiFiles,
    Display,
    EngineChoice,
    MultiLabel,
    expand_groups,
)
from labelaudit.cli.options import gate_option, output_option
from labelaudit.cli.output import Outcome, perform

MaxNoiseRateOption = Annotated[
    float | None,
    gate_option(
        "--max-noise-rate",
        "Exit 1 when the estimated fraction of wrong labels is above this, in [0, 1].",
    ),
]
MaxClassNoiseRateOption = Annotated[
    float | None,
    gate_option(
        "--max-class-noise-rate",
        "Exit 1 when the estimated fraction of wrong labels in any class is above this, in [0, 1].",
    ),
]
HealthOutputOption = Annotated[
    Path | None, output_option("Also write the JSON report to this .json file.")
]
PairsTopOption = Annotated[
    int,
    typer.Option(
        "--top",
        metavar="N",
        min=0,
        help="Overlapping class pairs and confusions listed (JSON too).",
    ),
]
AllPairsOption = Annotated[
    bool,
    typer.Option(
        "--all-pairs",
        help="List every class pair in the JSON and include the noise matrix (both grow as "
        "K^2; by default pairs are the --top ones and the matrix is included up to 100 "
        "classes; above 1,000 classes only overlapping pairs are listed, without the matrix).",
    ),
]
ClassOrderOption = Annotated[
    str | None,
    typer.Option(
        "--class-order",
        metavar="NAMES",
        help="Comma-separated class names, each once: the order of the noise matrix and "
        "the per-class table (e.g. for ordinal classes).",
        show_default=False,
    ),
]
FlaggedCountOption = Annotated[
    bool | None,
    typer.Option(
        "--flagged-count/--no-flagged-count",
        help="Also count the rows find-issues would flag (a second, full pass over the "
        "probabilities). Default: only for inputs of at most 20,000,000 probabilities.",
        show_default=False,
    ),
]


@app.command("health")
@expand_groups
def health(
    *,
    inputs: AuditInputs,
    max_noise_rate: MaxNoiseRateOption = None,
    max_class_noise_rate: MaxClassNoiseRateOption = None,
    output: HealthOutputOption = None,
    top: PairsTopOption = 10,
    all_pairs: AllPairsOption = False,
    class_order: ClassOrderOption = None,
    flagged_count: FlaggedCountOption = None,
    ci: CiFiles,
    multi: MultiLabel,
    engine: EngineChoice,
    display: Display,
) -> None:
    """Report the dataset's label health: noise rate, per class, overlapping classes.

    Example: labelaudit health --labels y.parquet --probs p.npy --max-noise-rate 0.05
    """
    pipeline, sources = engine.pipeline(inputs.sources(), multi_label=multi.multi_label)
    if multilabel.run("health", locals()):
        return
    from labelaudit.pipeline.options import HealthOptions
    from labelaudit.report import terminal

    ci_outputs = ci.checked(sources.paths(), output)

    def work() -> Outcome:
        result = pipeline.health(
            sources,
            HealthOptions(
                output=output,
                max_noise_rate=max_noise_rate,
                max_class_noise_rate=max_class_noise_rate,
                top=top,
                all_pairs=all_pairs,
                class_order=None if class_order is None else class_order.split(","),
                flagged_count=flagged_count,
            ),
        )
        return Outcome(
            result.document,
            lambda console: terminal.render_health(
                console,
                result.report,
                result.classes,
                top=top,
                counts=result.document["counts"],
                order=result.order,
                all_pairs=all_pairs,
            ),
            result.checks,
        )

    perform("Estimating label health…", work, display, ci=("health", ci_outputs))
