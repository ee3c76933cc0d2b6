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

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import NamedTuple

from reconciler.addresses import PackageRef
from reconciler.codeartifact import Status
from reconciler.plan import AcceptedVersion, ActionKind, Plan, TargetIdentity, VersionProblem
from reconciler.state import LiveState, PackageState
from reconciler.versioning import version_sort_keys


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


class DriftItem(NamedTuple):
    """One version that is not as declared.

    `live` is its status in the target repository (None: not there). `declared` is the status the
    manifests ask for (None when the plan could not tell: a version that cannot converge says why in
    `reason`). For a missing promotion, `source_repository` and `source_status` say where it is.
    A NamedTuple, as the plan's `VersionChange`: a report holds one per drifted version, a million
    for a large first check, and a tuple is built about 3.5 times faster than a frozen dataclass.
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
        runs = consecutive(self.items)
        # `detect_drift` lists items package by package, in address order: taken as they come, a
        # million items cost no hashing of their package. Items in any other order are grouped anew.
        keys = [package.sort_key() for package, _ in runs]
        if all(earlier < later for earlier, later in itertools.pairwise(keys)):
            return runs
        grouped: dict[PackageRef, list[DriftItem]] = {}
        for item in self.items:
            grouped.setdefault(item.package, []).append(item)
        return [(package, grouped[package]) for package in sorted(grouped, key=PackageRef.sort_key)]

    def with_items(self, items: tuple[DriftItem, ...]) -> DriftReport:
        return replace(self, items=items)


def consecutive(items: Iterable[DriftItem]) -> list[tuple[PackageRef, list[DriftItem]]]:
    """The items in their order, each run of items of one package together."""
    runs: list[tuple[PackageRef, list[DriftItem]]] = []
    for item in items:
        # The same package object, as `detect_drift` gives a package's items, is equal at no cost.
        if runs and (item.package is runs[-1][0] or item.package == runs[-1][0]):
            runs[-1][1].append(item)
        else:
            runs.append((item.package, [item]))
    return runs


def detect_drift(
    plan: Plan, live: LiveState | None = None, grace_seconds: float | None = None
) -> DriftReport:
    """The drift a plan shows. With `live` (read with the same `grace_seconds`), drifted versions
    published within the grace period are counted in `within_grace` instead of listed."""
    found = _drifted_versions(plan, live)
    threshold = live.now - grace_seconds if live is not None and grace_seconds is not None else None
    items: list[DriftItem] = []
    within_grace = 0
    for package in sorted(found, key=PackageRef.sort_key):
        versions = found[package]
        # Keys looked up in a dict (as the planner sorts), not computed per comparison.
        in_order = sorted(versions, key=version_sort_keys(package.format, versions))
        if live is None or threshold is None:
            items += [versions[version] for version in in_order]
            continue
        for version in in_order:
            item = versions[version]
            if _published_after(item, live, threshold):
                within_grace += 1
            else:
                items.append(item)
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


def _drifted_versions(plan: Plan, live: LiveState | None) -> dict[PackageRef, dict[str, DriftItem]]:
    """Every version the plan changes or cannot converge, per package and keyed by the version alone:
    a report of a million versions hashes a package once per action, not once per version, and
    sorts each package's versions on their own (the report's order is package, then version)."""
    found: dict[PackageRef, dict[str, DriftItem]] = {}
    for action in sorted(plan.actions, key=lambda action: action.kind.phase):
        package = action.package
        versions = found.get(package)
        if versions is None:
            versions = found[package] = {}
        if action.kind is ActionKind.COPY:
            source = action.source_repository
            for change in action.versions:
                versions[change.version] = DriftItem(
                    DriftKind.MISSING, package, change.version, None, change.after, change.reason,
                    source, change.prior_status,
                )  # fmt: skip
            continue
        for change in action.versions:
            earlier = versions.get(change.version)
            if earlier is not None and earlier.kind is DriftKind.MISSING:
                # The status update that follows a copy: the promotion must arrive at this status.
                versions[change.version] = earlier._replace(declared=change.after)
            else:
                versions[change.version] = DriftItem(
                    DriftKind.STATUS,
                    package,
                    change.version,
                    change.prior_status,
                    change.after,
                    change.reason,
                )
    for problem in plan.errors:
        found.setdefault(problem.package, {})[problem.version] = _problem_item(problem, live)
    return found


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
        # The same package of the same domain: a domain of one name in another Region is another domain.
        and (
            ref.repository.region,
            ref.repository.domain,
            ref.repository.domain_owner,
            ref.format,
            ref.namespace,
        )
        == (
            same.repository.region,
            same.repository.domain,
            same.repository.domain_owner,
            same.format,
            same.namespace,
        )
        and ref.package == same.package
    ]
