"""The help texts teach: the workflow and exit codes, which filter to use, what options do (#16).

Rendered in-process with typer's CliRunner at a fixed width (``COLUMNS``), so that wrapping is
stable; the phrases that an option's help wraps over several lines are checked on the option
itself. Two real subprocesses: ``labelaudit --help`` as a shell runs it, and ``--help`` with
``-X importtime`` to prove it loads none of the heavy modules. Shell completion is checked by
asking the installed command for completions, as the shell script that typer generates does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from labelaudit.cli import FilterBy, app
from labelaudit.cli.app import HELP
from labelaudit.cli.options import FILTER_GUIDE

WIDTH = 100
HELP_WIDTH = 78  # an 80-column terminal, less the one-character margins of the help text
ANSI = re.compile(r"\x1b\[[0-9;]*m")
HEAVY = {"numpy", "pandas", "pyarrow", "sklearn", "scipy"}

runner = CliRunner()


def render_help(*args: str) -> str:
    """``labelaudit ARGS --help`` as printed at WIDTH columns, without colours."""
    result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == 0, result.output
    return ANSI.sub("", result.stdout)


def command(name: str) -> typer.core.TyperCommand:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return group.commands[name]


def option(command_name: str, flag: str) -> typer.core.TyperOption:
    """The option (or argument, by name) *flag* of the command *command_name*."""
    for param in command(command_name).params:
        if flag in param.opts or flag == param.name:
            return param
    raise AssertionError(f"{command_name} has no {flag}")


def installed_command() -> Path:
    """The ``labelaudit`` console script of the environment running the tests."""
    script = Path(sys.executable).with_name("labelaudit")
    assert script.exists(), f"{script} is missing: install the package (make venv)"
    return script


# --- labelaudit --help ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    [
        pytest.param("The workflow, each step reading the files of the one before:", id="intro"),
        pytest.param("labelaudit predict data.csv --label-column label -o probs.csv", id="predict"),
        pytest.param(
            "labelaudit find-issues --labels data.csv --probs probs.csv -o issues.csv",
            id="find-issues",
        ),
        pytest.param(
            "labelaudit health --labels data.csv --probs probs.csv --max-noise-rate 0.1",
            id="health",
        ),
        pytest.param("labelaudit clean data.csv --issues issues.csv -o clean.csv", id="clean"),
        pytest.param("predict is optional: --probs takes any model's", id="bring-your-own-probs"),
        pytest.param("score rates every label", id="score"),
    ],
)
def test_top_level_help_shows_the_workflow(phrase: str) -> None:
    assert phrase in render_help()


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        pytest.param("0", "ok", id="0-ok"),
        pytest.param("1", "a requested check failed (--fail-above, --max-noise-rate", id="1-check"),
        pytest.param("2", "usage or input error", id="2-usage"),
        pytest.param("130", "interrupted", id="130-interrupted"),
    ],
)
def test_top_level_help_lists_each_exit_code(code: str, meaning: str) -> None:
    text = render_help()
    assert "Exit codes:" in text
    assert re.search(rf"^ +{code} +{re.escape(meaning)}", text, re.MULTILINE), text


def test_top_level_help_names_every_command() -> None:
    # A new command (report, evaluate) belongs in the workflow text too.
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    for name in group.commands:
        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", HELP), name


def test_top_level_help_offers_shell_completion() -> None:
    text = render_help()
    assert "--install-completion" in text and "--show-completion" in text


@pytest.mark.parametrize(
    "text",
    [pytest.param(HELP, id="top-level-help"), pytest.param(FILTER_GUIDE, id="filter-guide")],
)
def test_hand_laid_out_texts_fit_80_columns(text: str) -> None:
    # Rich keeps their line breaks: a longer line would wrap without indentation.
    assert max(len(line) for line in text.splitlines()) <= HELP_WIDTH


def test_top_level_help_fits_80_columns_as_rendered() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "80"})
    text = ANSI.sub("", result.stdout)
    assert "…" not in text
    for line in HELP.splitlines():
        assert line.strip() in text


# --- find-issues --help and clean --help: which filter to use ---------------------------------

GUIDANCE = {
    "prune_by_noise_rate": "the default and the best general choice",
    "prune_by_class": "when how many rows leave each class matters",
    "both": "the most conservative: when a false alarm is costly",
    "confident_learning": "the cheapest; exactly the estimated issues (health)",
    "predicted_neq_given": "a baseline to compare with: most rows, least precise",
    "low_self_confidence": "as many as estimated, lowest self_confidence first",
    "low_normalized_margin": "as many as estimated, lowest normalized_margin first",
}


def test_the_guidance_covers_each_filter_once() -> None:
    assert set(GUIDANCE) == {choice.value for choice in FilterBy}
    names = [line.split()[0] for line in FILTER_GUIDE.splitlines()[1:]]
    assert sorted(names) == sorted(GUIDANCE)


@pytest.mark.parametrize("command_name", ["find-issues", "clean"])
@pytest.mark.parametrize(
    ("name", "guidance"), [pytest.param(name, text, id=name) for name, text in GUIDANCE.items()]
)
def test_help_says_when_to_use_each_filter(command_name: str, name: str, guidance: str) -> None:
    text = render_help(command_name)
    assert "--filter-by, when to use which" in text
    assert re.search(rf"^ +{name} +{re.escape(guidance)} *$", text, re.MULTILINE), text


# --- options: wording and metavars ------------------------------------------------------------


@pytest.mark.parametrize(
    ("command_name", "flag", "phrase"),
    [
        pytest.param(
            "find-issues",
            "--min-examples-per-class",
            "Keep at least this many rows of each class unflagged; a class with no more rows "
            "than this is not pruned",
            id="min-examples-per-class",
        ),
        pytest.param(
            "find-issues",
            "--frac-noise",
            "Flag only this fraction of the estimated label issues",
            id="frac-noise",
        ),
        pytest.param("find-issues", "--filter-by", "one of the seven filters", id="filter-by"),
        pytest.param("clean", "--filter-by", "one of the seven filters", id="clean-filter-by"),
        pytest.param("find-issues", "--rank-by", "orders the issues, lowest first", id="rank-by"),
        pytest.param("score", "--method", "self_confidence: the probability", id="method"),
        pytest.param("find-issues", "--normalize", "Rescale probability rows", id="normalize"),
        pytest.param("find-issues", "--top", "(-o writes them all)", id="top"),
        pytest.param("find-issues", "--quiet", "Print only errors", id="quiet"),
        pytest.param("find-issues", "--json", "(even with --quiet)", id="json"),
        pytest.param("find-issues", "--all-rows", "With -o, write every row", id="all-rows"),
        pytest.param("find-issues", "--fail-above", "Exit 1 when", id="fail-above"),
        pytest.param("health", "--max-noise-rate", "Exit 1 when", id="max-noise-rate"),
        pytest.param("clean", "--issues", "Apply the issues of a find-issues -o file", id="issues"),
        pytest.param("clean", "--action", "relabel: set their label", id="action"),
        pytest.param("predict", "--model", "A built-in model", id="model"),
        pytest.param("predict", "--folds", "each row is predicted by a model fitted", id="folds"),
    ],
)
def test_option_help_says_what_it_does(command_name: str, flag: str, phrase: str) -> None:
    assert phrase in (option(command_name, flag).help or "")


@pytest.mark.parametrize(
    ("command_name", "flag", "metavar"),
    [
        pytest.param("predict", "features", "FEATURES", id="predict-FEATURES"),
        pytest.param("clean", "data", "DATA", id="clean-DATA"),
        pytest.param("find-issues", "--labels", "PATH", id="labels"),
        pytest.param("find-issues", "--probs", "PATH", id="probs"),
        pytest.param("clean", "--probs", "PATH", id="clean-probs"),
        pytest.param("find-issues", "--output", "PATH", id="output"),
        pytest.param("find-issues", "--label-column", "COLUMN", id="label-column"),
        pytest.param("predict", "--label-column", "COLUMN", id="predict-label-column"),
        pytest.param("find-issues", "--id-column", "COLUMN", id="id-column"),
        pytest.param("find-issues", "--classes", "NAMES", id="classes"),
        pytest.param("find-issues", "--filter-by", "NAME", id="filter-by"),
        pytest.param("find-issues", "--frac-noise", "FRACTION", id="frac-noise"),
        pytest.param("find-issues", "--fail-above", "FRACTION", id="fail-above"),
        pytest.param("find-issues", "--min-examples-per-class", "N", id="min-examples"),
        pytest.param("find-issues", "--top", "N", id="top"),
    ],
)
def test_metavars(command_name: str, flag: str, metavar: str) -> None:
    assert option(command_name, flag).metavar == metavar
    # An option's row reads "--flag [-x] METAVAR", an argument's "* METAVAR <type>".
    shown = rf"{re.escape(flag)}\s+(-\w\s+)?" if flag.startswith("-") else r"\*\s+"
    assert re.search(rf"{shown}{metavar}\b", render_help(command_name))


@pytest.mark.parametrize(
    ("command_name", "usage"),
    [
        pytest.param("predict", "Usage: labelaudit predict [OPTIONS] {FEATURES}", id="predict"),
        pytest.param("clean", "Usage: labelaudit clean [OPTIONS] {DATA}", id="clean"),
    ],
)
def test_usage_lines_name_the_arguments_in_capitals(command_name: str, usage: str) -> None:
    assert usage in render_help(command_name)


def test_every_option_has_help_and_every_value_an_uppercase_metavar() -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    for name, cmd in group.commands.items():
        for param in cmd.params:
            where = f"{name} {param.opts[0]}"
            assert param.help, f"{where} has no help"
            takes_value = isinstance(param, typer.core.TyperArgument) or not param.is_flag
            if takes_value:
                assert param.metavar and re.fullmatch(r"[A-Z]+", param.metavar), where


# --- real processes ---------------------------------------------------------------------------


def test_installed_command_help_exits_0() -> None:
    done = subprocess.run(
        [installed_command(), "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert done.returncode == 0, done.stderr
    assert "Exit codes:" in done.stdout and "find-issues" in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--help"], id="top-level"),
        pytest.param(["find-issues", "--help"], id="find-issues"),
        pytest.param(["clean", "--help"], id="clean"),
    ],
)
def test_help_imports_no_heavy_module(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "labelaudit", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # -X importtime writes one "import time: self | cumulative | module" line per import.
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert {name.split(".")[0] for name in imported} & HEAVY == set()
    assert "labelaudit.cli.app" in imported  # the lines were parsed


def test_completion_offers_the_filters() -> None:
    # What the script of `labelaudit --show-completion bash` runs on each <Tab>.
    env = {
        **os.environ,
        "_LABELAUDIT_COMPLETE": "complete_bash",
        "COMP_WORDS": "labelaudit find-issues --filter-by ",
        "COMP_CWORD": "3",
    }
    done = subprocess.run(
        [installed_command()], capture_output=True, text=True, check=False, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [choice.value for choice in FilterBy]
