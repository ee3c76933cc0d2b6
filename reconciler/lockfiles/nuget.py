"""NuGet's `packages.lock.json`: per target framework, each package's `resolved` version. Project
references (`"type": "Project"`) protect nothing."""

from __future__ import annotations

from pathlib import Path

from reconciler.codeartifact import Format
from reconciler.lockfiles.base import Pinned, expect, json_lines, load_json


def read_packages_lock(text: str, path: Path) -> list[Pinned]:
    data = load_json(text)
    expect(
        isinstance(data, dict) and isinstance(data.get("dependencies"), dict),
        1,
        "not a packages.lock.json: no dependencies object",
    )
    lines = json_lines(text)
    found = []
    for framework, packages in data["dependencies"].items():
        expect(isinstance(packages, dict), lines.get(("dependencies", framework), 1), "not an object")
        for name, meta in packages.items():
            line = lines.get(("dependencies", framework, name), 1)
            resolved = meta.get("resolved") if isinstance(meta, dict) else None
            if isinstance(resolved, str) and meta.get("type") != "Project":
                found.append(Pinned(Format.NUGET, None, name, resolved, line))
    return found
