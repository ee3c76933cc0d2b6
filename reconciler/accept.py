"""Accepting drift: pins for the live status of drifted versions, written into the manifests.

`reconciler drift PATHS --accept` records what someone changed by hand: each drifted version gets a
pin to its live status in the entry that decided it, so the next plan leaves it alone. The edit is a
splice: ruamel.yaml's round-trip composer locates every node (its exact start and end in the text,
its style, its anchor), and only the characters of the pins change; every other byte of the file
stays as it was. (A full ruamel.yaml round trip would re-emit flow mappings and drop the blank line
before a `---`.) Each edited file is read back and must hold exactly the data it held plus the pins.

What cannot be pinned is refused with its `FILE:LINE` before any file is written: a glob entry (a pin
there would apply to every package it matches), a flow-style entry or `versions` mapping that would
need a new key, an anchored or aliased node (the edit would change every place that uses it), a
merge key. Versions that no pin can describe are left and reported: a promotion missing from its
target (a pin cannot declare a version absent) and a live status a manifest cannot declare
(Unfinished, Deleted).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.addresses import PackageRef
from reconciler.codeartifact import DECLARABLE_STATUSES, Status
from reconciler.drift import DriftItem, DriftKind
from reconciler.errors import ReconcilerError
from reconciler.manifest.writing import document_head
from reconciler.models import DeclaredEntry

_AT_LINE = re.compile(r"line (\d+): ")
MERGE_TAG = "tag:yaml.org,2002:merge"


class AcceptRefused(ReconcilerError):
    """Pins that cannot be written; every problem names the FILE:LINE to edit by hand."""

    def __init__(self, problems: list[str]) -> None:
        count = len(problems)
        super().__init__(
            f"cannot accept the drift: {count} entr{'ies' if count != 1 else 'y'} cannot be pinned; "
            "no file was changed",
            "\n".join(problems),
        )
        self.problems = problems


@dataclass(frozen=True)
class Pin:
    """One pin to write: `version: status` in the entry declared at `entry.origin`."""

    package: PackageRef
    version: str
    status: Status
    entry: DeclaredEntry


@dataclass
class Acceptance:
    """What accepting a drift report comes to: the pins, and the drifted versions no pin describes."""

    pins: list[Pin] = field(default_factory=list)
    left: list[tuple[DriftItem, str]] = field(default_factory=list)  # item, why


def pins_for(items: Iterable[DriftItem], deciders: Mapping[PackageRef, DeclaredEntry]) -> Acceptance:
    """The pin of each drifted version's live status, in the entry that decides its package."""
    acceptance = Acceptance()
    for item in items:
        entry = deciders.get(item.package)
        if item.kind is DriftKind.MISSING or item.live is None:
            acceptance.left.append(
                (item, f"not in {item.package.repository}: a pin cannot declare a version absent")
            )
        elif item.live not in DECLARABLE_STATUSES:
            acceptance.left.append((item, f"live {item.live}: a manifest cannot declare {item.live}"))
        elif entry is None:
            acceptance.left.append((item, "no entry of the manifests decides this package"))
        else:
            acceptance.pins.append(Pin(item.package, item.version, item.live, entry))
    return acceptance


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


def _yaml() -> YAML:
    return YAML(typ="rt", pure=True)


def edit_file(display: str, text: str, pins: list[Pin]) -> tuple[str, list[str]]:
    """`text` (the file `display`) with `pins` written into their entries, and the problems that
    refused them (then the text is unchanged)."""
    body = text.removeprefix("\ufeff")
    bom = text[: len(text) - len(body)]
    newline = "\r\n" if "\r\n" in body else "\n"
    try:
        documents = list(_yaml().compose_all(body))
    except YAMLError as exc:
        return text, [f"{display}: cannot be read for editing: {exc}"]
    by_entry: dict[int, list[Pin]] = {}
    for pin in pins:
        by_entry.setdefault(pin.entry.origin.line, []).append(pin)
    edits: list[_Edit] = []
    problems: list[str] = []
    expected: dict[tuple[int, int], dict[str, Status]] = {}
    for line, entry_pins in sorted(by_entry.items()):
        where = f"{display}:{line}"
        found = _find_entry(documents, line)
        if found is None:
            problems.append(f"{where}: the entry is not where the manifests were read from; run again")
            continue
        document_index, position, node = found
        problem = _entry_problem(node, entry_pins[0].entry, documents[document_index])
        if problem is not None:
            problems.append(f"{where}: {problem}")
            continue
        wanted = {pin.version: pin.status for pin in entry_pins}
        made, problem = _entry_edits(body, node, wanted, newline)
        if problem is not None:
            # A problem at a line of its own (`line 9: ...`) is named by that line.
            at = _AT_LINE.search(problem)
            if at is not None:
                where, problem = f"{display}:{at.group(1)}", problem[: at.start()] + problem[at.end() :]
            problems.append(f"{where}: {problem}")
            continue
        edits += made
        expected[(document_index, position)] = wanted
    if problems:
        return text, problems
    edited = body
    for edit in sorted(edits, key=lambda edit: (edit.start, edit.end), reverse=True):
        edited = edited[: edit.start] + edit.text + edited[edit.end :]
    if not _reads_back(body, edited, expected):
        return text, [
            f"{display}: the pins could not be written without changing anything else; add them by hand"
        ]
    return bom + edited, []


def _find_entry(documents: list[Node], line: int) -> tuple[int, int, MappingNode] | None:
    """The package entry whose first line is `line` (1-based): its document, position and node."""
    for document_index, document in enumerate(documents):
        packages = _value(document, "packages")
        if not isinstance(packages, SequenceNode):
            continue
        for position, item in enumerate(packages.value):
            if not isinstance(item, MappingNode):
                continue
            # The entry's line is where the item starts, or (after an anchor on a line of its own)
            # where its first key is.
            first_key = item.value[0][0].start_mark.line + 1 if item.value else None
            if line in (item.start_mark.line + 1, first_key):
                return document_index, position, item
    return None


def _value(node: Node | None, key: str) -> Node | None:
    found = _item(node, key)
    return found[1] if found is not None else None


def _item(node: Node | None, key: str) -> tuple[Node, Node] | None:
    if not isinstance(node, MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _entry_problem(node: MappingNode, declared: DeclaredEntry, document: Node) -> str | None:
    if _value(_value(document, "target"), "repositories") is not None:
        return (
            "the entry's document lists several repositories (target.repositories): a pin here would "
            f"apply to each of them, not only to {declared.target.repository}; write the pin by hand"
        )
    if declared.entry.is_glob:
        return (
            f"glob entry {declared.entry.name!r}: a pin here would apply to every package it matches; "
            "give the package an exact entry, or use --accept-into FILE"
        )
    if node.anchor is not None:
        return "the entry is anchored (&): a pin would change every alias of it too"
    if any(key.tag == MERGE_TAG for key, _ in node.value):
        return "the entry uses a merge key (<<): write the pins by hand"
    return None


def _entry_edits(
    text: str, entry: MappingNode, wanted: dict[str, Status], newline: str
) -> tuple[list[_Edit], str | None]:
    """The edits that write `wanted` into `entry`, or why they cannot be made."""
    item = _item(entry, "versions")
    versions = item[1] if item is not None else None
    edits: list[_Edit] = []
    new: dict[str, Status] = {}
    if isinstance(versions, MappingNode):
        if versions.anchor is not None:
            return (
                [],
                f"line {versions.start_mark.line + 1}: versions is anchored (&): write the pins by hand",
            )
        existing = {key.value: (key, value) for key, value in versions.value if isinstance(key, ScalarNode)}
        for version, status in wanted.items():
            if version not in existing:
                new[version] = status
                continue
            key, value = existing[version]
            edit, problem = _status_edit(value, status)
            if edit is None:
                return [], f"line {key.start_mark.line + 1}: pin {version!r}: {problem}"
            edits.append(_keeping_comment_column(text, edit))
        if not new:
            return edits, None
        if versions.flow_style:
            return (
                [],
                f"line {versions.start_mark.line + 1}: versions is a flow-style mapping ({{...}}); write the pins by hand",
            )
        assert item is not None
        key_line_end = _line_end(text, item[0].end_mark.index)
        indent = " " * versions.start_mark.column
        return [*edits, _Edit(key_line_end, key_line_end, _pin_lines(indent, new, newline))], None
    if versions is not None and not (
        isinstance(versions, ScalarNode) and str(versions.tag).endswith(":null")
    ):
        return [], f"line {versions.start_mark.line + 1}: versions is not a mapping"
    if entry.flow_style:
        return [], "the entry is a flow-style mapping ({...}); write the pins by hand"
    key_column = entry.start_mark.column
    if item is not None:  # `versions:` with nothing after it
        after = _line_end(text, item[0].end_mark.index)
        return [_Edit(after, after, _pin_lines(" " * (key_column + 2), wanted, newline))], None
    name = _value(entry, "name")
    if name is None or name.start_mark.line != name.end_mark.line:
        return [], "the entry's name is not on one line; write the pins by hand"
    after = _line_end(text, name.end_mark.index)
    block = f"{' ' * key_column}versions:{newline}" + _pin_lines(" " * (key_column + 2), wanted, newline)
    return [_Edit(after, after, block)], None


def _status_edit(value: Node, status: Status) -> tuple[_Edit | None, str | None]:
    """The edit that makes an existing pin say `status`."""
    if value.anchor is not None:
        return None, "the pin is anchored or an alias; write it by hand"
    if isinstance(value, MappingNode):
        inner = _value(value, "status")
        if inner is None:
            return None, "the pin has no status"
        value = inner
        if value.anchor is not None:
            return (
                None,
                "the status is anchored or an alias; write it by hand",
            )
    if not isinstance(value, ScalarNode):
        return None, "the pin is not a status"
    return _Edit(value.start_mark.index, value.end_mark.index, str(status)), None


def _keeping_comment_column(text: str, edit: _Edit) -> _Edit:
    """The edit, taking or giving the spaces before a comment that follows on the line, so that the
    comment stays in its column (`"2.3.1": Archived    # why` -> `"2.3.1": Published   # why`)."""
    spaces = len(text[edit.end :]) - len(text[edit.end :].lstrip(" "))
    if not spaces or text[edit.end + spaces : edit.end + spaces + 1] != "#":
        return edit
    kept = spaces - (len(edit.text) - (edit.end - edit.start))
    return _Edit(edit.start, edit.end + spaces, edit.text + " " * max(1, kept))


def _pin_lines(indent: str, pins: dict[str, Status], newline: str) -> str:
    # A JSON string is a YAML double-quoted scalar: the version stays a string whatever it looks like.
    return "".join(f"{indent}{json.dumps(version)}: {status}{newline}" for version, status in pins.items())


def _line_end(text: str, index: int) -> int:
    """The index just past the end of the line holding `index`."""
    found = text.find("\n", index)
    return len(text) if found < 0 else found + 1


def _reads_back(before: str, after: str, expected: dict[tuple[int, int], dict[str, Status]]) -> bool:
    """Whether `after` holds exactly the data of `before` with the pins set. Every scalar is read as
    its text (the base loader), as the manifests read version keys: `1.10` is not the number 1.1."""
    loader = YAML(typ="base", pure=True)
    try:
        old = list(loader.load_all(before))
        new = list(loader.load_all(after))
    except YAMLError:
        return False
    wanted: list[Any] = copy.deepcopy(old)
    for (document, position), pins in expected.items():
        entry = wanted[document]["packages"][position]
        versions = entry.get("versions") or {}
        for version, status in pins.items():
            pin = versions.get(version)
            if isinstance(pin, dict):
                pin["status"] = str(status)
            else:
                versions[version] = str(status)
        entry["versions"] = versions
    return bool(new == wanted)


def entry_copy(
    display: str, text: str, declared: DeclaredEntry, package: PackageRef
) -> tuple[str, str | None]:
    """The text of a new document for `--accept-into`: the target of the glob entry `declared` (written
    in `text`, the file `display`) and an exact entry for `package` copying the glob entry's keys, so
    the package keeps its rules, `otherwise` and `protect` when the exact entry takes it over. Or the
    problem that prevents it."""
    where = f"{declared.origin}"
    try:
        documents = list(_yaml().compose_all(text.removeprefix("\ufeff")))
    except YAMLError as exc:
        return "", f"{display}: cannot be read for copying: {exc}"
    found = _find_entry(documents, declared.origin.line)
    if found is None:
        return "", f"{where}: the entry is not where the manifests were read from; run again"
    node = found[2]
    body = text.removeprefix("\ufeff")
    if node.flow_style or node.anchor is not None or any(key.tag == MERGE_TAG for key, _ in node.value):
        return "", f"{where}: the glob entry is flow-style, anchored or merged: copy it by hand"
    name = _value(node, "name")
    if name is None or name.start_mark.line != name.end_mark.line:
        return "", f"{where}: the entry's name is not on one line; copy it by hand"
    start, end = node.start_mark.index, node.end_mark.index
    source = (
        body[start : name.start_mark.index] + json.dumps(package.package) + body[name.end_mark.index : end]
    )
    lines = source.replace("\r\n", "\n").split("\n")
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()
    column = node.start_mark.column
    shifted = [lines[0]] + [
        line[column:] if line[:column].strip() == "" else line.lstrip() for line in lines[1:]
    ]
    target = declared.target
    head = [
        "---",
        f"# Pins accepted from drift for {package}; a copy of the glob entry at {declared.origin}.",
        *document_head(target.domain, target.repository, target.domain_owner, target.region),
        "packages:",
    ]
    entry = [f"  - {shifted[0]}", *(f"    {line}" if line else "" for line in shifted[1:])]
    return "\n".join([*head, *entry]) + "\n", None
