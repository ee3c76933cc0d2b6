"""Domain and repository operations."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from reconciler.local.context import Context, find_repository, get_domain, get_repository
from reconciler.local.errors import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from reconciler.local.group_model import create_root_group
from reconciler.local.pagination import decode_token, encode_token
from reconciler.local.tags import check_tags


def _domain_description(ctx: Context, row: sqlite3.Row) -> dict[str, Any]:
    # "An asset is stored only once in a domain, even if it's in multiple repositories" (the
    # model's CreateDomain documentation): assetSizeBytes counts each distinct content once.
    counts = ctx.conn.execute(
        """SELECT (SELECT COUNT(*) FROM repository WHERE region = :r AND domain_owner = :o AND domain = :d),
                  (SELECT COALESCE(SUM(size), 0) FROM (
                     SELECT DISTINCT a.sha256, a.size FROM asset a
                     JOIN package_version v ON v.id = a.version_id
                     JOIN package p ON p.id = v.package_id
                     JOIN repository r ON r.id = p.repository_id
                     WHERE r.region = :r AND r.domain_owner = :o AND r.domain = :d))""",
        {"r": row["region"], "o": row["owner"], "d": row["name"]},
    ).fetchone()
    return {
        **_domain_summary(ctx, row),
        "repositoryCount": counts[0],
        "assetSizeBytes": counts[1],
        # The bucket belongs to the domain, so it is named after the owner's account and Region.
        "s3BucketArn": f"arn:aws:s3:::assets-{row['owner']}-{ctx.region}",
    }


def _domain_summary(ctx: Context, row: sqlite3.Row) -> dict[str, Any]:
    return {
        "name": row["name"],
        "owner": row["owner"],
        "arn": ctx.domain_arn(row["name"], row["owner"]),
        "status": "Active",
        "createdTime": row["created_time"],
        "encryptionKey": row["encryption_key"],
    }


def create_domain(
    ctx: Context, *, domain: str, encryption_key: str | None = None, tags: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    check_tags(tags or [], domain, "domain")
    # A new domain is always the caller's: names are unique per owning account.
    if ctx.conn.execute(
        "SELECT 1 FROM domain WHERE region = ? AND owner = ? AND name = ?",
        (ctx.region, ctx.account_id, domain),
    ).fetchone():
        raise ConflictException(f"Domain already exists. Domain: {domain}", domain, "domain")
    # The quota is per account and Region, as AWS's.
    count = ctx.conn.execute(
        "SELECT COUNT(*) FROM domain WHERE region = ? AND owner = ?", (ctx.region, ctx.account_id)
    ).fetchone()[0]
    if count >= ctx.options.domains_per_account:
        raise ServiceQuotaExceededException(
            f"Domain quota of {ctx.options.domains_per_account} per account exceeded", domain, "domain"
        )
    key = encryption_key or f"arn:aws:kms:{ctx.region}:{ctx.account_id}:alias/aws/codeartifact"
    ctx.conn.execute(
        "INSERT INTO domain (region, name, owner, created_time, encryption_key, tags) VALUES (?, ?, ?, ?, ?, ?)",
        (ctx.region, domain, ctx.account_id, ctx.clock(), key, json.dumps(tags or [])),
    )
    row = get_domain(ctx, domain, ctx.account_id)
    create_root_group(
        ctx.conn, row["region"], row["owner"], row["name"], row["created_time"]
    )  # every domain has /*
    return {"domain": _domain_description(ctx, get_domain(ctx, domain, ctx.account_id))}


def describe_domain(ctx: Context, *, domain: str, domain_owner: str | None = None) -> dict[str, Any]:
    return {"domain": _domain_description(ctx, get_domain(ctx, domain, domain_owner))}


def list_domains(
    ctx: Context, *, max_results: int | None = None, next_token: str | None = None
) -> dict[str, Any]:
    after = decode_token("ListDomains", {}, next_token)
    limit = max_results or ctx.options.default_page_size
    # The domains the caller's account owns (other accounts' domains it may use are not listed).
    rows = ctx.conn.execute(
        "SELECT * FROM domain WHERE region = ? AND owner = ? AND name > ? ORDER BY name LIMIT ?",
        (ctx.region, ctx.account_id, after[0] if after else "", limit + 1),
    ).fetchall()
    result: dict[str, Any] = {"domains": [_domain_summary(ctx, row) for row in rows[:limit]]}
    if len(rows) > limit:
        result["nextToken"] = encode_token("ListDomains", {}, [rows[limit - 1]["name"]])
    return result


def _upstream_names(ctx: Context, repository_id: int) -> list[str]:
    rows = ctx.conn.execute(
        """SELECT r.name FROM upstream u JOIN repository r ON r.id = u.upstream_id
           WHERE u.repository_id = ? ORDER BY u.position""",
        (repository_id,),
    ).fetchall()
    return [row[0] for row in rows]


def _repository_description(ctx: Context, row: sqlite3.Row) -> dict[str, Any]:
    connections = ctx.conn.execute(
        "SELECT name, format FROM external_connection WHERE repository_id = ? ORDER BY name", (row["id"],)
    ).fetchall()
    return {
        **_repository_summary(ctx, row),
        "upstreams": [{"repositoryName": name} for name in _upstream_names(ctx, row["id"])],
        "externalConnections": [
            {"externalConnectionName": c["name"], "packageFormat": c["format"], "status": "Available"}
            for c in connections
        ],
    }


def _repository_summary(ctx: Context, row: sqlite3.Row) -> dict[str, Any]:
    summary = {
        "name": row["name"],
        "administratorAccount": row["administrator_account"],
        "domainName": row["domain"],
        "domainOwner": row["domain_owner"],
        "arn": ctx.repository_arn(row["domain"], row["name"], row["domain_owner"]),
        "createdTime": row["created_time"],
    }
    if row["description"] is not None:
        summary["description"] = row["description"]
    return summary


def create_repository(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    domain_owner: str | None = None,
    description: str | None = None,
    upstreams: list[dict[str, str]] | None = None,
    tags: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    check_tags(tags or [], repository, "repository")
    owner = get_domain(ctx, domain, domain_owner)["owner"]
    if find_repository(ctx, owner, domain, repository) is not None:
        raise ConflictException(
            f"Repository already exists. Domain: {domain}, Repository: {repository}", repository, "repository"
        )
    count = ctx.conn.execute(
        "SELECT COUNT(*) FROM repository WHERE region = ? AND domain_owner = ? AND domain = ?",
        (ctx.region, owner, domain),
    ).fetchone()[0]
    if count >= ctx.options.repositories_per_domain:
        raise ServiceQuotaExceededException(
            f"Repository quota of {ctx.options.repositories_per_domain} per domain exceeded", domain, "domain"
        )
    upstream_names = [item["repositoryName"] for item in upstreams or []]
    check_upstream_names(ctx, upstream_names)
    upstream_ids = []
    for name in upstream_names:
        row = find_repository(ctx, owner, domain, name)
        if row is None:
            raise ResourceNotFoundException(
                f"Upstream repository not found. Domain: {domain}, Repository: {name}", name, "repository"
            )
        upstream_ids.append(row["id"])
    # The repository's administrator is the account that creates it, which may differ from the
    # domain's owner when an account creates a repository in another account's domain.
    cursor = ctx.conn.execute(
        """INSERT INTO repository (region, domain_owner, domain, name, description, administrator_account,
               created_time, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            ctx.region,
            owner,
            domain,
            repository,
            description,
            ctx.account_id,
            ctx.clock(),
            json.dumps(tags or []),
        ),
    )
    assert cursor.lastrowid is not None
    insert_upstreams(ctx, cursor.lastrowid, upstream_ids)
    return {"repository": _repository_description(ctx, get_repository(ctx, domain, owner, repository))}


def check_upstream_names(ctx: Context, names: list[str]) -> None:
    """A repository's upstream list, before any is looked up: not too many, none twice."""
    if len(names) > ctx.options.direct_upstreams:
        raise ValidationException(
            f"A repository can have at most {ctx.options.direct_upstreams} direct upstream repositories"
        )
    if len(set(names)) != len(names):
        raise ValidationException("An upstream repository is listed more than once")


def insert_upstreams(ctx: Context, repository_id: int, upstream_ids: list[int]) -> None:
    """A repository's upstreams, in their order (it has none yet)."""
    ctx.conn.executemany(
        "INSERT INTO upstream (repository_id, position, upstream_id) VALUES (?, ?, ?)",
        [(repository_id, position, upstream_id) for position, upstream_id in enumerate(upstream_ids)],
    )


def describe_repository(
    ctx: Context, *, domain: str, repository: str, domain_owner: str | None = None
) -> dict[str, Any]:
    return {"repository": _repository_description(ctx, get_repository(ctx, domain, domain_owner, repository))}


def _list_repositories(
    ctx: Context,
    operation: str,
    filters: dict[str, Any],
    where: str,
    args: list[Any],
    max_results: int | None,
    next_token: str | None,
) -> dict[str, Any]:
    after = decode_token(operation, filters, next_token)
    limit = max_results or ctx.options.default_page_size
    if after:
        where += " AND (domain, domain_owner, name) > (?, ?, ?)"
        args = [*args, *after]
    rows = ctx.conn.execute(
        f"SELECT * FROM repository WHERE {where} ORDER BY domain, domain_owner, name LIMIT ?",
        [*args, limit + 1],
    ).fetchall()
    result: dict[str, Any] = {"repositories": [_repository_summary(ctx, row) for row in rows[:limit]]}
    if len(rows) > limit:
        last = rows[limit - 1]
        key = [last["domain"], last["domain_owner"], last["name"]]
        result["nextToken"] = encode_token(operation, filters, key)
    return result


def list_repositories(
    ctx: Context,
    *,
    repository_prefix: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    prefix = repository_prefix or ""
    # The repositories the caller's account administers, in whichever account's domains they are.
    return _list_repositories(
        ctx,
        "ListRepositories",
        {"repositoryPrefix": repository_prefix},
        "region = ? AND administrator_account = ? AND substr(name, 1, ?) = ?",
        [ctx.region, ctx.account_id, len(prefix), prefix],
        max_results,
        next_token,
    )


def list_repositories_in_domain(
    ctx: Context,
    *,
    domain: str,
    domain_owner: str | None = None,
    administrator_account: str | None = None,
    repository_prefix: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    owner = get_domain(ctx, domain, domain_owner)["owner"]
    prefix = repository_prefix or ""
    where = "region = ? AND domain_owner = ? AND domain = ? AND substr(name, 1, ?) = ?"
    args: list[Any] = [ctx.region, owner, domain, len(prefix), prefix]
    if administrator_account is not None:
        where += " AND administrator_account = ?"
        args.append(administrator_account)
    filters = {
        "domain": domain,
        "domainOwner": owner,
        "administratorAccount": administrator_account,
        "repositoryPrefix": repository_prefix,
    }
    return _list_repositories(ctx, "ListRepositoriesInDomain", filters, where, args, max_results, next_token)
