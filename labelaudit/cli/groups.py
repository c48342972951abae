"""Parameter objects: options that travel together, declared once, given to a command as one.

A group is a frozen dataclass whose fields are option aliases from :mod:`labelaudit.cli.options`
(or other groups: AuditInputs holds TableColumns). A command parameter annotated with a group
stands for all of the group's options, at that place in ``--help``; :func:`expand_groups` spells
them out for typer and hands the command a single instance (sqlite-utils' shared option
decorators, as typed parameter objects).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable, Sequence
from dataclasses import MISSING, dataclass, fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from labelaudit.cli.options import (
    AggregatorOption,
    AlphaOption,
    ClassesOption,
    DebugOption,
    Engine,
    EngineOption,
    FilterBy,
    FilterByOption,
    FracNoiseOption,
    IdColumnOption,
    JsonOption,
    JunitXmlOption,
    LabelColumnOption,
    LabelSeparatorOption,
    LabelsOption,
    MarkdownOption,
    MinExamplesOption,
    MultiLabelOption,
    NormalizeOption,
    ProbColumnsOption,
    ProbsOption,
    QuietOption,
    RankByOption,
    SchedulerOption,
    ScoreMethod,
    TemperatureOption,
)

if TYPE_CHECKING:
    from labelaudit.pipeline.audit import AuditSources
    from labelaudit.pipeline.ci import CiOutputs
    from labelaudit.pipeline.multilabel import Aggregation

Command = TypeVar("Command", bound=Callable[..., Any])


@dataclass(frozen=True)
class TableColumns:
    """``--label-column`` ... ``--normalize``: how the labels and probabilities are read."""

    label_column: LabelColumnOption = None
    id_column: IdColumnOption = None
    classes: ClassesOption = None
    normalize: NormalizeOption = False

    def sources(
        self, labels: Path, probs: Sequence[Path], prob_columns: str | None = None
    ) -> AuditSources:
        """The pipeline's :class:`~labelaudit.pipeline.audit.AuditSources` for these options."""
        from labelaudit.pipeline.audit import AuditSources

        return AuditSources(
            labels,
            probs,
            self.label_column,
            self.id_column,
            self.classes,
            self.normalize,
            prob_columns,
        )


@dataclass(frozen=True)
class AuditInputs:
    """``--labels`` ... ``--prob-columns``: where find-issues, score and health read from."""

    labels: LabelsOption
    probs: ProbsOption = None  # type: ignore[assignment]
    columns: TableColumns = TableColumns()
    prob_columns: ProbColumnsOption = None

    def sources(self) -> AuditSources:
        """The pipeline's :class:`~labelaudit.pipeline.audit.AuditSources` for these options."""
        return self.columns.sources(self.labels, self.probs or [], self.prob_columns)


@dataclass(frozen=True)
class MultiLabel:
    """``--multi-label`` and ``--label-separator``: whether each row has a set of labels."""

    multi_label: MultiLabelOption = False
    label_separator: LabelSeparatorOption = None


@dataclass(frozen=True)
class MultiLabelScoring(MultiLabel):
    """:class:`MultiLabel` and, for the commands that score, how the label qualities aggregate."""

    aggregator: AggregatorOption = None
    alpha: AlphaOption = None
    temperature: TemperatureOption = None

    def aggregation(self) -> Aggregation:
        """The pipeline's :class:`Aggregation`; an option for the other aggregator is refused."""
        from labelaudit.errors import InputError
        from labelaudit.pipeline.multilabel import Aggregation

        name = (
            self.aggregator.value if self.aggregator is not None else "exponential_moving_average"
        )
        if name == "softmin" and self.alpha is not None:
            raise InputError(
                "--alpha applies to --aggregator exponential_moving_average, not softmin."
            )
        if name != "softmin" and self.temperature is not None:
            raise InputError("--temperature applies to --aggregator softmin.")
        alpha = 0.8 if self.alpha is None else self.alpha
        return Aggregation(name, alpha, 0.1 if self.temperature is None else self.temperature)


@dataclass(frozen=True)
class IssueSelection:
    """``--filter-by`` ... ``--min-examples-per-class``: the rows find-issues and report flag."""

    filter_by: FilterByOption = FilterBy.prune_by_noise_rate
    rank_by: RankByOption = ScoreMethod.self_confidence
    frac_noise: FracNoiseOption = 1.0
    min_examples_per_class: MinExamplesOption = 1

    def keywords(self) -> dict[str, Any]:
        """The pipeline's keyword arguments for these options (each choice by its name)."""
        return {
            "filter_by": self.filter_by.value,
            "rank_by": self.rank_by.value,
            "frac_noise": self.frac_noise,
            "min_examples_per_class": self.min_examples_per_class,
        }


@dataclass(frozen=True)
class CiFiles:
    """``--junit-xml`` and ``--markdown``: the CI outputs of find-issues and health."""

    junit_xml: JunitXmlOption = None
    markdown: MarkdownOption = None

    def checked(self, inputs: Sequence[Path], output: Path | None) -> CiOutputs:
        """The pipeline's CiOutputs, their paths checked before any work (see its ``check``)."""
        from labelaudit.pipeline.ci import CiOutputs

        outputs = CiOutputs(self.junit_xml, self.markdown)
        outputs.check(inputs, [output])
        return outputs


@dataclass(frozen=True)
class EngineChoice:
    """``--engine`` and ``--scheduler``: where find-issues, score, health and report run."""

    engine: EngineOption = Engine.local
    scheduler: SchedulerOption = None

    def pipeline(self, sources: AuditSources, *, multi_label: bool = False) -> tuple[Any, Any]:
        """The engine object (local or Dask) and the sources it takes (see
        :func:`labelaudit.cli.engine.pipeline_for`); checked before any work."""
        from labelaudit.cli.engine import pipeline_for

        return pipeline_for(self.engine, self.scheduler, sources, multi_label=multi_label)


@dataclass(frozen=True)
class Display:
    """``--json``, ``--quiet``, ``--debug``: how a command shows its result (and its errors)."""

    json_output: JsonOption = False
    quiet: QuietOption = False
    debug: DebugOption = False

    def for_output(self, output: Path | None, rows: str) -> Display:
        """With ``-o -``, standard output holds the *rows* (CSV) only: the run is quiet, and
        ``--json``, which would share standard output, is refused."""
        from labelaudit.errors import InputError

        if output is None or str(output) != "-":
            return self
        if self.json_output:
            raise InputError(f"-o - writes {rows} to standard output; drop --json.")
        return dataclasses.replace(self, quiet=True)


def as_options(values: dict[str, Any]) -> dict[str, Any]:
    """A command's parameters with each group's options added by name (the groups kept too)."""
    flat = dict(values)
    for value in values.values():
        if _is_group(type(value)):
            flat.update(
                as_options({field.name: getattr(value, field.name) for field in fields(value)})
            )
    return flat


def expand_groups(command: Command) -> Command:
    """Decorator: spell out each group parameter of *command* as its options, for typer.

    A group may hold a group (its options stand in its place). Every parameter becomes
    keyword-only (typer passes them by name), so that a required option may follow a group's
    optional ones; the order, and so ``--help``, is the declared one.
    """
    hints = typing.get_type_hints(command, include_extras=True)
    params: list[inspect.Parameter] = []
    groups: dict[str, type] = {}
    for param in inspect.signature(command).parameters.values():
        hint = hints[param.name]
        if _is_group(hint):
            groups[param.name] = hint
            params.extend(_group_parameters(hint))
        else:
            params.append(param.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hint))

    @functools.wraps(command)
    def expanded(**options: Any) -> Any:
        for name, group in groups.items():
            options[name] = _assembled(group, options)
        return command(**options)

    expanded.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    expanded.__annotations__ = {param.name: param.annotation for param in params}
    return typing.cast(Command, expanded)


def _is_group(hint: Any) -> bool:
    return is_dataclass(hint) and isinstance(hint, type)


@functools.cache
def _group_hints(group: type) -> dict[str, Any]:
    """The group's resolved field annotations (evaluated once: every command start needs them,
    for each command that takes the group)."""
    return typing.get_type_hints(group, include_extras=True)


@functools.cache
def _group_parameters(group: type) -> tuple[inspect.Parameter, ...]:
    """The group's fields as keyword-only parameters, with their option aliases and defaults."""
    hints = _group_hints(group)
    params: list[inspect.Parameter] = []
    for field in fields(group):
        if _is_group(hints[field.name]):
            params.extend(_group_parameters(hints[field.name]))
            continue
        default = inspect.Parameter.empty if field.default is MISSING else field.default
        params.append(
            inspect.Parameter(
                field.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=default,
                annotation=hints[field.name],
            )
        )
    return tuple(params)


def _assembled(group: type, options: dict[str, Any]) -> Any:
    """An instance of *group* (and of the groups it holds) from its options, taken out of
    *options*."""
    hints = _group_hints(group)
    return group(
        **{
            field.name: _assembled(hints[field.name], options)
            if _is_group(hints[field.name])
            else options.pop(field.name)
            for field in fields(group)
        }
    )
