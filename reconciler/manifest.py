"""Read manifest files into the desired state, reporting every problem as `FILE:LINE: field.path: message`.

Every `*.yaml` / `*.yml` file under the given paths (files or directories) is read, recursively, in
sorted order; when walking a directory, files and directories whose names start with '.' are skipped
(a `.github/` folder holds YAML that is not a manifest). A file named on the command line is read
whatever its name. A file may hold several documents separated by `---`: empty documents are
skipped, and so are documents of kind `LocalSeed` (example data for the local CodeArtifact service,
see `reconciler.local.seed`), so that one folder can hold both.

All problems of all files are collected and raised together as one `ManifestError`: YAML syntax,
unreadable files, duplicate keys, unquoted version keys, aliases that expand a document beyond
`MAX_ALIAS_VALUES` values, schema violations, a `copy_from` naming the target repository itself
and the same package declared twice. Bad input never ends in a traceback.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from reconciler.errors import ManifestError
from reconciler.models import (
    API_VERSION,
    ERROR_AT,
    KIND,
    PATTERN_HINTS,
    DeclaredEntry,
    DesiredState,
    Manifest,
    Origin,
    PackageEntry,
    Pin,
    Rule,
    Target,
)

SUFFIXES = (".yaml", ".yml")
# Kinds of documents that live next to manifests but are read by other commands.
SKIPPED_KINDS = frozenset({"LocalSeed"})
SCHEMA_ID = "urn:reconciler:manifest:v1"

# A key's or item's place in a document: ("packages", 0, "rules", 2, "keep_latest").
KeyPath = tuple[str | int, ...]

# A document's target and its entries (with their positions in `packages`) that are valid.
_Parts = tuple[Target, list[tuple[int, PackageEntry]]]

# How many values aliases may add to one document when expanded. An alias repeats what its anchor
# holds, and nested aliases multiply: ten lines can stand for billions of values. Values written
# out once do not count, so a large manifest (an import of a big repository) is never refused.
MAX_ALIAS_VALUES = 200_000
TOO_LARGE = "document too large or too many aliases"

_MERGE_TAG = "tag:yaml.org,2002:merge"
_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


@dataclass
class LoadedDocument:
    """One YAML document as plain data, with the line of every key and item by its path."""

    data: Any
    line: int
    lines: dict[KeyPath, int] = field(default_factory=dict)
    # (line, "field.path: message") for what YAML itself lets pass: duplicate keys, unquoted versions.
    problems: list[tuple[int, str]] = field(default_factory=list)
    # Where a problem above left no value: the schema's complaints about those places are noise.
    broken: set[KeyPath] = field(default_factory=set)
    # Aliases expand to more than MAX_ALIAS_VALUES values: `data` is None and nothing else counts.
    too_large: bool = False

    def report(self, node: yaml.Node, path: KeyPath, message: str) -> None:
        self.problems.append((_line(node), f"{render_path(path)}: {message}"))
        self.broken.add(path)

    def line_of(self, path: KeyPath) -> int:
        """The line of `path`, or of its nearest enclosing key or item that was written."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return self.line


class LineLoader(yaml.SafeLoader):
    """A SafeLoader that builds plain data itself, so that it can record the line of every mapping key
    and sequence item, refuse duplicate keys (PyYAML keeps the last one silently) and keep version keys
    that YAML would read as numbers from being converted."""

    # The nodes of the current document built so far, and how many were built again through aliases.
    _built: set[int]
    _repeats: int

    def documents(self) -> Iterator[LoadedDocument]:
        """Every document of the stream, empty ones included (their `data` is None)."""
        while self.check_node():
            node = self.get_node()
            if node is None:
                continue
            document = LoadedDocument(data=None, line=_line(node))
            self._built = set()
            self._repeats = 0
            try:
                document.data = self._build(node, (), document, set())
            except _TooLarge:
                document = LoadedDocument(data=None, line=document.line, too_large=True)
            finally:
                self._built = set()
            yield document

    def _build(self, node: yaml.Node, path: KeyPath, document: LoadedDocument, active: set[int]) -> Any:
        if id(node) in active:
            document.report(node, path, "an alias refers to itself")
            return None
        if id(node) in self._built:
            # Built before: this is an alias (or lies below one) and adds a copy.
            self._repeats += 1
            if self._repeats > MAX_ALIAS_VALUES:
                raise _TooLarge
        else:
            self._built.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                return self.construct_object(node, deep=True)
            except yaml.YAMLError as exc:
                document.report(node, path, _yaml_problem(exc))
                return None
        if node.tag not in _COLLECTION_TAGS:
            document.report(node, path, f"YAML tag {node.tag} is not supported")
            return None
        active = active | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                document.lines[(*path, index)] = _line(item)
                items.append(self._build(item, (*path, index), document, active))
            return items
        assert isinstance(node, yaml.MappingNode)
        return self._build_mapping(node, path, document, active)

    def _build_mapping(
        self, node: yaml.MappingNode, path: KeyPath, document: LoadedDocument, active: set[int]
    ) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        # `<<: *defaults` first: explicit keys override merged ones, and the earlier of several merged
        # mappings wins (YAML's merge-key rule).
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in reversed(sources):
                    merged = self._build(source, path, document, active)
                    if isinstance(merged, dict):
                        result.update(merged)
                    else:
                        document.report(source, path, "<< merges mappings only")
        written: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            line = _line(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                document.report(key_node, path, "a key must be a plain value")
                continue
            key = self._key(key_node, path, document)
            key_path = (*path, key)
            if key in written:
                document.problems.append(
                    (line, f"{render_path(key_path)}: {_duplicate(path, key, written[key], line)}")
                )
                continue
            written[key] = line
            if key in result:
                for stale in [known for known in document.lines if known[: len(key_path)] == key_path]:
                    del document.lines[stale]
            document.lines[key_path] = line
            result[key] = self._build(value_node, key_path, document, active)
        return result

    def _key(self, node: yaml.ScalarNode, path: KeyPath, document: LoadedDocument) -> Any:
        try:
            key = self.construct_object(node)
        except yaml.YAMLError:
            key = node.value
        if isinstance(key, str):
            return key
        if _is_versions(path):
            message = (
                f'version keys must be quoted strings: write "{node.value}" '
                f"(YAML reads {node.value} as {describe(key)})"
            )
            document.problems.append((_line(node), f"{render_path((*path, node.value))}: {message}"))
        # Other mappings keep the key as written, so that the schema names it as the user wrote it.
        return node.value


class _TooLarge(Exception):
    """Aliases expand a document beyond MAX_ALIAS_VALUES values."""


def load_manifests(paths: Sequence[Path]) -> DesiredState:
    """Read, validate and cross-check every manifest under `paths`; raise `ManifestError` with all
    problems, in file and line order, if there is any."""
    report = _Report()
    sources = _discover(paths, report)
    digest = hashlib.sha256()
    files: list[str] = []
    documents: list[tuple[str, LoadedDocument, _Parts]] = []
    starts: list[Origin] = []
    for index, source in enumerate(sources):
        raw = _read(source, index, report)
        if raw is None:
            continue
        found = list(_validate_file(source.display, raw, index, report))
        if not found:
            continue  # no manifest in it (example data for the local service, say): not part of the digest
        digest.update(b"%s\0%d\0" % (source.relative.encode(), len(raw)))
        digest.update(raw)
        files.append(source.display)
        for document, parts in found:
            starts.append(Origin(source.display, document.line))
            if parts is not None:
                documents.append((source.display, document, parts))
    entries = _declared_entries(documents, {source.display: i for i, source in enumerate(sources)}, report)
    if not starts and not report.problems:
        names = ", ".join(str(path) for path in paths) or "no path"
        report.add(-1, 0, f"no manifest found in {names} (*.yaml and *.yml files of kind {KIND})")
    if report.problems:
        raise ManifestError(report.sorted())
    return DesiredState(
        entries=tuple(entries), digest=digest.hexdigest(), files=tuple(files), manifests=tuple(starts)
    )


def json_schema() -> dict[str, Any]:
    """The JSON Schema of one manifest document, for editors (yaml-language-server) and CI linters."""
    schema = Manifest.model_json_schema()
    schema.pop("title", None)
    schema.pop("description", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"reconciler manifest ({API_VERSION})",
        "description": "The lifecycle of AWS CodeArtifact package versions: one document per target repository.",
        **schema,
    }


def render_path(path: KeyPath) -> str:
    """`("packages", 0, "versions", "2.3.1")` -> `packages[0].versions["2.3.1"]`."""
    text = ""
    for position, part in enumerate(path):
        if isinstance(part, int):
            text += f"[{part}]"
        elif position > 0 and path[position - 1] == "versions":
            text += f"[{json.dumps(part)}]"
        else:
            text += f".{part}" if text else part
    return text or "document"


def describe(value: Any) -> str:
    """A value as a message shows it: 'Publishd', the number 1.1, a list, nothing."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


@dataclass(frozen=True)
class _Source:
    path: Path
    display: str  # as messages name it: the path given, joined with the path below it
    relative: str  # below the path given (a file given by name: its name); what the digest hashes


@dataclass
class _Report:
    problems: list[tuple[int, int, int, str]] = field(default_factory=list)

    def add(self, file_index: int, line: int, text: str) -> None:
        self.problems.append((file_index, line, len(self.problems), text))

    def sorted(self) -> list[str]:
        return [text for *_, text in sorted(self.problems)]


def _discover(paths: Sequence[Path], report: _Report) -> list[_Source]:
    found: dict[Path, _Source] = {}
    for given in paths:
        if given.is_dir():

            def unreadable(error: OSError) -> None:
                report.add(-1, 0, f"{error.filename}: cannot read: {error.strerror}")

            for folder, dirnames, filenames in os.walk(given, onerror=unreadable):
                dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
                for name in filenames:
                    if name.lower().endswith(SUFFIXES) and not name.startswith("."):
                        path = Path(folder, name)
                        relative = path.relative_to(given).as_posix()
                        found.setdefault(path.resolve(), _Source(path, str(path), relative))
        elif given.exists():
            found.setdefault(given.resolve(), _Source(given, str(given), given.name))
        else:
            report.add(-1, 0, f"{given}: no such file or directory")
    return sorted(found.values(), key=lambda source: source.path.parts)


def _read(source: _Source, index: int, report: _Report) -> bytes | None:
    try:
        return source.path.read_bytes()
    except OSError as exc:
        report.add(index, 0, f"{source.display}: cannot read: {exc.strerror}")
        return None


def _validate_file(
    display: str, raw: bytes, index: int, report: _Report
) -> Iterator[tuple[LoadedDocument, _Parts | None]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.add(index, 0, f"{display}: not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start})")
        return
    loader = LineLoader(text)
    try:
        for document in loader.documents():
            if document.too_large:
                report.add(index, document.line, f"{display}:{document.line}: {TOO_LARGE}")
                continue
            data = document.data
            if data is None or (isinstance(data, dict) and data.get("kind") in SKIPPED_KINDS):
                continue
            for line, problem in document.problems:
                report.add(index, line, f"{display}:{line}: {problem}")
            yield document, _validate_document(display, document, index, report)
    except yaml.YAMLError as exc:
        line = _error_line(exc, text)
        report.add(index, line, f"{display}:{line}: invalid YAML: {_yaml_problem(exc)}")
    finally:
        loader.dispose()


def _validate_document(display: str, document: LoadedDocument, index: int, report: _Report) -> _Parts | None:
    data = document.data
    if not isinstance(data, dict):
        report.add(
            index,
            document.line,
            f"{display}:{document.line}: a manifest is a mapping with apiVersion, kind, target and packages, "
            f"not {describe(data)}",
        )
        return None
    # Structural checks first: a document of another kind or version would only drown in schema errors.
    structural = False
    for key, expected in (("apiVersion", API_VERSION), ("kind", KIND)):
        if key not in data:
            message = "missing required key"
        elif data[key] != expected:
            message = f"expected {expected}, got {describe(data[key])}"
        else:
            continue
        line = document.line_of((key,))
        report.add(index, line, f"{display}:{line}: {key}: {message}")
        structural = True
    if structural:
        return None
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc: KeyPath = tuple(part for part in error["loc"] if part != "[key]")
            if error["type"] == ERROR_AT:
                loc = (*loc, *error["ctx"]["at"])
            if any(loc[: len(broken)] == broken for broken in document.broken):
                continue
            line = document.line_of(loc)
            report.add(index, line, f"{display}:{line}: {render_path(loc)}: {_humanize(error, loc)}")
        return _valid_parts(data)
    return manifest.target, list(enumerate(manifest.packages))


def _valid_parts(data: dict[Any, Any]) -> _Parts | None:
    # The entries of an invalid document that are valid on their own still take part in the
    # cross-document checks, so that one run reports a duplicate entry along with a typo.
    try:
        target = Target.model_validate(data.get("target"))
    except ValidationError:
        return None
    entries: list[tuple[int, PackageEntry]] = []
    packages = data.get("packages")
    for position, item in enumerate(packages if isinstance(packages, list) else []):
        try:
            entries.append((position, PackageEntry.model_validate(item)))
        except ValidationError:
            continue
    return target, entries


def _declared_entries(
    documents: list[tuple[str, LoadedDocument, _Parts]], file_index: dict[str, int], report: _Report
) -> list[DeclaredEntry]:
    entries: list[DeclaredEntry] = []
    seen: dict[tuple[Any, ...], Origin] = {}
    owners = _domain_owners(documents, file_index, report)
    for display, document, (written, packages) in documents:
        target = written
        if target.domain_owner is None and owners.get(target.domain):
            # One domain name is one domain: an owner written in one manifest applies to all of them,
            # so `acme/prod` is the same repository whether or not a file spells the owner out.
            target = target.model_copy(update={"domain_owner": owners[target.domain]})
        for position, entry in packages:
            origin = Origin(display, document.line_of(("packages", position)))
            pin_origins = {
                version: Origin(display, document.line_of(("packages", position, "versions", version)))
                for version in entry.versions
            }
            rule_origins = tuple(
                Origin(display, document.line_of(("packages", position, "rules", index)))
                for index in range(len(entry.rules))
            )
            for where in _copies_from_itself(entry, target, position):
                line = document.line_of(where)
                report.add(
                    file_index[display],
                    line,
                    f"{display}:{line}: {render_path(where)}: cannot copy from the target repository itself",
                )
            identity = (target.domain, target.repository, *_package_identity(entry))
            first = seen.setdefault(identity, origin)
            if first is not origin:
                message = f"{_entry_label(entry, target)} is also declared at {first}"
                report.add(file_index[display], origin.line, f"{origin}: packages[{position}]: {message}")
            entries.append(DeclaredEntry(target, entry, origin, pin_origins, rule_origins))
    return entries


def _copies_from_itself(entry: PackageEntry, target: Target, position: int) -> Iterator[KeyPath]:
    """The `copy_from` keys of `entry` that name its own target repository: nothing to copy."""
    for version, pin in entry.versions.items():
        if pin.copy_from == target.repository:
            yield ("packages", position, "versions", version, "copy_from")
    for index, rule in enumerate(entry.rules):
        if rule.copy_from == target.repository:
            yield ("packages", position, "rules", index, "copy_from")


def _domain_owners(
    documents: list[tuple[str, LoadedDocument, _Parts]], file_index: dict[str, int], report: _Report
) -> dict[str, str]:
    """The owner each domain is given; a domain given two different owners is a problem."""
    owners: dict[str, tuple[str, Origin]] = {}
    for display, document, (target, _) in documents:
        if target.domain_owner is None:
            continue
        origin = Origin(display, document.line_of(("target", "domain_owner")))
        first = owners.setdefault(target.domain, (target.domain_owner, origin))
        if first[0] != target.domain_owner:
            report.add(
                file_index[display],
                origin.line,
                f"{origin}: target.domain_owner: domain {target.domain} is owned by {first[0]} at {first[1]}; "
                "one domain name must have one owner in a set of manifests",
            )
    return {domain: owner for domain, (owner, _) in owners.items()}


def _package_identity(entry: PackageEntry) -> tuple[str, str | None, bool, str]:
    name = entry.name
    if not entry.is_glob:
        # CodeArtifact stores PyPI names PEP 503-normalized and NuGet names lowercased.
        if entry.format == "pypi":
            name = re.sub(r"[-_.]+", "-", name).lower()
        elif entry.format == "nuget":
            name = name.lower()
    return (entry.format.value, entry.namespace, entry.is_glob, name)


def _entry_label(entry: PackageEntry, target: Target) -> str:
    where = f"{target.domain}/{target.repository}"
    if entry.is_glob:
        scope = f", namespace {entry.namespace}" if entry.namespace else ""
        return f"glob {entry.name} ({entry.format.value}{scope}) in {where}"
    name = f"{entry.namespace}/{entry.name}" if entry.namespace else entry.name
    return f"{entry.format.value} package {name} in {where}"


_EXPECTED_TYPE = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
}
_ONE_OR_MANY = {"match": "a glob or a list of globs", "protect": "a range or a list of ranges"}


def _humanize(error: Any, loc: KeyPath) -> str:
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    if kind == ERROR_AT:
        return str(ctx["message"])
    if kind == "missing":
        return "missing required key"
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind in ("literal_error", "enum"):
        return _expected_one_of(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))), value)
    if kind in ("value_error", "assertion_error"):
        return str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in PATTERN_HINTS:
        return f"expected {PATTERN_HINTS[ctx['pattern']]}, got {describe(value)}"
    if kind in _EXPECTED_TYPE:
        expected = _EXPECTED_TYPE[kind]
        if kind == "model_type" and len(loc) >= 2 and loc[-2] == "versions":
            expected = "a status (Published, Unlisted, Archived, Disposed) or a mapping with status"
        elif kind == "list_type" and loc and loc[-1] in _ONE_OR_MANY:
            expected = _ONE_OR_MANY[str(loc[-1])]
        elif kind == "list_type" and loc and loc[-1] == "current":
            expected = "a status or a list of statuses"
        hint = "; quote it" if kind == "string_type" and isinstance(value, int | float | dt.date) else ""
        return f"expected {expected}, got {describe(value)}{hint}"
    return str(error["msg"])


def _expected_one_of(choices: list[str], value: Any) -> str:
    text = f"expected {choices[0]}" if len(choices) == 1 else f"expected one of {', '.join(choices)}"
    text += f", got {describe(value)}"
    if not isinstance(value, str):
        return text
    if value.lower() in ("unfinished", "deleted"):
        return f"{text} ({value.capitalize()} cannot be declared)"
    close = [choice for choice in choices if choice.lower() == value.lower()]
    close = close or difflib.get_close_matches(value, choices, n=1, cutoff=0.75)
    return f"{text} (did you mean {close[0]}?)" if close else text


def _unknown_key(loc: KeyPath) -> str:
    model = _model_at(loc[:-1])
    if model is None:
        return "unknown key"
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key (did you mean {close[0]}?)"
    return f"unknown key; the keys here are {', '.join(allowed)}"


def _model_at(path: KeyPath) -> type[BaseModel] | None:
    shape = tuple("#" if isinstance(part, int) else part for part in path)
    if len(shape) == 4 and shape[:3] == ("packages", "#", "versions"):
        return Pin
    models: dict[tuple[str, ...], type[BaseModel]] = {
        (): Manifest,
        ("target",): Target,
        ("packages", "#"): PackageEntry,
        ("packages", "#", "rules", "#"): Rule,
    }
    return models.get(shape)


def _is_versions(path: KeyPath) -> bool:
    return len(path) == 3 and path[0] == "packages" and isinstance(path[1], int) and path[2] == "versions"


def _duplicate(path: KeyPath, key: Any, first: int, line: int) -> str:
    if _is_versions(path):
        return f"version {key} is pinned twice, at lines {first} and {line}"
    return f"duplicate key, first given at line {first}"


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


# What usually causes PyYAML's terser complaints.
_YAML_HINTS = {
    "expected <block end>": "check the indentation of this line against the lines above",
    "mapping values are not allowed here": "quote a value that contains ': '",
    "cannot start any token": "indent with spaces, not tabs, and quote values starting with @ or `",
    "found duplicate anchor": "give each anchor (&name) a new name",
    "found undefined alias": "define the anchor (&name) before its alias (*name)",
}


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if not isinstance(exc, yaml.MarkedYAMLError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = exc.problem or exc.context or "unreadable"
    if exc.problem_mark is not None:
        text += f" (column {exc.problem_mark.column + 1})"
    if exc.problem and exc.context and exc.context_mark is not None:
        text += f", {exc.context} at line {exc.context_mark.line + 1}"
    hints = [hint for clue, hint in _YAML_HINTS.items() if clue in text]
    return f"{text}: {hints[0]}" if hints else text


def _error_line(exc: yaml.YAMLError, text: str) -> int:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        return int(exc.problem_mark.line) + 1
    position = getattr(exc, "position", None)
    return text.count("\n", 0, position) + 1 if isinstance(position, int) else 1
