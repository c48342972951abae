"""clean takes the same --labels/--probs sources as find-issues (a Parquet folder here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from labelaudit.cli import app

runner = CliRunner()


def test_clean_reads_probs_from_a_parquet_folder_like_find_issues(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    names = ["NA", "01", "x"]
    true = rng.integers(0, 3, 240)
    given = np.where(rng.random(240) < 0.15, (true + 1) % 3, true)
    logits = rng.normal(size=(240, 3))
    logits[np.arange(240), true] += 2.5
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    data = tmp_path / "data.csv"
    pd.DataFrame({"id": [f"{i:04d}" for i in range(240)], "label": np.array(names)[given]}).to_csv(
        data, index=False
    )
    folder = tmp_path / "probs"
    folder.mkdir()
    frame = pd.DataFrame({name: probs[:, k] for k, name in enumerate(names)})
    for part in range(3):
        frame.iloc[part * 80 : (part + 1) * 80].to_parquet(folder / f"part-{part}.parquet")

    issues = tmp_path / "issues.csv"
    found = runner.invoke(
        app, ["find-issues", "--labels", str(data), "--probs", str(folder), "-o", str(issues)]
    )
    assert found.exit_code == 0, found.output
    out = tmp_path / "clean.csv"
    result = runner.invoke(app, ["clean", str(data), "--probs", str(folder), "-o", str(out)])
    assert result.exit_code == 0, result.output
    flagged = set(pd.read_csv(issues)["row"])
    kept_lines = [
        line for n, line in enumerate(data.read_text().splitlines()[1:]) if n not in flagged
    ]
    assert out.read_text().splitlines() == [data.read_text().splitlines()[0], *kept_lines]
