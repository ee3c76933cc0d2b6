"""Lockfiles and deployment files, read for the package versions they name (`protect_in_use`).

One module per family (`npm`, `python`, `cargo`, `ruby`, `nuget`, `jvm`, `swift`, `inventory`); this
registry knows each kind of file by its name (`kind_of`), and `read_lockfile` reads one file as its
kind. The file-name table is documented in docs/manifest.md ("In-use protection").
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from reconciler.codeartifact import Format
from reconciler.files import read_input
from reconciler.lockfiles import cargo, inventory, jvm, npm, nuget, python, ruby, swift
from reconciler.lockfiles.base import LockfileError, Parsed, Pinned, Reader, text_of


class Kind(NamedTuple):
    """A kind of file: its name in manifests, the format it speaks for (None: any), the file names
    it is known by (globs over the file's name, case-sensitive as the tools write them), its reader."""

    name: str
    format: Format | None
    patterns: tuple[str, ...]
    read: Reader


def _alone(read: Callable[[str, Path], list[Pinned]]) -> Reader:
    """The reader of a kind of file that names no other file."""
    return lambda text, path: Parsed(read(text, path), {})


KINDS: tuple[Kind, ...] = (
    Kind(
        "package-lock",
        Format.NPM,
        ("package-lock.json", "npm-shrinkwrap.json"),
        _alone(npm.read_package_lock),
    ),
    Kind("yarn-lock", Format.NPM, ("yarn.lock",), _alone(npm.read_yarn_lock)),
    Kind("pnpm-lock", Format.NPM, ("pnpm-lock.yaml",), _alone(npm.read_pnpm_lock)),
    Kind("poetry-lock", Format.PYPI, ("poetry.lock",), _alone(python.read_poetry_lock)),
    Kind("uv-lock", Format.PYPI, ("uv.lock",), _alone(python.read_uv_lock)),
    Kind("pipfile-lock", Format.PYPI, ("Pipfile.lock",), _alone(python.read_pipfile_lock)),
    Kind("pylock", Format.PYPI, ("pylock.toml", "pylock.*.toml"), _alone(python.read_pylock)),
    Kind(
        "requirements",
        Format.PYPI,
        ("requirements*.txt", "*-requirements.txt", "*_requirements.txt", "constraints*.txt"),
        python.read_requirements_and_includes,
    ),
    Kind("cargo-lock", Format.CARGO, ("Cargo.lock",), _alone(cargo.read_cargo_lock)),
    Kind("gemfile-lock", Format.RUBY, ("Gemfile.lock", "gems.locked"), _alone(ruby.read_gemfile_lock)),
    Kind("nuget-lock", Format.NUGET, ("packages.lock.json",), _alone(nuget.read_packages_lock)),
    Kind(
        "gradle-lockfile", Format.MAVEN, ("gradle.lockfile", "*.lockfile"), _alone(jvm.read_gradle_lockfile)
    ),
    Kind("pom", Format.MAVEN, ("pom.xml", "*.pom"), _alone(jvm.read_pom)),
    Kind("package-resolved", Format.SWIFT, ("Package.resolved",), _alone(swift.read_package_resolved)),
    Kind(
        "inventory",
        None,
        ("*.inventory", "inventory.txt", "*-inventory.txt", "*.inventory.txt"),
        _alone(inventory.read_inventory),
    ),
)
KIND_NAMES = tuple(kind.name for kind in KINDS)
_BY_NAME = {kind.name: kind for kind in KINDS}


def kind_of(path: Path) -> Kind | None:
    """The kind a file is by its name; None when no name of the table fits."""
    for kind in KINDS:
        if any(fnmatch.fnmatchcase(path.name, pattern) for pattern in kind.patterns):
            return kind
    return None


def kind_named(name: str) -> Kind:
    return _BY_NAME[name]


def read_lockfile(path: Path, kind: Kind) -> list[Pinned]:
    """The versions `path` names, read as `kind`; `LockfileError` when it cannot be read as that."""
    try:
        raw = read_input(path)
    except OSError as exc:
        raise LockfileError(0, f"cannot read: {exc.strerror}") from None
    return parse_lockfile(raw, path, kind).pinned


def parse_lockfile(raw: bytes, path: Path, kind: Kind) -> Parsed:
    """The versions the bytes `raw` of the file `path` name, read as `kind`, and the other files read
    for them."""
    text = text_of(raw)
    try:
        return kind.read(text, path)
    except RecursionError:
        raise LockfileError(0, "nested too deeply to read") from None


__all__ = [
    "KINDS",
    "KIND_NAMES",
    "Kind",
    "LockfileError",
    "Parsed",
    "Pinned",
    "kind_named",
    "kind_of",
    "parse_lockfile",
    "read_lockfile",
]
