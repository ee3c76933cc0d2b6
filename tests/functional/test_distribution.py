"""The distribution as a user gets it: an sdist and a wheel built by `python -m build`, the wheel
installed into a fresh virtual environment, and the installed command run from outside the source tree.

The fresh environment sees this interpreter's site-packages through a `.pth` line (after its own):
the runtime dependencies resolve from the packages already installed here, so pip installs only
the wheel (a real install: pip resolves and checks every requirement, it just finds them
satisfied), with no download of boto3 and the rest, which would cost a minute. Not
`--system-site-packages`: from a virtual environment, that reaches the base interpreter's
packages, not this environment's. A directory named in a `.pth` line is not a site directory, so
the editable install of this checkout that this environment may hold is not activated there, and
the environment's own site-packages comes first: the `reconciler` it imports is the wheel's, which
the test checks too.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from reconciler import __version__

ROOT = Path(__file__).resolve().parents[2]
DIST = "codeartifact-reconciler"
pytestmark = pytest.mark.dist


def _clean_env() -> dict[str, str]:
    """The environment without what points Python at the source tree or a virtual environment."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, check=False, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=600
    )


def _copy_sources(into: Path) -> Path:
    """What `python -m build` needs, copied, so the build leaves nothing in the working tree."""
    tree = into / "src"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, tree / name)
    shutil.copytree(ROOT / "reconciler", tree / "reconciler", ignore=shutil.ignore_patterns("__pycache__"))
    return tree


def test_sdist_and_wheel_build_install_and_run_outside_the_source_tree(tmp_path: Path) -> None:
    tree = _copy_sources(tmp_path)
    out = tmp_path / "dist"
    # sdist first, then the wheel built from the unpacked sdist: an sdist missing a file fails here.
    built = _run([sys.executable, "-m", "build", "--outdir", str(out), str(tree)], cwd=tmp_path)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheels = sorted(out.glob("*.whl"))
    sdists = sorted(out.glob("*.tar.gz"))
    assert [w.name for w in wheels] == [f"codeartifact_reconciler-{__version__}-py3-none-any.whl"]
    assert [s.name for s in sdists] == [f"codeartifact_reconciler-{__version__}.tar.gz"]

    with zipfile.ZipFile(wheels[0]) as wheel:
        names = set(wheel.namelist())
        info = f"codeartifact_reconciler-{__version__}.dist-info"
        metadata = wheel.read(f"{info}/METADATA").decode()
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert "reconciler/py.typed" in names
    assert f"{info}/licenses/LICENSE" in names
    assert f"Name: {DIST}\n" in metadata
    assert f"Version: {__version__}\n" in metadata
    assert "License-Expression: Apache-2.0\n" in metadata
    assert "Classifier: Typing :: Typed\n" in metadata
    assert "Project-URL: Source, " in metadata
    assert "reconciler = reconciler.entry:main" in entry_points
    with tarfile.open(sdists[0]) as sdist:
        members = {m.name.split("/", 1)[-1] for m in sdist.getmembers()}
    assert {"LICENSE", "README.md", "pyproject.toml", "reconciler/py.typed"} <= members

    venv = tmp_path / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    [own] = venv.glob("lib/python3*/site-packages")
    (own / "project-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    installed = _run([str(python), "-m", "pip", "install", str(wheels[0])], cwd=tmp_path)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    # Only the wheel: every dependency was found installed.
    [done] = [line for line in installed.stdout.splitlines() if line.startswith("Successfully installed")]
    assert done == f"Successfully installed codeartifact-reconciler-{__version__}", installed.stdout

    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(ROOT / "manifests", elsewhere / "manifests")
    where = _run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, reconciler; "
            f"print(reconciler.__file__); print(m.version({DIST!r}))",
        ],
        cwd=elsewhere,
    )
    assert where.returncode == 0, where.stderr
    module_file, metadata_version = where.stdout.split()
    assert Path(module_file).is_relative_to(venv), module_file
    assert metadata_version == __version__

    command = venv / "bin" / "reconciler"
    version = _run([str(command), "--version"], cwd=elsewhere)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"reconciler, version {metadata_version}"
    validated = _run([str(command), "validate", "manifests/"], cwd=elsewhere)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert validated.stdout.strip().endswith(": valid"), validated.stdout
