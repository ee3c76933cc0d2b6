"""TagResource, UntagResource and ListTagsForResource, and the tag rules CreateDomain and
CreateRepository share with them.

A resource's tags live in its own row (the `tags` column, a JSON list of `{key, value}` in the
order first set), so they go when the resource goes ("If you delete a repository, all tag
associations are removed", user guide: Tag a repository). Rules, from the model (key 1..128 and
value 0..256 displayable characters, at most 200 per request) and AWS's tagging rules in the
"Tagging AWS resources" guide: at most 50 user tags per resource, keys unique per resource, and
the `aws:` prefix reserved for AWS.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.local.arns import ResourceName, parse_arn
from reconciler.local.context import Context, get_domain, get_repository
from reconciler.local.errors import (
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from reconciler.local.group_patterns import parse_pattern

TAGS_PER_RESOURCE = 50
_RESERVED_PREFIX = "aws:"


@dataclass(frozen=True)
class TagHolder:
    """The row that carries a resource's tags, and how errors name the resource."""

    table: str
    condition: str
    params: tuple[Any, ...]
    resource_id: str
    resource_type: str


def _domain_holder(ctx: Context, name: ResourceName) -> TagHolder:
    if "/" in name.path:
        raise _not_found(name)
    row = get_domain(ctx, name.path, name.owner)
    key = (row["region"], row["name"], row["owner"])
    return TagHolder("domain", "region = ? AND name = ? AND owner = ?", key, row["name"], "domain")


def _repository_holder(ctx: Context, name: ResourceName) -> TagHolder:
    domain, _, repository = name.path.partition("/")
    if not repository or "/" in repository:
        raise _not_found(name)
    row = get_repository(ctx, domain, name.owner, repository)
    return TagHolder("repository", "id = ?", (row["id"],), repository, "repository")


def _package_group_holder(ctx: Context, name: ResourceName) -> TagHolder:
    """`package-group/DOMAIN/PATTERN`, the pattern percent-encoded as the group's ARN has it."""
    domain, slash, encoded = name.path.partition("/")
    if not slash:
        raise _not_found(name)
    row = get_domain(ctx, domain, name.owner)
    pattern = parse_pattern("/" + urllib.parse.unquote(encoded)).text
    key = (row["region"], row["owner"], row["name"], pattern)
    found = ctx.conn.execute(
        "SELECT 1 FROM package_group WHERE region = ? AND domain_owner = ? AND domain = ? AND pattern = ?",
        key,
    ).fetchone()
    if found is None:
        raise ResourceNotFoundException(
            f"Package group not found. Domain: {domain}, Package group: {pattern}", pattern, "package-group"
        )
    return TagHolder(
        "package_group",
        "region = ? AND domain_owner = ? AND domain = ? AND pattern = ?",
        key,
        pattern,
        "package-group",
    )


# ARN resource type -> the row holding that resource's tags.
TAGGABLE: dict[str, Callable[[Context, ResourceName], TagHolder]] = {
    "domain": _domain_holder,
    "repository": _repository_holder,
    "package-group": _package_group_holder,
}


def tag_resource(ctx: Context, *, resource_arn: str, tags: list[dict[str, str]]) -> dict[str, Any]:
    holder = _holder(ctx, resource_arn)
    merged = {tag["key"]: tag["value"] for tag in _read(ctx, holder)}
    check_tags(tags, holder.resource_id, holder.resource_type, existing=merged.keys())
    merged.update({tag["key"]: tag["value"] for tag in tags})
    _write(ctx, holder, [{"key": key, "value": value} for key, value in merged.items()])
    return {}


def untag_resource(ctx: Context, *, resource_arn: str, tag_keys: list[str]) -> dict[str, Any]:
    holder = _holder(ctx, resource_arn)
    # Keys the resource does not have are ignored, as removing them is already done.
    removed = set(tag_keys)
    _write(ctx, holder, [tag for tag in _read(ctx, holder) if tag["key"] not in removed])
    return {}


def list_tags_for_resource(ctx: Context, *, resource_arn: str) -> dict[str, Any]:
    return {"tags": _read(ctx, _holder(ctx, resource_arn))}


def check_tags(
    tags: list[dict[str, str]], resource_id: str, resource_type: str, existing: Any = frozenset()
) -> None:
    """The rules beyond the model's own: unique keys, no reserved prefix, at most 50 per resource."""
    keys = [tag["key"] for tag in tags]
    if len(set(keys)) != len(keys):
        raise ValidationException("Tag keys must be unique; a key is given more than once")
    for key in keys:
        if key.lower().startswith(_RESERVED_PREFIX):
            raise ValidationException(f"Tag key {key} uses the prefix aws:, which is reserved for AWS")
    total = len(set(existing) | set(keys))
    if total > TAGS_PER_RESOURCE:
        raise ServiceQuotaExceededException(
            f"A resource can have at most {TAGS_PER_RESOURCE} tags; this request would give it {total}",
            resource_id,
            resource_type,
        )


def _holder(ctx: Context, resource_arn: str) -> TagHolder:
    name = parse_arn(resource_arn)
    resolve = TAGGABLE.get(name.type)
    if resolve is None:
        raise ValidationException(
            f"Resources of type {name.type} cannot be tagged; taggable: {', '.join(TAGGABLE)}"
        )
    if name.region != ctx.region:
        raise _not_found(name)  # another Region's resource, which this Region cannot see
    return resolve(ctx, name)


def _not_found(name: ResourceName) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Resource not found: {name.arn}", name.path, name.type)


def _read(ctx: Context, holder: TagHolder) -> list[dict[str, str]]:
    row = ctx.conn.execute(
        f"SELECT tags FROM {holder.table} WHERE {holder.condition}", holder.params
    ).fetchone()
    return list(json.loads(row[0])) if row is not None and row[0] else []


def _write(ctx: Context, holder: TagHolder, tags: list[dict[str, str]]) -> None:
    ctx.conn.execute(
        f"UPDATE {holder.table} SET tags = ? WHERE {holder.condition}", (json.dumps(tags), *holder.params)
    )
