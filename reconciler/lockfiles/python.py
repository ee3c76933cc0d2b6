"""Python's lockfiles: `poetry.lock`, `uv.lock`, `Pipfile.lock`, `pylock.toml` (PEP 751) and
requirements files with exact `==` pins (pip-compile's output, `pip freeze`).

Names are kept as written; the comparison with a manifest's names normalises both (PEP 503). A
package from a directory, a git checkout or a URL protects nothing: it was never a registry version.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from reconciler.codeartifact import Format
from reconciler.files import read_input, resolved
from reconciler.lockfiles.base import (
    LockfileError,
    Parsed,
    Pinned,
    expect,
    json_lines,
    load_json,
    load_toml,
    text_of,
    toml_table_lines,
)

# Poetry's non-registry source types (a `legacy` source is a private index: a registry).
_POETRY_LOCAL = frozenset({"directory", "file", "git", "url"})
# uv's sources that are not an index.
_UV_LOCAL = frozenset({"editable", "virtual", "path", "directory", "git", "url"})
# PEP 751's keys for a package that does not come from an index.
_PYLOCK_LOCAL = ("vcs", "directory", "archive")


def _tables(text: str, table: str) -> tuple[list[Any], list[int]]:
    data = load_toml(text)
    packages = data.get(table, [])
    expect(isinstance(packages, list), 1, f"{table} is not an array of tables")
    return packages, toml_table_lines(text, table)


def _from_tables(text: str, table: str, is_local: Any) -> list[Pinned]:
    packages, lines = _tables(text, table)
    found = []
    for index, package in enumerate(packages):
        line = lines[index] if index < len(lines) else 1
        expect(isinstance(package, dict), line, f"[[{table}]] {index + 1} is not a table")
        name, version = package.get("name"), package.get("version")
        expect(isinstance(name, str), line, f"[[{table}]] {index + 1} has no name")
        if isinstance(version, str) and not is_local(package):
            found.append(Pinned(Format.PYPI, None, name, version, line))
    return found


def read_poetry_lock(text: str, path: Path) -> list[Pinned]:
    def is_local(package: dict[str, Any]) -> bool:
        source = package.get("source")
        return isinstance(source, dict) and source.get("type") in _POETRY_LOCAL

    return _from_tables(text, "package", is_local)


def read_uv_lock(text: str, path: Path) -> list[Pinned]:
    def is_local(package: dict[str, Any]) -> bool:
        source = package.get("source")
        return isinstance(source, dict) and bool(_UV_LOCAL & source.keys())

    return _from_tables(text, "package", is_local)


def read_pylock(text: str, path: Path) -> list[Pinned]:
    data_version = load_toml(text).get("lock-version")
    expect(data_version is not None, 1, "not a pylock.toml: no lock-version")
    return _from_tables(text, "packages", lambda package: any(key in package for key in _PYLOCK_LOCAL))


def read_pipfile_lock(text: str, path: Path) -> list[Pinned]:
    data = load_json(text)
    expect(isinstance(data, dict) and "_meta" in data, 1, "not a Pipfile.lock: no _meta")
    lines = json_lines(text)
    found = []
    for group, packages in data.items():
        if group == "_meta" or not isinstance(packages, dict):
            continue
        for name, meta in packages.items():
            line = lines.get((group, name), 1)
            version = meta.get("version") if isinstance(meta, dict) else None
            # Editable, path and git entries have no version.
            if isinstance(version, str) and version.startswith("=="):
                found.append(Pinned(Format.PYPI, None, name, version[2:], line))
    return found


# --- requirements files

_OPTION_ARGUMENT = re.compile(r"\s--?[a-z][a-z-]*(?:[= ]\S+)?")
_INCLUDE = re.compile(r"^(?:-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(\S+)")
# Lines that are not a requirement of an index: options, editable or local paths, URLs.
_NOT_A_PIN = re.compile(r"^(?:-|\.|/|[a-z][a-z0-9+.-]*://)", re.IGNORECASE)
MAX_INCLUDE_DEPTH = 20


def read_requirements_and_includes(text: str, path: Path) -> Parsed:
    """The pins, and the bytes of every file the `-r`/`-c` includes read (by path, as the pins name
    it): they decide what the file pins as much as its own text does."""
    included: dict[Path, bytes] = {}
    return Parsed(_requirements(text, path, None, [resolved(path)], included), included)


def _requirements(
    text: str, path: Path, shown: Path | None, seen: list[Path], included: dict[Path, bytes]
) -> list[Pinned]:
    found = []
    for number, line in _logical_lines(text):
        include = _INCLUDE.match(line)
        if include is not None:
            found.extend(_included(path, shown, number, include.group(1), seen, included))
            continue
        if _NOT_A_PIN.match(line):
            continue
        # `--hash=...` and other per-requirement options follow the requirement.
        requirement_text = _OPTION_ARGUMENT.split(" " + line, maxsplit=1)[0].strip()
        try:
            requirement = Requirement(requirement_text)
        except InvalidRequirement as exc:
            raise LockfileError(number, f"not a requirement: {exc}", shown) from None
        specifiers = list(requirement.specifier)
        if requirement.url is None and len(specifiers) == 1:
            spec = specifiers[0]
            if spec.operator in ("==", "===") and not spec.version.endswith(".*"):
                found.append(Pinned(Format.PYPI, None, requirement.name, spec.version, number, shown))
    return found


def _included(
    path: Path, shown: Path | None, line: int, name: str, seen: list[Path], included: dict[Path, bytes]
) -> list[Pinned]:
    """A `-r` or `-c` file, relative to the file that names it (as pip reads it)."""
    target = (shown or path).parent / name
    if "://" in name:
        return []  # a URL: not read
    where = resolved(target)
    if where in seen:
        return []  # an include cycle: its pins are already counted
    if len(seen) > MAX_INCLUDE_DEPTH:
        raise LockfileError(line, f"-r includes nest deeper than {MAX_INCLUDE_DEPTH} files", shown)
    try:
        raw = read_input(target)
        text = text_of(raw)  # as the file naming it is read: a byte-order mark is no requirement
    except OSError as exc:
        raise LockfileError(line, f"cannot read included {name}: {exc.strerror}", shown) from None
    except LockfileError as exc:
        raise LockfileError(line, f"cannot read included {name}: {exc.message}", shown) from None
    included[target] = raw
    return _requirements(text, path, target, [*seen, where], included)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Requirement lines as pip joins them (a trailing backslash continues), comments removed, each
    with the line it starts at."""
    lines: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        text_line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        continued = text_line.endswith("\\")
        text_line = text_line.removesuffix("\\")
        start, joined = pending if pending is not None else (number, "")
        joined = f"{joined} {text_line}".strip()
        if continued:
            pending = (start, joined)
            continue
        pending = None
        if joined:
            lines.append((start, joined))
    if pending is not None and pending[1]:
        lines.append(pending)
    return lines
