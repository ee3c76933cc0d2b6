"""Has live state moved since the plan? Compare every version a plan touches with what it saw.

A version is *ready* when it is as the plan saw it, *done* when it is already as the plan would
leave it (an earlier, interrupted apply of the same plan), and *moved* otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from reconciler.addresses import PackageRef
from reconciler.applier import Outcome, VersionOutcome
from reconciler.plan import Action, ActionKind, Plan, VersionChange
from reconciler.state import PackageState, VersionState


class ChangeKey(NamedTuple):
    """One version's change in a plan: a version may be copied, then updated, in one plan."""

    package: PackageRef
    version: str
    kind: ActionKind


@dataclass(frozen=True)
class Moved:
    package: PackageRef
    version: str
    kind: ActionKind
    planned: dict[str, Any]  # what the plan saw
    live: dict[str, Any] | None  # what is there now (None: gone)
    where: str  # the repository that was compared

    @property
    def key(self) -> ChangeKey:
        return ChangeKey(self.package, self.version, self.kind)


@dataclass
class Staleness:
    moved: list[Moved] = field(default_factory=list)
    done: list[ChangeKey] = field(default_factory=list)

    @property
    def is_stale(self) -> bool:
        return bool(self.moved)


def packages_to_check(plan: Plan) -> list[PackageRef]:
    refs: dict[PackageRef, None] = {}
    for action in plan.actions:
        refs[action.package] = None
        if action.source is not None:
            refs[action.source] = None
    return sorted(refs, key=PackageRef.sort_key)


def check_staleness(plan: Plan, live: dict[PackageRef, PackageState]) -> Staleness:
    """Classify every (package, version, kind) of the plan as ready, done or moved."""
    result = Staleness()
    copied = {
        (action.package, change.version)
        for action in plan.actions
        if action.kind is ActionKind.COPY
        for change in action.versions
    }
    settled_later = {
        (action.package, change.version)
        for action in plan.actions
        if action.kind is not ActionKind.COPY
        for change in action.versions
    }
    for action in plan.actions:
        for change in action.versions:
            _check(action, change, live, copied, settled_later, result)
    return result


def _state(live: dict[PackageRef, PackageState], ref: PackageRef, version: str) -> VersionState | None:
    package = live.get(ref)
    return package.versions.get(version) if package is not None else None


def _view(state: VersionState | None) -> dict[str, Any] | None:
    return None if state is None else {"status": state.status.value, "revision": state.revision}


def _check(
    action: Action,
    change: VersionChange,
    live: dict[PackageRef, PackageState],
    copied: set[tuple[PackageRef, str]],
    settled_later: set[tuple[PackageRef, str]],
    result: Staleness,
) -> None:
    if action.kind is ActionKind.COPY:
        verdict = _check_copy(action, change, live, (action.package, change.version) in settled_later)
    else:
        verdict = _check_update(action, change, live, (action.package, change.version) in copied)
    if isinstance(verdict, Moved):
        result.moved.append(verdict)
    elif verdict is not None:
        result.done.append(verdict)


def _check_copy(
    action: Action, change: VersionChange, live: dict[PackageRef, PackageState], settled_later: bool
) -> Moved | ChangeKey | None:
    """A copy is done if it arrived as planned, moved if the destination holds another version (and
    may not be overwritten) or the source's version changed, else ready."""
    package = action.package
    planned = {"status": change.prior_status.value, "revision": change.prior_revision}
    destination = _state(live, package, change.version)
    if destination is not None:
        # The plan copies only what the destination did not have.
        same = destination.revision == change.prior_revision
        # A copy that arrived as planned is done; a status the plan's own later action checks is
        # that action's business.
        if same and (destination.status == change.after or settled_later):
            return ChangeKey(package, change.version, action.kind)
        if same or not action.allow_overwrite:
            absent = {"status": None, "revision": None}
            where = package.repository.repository
            return Moved(package, change.version, action.kind, absent, _view(destination), where)
        # Someone else's version is there, and the manifest allows overwriting it: the source decides.
    source = _state(live, action.source, change.version) if action.source is not None else None
    if source is None and action.include_from_upstream:
        return None  # it comes from an upstream of the source; the call's versionRevisions guard it there
    if _view(source) != planned:
        return Moved(
            package, change.version, action.kind, planned, _view(source), action.source_repository or ""
        )
    return None


def _check_update(
    action: Action, change: VersionChange, live: dict[PackageRef, PackageState], arrives_by_copy: bool
) -> Moved | ChangeKey | None:
    """A status update (or dispose, or delete) is ready if the version is as the plan saw it, done if
    it is already as the plan leaves it with the same revision (a delete: absent), and moved otherwise."""
    package = action.package
    planned = {"status": change.prior_status.value, "revision": change.prior_revision}
    destination = _state(live, package, change.version)
    where = package.repository.repository
    if destination is None:
        if action.kind is ActionKind.DELETE:
            # Already gone, as the delete leaves it (an interrupted apply of this plan, or another
            # writer): nothing is left to delete, and nothing to be refused for.
            return ChangeKey(package, change.version, action.kind)
        if arrives_by_copy:
            return None  # it arrives with this plan's copy
        return Moved(package, change.version, action.kind, planned, None, where)
    if _view(destination) == planned:
        return None
    if destination.status == change.after and destination.revision == change.prior_revision:
        return ChangeKey(package, change.version, action.kind)
    return Moved(package, change.version, action.kind, planned, _view(destination), where)


def without(plan: Plan, changes: set[ChangeKey]) -> Plan:
    """The plan less the given changes; actions left empty are dropped."""
    actions = []
    for action in plan.actions:
        kept = tuple(c for c in action.versions if (action.package, c.version, action.kind) not in changes)
        if kept:
            actions.append(action.with_versions(kept))
    return plan.with_actions(tuple(actions))


def outcomes_before_apply(plan: Plan, staleness: Staleness) -> list[VersionOutcome]:
    """The outcome of every change staleness already decided: moved (not attempted), or done."""
    moved = {m.key: m for m in staleness.moved}
    done = set(staleness.done)
    outcomes = []
    for action in plan.actions:
        for change in action.versions:
            key = ChangeKey(action.package, change.version, action.kind)
            if key in moved:
                item = moved[key]
                outcome, code = Outcome.MOVED, "MOVED_SINCE_PLAN"
                message = f"plan saw {short_view(item.planned)}, now {short_view(item.live)} in {item.where}"
            elif key in done:
                outcome, code, message = Outcome.UNCHANGED, "", "already as planned"
            else:
                continue
            outcomes.append(
                VersionOutcome(
                    action.package,
                    change.version,
                    action.kind,
                    change.prior_status.value,
                    change.after.value,
                    outcome,
                    code,
                    message,
                )
            )
    return outcomes


def short_view(view: dict[str, Any] | None) -> str:
    """`Published (revision R)`, or `absent`."""
    if view is None or view.get("status") is None:
        return "absent"
    return f"{view['status']} (revision {view['revision']})"
