"""Tests of labelaudit.io: reading, validation, class mapping, atomic writes, cleaning."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelaudit import io
from labelaudit.errors import InputError
from labelaudit.pipeline.clean import clean_table

CLASSES = ["cat", "dog", "bird"]


def random_probs(n_rows: int, n_classes: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    probs = rng.random((n_rows, n_classes)) + 0.05
    return probs / probs.sum(axis=1, keepdims=True)


def probs_file(array: np.ndarray, names: list[str] | None = None) -> io.ProbsFile:
    return io.ProbsFile(path=Path("p.npy"), array=array, class_names=names, ids=None)


# --- read_labels ------------------------------------------------------------------------------


def test_read_labels_uses_label_column_by_default(tmp_path: Path) -> None:
    path = tmp_path / "y.parquet"
    pd.DataFrame({"x": [1.0, 2.0], "label": ["a", "b"]}).to_parquet(path)
    labels = io.read_labels(path)
    assert labels.column == "label"
    assert labels.values.tolist() == ["a", "b"]


def test_read_labels_single_column_is_the_label(tmp_path: Path) -> None:
    path = tmp_path / "y.csv"
    pd.DataFrame({"target": [2, 0, 1]}).to_csv(path, index=False)
    labels = io.read_labels(path)
    assert labels.column == "target"
    assert labels.values.tolist() == [2, 0, 1]


def test_read_labels_id_column_does_not_count_as_a_label_candidate(tmp_path: Path) -> None:
    path = tmp_path / "y.csv"
    pd.DataFrame({"id": ["r0", "r1"], "target": [1, 0]}).to_csv(path, index=False)
    labels = io.read_labels(path, id_column="id")
    assert labels.column == "target"
    assert labels.ids is not None and labels.ids.tolist() == ["r0", "r1"]


def test_read_labels_ambiguous_column_lists_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "y.csv"
    pd.DataFrame({"a": [1], "b": [2]}).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"--label-column") as info:
        io.read_labels(path)
    assert "'a'" in str(info.value) and "'b'" in str(info.value)


def test_read_labels_named_column_missing(tmp_path: Path) -> None:
    path = tmp_path / "y.parquet"
    pd.DataFrame({"label": [1]}).to_parquet(path)
    with pytest.raises(InputError, match=r"no column 'y'.*'label'"):
        io.read_labels(path, label_column="y")


def test_read_labels_npy_shapes(tmp_path: Path) -> None:
    path = tmp_path / "y.npy"
    np.save(path, np.array([[0], [1], [2]]))
    assert io.read_labels(path).values.tolist() == [0, 1, 2]
    np.save(path, np.zeros((3, 2), dtype=int))
    with pytest.raises(InputError, match=r"1-D"):
        io.read_labels(path)


@pytest.mark.parametrize("content", [b"", b"bad", b"a,b\n1,2\n"], ids=["empty", "text", "csv"])
def test_a_file_that_is_not_npy_is_named_as_such(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "p.npy"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"p\.npy: not a \.npy file .*numpy\.save"):
        io.read_probs(path)


def test_read_labels_npy_strings_and_pickle(tmp_path: Path) -> None:
    path = tmp_path / "y.npy"
    np.save(path, np.array([b"cat", b"dog"]))
    assert io.read_labels(path).values.tolist() == ["cat", "dog"]
    np.save(path, np.array(["cat", None], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match=r"pickle"):
        io.read_labels(path)


def test_read_labels_corrupt_parquet(tmp_path: Path) -> None:
    path = tmp_path / "y.parquet"
    path.write_bytes(b"this is not parquet at all")
    with pytest.raises(InputError, match=r"y\.parquet: not a readable Parquet file"):
        io.read_labels(path)


# --- read_probs -------------------------------------------------------------------------------


def test_read_probs_npy_is_memory_mapped(tmp_path: Path) -> None:
    path = tmp_path / "p.npy"
    np.save(path, random_probs(5).astype(np.float32))
    probs = io.read_probs(path)
    assert isinstance(probs.array, np.memmap)
    assert probs.array.dtype == np.float32
    assert probs.class_names is None


def test_read_probs_npy_other_dtypes_become_float64(tmp_path: Path) -> None:
    path = tmp_path / "p.npy"
    np.save(path, random_probs(4).astype(np.float16))
    probs = io.read_probs(path)
    assert probs.array.dtype == np.float64 and probs.array.flags.c_contiguous


def test_read_probs_npy_must_be_2d(tmp_path: Path) -> None:
    path = tmp_path / "p.npy"
    np.save(path, np.array([0.2, 0.8]))
    with pytest.raises(InputError, match=r"2-D \(rows, classes\).*shape \(2,\)"):
        io.read_probs(path)


def test_read_probs_table_class_columns_and_id(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    probs = random_probs(4).astype(np.float32)
    frame = pd.DataFrame({"id": list("abcd"), **{n: probs[:, k] for k, n in enumerate(CLASSES)}})
    frame.to_parquet(path)
    read = io.read_probs(path, id_column="id")
    assert read.class_names == CLASSES
    assert read.array.dtype == np.float32 and read.array.flags.c_contiguous
    np.testing.assert_array_equal(read.array, probs)
    assert read.ids is not None and read.ids.tolist() == list("abcd")


def test_read_probs_table_non_numeric_column_suggests_id_column(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    pd.DataFrame({"name": ["x"], "a": [0.5], "b": [0.5]}).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"column 'name' is not numeric.*--id-column name"):
        io.read_probs(path)


# --- validate_probs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_value", "message"),
    [
        (np.nan, "is NaN"),
        (np.inf, "is \\+infinite"),
        (-0.25, "is -0.25, outside \\[0, 1\\]"),
        (1.5, "is 1.5, outside \\[0, 1\\]"),
    ],
)
def test_validate_reports_first_bad_row_across_chunks(bad_value: float, message: str) -> None:
    probs = random_probs(50)
    probs[37, 2] = bad_value
    probs[49, 1] = bad_value  # a later chunk fails too: the first bad row is reported
    with pytest.raises(InputError, match=rf"row 37, column 2: probability {message}"):
        io.validate_probs(probs_file(probs), chunk_rows=16)


def test_validate_names_the_class_column_of_tables() -> None:
    probs = random_probs(5)
    probs[3, 1] = np.nan
    with pytest.raises(InputError, match=r"row 3, column 'dog'"):
        io.validate_probs(probs_file(probs, CLASSES))


def test_validate_row_sums_suggest_normalize() -> None:
    probs = random_probs(30)
    probs[21] *= 1.01
    with pytest.raises(InputError, match=r"row 21: probabilities sum to 1\.01.*\n.*--normalize"):
        io.validate_probs(probs_file(probs), chunk_rows=8)


def test_validate_accepts_sums_within_tolerance_without_copying() -> None:
    probs = random_probs(10)
    probs[4] *= 1 + 5e-5
    assert io.validate_probs(probs_file(probs)) is probs
    assert io.validate_probs(probs_file(probs), normalize=True) is probs


def test_validate_normalize_rescales_rows_keeping_dtype() -> None:
    probs = random_probs(20).astype(np.float32)
    probs[::3] *= 0.5
    fixed = io.validate_probs(probs_file(probs), normalize=True, chunk_rows=7)
    assert fixed.dtype == np.float32
    np.testing.assert_allclose(fixed.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(fixed, probs / probs.sum(axis=1, keepdims=True), rtol=1e-6)


def test_validate_normalize_still_rejects_bad_values_and_zero_rows() -> None:
    probs = random_probs(6)
    probs[2] = 0.0
    with pytest.raises(InputError, match=r"row 2: all probabilities are 0"):
        io.validate_probs(probs_file(probs), normalize=True)
    probs[2, 0] = -1.0
    with pytest.raises(InputError, match=r"row 2, column 0"):
        io.validate_probs(probs_file(probs), normalize=True)


def test_validate_works_on_a_memmap_and_returns_it(tmp_path: Path) -> None:
    path = tmp_path / "p.npy"
    np.save(path, random_probs(40).astype(np.float32))
    probs = io.read_probs(path)
    assert io.validate_probs(probs, chunk_rows=9) is probs.array


def test_validate_needs_rows_and_two_classes() -> None:
    with pytest.raises(InputError, match=r"no rows"):
        io.validate_probs(probs_file(np.zeros((0, 3))))
    with pytest.raises(InputError, match=r"at least two classes"):
        io.validate_probs(probs_file(np.ones((4, 1))))


# --- class mapping ----------------------------------------------------------------------------


def labels_of(values: list, column: str | None = "label") -> io.LabelsFile:
    return io.LabelsFile(path=Path("y.csv"), values=pd.Series(values), column=column, ids=None)


def test_map_string_labels_by_name() -> None:
    codes, classes = io.map_labels(labels_of(["dog", "cat", "bird", "dog"]), CLASSES, Path("p"))
    assert codes.tolist() == [1, 0, 2, 1]
    assert classes == CLASSES


def test_map_integer_labels_to_integer_class_names_keeps_ints() -> None:
    codes, classes = io.map_labels(labels_of([10, 3, 7]), ["3", "7", "10"], Path("p"))
    assert codes.tolist() == [2, 0, 1]
    assert classes == [3, 7, 10]


def test_map_integral_float_labels_as_ints() -> None:
    codes, classes = io.map_labels(labels_of([1.0, 0.0]), ["0", "1"], Path("p"))
    assert codes.tolist() == [1, 0]
    assert classes == [0, 1]


def test_map_integer_labels_to_string_names_compares_as_strings() -> None:
    with pytest.raises(InputError, match=r"label '0' in row 0 is not a class"):
        io.map_labels(labels_of([0, 1]), CLASSES, Path("p"))


def test_map_unknown_label_names_it_and_the_classes() -> None:
    with pytest.raises(InputError) as info:
        io.map_labels(labels_of(["cat", "cow", "emu"]), CLASSES, Path("p.parquet"))
    message = str(info.value)
    assert "label 'cow' in row 1" in message
    assert "2 rows" in message and "'bird'" in message


def test_map_missing_label_names_the_row() -> None:
    with pytest.raises(InputError, match=r"column 'label': row 1 has no label"):
        io.map_labels(labels_of(["cat", None, "dog"]), CLASSES, Path("p"))


def test_parse_classes() -> None:
    assert io.parse_classes(" a, b ,c") == ["a", "b", "c"]
    assert io.parse_classes(None) is None
    for bad in ("a,,b", "a,a", "a"):
        with pytest.raises(InputError, match=r"--classes"):
            io.parse_classes(bad)


# --- load_audit_inputs ------------------------------------------------------------------------


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
    with pytest.raises(InputError, match=r"p2\.parquet: classes .* differ"):
        io.load_audit_inputs(labels, [first, second])


def test_npy_probs_with_string_labels_need_classes(tmp_path: Path) -> None:
    labels, probs = write_inputs(tmp_path)
    path = tmp_path / "p.npy"
    np.save(path, probs)
    with pytest.raises(InputError, match=r"--classes in column order"):
        io.load_audit_inputs(labels, [path])
    inputs = io.load_audit_inputs(labels, [path], classes="cat,dog,bird")
    expected = pd.read_csv(labels)["label"].map({n: k for k, n in enumerate(CLASSES)})
    assert inputs.labels.tolist() == expected.tolist()
    with pytest.raises(InputError, match=r"--classes lists 2 classes but .* has 3 columns"):
        io.load_audit_inputs(labels, [path], classes="cat,dog")


def test_classes_option_is_only_for_npy(tmp_path: Path) -> None:
    labels, probs = write_inputs(tmp_path)
    path = tmp_path / "p.parquet"
    pd.DataFrame({n: probs[:, k] for k, n in enumerate(CLASSES)}).to_parquet(path)
    with pytest.raises(InputError, match=r"--classes: only used with \.npy"):
        io.load_audit_inputs(labels, [path], classes="cat,dog,bird")


def test_rows_must_match(tmp_path: Path) -> None:
    labels, probs = write_inputs(tmp_path)
    path = tmp_path / "p.npy"
    np.save(path, probs[:-1])
    with pytest.raises(InputError, match=r"p\.npy: has 11 rows but .*y\.csv has 12"):
        io.load_audit_inputs(labels, [path], classes="cat,dog,bird")


def test_id_columns_must_agree(tmp_path: Path) -> None:
    labels, probs = write_inputs(tmp_path)
    path = tmp_path / "p.parquet"
    ids = [f"r{i}" for i in range(len(probs))]
    ids[5], ids[6] = ids[6], ids[5]
    pd.DataFrame({"id": ids, **{n: probs[:, k] for k, n in enumerate(CLASSES)}}).to_parquet(path)
    with pytest.raises(InputError, match=r"--id-column 'id' differs .* at row 5"):
        io.load_audit_inputs(labels, [path], id_column="id")


def test_id_column_must_exist_somewhere(tmp_path: Path) -> None:
    labels, probs = write_inputs(tmp_path)
    path = tmp_path / "p.npy"
    np.save(path, probs)
    inputs = io.load_audit_inputs(labels, [path], id_column="id", classes="cat,dog,bird")
    assert inputs.ids is not None and inputs.ids.iloc[3] == "r3"
    with pytest.raises(InputError, match=r"--id-column 'key': no such column"):
        io.load_audit_inputs(labels, [path], id_column="key", classes="cat,dog,bird")


# --- outputs ----------------------------------------------------------------------------------


def test_check_output_path(tmp_path: Path) -> None:
    assert io.check_output_path(tmp_path / "o.csv", io.TABLE_SUFFIXES) == tmp_path / "o.csv"
    with pytest.raises(InputError, match=r"-o/--output .*o\.txt: unsupported output type"):
        io.check_output_path(tmp_path / "o.txt", io.TABLE_SUFFIXES)
    with pytest.raises(InputError, match=r"does not exist"):
        io.check_output_path(tmp_path / "missing" / "o.csv", io.TABLE_SUFFIXES)


def test_refuse_overwrite_sees_through_spelling_and_links(tmp_path: Path, monkeypatch) -> None:
    source = tmp_path / "y.csv"
    source.write_text("label\n1\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"is also an input"):
        io.refuse_overwrite(Path("./sub/../y.csv"), [source])
    link = tmp_path / "link.csv"
    link.symlink_to(source)
    with pytest.raises(InputError, match=r"is also an input"):
        io.refuse_overwrite(link, [source])
    io.refuse_overwrite(tmp_path / "other.csv", [source])


def test_write_table_failure_leaves_no_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "out.parquet"

    def explode(self, *args, **kwargs):
        Path(args[0]).write_bytes(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", explode)
    with pytest.raises(RuntimeError):
        io.write_table(pd.DataFrame({"a": [1]}), target)
    assert list(tmp_path.iterdir()) == []


def test_write_table_round_trips_csv_and_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame({"row": [3, 1], "given_label": ["a", "b"], "q": [0.25, 0.5]})
    for name in ("o.csv", "o.parquet"):
        io.write_table(frame, tmp_path / name)
        pd.testing.assert_frame_equal(io.read_table(tmp_path / name), frame, check_dtype=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.csv", "o.parquet"]


# --- clean support ----------------------------------------------------------------------------


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
        (pd.DataFrame({"index": [1]}), "no 'row' column"),
        (pd.DataFrame({"row": [1, 9]}), "row 9 is outside the data's rows 0..4"),
        (pd.DataFrame({"row": [1, 1]}), "lists some rows twice"),
        (pd.DataFrame({"row": [0.5]}), "integer row positions"),
    ],
)
def test_read_issues_rejects_bad_files(tmp_path: Path, frame: pd.DataFrame, message: str) -> None:
    path = tmp_path / "issues.parquet"
    frame.to_parquet(path)
    with pytest.raises(InputError, match=message):
        io.read_issues(path, 5, need_predicted=False)


def data_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [0.5, 1.5, 2.5, 3.5],
            "n": np.array([1, 2, 3, 4], dtype=np.int32),
            "label": ["a", "b", "a", "c"],
        }
    )


def test_clean_table_remove_keeps_order_and_dtypes() -> None:
    frame = data_frame()
    result = clean_table(
        frame,
        np.array([2, 0]),
        action="remove",
        label_column=None,
        predicted=None,
        data_path=Path("d"),
    )
    assert result.table["x"].tolist() == [1.5, 3.5]
    assert list(result.table.dtypes) == list(frame.dtypes)
    assert result.changed.tolist() == [True, False, True, False]


def test_clean_table_relabel_sets_predicted_and_counts_real_changes() -> None:
    frame = data_frame()
    result = clean_table(
        frame,
        np.array([1, 3]),
        action="relabel",
        label_column="label",
        predicted=["a", "c"],
        data_path=Path("d"),
    )
    assert result.table["label"].tolist() == ["a", "a", "a", "c"]
    assert result.changed.tolist() == [False, True, False, False]
    assert frame["label"].tolist() == ["a", "b", "a", "c"]  # the input frame is untouched


def test_clean_table_relabel_keeps_integer_and_categorical_dtypes() -> None:
    frame = pd.DataFrame({"label": np.array([0, 1, 2], dtype=np.int16)})
    result = clean_table(
        frame,
        np.array([0]),
        action="relabel",
        label_column=None,
        predicted=[2],
        data_path=Path("d"),
    )
    assert result.table["label"].dtype == np.int16 and result.table["label"].tolist() == [2, 1, 2]

    frame = pd.DataFrame({"label": pd.Categorical(["a", "b"])})
    result = clean_table(
        frame,
        np.array([1]),
        action="relabel",
        label_column=None,
        predicted=["z"],
        data_path=Path("d"),
    )
    assert isinstance(result.table["label"].dtype, pd.CategoricalDtype)
    assert result.table["label"].tolist() == ["a", "z"]


def test_clean_table_relabel_needs_the_label_column() -> None:
    with pytest.raises(InputError, match=r"no label column 'y' to relabel"):
        clean_table(
            data_frame(),
            np.array([0]),
            action="relabel",
            label_column="y",
            predicted=["a"],
            data_path=Path("d"),
        )


def test_clean_table_refuses_issues_of_other_data() -> None:
    with pytest.raises(InputError, match=r"row 1 has label 'b' .* issues file says 'c'"):
        clean_table(
            data_frame(),
            np.array([0, 1]),
            action="remove",
            label_column=None,
            predicted=None,
            data_path=Path("d"),
            expected_given=pd.Series(["a", "c"]),
        )


def test_outputs_get_the_usual_permissions_not_mkstemps_0600(tmp_path: Path) -> None:
    old_mask = os.umask(0o022)
    try:
        io.write_table(pd.DataFrame({"a": [1]}), tmp_path / "out.parquet")
        io.write_table({"a": np.arange(3)}, tmp_path / "columns.parquet")
        io.write_text("{}", tmp_path / "out.json")
    finally:
        os.umask(old_mask)
    for name in ("out.parquet", "columns.parquet", "out.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


def _mapped_rss_kib(path: Path) -> int:
    """Resident KiB of this process's mappings of *path* (Linux /proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if "-" in line.split(" ", 1)[0] and len(line.split()) >= 5:
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux /proc")
def test_page_releaser_drops_read_pages_and_keeps_results(tmp_path: Path) -> None:
    from labelaudit.core.counting import compute_label_stats

    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(8), size=60_000).astype(np.float32)
    labels = rng.integers(0, 8, size=60_000)
    path = tmp_path / "probs.npy"
    np.save(path, probs)
    mapped = np.load(path, mmap_mode="r")
    assert io.page_releaser(probs) is None
    release = io.page_releaser(mapped)
    assert release is not None

    kept = compute_label_stats(labels, mapped, chunk_rows=4096)
    resident_without = _mapped_rss_kib(path)
    released = compute_label_stats(labels, mapped, chunk_rows=4096, release_rows=release)
    resident_with = _mapped_rss_kib(path)

    assert resident_without > 1500  # the whole 1.9 MB file was read
    assert resident_with < resident_without / 4
    np.testing.assert_array_equal(kept.calibrated_joint, released.calibrated_joint)
    np.testing.assert_array_equal(kept.self_confidence, released.self_confidence)
    np.testing.assert_array_equal(kept.given_label_is_top, released.given_label_is_top)
