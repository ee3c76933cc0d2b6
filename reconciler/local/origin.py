"""Package origin controls: the stored configuration, the effective restrictions, and their effects.

A package in a repository carries a `PackageOriginConfiguration` (restrictions `publish` and
`upstream`, each ALLOW or BLOCK). The User Guide ("Editing package origin controls",
https://docs.aws.amazon.com/codeartifact/latest/ug/package-origin-controls.html) documents:

* `publish` BLOCK: versions cannot be published directly to the repository;
* `upstream` BLOCK: versions cannot be retained from upstream repositories nor ingested from an
  external connection;
* the defaults follow how the first version arrived: published directly, ALLOW/BLOCK; ingested
  from a public source, BLOCK/ALLOW (packages from before May 2022 have ALLOW/ALLOW);
* with `upstream` ALLOW, publishing a version that is present in a reachable upstream repository
  is rejected with a 409 Conflict.

Every decision an operation takes on origin controls goes through `effective_restrictions`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.local.context import (
    NAMESPACED_FORMATS,
    NAMESPACELESS_FORMATS,
    Context,
    create_package,
    find_package,
    get_repository,
)
from reconciler.local.errors import ConflictException, ValidationException

Mode = Literal["ALLOW", "BLOCK"]
ALLOW: Mode = "ALLOW"
BLOCK: Mode = "BLOCK"
MAX_UPSTREAM_SEARCH = 25  # repositories CodeArtifact looks in for one request (User Guide, quotas)


@dataclass(frozen=True)
class Restrictions:
    """How new versions of one package may enter one repository.

    A package's own configuration has one `upstream` restriction for both kinds of upstream; package
    groups restrict internal upstreams (other repositories of the domain) and external connections
    separately, hence the two fields here.
    """

    publish: Mode = ALLOW
    internal_upstream: Mode = ALLOW
    external_upstream: Mode = ALLOW


UNRESTRICTED = Restrictions()


def effective_restrictions(
    ctx: Context,
    domain: sqlite3.Row,
    repository: sqlite3.Row,
    format: str,
    namespace: str | None,
    package: str,
) -> Restrictions:
    """The restrictions that decide whether a version of `package` may enter `repository`.

    The one entry point for every origin-control decision (publish, copy, upstream search).
    Today: the package's own origin configuration in the repository; a package the repository does
    not hold yet has none, so nothing restricts it at the package level (ALLOW/ALLOW/ALLOW).
    Package groups (domain-level origin controls, with INHERIT and ALLOW_SPECIFIC_REPOSITORIES
    resolved for `repository`) combine here too: `domain` is the domain row, for that lookup.
    """
    del domain  # the package-group lookup is the part that needs it
    package_id = find_package(ctx, repository["id"], format, namespace, package)
    if package_id is None:
        return UNRESTRICTED
    row = ctx.conn.execute("SELECT publish, upstream FROM package WHERE id = ?", (package_id,)).fetchone()
    return Restrictions(
        publish=row["publish"], internal_upstream=row["upstream"], external_upstream=row["upstream"]
    )


def configuration(publish: str, upstream: str) -> dict[str, Any]:
    """The `PackageOriginConfiguration` structure, as every operation returns it."""
    return {"restrictions": {"publish": publish, "upstream": upstream}}


def check_publish(
    ctx: Context,
    domain: sqlite3.Row,
    repository: sqlite3.Row,
    format: str,
    namespace: str | None,
    package: str,
    version: str,
    *,
    new_version: bool,
) -> None:
    """Raise the ConflictException PublishPackageVersion answers when origin controls refuse it.

    `new_version`: the repository does not hold the version yet (adding an asset to an Unfinished
    version already there is not a new version, so the upstream rule does not apply to it)."""
    restrictions = effective_restrictions(ctx, domain, repository, format, namespace, package)
    if restrictions.publish == BLOCK:
        raise ConflictException(
            f"Publishing to package {package} in repository {repository['name']} is blocked by its "
            "package origin controls (publish: BLOCK)",
            package,
            "package",
        )
    if new_version and restrictions.internal_upstream == ALLOW:
        holder = upstream_holding(ctx, repository, format, namespace, package, version)
        if holder is not None:
            raise ConflictException(
                f"Package version {version} of {package} is present in the upstream repository {holder}; "
                "it cannot be published to repository " + repository["name"],
                version,
                "package-version",
            )


def copy_searches_upstreams(
    ctx: Context,
    domain: sqlite3.Row,
    source: sqlite3.Row,
    format: str,
    namespace: str | None,
    package: str,
) -> bool:
    """Whether CopyPackageVersions with includeFromUpstream may take versions from the source's
    upstream repositories.

    The `upstream` restriction is documented for versions "retained from upstream repositories
    when requested by a package manager"; AWS says nothing of CopyPackageVersions. By default the
    upstreams are searched; with `Options.copy_respects_origin_controls` only where the package's
    effective upstream restriction in the source repository is ALLOW.
    """
    if not ctx.options.copy_respects_origin_controls:
        return True
    return effective_restrictions(ctx, domain, source, format, namespace, package).internal_upstream == ALLOW


def copy_refusal(
    ctx: Context,
    domain: sqlite3.Row,
    destination: sqlite3.Row,
    format: str,
    namespace: str | None,
    package: str,
) -> str | None:
    """Why CopyPackageVersions may not write the package into `destination`, or None.

    AWS documents no effect of origin controls on CopyPackageVersions: `publish` governs versions
    "published directly ... using package managers or similar tools". So by default a copy is not a
    publish; with `Options.copy_respects_origin_controls` a destination whose package has an
    effective publish BLOCK refuses the copy (each version failing NOT_ALLOWED).
    """
    if not ctx.options.copy_respects_origin_controls:
        return None
    if effective_restrictions(ctx, domain, destination, format, namespace, package).publish == BLOCK:
        return (
            f"Package {package} in repository {destination['name']} blocks new versions by its package "
            "origin controls (publish: BLOCK)"
        )
    return None


def upstream_holding(
    ctx: Context, repository: sqlite3.Row, format: str, namespace: str | None, package: str, version: str
) -> str | None:
    """The first upstream repository (search order: depth first, as listed, at most 25 searched)
    that holds `version` of the package, if any; the repository itself is not searched."""
    seen: list[int] = [repository["id"]]

    def visit(current: int) -> str | None:
        for (upstream_id,) in ctx.conn.execute(
            "SELECT upstream_id FROM upstream WHERE repository_id = ? ORDER BY position", (current,)
        ).fetchall():
            if upstream_id in seen or len(seen) >= MAX_UPSTREAM_SEARCH:
                continue
            seen.append(upstream_id)
            package_id = find_package(ctx, upstream_id, format, namespace, package)
            if (
                package_id is not None
                and ctx.conn.execute(
                    "SELECT 1 FROM package_version WHERE package_id = ? AND version = ?",
                    (package_id, version),
                ).fetchone()
            ):
                return str(
                    ctx.conn.execute("SELECT name FROM repository WHERE id = ?", (upstream_id,)).fetchone()[0]
                )
            found = visit(upstream_id)
            if found is not None:
                return found
        return None

    return visit(repository["id"])


def check_namespace(format: str, namespace: str | None) -> None:
    """The namespace rule of the model's documentation, for an operation that creates a package."""
    if format in NAMESPACED_FORMATS and not namespace:
        raise ValidationException(f"namespace is required for packages of format {format}")
    if format in NAMESPACELESS_FORMATS and namespace:
        raise ValidationException(f"packages of format {format} have no namespace")


def put_package_origin_configuration(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    format: str,
    package: str,
    restrictions: dict[str, str],
    domain_owner: str | None = None,
    namespace: str | None = None,
) -> dict[str, Any]:
    check_namespace(format, namespace)
    repo = get_repository(ctx, domain, domain_owner, repository)
    publish, upstream = restrictions["publish"], restrictions["upstream"]
    package_id = find_package(ctx, repo["id"], format, namespace, package)
    if package_id is None:
        # Documented: on a package that does not exist, a package with no versions is created.
        create_package(ctx, repo["id"], format, namespace, package, publish=publish, upstream=upstream)
    else:
        ctx.conn.execute(
            "UPDATE package SET publish = ?, upstream = ? WHERE id = ?", (publish, upstream, package_id)
        )
    return {"originConfiguration": configuration(publish, upstream)}
