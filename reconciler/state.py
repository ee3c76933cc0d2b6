"""Observed live state: what ListPackageVersions (and, where ages matter, DescribePackageVersion) saw."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import Format, Status


class VersionState(NamedTuple):
    """One version as listed. `time_rank` is its position in publish-time order (0 = most recent),
    known only when its package was listed with sortBy=PUBLISHED_TIME. A NamedTuple: reads build
    one per version listed, a million for a large repository."""

    version: str
    revision: str
    status: Status
    origin_type: str = "INTERNAL"
    time_rank: int | None = None


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


class PackageScope(NamedTuple):
    """Where a glob's packages are listed: one format and namespace of one repository."""

    repository: RepositoryRef
    format: Format
    namespace: str | None


@dataclass
class LiveState:
    """What was read, at `now` (epoch seconds), and how many calls of each operation it cost.

    A package missing from `packages` was looked for and does not exist in that repository.
    `package_names` holds, per scope, the names ListPackages returned for the prefixes that glob
    entries needed.
    """

    now: float
    packages: dict[PackageRef, PackageState] = field(default_factory=dict)
    package_names: dict[PackageScope, set[str]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    domain_owners: dict[str, str] = field(default_factory=dict)
    # For copy sources read with include_from_upstream: the repositories CopyPackageVersions would
    # search after the source, in its order (the source's upstreams, depth first).
    upstream_chains: dict[RepositoryRef, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadSpec:
    """How to read one package: sorted by publish time or not, and which age thresholds to locate
    (`scope.read_specs` says so for each package the manifests speak about). Here, beside the
    states, so that a process that only reads (`aws.spread`) never loads the manifest models."""

    ref: PackageRef
    time_sorted: bool = False
    thresholds: frozenset[float] = frozenset()
