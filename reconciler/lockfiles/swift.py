"""SwiftPM's `Package.resolved` (versions 1, 2 and 3). A registry pin's identity is `scope.name`; a
source-control pin is taken as the package its URL names (`github.com/apple/swift-nio.git` is scope
`apple`, name `swift-nio`), the identity a registry mirror of it has. Pins on a branch or a revision
(no version) protect nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from reconciler.codeartifact import Format
from reconciler.lockfiles.base import Pinned, expect, json_lines, load_json


def read_package_resolved(text: str, path: Path) -> list[Pinned]:
    data = load_json(text)
    expect(isinstance(data, dict), 1, "a Package.resolved is a JSON object")
    lines = json_lines(text)
    at: tuple[str, ...] = ("pins",)
    pins = data.get("pins")
    if pins is None and isinstance(data.get("object"), dict):  # version 1
        at, pins = ("object", "pins"), data["object"].get("pins")
    expect(isinstance(pins, list), 1, "not a Package.resolved: no pins")
    found = []
    for index, pin in enumerate(pins):
        line = lines.get((*at, index), 1)
        expect(isinstance(pin, dict), line, f"pin {index + 1} is not an object")
        state = pin.get("state")
        version = state.get("version") if isinstance(state, dict) else None
        identity = _identity(pin)
        if isinstance(version, str) and identity is not None:
            found.append(Pinned(Format.SWIFT, identity[0], identity[1], version, line))
    return found


def _identity(pin: dict[str, Any]) -> tuple[str, str] | None:
    if pin.get("kind") == "registry":
        scope, dot, name = str(pin.get("identity", "")).partition(".")
        return (scope, name) if dot else None
    location = pin.get("location") or pin.get("repositoryURL")
    if not isinstance(location, str):
        return None
    parts = [part for part in urlparse(location).path.split("/") if part]
    if len(parts) < 2:
        return None
    return parts[-2], parts[-1].removesuffix(".git")
