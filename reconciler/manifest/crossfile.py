"""Checks across the documents of a set of manifests, and the declared entries they give.

One domain name is one domain, whatever file names it: its owner, written in one manifest, applies to
all of them, and two different owners are a problem. One package is declared once per repository,
compared the way CodeArtifact compares names. A `copy_from` cannot name the repository it copies to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from reconciler.manifest.documents import Parts
from reconciler.manifest.inuse import InUseReader
from reconciler.manifest.report import Report
from reconciler.manifest.yamlsource import LoadedDocument
from reconciler.models import DeclaredEntry, Origin, PackageEntry, RepositoryTarget, Target
from reconciler.problems import KeyPath, render_path

# Each document that has valid parts: the file it is in (as messages name it), the document, its parts.
Documents = list[tuple[str, LoadedDocument, Parts]]


def declared_entries(
    documents: Documents, file_index: dict[str, int], report: Report, in_use: InUseReader
) -> list[DeclaredEntry]:
    """The entries of `documents`, with the lines they were declared at, their domain's owner and the
    versions their protect_in_use files name; a package declared twice or copied from its own
    repository is a problem."""
    entries: list[DeclaredEntry] = []
    seen: dict[tuple[Any, ...], Origin] = {}
    owners = _domain_owners(documents, file_index, report)
    for display, document, (spec, packages, shared) in documents:
        protected = {
            position: in_use.in_use(
                display,
                document,
                [
                    *((("protect_in_use", index), item) for index, item in enumerate(shared)),
                    *(
                        (("packages", position, "protect_in_use", index), item)
                        for index, item in enumerate(entry.protect_in_use)
                    ),
                ],
                entry.format,
            )
            for position, entry in packages
        }
        if packages:
            in_use.check_document(display, document, shared, {entry.format for _, entry in packages})
        for written in spec.targets():
            target = written
            owner = _owner_of(owners, target.region, target.domain)
            if target.domain_owner is None and owner:
                # One domain name is one domain (of a Region): an owner written in one manifest applies
                # to all of them, so `acme/prod` is the same repository whether or not a file spells the
                # owner out.
                target = target.model_copy(update={"domain_owner": owner})
            for position, entry in packages:
                origin = Origin(display, document.line_of(("packages", position)))
                for where in _copies_from_itself(entry, target, position):
                    line = document.line_of(where)
                    report.add(
                        file_index[display], line, f"{display}:{line}: {render_path(where)}: {_itself(spec)}"
                    )
                identity = (target.region, target.domain, target.repository, *_package_identity(entry))
                first = seen.setdefault(identity, origin)
                if first is not origin:
                    message = f"{_entry_label(entry, target)} is also declared at {first}"
                    report.add(file_index[display], origin.line, f"{origin}: packages[{position}]: {message}")
                declared = _declared(display, document, target, position, entry, origin)
                if protected[position]:
                    declared = dataclasses.replace(declared, in_use=protected[position])
                entries.append(declared)
    return entries


def _declared(
    display: str,
    document: LoadedDocument,
    target: RepositoryTarget,
    position: int,
    entry: PackageEntry,
    origin: Origin,
) -> DeclaredEntry:
    """`entry` with where it, each of its pins, each of its rules and its `otherwise` were written."""
    pin_origins = {
        version: Origin(display, document.line_of(("packages", position, "versions", version)))
        for version in entry.versions
    }
    rule_origins = tuple(
        Origin(display, document.line_of(("packages", position, "rules", index)))
        for index in range(len(entry.rules))
    )
    otherwise = Origin(display, document.line_of(("packages", position, "otherwise")))
    return DeclaredEntry(target, entry, origin, pin_origins, rule_origins, otherwise_origin=otherwise)


def _itself(spec: Target) -> str:
    if spec.repositories is None:
        return "cannot copy from the target repository itself"
    return "cannot copy from a repository that target.repositories also lists: it would copy into itself"


def _copies_from_itself(entry: PackageEntry, target: RepositoryTarget, position: int) -> Iterator[KeyPath]:
    """The `copy_from` keys of `entry` that name its own target repository: nothing to copy."""
    for version, pin in entry.versions.items():
        if pin.copy_from == target.repository:
            yield ("packages", position, "versions", version, "copy_from")
    for index, rule in enumerate(entry.rules):
        if rule.copy_from == target.repository:
            yield ("packages", position, "rules", index, "copy_from")


def _domain_owners(
    documents: Documents, file_index: dict[str, int], report: Report
) -> dict[tuple[str | None, str], str]:
    """The owner each domain (of a Region: domains are regional) is given; a domain given two
    different owners is a problem."""
    owners: dict[tuple[str | None, str], tuple[str, Origin]] = {}
    for display, document, (target, _, _) in documents:
        if target.domain_owner is None:
            continue
        origin = Origin(display, document.line_of(("target", "domain_owner")))
        first = owners.setdefault((target.region, target.domain), (target.domain_owner, origin))
        if first[0] != target.domain_owner:
            report.add(
                file_index[display],
                origin.line,
                f"{origin}: target.domain_owner: domain {target.domain} is owned by {first[0]} at {first[1]}; "
                "one domain name must have one owner in a set of manifests",
            )
    return {domain: owner for domain, (owner, _) in owners.items()}


def _owner_of(owners: dict[tuple[str | None, str], str], region: str | None, domain: str) -> str | None:
    """The owner given to `domain` in `region`; a document that names no Region, or whose Region no
    document with an owner names, takes the one owner given to the domain where no Region is known to
    tell them apart (a run of one Region: the owner written where the Region is not)."""
    if (region, domain) in owners:
        return owners[(region, domain)]
    candidates = (
        {owner for (named, name), owner in owners.items() if name == domain}
        if region is None
        else {owners[(None, domain)]}
        if (None, domain) in owners
        else set()
    )
    return candidates.pop() if len(candidates) == 1 else None


def _package_identity(entry: PackageEntry) -> tuple[str, str | None, bool, str]:
    # Names are already as CodeArtifact stores them (models.stored_name): `Acme_Utils` is `acme-utils`.
    return (entry.format.value, entry.namespace, entry.is_glob, entry.name)


def _entry_label(entry: PackageEntry, target: RepositoryTarget) -> str:
    where = f"{target.domain}/{target.repository}"
    if entry.is_glob:
        scope = f", namespace {entry.namespace}" if entry.namespace else ""
        return f"glob {entry.name} ({entry.format.value}{scope}) in {where}"
    name = f"{entry.namespace}/{entry.name}" if entry.namespace else entry.name
    return f"{entry.format.value} package {name} in {where}"
