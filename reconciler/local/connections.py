"""AssociateExternalConnection and DisassociateExternalConnection.

AWS documents one external connection per repository ("One external connection is allowed per
repository", AssociateExternalConnection API reference; "You can only add one external
connection", user guide: Working with upstream repositories) and lists the connections that exist.
A repository may have upstream repositories and an external connection at once: the user guide
contrasts the two limits (10 upstreams, 1 external connection) and never forbids combining them.
"""

from __future__ import annotations

from typing import Any

from reconciler.local.context import Context, get_domain, get_repository
from reconciler.local.domains import describe_repository
from reconciler.local.errors import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)

# The external connections AWS supports and the package format of each: the list in the
# `externalConnection` documentation of botocore's model (AssociateExternalConnection) and the
# user guide's "Supported external connection repositories" table.
PUBLIC_CONNECTIONS: dict[str, str] = {
    "public:npmjs": "npm",
    "public:nuget-org": "nuget",
    "public:pypi": "pypi",
    "public:maven-central": "maven",
    "public:maven-googleandroid": "maven",
    "public:maven-gradleplugins": "maven",
    "public:maven-commonsware": "maven",
    "public:maven-clojars": "maven",
    "public:ruby-gems-org": "ruby",
    "public:crates-io": "cargo",
}


def associate_external_connection(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    external_connection: str,
    domain_owner: str | None = None,
) -> dict[str, Any]:
    owner = get_domain(ctx, domain, domain_owner)["owner"]
    row = get_repository(ctx, domain, owner, repository)
    format = PUBLIC_CONNECTIONS.get(external_connection)
    if format is None:
        raise ValidationException(
            f"Unsupported external connection {external_connection}; "
            f"supported connections: {', '.join(PUBLIC_CONNECTIONS)}"
        )
    current = ctx.conn.execute(
        "SELECT name FROM external_connection WHERE repository_id = ?", (row["id"],)
    ).fetchone()
    if current is not None and current[0] == external_connection:
        raise ConflictException(
            f"Repository {repository} is already connected to {external_connection}", repository, "repository"
        )
    if current is not None:
        raise ServiceQuotaExceededException(
            f"Repository {repository} already has the external connection {current[0]}; "
            "one external connection is allowed per repository",
            repository,
            "repository",
        )
    ctx.conn.execute(
        "INSERT INTO external_connection (repository_id, name, format) VALUES (?, ?, ?)",
        (row["id"], external_connection, format),
    )
    return describe_repository(ctx, domain=domain, repository=repository, domain_owner=owner)


def disassociate_external_connection(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    external_connection: str,
    domain_owner: str | None = None,
) -> dict[str, Any]:
    owner = get_domain(ctx, domain, domain_owner)["owner"]
    row = get_repository(ctx, domain, owner, repository)
    deleted = ctx.conn.execute(
        "DELETE FROM external_connection WHERE repository_id = ? AND name = ?",
        (row["id"], external_connection),
    ).rowcount
    if not deleted:
        # The model's resourceType has no value for an external connection: the repository that
        # lacks it is named instead.
        raise ResourceNotFoundException(
            f"External connection {external_connection} is not associated with repository {repository}",
            repository,
            "repository",
        )
    return describe_repository(ctx, domain=domain, repository=repository, domain_owner=owner)
