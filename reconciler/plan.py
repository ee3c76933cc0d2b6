"""A plan: the ordered, batched actions that take live state to the declared state.

The plan is data, and `apply` executes exactly its `actions`: every action carries the API call it
makes, the status each version must still have (`expectedStatus`) and the revision each version
had when the plan was made (`versionRevisions`). Reasons and warnings are for people; nothing
downstream decides on them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import Format, Status

FORMAT_VERSION = 1


class ActionKind(StrEnum):
    """What an action does, named after the API operation it calls. Phases run in this order."""

    COPY = "copy"
    UPDATE_STATUS = "update-status"
    DISPOSE = "dispose"

    @property
    def operation(self) -> str:
        return _OPERATIONS[self]

    @property
    def permission(self) -> str:
        return f"codeartifact:{self.operation}"

    @property
    def symbol(self) -> str:
        return {"copy": "+", "update-status": "~", "dispose": "-"}[self.value]

    @property
    def is_destructive(self) -> bool:
        return self is ActionKind.DISPOSE

    @property
    def phase(self) -> int:
        """Copies first (promotions), then status updates, then the irreversible disposes."""
        return list(ActionKind).index(self)


_OPERATIONS = {
    ActionKind.COPY: "CopyPackageVersions",
    ActionKind.UPDATE_STATUS: "UpdatePackageVersionsStatus",
    ActionKind.DISPOSE: "DisposePackageVersions",
}


class FrozenModel(BaseModel):
    """The base of the plan's and reports' data: immutable, and no field it does not declare."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PackageAddress(FrozenModel):
    """A package in one repository, as the API names it."""

    domain: str
    domain_owner: str | None = None
    repository: str
    format: Format
    namespace: str | None = None
    package: str

    @property
    def name(self) -> str:
        return f"{self.namespace}/{self.package}" if self.namespace else self.package

    def __str__(self) -> str:
        return f"{self.domain}/{self.repository}/{self.format.value}/{self.name}"

    def sort_key(self) -> tuple[str, ...]:
        return (
            self.domain,
            self.repository,
            self.format.value,
            self.namespace or "",
            self.package,
            self.domain_owner or "",
        )

    def ref(self, repository: str | None = None) -> PackageRef:
        """This package (or the package of the same name in `repository`) as an identity value."""
        return PackageRef(
            RepositoryRef(self.domain, repository or self.repository, self.domain_owner),
            self.format,
            self.namespace,
            self.package,
        )

    def api_params(self) -> dict[str, str]:
        params = {"domain": self.domain, "format": self.format.value, "package": self.package}
        if self.domain_owner:
            params["domainOwner"] = self.domain_owner
        if self.namespace:
            params["namespace"] = self.namespace
        return params


class VersionChange(FrozenModel):
    """One version in an action: how it was seen at plan time, what it becomes, and why.

    For a copy, `prior_status`/`prior_revision` are the source version's (the guard the copy
    sends), and `after` is the status the copy arrives with.
    """

    version: str
    prior_status: Status
    prior_revision: str
    after: Status
    reason: str


class Action(FrozenModel):
    """One API call: at most 100 versions of one package, one expected and one target status.

    `source_repository` is where a copy copies from. On an update-status it marks the update that
    settles the status of versions this plan copies from that repository: apply runs it right
    after the copy, so a version declared Unlisted is not left Published between phases.
    """

    kind: ActionKind
    package: PackageAddress
    expected_status: Status
    target_status: Status
    versions: tuple[VersionChange, ...]
    source_repository: str | None = None
    allow_overwrite: bool = False
    include_from_upstream: bool = False

    def request(self) -> dict[str, Any]:
        """The exact keyword arguments of the boto3 call this action makes."""
        revisions = {change.version: change.prior_revision for change in self.versions}
        params: dict[str, Any] = self.package.api_params()
        if self.kind is ActionKind.COPY:
            params.update(
                sourceRepository=self.source_repository,
                destinationRepository=self.package.repository,
                versionRevisions=revisions,
                allowOverwrite=self.allow_overwrite,
                includeFromUpstream=self.include_from_upstream,
            )
            return params
        params.update(
            repository=self.package.repository,
            versions=[change.version for change in self.versions],
            versionRevisions=revisions,
            expectedStatus=self.expected_status.value,
        )
        if self.kind is ActionKind.UPDATE_STATUS:
            params["targetStatus"] = self.target_status.value
        return params


class VersionProblem(FrozenModel):
    """A version the plan cannot converge, or must refuse to touch."""

    package: PackageAddress
    version: str
    message: str
    origin: str


class TargetIdentity(FrozenModel):
    """What a plan was made against; apply refuses a plan made for anything else."""

    endpoint: str
    region: str
    domains: dict[str, str]  # domain -> owner account id


class Summary(FrozenModel):
    """Version counts: changes per action kind, versions already as declared, versions no entry decides."""

    to_copy: int = 0
    to_update: int = 0
    to_dispose: int = 0
    unchanged: int = 0
    unmanaged: int = 0
    errors: int = 0

    @property
    def changes(self) -> int:
        return self.to_copy + self.to_update + self.to_dispose


class Plan(FrozenModel):
    """Everything apply needs and nothing it must recompute."""

    format_version: int = FORMAT_VERSION
    tool_version: str
    created_at: str  # ISO 8601, UTC
    evaluated_at: float  # epoch seconds: "now" for every age-based rule
    manifest_digest: str
    manifest_files: tuple[str, ...]
    target: TargetIdentity
    actions: tuple[Action, ...]
    errors: tuple[VersionProblem, ...] = ()
    warnings: tuple[str, ...] = ()
    summary: Summary
    api_calls: dict[str, int]
    # Versions each target package held at plan time, not yet Disposed: for per-package blast-radius limits.
    package_versions: dict[str, int] = {}

    @property
    def is_empty(self) -> bool:
        return not self.actions

    @property
    def applyable(self) -> bool:
        return not self.errors
