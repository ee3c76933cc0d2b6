"""DeleteDomain, DeleteRepository and UpdateRepository."""

from __future__ import annotations

import sqlite3
from typing import Any

from reconciler.local.cascade import delete_cascade
from reconciler.local.context import Context, get_domain, get_repository
from reconciler.local.domains import (
    check_upstream_names,
    describe_domain,
    describe_repository,
    insert_upstreams,
)
from reconciler.local.errors import ConflictException, ValidationException


def delete_domain(ctx: Context, *, domain: str, domain_owner: str | None = None) -> dict[str, Any]:
    """AWS: "You cannot delete a domain that contains repositories" (DeleteDomain API reference);
    the documented error for unmet prerequisites is ConflictException."""
    owner = get_domain(ctx, domain, domain_owner)["owner"]
    described = describe_domain(ctx, domain=domain, domain_owner=owner)["domain"]
    if described["repositoryCount"]:
        raise ConflictException(
            f"Domain {domain} contains {described['repositoryCount']} repositories; "
            "delete its repositories before deleting the domain",
            domain,
            "domain",
        )
    # Rows keyed by the domain's (owner, name) without a declared foreign key go explicitly: its
    # policy and its package groups (the root group /* included).
    for table in ("resource_policy", "package_group_allowed_repository", "package_group"):
        ctx.conn.execute(
            f"DELETE FROM {table} WHERE region = ? AND domain_owner = ? AND domain = ?",
            (ctx.region, owner, domain),
        )
    delete_cascade(ctx.conn, "domain", "region = ? AND name = ? AND owner = ?", (ctx.region, domain, owner))
    # The AWS CLI's documented example answers with the domain as it was, its status Deleted.
    return {"domain": {**described, "status": "Deleted"}}


def delete_repository(
    ctx: Context, *, domain: str, repository: str, domain_owner: str | None = None
) -> dict[str, Any]:
    """The repository goes with its packages, versions, assets, tags and policy ("All packages in the
    repository become permanently unavailable", user guide: Delete a repository). Repositories that
    had it as an upstream lose that link and keep their own copies of its packages (user guide:
    package retention is "not affected by ... deleting the upstream repository")."""
    owner = get_domain(ctx, domain, domain_owner)["owner"]
    row = get_repository(ctx, domain, owner, repository)
    described = describe_repository(ctx, domain=domain, repository=repository, domain_owner=owner)
    for table in ("resource_policy", "package_group_allowed_repository"):
        ctx.conn.execute(
            f"DELETE FROM {table} WHERE region = ? AND domain_owner = ? AND domain = ? AND repository = ?",
            (ctx.region, owner, domain, repository),
        )
    delete_cascade(ctx.conn, "repository", "id = ?", (row["id"],))
    return described


def update_repository(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    domain_owner: str | None = None,
    description: str | None = None,
    upstreams: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A member left out stays as it is; `upstreams: []` removes every upstream."""
    owner = get_domain(ctx, domain, domain_owner)["owner"]
    row = get_repository(ctx, domain, owner, repository)
    if upstreams is not None:
        upstream_ids = _upstream_ids(ctx, owner, row, [item["repositoryName"] for item in upstreams])
        ctx.conn.execute("DELETE FROM upstream WHERE repository_id = ?", (row["id"],))
        insert_upstreams(ctx, row["id"], upstream_ids)
    if description is not None:
        ctx.conn.execute("UPDATE repository SET description = ? WHERE id = ?", (description, row["id"]))
    return describe_repository(ctx, domain=domain, repository=repository, domain_owner=owner)


def _upstream_ids(ctx: Context, owner: str, row: sqlite3.Row, names: list[str]) -> list[int]:
    """CreateRepository's checks (count, duplicates, existence in the same domain), plus the two
    that only an update can break: no repository upstream of itself, directly or through others."""
    check_upstream_names(ctx, names)
    ids = []
    for name in names:
        if name == row["name"]:
            raise ValidationException(f"Repository {name} cannot be an upstream of itself")
        upstream_id = int(get_repository(ctx, row["domain"], owner, name)["id"])
        if _reaches(ctx, upstream_id, int(row["id"])):
            raise ValidationException(
                f"Upstream repository {name} would create a cycle: {row['name']} is already upstream of it"
            )
        ids.append(upstream_id)
    return ids


def _reaches(ctx: Context, start: int, target: int) -> bool:
    """Whether `target` is `start` or one of its upstreams, at any depth."""
    found = ctx.conn.execute(
        """WITH RECURSIVE reach(id) AS (
               SELECT ? UNION SELECT u.upstream_id FROM upstream u JOIN reach r ON u.repository_id = r.id)
           SELECT 1 FROM reach WHERE id = ?""",
        (start, target),
    ).fetchone()
    return found is not None
