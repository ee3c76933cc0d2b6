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

import bisect
import functools
import heapq
import itertools
import operator
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, NamedTuple, overload

from reconciler.addresses import PackageRef
from reconciler.codeartifact import Status
from reconciler.plan import (
    AcceptedVersion,
    Action,
    ActionKind,
    Plan,
    TargetIdentity,
    VersionChange,
    VersionProblem,
)
from reconciler.state import LiveState, PackageState
from reconciler.versioning import version_sort_key, version_sort_keys


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


class PackageDrift(NamedTuple):
    """One package's drifted versions in version order, and how each drifted: `cells[i]` is the item
    of `versions[i]` but for its version (a cell's own `version` means nothing). Versions that
    drifted the same way share one cell (a status update's, a copy's), so a package of 100,000
    drifted versions is two lists, not 100,000 items; `kinds` counts them by kind."""

    package: PackageRef
    versions: list[str]
    cells: list[DriftItem]
    kinds: Counter[DriftKind]

    def items(self) -> Iterator[DriftItem]:
        for version, cell in zip(self.versions, self.cells, strict=True):
            yield _item(cell, version)

    @classmethod
    def of(cls, package: PackageRef, items: list[DriftItem]) -> PackageDrift:
        """The items of one package as they are, those that drifted the same way sharing a cell (the
        first of them)."""
        cells: dict[tuple[object, ...], DriftItem] = {}
        shared = [cells.setdefault((item.kind, *item[3:]), item) for item in items]
        return cls(package, [item.version for item in items], shared, Counter(map(_KIND, items)))


_KIND = operator.itemgetter(0)  # an item's (or a cell's) kind
_VERSION = operator.itemgetter(0)  # a `VersionChange`'s version
_HOW = operator.itemgetter(1, 3, 4)  # a `VersionChange`'s prior status, status after and reason


def _item(cell: DriftItem, version: str) -> DriftItem:
    return DriftItem(
        cell.kind, cell.package, version, cell.live, cell.declared, cell.reason,
        cell.source_repository, cell.source_status,
    )  # fmt: skip


class DriftItems(Sequence[DriftItem]):
    """A report's items as `detect_drift` gathers them, a package at a time (`packages`): each item
    is made when it is asked for, so that views, which write a package at a time, never make them.
    Equal to any sequence of the same items (a tuple of them, say)."""

    def __init__(self, packages: Sequence[PackageDrift]) -> None:
        self.packages = tuple(packages)
        self._ends = list(itertools.accumulate(len(drift.versions) for drift in self.packages))

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    @overload
    def __getitem__(self, index: int) -> DriftItem: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[DriftItem, ...]: ...

    def __getitem__(self, index: int | slice) -> DriftItem | tuple[DriftItem, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        position = operator.index(index)
        position += len(self) if position < 0 else 0
        if not 0 <= position < len(self):
            raise IndexError("drift item index out of range")
        which = bisect.bisect_right(self._ends, position)
        drift = self.packages[which]
        offset = position - (self._ends[which - 1] if which else 0)
        return _item(drift.cells[offset], drift.versions[offset])

    def __iter__(self) -> Iterator[DriftItem]:
        for drift in self.packages:
            yield from drift.items()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(map(operator.eq, self, other))

    __hash__ = None  # type: ignore[assignment]  # equal to tuples, which hash otherwise

    def __repr__(self) -> str:
        return f"DriftItems({list(self)!r})"

    def kinds(self) -> Counter[DriftKind]:
        found: Counter[DriftKind] = Counter()
        for drift in self.packages:
            found.update(drift.kinds)
        return found


@dataclass(frozen=True, slots=True)
class DriftReport:
    """Every drifted version, in package then version order, and what was counted but not listed."""

    checked_at: str  # ISO 8601, UTC: when live state was read
    targets: tuple[TargetIdentity, ...]  # one per Region, as the plan's
    manifest_files: tuple[str, ...]
    items: Sequence[DriftItem]  # `detect_drift` gives `DriftItems`; any sequence of items will do
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
        return len(self.items) > 0

    def counts(self) -> dict[DriftKind, int]:
        """Items per kind, every kind present, in report order."""
        items = self.items
        found = items.kinds() if isinstance(items, DriftItems) else Counter(item.kind for item in items)
        return {kind: found[kind] for kind in DriftKind}

    def drifted(self) -> Sequence[PackageDrift]:
        """The items of each package together, packages in address order (items keep their order)."""
        if isinstance(self.items, DriftItems):
            return self.packages_as_listed()  # `detect_drift` lists them in address order
        runs = self.packages_as_listed()
        # Items listed package by package, in address order, are taken as they come: a million items
        # cost no hashing of their package. Items in any other order are grouped anew.
        keys = [drift.package.sort_key() for drift in runs]
        if all(earlier < later for earlier, later in itertools.pairwise(keys)):
            return runs
        grouped: dict[PackageRef, list[DriftItem]] = {}
        for item in self.items:
            grouped.setdefault(item.package, []).append(item)
        return [
            PackageDrift.of(package, grouped[package]) for package in sorted(grouped, key=PackageRef.sort_key)
        ]

    def packages_as_listed(self) -> Sequence[PackageDrift]:
        """The items in their order, each run of items of one package together."""
        if isinstance(self.items, DriftItems):
            return self.items.packages
        return [PackageDrift.of(package, items) for package, items in consecutive(self.items)]

    def packages(self) -> list[tuple[PackageRef, list[DriftItem]]]:
        """Items grouped by package, packages in address order (items keep their order)."""
        return [(drift.package, list(drift.items())) for drift in self.drifted()]

    def with_items(self, items: Sequence[DriftItem]) -> DriftReport:
        return replace(self, items=items)


def consecutive(items: Iterable[DriftItem]) -> list[tuple[PackageRef, list[DriftItem]]]:
    """The items in their order, each run of items of one package together."""
    runs: list[tuple[PackageRef, list[DriftItem]]] = []
    for item in items:
        # The same package object, as a report's items of one package hold, is equal at no cost.
        if runs and (item.package is runs[-1][0] or item.package == runs[-1][0]):
            runs[-1][1].append(item)
        else:
            runs.append((item.package, [item]))
    return runs


# A package with more drifted versions than this, and no copy or error, has its versions merged in
# order from the plan's batches (each already in order) rather than sorted: a sort would hold every
# version's key at once (about 75 bytes a version for a package of 100,000, drift's peak).
_MERGE_ABOVE = 1 << 14


def detect_drift(
    plan: Plan, live: LiveState | None = None, grace_seconds: float | None = None
) -> DriftReport:
    """The drift a plan shows. With `live` (read with the same `grace_seconds`), drifted versions
    published within the grace period are counted in `within_grace` instead of listed."""
    threshold = live.now - grace_seconds if live is not None and grace_seconds is not None else None
    # A package's actions, phases in order (a later phase's change of a version overrides an
    # earlier one's, but for the update that settles a copy), then its errors, which override both.
    actions: dict[PackageRef, list[Action]] = {}
    for action in sorted(plan.actions, key=lambda action: action.kind.phase):
        actions.setdefault(action.package, []).append(action)
    problems: dict[PackageRef, list[VersionProblem]] = {}
    for problem in plan.errors:
        actions.setdefault(problem.package, [])
        problems.setdefault(problem.package, []).append(problem)
    packages: list[PackageDrift] = []
    within_grace = 0
    for package in sorted(actions, key=PackageRef.sort_key):
        drift = _package_drift(package, actions[package], problems.get(package, []), live)
        if live is not None and threshold is not None:
            drift, recent = _outside_grace(drift, live, threshold)
            within_grace += recent
        if drift.versions:
            packages.append(drift)
    return DriftReport(
        checked_at=plan.created_at,
        targets=plan.targets,
        manifest_files=plan.manifest_files,
        items=DriftItems(packages),
        unchanged=plan.summary.unchanged,
        unmanaged=plan.summary.unmanaged,
        within_grace=within_grace,
        grace_seconds=grace_seconds,
        api_calls=plan.api_calls,
        accepted=plan.accepted,
    )


# A cell's fields less its package and version: kind, live, declared, reason, source and its status.
_CellKey = tuple[DriftKind, Status | None, Status | None, str, str | None, Status | None]


def _package_drift(
    package: PackageRef, actions: list[Action], problems: list[VersionProblem], live: LiveState | None
) -> PackageDrift:
    """Every version of `package` the plan changes or cannot converge, in version order."""
    copies = any(action.kind is ActionKind.COPY for action in actions)
    if not problems and not copies and _more_than(actions, _MERGE_ABOVE):
        merged = _merged_updates(package, actions)
        if merged is not None:
            return merged
    # Keyed by the version alone; a later change of a version replaces its cell where it stands.
    found = _with_copies(package, actions) if copies else _updates(package, actions)
    for problem in problems:
        found[problem.version] = _problem_item(problem, live)._replace(version="")
    # Keys looked up in a dict (as the planner sorts), not computed per comparison.
    in_order = sorted(found, key=version_sort_keys(package.format, found))
    in_cells = list(map(found.__getitem__, in_order))
    if problems or copies:
        return PackageDrift(package, in_order, in_cells, Counter(map(_KIND, in_cells)))
    return PackageDrift(package, in_order, in_cells, Counter({DriftKind.STATUS: len(in_order)}))


def _updates(package: PackageRef, actions: list[Action]) -> dict[str, DriftItem]:
    """The cell of each version a package's actions change, none of them a copy: every change a wrong
    status, its cell found by (live, declared, reason) with no Python code a version (a million for a
    large first check)."""
    found: dict[str, DriftItem] = {}
    cells: dict[tuple[Status, Status, str], DriftItem] = {}
    for action in actions:
        ways = list(map(_HOW, action.versions))
        for way in set(ways).difference(cells):
            cells[way] = DriftItem(DriftKind.STATUS, package, "", *way)
        found.update(zip(map(_VERSION, action.versions), map(cells.__getitem__, ways), strict=True))
    return found


def _with_copies(package: PackageRef, actions: list[Action]) -> dict[str, DriftItem]:
    """The cell of each version a package's actions change, copies among them: a missing promotion,
    which the update that follows it settles, or a wrong status."""
    found: dict[str, DriftItem] = {}
    cells: dict[_CellKey, DriftItem] = {}
    key: _CellKey
    for action in actions:
        source = action.source_repository
        for version, prior, _, after, reason in action.versions:
            earlier = found.get(version)
            if action.kind is ActionKind.COPY:
                key = (DriftKind.MISSING, None, after, reason, source, prior)
            elif earlier is not None and earlier.kind is DriftKind.MISSING:
                # The status update that follows a copy: the promotion must arrive at this status.
                key = (
                    DriftKind.MISSING,
                    None,
                    after,
                    earlier.reason,
                    earlier.source_repository,
                    earlier.source_status,
                )
            else:
                key = (DriftKind.STATUS, prior, after, reason, None, None)
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = DriftItem(key[0], package, "", *key[1:])
            found[version] = cell
    return found


def _more_than(actions: list[Action], size: int) -> bool:
    return sum(len(action.versions) for action in actions) > size


def _merged_updates(package: PackageRef, actions: list[Action]) -> PackageDrift | None:
    """A package's status changes in version order, merged from its batches (each in version order,
    as the planner makes them) with a key per batch at a time; None when a batch is out of order or a
    version is changed twice, which only a sort of every version can place as it was placed."""
    sort_key = functools.partial(version_sort_key, package.format)
    # A batch key's batches follow one another: each such run is in order as a whole.
    runs = [
        itertools.chain.from_iterable([action.versions for action in group])
        for _, group in itertools.groupby(actions, key=lambda action: action.key)
    ]
    heap: list[tuple[Any, int, VersionChange]] = []
    for index, run in enumerate(runs):
        first = next(run, None)
        if first is not None:
            heap.append((sort_key(first.version), index, first))
    heapq.heapify(heap)
    versions: list[str] = []
    in_cells: list[DriftItem] = []
    cells: dict[tuple[Status, Status, str], DriftItem] = {}
    tied: list[str] = []  # the versions of one key so far (versions that tie in the format's order)
    last: Any = None
    while heap:
        key, index, change = heap[0]
        version, prior, _, after, reason = change
        if tied and key == last:
            if version in tied:
                return None
            tied.append(version)
        else:
            last, tied = key, [version]
        following = next(runs[index], None)
        if following is None:
            heapq.heappop(heap)
        else:
            following_key = sort_key(following.version)
            if following_key < key:
                return None
            # Ties go to the earlier batch, as a stable sort of the batches one after another.
            heapq.heapreplace(heap, (following_key, index, following))
        cell = cells.get((prior, after, reason))
        if cell is None:
            cell = cells[(prior, after, reason)] = DriftItem(
                DriftKind.STATUS, package, "", prior, after, reason
            )
        versions.append(version)
        in_cells.append(cell)
    return PackageDrift(package, versions, in_cells, Counter({DriftKind.STATUS: len(versions)}))


def _outside_grace(drift: PackageDrift, live: LiveState, threshold: float) -> tuple[PackageDrift, int]:
    """The package's drifted versions less those published within the grace period, and how many
    those were. Where a version is judged depends on how it drifted alone: once per cell."""
    versions: list[str] = []
    cells: list[DriftItem] = []
    judged_in: dict[int, list[PackageState | None]] = {}
    for version, cell in zip(drift.versions, drift.cells, strict=True):
        candidates = judged_in.get(id(cell))
        if candidates is None:
            candidates = judged_in[id(cell)] = _judged_in(cell, live)
        if not _published_within(candidates, version, threshold):
            versions.append(version)
            cells.append(cell)
    kept = PackageDrift(drift.package, versions, cells, Counter(map(_KIND, cells)))
    return kept, len(drift.versions) - len(versions)


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
    """Whether the version was published at or after `threshold`, as far as what was read tells."""
    return _published_within(_judged_in(item, live), item.version, threshold)


def _judged_in(item: DriftItem, live: LiveState) -> list[PackageState | None]:
    """Where a version drifted as `item` did is judged: a version missing from its target by its
    copy in the source repository; a version that cannot converge by the target's copy, else by
    any other repository that was read for the same package (a copy source)."""
    if item.kind is DriftKind.MISSING:
        source = item.package.in_repository(item.source_repository or item.package.repository.repository)
        return [live.packages.get(source)]
    if item.kind is DriftKind.CANNOT_CONVERGE and item.live is None:
        return _other_repositories(item.package, live)
    return [live.packages.get(item.package)]


def _published_within(candidates: list[PackageState | None], version: str, threshold: float) -> bool:
    for state in candidates:
        if state is None or version not in state.versions:
            continue
        older = state.is_older_than(state.versions[version], threshold)
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
