"""The ten package group operations: create, describe, update, delete and list groups, configure
their origin restrictions, and list or look up the packages associated with them. They work over the
group model of `reconciler.local.group_model` (the root group, the computed hierarchy, INHERIT
resolution and the store's rows) and page their lists with `reconciler.local.pagination`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from reconciler.local.context import Context, find_repository, get_domain
from reconciler.local.errors import ConflictException, ResourceNotFoundException, ValidationException
from reconciler.local.group_model import Domain, Group, allow, materialize_root, put_package_group, set_mode
from reconciler.local.group_patterns import NAMESPACED, NAMESPACELESS, coordinate, parse_pattern
from reconciler.local.pagination import decode_token, encode_token

DEFAULT_PAGE = 100
_Item = TypeVar("_Item")


def create_package_group(
    ctx: Context,
    *,
    domain: str,
    package_group: str,
    domain_owner: str | None = None,
    contact_info: str | None = None,
    description: str | None = None,
    tags: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    row = get_domain(ctx, domain, domain_owner)
    pattern = parse_pattern(package_group)
    groups = Domain(ctx, row)
    if pattern.text in groups.groups:
        raise ConflictException(
            f"Package group already exists. Domain: {domain}, Package group: {package_group}",
            package_group,
            "package-group",
        )
    put_package_group(
        ctx.conn,
        row["region"],
        row["owner"],
        row["name"],
        pattern.text,
        ctx.clock(),
        contact_info=contact_info,
        description=description,
        tags=tags,
    )
    return {"packageGroup": _describe(ctx, row, package_group)}


def describe_package_group(
    ctx: Context, *, domain: str, package_group: str, domain_owner: str | None = None
) -> dict[str, Any]:
    row = get_domain(ctx, domain, domain_owner)
    groups = Domain(ctx, row)
    return {"packageGroup": groups.describe(groups.get(package_group))}


def update_package_group(
    ctx: Context,
    *,
    domain: str,
    package_group: str,
    domain_owner: str | None = None,
    contact_info: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    row = get_domain(ctx, domain, domain_owner)
    group = Domain(ctx, row).get(package_group)
    materialize_root(ctx, row, group)
    # A member left out of the request keeps its value (the API has no way to say "unchanged").
    for column, value in (("contact_info", contact_info), ("description", description)):
        if value is not None:
            ctx.conn.execute(
                f"UPDATE package_group SET {column} = ? WHERE region = ? AND domain_owner = ? AND domain = ? AND pattern = ?",
                (value, row["region"], row["owner"], row["name"], group.pattern.text),
            )
    return {"packageGroup": _describe(ctx, row, package_group)}


def delete_package_group(
    ctx: Context, *, domain: str, package_group: str, domain_owner: str | None = None
) -> dict[str, Any]:
    row = get_domain(ctx, domain, domain_owner)
    groups = Domain(ctx, row)
    group = groups.get(package_group)
    if group.pattern.is_root:
        raise ValidationException("The root package group /* cannot be deleted")
    description = groups.describe(group)
    key = (row["region"], row["owner"], row["name"], group.pattern.text)
    ctx.conn.execute(
        "DELETE FROM package_group WHERE region = ? AND domain_owner = ? AND domain = ? AND pattern = ?", key
    )
    ctx.conn.execute(
        "DELETE FROM package_group_allowed_repository WHERE region = ? AND domain_owner = ? AND domain = ? AND pattern = ?",
        key,
    )
    return {"packageGroup": description}


def list_package_groups(
    ctx: Context,
    *,
    domain: str,
    domain_owner: str | None = None,
    prefix: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    row = get_domain(ctx, domain, domain_owner)
    groups = Domain(ctx, row)
    filters = {"domain": domain, "domainOwner": domain_owner, "prefix": prefix}
    chosen = [group for text, group in groups.groups.items() if text.startswith(prefix or "")]
    return _page(groups, "ListPackageGroups", filters, chosen, max_results, next_token)


def list_sub_package_groups(
    ctx: Context,
    *,
    domain: str,
    package_group: str,
    domain_owner: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    row = get_domain(ctx, domain, domain_owner)
    groups = Domain(ctx, row)
    parent = groups.get(package_group).pattern
    children = [group for group in groups.groups.values() if groups.parent(group.pattern) == parent]
    filters = {"domain": domain, "domainOwner": domain_owner, "packageGroup": package_group}
    return _page(groups, "ListSubPackageGroups", filters, children, max_results, next_token)


def _page(
    groups: Domain,
    operation: str,
    filters: dict[str, Any],
    chosen: list[Group],
    max_results: int | None,
    next_token: str | None,
) -> dict[str, Any]:
    ordered = sorted(chosen, key=_pattern_text)
    page, more = _paged(operation, filters, ordered, _pattern_text, max_results, next_token)
    return {"packageGroups": [groups.describe(group) for group in page], **more}


def _pattern_text(group: Group) -> str:
    return group.pattern.text


def _paged(
    operation: str,
    filters: dict[str, Any],
    ordered: list[_Item],
    key: Callable[[_Item], str],
    max_results: int | None,
    next_token: str | None,
) -> tuple[list[_Item], dict[str, str]]:
    """The page of `ordered` (sorted by `key`) that follows the token, and the response's
    `nextToken` member when more items follow it."""
    after = decode_token(operation, filters, next_token)
    limit = max_results or DEFAULT_PAGE
    rest = [item for item in ordered if not after or key(item) > after[0]]
    if len(rest) > limit:
        return rest[:limit], {"nextToken": encode_token(operation, filters, [key(rest[limit - 1])])}
    return rest, {}


def update_package_group_origin_configuration(
    ctx: Context,
    *,
    domain: str,
    package_group: str,
    domain_owner: str | None = None,
    restrictions: dict[str, str] | None = None,
    add_allowed_repositories: list[dict[str, str]] | None = None,
    remove_allowed_repositories: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    row = get_domain(ctx, domain, domain_owner)
    group = Domain(ctx, row).get(package_group)
    pattern = group.pattern.text
    if group.pattern.is_root and "INHERIT" in (restrictions or {}).values():
        raise ValidationException("The root package group /* has no parent to inherit from")
    added = _entries(add_allowed_repositories)
    removed = _entries(remove_allowed_repositories)
    both = sorted(set(added) & set(removed))
    if both:
        restriction, repository = both[0]
        raise ValidationException(
            f"Repository {repository} is both added to and removed from the {restriction} allowed repositories"
        )
    for _, repository in added:
        if find_repository(ctx, row["owner"], row["name"], repository) is None:
            raise ResourceNotFoundException(
                f"Repository not found. Domain: {domain}, Repository: {repository}", repository, "repository"
            )
    materialize_root(ctx, row, group)
    region, owner, name = row["region"], row["owner"], row["name"]
    for restriction, mode in (restrictions or {}).items():
        set_mode(ctx.conn, region, owner, name, pattern, restriction, mode)
    updates: dict[str, dict[str, list[str]]] = {}
    for restriction, repository in added:
        allow(ctx.conn, region, owner, name, pattern, restriction, repository)
        updates.setdefault(restriction, {}).setdefault("ADDED", []).append(repository)
    for restriction, repository in removed:
        ctx.conn.execute(
            """DELETE FROM package_group_allowed_repository WHERE region = ? AND domain_owner = ? AND domain = ? AND pattern = ?
                   AND restriction_type = ? AND repository = ?""",
            (region, owner, name, pattern, restriction, repository),
        )
        updates.setdefault(restriction, {}).setdefault("REMOVED", []).append(repository)
    return {"packageGroup": _describe(ctx, row, package_group), "allowedRepositoryUpdates": updates}


def _entries(items: list[dict[str, str]] | None) -> list[tuple[str, str]]:
    entries: list[tuple[str, str]] = []
    for item in items or []:
        if "originRestrictionType" not in item or "repositoryName" not in item:
            raise ValidationException(
                "An allowed repository needs both originRestrictionType and repositoryName"
            )
        entry = (item["originRestrictionType"], item["repositoryName"])
        if entry not in entries:
            entries.append(entry)
    return entries


def list_allowed_repositories_for_group(
    ctx: Context,
    *,
    domain: str,
    package_group: str,
    origin_restriction_type: str,
    domain_owner: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    row = get_domain(ctx, domain, domain_owner)
    group = Domain(ctx, row).get(package_group)
    filters = {
        "domain": domain,
        "domainOwner": domain_owner,
        "packageGroup": package_group,
        "originRestrictionType": origin_restriction_type,
    }
    allowed = group.allowed.get(origin_restriction_type, [])  # in name order
    names, more = _paged("ListAllowedRepositoriesForGroup", filters, allowed, str, max_results, next_token)
    return {"allowedRepositories": names, **more}


def list_associated_packages(
    ctx: Context,
    *,
    domain: str,
    package_group: str,
    domain_owner: str | None = None,
    preview: bool | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    row = get_domain(ctx, domain, domain_owner)
    groups = Domain(ctx, row)
    if preview:
        # The packages the group would have: as if it were created now (if it is not there yet).
        pattern = parse_pattern(package_group)
        groups.groups.setdefault(pattern.text, Group(pattern, ctx.clock()))
    else:
        pattern = groups.get(package_group).pattern
    filters = {
        "domain": domain,
        "domainOwner": domain_owner,
        "packageGroup": package_group,
        "preview": preview,
    }
    after = decode_token("ListAssociatedPackages", filters, next_token)
    limit = max_results or DEFAULT_PAGE
    packages: list[dict[str, str]] = []
    for format, namespace, name in _domain_packages(ctx, row["owner"], row["name"], after):
        group, association = groups.association(coordinate(format, namespace, name))
        if group.pattern.text != pattern.text:
            continue
        package = {"format": format, "package": name, "associationType": association}
        if namespace:
            package["namespace"] = namespace
        packages.append(package)
        if len(packages) > limit:
            break
    result: dict[str, Any] = {"packages": packages[:limit]}
    if len(packages) > limit:
        last = packages[limit - 1]
        key = [last["format"], last.get("namespace", ""), last["package"]]
        result["nextToken"] = encode_token("ListAssociatedPackages", filters, key)
    return result


def _domain_packages(
    ctx: Context, owner: str, domain: str, after: list[Any] | None
) -> Iterable[tuple[str, str, str]]:
    """Every package of the domain once (whatever repositories hold it), in (format, namespace, name) order."""
    where = "r.region = ? AND r.domain_owner = ? AND r.domain = ?"
    args: list[Any] = [ctx.region, owner, domain]
    if after:
        where += " AND (p.format, p.namespace, p.name) > (?, ?, ?)"
        args += after
    cursor = ctx.conn.execute(
        f"""SELECT DISTINCT p.format, p.namespace, p.name FROM package p
            JOIN repository r ON r.id = p.repository_id WHERE {where}
            ORDER BY p.format, p.namespace, p.name""",
        args,
    )
    for row in cursor:
        yield row[0], row[1], row[2]


def get_associated_package_group(
    ctx: Context,
    *,
    domain: str,
    format: str,
    package: str,
    domain_owner: str | None = None,
    namespace: str | None = None,
) -> dict[str, Any]:
    row = get_domain(ctx, domain, domain_owner)
    _check_namespace(format, namespace)
    groups = Domain(ctx, row)
    group, association = groups.association(coordinate(format, namespace, package))
    return {"packageGroup": groups.describe(group), "associationType": association}


def _check_namespace(format: str, namespace: str | None) -> None:
    # The model: "The namespace is required when getting associated package groups from packages
    # of the following formats: Maven, Swift, generic"; the others named there have none.
    if format in NAMESPACED and not namespace:
        raise ValidationException(f"namespace is required for packages of format {format}")
    if format in NAMESPACELESS and namespace:
        raise ValidationException(f"packages of format {format} have no namespace")


def _describe(ctx: Context, row: sqlite3.Row, package_group: str) -> dict[str, Any]:
    groups = Domain(ctx, row)
    return groups.describe(groups.get(package_group))
