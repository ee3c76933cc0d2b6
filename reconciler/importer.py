"""Import: write the live state of a repository as a manifest that declares exactly what is there.

Every package of the repository (optionally of one format, one namespace, and names matching a
glob) becomes one entry with a pin per version at its current status, so that planning the
imported manifest right away finds nothing to change. Unfinished versions (uploads in progress)
cannot be declared: they are left out and named in a comment. Deleted versions are gone and never
appear. The output is sorted and holds no timestamp: importing the same state twice gives the same
bytes.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import yaml

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.aws.client import pages
from reconciler.aws.reader import read_packages
from reconciler.codeartifact import DECLARABLE_STATUSES, MAX_PAGE_SIZE, Format, Status
from reconciler.errors import AwsError, ReconcilerError
from reconciler.models import API_VERSION, KIND
from reconciler.planner import version_sort_key

__all__ = [
    "ImportSelection",
    "ImportedPackage",
    "ImportedRepository",
    "import_repository",
    "literal_prefix",
    "render_manifest",
]

_GLOB_CHARS = "*?["
_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._\-]*$")


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
    selection: ImportSelection
    packages: tuple[ImportedPackage, ...]
    calls: Counter[str] = field(default_factory=Counter)

    @property
    def version_count(self) -> int:
        return sum(len(package.versions) for package in self.packages)

    @property
    def unfinished(self) -> list[str]:
        """`generic tools/deploy-cli@2.2.0` for every version left out."""
        return [f"{package.label}@{version}" for package in self.packages for version in package.unfinished]


def literal_prefix(glob: str) -> str:
    """The part of a glob before its first wildcard: what ListPackages can filter on."""
    for index, char in enumerate(glob):
        if char in _GLOB_CHARS:
            return glob[:index]
    return glob


def import_repository(client: Any, selection: ImportSelection, max_workers: int = 8) -> ImportedRepository:
    """List the selected packages, then every version of each (in parallel), as they are now."""
    calls: Counter[str] = Counter()
    names = _list_packages(client, selection, calls)
    refs = [
        PackageRef(selection.repository_ref, format, namespace, name) for format, namespace, name in names
    ]
    states, listing = read_packages(client, refs, max_workers)
    calls.update(listing)
    packages = []
    for ref in refs:
        state = states.get(ref)
        if state is None:
            continue  # deleted between the two listings
        ordered = sorted(state.versions.values(), key=lambda v: version_sort_key(ref.format, v.version))
        packages.append(
            ImportedPackage(
                format=ref.format,
                namespace=ref.namespace,
                name=ref.package,
                versions=tuple((v.version, v.status) for v in ordered if v.status in DECLARABLE_STATUSES),
                unfinished=tuple(v.version for v in ordered if v.status is Status.UNFINISHED),
            )
        )
    return ImportedRepository(selection, tuple(packages), calls)


def _list_packages(
    client: Any, selection: ImportSelection, calls: Counter[str]
) -> list[tuple[Format, str | None, str]]:
    params: dict[str, Any] = {
        "domain": selection.domain,
        "repository": selection.repository,
        "maxResults": MAX_PAGE_SIZE,
    }
    if selection.domain_owner:
        params["domainOwner"] = selection.domain_owner
    if selection.format is not None:
        params["format"] = selection.format.value
    if selection.namespace:
        params["namespace"] = selection.namespace  # a prefix filter: matched exactly below
    prefix = literal_prefix(selection.package) if selection.package else ""
    if prefix:
        params["packagePrefix"] = prefix
    found: set[tuple[Format, str | None, str]] = set()
    try:
        for page in pages(client, "ListPackages", calls, params):
            for package in page["packages"]:
                format = Format(package["format"])
                namespace = package.get("namespace") or None
                if selection.selects(format, namespace, package["package"]):
                    found.add((format, namespace, package["package"]))
    except AwsError as error:
        if error.code != "ResourceNotFoundException":
            raise
        raise ReconcilerError(
            f"{selection.repository_ref}: {error.message}",
            "Check --domain, --repository and --domain-owner (and the Region).",
        ) from None
    return sorted(found, key=lambda item: (item[0].value, item[1] or "", item[2]))


def render_manifest(imported: ImportedRepository) -> str:
    """The manifest of what was imported: one document, versions always quoted, sorted throughout."""
    selection = imported.selection
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
    left_out = imported.unfinished
    if left_out:
        lines.append(
            f"# Left out: {_count(len(left_out), 'Unfinished version')} (an upload in progress cannot be "
            "declared); see the comments below."
        )
    lines += [
        f"apiVersion: {API_VERSION}",
        f"kind: {KIND}",
        "target:",
        f"  domain: {_scalar(selection.domain)}",
    ]
    if selection.domain_owner:
        lines.append(f"  domain_owner: {json.dumps(selection.domain_owner)}")
    if selection.region:
        lines.append(f"  region: {_scalar(selection.region)}")
    lines.append(f"  repository: {_scalar(selection.repository)}")
    if not imported.packages:
        lines.append("packages: []")
    else:
        lines.append("packages:")
    for package in imported.packages:
        lines.append(f"  - format: {package.format.value}")
        if package.namespace is not None:
            lines.append(f"    namespace: {_scalar(package.namespace)}")
        lines.append(f"    name: {_scalar(package.name)}")
        if package.unfinished:
            versions = ", ".join(json.dumps(version, ensure_ascii=False) for version in package.unfinished)
            lines.append(f"    # Unfinished, left out: {versions}")
        if not package.versions:
            lines.append("    versions: {}")
            continue
        lines.append("    versions:")
        lines += [
            f"      {json.dumps(version, ensure_ascii=False)}: {status.value}"
            for version, status in package.versions
        ]
    return "\n".join(lines) + "\n"


def _scalar(text: str) -> str:
    """`text` plain when YAML reads it back as the same string, else double-quoted."""
    if _PLAIN.match(text) and yaml.safe_load(text) == text:
        return text
    return json.dumps(text, ensure_ascii=False)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
