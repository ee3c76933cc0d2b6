"""`make_plan(desired, live) -> Plan`: a pure function, no I/O.

The same manifests and the same live state always give a byte-identical plan: packages are taken
in address order, versions in their format's order, and actions in phases (copies, then status
updates, then disposes), each batch holding at most 100 versions of one package with one expected
and one target status.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler import __version__
from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import MAX_VERSIONS_PER_CALL, Format, Status
from reconciler.errors import ManifestError, PlanError
from reconciler.models import DeclaredEntry, DesiredState
from reconciler.plan import (
    Action,
    ActionKind,
    PackageAddress,
    Plan,
    Summary,
    TargetIdentity,
    VersionChange,
    VersionProblem,
)
from reconciler.rules import Decision, evaluate, needs_time_order, time_thresholds
from reconciler.state import LiveState, PackageScope, PackageState, VersionState
from reconciler.versioning import parse_range, parse_version

COPYABLE = frozenset({Status.PUBLISHED, Status.UNLISTED})
_REMOVING = frozenset({Status.ARCHIVED, Status.DISPOSED})


@dataclass(frozen=True)
class ResolvedEntry:
    """A package entry bound to one concrete package of its target repository."""

    declared: DeclaredEntry
    ref: PackageRef

    def source(self, repository: str) -> PackageRef:
        target = self.ref.repository
        return PackageRef(
            RepositoryRef(target.domain, repository, target.domain_owner),
            self.ref.format,
            self.ref.namespace,
            self.ref.package,
        )

    @property
    def copy_sources(self) -> set[str]:
        entry = self.declared.entry
        sources = {pin.copy_from for pin in entry.versions.values() if pin.copy_from}
        return sources | {rule.copy_from for rule in entry.rules if rule.copy_from}


@dataclass(frozen=True)
class ReadSpec:
    """How to read one package: sorted by publish time or not, and which age thresholds to locate."""

    ref: PackageRef
    time_sorted: bool = False
    thresholds: frozenset[float] = frozenset()


def repository_of(declared: DeclaredEntry) -> RepositoryRef:
    target = declared.target
    return RepositoryRef(target.domain, target.repository, target.domain_owner)


def glob_scopes(desired: DesiredState) -> dict[PackageScope, set[str]]:
    """Per (repository, format, namespace): the literal prefixes of the glob names to list."""
    scopes: dict[PackageScope, set[str]] = {}
    for declared in desired.entries:
        entry = declared.entry
        if entry.is_glob:
            prefix = entry.name
            for index, char in enumerate(entry.name):
                if char in "*?[":
                    prefix = entry.name[:index]
                    break
            scopes.setdefault((repository_of(declared), entry.format, entry.namespace), set()).add(prefix)
    return scopes


def resolve_entries(
    desired: DesiredState, package_names: dict[PackageScope, set[str]]
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
        for name in sorted(package_names.get((repository, entry.format, entry.namespace), ())):
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


def read_specs(
    resolved: Iterable[ResolvedEntry], now: float, grace_seconds: float | None = None
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
        for rule in item.declared.entry.rules:
            ref = item.source(rule.copy_from) if rule.copy_from else item.ref
            need(ref, needs_time_order(rule, format), time_thresholds(rule, now))
    return [specs[ref] for ref in sorted(specs, key=PackageRef.sort_key)]


def version_sort_key(format: Format, version: str) -> tuple[int, object]:
    parsed = parse_version(format, version)
    return (0, parsed) if parsed is not None else (1, version)


def address(ref: PackageRef) -> PackageAddress:
    return PackageAddress(
        domain=ref.repository.domain,
        domain_owner=ref.repository.domain_owner,
        repository=ref.repository.repository,
        format=ref.format,
        namespace=ref.namespace,
        package=ref.package,
    )


@dataclass(frozen=True)
class _Change:
    kind: ActionKind
    ref: PackageRef
    expected: Status
    target: Status
    change: VersionChange
    source_repository: str | None = None
    allow_overwrite: bool = False
    include_from_upstream: bool = False


def make_plan(desired: DesiredState, live: LiveState, endpoint: str, region: str) -> Plan:
    """Diff the declared state against live state into an ordered, batched plan."""
    resolved = resolve_entries(desired, live.package_names)
    changes: list[_Change] = []
    errors: list[VersionProblem] = []
    protected: list[str] = []
    warnings: list[str] = []
    unchanged = unmanaged = 0
    sizes: dict[str, int] = {}
    for item in resolved:
        target = live.packages.get(item.ref)
        sizes[str(address(item.ref))] = len(target.versions) if target is not None else 0
        sources = {repo: live.packages.get(item.source(repo)) for repo in item.copy_sources}
        evaluation = evaluate(item.declared, target, sources, live.now)
        warnings.extend(evaluation.notes)
        package_changes: list[_Change] = []
        for version in sorted(evaluation.decisions, key=lambda v: version_sort_key(item.ref.format, v)):
            decision = evaluation.decisions[version]
            current = target.versions.get(version) if target is not None else None
            outcome = _diff(item, decision, current, sources)
            if isinstance(outcome, VersionProblem):
                errors.append(outcome)
            elif not outcome:
                unchanged += 1
            else:
                package_changes.extend(outcome)
        protected.extend(_protected(item, package_changes))
        warnings.extend(_warnings(item.ref, target, package_changes))
        changes.extend(package_changes)
        if target is not None:
            unmanaged += sum(1 for v in target.versions if v not in evaluation.decisions)
    if protected:
        raise PlanError(
            f"refused: the plan would Archive or Dispose {len(protected)} protected version(s)",
            "\n".join(protected)
            + "\nChange the manifests so that protected versions stay Published or Unlisted.",
        )
    actions = _batch(changes)
    kinds = Counter(change.kind for change in changes)
    summary = Summary(
        to_copy=kinds[ActionKind.COPY],
        to_update=kinds[ActionKind.UPDATE_STATUS],
        to_dispose=kinds[ActionKind.DISPOSE],
        unchanged=unchanged,
        unmanaged=unmanaged,
        errors=len(errors),
    )
    return Plan(
        tool_version=__version__,
        created_at=dt.datetime.fromtimestamp(live.now, dt.UTC).isoformat(timespec="seconds"),
        evaluated_at=live.now,
        manifest_digest=desired.digest,
        manifest_files=desired.files,
        target=TargetIdentity(
            endpoint=endpoint, region=region, domains=dict(sorted(live.domain_owners.items()))
        ),
        actions=tuple(actions),
        errors=tuple(errors),
        warnings=tuple(warnings),
        summary=summary,
        api_calls=dict(sorted(live.calls.items())),
        package_versions=dict(sorted(sizes.items())),
    )


def _diff(
    item: ResolvedEntry,
    decision: Decision,
    current: VersionState | None,
    sources: dict[str, PackageState | None],
) -> list[_Change] | VersionProblem:
    ref = item.ref
    why = f"{decision.reason} at {decision.origin}"

    def problem(message: str) -> VersionProblem:
        return VersionProblem(
            package=address(ref), version=decision.version, message=message, origin=decision.origin
        )

    if current is not None:
        if current.status == decision.status:
            return []
        if current.status.is_final:
            return problem(
                f"cannot converge: {current.status.value} is final (declared {decision.status.value})"
            )
        if current.status is Status.UNFINISHED and decision.status is not Status.PUBLISHED:
            return problem("cannot converge: an Unfinished upload can only be Published")
        kind = ActionKind.DISPOSE if decision.status is Status.DISPOSED else ActionKind.UPDATE_STATUS
        change = VersionChange(
            version=decision.version,
            prior_status=current.status,
            prior_revision=current.revision,
            after=decision.status,
            reason=why,
        )
        return [_Change(kind, ref, current.status, decision.status, change)]
    if decision.status is Status.DISPOSED:
        return []  # absent is as gone as Disposed: nothing to do
    if decision.copy_from is None:
        return problem(
            f"cannot converge: not in {ref.repository.repository}, and no copy_from to bring it there"
        )
    source_state = sources.get(decision.copy_from)
    source = source_state.versions.get(decision.version) if source_state is not None else None
    if source is None:
        return problem(f"cannot converge: copy source {decision.copy_from} has no version {decision.version}")
    if source.status not in COPYABLE:
        return problem(
            f"cannot converge: {decision.copy_from} has it {source.status.value}, which cannot be copied"
        )
    copied = VersionChange(
        version=decision.version,
        prior_status=source.status,
        prior_revision=source.revision,
        after=source.status,
        reason=why,
    )
    result = [
        _Change(
            ActionKind.COPY,
            ref,
            source.status,
            source.status,
            copied,
            decision.copy_from,
            decision.allow_overwrite,
            decision.include_from_upstream,
        )
    ]
    if decision.status is not source.status:
        # The copy arrives with the source's status and revision; then the declared status follows.
        settle = VersionChange(
            version=decision.version,
            prior_status=source.status,
            prior_revision=source.revision,
            after=decision.status,
            reason=f"{why} (after the copy)",
        )
        result.append(_Change(ActionKind.UPDATE_STATUS, ref, source.status, decision.status, settle))
    return result


def _protected(item: ResolvedEntry, changes: list[_Change]) -> list[str]:
    entry = item.declared.entry
    if not entry.protect:
        return []
    refused = []
    for change in changes:
        if change.target not in _REMOVING:
            continue
        version = change.change.version
        if _is_protected(entry.format, entry.protect, version):
            refused.append(
                f"{item.ref}@{version}: {change.target.value} refused, protected by {entry.protect} "
                f"at {item.declared.origin} ({change.change.reason})"
            )
    return refused


def _is_protected(format: Format, protect: list[str], version: str) -> bool:
    if format is Format.GENERIC:
        return any(fnmatch.fnmatchcase(version, glob) for glob in protect)
    return any(parse_range(format, text).contains(version) for text in protect)


def _warnings(ref: PackageRef, target: PackageState | None, changes: list[_Change]) -> list[str]:
    if target is None:
        return []
    after = {version: state.status for version, state in target.versions.items()}
    for change in changes:
        after[change.change.version] = change.target
    warnings = []
    had_published = any(state.status is Status.PUBLISHED for state in target.versions.values())
    if had_published and Status.PUBLISHED not in after.values():
        warnings.append(f"{ref}: no version will be left Published")
    default = target.default_display_version
    if default is not None and after.get(default) not in (Status.PUBLISHED, None):
        warnings.append(f"{ref}: the version users get by default ({default}) becomes {after[default].value}")
    return warnings


def _batch(changes: list[_Change]) -> list[Action]:
    groups: dict[tuple[object, ...], list[_Change]] = {}  # one group per API call shape
    for change in changes:
        key = (
            change.kind,
            change.ref,
            change.expected,
            change.target,
            change.source_repository,
            change.allow_overwrite,
            change.include_from_upstream,
        )
        groups.setdefault(key, []).append(change)

    def order(shape: tuple[object, ...]) -> tuple[object, ...]:
        first = groups[shape][0]
        return (
            first.kind.phase,
            first.ref.sort_key(),
            first.expected.value,
            first.target.value,
            first.source_repository or "",
            first.allow_overwrite,
            first.include_from_upstream,
        )

    actions: list[Action] = []
    for shape in sorted(groups, key=order):
        members = groups[shape]
        first = members[0]
        for start in range(0, len(members), MAX_VERSIONS_PER_CALL):
            chunk = members[start : start + MAX_VERSIONS_PER_CALL]
            actions.append(
                Action(
                    kind=first.kind,
                    package=address(first.ref),
                    expected_status=first.expected,
                    target_status=first.target,
                    versions=tuple(member.change for member in chunk),
                    source_repository=first.source_repository,
                    allow_overwrite=first.allow_overwrite,
                    include_from_upstream=first.include_from_upstream,
                )
            )
    return actions
