"""npm's lockfiles: `package-lock.json` and `npm-shrinkwrap.json` (lockfileVersion 1, 2, 3),
`yarn.lock` (classic v1 and berry), `pnpm-lock.yaml` (v5 to v9).

What protects: a version fetched from a registry, under its real name (an alias `"x": "npm:real@1.2.3"`
protects `real`). What does not: workspace members, links and `file:`, git or tarball-URL sources,
which were never versions of a registry package.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from reconciler.codeartifact import Format
from reconciler.lockfiles.base import (
    LockfileError,
    Pinned,
    child,
    compose_yaml,
    expect,
    json_lines,
    load_json,
    mapping_items,
    npm_identity,
    scalar,
)

# Sources that are not a registry's: the version field of such an entry is the package.json's own.
_NOT_REGISTRY = ("file:", "link:", "git+", "git:", "github:", "workspace:", "portal:", "exec:")
_SEMVER_START = re.compile(r"^v?\d")


def _pinned(name: str, version: str, line: int) -> Pinned:
    namespace, bare = npm_identity(name)
    return Pinned(Format.NPM, namespace, bare, version.removeprefix("v"), line)


def _alias(version: str) -> tuple[str, str] | None:
    """`npm:real@1.2.3` -> (`real`, `1.2.3`)."""
    if not version.startswith("npm:"):
        return None
    name, at, real_version = version[4:].rpartition("@")
    return (name, real_version) if at and name else None


# --- package-lock.json, npm-shrinkwrap.json


def read_package_lock(text: str, path: Path) -> list[Pinned]:
    data = load_json(text)
    expect(isinstance(data, dict), 1, "a package-lock.json is a JSON object")
    lines = json_lines(text)
    packages = data.get("packages")
    if isinstance(packages, dict):  # lockfileVersion 2 and 3 (2 also keeps v1's dependencies)
        return _packages(packages, lines)
    dependencies = data.get("dependencies", {})
    expect(isinstance(dependencies, dict), lines.get(("dependencies",), 1), "dependencies is not an object")
    expect(
        "lockfileVersion" in data or "name" in data,
        1,
        "not a package-lock.json: no lockfileVersion, packages or dependencies",
    )
    found: list[Pinned] = []
    _dependencies_v1(dependencies, ("dependencies",), lines, found)
    return found


def _packages(packages: dict[str, Any], lines: dict[Any, int]) -> list[Pinned]:
    found = []
    for location, meta in packages.items():
        line = lines.get(("packages", location), 1)
        expect(isinstance(meta, dict), line, f"packages[{location!r}] is not an object")
        # "" is the project itself; a location outside node_modules is a workspace member's folder.
        if "node_modules/" not in location or meta.get("link"):
            continue
        version = meta.get("version")
        resolved = meta.get("resolved")
        if not isinstance(version, str) or (isinstance(resolved, str) and resolved.startswith(_NOT_REGISTRY)):
            continue
        name = meta.get("name") or location.rpartition("node_modules/")[2]
        aliased = _alias(version)
        if aliased is not None:
            name, version = aliased
        if _SEMVER_START.match(version):
            found.append(_pinned(name, version, line))
    return found


def _dependencies_v1(
    dependencies: dict[str, Any], at: tuple[str, ...], lines: dict[Any, int], found: list[Pinned]
) -> None:
    for name, meta in dependencies.items():
        line = lines.get((*at, name), 1)
        expect(isinstance(meta, dict), line, f"dependency {name!r} is not an object")
        version = meta.get("version")
        if isinstance(version, str):
            aliased = _alias(version)
            real, real_version = aliased if aliased is not None else (name, version)
            if _SEMVER_START.match(real_version):
                found.append(_pinned(real, real_version, line))
        nested = meta.get("dependencies")
        if isinstance(nested, dict):
            _dependencies_v1(nested, (*at, name, "dependencies"), lines, found)


# --- yarn.lock


def read_yarn_lock(text: str, path: Path) -> list[Pinned]:
    if re.search(r"^__metadata:", text, re.MULTILINE):
        return _yarn_berry(text)
    return _yarn_classic(text)


_CLASSIC_VERSION = re.compile(r'^  version:?\s+"?([^"\s]+)"?\s*$')


def _yarn_classic(text: str) -> list[Pinned]:
    """Yarn 1's own format: unindented lines list the specifiers an entry resolves (`"a@^1", a@~1.2:`),
    its `  version "1.2.3"` line (two spaces in) gives the version."""
    found = []
    key: tuple[str, int] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            if not line.rstrip().endswith(":"):
                raise LockfileError(number, "not a yarn.lock entry: expected `specifier, ...:`")
            key = (line.rstrip()[:-1], number)
            continue
        version = _CLASSIC_VERSION.match(line)
        if version is None or key is None:
            continue
        name = _classic_name(*key)
        if name is not None:
            found.append(_pinned(name, version.group(1), key[1]))
        key = None
    return found


def _classic_name(specifiers: str, line: int) -> str | None:
    """The package an entry's first specifier names (`a@npm:real@^1` names `real`); None for a
    workspace, link, file, git or URL entry."""
    first = specifiers.split(",", maxsplit=1)[0].strip().strip('"')
    at = first.find("@", 1)
    if at < 0:
        raise LockfileError(line, f"not a yarn.lock specifier: {first!r}")
    name, range_ = first[:at], first[at + 1 :]
    if range_.startswith("npm:"):
        real = range_[4:]
        cut = real.find("@", 1)
        return real[:cut] if cut > 0 else name
    if range_.startswith(_NOT_REGISTRY) or "://" in range_:
        return None
    return name


def _yarn_berry(text: str) -> list[Pinned]:
    """Yarn 2+ writes YAML; each entry's `resolution` names the real package and its source."""
    root = compose_yaml(text)
    found = []
    for key, entry, line in mapping_items(root):
        if key == "__metadata":
            continue
        resolution = scalar(child(entry, "resolution"))
        expect(resolution is not None, line, f"yarn.lock entry {key!r} has no resolution")
        assert resolution is not None
        resolved = _berry_resolution(resolution)
        if resolved is not None:
            found.append(_pinned(*resolved, line))
    return found


def _berry_resolution(resolution: str) -> tuple[str, str] | None:
    """`lodash@npm:4.17.21` -> (`lodash`, `4.17.21`); a patch of an npm version protects that version;
    workspace:, link:, portal:, file: and git sources give None."""
    name, _, reference = resolution[1:].partition("@")
    name = resolution[0] + name
    if reference.startswith("patch:"):
        return _berry_resolution(unquote(reference[6:].partition("#")[0]))
    if reference.startswith("npm:"):
        return name, reference[4:]
    return None


# --- pnpm-lock.yaml

_PNPM_V5 = re.compile(r"^/?(@[^/]+/[^/]+|[^/@][^/]*)/(\d[^_/()]*)")
_PNPM_V6 = re.compile(r"^/?(@[^@/]+/[^@]+|[^@/][^@]*)@(\d[^()_]*)")


def read_pnpm_lock(text: str, path: Path) -> list[Pinned]:
    root = compose_yaml(text)
    expect(isinstance(root, yaml.MappingNode), 1, "a pnpm-lock.yaml is a mapping")
    version = scalar(child(root, "lockfileVersion"))
    expect(version is not None, 1, "not a pnpm-lock.yaml: no lockfileVersion")
    found = []
    # `packages` holds every registry package, under its real name (aliases included), from v5 to v9;
    # importers' `link:` dependencies (workspace members) never appear there.
    for key, _, line in mapping_items(child(root, "packages")):
        pattern = _PNPM_V5 if str(version).startswith("5") else _PNPM_V6
        matched = pattern.match(key)
        if matched is None:
            continue  # a tarball URL, a file: or git source: no registry version
        found.append(_pinned(matched.group(1), matched.group(2), line))
    return found
