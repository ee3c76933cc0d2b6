"""CodeArtifact's own vocabulary and limits, as the reconciler relies on them.

Values are the exact wire strings, so an enum member can be sent to or compared with the API as is.
"""

from __future__ import annotations

from enum import StrEnum


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


# The states a manifest may declare (Unfinished and Deleted cannot be asked for).
DECLARABLE_STATUSES = (Status.PUBLISHED, Status.UNLISTED, Status.ARCHIVED, Status.DISPOSED)
# Gone for good: a Disposed version can only be deleted, and nothing brings its assets back.
FINAL_STATUSES = frozenset({Status.DISPOSED, Status.DELETED})
# Statuses UpdatePackageVersionsStatus moves a version from to any other declared status.
UPDATABLE_STATUSES = frozenset({Status.PUBLISHED, Status.UNLISTED, Status.ARCHIVED})
# Statuses CopyPackageVersions copies (an Archived or Disposed version cannot be copied).
COPYABLE_STATUSES = frozenset({Status.PUBLISHED, Status.UNLISTED})
# Statuses that take a version out of use: what `protect` guards against.
REMOVING_STATUSES = frozenset({Status.ARCHIVED, Status.DISPOSED})
# A version no rule (nor `otherwise`) takes unless it names it: an upload in progress, or gone.
CLOSED_STATUSES = frozenset({Status.UNFINISHED, Status.DISPOSED, Status.DELETED})


class ErrorCode(StrEnum):
    """`failedVersions[*].errorCode`."""

    ALREADY_EXISTS = "ALREADY_EXISTS"
    MISMATCHED_REVISION = "MISMATCHED_REVISION"
    MISMATCHED_STATUS = "MISMATCHED_STATUS"
    NOT_ALLOWED = "NOT_ALLOWED"
    NOT_FOUND = "NOT_FOUND"
    SKIPPED = "SKIPPED"


# Versions per CopyPackageVersions / UpdatePackageVersionsStatus / DisposePackageVersions call.
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
