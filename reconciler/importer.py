"""Import: write the live state of a repository as a manifest that declares exactly what is there.

Every package of the repository (optionally of one format, one namespace, and names matching a
glob) becomes one entry with a pin per version at its current status, so that planning the
imported manifest right away finds nothing to change. Unfinished versions (uploads in progress)
cannot be declared: they are left out and named in a comment. Deleted versions are gone and never
appear. The output is sorted and holds no timestamp: importing the same state twice gives the same
bytes. The text is made of `manifest_head` and each package's `package_lines`: `reconciler import`
writes them package by package as it reads (`workflows.importing`), `render_manifest` all at once;
the two give the same text.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import DECLARABLE_STATUSES, Format, Status
from reconciler.manifest.writing import document_head, yaml_scalar
from reconciler.state import PackageState
from reconciler.text import plural
from reconciler.versioning import version_sort_key

# A version as a JSON string, which YAML reads back as the same string: json.dumps's own encoder of
# strings (`ensure_ascii=False`), called directly.
_quoted = json.encoder.encode_basestring
_STATUS_TEXT = {status: status.value for status in Status}


@dataclass(frozen=True)
class ImportSelection:
    """Which repository to import, and which of its packages: `format`, `namespace` (exact) and
    `package` (a glob over names) narrow the selection when given."""

    domain: str
    repository: str
    domain_owner: str | None = None
    region: str | None = None
    format: Format | None = None
    namespace: str | None = None
    package: str | None = None

    @property
    def repository_ref(self) -> RepositoryRef:
        return RepositoryRef(self.domain, self.repository, self.domain_owner)

    def selects(self, format: Format, namespace: str | None, name: str) -> bool:
        if self.format is not None and format is not self.format:
            return False
        if self.namespace is not None and namespace != self.namespace:
            return False
        return self.package is None or fnmatch.fnmatchcase(name, self.package)


@dataclass(frozen=True)
class ImportedPackage:
    """One package: its declarable versions with their statuses, in the format's version order,
    and the Unfinished versions that were left out."""

    format: Format
    namespace: str | None
    name: str
    versions: tuple[tuple[str, Status], ...]
    unfinished: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        name = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.format.value} {name}"


@dataclass(frozen=True)
class ImportedRepository:
    """An import held whole in memory, as `render_manifest` writes it in one piece."""

    selection: ImportSelection
    packages: tuple[ImportedPackage, ...]
    calls: Counter[str] = field(default_factory=Counter)

    @property
    def unfinished(self) -> list[str]:
        """`generic tools/deploy-cli@2.2.0` for every version left out."""
        return [f"{package.label}@{version}" for package in self.packages for version in package.unfinished]


@dataclass
class ImportTally:
    """What a streamed import wrote so far: the packages and versions declared, the versions left
    out (`generic tools/deploy-cli@2.2.0`) and the calls spent."""

    selection: ImportSelection
    packages: int = 0
    versions: int = 0
    unfinished: list[str] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)

    def add(self, package: ImportedPackage) -> None:
        self.packages += 1
        self.versions += len(package.versions)
        self.unfinished += [f"{package.label}@{version}" for version in package.unfinished]


def imported_package(ref: PackageRef, state: PackageState) -> ImportedPackage:
    """One package as the manifest will declare it: versions in their format's order."""
    listed = state.versions
    versions: list[tuple[str, Status]] = []
    unfinished: list[str] = []
    for version in sorted(listed, key=functools.partial(version_sort_key, ref.format)):
        status = listed[version].status
        if status in DECLARABLE_STATUSES:
            versions.append((version, status))
        elif status is Status.UNFINISHED:
            unfinished.append(version)
    return ImportedPackage(ref.format, ref.namespace, ref.package, tuple(versions), tuple(unfinished))


def imported_repository(
    selection: ImportSelection,
    refs: Iterable[PackageRef],
    states: Mapping[PackageRef, PackageState],
    calls: Counter[str],
) -> ImportedRepository:
    """What was read, as the manifest will declare it (packages deleted between the two listings
    are left out)."""
    packages = tuple(imported_package(ref, states[ref]) for ref in refs if ref in states)
    return ImportedRepository(selection, packages, calls)


def render_manifest(imported: ImportedRepository) -> str:
    """The manifest of what was imported, whole: `manifest_head` and each package's lines."""
    head = manifest_head(imported.selection, len(imported.packages), len(imported.unfinished))
    body = "".join(package_lines(package) for package in imported.packages)
    return head + body


def manifest_head(selection: ImportSelection, packages: int, unfinished: int) -> str:
    """The manifest's text before its first package: comments, target and `packages:`. It names how
    many versions were left out, so a streamed import writes it once every package was read."""
    lines = [
        f"# The live state of {selection.repository_ref}, imported with `reconciler import`:",
        "# every version is pinned at the status it had then.",
    ]
    narrowed = [
        f"{what} {value}"
        for what, value in (
            ("format", selection.format.value if selection.format else None),
            ("namespace", selection.namespace),
            ("packages matching", selection.package),
        )
        if value
    ]
    if narrowed:
        lines.append(f"# Only {', '.join(narrowed)}.")
    if unfinished:
        lines.append(
            f"# Left out: {plural(unfinished, 'Unfinished version')} (an upload in progress cannot be "
            "declared); see the comments below."
        )
    lines += document_head(selection.domain, selection.repository, selection.domain_owner, selection.region)
    lines.append("packages:" if packages else "packages: []")
    return "\n".join(lines) + "\n"


def package_lines(package: ImportedPackage) -> str:
    """One package's entry: sorted, every version quoted."""
    lines = [f"  - format: {package.format.value}"]
    if package.namespace is not None:
        lines.append(f"    namespace: {yaml_scalar(package.namespace)}")
    lines.append(f"    name: {yaml_scalar(package.name)}")
    if package.unfinished:
        versions = ", ".join(json.dumps(version, ensure_ascii=False) for version in package.unfinished)
        lines.append(f"    # Unfinished, left out: {versions}")
    if not package.versions:
        lines.append("    versions: {}")
    else:
        lines.append("    versions:")
        # json.dumps(version, ensure_ascii=False) without its per-call machinery: a million versions.
        lines += [f"      {_quoted(version)}: {_STATUS_TEXT[status]}" for version, status in package.versions]
    return "\n".join(lines) + "\n"
