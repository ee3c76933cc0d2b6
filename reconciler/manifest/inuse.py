"""`protect_in_use`: the lockfiles and deployment files a manifest names, read into the versions each
entry must not take out of use.

Paths and globs are relative to the manifest file that names them (`**` reaches any depth). A file
that cannot be read or parsed is a problem of the manifest at the key that names it, followed by the
file's own `FILE:LINE`; a glob that matches no file is a warning (a literal path that does not exist is a problem). Each
file is read once however many entries and documents name it, and its bytes join the manifests'
digest, so a plan made from other lockfiles is not applied as if they were the same.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.codeartifact import Format, stored_name, stored_namespace
from reconciler.files import read_input, resolved
from reconciler.lockfiles import KIND_NAMES, Kind, LockfileError, Pinned, kind_named, kind_of, parse_lockfile
from reconciler.manifest.report import Report
from reconciler.manifest.yamlsource import LoadedDocument
from reconciler.models import InUseFile, Origin, in_use_version
from reconciler.problems import KeyPath, render_path

# Per package (namespace, name as stored): each version named, and where it is first named.
InUse = Mapping[tuple[str | None, str], Mapping[str, Origin]]
# One file read: where messages name it, the format its kind speaks for (None: any), the versions it names.
_Read = tuple[str, Format | None, list[Pinned]]
_NOTHING: InUse = {}


@dataclass
class InUseReader:
    """Reads the files of every `protect_in_use` of one set of manifests, each file once."""

    report: Report
    file_index: dict[str, int]
    # How the digest names a manifest: its path below the path given (see discovery.Source).
    relative: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    # Each file read, by its path as the digest names it: its bytes.
    read: dict[str, bytes] = field(default_factory=dict)
    _files: dict[tuple[str, int, str], list[_Read]] = field(default_factory=dict)
    _parsed: dict[tuple[Path, str], list[Pinned] | None] = field(default_factory=dict)
    _indexes: dict[tuple[tuple[tuple[str, int, str], ...], Format], InUse] = field(default_factory=dict)
    # How problems name each item: `FILE:LINE: field.path`.
    _where: dict[tuple[str, int, str], str] = field(default_factory=dict)

    def in_use(
        self,
        display: str,
        document: LoadedDocument,
        items: list[tuple[KeyPath, str | InUseFile]],
        format: Format,
    ) -> InUse:
        """The versions of `format` the files `items` (keys of `document` in the manifest `display`) name."""
        if not items:
            return _NOTHING
        keys = tuple(self._resolve(display, document, at, item) for at, item in items)
        for (at, _), key in zip(items, keys, strict=True):
            if at[0] != "protect_in_use":  # the entry's own (a document's: `check_document`)
                self._check_formats(key, {format}, f"this {format.value} entry")
        index = self._indexes.get((keys, format))
        if index is None:
            index = self._indexes[(keys, format)] = _index(
                [read for key in keys for read in self._files[key]], format
            )
        return index

    def check_document(
        self, display: str, document: LoadedDocument, shared: list[str | InUseFile], formats: set[Format]
    ) -> None:
        """A document-wide item must name a file of the format of one of the document's entries."""
        names = ", ".join(sorted(format.value for format in formats))
        for index, item in enumerate(shared):
            key = self._resolve(display, document, ("protect_in_use", index), item)
            self._check_formats(key, formats, f"the entries of this document ({names})")

    def _check_formats(self, key: tuple[str, int, str], formats: set[Format], entries: str) -> None:
        """An item whose files all speak for another format protects nothing: a mistake that would
        leave versions unprotected silently, so a problem (a glob may also match files of other
        formats, as long as one of them counts)."""
        files = self._files[key]
        if not files or any(kind_format is None or kind_format in formats for _, kind_format, _ in files):
            return
        display, line, _ = key
        shown = ", ".join(shown for shown, _, _ in files[:3]) + (", ..." if len(files) > 3 else "")
        spoken = ", ".join(
            sorted({kind_format.value for _, kind_format, _ in files if kind_format is not None})
        )
        self._problem(
            display,
            line,
            f"{self._where[key]}: {shown} names only {spoken} versions, so it protects nothing for {entries}",
        )

    def _resolve(
        self, display: str, document: LoadedDocument, at: KeyPath, item: str | InUseFile
    ) -> tuple[str, int, str]:
        line = document.line_of(at)
        key = (display, line, str(item))
        if key in self._files:
            return key
        pattern = item if isinstance(item, str) else item.path
        base = Path(display).parent
        # Problems are the manifest's, at the key that names the file: `FILE:LINE: field.path: ...`.
        where = self._where[key] = f"{display}:{line}: {render_path(at)}"
        if any(char in pattern for char in "*?["):
            matches = [
                name
                for name in sorted(glob.glob(pattern, root_dir=base, recursive=True))
                if (base / name).is_file()
            ]
            if not matches:
                self.warnings.append(f"{where}: {pattern!r} matches no file")
        else:
            matches = [pattern]
        found = []
        for name in matches:
            path = base / name
            shown = os.path.normpath(path)
            kind = kind_named(item.kind) if isinstance(item, InUseFile) else kind_of(path)
            if kind is None:
                self._problem(
                    display,
                    line,
                    f"{where}: cannot tell what kind of file {shown} is from its name; "
                    f"write {{path: {name}, kind: KIND}} with KIND one of {', '.join(KIND_NAMES)}",
                )
                continue
            pinned = self._parse(display, line, where, name, kind)
            if pinned is not None:
                found.append((shown, kind.format, pinned))
        self._files[key] = found
        return key

    def _parse(self, display: str, line: int, where: str, name: str, kind: Kind) -> list[Pinned] | None:
        path = Path(display).parent / name
        shown = os.path.normpath(path)
        cache = (resolved(path), kind.name)
        if cache in self._parsed:
            return self._parsed[cache]
        pinned: list[Pinned] | None = None
        try:
            raw = read_input(path)
            self.read[self._digest_name(display, path)] = raw
            pinned, included = parse_lockfile(raw, path, kind)
            # A file it includes decides what it pins as much as its own bytes do.
            for other, other_raw in included.items():
                self.read[self._digest_name(display, other)] = other_raw
        except OSError as exc:
            self._problem(display, line, f"{where}: {shown}: cannot read: {exc.strerror}")
        except LockfileError as exc:
            file = os.path.normpath(exc.path) if exc.path is not None else shown
            at = f"{file}:{exc.line}" if exc.line else file
            self._problem(display, line, f"{where}: {at}: cannot read as {kind.name}: {exc.message}")
        self._parsed[cache] = pinned
        return pinned

    def _digest_name(self, display: str, path: Path) -> str:
        """How the digest names a file the manifest `display` leads to: below the path given, as the
        manifests are, so that the digest does not depend on where the command runs from. A file
        named by absolute path keeps it. Compared as text (`relative_to`, not `relpath`): the
        directory the command runs from must not change the name."""
        try:
            below = path.relative_to(Path(display).parent)  # `base/../x` is `../x`
        except ValueError:
            return str(path)  # named by absolute path
        return os.path.normpath(Path(self.relative.get(display, display)).parent / below)

    def _problem(self, display: str, line: int, message: str) -> None:
        self.report.add(self.file_index[display], line, message)


def _index(files: list[_Read], format: Format) -> InUse:
    """The versions of `format` the files name, by package as CodeArtifact stores its name; the first
    file and line that names a version is the one messages cite."""
    index: dict[tuple[str | None, str], dict[str, Origin]] = {}
    for shown, _, pinned in files:
        for item in pinned:
            if item.format is not None and item.format is not format:
                continue
            namespace = stored_namespace(format, item.namespace)
            package = (namespace, stored_name(format, item.name))
            origin = Origin(os.path.normpath(item.path) if item.path is not None else shown, item.line)
            index.setdefault(package, {}).setdefault(in_use_version(format, item.version), origin)
    return index
