"""What every operation works with: the store, the account and Region, the clock, and lookups.

Lookups raise the `ResourceNotFoundException` CodeArtifact raises, with its `resourceType`, so
the operations themselves read as the semantics they implement.
"""

from __future__ import annotations

import base64
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from reconciler.local.errors import ResourceNotFoundException

DEFAULT_ACCOUNT_ID = "111122223333"
DEFAULT_REGION = "us-east-1"

# Formats whose packages always have a namespace (maven groupId, swift scope, generic namespace).
NAMESPACED_FORMATS = frozenset({"maven", "swift", "generic"})
# Formats that have no namespace at all.
NAMESPACELESS_FORMATS = frozenset({"pypi", "nuget", "ruby", "cargo"})


@dataclass(frozen=True)
class Options:
    """Choices where AWS's behaviour is unconfirmed (see the API notes); defaults are documented there."""

    # Update with targetStatus Unfinished/Disposed/Deleted: per-version NOT_ALLOWED (default) or a
    # request-level ValidationException.
    reject_target_status_with_validation: bool = False
    assets_per_version: int = 150
    domains_per_account: int = 10
    repositories_per_domain: int = 1000
    direct_upstreams: int = 10
    # Whether CopyPackageVersions obeys origin controls (AWS documents no effect): a copy into a
    # package whose publish is BLOCK is refused, each version NOT_ALLOWED, and includeFromUpstream
    # skips the source's upstreams where the package's upstream is BLOCK. Default: it does not.
    copy_respects_origin_controls: bool = False


@dataclass(frozen=True)
class Context:
    """One request's view of the service."""

    conn: sqlite3.Connection
    account_id: str = DEFAULT_ACCOUNT_ID
    region: str = DEFAULT_REGION
    clock: Callable[[], float] = field(default=lambda: 0.0)
    options: Options = Options()
    # This server's base URL as the client reached it (scheme and Host), for GetRepositoryEndpoint.
    base_url: str = "http://localhost"

    def domain_arn(self, domain: str) -> str:
        return f"arn:aws:codeartifact:{self.region}:{self.account_id}:domain/{domain}"

    def repository_arn(self, domain: str, repository: str) -> str:
        return f"arn:aws:codeartifact:{self.region}:{self.account_id}:repository/{domain}/{repository}"


def new_revision() -> str:
    """A fresh revision id: 44 characters of base64, as CodeArtifact's own are."""
    return base64.b64encode(os.urandom(32)).decode()


def get_domain(ctx: Context, domain: str, domain_owner: str | None) -> sqlite3.Row:
    row = ctx.conn.execute("SELECT * FROM domain WHERE name = ?", (domain,)).fetchone()
    if row is None or (domain_owner is not None and domain_owner != row["owner"]):
        raise ResourceNotFoundException(f"Domain not found. Domain: {domain}", domain, "domain")
    return row  # type: ignore[no-any-return]


def get_repository(ctx: Context, domain: str, domain_owner: str | None, repository: str) -> sqlite3.Row:
    get_domain(ctx, domain, domain_owner)
    row = ctx.conn.execute(
        "SELECT * FROM repository WHERE domain = ? AND name = ?", (domain, repository)
    ).fetchone()
    if row is None:
        raise ResourceNotFoundException(
            f"Repository not found. Domain: {domain}, Repository: {repository}", repository, "repository"
        )
    return row  # type: ignore[no-any-return]


def find_package(
    ctx: Context, repository_id: int, format: str, namespace: str | None, package: str
) -> int | None:
    row = ctx.conn.execute(
        "SELECT id FROM package WHERE repository_id = ? AND format = ? AND namespace = ? AND name = ?",
        (repository_id, format, namespace or "", package),
    ).fetchone()
    return None if row is None else int(row[0])


def create_package(
    ctx: Context,
    repository_id: int,
    format: str,
    namespace: str | None,
    package: str,
    publish: str = "ALLOW",
    upstream: str = "BLOCK",
) -> int:
    """A new package record; the origin defaults are those of a package first published directly."""
    cursor = ctx.conn.execute(
        "INSERT INTO package (repository_id, format, namespace, name, publish, upstream) VALUES (?, ?, ?, ?, ?, ?)",
        (repository_id, format, namespace or "", package, publish, upstream),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def package_not_found(repository: sqlite3.Row, format: str, namespace: str | None, package: str) -> Exception:
    # The wording CodeArtifact itself uses for a package missing from a repository.
    coordinate = f"packageType={format}, " + (f"namespace={namespace}, " if namespace else "")
    return ResourceNotFoundException(
        f"Package not found in repository. RepoId: {repository['name']}, "
        f"Package = PackageCoordinate{{{coordinate}packageName={package}}},",
        package,
        "package",
    )


def get_package(
    ctx: Context, repository: sqlite3.Row, format: str, namespace: str | None, package: str
) -> int:
    package_id = find_package(ctx, repository["id"], format, namespace, package)
    if package_id is None:
        raise package_not_found(repository, format, namespace, package)
    return package_id


@dataclass(frozen=True)
class JsonText:
    """A top-level result member already in its JSON wire form, which the protocol writes into the
    response as is: large listings built by SQLite's JSON functions, batch outcomes written directly."""

    text: str


def origin(row: sqlite3.Row) -> dict[str, object]:
    """The `PackageVersionOrigin` structure of a package_version row."""
    entry: dict[str, str] = {}
    if row["entry_repository"]:
        entry["repositoryName"] = row["entry_repository"]
    if row["entry_external_connection"]:
        entry["externalConnectionName"] = row["entry_external_connection"]
    return {"domainEntryPoint": entry, "originType": row["origin_type"]}


# `origin` in SQL, for queries that build their JSON in SQLite: the same members in the same order.
ORIGIN_JSON = """json_object(
    'domainEntryPoint', CASE
        WHEN coalesce(entry_repository, '') = '' AND coalesce(entry_external_connection, '') = ''
            THEN json_object()
        WHEN coalesce(entry_external_connection, '') = '' THEN json_object('repositoryName', entry_repository)
        WHEN coalesce(entry_repository, '') = '' THEN json_object('externalConnectionName', entry_external_connection)
        ELSE json_object('repositoryName', entry_repository, 'externalConnectionName', entry_external_connection)
    END,
    'originType', origin_type)"""
