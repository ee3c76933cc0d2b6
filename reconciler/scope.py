"""What the manifests speak about: which packages, bound to which entries, and how each must be read.

Between the manifests and the reads: globs name a literal prefix to list, entries are bound to the
concrete packages the listing found (an exact name beats any glob), and every package a plan needs
(targets, copy sources, the upstreams a copy searches) is read once, in time order where an age
or a publish-time ranking needs it, with the age thresholds to locate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import FINAL_STATUSES, Format
from reconciler.errors import ManifestError
from reconciler.models import DeclaredEntry, DesiredState, Pin, Rule
from reconciler.state import PackageScope, ReadSpec

_GLOB_CHARS = "*?["


def literal_prefix(glob: str) -> str:
    """The part of a glob before its first wildcard: what ListPackages' packagePrefix can filter on."""
    for index, char in enumerate(glob):
        if char in _GLOB_CHARS:
            return glob[:index]
    return glob


def minimal_prefixes(prefixes: Iterable[str]) -> list[str]:
    """Drop prefixes another prefix already covers ("web-" covers "web-sdk")."""
    kept: list[str] = []
    for prefix in sorted(set(prefixes)):
        if not any(prefix.startswith(other) for other in kept):
            kept.append(prefix)
    return kept


def repository_of(declared: DeclaredEntry) -> RepositoryRef:
    target = declared.target
    return RepositoryRef(target.domain, target.repository, target.domain_owner, target.region)


@dataclass(frozen=True)
class ResolvedEntry:
    """A package entry bound to one concrete package of its target repository."""

    declared: DeclaredEntry
    ref: PackageRef

    def source(self, repository: str) -> PackageRef:
        return self.ref.in_repository(repository)

    @property
    def upstream_sources(self) -> set[str]:
        """Copy sources whose upstream repositories a copy may take versions from."""
        entry = self.declared.entry
        declared: list[Pin | Rule] = [*entry.versions.values(), *entry.rules]
        return {source for p in declared if (source := copied_from(p)) and p.include_from_upstream}

    @property
    def copy_sources(self) -> set[str]:
        """The repositories to read besides the target: those copies take versions from, and those a
        rule's selectors read (whatever status the rule declares)."""
        entry = self.declared.entry
        sources = {source for pin in entry.versions.values() if (source := copied_from(pin))}
        return sources | {rule.copy_from for rule in entry.rules if rule.copy_from}

    @property
    def copies(self) -> bool:
        return bool(self.copy_sources)


def copied_from(declared: Pin | Rule) -> str | None:
    """The repository a pin's or a rule's copies come from; None when it copies nothing: a version
    declared Disposed or Deleted is as declared when absent, so no copy brings it (nor reads its
    source's upstreams)."""
    return declared.copy_from if declared.copy_from and declared.status not in FINAL_STATUSES else None


def glob_scopes(desired: DesiredState) -> dict[PackageScope, list[str]]:
    """Per scope, the fewest literal prefixes of the glob names to list."""
    scopes: dict[PackageScope, set[str]] = {}
    for declared in desired.entries:
        entry = declared.entry
        if entry.is_glob:
            scope = PackageScope(repository_of(declared), entry.format, entry.namespace)
            scopes.setdefault(scope, set()).add(literal_prefix(entry.name))
    return {scope: minimal_prefixes(prefixes) for scope, prefixes in scopes.items()}


def resolve_entries(
    desired: DesiredState, package_names: Mapping[PackageScope, set[str]]
) -> list[ResolvedEntry]:
    """Bind every entry to its packages; an exact name beats any glob, and two globs may not share one."""
    exact: dict[PackageRef, DeclaredEntry] = {}
    globbed: dict[PackageRef, DeclaredEntry] = {}
    conflicts: list[str] = []
    for declared in desired.entries:
        entry = declared.entry
        repository = repository_of(declared)
        if not entry.is_glob:
            exact[PackageRef(repository, entry.format, entry.namespace, entry.name)] = declared
            continue
        scope = PackageScope(repository, entry.format, entry.namespace)
        for name in sorted(package_names.get(scope, ())):
            if not entry.matches(name):
                continue
            ref = PackageRef(repository, entry.format, entry.namespace, name)
            other = globbed.get(ref)
            if other is not None:
                conflicts.append(
                    f"{declared.origin}: packages: glob {entry.name!r} and glob {other.entry.name!r} "
                    f"({other.origin}) both match {ref}; give the package an exact entry or narrow a glob"
                )
                continue
            globbed[ref] = declared
    if conflicts:
        raise ManifestError(conflicts)
    resolved = {ref: ResolvedEntry(declared, ref) for ref, declared in globbed.items() if ref not in exact}
    resolved.update({ref: ResolvedEntry(declared, ref) for ref, declared in exact.items()})
    return [resolved[ref] for ref in sorted(resolved, key=PackageRef.sort_key)]


def upstream_sources(resolved: Iterable[ResolvedEntry]) -> list[RepositoryRef]:
    """The copy sources whose upstream chains must be read (include_from_upstream), each once."""
    found: dict[RepositoryRef, None] = {}
    for item in resolved:
        for repository in sorted(item.upstream_sources):
            found[item.source(repository).repository] = None
    return list(found)


def time_thresholds(rule: Rule, now: float) -> set[float]:
    """The publish-time thresholds (epoch seconds) a rule's age selectors compare against."""
    return {now - age.total_seconds() for age in (rule.older_than, rule.newer_than) if age is not None}


def needs_time_order(rule: Rule, format: Format) -> bool:
    ranks_by_time = rule.keep_latest is not None and (rule.by == "published" or format is Format.GENERIC)
    return ranks_by_time or rule.older_than is not None or rule.newer_than is not None


def read_specs(
    resolved: Iterable[ResolvedEntry],
    now: float,
    grace_seconds: float | None = None,
    upstream_chains: Mapping[RepositoryRef, tuple[str, ...]] | None = None,
) -> list[ReadSpec]:
    """Every package to list (targets and copy sources), each exactly once."""
    specs: dict[PackageRef, ReadSpec] = {}
    grace = {now - grace_seconds} if grace_seconds is not None else set()

    def need(ref: PackageRef, time_sorted: bool, thresholds: set[float]) -> None:
        known = specs.get(ref, ReadSpec(ref))
        specs[ref] = ReadSpec(ref, known.time_sorted or time_sorted, known.thresholds | thresholds)

    for item in resolved:
        format = item.ref.format
        need(item.ref, bool(grace), grace)
        for repository in item.copy_sources:
            need(item.source(repository), bool(grace), grace)
        for repository in item.upstream_sources:
            for upstream in (upstream_chains or {}).get(item.source(repository).repository, ()):
                need(item.source(upstream), False, set())
        for rule in item.declared.entry.rules:
            ref = item.source(rule.copy_from) if rule.copy_from else item.ref
            need(ref, needs_time_order(rule, format), time_thresholds(rule, now))
    return [specs[ref] for ref in sorted(specs, key=PackageRef.sort_key)]
