"""Gradle's dependency lockfiles (`gradle.lockfile`, `*.lockfile` per configuration) and Maven's
`pom.xml`: `group:artifact:version` lines, and the explicit versions of a POM's dependencies,
plugins, parent and dependency management. A POM version that is a range, or a `${property}` the
POM itself does not define, protects nothing (it is not an explicit version).

The POM is read with expat, the standard library's XML parser, with every DTD refused: no entity
can expand, none can be fetched (what defusedxml guards against), and each element keeps its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from reconciler.codeartifact import Format
from reconciler.lockfiles.base import LockfileError, Pinned


def read_gradle_lockfile(text: str, path: Path) -> list[Pinned]:
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("empty="):
            continue
        coordinates = line.split("=", 1)[0]
        parts = coordinates.split(":")
        if len(parts) != 3 or not all(parts):
            raise LockfileError(number, f"expected group:artifact:version=configurations, got {line!r}")
        found.append(Pinned(Format.MAVEN, parts[0], parts[1], parts[2], number))
    return found


@dataclass
class _Element:
    tag: str
    line: int
    children: list[_Element] = field(default_factory=list)
    text: str = ""

    def get(self, tag: str) -> _Element | None:
        return next((child for child in self.children if child.tag == tag), None)

    def value(self, tag: str) -> str | None:
        found = self.get(tag)
        return found.text.strip() if found is not None else None


class _Refused(Exception):
    pass


def _parse(text: str) -> _Element:
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Element] = []
    root: list[_Element] = []

    def refuse(*_: object) -> None:
        raise _Refused("a DTD or entity declaration is not allowed in a POM")

    def refuse_external(*_: object) -> int:
        raise _Refused("an external entity is not allowed in a POM")

    def start(tag: str, _attributes: dict[str, str]) -> None:
        element = _Element(tag.rpartition("}")[2].rpartition(":")[2], parser.CurrentLineNumber)
        (stack[-1].children if stack else root).append(element)
        stack.append(element)

    def end(_tag: str) -> None:
        stack.pop()

    def data(chunk: str) -> None:
        if stack:
            stack[-1].text += chunk

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        parser.Parse(text, True)
    except _Refused as exc:
        raise LockfileError(parser.CurrentLineNumber, str(exc)) from None
    except expat.ExpatError as exc:
        raise LockfileError(exc.lineno, f"invalid XML: {expat.errors.messages[exc.code]}") from None
    return root[0]


_PROPERTY = re.compile(r"\$\{([^}]+)\}")


def read_pom(text: str, path: Path) -> list[Pinned]:
    project = _parse(text)
    if project.tag != "project":
        raise LockfileError(project.line, f"not a POM: the root element is <{project.tag}>, not <project>")
    properties = _properties(project)
    found = []
    for element in _coordinates(project):
        group = element.value("groupId")
        if group is None and element.tag == "plugin":
            group = "org.apache.maven.plugins"  # Maven's default plugin group
        artifact, version = element.value("artifactId"), element.value("version")
        if group is None or artifact is None or version is None:
            continue
        group, artifact, version = (_expand(part, properties) for part in (group, artifact, version))
        if group and artifact and version and version[0] not in "[(" and "${" not in group + artifact:
            found.append(Pinned(Format.MAVEN, group, artifact, version, element.line))
    return found


def _coordinates(project: _Element) -> list[_Element]:
    """The parent, and every dependency and plugin at any depth (profiles, management sections)."""
    found = [child for child in project.children if child.tag == "parent"]
    pending = list(project.children)
    while pending:
        element = pending.pop(0)
        if element.tag in ("dependency", "plugin", "extension"):
            found.append(element)
        pending.extend(element.children)
    return sorted(found, key=lambda element: element.line)


def _properties(project: _Element) -> dict[str, str]:
    values = {}
    section = project.get("properties")
    for element in section.children if section is not None else []:
        values[element.tag] = element.text.strip()
    version = project.value("version") or (project.get("parent") or _Element("", 0)).value("version")
    if version:
        values["project.version"] = values["pom.version"] = version
    return values


def _expand(text: str, properties: dict[str, str]) -> str | None:
    """`${x}` replaced from the POM's own properties (one level); None when one is not defined there."""
    missing = False

    def replace(found: re.Match[str]) -> str:
        nonlocal missing
        value = properties.get(found.group(1))
        if value is None or "${" in value:
            missing = True
            return ""
        return value

    expanded = _PROPERTY.sub(replace, text)
    return None if missing else expanded
