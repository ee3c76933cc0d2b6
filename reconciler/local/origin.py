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

Package groups (`reconciler.local.group_model`) restrict the same origins domain-wide; the two combine
per origin, BLOCK from either winning. Every decision an operation takes on origin controls
(PublishPackageVersion, CopyPackageVersions under its server option, the upstream rule above) goes
through `effective_restrictions`. DescribePackage and ListPackages report, and ListPackages
filters on, the package's own configuration: the API documents `PackageOriginRestrictions` as "the
origin restrictions set on the package".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
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
from reconciler.local.group_model import GroupOrigin, group_origin

Mode = Literal["ALLOW", "BLOCK"]
ALLOW: Mode = "ALLOW"
BLOCK: Mode = "BLOCK"
MAX_UPSTREAM_SEARCH = 25  # repositories CodeArtifact looks in for one request (User Guide, quotas)


@dataclass(frozen=True)
class Restrictions:
    """How new versions of one package may enter one repository, each origin ALLOW or BLOCK.

    A package's own configuration has one `upstream` restriction for both kinds of upstream; package
    groups restrict internal upstreams (other repositories of the domain) and external connections
    separately, hence the two fields here. `refusals` says, for each blocked field, what blocks it
    (the package's own configuration, its package group, or both), for the refused request's message.
    """

    publish: Mode = ALLOW
    internal_upstream: Mode = ALLOW
    external_upstream: Mode = ALLOW
    refusals: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    def refusal(self, restriction: str) -> str:
        return " and ".join(self.refusals.get(restriction, ()))


# Each field of `Restrictions`: the package's own restriction that governs it, and the package
# group's restriction type that governs it.
_SOURCES = {
    "publish": ("publish", "PUBLISH"),
    "internal_upstream": ("upstream", "INTERNAL_UPSTREAM"),
    "external_upstream": ("upstream", "EXTERNAL_UPSTREAM"),
}


def effective_restrictions(
    ctx: Context,
    domain: sqlite3.Row,
    repository: sqlite3.Row,
    format: str,
    namespace: str | None,
    package: str,
) -> Restrictions:
    """The restrictions that decide whether a version of `package` may enter `repository`.

    The one entry point for every origin-control decision (publish, copy, upstream search). It
    combines the package's own origin configuration in the repository with the origin
    configuration of the package's group in the domain (most specific match, INHERIT resolved,
    ALLOW_SPECIFIC_REPOSITORIES decided for this repository, a weak match blocking everything):
    per origin, BLOCK from either wins over ALLOW (User Guide, "How package origin controls
    interact with package group origin controls"). A package the repository does not hold yet has
    no configuration of its own, so only its group restricts it.
    """
    own = _own_configuration(ctx, repository, format, namespace, package)
    return combine(own, group_origin(ctx, domain, format, namespace, package), repository["name"])


def combine(own: Mapping[str, str] | None, group: GroupOrigin, repository: str) -> Restrictions:
    """Per origin, BLOCK if the package's own configuration (`own`: publish/upstream, None when
    the package has none) or its group's (for `repository`) blocks it, else ALLOW."""
    modes: dict[str, Mode] = {}
    refusals: dict[str, tuple[str, ...]] = {}
    for name, (own_key, group_type) in _SOURCES.items():
        reasons: list[str] = []
        if own is not None and own[own_key] == BLOCK:
            reasons.append(f"its package origin controls ({own_key}: BLOCK)")
        if not group.allows(group_type, repository):
            reasons.append(group.refusal(group_type))
        modes[name] = BLOCK if reasons else ALLOW
        if reasons:
            refusals[name] = tuple(reasons)
    return Restrictions(modes["publish"], modes["internal_upstream"], modes["external_upstream"], refusals)


def _own_configuration(
    ctx: Context, repository: sqlite3.Row, format: str, namespace: str | None, package: str
) -> Mapping[str, str] | None:
    package_id = find_package(ctx, repository["id"], format, namespace, package)
    if package_id is None:
        return None
    row = ctx.conn.execute("SELECT publish, upstream FROM package WHERE id = ?", (package_id,)).fetchone()
    return {"publish": row["publish"], "upstream": row["upstream"]}


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
            f"Publishing package {package} to repository {repository['name']} is blocked: "
            + restrictions.refusal("publish"),
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
    restrictions = effective_restrictions(ctx, domain, destination, format, namespace, package)
    if restrictions.publish == BLOCK:
        return f"Package {package} in repository {destination['name']} blocks new versions: " + (
            restrictions.refusal("publish")
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
