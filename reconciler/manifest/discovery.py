"""Which files are manifests, in which order they are read, and their bytes.

Every `*.yaml` / `*.yml` file under a directory is a candidate, recursively, in sorted order; files and
directories whose names start with '.' are skipped (a `.github/` folder holds YAML that is not a
manifest). A file named on the command line is read whatever its name. A file reached twice (named
and inside a named directory, or through a link) is read once.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.files import read_input, resolved
from reconciler.manifest.report import Report

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Source:
    """One file to read."""

    path: Path
    display: str  # as messages name it: the path given, joined with the path below it
    relative: str  # below the path given (a file given by name: its name); what the digest hashes


def discover(paths: Sequence[Path], report: Report) -> list[Source]:
    """The files to read under `paths`, in reading order; a path that is missing or a directory that
    cannot be listed is a problem."""
    found: dict[Path, Source] = {}
    for given in paths:
        try:
            mode = given.stat().st_mode
        except OSError as exc:
            # There and unreachable (a symbolic link loop, a folder that cannot be searched) is not
            # "no such file" (and `is_dir()` would raise for a folder that cannot be searched).
            missing = exc.errno == errno.ENOENT
            report.add(
                -1,
                0,
                f"{given}: {'no such file or directory' if missing else f'cannot read: {exc.strerror}'}",
            )
            continue
        if stat.S_ISDIR(mode):
            for source in _walk(given, report):
                found.setdefault(resolved(source.path), source)
        else:
            found.setdefault(resolved(given), Source(given, str(given), given.name))
    return sorted(found.values(), key=lambda source: source.path.parts)


def _walk(given: Path, report: Report) -> list[Source]:
    def unreadable(error: OSError) -> None:
        report.add(-1, 0, f"{error.filename}: cannot read: {error.strerror}")

    sources: list[Source] = []
    for folder, dirnames, filenames in os.walk(given, onerror=unreadable):
        dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
        for name in filenames:
            if name.lower().endswith(SUFFIXES) and not name.startswith("."):
                path = Path(folder, name)
                sources.append(Source(path, str(path), path.relative_to(given).as_posix()))
    return sources


def read(source: Source, index: int, report: Report) -> bytes | None:
    """The bytes of `source`, the `index`th file read; None, and a problem, if it cannot be read."""
    try:
        return read_input(source.path)
    except OSError as exc:
        report.add(index, 0, f"{source.display}: cannot read: {exc.strerror}")
        return None
