"""labelaudit.io.npy: .npy files without pickles, memory maps and their pages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labelaudit import io
from labelaudit.errors import InputError
from tests.datasets import random_probs
from tests.messages import whole


@pytest.mark.parametrize("content", [b"", b"bad", b"a,b\n1,2\n"], ids=["empty", "text", "csv"])
def test_a_file_that_is_not_npy_is_named_as_such(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "p.npy"
    path.write_bytes(content)
    message = (
        f"{path}: not a .npy file (it does not start with the .npy header); save arrays with "
        "numpy.save, or use .parquet / .csv."
    )
    with pytest.raises(InputError, match=whole(message)):
        io.read_probs(path)


def test_read_labels_npy_strings_and_pickle(tmp_path: Path) -> None:
    path = tmp_path / "y.npy"
    np.save(path, np.array([b"cat", b"dog"]))
    assert io.read_labels(path).values.tolist() == ["cat", "dog"]
    np.save(path, np.array(["cat", None], dtype=object), allow_pickle=True)
    message = (
        f"{path}: holds Python objects (saved with pickle), which labelaudit does not load; save "
        "integers, strings or floats."
    )
    with pytest.raises(InputError, match=whole(message)):
        io.read_labels(path)


def test_read_probs_npy_is_memory_mapped(tmp_path: Path) -> None:
    path = tmp_path / "p.npy"
    np.save(path, random_probs(5).astype(np.float32))
    probs = io.read_probs(path)
    assert isinstance(probs.array, np.memmap)
    assert probs.array.dtype == np.float32
    assert probs.class_names is None


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
