"""The built distribution is complete and the wheel works once installed (issue 16).

One test, so that the sdist and wheel are built once even when pytest-xdist spreads the suite
over workers. It builds both as `make dist` does (``python -m build``: the sdist, then the wheel
from the unpacked sdist), checks that they hold every module and data file of the source tree,
installs the wheel into a new virtual environment and runs the installed ``labelaudit`` from a
folder outside the checkout: ``--version`` and an audit of the shipped sample.

The new environment gets the wheel alone (``--no-deps``, nothing downloaded); the runtime
dependencies are made visible by a ``.pth`` file naming this environment's site-packages, which
comes after the new environment's own site-packages on ``sys.path``. The ``.pth`` files found
there (this checkout's editable install) are not processed, so ``import labelaudit`` finds the
installed wheel, never the checkout; the test asserts it.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from labelaudit import __version__

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "labelaudit"
SAMPLE = ROOT / "sample_data"
# The files a distribution must carry: modules, and the package-data patterns of pyproject.toml.
SHIPPED = ("*.py", "py.typed", "*.html", "*.j2", "*.css", "*.js")


def source_files() -> set[str]:
    """Paths (as in the archives, e.g. ``labelaudit/core/health.py``) of every file to ship."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and any(fnmatch.fnmatch(path.name, pattern) for pattern in SHIPPED)
    }


def run(*command: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a command with no PYTHON* variable that could point it back at the checkout."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def build(out: Path) -> tuple[Path, Path]:
    """``python -m build`` into ``out``; the sdist and the wheel."""
    done = run(sys.executable, "-m", "build", "--outdir", out, ROOT, cwd=out, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    sdists = sorted(out.glob("*.tar.gz"))
    wheels = sorted(out.glob("*.whl"))
    assert [path.name for path in sdists] == [f"labelaudit-{__version__}.tar.gz"]
    assert [path.name for path in wheels] == [f"labelaudit-{__version__}-py3-none-any.whl"]
    return sdists[0], wheels[0]


def check_contents(sdist: Path, wheel: Path) -> None:
    """Both archives hold every module and data file of labelaudit/, py.typed and the licence."""
    expected = source_files()
    assert "labelaudit/py.typed" in expected
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
        entry_points = archive.read(f"labelaudit-{__version__}.dist-info/entry_points.txt")
    assert not expected - in_wheel, f"missing from the wheel: {sorted(expected - in_wheel)}"
    assert f"labelaudit-{__version__}.dist-info/licenses/LICENSE" in in_wheel
    assert "labelaudit = labelaudit.cli:main" in entry_points.decode()

    prefix = f"labelaudit-{__version__}/"
    with tarfile.open(sdist) as archive:
        in_sdist = {name.removeprefix(prefix) for name in archive.getnames()}
    assert not expected - in_sdist, f"missing from the sdist: {sorted(expected - in_sdist)}"
    assert {"LICENSE", "README.md", "pyproject.toml"} <= in_sdist


def install(wheel: Path, venv: Path) -> Path:
    """A new virtual environment with only the wheel installed; its ``bin`` folder."""
    done = run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv.parent)
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"
    done = run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
               "--no-index", "--quiet", wheel, cwd=venv.parent)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    site_packages = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                        cwd=venv.parent).stdout.strip()  # fmt: skip
    ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (Path(site_packages) / "_labelaudit_test_deps.pth").write_text("\n".join(ours) + "\n")
    return venv / "bin"


@pytest.mark.slow
def test_wheel_is_complete_and_runs_from_a_clean_venv(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    sdist, wheel = build(dist)
    check_contents(sdist, wheel)

    bin_dir = install(wheel, tmp_path / "venv")
    work = tmp_path / "work"  # outside the checkout: nothing here can be imported
    work.mkdir()
    for name in ("digits_features.csv", "digits_probs.parquet"):
        shutil.copy(SAMPLE / name, work / name)

    code = "import labelaudit; print(labelaudit.__file__)"
    done = run(bin_dir / "python", "-c", code, cwd=work)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(tmp_path / "venv"), done.stdout

    done = run(bin_dir / "labelaudit", "--version", cwd=work)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"labelaudit {__version__}\n", "")

    done = run(bin_dir / "labelaudit", "find-issues", "--labels", "digits_features.csv",
               "--probs", "digits_probs.parquet", "--id-column", "id", "-o", "issues.parquet",
               "--json", cwd=work)  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["n_examples"], result["n_classes"]) == (1797, 10)
    assert result["filter_by"] == "prune_by_noise_rate"
    issues = pd.read_parquet(work / "issues.parquet")
    assert len(issues) == result["n_label_issues"]
    shown = [issue["row"] for issue in result["issues"]]  # the top rows, most likely errors first
    assert shown and shown == issues["row"].head(len(shown)).tolist()
    assert 100 < len(issues) < 300  # about 10% of the labels were flipped
    assert {"row", "id", "given_label", "predicted_label", "label_quality"} <= set(issues.columns)
