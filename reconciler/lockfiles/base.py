"""What every lockfile reader gives and how it fails: package versions with the line that names them.

Each reader takes a file's text and returns `Pinned` values; a file it cannot make sense of raises
`LockfileError` with the line to look at. The parsing itself is left to well-kept parsers (`json`,
`tomllib`, PyYAML, `packaging`, expat); what they do not give, the line of an entry, is found by a
light scan of the text (`json_lines`, `toml_table_lines`).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from reconciler.codeartifact import Format

KeyPath = tuple[str | int, ...]


class Pinned(NamedTuple):
    """One package version a file names. `format` is None when the file does not say (an inventory
    line): it then speaks for whichever format the entry that reads it has. `path` is set when the
    line is in another file than the one read (a requirements file's `-r` include)."""

    format: Format | None
    namespace: str | None
    name: str
    version: str
    line: int
    path: Path | None = None


class LockfileError(Exception):
    """A file that cannot be read as the kind it was taken for, at `line` (0: the whole file) of
    `path` (None: the file read)."""

    def __init__(self, line: int, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.path = path


class Parsed(NamedTuple):
    """What a file names, and every other file read to know it (a requirements file's `-r`
    includes; by path, with its bytes: they join the manifests' digest)."""

    pinned: list[Pinned]
    included: dict[Path, bytes]


# A reader: the file's text and its path (for files that include others) to what it names.
Reader = Callable[[str, Path], Parsed]


def npm_identity(name: str) -> tuple[str | None, str]:
    """An npm name as CodeArtifact splits it: `@scope/name` is namespace `scope`, name `name`."""
    if name.startswith("@") and "/" in name:
        scope, _, bare = name[1:].partition("/")
        return scope, bare
    return None, name


# --- JSON


def text_of(raw: bytes) -> str:
    """A file's text: UTF-8, with or without the byte-order mark some editors write; a byte that is
    not UTF-8 is a `LockfileError` at its line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise LockfileError(
            line, f"not UTF-8 text: byte {raw[exc.start]:#04x} at offset {exc.start}"
        ) from None


def load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockfileError(exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})") from None


# Strings (JSON strings hold no raw newline), the structural characters, and newlines to count lines.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,\n]')


def json_lines(text: str) -> dict[KeyPath, int]:
    """The line of every object key and of every array item that is an object or an array, by its
    path, in a text `json.loads` has already accepted. A scan of tokens, not a second parser: the
    standard decoder keeps no positions."""
    lines: dict[KeyPath, int] = {}
    # Per open container: its path, whether it is an array, the index of the current item, the last key.
    frames: list[list[Any]] = []
    line = 1
    last: tuple[str, int] = ("", 0)
    for found in _JSON_TOKEN.finditer(text):
        token = found.group()
        char = token[0]
        if char == "\n":
            line += 1
        elif char == '"':
            last = (token, line)
        elif char == ":":
            frame = frames[-1]
            frame[3] = json.loads(last[0])
            lines.setdefault((*frame[0], frame[3]), last[1])
        elif char in "{[":
            path: KeyPath = ()
            if frames:
                parent = frames[-1]
                path = (*parent[0], parent[2] if parent[1] else parent[3])
                if parent[1]:
                    lines.setdefault(path, line)
            frames.append([path, char == "[", 0, None])
        elif char in "}]":
            frames.pop()
        elif char == "," and frames[-1][1]:
            frames[-1][2] += 1
    return lines


# --- TOML

_TOML_AT = re.compile(r"\(at line (\d+)")


def load_toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_AT.search(str(exc))
        raise LockfileError(int(found.group(1)) if found else 0, f"invalid TOML: {exc}") from None


def toml_table_lines(text: str, table: str) -> list[int]:
    """For each `[[table]]` of an array of tables, in order, the line of its `name = ` key (or of the
    header when it has none before the next table): the line a reader looks for."""
    header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]\s*(#.*)?$")
    any_header = re.compile(r"^\s*\[")
    name = re.compile(r"^\s*name\s*=")
    found: list[int] = []
    inside = False
    for number, text_line in enumerate(text.splitlines(), start=1):
        if header.match(text_line):
            found.append(number)
            inside = True
        elif any_header.match(text_line):
            inside = False
        elif inside and name.match(text_line):
            found[-1] = number
            inside = False
    return found


# --- YAML

_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose_yaml(text: str) -> yaml.Node | None:
    """The YAML node tree of `text` (libyaml's parser when PyYAML has it): nodes keep their lines."""
    try:
        return yaml.compose(text, Loader=_YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise LockfileError(line, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise LockfileError(0, f"invalid YAML: {exc}") from None


def mapping_items(node: yaml.Node | None) -> list[tuple[str, yaml.Node, int]]:
    """The (key, value node, line of the key) of a mapping node whose keys are scalars; [] for anything else."""
    if not isinstance(node, yaml.MappingNode):
        return []
    return [
        (str(key.value), value, key.start_mark.line + 1)
        for key, value in node.value
        if isinstance(key, yaml.ScalarNode)
    ]


def child(node: yaml.Node | None, name: str) -> yaml.Node | None:
    for key, value, _ in mapping_items(node):
        if key == name:
            return value
    return None


def scalar(node: yaml.Node | None) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def expect(condition: bool, line: int, message: str) -> None:
    """A structure a reader relies on: a file without it is not of that kind."""
    if not condition:
        raise LockfileError(line, message)
