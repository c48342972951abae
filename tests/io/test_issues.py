"""labelaudit.io.issues: find-issues outputs read back by clean --issues."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from labelaudit import io
from labelaudit.errors import InputError
from tests.messages import whole


def test_read_issues_uses_flags_of_all_rows_outputs(tmp_path: Path) -> None:
    path = tmp_path / "issues.csv"
    pd.DataFrame(
        {
            "row": [0, 1, 2, 3],
            "given_label": ["a", "b", "a", "b"],
            "predicted_label": ["b", "b", "b", "a"],
            "is_label_issue": [True, False, False, True],
        }
    ).to_csv(path, index=False)
    issues = io.read_issues(path, 4, need_predicted=True)
    assert issues.rows.tolist() == [0, 3]
    assert issues.predicted_labels is not None
    assert issues.predicted_labels.tolist() == ["b", "a"]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        pytest.param(
            pd.DataFrame({"index": [1]}),
            "{path}: no 'row' column, so it is not a find-issues output; columns are 'index'.",
            id="no-row-column",
        ),
        pytest.param(
            pd.DataFrame({"row": [1, 9]}),
            "{path}: row 9 is outside the data's rows 0..4; was it made for other data?",
            id="row-out-of-range",
        ),
        pytest.param(
            pd.DataFrame({"row": [1, 1]}),
            "{path}: column 'row' lists some rows twice.",
            id="row-twice",
        ),
        pytest.param(
            pd.DataFrame({"row": [0.5]}),
            "{path}: column 'row' must hold integer row positions, not double.",
            id="rows-not-integers",
        ),
    ],
)
def test_read_issues_rejects_bad_files(tmp_path: Path, frame: pd.DataFrame, message: str) -> None:
    path = tmp_path / "issues.parquet"
    frame.to_parquet(path)
    with pytest.raises(InputError, match=whole(message.format(path=path))):
        io.read_issues(path, 5, need_predicted=False)
