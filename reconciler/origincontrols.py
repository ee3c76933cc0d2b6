"""The origin controls in force for a package in one repository, as read for a plan's copies.

Plain values: `reconciler.aws.origin` reads them (DescribePackage, GetAssociatedPackageGroup,
ListAllowedRepositoriesForGroup) and `reconciler.promotion` judges a copy against them. Only the
restrictions that decide whether new versions may be written into a repository are kept: the
package's own `publish` and its package group's `PUBLISH` (see docs/manifest.md, "Origin controls
and copies").
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.addresses import PackageRef

ALLOW = "ALLOW"
BLOCK = "BLOCK"
ALLOW_SPECIFIC_REPOSITORIES = "ALLOW_SPECIFIC_REPOSITORIES"
INHERIT = "INHERIT"
WEAK = "WEAK"


@dataclass(frozen=True, slots=True)
class PackageOrigin:
    """A package's own origin configuration in one repository (`PackageOriginRestrictions`)."""

    publish: str
    upstream: str


@dataclass(frozen=True, slots=True)
class GroupPublish:
    """What a package's package group says of publishing it (GetAssociatedPackageGroup).

    `mode` is the group's own PUBLISH setting, `effective_mode` the one in force (INHERIT resolved
    by CodeArtifact), set on the group `source` (the group itself, or the `inheritedFrom` group).
    `allowed` is `source`'s list of repositories allowed to publish, read only when the effective
    mode is ALLOW_SPECIFIC_REPOSITORIES (None otherwise).
    """

    pattern: str
    association: str  # STRONG, or WEAK: a look-alike of the pattern, blocked from every origin
    mode: str
    effective_mode: str
    source: str
    allowed: frozenset[str] | None = None

    def allows(self, repository: str) -> bool:
        if self.association == WEAK:
            return False
        if self.effective_mode == ALLOW_SPECIFIC_REPOSITORIES:
            return self.allowed is not None and repository in self.allowed
        return self.effective_mode != BLOCK


@dataclass(frozen=True, slots=True)
class PublishControls:
    """The origin controls that decide whether new versions of `package` may enter its repository."""

    package: PackageRef
    own: PackageOrigin | None  # None: the repository holds no such package yet (it has no configuration)
    group: GroupPublish
