"""Cargo's `Cargo.lock` (versions 1 to 4): every `[[package]]` with a registry `source` (crates.io's or
another registry's, git or sparse index). Workspace members have no source; git sources protect nothing."""

from __future__ import annotations

from pathlib import Path

from reconciler.codeartifact import Format
from reconciler.lockfiles.base import Pinned, expect, load_toml, toml_table_lines


def read_cargo_lock(text: str, path: Path) -> list[Pinned]:
    data = load_toml(text)
    packages = data.get("package", [])
    expect(isinstance(packages, list), 1, "package is not an array of tables")
    lines = toml_table_lines(text, "package")
    found = []
    for index, package in enumerate(packages):
        line = lines[index] if index < len(lines) else 1
        expect(
            isinstance(package, dict) and isinstance(package.get("name"), str),
            line,
            f"[[package]] {index + 1} has no name",
        )
        source, version = package.get("source"), package.get("version")
        if (
            isinstance(source, str)
            and source.startswith(("registry+", "sparse+"))
            and isinstance(version, str)
        ):
            found.append(Pinned(Format.CARGO, None, package["name"], version, line))
    return found
