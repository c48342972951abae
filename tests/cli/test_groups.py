"""cli/groups.py: a group parameter stands for its options, in its place, and arrives as one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import typer
from typer.testing import CliRunner

from labelaudit.cli.groups import as_options, expand_groups

runner = CliRunner()


@dataclass(frozen=True)
class Pair:
    first: Annotated[int, typer.Option("--first")] = 1
    second: Annotated[str | None, typer.Option("--second")] = None


def pair_app(seen: list[Any]) -> typer.Typer:
    """An app whose one command takes an option, the Pair group, then a required option."""
    app = typer.Typer(add_completion=False)

    @app.command()
    @expand_groups
    def run(
        *,
        before: Annotated[str, typer.Option("--before")] = "b",
        pair: Pair,
        after: Annotated[str, typer.Option("--after")],
    ) -> None:
        seen.append((before, pair, after))

    return app


def test_the_group_arrives_as_one_object_with_the_given_values() -> None:
    seen: list[Any] = []
    result = runner.invoke(pair_app(seen), ["--second", "s", "--after", "a"])
    assert result.exit_code == 0, result.output
    assert seen == [("b", Pair(first=1, second="s"), "a")]


def test_the_group_options_stand_in_its_place_in_the_declared_order() -> None:
    command = typer.main.get_command(pair_app([]))
    assert [param.name for param in command.params] == ["before", "first", "second", "after"]
    assert [param.required for param in command.params] == [False, False, False, True]


def test_as_options_adds_each_group_field_by_name_and_keeps_the_group() -> None:
    pair = Pair(first=2)
    assert as_options({"pair": pair, "top": 3}) == {
        "pair": pair,
        "top": 3,
        "first": 2,
        "second": None,
    }


@dataclass(frozen=True)
class Outer:
    head: Annotated[str, typer.Option("--head")] = "h"
    pair: Pair = Pair()
    tail: Annotated[int, typer.Option("--tail")] = 0


def test_a_group_inside_a_group_stands_in_its_place_and_arrives_nested() -> None:
    seen: list[Any] = []
    app = typer.Typer(add_completion=False)

    @app.command()
    @expand_groups
    def run(*, outer: Outer) -> None:
        seen.append(outer)

    command = typer.main.get_command(app)
    assert [param.name for param in command.params] == ["head", "first", "second", "tail"]
    result = runner.invoke(app, ["--first", "3", "--tail", "4"])
    assert result.exit_code == 0, result.output
    assert seen == [Outer(head="h", pair=Pair(first=3), tail=4)]
    assert as_options({"outer": seen[0]})["second"] is None
