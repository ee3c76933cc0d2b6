"""`make_plan(desired, live) -> Plan`: a pure function, no I/O.

The same manifests and the same live state always give a byte-identical plan: packages are taken
in address order, versions in their format's order, and actions in phases (copies, then status
updates, then disposes), each batch holding at most 100 versions of one package with one expected
and one target status.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from reconciler import __version__
from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import MAX_VERSIONS_PER_CALL, Format, Status
from reconciler.errors import ManifestError
from reconciler.gcpause import gc_paused
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
_FINAL = frozenset(status for status in Status if status.is_final)
# Statuses a version can go from to any other declared status.
_UPDATABLE = frozenset({Status.PUBLISHED, Status.UNLISTED, Status.ARCHIVED})


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
    def upstream_sources(self) -> set[str]:
        """Copy sources whose upstream repositories a copy may take versions from."""
        entry = self.declared.entry
        sources = {
            pin.copy_from for pin in entry.versions.values() if pin.copy_from and pin.include_from_upstream
        }
        return sources | {r.copy_from for r in entry.rules if r.copy_from and r.include_from_upstream}

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


@functools.lru_cache(maxsize=1 << 16)
def version_sort_key(format: Format, version: str) -> tuple[int, object]:
    """Versions of a format in the format's order, then those that do not parse, in text order.

    Cached like parsing: every plan sorts every version it decides (a million for a large run),
    and a cached key makes that sort call no Python code at all.
    """
    parsed = parse_version(format, version)
    return (0, parsed.sort_key) if parsed is not None else (1, version)


def address(ref: PackageRef) -> PackageAddress:
    return PackageAddress(
        domain=ref.repository.domain,
        domain_owner=ref.repository.domain_owner,
        repository=ref.repository.repository,
        format=ref.format,
        namespace=ref.namespace,
        package=ref.package,
    )


# What one API call does, less the package: action kind, expected status, target status, source
# repository, allow_overwrite, include_from_upstream. A package's changes are batched by it.
_Shape = tuple[ActionKind, Status, Status, str | None, bool, bool]
_Change = tuple[_Shape, VersionChange]
# A package's changes of one shape, with the place of their batches in the plan.
_Group = tuple[tuple[object, ...], PackageAddress, _Shape, list[VersionChange]]

_CHANGE_FIELDS = set(VersionChange.model_fields)
_ACTION_FIELDS = set(Action.model_fields)
# The slots every pydantic model instance has besides its fields (what `model_construct` sets).
_new_model = object.__new__
_set_dict = vars(BaseModel)["__dict__"].__set__
_set_fields_set = vars(BaseModel)["__pydantic_fields_set__"].__set__
_set_extra = vars(BaseModel)["__pydantic_extra__"].__set__
_set_private = vars(BaseModel)["__pydantic_private__"].__set__


def _version_change(
    version: str, prior_status: Status, prior_revision: str, after: Status, reason: str
) -> VersionChange:
    """`VersionChange(...)` for values valid by construction (`Status` members and strings).

    A plan holds one per version it changes, a million for a large first rollout: this skips the
    validation, and shares one fields-set between them where pydantic gives each its own (a frozen
    model never changes it; copies get their own): a third of the time and half the memory.
    """
    change: VersionChange = _new_model(VersionChange)
    _set_dict(
        change,
        {
            "version": version,
            "prior_status": prior_status,
            "prior_revision": prior_revision,
            "after": after,
            "reason": reason,
        },
    )
    _set_fields_set(change, _CHANGE_FIELDS)
    _set_extra(change, None)
    _set_private(change, None)
    return change


def _action(
    kind: ActionKind,
    package: PackageAddress,
    expected: Status,
    target: Status,
    versions: tuple[VersionChange, ...],
    source_repository: str | None,
    allow_overwrite: bool,
    include_from_upstream: bool,
) -> Action:
    """`Action(...)` for values valid by construction, as `_version_change` (validating one would
    check its hundred versions again)."""
    action: Action = _new_model(Action)
    _set_dict(
        action,
        {
            "kind": kind,
            "package": package,
            "expected_status": expected,
            "target_status": target,
            "versions": versions,
            "source_repository": source_repository,
            "allow_overwrite": allow_overwrite,
            "include_from_upstream": include_from_upstream,
        },
    )
    _set_fields_set(action, _ACTION_FIELDS)
    _set_extra(action, None)
    _set_private(action, None)
    return action


def make_plan(desired: DesiredState, live: LiveState, endpoint: str, region: str) -> Plan:
    """Diff the declared state against live state into an ordered, batched plan."""
    with gc_paused():  # a change per version planned: see reconciler.gcpause
        return _make_plan(desired, live, endpoint, region)


def _arriving(resolved: list[ResolvedEntry], live: LiveState) -> frozenset[tuple[PackageRef, str]]:
    """(package, version) pairs that pins of this plan copy into a repository where they are missing."""
    found: set[tuple[PackageRef, str]] = set()
    for item in resolved:
        target = live.packages.get(item.ref)
        for version, pin in item.declared.entry.versions.items():
            if pin.copy_from and (target is None or version not in target.versions):
                found.add((item.ref, version))
    return frozenset(found)


def _unmatched(desired: DesiredState, resolved: list[ResolvedEntry], live: LiveState) -> list[str]:
    """Entries that speak about nothing: a typo in a name must not pass for "no changes"."""
    used = {id(item.declared) for item in resolved}
    warnings = []
    for declared in desired.entries:
        entry = declared.entry
        if entry.is_glob and id(declared) not in used:
            warnings.append(
                f"{declared.origin}: glob {entry.name!r} matches no {entry.format.value} package "
                f"in {declared.target.domain}/{declared.target.repository}"
            )
    for item in resolved:
        entry = item.declared.entry
        copies = any(pin.copy_from for pin in entry.versions.values()) or any(
            r.copy_from for r in entry.rules
        )
        if not entry.is_glob and item.ref not in live.packages and not copies:
            warnings.append(f"{item.declared.origin}: no package {item.ref}; the entry changes nothing")
    return warnings


def _make_plan(desired: DesiredState, live: LiveState, endpoint: str, region: str) -> Plan:
    resolved = resolve_entries(desired, live.package_names)
    arriving = _arriving(resolved, live)
    groups: list[_Group] = []
    kinds: Counter[ActionKind] = Counter()
    errors: list[VersionProblem] = []
    warnings: list[str] = _unmatched(desired, resolved, live)
    unchanged = unmanaged = 0
    sizes: dict[str, int] = {}
    no_versions: dict[str, VersionState] = {}
    for item in resolved:
        target = live.packages.get(item.ref)
        package = address(item.ref)
        # Versions not yet Disposed: the base of the per-package share of disposes (limits.py).
        sizes[str(package)] = (
            sum(1 for state in target.versions.values() if state.status not in _FINAL)
            if target is not None
            else 0
        )
        searched = {
            repo: live.upstream_chains.get(item.source(repo).repository, ()) for repo in item.upstream_sources
        }
        sources = {
            repo: live.packages.get(item.source(repo)) for repo in item.copy_sources.union(*searched.values())
        }
        evaluation = evaluate(item.declared, target, sources, live.now)
        warnings.extend(evaluation.notes)
        decisions = evaluation.decisions
        current_versions = target.versions if target is not None else no_versions
        # One rule's versions share one decision, and so one reason.
        reasons: dict[int, str] = {}
        by_shape: dict[_Shape, list[VersionChange]] = {}
        # Per (decision, current status) of the common change: its reason, shape and batch.
        updates: dict[tuple[int, Status], tuple[str, _Shape, list[VersionChange]]] = {}
        in_order: list[_Change] | None = [] if item.declared.entry.protect else None
        for version in sorted(decisions, key=functools.partial(version_sort_key, item.ref.format)):
            decision = decisions[version]
            current = current_versions.get(version)
            if current is not None:
                status = current.status
                if status is decision.status:
                    unchanged += 1
                    continue
                if status in _UPDATABLE:
                    # The common change, as `_diff` makes it: a status update of a version that is there.
                    update = updates.get((id(decision), status))
                    if update is None:
                        update = updates[(id(decision), status)] = _update(
                            decision, status, _reason(reasons, decision), by_shape
                        )
                    why, shape, members = update
                    change = _version_change(version, status, current.revision, decision.status, why)
                    members.append(change)
                    if in_order is not None:
                        in_order.append((shape, change))
                    continue
            outcome = _diff(
                item, version, decision, _reason(reasons, decision), current, sources, arriving, searched
            )
            if (
                outcome == []
                and current is None
                and decision.copy_from
                and decision.status is not Status.DISPOSED
            ):
                warnings.append(
                    f"{item.ref}@{version}: waits for this plan to copy it into {decision.copy_from}; "
                    "plan again after apply to promote it further"
                )
            if isinstance(outcome, VersionProblem):
                errors.append(outcome)
            elif not outcome:
                unchanged += 1
            else:
                for shape, change in outcome:
                    by_shape.setdefault(shape, []).append(change)
                if in_order is not None:
                    in_order.extend(outcome)
        if in_order:
            errors.extend(_protected(item, in_order))
        warnings.extend(_warnings(item.ref, target, by_shape))
        ref_key = item.ref.sort_key()
        for shape, members in by_shape.items():
            kind, expected, target_status, source, overwrite, upstream = shape
            kinds[kind] += len(members)
            order = (
                kind.phase,
                ref_key,
                expected.value,
                target_status.value,
                source or "",
                overwrite,
                upstream,
            )
            groups.append((order, package, shape, members))
        if target is not None:
            unmanaged += len(target.versions.keys() - decisions.keys())
    actions = _batch(groups)
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


def _reason(reasons: dict[int, str], decision: Decision) -> str:
    """A change's reason: its decision's, with where it was declared (one string per decision)."""
    why = reasons.get(id(decision))
    if why is None:
        why = reasons[id(decision)] = f"{decision.reason} at {decision.origin}"
    return why


def _update(
    decision: Decision, status: Status, why: str, by_shape: dict[_Shape, list[VersionChange]]
) -> tuple[str, _Shape, list[VersionChange]]:
    """The reason, shape and batch of versions going from `status` to what `decision` declares."""
    kind = ActionKind.DISPOSE if decision.status is Status.DISPOSED else ActionKind.UPDATE_STATUS
    shape: _Shape = (kind, status, decision.status, None, False, False)
    return why, shape, by_shape.setdefault(shape, [])


def _problem(ref: PackageRef, version: str, decision: Decision, message: str) -> VersionProblem:
    return VersionProblem(package=address(ref), version=version, message=message, origin=decision.origin)


def _diff(
    item: ResolvedEntry,
    version: str,
    decision: Decision,
    why: str,
    current: VersionState | None,
    sources: dict[str, PackageState | None],
    arriving: frozenset[tuple[PackageRef, str]] = frozenset(),
    searched: Mapping[str, tuple[str, ...]] | None = None,
) -> list[_Change] | VersionProblem:
    ref = item.ref
    if current is not None:
        if current.status == decision.status:
            return []
        if current.status in _FINAL:
            return _problem(
                ref,
                version,
                decision,
                f"cannot converge: {current.status.value} is final (declared {decision.status.value})",
            )
        if current.status is Status.UNFINISHED and decision.status is not Status.PUBLISHED:
            return _problem(
                ref, version, decision, "cannot converge: an Unfinished upload can only be Published"
            )
        kind = ActionKind.DISPOSE if decision.status is Status.DISPOSED else ActionKind.UPDATE_STATUS
        change = _version_change(version, current.status, current.revision, decision.status, why)
        return [((kind, current.status, decision.status, None, False, False), change)]
    if decision.status is Status.DISPOSED:
        return []  # absent is as gone as Disposed: nothing to do
    if decision.copy_from is None:
        return _problem(
            ref,
            version,
            decision,
            f"cannot converge: not in {ref.repository.repository}, and no copy_from to bring it there",
        )
    source_state = sources.get(decision.copy_from)
    source = source_state.versions.get(version) if source_state is not None else None
    if source is None and decision.include_from_upstream:
        # CopyPackageVersions looks through the source's upstreams, in order, for what it lacks.
        for upstream in (searched or {}).get(decision.copy_from, ()):
            upstream_state = sources.get(upstream)
            source = upstream_state.versions.get(version) if upstream_state is not None else None
            if source is not None:
                break
    if source is None and (item.source(decision.copy_from), version) in arriving:
        return []  # this plan copies it into the source first; the next plan promotes it further
    if source is None:
        return _problem(
            ref,
            version,
            decision,
            f"cannot converge: copy source {decision.copy_from} has no version {version}",
        )
    if source.status not in COPYABLE:
        return _problem(
            ref,
            version,
            decision,
            f"cannot converge: {decision.copy_from} has it {source.status.value}, which cannot be copied",
        )
    copied = _version_change(version, source.status, source.revision, source.status, why)
    copy_shape: _Shape = (
        ActionKind.COPY,
        source.status,
        source.status,
        decision.copy_from,
        decision.allow_overwrite,
        decision.include_from_upstream,
    )
    result: list[_Change] = [(copy_shape, copied)]
    if decision.status is not source.status:
        # The copy arrives with the source's status and revision; then the declared status follows.
        settle = _version_change(
            version, source.status, source.revision, decision.status, f"{why} (after the copy)"
        )
        # It names the copy's source repository: apply runs it right after that copy (Action doc).
        result.append(
            (
                (ActionKind.UPDATE_STATUS, source.status, decision.status, decision.copy_from, False, False),
                settle,
            )
        )
    return result


def _protected(item: ResolvedEntry, changes: list[_Change]) -> list[VersionProblem]:
    """A plan that would Archive or Dispose a protected version is refused: each such version is an
    error, so the plan cannot be applied until the manifests change."""
    entry = item.declared.entry
    if not entry.protect:
        return []
    refused = []
    for (_, _, target, _, _, _), change in changes:
        if target not in _REMOVING:
            continue
        version = change.version
        if _is_protected(entry.format, entry.protect, version):
            refused.append(
                VersionProblem(
                    package=address(item.ref),
                    version=version,
                    message=f"refused: {target.value} of a version protected by {', '.join(entry.protect)} "
                    f"({change.reason})",
                    origin=str(item.declared.origin),
                )
            )
    return refused


def _is_protected(format: Format, protect: list[str], version: str) -> bool:
    if format is Format.GENERIC:
        return any(fnmatch.fnmatchcase(version, glob) for glob in protect)
    if parse_version(format, version) is None:
        return True  # a range cannot tell whether it covers a version that does not parse: keep it safe
    return any(parse_range(format, text).contains(version) for text in protect)


def _warnings(
    ref: PackageRef, target: PackageState | None, changes: dict[_Shape, list[VersionChange]]
) -> list[str]:
    if target is None:
        return []
    # The status each changed version ends with (others keep theirs). A version's copy comes before
    # the status update that follows it: take the phases in order.
    changed: dict[str, Status] = {}
    for shape in sorted(changes, key=lambda shape: shape[0].phase):
        changed.update(dict.fromkeys([change.version for change in changes[shape]], shape[2]))
    warnings = []
    had_published = any(state.status is Status.PUBLISHED for state in target.versions.values())
    left_published = Status.PUBLISHED in changed.values() or any(
        state.status == Status.PUBLISHED
        for version, state in target.versions.items()
        if version not in changed
    )
    if had_published and not left_published:
        warnings.append(f"{ref}: no version will be left Published")
    default = target.default_display_version
    if default is not None:
        current = target.versions.get(default)
        after = changed.get(default, current.status if current is not None else None)
        if after not in (Status.PUBLISHED, None):
            warnings.append(f"{ref}: the version users get by default ({default}) becomes {after.value}")
    return warnings


def _batch(groups: list[_Group]) -> list[Action]:
    actions: list[Action] = []
    for _, package, shape, members in sorted(groups, key=lambda group: group[0]):
        kind, expected, target, source, overwrite, upstream = shape
        for start in range(0, len(members), MAX_VERSIONS_PER_CALL):
            chunk = tuple(members[start : start + MAX_VERSIONS_PER_CALL])
            actions.append(_action(kind, package, expected, target, chunk, source, overwrite, upstream))
    return actions
