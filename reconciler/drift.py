"""Drift: where live state has moved away from the manifests, read off a plan.

A plan made from fresh live state lists every version that differs from what the manifests declare.
`detect_drift` turns it into a report per version: a status that differs (the plan's status updates
and disposes), a promotion missing from its target repository (the plan's copies, with the status
the version must reach after the copy), and a version that can no longer converge (the plan's
errors). Versions no manifest decides are only counted.

CodeArtifact can lag behind a publish, so a version published within the grace period is left out
of the report and only counted: with a grace period, every package was listed by publish time and
the threshold `now - grace` was located in it (see `PackageState.published_after`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from reconciler.addresses import PackageRef
from reconciler.codeartifact import Status
from reconciler.plan import AcceptedVersion, ActionKind, Plan, TargetIdentity, VersionProblem
from reconciler.state import LiveState, PackageState
from reconciler.versioning import version_sort_key


class DriftKind(StrEnum):
    """How a version drifted; members are listed in the order reports show them."""

    CANNOT_CONVERGE = "cannot-converge"
    STATUS = "status"
    MISSING = "missing"

    @property
    def symbol(self) -> str:
        return {"cannot-converge": "!", "status": "~", "missing": "+"}[self.value]

    @property
    def label(self) -> str:
        """What a count of items of this kind reads as: `2 wrong status`, `1 not promoted`."""
        return {
            "cannot-converge": "cannot converge",
            "status": "wrong status",
            "missing": "not promoted",
        }[self.value]


@dataclass(frozen=True, slots=True)
class DriftItem:
    """One version that is not as declared.

    `live` is its status in the target repository (None: not there). `declared` is the status the
    manifests ask for (None when the plan could not tell: a version that cannot converge says why in
    `reason`). For a missing promotion, `source_repository` and `source_status` say where it is.
    """

    kind: DriftKind
    package: PackageRef
    version: str
    live: Status | None
    declared: Status | None
    reason: str
    source_repository: str | None = None
    source_status: Status | None = None


@dataclass(frozen=True, slots=True)
class DriftReport:
    """Every drifted version, in package then version order, and what was counted but not listed."""

    checked_at: str  # ISO 8601, UTC: when live state was read
    targets: tuple[TargetIdentity, ...]  # one per Region, as the plan's
    manifest_files: tuple[str, ...]
    items: tuple[DriftItem, ...]
    unchanged: int  # versions the manifests decide that are as declared
    unmanaged: int  # versions no manifest decides
    within_grace: int = 0  # drifted versions left out: published within the grace period
    grace_seconds: float | None = None
    api_calls: Mapping[str, int] = field(default_factory=dict)
    # Entries of the manifests that match no package, as the plan words them: a typo must not pass
    # for "no drift".
    warnings: tuple[str, ...] = ()
    # Versions in a live status the manifests accept (`accept`): not drift, but listed on request.
    accepted: tuple[AcceptedVersion, ...] = ()

    @property
    def has_drift(self) -> bool:
        return bool(self.items)

    def counts(self) -> dict[DriftKind, int]:
        """Items per kind, every kind present, in report order."""
        found = Counter(item.kind for item in self.items)
        return {kind: found[kind] for kind in DriftKind}

    def packages(self) -> list[tuple[PackageRef, list[DriftItem]]]:
        """Items grouped by package, packages in address order (items keep their order)."""
        grouped: dict[PackageRef, list[DriftItem]] = {}
        for item in self.items:
            grouped.setdefault(item.package, []).append(item)
        return [(package, grouped[package]) for package in sorted(grouped, key=PackageRef.sort_key)]

    def with_items(self, items: tuple[DriftItem, ...]) -> DriftReport:
        return replace(self, items=items)


def detect_drift(
    plan: Plan, live: LiveState | None = None, grace_seconds: float | None = None
) -> DriftReport:
    """The drift a plan shows. With `live` (read with the same `grace_seconds`), drifted versions
    published within the grace period are counted in `within_grace` instead of listed."""
    found: dict[tuple[PackageRef, str], DriftItem] = {}
    for action in sorted(plan.actions, key=lambda action: action.kind.phase):
        for change in action.versions:
            key = (action.package, change.version)
            if action.kind is ActionKind.COPY:
                found[key] = DriftItem(
                    kind=DriftKind.MISSING,
                    package=action.package,
                    version=change.version,
                    live=None,
                    declared=change.after,
                    reason=change.reason,
                    source_repository=action.source_repository,
                    source_status=change.prior_status,
                )
            elif key in found and found[key].kind is DriftKind.MISSING:
                # The status update that follows a copy: the promotion must arrive at this status.
                found[key] = replace(found[key], declared=change.after)
            else:
                found[key] = DriftItem(
                    kind=DriftKind.STATUS,
                    package=action.package,
                    version=change.version,
                    live=change.prior_status,
                    declared=change.after,
                    reason=change.reason,
                )
    for problem in plan.errors:
        found[(problem.package, problem.version)] = _problem_item(problem, live)

    threshold = live.now - grace_seconds if live is not None and grace_seconds is not None else None
    items: list[DriftItem] = []
    within_grace = 0
    for item in found.values():
        if live is not None and threshold is not None and _published_after(item, live, threshold):
            within_grace += 1
        else:
            items.append(item)
    items.sort(key=_item_order)
    return DriftReport(
        checked_at=plan.created_at,
        targets=plan.targets,
        manifest_files=plan.manifest_files,
        items=tuple(items),
        unchanged=plan.summary.unchanged,
        unmanaged=plan.summary.unmanaged,
        within_grace=within_grace,
        grace_seconds=grace_seconds,
        api_calls=plan.api_calls,
        accepted=plan.accepted,
    )


def _item_order(item: DriftItem) -> tuple[object, ...]:
    return (item.package.sort_key(), version_sort_key(item.package.format, item.version))


def _problem_item(problem: VersionProblem, live: LiveState | None) -> DriftItem:
    state = live.packages.get(problem.package) if live is not None else None
    version = state.versions.get(problem.version) if state is not None else None
    return DriftItem(
        kind=DriftKind.CANNOT_CONVERGE,
        package=problem.package,
        version=problem.version,
        live=version.status if version is not None else None,
        declared=None,
        reason=f"{problem.message}, declared at {problem.origin}",
    )


def _published_after(item: DriftItem, live: LiveState, threshold: float) -> bool:
    """Whether the version was published at or after `threshold`, as far as what was read tells.

    A version missing from its target is judged by its copy in the source repository; a version
    that cannot converge by the target's copy, else by any other repository that was read for the
    same package (a copy source).
    """
    if item.kind is DriftKind.MISSING:
        source = item.package.in_repository(item.source_repository or item.package.repository.repository)
        candidates = [live.packages.get(source)]
    else:
        candidates = [live.packages.get(item.package)]
        if item.kind is DriftKind.CANNOT_CONVERGE and item.live is None:
            candidates = _other_repositories(item.package, live)
    for state in candidates:
        if state is None or item.version not in state.versions:
            continue
        older = state.is_older_than(state.versions[item.version], threshold)
        if older is not None:
            return not older
    return False


def _other_repositories(same: PackageRef, live: LiveState) -> list[PackageState | None]:
    return [
        state
        for ref, state in sorted(live.packages.items(), key=lambda pair: pair[0].sort_key())
        if ref != same
        and (ref.repository.domain, ref.repository.domain_owner, ref.format, ref.namespace, ref.package)
        == (same.repository.domain, same.repository.domain_owner, same.format, same.namespace, same.package)
    ]
