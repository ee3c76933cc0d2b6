"""The package group model: one domain's groups, how they are stored, and what they mean for a package.

Every domain has the root group `/*` (allowing every origin); other groups are created with every
restriction `INHERIT`. A package belongs to the most specific group whose pattern it matches
(`reconciler.local.group_patterns`); `INHERIT` resolves up the parent chain. The hierarchy is not
stored: each group's parent is computed from the patterns, so deleting a group hands its children
to its own parent, as AWS documents. The operations over this model are in `reconciler.local.groups`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.local.context import Context
from reconciler.local.errors import ResourceNotFoundException
from reconciler.local.group_patterns import (
    ROOT,
    GroupPattern,
    coordinate,
    encode_for_arn,
    most_specific,
    parent_of,
    parse_pattern,
)

RESTRICTION_TYPES = ("EXTERNAL_UPSTREAM", "INTERNAL_UPSTREAM", "PUBLISH")
_COLUMNS = {
    "PUBLISH": "publish",
    "EXTERNAL_UPSTREAM": "external_upstream",
    "INTERNAL_UPSTREAM": "internal_upstream",
}
Restrictions = dict[str, tuple[str, frozenset[str]]]
"""Restriction type -> (effective mode, repositories allowed when it is ALLOW_SPECIFIC_REPOSITORIES)."""


@dataclass
class Group:
    pattern: GroupPattern
    created_time: float
    contact_info: str | None = None
    description: str | None = None
    modes: dict[str, str] = field(default_factory=lambda: dict.fromkeys(RESTRICTION_TYPES, "INHERIT"))
    allowed: dict[str, list[str]] = field(default_factory=dict)


class Domain:
    """One domain's groups, loaded together: the hierarchy is a property of the whole set."""

    def __init__(self, ctx: Context, row: sqlite3.Row) -> None:
        self.ctx = ctx
        self.owner: str = row["owner"]
        self.name: str = row["name"]
        self.groups = _load(ctx.conn, row["region"], self.owner, self.name, row["created_time"])
        self._parents: dict[str, GroupPattern | None] = {}

    def get(self, text: str) -> Group:
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

    def effective(self, group: Group, restriction: str) -> tuple[str, Group]:
        """The mode in force for one restriction type, and the group it comes from."""
        current = group
        while current.modes[restriction] == "INHERIT":
            parent = self.parent(current.pattern)
            if parent is None:  # only the root has no parent, and the root never inherits
                return "ALLOW", current
            current = self.groups[parent.text]
        return current.modes[restriction], current

    def describe(self, group: Group) -> dict[str, Any]:
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

    def association(self, package: tuple[str, str, str]) -> tuple[Group, str]:
        patterns = [group.pattern for group in self.groups.values()]
        found = most_specific(patterns, package)
        assert found is not None  # the root group matches every package
        pattern, strong = found
        return self.groups[pattern.text], "STRONG" if strong else "WEAK"


def _load(
    conn: sqlite3.Connection, region: str, owner: str, domain: str, domain_created: float
) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for row in conn.execute(
        "SELECT * FROM package_group WHERE region = ? AND domain_owner = ? AND domain = ?",
        (region, owner, domain),
    ).fetchall():
        groups[row["pattern"]] = Group(
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
           WHERE region = ? AND domain_owner = ? AND domain = ? ORDER BY repository""",
        (region, owner, domain),
    ).fetchall():
        if row["pattern"] in groups:
            groups[row["pattern"]].allowed.setdefault(row["restriction_type"], []).append(row["repository"])
    return groups


def _root(created_time: float) -> Group:
    return Group(parse_pattern(ROOT), created_time, modes=dict.fromkeys(RESTRICTION_TYPES, "ALLOW"))


# --- writing groups (also used by CreateDomain and the seed) -------------------------------------


def create_root_group(
    conn: sqlite3.Connection, region: str, domain_owner: str, domain: str, created_time: float
) -> None:
    """The root group `/*` every domain has from its creation, allowing every origin."""
    conn.execute(
        """INSERT OR IGNORE INTO package_group (region, domain_owner, domain, pattern, created_time, publish,
               external_upstream, internal_upstream) VALUES (?, ?, ?, ?, ?, 'ALLOW', 'ALLOW', 'ALLOW')""",
        (region, domain_owner, domain, ROOT, created_time),
    )


def put_package_group(
    conn: sqlite3.Connection,
    region: str,
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
    create_root_group(conn, region, domain_owner, domain, created_time)
    if pattern != ROOT:
        conn.execute(
            """INSERT INTO package_group (region, domain_owner, domain, pattern, created_time, tags)
               VALUES (?, ?, ?, ?, ?, ?)""",
            (region, domain_owner, domain, pattern, created_time, json.dumps(tags or [])),
        )
    conn.execute(
        """UPDATE package_group SET contact_info = ?, description = ?
           WHERE region = ? AND domain_owner = ? AND domain = ? AND pattern = ?""",
        (contact_info, description, region, domain_owner, domain, pattern),
    )
    for restriction, mode in (restrictions or {}).items():
        set_mode(conn, region, domain_owner, domain, pattern, restriction, mode)
    for restriction, repositories in (allowed_repositories or {}).items():
        for repository in repositories:
            allow(conn, region, domain_owner, domain, pattern, restriction, repository)


def set_mode(
    conn: sqlite3.Connection, region: str, owner: str, domain: str, pattern: str, restriction: str, mode: str
) -> None:
    conn.execute(
        f"UPDATE package_group SET {_COLUMNS[restriction]} = ? WHERE region = ? AND domain_owner = ? AND domain = ? AND pattern = ?",
        (mode, region, owner, domain, pattern),
    )


def allow(
    conn: sqlite3.Connection,
    region: str,
    owner: str,
    domain: str,
    pattern: str,
    restriction: str,
    repository: str,
) -> None:
    conn.execute(
        """INSERT OR IGNORE INTO package_group_allowed_repository
               (region, domain_owner, domain, pattern, restriction_type, repository) VALUES (?, ?, ?, ?, ?, ?)""",
        (region, owner, domain, pattern, restriction, repository),
    )


def materialize_root(ctx: Context, row: sqlite3.Row, group: Group) -> None:
    # Writes to a root group that exists only virtually (see `_load`) first store it.
    if group.pattern.is_root:
        create_root_group(ctx.conn, row["region"], row["owner"], row["name"], group.created_time)


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
    groups = Domain(ctx, domain_row)
    group, association = groups.association(coordinate(format, namespace, package))
    restrictions: Restrictions = {}
    for restriction in RESTRICTION_TYPES:
        if association == "WEAK":
            restrictions[restriction] = ("BLOCK", frozenset())
            continue
        mode, source = groups.effective(group, restriction)
        restrictions[restriction] = (mode, frozenset(source.allowed.get(restriction, [])))
    return GroupOrigin(group.pattern.text, association == "WEAK", restrictions)
