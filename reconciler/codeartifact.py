"""CodeArtifact's own vocabulary and limits, as the reconciler relies on them.

Values are the exact wire strings, so an enum member can be sent to or compared with the API as is.
"""

from __future__ import annotations

import re
from enum import StrEnum

from packaging.utils import canonicalize_name


class Format(StrEnum):
    NPM = "npm"
    PYPI = "pypi"
    MAVEN = "maven"
    NUGET = "nuget"
    GENERIC = "generic"
    RUBY = "ruby"
    SWIFT = "swift"
    CARGO = "cargo"

    @property
    def requires_namespace(self) -> bool:
        """maven groupId, swift scope and generic namespace are part of every package's identity."""
        return self in (Format.MAVEN, Format.SWIFT, Format.GENERIC)

    @property
    def has_namespace(self) -> bool:
        return self in (Format.MAVEN, Format.SWIFT, Format.GENERIC, Format.NPM)


class Status(StrEnum):
    PUBLISHED = "Published"
    UNFINISHED = "Unfinished"
    UNLISTED = "Unlisted"
    ARCHIVED = "Archived"
    DISPOSED = "Disposed"
    DELETED = "Deleted"


# The states a manifest may declare (Unfinished cannot be asked for). `Deleted` is declared only:
# it is the status DeletePackageVersions reports in `successfulVersions`, but no listing shows a
# deleted version (it is absent), so live state never holds it and no call sends it as a target.
DECLARABLE_STATUSES = (Status.PUBLISHED, Status.UNLISTED, Status.ARCHIVED, Status.DISPOSED, Status.DELETED)
# Gone for good: a Disposed version can only be deleted, and nothing brings its assets back.
FINAL_STATUSES = frozenset({Status.DISPOSED, Status.DELETED})
# Statuses the reconciler deletes a version from (DeletePackageVersions): what it updates or disposes,
# and a Disposed version, for which deleting is the one action left.
DELETABLE_STATUSES = frozenset({Status.PUBLISHED, Status.UNLISTED, Status.ARCHIVED, Status.DISPOSED})
# Statuses UpdatePackageVersionsStatus moves a version from to any other declared status.
UPDATABLE_STATUSES = frozenset({Status.PUBLISHED, Status.UNLISTED, Status.ARCHIVED})
# Statuses CopyPackageVersions copies (an Archived or Disposed version cannot be copied).
COPYABLE_STATUSES = frozenset({Status.PUBLISHED, Status.UNLISTED})
# Statuses that take a version out of use: what `protect` and `protect_in_use` guard against.
REMOVING_STATUSES = frozenset({Status.ARCHIVED, Status.DISPOSED, Status.DELETED})
# A version no rule (nor `otherwise`) takes unless it names it: an upload in progress, or gone.
CLOSED_STATUSES = frozenset({Status.UNFINISHED, Status.DISPOSED, Status.DELETED})


class OriginType(StrEnum):
    """`origin.originType` of a package version: how it came into the repository."""

    INTERNAL = "INTERNAL"  # published directly to this repository
    EXTERNAL = "EXTERNAL"  # ingested from an external connection (a public registry)
    UNKNOWN = "UNKNOWN"  # the origin could not be determined


class ErrorCode(StrEnum):
    """`failedVersions[*].errorCode`."""

    ALREADY_EXISTS = "ALREADY_EXISTS"
    MISMATCHED_REVISION = "MISMATCHED_REVISION"
    MISMATCHED_STATUS = "MISMATCHED_STATUS"
    NOT_ALLOWED = "NOT_ALLOWED"
    NOT_FOUND = "NOT_FOUND"
    SKIPPED = "SKIPPED"


# Versions per CopyPackageVersions / UpdatePackageVersionsStatus / DisposePackageVersions /
# DeletePackageVersions call.
MAX_VERSIONS_PER_CALL = 100
# Largest page ListPackageVersions and ListPackages return.
MAX_PAGE_SIZE = 1000

# AWS's default request-rate quotas (requests per second, per account and Region).
DEFAULT_QUOTAS: dict[str, float] = {
    "CopyPackageVersions": 5.0,
    "ListPackageVersions": 200.0,
    "ListPackages": 200.0,
    "PublishPackageVersion": 10.0,
    "DescribePackageVersion": 800.0,
}
ACCOUNT_WRITE_QUOTA = 100.0
ACCOUNT_READ_QUOTA = 800.0


# --- Names as CodeArtifact stores them
#
# CodeArtifact User Guide, "Package name, package version, and asset name normalization": PyPI names
# are stored PEP 503-normalised and the normalised name must be used in API requests; NuGet and Swift
# names (and Swift namespaces) are stored lowercased; NuGet versions lose leading zeroes, a zero
# fourth part and build metadata. ListPackages and ListPackageVersions answer with the stored forms,
# so a manifest's names and pinned versions are compared in those forms too.

_NUMERIC_RELEASE = re.compile(r"\d+(\.\d+){0,3}")


def stored_name(format: Format, name: str) -> str:
    """The package name (or glob over names) as CodeArtifact stores it."""
    if format is Format.PYPI:
        return canonicalize_name(name)
    if format in (Format.NUGET, Format.SWIFT):
        return name.lower()
    return name


def stored_namespace(format: Format, namespace: str | None) -> str | None:
    """The namespace as CodeArtifact stores it."""
    return namespace.lower() if namespace is not None and format is Format.SWIFT else namespace


def stored_version(format: Format, version: str) -> str:
    """The version as CodeArtifact stores it: only NuGet's are normalised (`1.00` -> `1.0`,
    `1.0.0.0` -> `1.0.0`, `1.0.7+build` -> `1.0.7`); a release part that is not numeric is kept.
    The local service applies the same rule with its own copy (`reconciler.local.names`): it imports
    nothing from the rest of the package, so that it stands as a tool of its own."""
    if format is not Format.NUGET:
        return version
    text = version.split("+", 1)[0]
    release, dash, prerelease = text.partition("-")
    if not _NUMERIC_RELEASE.fullmatch(release):
        return text
    parts = [str(int(part)) for part in release.split(".")]
    if len(parts) == 4 and parts[3] == "0":
        parts.pop()
    return ".".join(parts) + dash + prerelease
