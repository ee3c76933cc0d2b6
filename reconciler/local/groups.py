"""The package group operations, and the origin restrictions a package gets from its group.

Every domain has the root group `/*` (allowing every origin); other groups are created with every
restriction `INHERIT`. A package belongs to the most specific group whose pattern it matches
(`reconciler.local.group_patterns`); `INHERIT` resolves up the parent chain. The hierarchy is not
stored: each group's parent is computed from the patterns, so deleting a group hands its children
to its own parent, as AWS documents.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from reconciler.local.context import Context, find_repository, get_domain
from reconciler.local.errors import ConflictException, ResourceNotFoundException, ValidationException
from reconciler.local.group_patterns import (
    NAMESPACED,
    NAMESPACELESS,
    ROOT,
    GroupPattern,
    coordinate,
    encode_for_arn,
    most_specific,
    parent_of,
    parse_pattern,
)
from reconciler.local.pagination import decode_token, encode_token

RESTRICTION_TYPES = ("EXTERNAL_UPSTREAM", "INTERNAL_UPSTREAM", "PUBLISH")
_COLUMNS = {
    "PUBLISH": "publish",
    "EXTERNAL_UPSTREAM": "external_upstream",
    "INTERNAL_UPSTREAM": "internal_upstream",
}
DEFAULT_PAGE = 100
_Item = TypeVar("_Item")

Restrictions = dict[str, tuple[str, frozenset[str]]]
"""Restriction type -> (effective mode, repositories allowed when it is ALLOW_SPECIFIC_REPOSITORIES)."""


@dataclass
class _Group:
    pattern: GroupPattern
    created_time: float
    contact_info: str | None = None
    description: str | None = None
    modes: dict[str, str] = field(default_factory=lambda: dict.fromkeys(RESTRICTION_TYPES, "INHERIT"))
    allowed: dict[str, list[str]] = field(default_factory=dict)


class _Domain:
    """One domain's groups, loaded together: the hierarchy is a property of the whole set."""

    def __init__(self, ctx: Context, row: sqlite3.Row) -> None:
        self.ctx = ctx
        self.owner: str = row["owner"]
        self.name: str = row["name"]
        self.groups = _load(ctx.conn, self.owner, self.name, row["created_time"])
        self._parents: dict[str, GroupPattern | None] = {}

    def get(self, text: str) -> _Group:
        pattern = parse_pattern(text)  # an invalid pattern is a ValidationException, not "not found"
        group = self.groups.get(pattern.text)
        if group is None:
            raise ResourceNotFoundException(
                f"Package group not found. Domain: {self.name}, Package group: {text}", text, "package-group"
            )
        return group

    def parent(self, pattern: GroupPattern) -> GroupPattern | None:
        if pattern.text not in self._parents:
            others = [group.pattern for group in self.groups.values()]
            self._parents[pattern.text] = parent_of(pattern, others)
        return self._parents[pattern.text]

    def arn(self, pattern: str) -> str:
        return f"arn:aws:codeartifact:{self.ctx.region}:{self.owner}:package-group/{self.name}{encode_for_arn(pattern)}"

    def reference(self, pattern: GroupPattern) -> dict[str, str]:
        return {"arn": self.arn(pattern.text), "pattern": pattern.text}

    def effective(self, group: _Group, restriction: str) -> tuple[str, _Group]:
        """The mode in force for one restriction type, and the group it comes from."""
        current = group
        while current.modes[restriction] == "INHERIT":
            parent = self.parent(current.pattern)
            if parent is None:  # only the root has no parent, and the root never inherits
                return "ALLOW", current
            current = self.groups[parent.text]
        return current.modes[restriction], current

    def describe(self, group: _Group) -> dict[str, Any]:
        restrictions: dict[str, Any] = {}
        for restriction in RESTRICTION_TYPES:
            mode = group.modes[restriction]
            effective, source = self.effective(group, restriction)
            entry: dict[str, Any] = {
                "mode": mode,
                "effectiveMode": effective,
                "repositoriesCount": len(group.allowed.get(restriction, [])),
            }
            if mode == "INHERIT":
                entry["inheritedFrom"] = self.reference(source.pattern)
            restrictions[restriction] = entry
        description: dict[str, Any] = {
            "arn": self.arn(group.pattern.text),
            "pattern": group.pattern.text,
            "domainName": self.name,
            "domainOwner": self.owner,
            "createdTime": group.created_time,
            "originConfiguration": {"restrictions": restrictions},
        }
        if group.contact_info is not None:
            description["contactInfo"] = group.contact_info
        if group.description is not None:
            description["description"] = group.description
        parent = self.parent(group.pattern)
        if parent is not None:
            description["parent"] = self.reference(parent)
        return description

    def association(self, package: tuple[str, str, str]) -> tuple[_Group, str]:
        patterns = [group.pattern for group in self.groups.values()]
        found = most_specific(patterns, package)
        assert found is not None  # the root group matches every package
        pattern, strong = found
        return self.groups[pattern.text], "STRONG" if strong else "WEAK"


def _load(conn: sqlite3.Connection, owner: str, domain: str, domain_created: float) -> dict[str, _Group]:
    groups: dict[str, _Group] = {}
    for row in conn.execute(
        "SELECT * FROM package_group WHERE domain_owner = ? AND domain = ?", (owner, domain)
    ).fetchall():
        groups[row["pattern"]] = _Group(
            parse_pattern(row["pattern"]),
            row["created_time"],
            row["contact_info"],
            row["description"],
            {restriction: row[column] for restriction, column in _COLUMNS.items()},
        )
    if ROOT not in groups:
        # A domain made by a path that did not create its root group still has one, as on AWS.
        groups[ROOT] = _root(domain_created)
    for row in conn.execute(
        """SELECT pattern, restriction_type, repository FROM package_group_allowed_repository
           WHERE domain_owner = ? AND domain = ? ORDER BY repository""",
        (owner, domain),
    ).fetchall():
        if row["pattern"] in groups:
            groups[row["pattern"]].allowed.setdefault(row["restriction_type"], []).append(row["repository"])
    return groups


def _root(created_time: float) -> _Group:
    return _Group(parse_pattern(ROOT), created_time, modes=dict.fromkeys(RESTRICTION_TYPES, "ALLOW"))


# --- writing groups (also used by CreateDomain and the seed) -------------------------------------


def create_root_group(conn: sqlite3.Connection, domain_owner: str, domain: str, created_time: float) -> None:
    """The root group `/*` every domain has from its creation, allowing every origin."""
    conn.execute(
        """INSERT OR IGNORE INTO package_group (domain_owner, domain, pattern, created_time, publish,
               external_upstream, internal_upstream) VALUES (?, ?, ?, ?, 'ALLOW', 'ALLOW', 'ALLOW')""",
        (domain_owner, domain, ROOT, created_time),
    )


def put_package_group(
    conn: sqlite3.Connection,
    domain_owner: str,
    domain: str,
    pattern: str,
    created_time: float,
    *,
    contact_info: str | None = None,
    description: str | None = None,
    restrictions: Mapping[str, str] | None = None,
    allowed_repositories: Mapping[str, Iterable[str]] | None = None,
    tags: list[dict[str, str]] | None = None,
) -> None:
    """Create a group (or, for the root, configure it) with its origin configuration, in one go."""
    create_root_group(conn, domain_owner, domain, created_time)
    if pattern != ROOT:
        conn.execute(
            """INSERT INTO package_group (domain_owner, domain, pattern, created_time, tags)
               VALUES (?, ?, ?, ?, ?)""",
            (domain_owner, domain, pattern, created_time, json.dumps(tags or [])),
        )
    conn.execute(
        """UPDATE package_group SET contact_info = ?, description = ?
           WHERE domain_owner = ? AND domain = ? AND pattern = ?""",
        (contact_info, description, domain_owner, domain, pattern),
    )
    for restriction, mode in (restrictions or {}).items():
        _set_mode(conn, domain_owner, domain, pattern, restriction, mode)
    for restriction, repositories in (allowed_repositories or {}).items():
        for repository in repositories:
            _allow(conn, domain_owner, domain, pattern, restriction, repository)


def _set_mode(
    conn: sqlite3.Connection, owner: str, domain: str, pattern: str, restriction: str, mode: str
) -> None:
    conn.execute(
        f"UPDATE package_group SET {_COLUMNS[restriction]} = ? WHERE domain_owner = ? AND domain = ? AND pattern = ?",
        (mode, owner, domain, pattern),
    )


def _allow(
    conn: sqlite3.Connection, owner: str, domain: str, pattern: str, restriction: str, repository: str
) -> None:
    conn.execute(
        """INSERT OR IGNORE INTO package_group_allowed_repository
               (domain_owner, domain, pattern, restriction_type, repository) VALUES (?, ?, ?, ?, ?)""",
        (owner, domain, pattern, restriction, repository),
    )


# --- the operations -------------------------------------------------------------------------------


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
    groups = _Domain(ctx, row)
    if pattern.text in groups.groups:
        raise ConflictException(
            f"Package group already exists. Domain: {domain}, Package group: {package_group}",
            package_group,
            "package-group",
        )
    put_package_group(
        ctx.conn,
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
    groups = _Domain(ctx, row)
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
    group = _Domain(ctx, row).get(package_group)
    _materialize_root(ctx, row, group)
    # A member left out of the request keeps its value (the API has no way to say "unchanged").
    for column, value in (("contact_info", contact_info), ("description", description)):
        if value is not None:
            ctx.conn.execute(
                f"UPDATE package_group SET {column} = ? WHERE domain_owner = ? AND domain = ? AND pattern = ?",
                (value, row["owner"], row["name"], group.pattern.text),
            )
    return {"packageGroup": _describe(ctx, row, package_group)}


def delete_package_group(
    ctx: Context, *, domain: str, package_group: str, domain_owner: str | None = None
) -> dict[str, Any]:
    row = get_domain(ctx, domain, domain_owner)
    groups = _Domain(ctx, row)
    group = groups.get(package_group)
    if group.pattern.is_root:
        raise ValidationException("The root package group /* cannot be deleted")
    description = groups.describe(group)
    key = (row["owner"], row["name"], group.pattern.text)
    ctx.conn.execute("DELETE FROM package_group WHERE domain_owner = ? AND domain = ? AND pattern = ?", key)
    ctx.conn.execute(
        "DELETE FROM package_group_allowed_repository WHERE domain_owner = ? AND domain = ? AND pattern = ?",
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
    groups = _Domain(ctx, row)
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
    groups = _Domain(ctx, row)
    parent = groups.get(package_group).pattern
    children = [group for group in groups.groups.values() if groups.parent(group.pattern) == parent]
    filters = {"domain": domain, "domainOwner": domain_owner, "packageGroup": package_group}
    return _page(groups, "ListSubPackageGroups", filters, children, max_results, next_token)


def _page(
    groups: _Domain,
    operation: str,
    filters: dict[str, Any],
    chosen: list[_Group],
    max_results: int | None,
    next_token: str | None,
) -> dict[str, Any]:
    ordered = sorted(chosen, key=_pattern_text)
    page, more = _paged(operation, filters, ordered, _pattern_text, max_results, next_token)
    return {"packageGroups": [groups.describe(group) for group in page], **more}


def _pattern_text(group: _Group) -> str:
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
    group = _Domain(ctx, row).get(package_group)
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
    _materialize_root(ctx, row, group)
    owner, name = row["owner"], row["name"]
    for restriction, mode in (restrictions or {}).items():
        _set_mode(ctx.conn, owner, name, pattern, restriction, mode)
    updates: dict[str, dict[str, list[str]]] = {}
    for restriction, repository in added:
        _allow(ctx.conn, owner, name, pattern, restriction, repository)
        updates.setdefault(restriction, {}).setdefault("ADDED", []).append(repository)
    for restriction, repository in removed:
        ctx.conn.execute(
            """DELETE FROM package_group_allowed_repository WHERE domain_owner = ? AND domain = ? AND pattern = ?
                   AND restriction_type = ? AND repository = ?""",
            (owner, name, pattern, restriction, repository),
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
    group = _Domain(ctx, row).get(package_group)
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
    groups = _Domain(ctx, row)
    if preview:
        # The packages the group would have: as if it were created now (if it is not there yet).
        pattern = parse_pattern(package_group)
        groups.groups.setdefault(pattern.text, _Group(pattern, ctx.clock()))
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
    where = "r.domain_owner = ? AND r.domain = ?"
    args: list[Any] = [owner, domain]
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
    groups = _Domain(ctx, row)
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
    groups = _Domain(ctx, row)
    return groups.describe(groups.get(package_group))


def _materialize_root(ctx: Context, row: sqlite3.Row, group: _Group) -> None:
    # Writes to a root group that exists only virtually (see `_load`) first store it.
    if group.pattern.is_root:
        create_root_group(ctx.conn, row["owner"], row["name"], group.created_time)


# --- what the groups mean for a package -----------------------------------------------------------


@dataclass(frozen=True)
class GroupOrigin:
    """What a package's package group says about how its versions may enter repositories."""

    pattern: str  # the group the package is associated with
    weak: bool  # associated only as a look-alike of the pattern (blocked from every origin)
    restrictions: Restrictions

    def allows(self, restriction: str, repository: str) -> bool:
        """Whether the restriction lets package versions into this repository."""
        if self.weak:
            return False
        mode, allowed = self.restrictions[restriction]
        return mode == "ALLOW" or (mode == "ALLOW_SPECIFIC_REPOSITORIES" and repository in allowed)

    def refusal(self, restriction: str) -> str:
        """Why the group keeps versions out through `restriction` (for a refused request's message)."""
        if self.weak:
            return f"it is a variation (weak match) of the pattern of package group {self.pattern}"
        mode, _ = self.restrictions[restriction]
        return f"the origin configuration of package group {self.pattern} does not allow it ({restriction}: {mode})"


def group_origin(
    ctx: Context, domain_row: sqlite3.Row, format: str, namespace: str | None, package: str
) -> GroupOrigin:
    """The origin restrictions a package gets from its package group, INHERIT resolved.

    A package only weakly associated with its group (a look-alike of the group's pattern) is
    blocked from every origin, as AWS documents for weak matches.
    """
    groups = _Domain(ctx, domain_row)
    group, association = groups.association(coordinate(format, namespace, package))
    restrictions: Restrictions = {}
    for restriction in RESTRICTION_TYPES:
        if association == "WEAK":
            restrictions[restriction] = ("BLOCK", frozenset())
            continue
        mode, source = groups.effective(group, restriction)
        restrictions[restriction] = (mode, frozenset(source.allowed.get(restriction, [])))
    return GroupOrigin(group.pattern.text, association == "WEAK", restrictions)
