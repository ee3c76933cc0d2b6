"""Observed live state: what ListPackageVersions (and, where ages matter, DescribePackageVersion) saw."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import Format, Status


@dataclass(frozen=True, slots=True)
class VersionState:
    """One version as listed. `time_rank` is its position in publish-time order (0 = most recent),
    known only when its package was listed with sortBy=PUBLISHED_TIME."""

    version: str
    revision: str
    status: Status
    origin_type: str = "INTERNAL"
    time_rank: int | None = None


# The slots' own setters: what a frozen dataclass's __init__ reaches through object.__setattr__.
_SETTERS: tuple[Callable[[VersionState, Any], None], ...] = tuple(
    vars(VersionState)[name].__set__ for name in ("version", "revision", "status", "origin_type", "time_rank")
)
_set_version, _set_revision, _set_status, _set_origin_type, _set_time_rank = _SETTERS


def version_state(
    version: str, revision: str, status: Status, origin_type: str, time_rank: int | None
) -> VersionState:
    """`VersionState(version, revision, status, origin_type, time_rank)` at half the cost, for reads
    that build one per version listed (a million for a large repository)."""
    state: VersionState = object.__new__(VersionState)
    _set_version(state, version)
    _set_revision(state, revision)
    _set_status(state, status)
    _set_origin_type(state, origin_type)
    _set_time_rank(state, time_rank)
    return state


@dataclass(frozen=True)
class PackageState:
    """Every version of one package in one repository.

    `published_after` maps a publish-time threshold (epoch seconds) to how many versions were
    published at or after it; with versions in time order, they are exactly the first that many.
    """

    ref: PackageRef
    versions: dict[str, VersionState]
    default_display_version: str | None = None
    time_sorted: bool = False
    published_after: dict[float, int] = field(default_factory=dict)

    def is_older_than(self, version: VersionState, threshold: float) -> bool | None:
        """Whether `version` was published before `threshold`; None if that was not read."""
        boundary = self.published_after.get(threshold)
        if boundary is None or version.time_rank is None:
            return None
        return version.time_rank >= boundary


PackageScope = tuple[RepositoryRef, Format, str | None]


@dataclass
class LiveState:
    """What was read, at `now` (epoch seconds), and how many calls of each operation it cost.

    A package missing from `packages` was looked for and does not exist in that repository.
    `package_names` holds, per (repository, format, namespace), the names ListPackages returned
    for the prefixes that glob entries needed.
    """

    now: float
    packages: dict[PackageRef, PackageState] = field(default_factory=dict)
    package_names: dict[PackageScope, set[str]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    domain_owners: dict[str, str] = field(default_factory=dict)
    # For copy sources read with include_from_upstream: the repositories CopyPackageVersions would
    # search after the source, in its order (the source's upstreams, depth first).
    upstream_chains: dict[RepositoryRef, tuple[str, ...]] = field(default_factory=dict)
