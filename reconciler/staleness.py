"""Has live state moved since the plan? Compare every version a plan touches with what it saw.

A version is *ready* when it is as the plan saw it, *done* when it is already as the plan would
leave it (an earlier, interrupted apply of the same plan), and *moved* otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.addresses import PackageRef
from reconciler.plan import Action, ActionKind, Plan, VersionChange
from reconciler.state import PackageState, VersionState


@dataclass(frozen=True)
class Moved:
    package: str
    version: str
    kind: ActionKind
    planned: dict[str, Any]  # what the plan saw
    live: dict[str, Any] | None  # what is there now (None: gone)
    where: str  # the repository that was compared


@dataclass
class Staleness:
    moved: list[Moved] = field(default_factory=list)
    done: list[tuple[str, str, ActionKind]] = field(default_factory=list)  # (package, version, kind)

    @property
    def is_stale(self) -> bool:
        return bool(self.moved)


def packages_to_check(plan: Plan) -> list[PackageRef]:
    refs: dict[PackageRef, None] = {}
    for action in plan.actions:
        refs[action.package.ref()] = None
        if action.kind is ActionKind.COPY and action.source_repository:
            refs[action.package.ref(action.source_repository)] = None
    return sorted(refs, key=PackageRef.sort_key)


def check_staleness(plan: Plan, live: dict[PackageRef, PackageState]) -> Staleness:
    """Classify every (package, version, kind) of the plan as ready, done or moved."""
    result = Staleness()
    copied = {
        (str(action.package), change.version)
        for action in plan.actions
        if action.kind is ActionKind.COPY
        for change in action.versions
    }
    settled_later = {
        (str(action.package), change.version)
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
    copied: set[tuple[str, str]],
    settled_later: set[tuple[str, str]],
    result: Staleness,
) -> None:
    package = str(action.package)
    planned = {"status": change.prior_status.value, "revision": change.prior_revision}
    destination = _state(live, action.package.ref(), change.version)
    if action.kind is ActionKind.COPY:
        if destination is not None:
            # The plan copies only what the destination did not have.
            same = destination.revision == change.prior_revision
            # A copy that arrived as planned is done; a status the plan's own later action checks
            # is that action's business.
            if same and (destination.status == change.after or (package, change.version) in settled_later):
                result.done.append((package, change.version, action.kind))
                return
            if same or not action.allow_overwrite:
                result.moved.append(
                    Moved(
                        package,
                        change.version,
                        action.kind,
                        {"status": None, "revision": None},
                        _view(destination),
                        action.package.repository,
                    )
                )
                return
            # Someone else's version is there, and the manifest allows overwriting it: the source decides.
        source = _state(live, action.package.ref(action.source_repository), change.version)
        if source is None and action.include_from_upstream:
            return  # it comes from an upstream of the source; the call's versionRevisions guard it there
        if _view(source) != planned:
            result.moved.append(
                Moved(
                    package,
                    change.version,
                    action.kind,
                    planned,
                    _view(source),
                    action.source_repository or "",
                )
            )
        return
    if destination is None:
        if (package, change.version) in copied:
            return  # it arrives with this plan's copy
        result.moved.append(
            Moved(package, change.version, action.kind, planned, None, action.package.repository)
        )
        return
    if _view(destination) == planned:
        return
    if destination.status == change.after and destination.revision == change.prior_revision:
        result.done.append((package, change.version, action.kind))
        return
    result.moved.append(
        Moved(package, change.version, action.kind, planned, _view(destination), action.package.repository)
    )


def without(plan: Plan, versions: set[tuple[str, str, ActionKind]]) -> Plan:
    """The plan less the given (package, version, kind) changes; actions left empty are dropped."""
    actions = []
    for action in plan.actions:
        kept = tuple(
            c for c in action.versions if (str(action.package), c.version, action.kind) not in versions
        )
        if kept:
            actions.append(action.model_copy(update={"versions": kept}))
    return plan.model_copy(update={"actions": tuple(actions)})
