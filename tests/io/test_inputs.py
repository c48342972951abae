"""labelaudit.io.inputs: labels and probs read and checked together."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelaudit import io
from labelaudit.errors import InputError
from tests.datasets import CLASSES, random_probs
from tests.messages import whole


def write_inputs(tmp_path: Path, n_rows: int = 12) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(1)
    labels = tmp_path / "y.csv"
    pd.DataFrame(
        {"id": [f"r{i}" for i in range(n_rows)], "label": rng.choice(CLASSES, n_rows)}
    ).to_csv(labels, index=False)
    return labels, random_probs(n_rows)


def test_ensemble_reorders_columns_by_name_and_averages(tmp_path: Path) -> None:
    labels, probs = write_inputs(tmp_path)
    other = random_probs(len(probs), seed=5)
    first, second = tmp_path / "p1.parquet", tmp_path / "p2.csv"
    pd.DataFrame({n: probs[:, k] for k, n in enumerate(CLASSES)}).to_parquet(first)
    pd.DataFrame({n: other[:, k] for k, n in reversed(list(enumerate(CLASSES)))}).to_csv(
        second, index=False
    )
    inputs = io.load_audit_inputs(labels, [first, second])
    assert inputs.classes == CLASSES
    np.testing.assert_allclose(inputs.pred_probs_list[1], other)
    np.testing.assert_allclose(inputs.pred_probs, (probs + other) / 2)


def test_ensemble_members_must_share_classes(tmp_path: Path) -> None:
    labels, probs = write_inputs(tmp_path)
    first, second = tmp_path / "p1.parquet", tmp_path / "p2.parquet"
    pd.DataFrame({n: probs[:, k] for k, n in enumerate(CLASSES)}).to_parquet(first)
    pd.DataFrame({n: probs[:, k] for k, n in enumerate(["cat", "dog", "emu"])}).to_parquet(second)
    message = (
        f"{second}: classes 'cat', 'dog', 'emu' differ from those of {first} ('cat', 'dog', "
        "'bird'); every --probs file must cover the same classes."
    )
    with pytest.raises(InputError, match=whole(message)):
        io.load_audit_inputs(labels, [first, second])


def test_npy_probs_with_string_labels_need_classes(tmp_path: Path) -> None:
    labels, probs = write_inputs(tmp_path)
    path = tmp_path / "p.npy"
    np.save(path, probs)
    message = (
        f"{labels}: column 'label': label 'dog' in row 0 is not a class of {path} (nor are the "
        "labels of at least 11 more rows after it); the classes are '0', '1', '2'.\nCheck that "
        "the labels and probs belong "
        "together (for .npy probs with string labels, pass --classes in column order)."
    )
    with pytest.raises(InputError, match=whole(message)):
        io.load_audit_inputs(labels, [path])
    inputs = io.load_audit_inputs(labels, [path], classes="cat,dog,bird")
    expected = pd.read_csv(labels)["label"].map({n: k for k, n in enumerate(CLASSES)})
    assert inputs.labels.tolist() == expected.tolist()
    message = f"--classes lists 2 classes but {path} has 3 columns."
    with pytest.raises(InputError, match=whole(message)):
        io.load_audit_inputs(labels, [path], classes="cat,dog")


def test_classes_option_is_only_for_npy(tmp_path: Path) -> None:
    labels, probs = write_inputs(tmp_path)
    path = tmp_path / "p.parquet"
    pd.DataFrame({n: probs[:, k] for k, n in enumerate(CLASSES)}).to_parquet(path)
    message = "--classes: only used with .npy probs; the columns of a probs table name the classes."
    with pytest.raises(InputError, match=whole(message)):
        io.load_audit_inputs(labels, [path], classes="cat,dog,bird")


def test_rows_must_match(tmp_path: Path) -> None:
    labels, probs = write_inputs(tmp_path)
    path = tmp_path / "p.npy"
    np.save(path, probs[:-1])
    message = (
        f"{path}: has 11 rows but {labels} has 12; both must list the same rows in the same order."
    )
    with pytest.raises(InputError, match=whole(message)):
        io.load_audit_inputs(labels, [path], classes="cat,dog,bird")


def test_id_columns_must_agree(tmp_path: Path) -> None:
    labels, probs = write_inputs(tmp_path)
    path = tmp_path / "p.parquet"
    ids = [f"r{i}" for i in range(len(probs))]
    ids[5], ids[6] = ids[6], ids[5]
    pd.DataFrame({"id": ids, **{n: probs[:, k] for k, n in enumerate(CLASSES)}}).to_parquet(path)
    message = (
        f"{labels}: --id-column 'id' differs from {path} at row 5 ('r5' vs 'r6'); the inputs must "
        "list the same rows in the same order."
    )
    with pytest.raises(InputError, match=whole(message)):
        io.load_audit_inputs(labels, [path], id_column="id")


def test_id_column_must_exist_somewhere(tmp_path: Path) -> None:
    labels, probs = write_inputs(tmp_path)
    path = tmp_path / "p.npy"
    np.save(path, probs)
    inputs = io.load_audit_inputs(labels, [path], id_column="id", classes="cat,dog,bird")
    assert inputs.ids is not None and inputs.ids[3].as_py() == "r3"
    message = f"--id-column 'key': no such column in {labels}, {path}."
    with pytest.raises(InputError, match=whole(message)):
        io.load_audit_inputs(labels, [path], id_column="key", classes="cat,dog,bird")
