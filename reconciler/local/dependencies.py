"""ListPackageVersionDependencies and GetPackageVersionReadme: what a version's metadata declares.

CodeArtifact reads both from the package's metadata file (package.json, pom.xml, ...). This
service has no package-manager endpoints, so they come from the seed file; a generic version
published through the API declares neither.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from reconciler.local.context import Context
from reconciler.local.packages import VersionAddress, get_version
from reconciler.local.pagination import decode_token, encode_token

# The operation takes no maxResults; AWS documents no page size. One page holds this many.
DEPENDENCY_PAGE = 100


def _coordinates(format: str, namespace: str | None, package: str, row: sqlite3.Row) -> dict[str, Any]:
    found: dict[str, Any] = {"format": format}
    if namespace:
        found["namespace"] = namespace
    found.update(package=package, version=row["version"], versionRevision=row["revision"])
    return found


def list_package_version_dependencies(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    format: str,
    package: str,
    package_version: str,
    domain_owner: str | None = None,
    namespace: str | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    address = VersionAddress(domain, domain_owner, repository, format, namespace, package, package_version)
    row = get_version(ctx, address)
    filters = address.filters()
    after = decode_token("ListPackageVersionDependencies", filters, next_token)
    rows = ctx.conn.execute(
        """SELECT position, namespace, package, dependency_type, version_requirement
           FROM package_version_dependency WHERE version_id = ? AND position > ? ORDER BY position LIMIT ?""",
        (row["id"], after[0] if after else -1, DEPENDENCY_PAGE + 1),
    ).fetchall()
    dependencies = []
    for dependency in rows[:DEPENDENCY_PAGE]:
        entry: dict[str, str] = {}
        if dependency["namespace"]:
            entry["namespace"] = dependency["namespace"]
        entry["package"] = dependency["package"]
        for column, member in (
            ("dependency_type", "dependencyType"),
            ("version_requirement", "versionRequirement"),
        ):
            if dependency[column] is not None:
                entry[member] = dependency[column]
        dependencies.append(entry)
    result = _coordinates(format, namespace, package, row)
    result["dependencies"] = dependencies
    if len(rows) > DEPENDENCY_PAGE:
        result["nextToken"] = encode_token(
            "ListPackageVersionDependencies", filters, [rows[DEPENDENCY_PAGE - 1]["position"]]
        )
    return result


def get_package_version_readme(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    format: str,
    package: str,
    package_version: str,
    domain_owner: str | None = None,
    namespace: str | None = None,
) -> dict[str, Any]:
    row = get_version(
        ctx, VersionAddress(domain, domain_owner, repository, format, namespace, package, package_version)
    )
    result = _coordinates(format, namespace, package, row)
    found = ctx.conn.execute(
        "SELECT readme FROM package_version_readme WHERE version_id = ?", (row["id"],)
    ).fetchone()
    if found is not None:
        result["readme"] = found["readme"]  # a version whose metadata has no readme has no `readme` member
    return result


def copy_metadata(ctx: Context, source_version_id: int, target_version_id: int) -> None:
    """Give a copied version the dependencies and readme of its source: they belong to its assets."""
    ctx.conn.execute(
        """INSERT INTO package_version_dependency
               (version_id, position, namespace, package, dependency_type, version_requirement)
           SELECT ?, position, namespace, package, dependency_type, version_requirement
           FROM package_version_dependency WHERE version_id = ?""",
        (target_version_id, source_version_id),
    )
    ctx.conn.execute(
        "INSERT INTO package_version_readme (version_id, readme) SELECT ?, readme FROM package_version_readme "
        "WHERE version_id = ?",
        (target_version_id, source_version_id),
    )
