"""DescribePackage and DeletePackage: a package as a whole, with its origin configuration."""

from __future__ import annotations

import sqlite3
from typing import Any

from reconciler.local.context import Context, get_package, get_repository
from reconciler.local.origin import configuration


def _package_row(
    ctx: Context,
    domain: str,
    domain_owner: str | None,
    repository: str,
    format: str,
    namespace: str | None,
    package: str,
) -> sqlite3.Row:
    repo = get_repository(ctx, domain, domain_owner, repository)
    package_id = get_package(ctx, repo, format, namespace, package)
    return ctx.conn.execute("SELECT * FROM package WHERE id = ?", (package_id,)).fetchone()  # type: ignore[no-any-return]


def describe_package(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    format: str,
    package: str,
    domain_owner: str | None = None,
    namespace: str | None = None,
) -> dict[str, Any]:
    row = _package_row(ctx, domain, domain_owner, repository, format, namespace, package)
    # PackageDescription names the package `name` (PackageSummary, in the other responses, `package`).
    return {"package": _package(row, "name")}


def delete_package(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    format: str,
    package: str,
    domain_owner: str | None = None,
    namespace: str | None = None,
) -> dict[str, Any]:
    row = _package_row(ctx, domain, domain_owner, repository, format, namespace, package)
    # The package, every version whatever its status, their assets, dependencies and readmes (the
    # last two by ON DELETE CASCADE), and the origin configuration: nothing is left to restore.
    ctx.conn.execute(
        "DELETE FROM asset WHERE version_id IN (SELECT id FROM package_version WHERE package_id = ?)",
        (row["id"],),
    )
    ctx.conn.execute("DELETE FROM package_version WHERE package_id = ?", (row["id"],))
    ctx.conn.execute("DELETE FROM package WHERE id = ?", (row["id"],))
    return {"deletedPackage": _package(row, "package")}


def _package(row: sqlite3.Row, name_member: str) -> dict[str, Any]:
    """A package and its origin configuration, its name under `name_member`."""
    found: dict[str, Any] = {"format": row["format"], name_member: row["name"]}
    if row["namespace"]:
        found["namespace"] = row["namespace"]
    found["originConfiguration"] = configuration(row["publish"], row["upstream"])
    return found
