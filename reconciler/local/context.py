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

from reconciler.local import names
from reconciler.local.errors import ResourceNotFoundException
from reconciler.local.names import normalize_request
from reconciler.local.quotas import DEFAULTS as QUOTA_DEFAULTS

DEFAULT_ACCOUNT_ID = "111122223333"
DEFAULT_REGION = "us-east-1"

# Formats whose packages always have a namespace (maven groupId, swift scope, generic namespace).
NAMESPACED_FORMATS = frozenset({"maven", "swift", "generic"})
# Formats that have no namespace at all.
NAMESPACELESS_FORMATS = frozenset({"pypi", "nuget", "ruby", "cargo"})


@dataclass(frozen=True)
class Options:
    """Choices where AWS's behaviour is unconfirmed (see the API notes), and every quota the service
    enforces, with its default from `reconciler.local.quotas` (where each quota's source is)."""

    # Update with targetStatus Unfinished/Disposed/Deleted: per-version NOT_ALLOWED (default) or a
    # request-level ValidationException.
    reject_target_status_with_validation: bool = False
    # Whether CopyPackageVersions obeys origin controls (AWS documents no effect): a copy into a
    # package whose effective publish (own and package group's) is BLOCK is refused, each version
    # NOT_ALLOWED, and includeFromUpstream skips the source's upstreams where the effective internal
    # upstream is BLOCK. Default: it does not.
    copy_respects_origin_controls: bool = False
    # AWS documents that API requests must name PyPI packages by their normalised name; True makes
    # this service normalise them anyway (lenient, unlike AWS).
    normalize_pypi_request_names: bool = False
    assets_per_version: int = QUOTA_DEFAULTS["assets_per_version"]
    asset_file_size: int = QUOTA_DEFAULTS["asset_file_size"]
    domains_per_account: int = QUOTA_DEFAULTS["domains_per_account"]
    repositories_per_domain: int = QUOTA_DEFAULTS["repositories_per_domain"]
    direct_upstreams: int = QUOTA_DEFAULTS["direct_upstreams"]
    upstreams_searched: int = QUOTA_DEFAULTS["upstreams_searched"]
    versions_per_batch: int = QUOTA_DEFAULTS["versions_per_batch"]
    default_version_page_size: int = QUOTA_DEFAULTS["default_version_page_size"]
    default_page_size: int = QUOTA_DEFAULTS["default_page_size"]


@dataclass(frozen=True)
class Context:
    """One request's view of the service. `account_id` is the caller's account: the owner of the
    domains it creates, and the `domainOwner` of a request that omits one."""

    conn: sqlite3.Connection
    account_id: str = DEFAULT_ACCOUNT_ID
    region: str = DEFAULT_REGION
    clock: Callable[[], float] = field(default=lambda: 0.0)
    options: Options = Options()
    # This server's base URL as the client reached it (scheme and Host), for GetRepositoryEndpoint.
    base_url: str = "http://localhost"

    def owner(self, domain_owner: str | None) -> str:
        """The account that owns the domain a request names: its `domainOwner`, or when omitted
        the caller's own account. A domain of another account is reached only with its owner, so
        for any domain a request reached, this is that domain's owner."""
        return domain_owner or self.account_id

    def domain_arn(self, domain: str, owner: str | None = None) -> str:
        """The domain's ARN; `owner` is the domain's owner (the request's `domainOwner` will do)."""
        return f"arn:aws:codeartifact:{self.region}:{self.owner(owner)}:domain/{domain}"

    def repository_arn(self, domain: str, repository: str, owner: str | None = None) -> str:
        """A repository's ARN carries the account that owns its domain, not its administrator."""
        return f"arn:aws:codeartifact:{self.region}:{self.owner(owner)}:repository/{domain}/{repository}"

    def package_arn(
        self,
        domain: str,
        repository: str,
        format: str,
        namespace: str | None,
        package: str,
        owner: str | None = None,
    ) -> str:
        """A package's ARN (User Guide, "AWS CodeArtifact resources and operations"): the domain
        owner's account, and an empty namespace segment for a package without one."""
        return (
            f"arn:aws:codeartifact:{self.region}:{self.owner(owner)}:package/"
            f"{domain}/{repository}/{format}/{namespace or ''}/{package}"
        )


def new_revision() -> str:
    """A fresh revision id: 44 characters of base64, as CodeArtifact's own are."""
    return base64.b64encode(os.urandom(32)).decode()


def get_domain(ctx: Context, domain: str, domain_owner: str | None) -> sqlite3.Row:
    """The domain `domain` owned by `domain_owner`, or by the caller's account when it is omitted.

    A domain's identity is (Region, owner, name): domains are regional, as on AWS (a request finds the
    domains of its own Region, the Region of its SigV4 credential scope); two accounts may each own a
    domain of one name, and a domain of another account is found only when the request names its owner.
    """
    row = ctx.conn.execute(
        "SELECT * FROM domain WHERE region = ? AND owner = ? AND name = ?",
        (ctx.region, ctx.owner(domain_owner), domain),
    ).fetchone()
    if row is None:
        raise ResourceNotFoundException(f"Domain not found. Domain: {domain}", domain, "domain")
    return row  # type: ignore[no-any-return]


def get_repository(ctx: Context, domain: str, domain_owner: str | None, repository: str) -> sqlite3.Row:
    """The repository in the domain `get_domain` finds; the row carries `domain_owner`."""
    get_domain(ctx, domain, domain_owner)
    row = find_repository(ctx, ctx.owner(domain_owner), domain, repository)
    if row is None:
        raise ResourceNotFoundException(
            f"Repository not found. Domain: {domain}, Repository: {repository}", repository, "repository"
        )
    return row


def find_repository(ctx: Context, owner: str, domain: str, repository: str) -> sqlite3.Row | None:
    """The repository of the domain (owner, name) of the request's Region, or None."""
    return ctx.conn.execute(  # type: ignore[no-any-return]
        "SELECT * FROM repository WHERE region = ? AND domain_owner = ? AND domain = ? AND name = ?",
        (ctx.region, owner, domain, repository),
    ).fetchone()


def find_package(
    ctx: Context, repository_id: int, format: str, namespace: str | None, package: str
) -> int | None:
    # The service normalises each request's names already; this keeps direct callers as exact.
    names = normalize_request(
        {"format": format, "namespace": namespace, "package": package},
        pypi=ctx.options.normalize_pypi_request_names,
    )
    row = ctx.conn.execute(
        "SELECT id FROM package WHERE repository_id = ? AND format = ? AND namespace = ? AND name = ?",
        (repository_id, format, names["namespace"] or "", names["package"]),
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
    display_name: str | None = None,
) -> int:
    """A new package record; the origin defaults are those of a package first published directly.

    The name and namespace are stored normalised for the format (`reconciler.local.names`);
    `display_name` is the name as published, when normalising changed it.
    """
    stored_namespace = names.namespace(format, namespace) or ""
    stored_name = names.package_name(format, package)
    cursor = ctx.conn.execute(
        """INSERT INTO package (repository_id, format, namespace, name, publish, upstream, display_name)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (repository_id, format, stored_namespace, stored_name, publish, upstream, display_name),
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

# `ORIGIN_JSON` for a listing of one repository, whose versions were mostly published to it: that
# origin is written once per query (SQLite evaluates an expression of parameters alone once), where
# `ORIGIN_JSON` costs two `json_object` calls a version, half of a page's query. Both `?` are the
# listed repository's name (None: never the usual one).
ORIGIN_JSON_IN_REPOSITORY = f"""CASE
    WHEN entry_repository = ? AND coalesce(entry_external_connection, '') = '' AND origin_type = 'INTERNAL'
        THEN json_object('domainEntryPoint', json_object('repositoryName', ?), 'originType', 'INTERNAL')
    ELSE {ORIGIN_JSON}
END"""
