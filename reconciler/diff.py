"""The planner's per-version and per-package judgements: the changes that bring a version to its
declared state when no plain status update does, the versions `protect` and `protect_in_use`
refuse, and what a
reviewer should be warned of."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

from reconciler.addresses import PackageRef
from reconciler.codeartifact import COPYABLE_STATUSES, FINAL_STATUSES, REMOVING_STATUSES, Format, Status
from reconciler.models import in_use_version
from reconciler.plan import ActionKind, BatchKey, VersionChange, VersionProblem
from reconciler.rules import Decision
from reconciler.scope import ResolvedEntry
from reconciler.state import PackageState, VersionState
from reconciler.versioning import parse_range, parse_version

# One version's change and the batch it goes in.
Change = tuple[BatchKey, VersionChange]


def other_changes(
    item: ResolvedEntry,
    version: str,
    decision: Decision,
    why: str,
    current: VersionState | None,
    sources: Mapping[str, PackageState | None],
    arriving: frozenset[tuple[PackageRef, str]] = frozenset(),
    searched: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Change] | VersionProblem:
    """The changes of a version that is absent, or in a status no update moves it from (Unfinished,
    Disposed, Deleted): a copy (and the update that settles its status), nothing, or a problem."""
    if current is not None:
        return _from_closed(item.ref, version, decision, why, current)
    if decision.status in FINAL_STATUSES:
        return []  # absent is as gone as Disposed, and is what Deleted asks for: nothing to do
    if decision.copy_from is None:
        return _problem(
            item.ref,
            version,
            decision,
            f"cannot converge: not in {item.ref.repository.repository}, and no copy_from to bring it there",
        )
    source = _copy_source(decision, version, sources, searched or {})
    if source is None and (item.source(decision.copy_from), version) in arriving:
        return []  # this plan copies it into the source first; the next plan promotes it further
    if source is None:
        return _problem(
            item.ref,
            version,
            decision,
            f"cannot converge: copy source {decision.copy_from} has no version {version}",
        )
    if source.status not in COPYABLE_STATUSES:
        return _problem(
            item.ref,
            version,
            decision,
            f"cannot converge: {decision.copy_from} has it {source.status.value}, which cannot be copied",
        )
    return _copy(version, decision, why, source)


def _from_closed(
    ref: PackageRef, version: str, decision: Decision, why: str, current: VersionState
) -> list[Change] | VersionProblem:
    if current.status == decision.status:
        return []
    if current.status is Status.DISPOSED and decision.status is Status.DELETED:
        # Deleting is the one action left for a Disposed version (its record goes too).
        change = VersionChange(version, current.status, current.revision, decision.status, why)
        return [(BatchKey(ActionKind.DELETE, current.status, decision.status), change)]
    if current.status in FINAL_STATUSES:
        return _problem(
            ref,
            version,
            decision,
            f"cannot converge: {current.status.value} is final (declared {decision.status.value})",
        )
    if current.status is Status.UNFINISHED and decision.status is not Status.PUBLISHED:
        return _problem(ref, version, decision, "cannot converge: an Unfinished upload can only be Published")
    change = VersionChange(version, current.status, current.revision, decision.status, why)
    return [(BatchKey(ActionKind.changing_to(decision.status), current.status, decision.status), change)]


def _copy_source(
    decision: Decision,
    version: str,
    sources: Mapping[str, PackageState | None],
    searched: Mapping[str, tuple[str, ...]],
) -> VersionState | None:
    """The version a copy would take: from the source, else (include_from_upstream) from the first of
    the source's upstreams that has it, in the order CopyPackageVersions searches them."""
    assert decision.copy_from is not None
    repositories = [decision.copy_from]
    if decision.include_from_upstream:
        repositories += searched.get(decision.copy_from, ())
    for repository in repositories:
        state = sources.get(repository)
        found = state.versions.get(version) if state is not None else None
        if found is not None:
            return found
    return None


def _copy(version: str, decision: Decision, why: str, source: VersionState) -> list[Change]:
    assert decision.copy_from is not None
    copied = VersionChange(version, source.status, source.revision, source.status, why)
    copy_key = BatchKey(
        ActionKind.COPY,
        source.status,
        source.status,
        decision.copy_from,
        decision.allow_overwrite,
        decision.include_from_upstream,
    )
    result: list[Change] = [(copy_key, copied)]
    if decision.status is not source.status:
        # The copy arrives with the source's status and revision; then the declared status follows.
        # The update names the copy's source repository: apply runs it right after that copy.
        settle = VersionChange(
            version, source.status, source.revision, decision.status, f"{why} (after the copy)"
        )
        settle_key = BatchKey(ActionKind.UPDATE_STATUS, source.status, decision.status, decision.copy_from)
        result.append((settle_key, settle))
    return result


def _problem(ref: PackageRef, version: str, decision: Decision, message: str) -> VersionProblem:
    return VersionProblem(package=ref, version=version, message=message, origin=decision.origin)


def protected_problems(item: ResolvedEntry, changes: list[Change]) -> list[VersionProblem]:
    """A plan that would Archive, Dispose or Delete a protected version is refused: each such version is an
    error, so the plan cannot be applied until the manifests change."""
    entry = item.declared.entry
    refused = []
    for key, change in changes:
        if key.target_status not in REMOVING_STATUSES:
            continue
        if _is_protected(entry.format, entry.protect, change.version):
            refused.append(
                VersionProblem(
                    package=item.ref,
                    version=change.version,
                    message=f"refused: {key.target_status.value} of a version protected by "
                    f"{', '.join(entry.protect)} ({change.reason})",
                    origin=str(item.declared.origin),
                )
            )
    return refused


def in_use_problems(item: ResolvedEntry, changes: list[Change]) -> list[VersionProblem]:
    """A plan that would take out of use (Archive, Dispose, Delete: `REMOVING_STATUSES`) a version that one of
    the entry's protect_in_use files names is refused, naming the file and line that pins it."""
    ref = item.ref
    named = item.declared.in_use.get((ref.namespace, ref.package))
    if not named:
        return []
    refused = []
    for key, change in changes:
        if key.target_status not in REMOVING_STATUSES:
            continue
        where = named.get(in_use_version(ref.format, change.version))
        if where is not None:
            refused.append(
                VersionProblem(
                    package=ref,
                    version=change.version,
                    message=f"refused: {key.target_status.value} of a version in use: named by {where} "
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


def package_warnings(
    ref: PackageRef, target: PackageState | None, batches: Mapping[BatchKey, list[VersionChange]]
) -> list[str]:
    """What a reviewer should know of a package after the plan: nothing left Published, or the
    version users get by default leaving Published."""
    if target is None:
        return []
    # The status each changed version ends with (others keep theirs). A version's copy comes before
    # the status update that follows it: take the phases in order.
    changed: dict[str, Status] = {}
    for key in sorted(batches, key=lambda key: key.kind.phase):
        changed.update(dict.fromkeys([change.version for change in batches[key]], key.target_status))
    warnings = []
    had_published = any(state.status is Status.PUBLISHED for state in target.versions.values())
    left_published = Status.PUBLISHED in changed.values() or any(
        state.status == Status.PUBLISHED
        for version, state in target.versions.items()
        if version not in changed
    )
    if had_published and not left_published:
        warnings.append(f"{ref}: no version will be left Published")
    # Only a change this plan makes: CodeArtifact's default display version is the newest version
    # whatever its status, so it may already be Unlisted or Archived, and saying so again on every
    # plan (an empty one included) would be noise.
    default = target.default_display_version
    after = changed.get(default) if default is not None else None
    if after is not None and after is not Status.PUBLISHED:
        warnings.append(f"{ref}: the version users get by default ({default}) becomes {after.value}")
    return warnings
