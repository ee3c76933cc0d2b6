"""A plan: the ordered, batched actions that take live state to the declared state.

The plan is data, and `apply` executes exactly its `actions`: every action is one API call, with
the status each version must still have (`expected_status`) and the revision each version had
when the plan was made (`prior_revision`). Reasons and warnings are for people; nothing downstream
decides on them.

These are plain immutable values built by their ordinary constructors. The plan file's JSON
mapping lives in `reconciler.planfile`, and the API requests an action makes in `reconciler.aws`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import NamedTuple

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import Status

FORMAT_VERSION = 1


class ActionKind(StrEnum):
    """What an action does, named after the API operation it calls. Phases run in this order."""

    COPY = "copy"
    UPDATE_STATUS = "update-status"
    DISPOSE = "dispose"
    DELETE = "delete"

    @classmethod
    def changing_to(cls, status: Status) -> ActionKind:
        """The kind of action that takes a version that is there to `status` (not a copy)."""
        return _BY_TARGET.get(status, cls.UPDATE_STATUS)

    @property
    def operation(self) -> str:
        return _OPERATIONS[self]

    @property
    def permission(self) -> str:
        return f"codeartifact:{self.operation}"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def is_destructive(self) -> bool:
        return self in (ActionKind.DISPOSE, ActionKind.DELETE)

    @property
    def phase(self) -> int:
        """Copies first (promotions), then status updates, then the irreversible disposes, then the
        deletes (a version's record removed for good)."""
        return _PHASES[self]


_OPERATIONS = {
    ActionKind.COPY: "CopyPackageVersions",
    ActionKind.UPDATE_STATUS: "UpdatePackageVersionsStatus",
    ActionKind.DISPOSE: "DisposePackageVersions",
    ActionKind.DELETE: "DeletePackageVersions",
}
_SYMBOLS = {
    ActionKind.COPY: "+",
    ActionKind.UPDATE_STATUS: "~",
    ActionKind.DISPOSE: "-",
    ActionKind.DELETE: "x",
}
_BY_TARGET = {Status.DISPOSED: ActionKind.DISPOSE, Status.DELETED: ActionKind.DELETE}
_PHASES = {kind: index for index, kind in enumerate(ActionKind)}


class BatchKey(NamedTuple):
    """What one API call does, less the package and versions: a package's changes that share it are
    batched together (at most 100 a call)."""

    kind: ActionKind
    expected_status: Status
    target_status: Status
    source_repository: str | None = None
    allow_overwrite: bool = False
    include_from_upstream: bool = False


class VersionChange(NamedTuple):
    """One version in an action: how it was seen at plan time, what it becomes, and why.

    For a copy, `prior_status`/`prior_revision` are the source version's (the guard the copy
    sends), and `after` is the status the copy arrives with. A NamedTuple: a plan holds one per
    version it changes, a million for a large first rollout.
    """

    version: str
    prior_status: Status
    prior_revision: str
    after: Status
    reason: str


@dataclass(frozen=True, slots=True)
class Action:
    """One API call: at most 100 versions of one package, one expected and one target status.

    `source_repository` is where a copy copies from. On an update-status it marks the update that
    settles the status of versions this plan copies from that repository: apply runs it right
    after the copy, so a version declared Unlisted is not left Published between phases.
    """

    kind: ActionKind
    package: PackageRef
    expected_status: Status
    target_status: Status
    versions: tuple[VersionChange, ...]
    source_repository: str | None = None
    allow_overwrite: bool = False
    include_from_upstream: bool = False

    @classmethod
    def batch(cls, package: PackageRef, key: BatchKey, versions: tuple[VersionChange, ...]) -> Action:
        return cls(
            key.kind,
            package,
            key.expected_status,
            key.target_status,
            versions,
            key.source_repository,
            key.allow_overwrite,
            key.include_from_upstream,
        )

    @property
    def key(self) -> BatchKey:
        return BatchKey(
            self.kind,
            self.expected_status,
            self.target_status,
            self.source_repository,
            self.allow_overwrite,
            self.include_from_upstream,
        )

    @property
    def source(self) -> PackageRef | None:
        """The package a copy copies from (None for other actions)."""
        if self.kind is not ActionKind.COPY or not self.source_repository:
            return None
        return self.package.in_repository(self.source_repository)

    @property
    def settles_copy(self) -> bool:
        """An update-status that settles the status of versions this plan copies (see the class doc)."""
        return self.kind is ActionKind.UPDATE_STATUS and bool(self.source_repository)

    def with_versions(self, versions: tuple[VersionChange, ...]) -> Action:
        return replace(self, versions=versions)


@dataclass(frozen=True, slots=True)
class VersionProblem:
    """A version the plan cannot converge, or must refuse to touch."""

    package: PackageRef
    version: str
    message: str
    origin: str


@dataclass(frozen=True, slots=True)
class AcceptedVersion:
    """A version whose live status the manifests `accept` as it is, where they declare another: the
    plan leaves it alone and drift does not report it, but a reviewer can list it."""

    package: PackageRef
    version: str
    live: Status
    declared: Status
    reason: str  # what declares `declared`, with where it was written, as a change's reason


@dataclass(frozen=True, slots=True)
class TargetIdentity:
    """What a plan was made against in one Region; apply refuses a plan made for anything else."""

    endpoint: str
    region: str
    domains: Mapping[str, str]  # domain -> owner account id


def target_of(targets: tuple[TargetIdentity, ...], repository: RepositoryRef) -> TargetIdentity | None:
    """The target of a repository: the one of its Region, or the only one for a repository that names
    none (a run of one Region); None when the plan has no such target."""
    if repository.region is None:
        return targets[0] if len(targets) == 1 else None
    return next((target for target in targets if target.region == repository.region), None)


@dataclass(frozen=True, slots=True)
class Summary:
    """Version counts: changes per action kind, versions already as declared, versions no entry decides."""

    to_copy: int = 0
    to_update: int = 0
    to_dispose: int = 0
    unchanged: int = 0
    unmanaged: int = 0
    errors: int = 0
    accepted: int = 0  # left in a live status the manifests accept (`accept`), not as declared
    to_delete: int = 0  # declared Deleted: removed from the repository (DeletePackageVersions)

    @property
    def changes(self) -> int:
        return self.to_copy + self.to_update + self.to_dispose + self.to_delete


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything apply needs and nothing it must recompute."""

    tool_version: str
    created_at: str  # ISO 8601, UTC
    evaluated_at: float  # epoch seconds: "now" for every age-based rule
    manifest_digest: str
    manifest_files: tuple[str, ...]
    # One per Region the plan was made in, in Region order; with several, every package names its
    # Region (`RepositoryRef.region`), and with one, none does.
    targets: tuple[TargetIdentity, ...]
    actions: tuple[Action, ...]
    summary: Summary
    api_calls: Mapping[str, int]
    errors: tuple[VersionProblem, ...] = ()
    warnings: tuple[str, ...] = ()
    # Versions each target package held at plan time, not yet Disposed: for per-package blast-radius
    # limits. Keyed by the package's text form (`str(PackageRef)`), as in the plan file.
    package_versions: Mapping[str, int] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    # With `plan --estimate-size`: the bytes of assets the disposes delete, per package (keyed as
    # `package_versions`). None when not estimated: a plan file without it says nothing of sizes.
    reclaimed_bytes: Mapping[str, int] | None = None
    accepted: tuple[AcceptedVersion, ...] = ()  # in package, then version order

    @property
    def is_empty(self) -> bool:
        return not self.actions

    def target_of(self, repository: RepositoryRef) -> TargetIdentity | None:
        """The target `repository` is in (see `target_of`)."""
        return target_of(self.targets, repository)

    @property
    def applyable(self) -> bool:
        return not self.errors

    def with_actions(self, actions: tuple[Action, ...]) -> Plan:
        return replace(self, actions=actions)
