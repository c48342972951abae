"""Issue 11, items 2, 11, 12, 13: health's memory, counts, noise matrix, class order, warnings."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from labelaudit.cli import app
from labelaudit.core.counting import compute_label_stats
from labelaudit.core.filtering import find_label_issues
from labelaudit.core.health import health_report

runner = CliRunner()


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


def save(folder: Path, labels: np.ndarray, probs: np.ndarray) -> tuple[Path, Path]:
    np.save(folder / "y.npy", labels)
    np.save(folder / "p.npy", probs)
    return folder / "y.npy", folder / "p.npy"


def noisy_case(seed: int, n_classes: int, n_rows: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """A reasonable model (argmax mostly the label) with 20% of the labels flipped."""
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(n_classes, 0.2), size=n_rows)
    labels = probs.argmax(axis=1)
    flipped = rng.random(n_rows) < 0.2
    labels[flipped] = rng.integers(0, n_classes, int(flipped.sum()))
    return labels, probs


# --- item 2: memory and size grow with the matrices only --------------------------------------

MEASURE = textwrap.dedent(
    """
    import resource, subprocess, sys
    limit = 4 * 1024**3  # a runaway child fails fast instead of taking the machine
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    done = subprocess.run(sys.argv[1:], preexec_fn=cap, stdout=subprocess.PIPE, timeout=600)
    sys.stdout.buffer.write(done.stdout)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stderr.write(f"PEAK_KB={peak} RC={done.returncode}\\n")
    """
)


def test_many_classes_one_row_stays_small(tmp_path: Path) -> None:
    n_classes = 2_000  # the old code took 3.3 GB here and wrote 230 MB of JSON
    probs = np.zeros((1, n_classes))
    probs[0, 3] = 1.0
    labels_path, probs_path = save(tmp_path, np.array([3]), probs)
    command = [sys.executable, "-c", MEASURE, sys.executable, "-m", "labelaudit", "health",
               "--labels", labels_path, "--probs", probs_path, "--json"]  # fmt: skip
    done = subprocess.run([str(c) for c in command], capture_output=True, timeout=660, check=False)
    stderr = done.stderr.decode()
    peak_kb = int(stderr.split("PEAK_KB=")[1].split()[0])
    assert "RC=0" in stderr, stderr
    assert peak_kb < 1024 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"
    assert len(done.stdout) < 2_000_000  # per-class rows only: no K^2 pairs or matrix
    document = json.loads(done.stdout)
    assert len(document["overlapping_classes"]) == 10
    assert document["n_class_pairs"] == n_classes * (n_classes - 1) // 2
    assert document["noise_matrix"] is None and "--all-pairs" in document["noise_matrix_omitted"]


def test_top_and_all_pairs(tmp_path: Path) -> None:
    labels, probs = noisy_case(1, 8)
    save(tmp_path, labels, probs)
    full = health_report(labels, probs)
    base = ("health", "--labels", tmp_path / "y.npy", "--probs", tmp_path / "p.npy", "--json")
    top3 = json.loads(invoke(*base, "--top", "3").stdout)
    every = json.loads(invoke(*base, "--all-pairs").stdout)
    pairs = [(o.class_a, o.class_b, o.joint_probability) for o in full.overlapping_classes]
    listed = every["overlapping_classes"]
    as_tuples = [(o["class_a"], o["class_b"], o["joint_probability"]) for o in listed]
    assert as_tuples == pairs and len(pairs) == 28
    assert top3["overlapping_classes"] == every["overlapping_classes"][:3]
    human = invoke(*base[:-1], "--top", "2").stdout
    assert "Most overlapping classes (top 2)" in human
    everything = invoke(*base[:-1], "--all-pairs").stdout
    assert "Most overlapping classes (all pairs)" in everything
    table = everything.split("(all pairs):")[1].split("Noise matrix")[0]
    assert len([line for line in table.splitlines() if line.strip()]) == 2 + 28  # header, rule


# --- item 12: the three counts ----------------------------------------------------------------


def test_three_counts_equal_independent_core_calls(tmp_path: Path) -> None:
    labels, probs = noisy_case(2, 5, n_rows=600)
    save(tmp_path, labels, probs)
    result = invoke("health", "--labels", tmp_path / "y.npy", "--probs", tmp_path / "p.npy",
                    "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["counts"]
    flagged = int(find_label_issues(labels, probs, filter_by="prune_by_noise_rate").sum())
    estimate = compute_label_stats(labels, probs).num_label_issues
    per_class = sum(c.n_label_issues for c in health_report(labels, probs).classes)
    assert counts["find_issues"]["value"] == flagged
    assert counts["confident_learning_estimate"]["value"] == estimate
    assert counts["per_class_sum"]["value"] == per_class
    assert len({flagged, estimate, per_class}) > 1  # the case where naming them matters
    assert "--max-noise-rate" in counts["confident_learning_estimate"]["description"]
    assert "--max-class-noise-rate" in counts["per_class_sum"]["description"]
    assert "prune_by_noise_rate" in counts["find_issues"]["description"]

    human = invoke("health", "--labels", tmp_path / "y.npy", "--probs", tmp_path / "p.npy")
    text = " ".join(human.stdout.split())  # soft-wrapped lines joined
    for item in counts.values():
        assert f"{item['value']:,} {' '.join(item['description'].split())}" in text
    issues = invoke("find-issues", "--labels", tmp_path / "y.npy", "--probs", tmp_path / "p.npy")
    assert f"{flagged} label issues" in issues.stdout
    assert "flagged by --filter-by prune_by_noise_rate" in issues.stdout


@pytest.mark.parametrize(
    ("option", "limit", "counted"),
    [
        pytest.param((), None, True, id="small-input-counted-by-default"),
        pytest.param((), 100, False, id="over-the-limit-not-counted"),
        pytest.param(("--flagged-count",), 100, True, id="flagged-count-forces-it"),
        pytest.param(("--no-flagged-count",), None, False, id="no-flagged-count-skips-it"),
    ],
)
def test_the_flagged_count_is_size_gated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: tuple, limit: int | None, counted: bool
) -> None:
    from labelaudit.pipeline import audit

    if limit is not None:
        monkeypatch.setattr(audit, "FLAGGED_COUNT_LIMIT", limit)
    labels, probs = noisy_case(3, 4, n_rows=300)  # 1,200 probabilities
    save(tmp_path, labels, probs)
    args = ("health", "--labels", tmp_path / "y.npy", "--probs", tmp_path / "p.npy", *option)
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    item = json.loads(result.stdout)["counts"]["find_issues"]
    if counted:
        flagged = int(find_label_issues(labels, probs, filter_by="prune_by_noise_rate").sum())
        assert item["value"] == flagged
        assert "not counted" not in item["description"]
    else:
        assert item["value"] is None
        assert "not counted for inputs of more than" in item["description"]
        assert "--flagged-count" in item["description"]
        human = " ".join(invoke(*args).stdout.split())
        assert "- rows find-issues flags" in human


# --- item 13: noise matrix, large K, readable names, --class-order -----------------------------


def test_noise_matrix_in_json_and_output_file(tmp_path: Path) -> None:
    labels, probs = noisy_case(3, 4)
    save(tmp_path, labels, probs)
    result = invoke("health", "--labels", tmp_path / "y.npy", "--probs", tmp_path / "p.npy",
                    "--json", "-o", tmp_path / "h.json")  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert json.loads((tmp_path / "h.json").read_text()) == document
    expected = health_report(labels, probs).noise_matrix
    assert document["noise_matrix"]["classes"] == [0, 1, 2, 3]
    np.testing.assert_array_equal(document["noise_matrix"]["given_by_true"], expected)
    assert document["noise_matrix_omitted"] is None
    assert "checks" in document and document["checks"]["passed"] is True


def test_class_order_sets_matrix_and_table_order(tmp_path: Path) -> None:
    classes = ["low", "medium", "high"]
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 3, 300)
    probs = np.full((300, 3), 0.1)
    probs[np.arange(300), codes] = 0.8
    codes[:30] = (codes[:30] + 1) % 3
    (tmp_path / "y.csv").write_text("label\n" + "\n".join(classes[c] for c in codes) + "\n")
    columns = [2, 0, 1]  # the probs table's columns: high, low, medium
    header = ",".join(classes[k] for k in columns)
    rows = "\n".join(",".join(f"{v:.3f}" for v in row[columns]) for row in probs)
    (tmp_path / "p.csv").write_text(f"{header}\n{rows}\n")
    base = ("health", "--labels", tmp_path / "y.csv", "--probs", tmp_path / "p.csv")
    plain = json.loads(invoke(*base, "--json").stdout)["noise_matrix"]
    ordered = invoke(*base, "--json", "--class-order", "low,medium,high")
    assert ordered.exit_code == 0, ordered.output
    matrix = json.loads(ordered.stdout)["noise_matrix"]
    assert plain["classes"] == ["high", "low", "medium"]  # the default: the probs' columns
    assert matrix["classes"] == ["low", "medium", "high"]
    position = [plain["classes"].index(name) for name in matrix["classes"]]
    expected = np.asarray(plain["given_by_true"])[np.ix_(position, position)]
    np.testing.assert_array_equal(matrix["given_by_true"], expected)
    human = invoke(*base, "--class-order", "low,medium,high").stdout
    table = human.split("Per class (--class-order):")[1]
    assert table.index("low") < table.index("medium") < table.index("high")


@pytest.mark.parametrize(
    ("order", "named"),
    [
        pytest.param("low,medium", ["missing: 'high'"], id="missing"),
        pytest.param("low,medium,high,huge", ["not classes: 'huge'"], id="unknown"),
        pytest.param("low,low,medium,high", ["more than once: 'low'"], id="repeated"),
        pytest.param("lo,medium", ["not classes: 'lo'", "missing: 'high', 'low'"], id="both"),
    ],
)
def test_class_order_must_name_every_class_once(tmp_path: Path, order: str, named: list) -> None:
    (tmp_path / "y.csv").write_text("label\nlow\nmedium\nhigh\nlow\n")
    rows = ["high,low,medium", "0.1,0.8,0.1", "0.1,0.1,0.8", "0.8,0.1,0.1", "0.1,0.8,0.1"]
    (tmp_path / "p.csv").write_text("\n".join(rows) + "\n")
    result = invoke("health", "--labels", tmp_path / "y.csv", "--probs", tmp_path / "p.csv",
                    "--class-order", order, "-o", tmp_path / "h.json")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --class-order")
    for text in named:
        assert text in result.stderr
    assert not (tmp_path / "h.json").exists()


def test_many_classes_draw_top_confusions_and_omit_matrix(tmp_path: Path) -> None:
    labels, probs = noisy_case(5, 120, n_rows=2_000)
    save(tmp_path, labels, probs)
    base = ("health", "--labels", tmp_path / "y.npy", "--probs", tmp_path / "p.npy")
    human = invoke(*base, "--top", "5").stdout
    assert "Noise matrix not drawn for 120 classes" in human
    assert "largest confusions" in human and "true class" in human
    document = json.loads(invoke(*base, "--json", "--top", "5").stdout)
    assert document["noise_matrix"] is None and "120 classes" in document["noise_matrix_omitted"]
    assert len(document["top_confusions"]) == 5
    noise = health_report(labels, probs).noise_matrix
    first = document["top_confusions"][0]
    off_diagonal = noise - np.diag(np.diag(noise))
    assert first["probability"] == off_diagonal.max()
    full = json.loads(invoke(*base, "--json", "--all-pairs").stdout)
    assert np.asarray(full["noise_matrix"]["given_by_true"]).shape == (120, 120)


def test_heatmap_keeps_long_class_names_whole(tmp_path: Path) -> None:
    names = ["very_long_class_name_alpha", "very_long_class_name_beta", "short"]
    labels, probs = noisy_case(6, 3)
    (tmp_path / "y.csv").write_text("label\n" + "\n".join(names[c] for c in labels) + "\n")
    rows = "\n".join(",".join(f"{v:.6f}" for v in row / row.sum()) for row in probs)
    (tmp_path / "p.csv").write_text(",".join(names) + "\n" + rows + "\n")
    result = invoke("health", "--labels", tmp_path / "y.csv", "--probs", tmp_path / "p.csv",
                    "--normalize")  # fmt: skip
    assert result.exit_code == 0, result.output
    heatmap = result.stdout.split("Noise matrix")[1]
    for name in names:
        assert name in heatmap
    assert "…" not in heatmap
    assert "very_lon " not in heatmap  # the old header cut every name to 8 characters


# --- item 11: a model worse than the majority class is called out ------------------------------


def weak_case() -> tuple[np.ndarray, np.ndarray]:
    """80% of the rows are class 0, but the probabilities are uninformative noise."""
    rng = np.random.default_rng(7)
    labels = np.where(rng.random(500) < 0.8, 0, rng.integers(1, 3, 500))
    probs = rng.dirichlet(np.ones(3), size=500)
    return labels, probs


@pytest.mark.parametrize("command", [pytest.param("health"), pytest.param("find-issues")])
def test_weak_probabilities_warn_on_stderr_and_in_json(tmp_path: Path, command: str) -> None:
    labels, probs = weak_case()
    save(tmp_path, labels, probs)
    base = (command, "--labels", tmp_path / "y.npy", "--probs", tmp_path / "p.npy")
    result = invoke(*base, "--json")
    assert result.exit_code == 0, result.output
    warnings = json.loads(result.stdout)["warnings"]
    assert len(warnings) == 1 and "majority-class baseline" in warnings[0]
    assert "Warning:" in result.stderr and "majority-class baseline" in result.stderr

    good_labels, good_probs = noisy_case(8, 3)
    save(tmp_path, good_labels, good_probs)
    good = invoke(*base, "--json")
    assert json.loads(good.stdout)["warnings"] == [] and "majority" not in good.stderr
