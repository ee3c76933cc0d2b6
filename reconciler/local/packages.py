"""Read operations on packages, package versions and their assets."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, NamedTuple

from reconciler.local.context import (
    ORIGIN_JSON_IN_REPOSITORY,
    Context,
    JsonText,
    get_package,
    get_repository,
    origin,
)
from reconciler.local.errors import ConflictException, ResourceNotFoundException
from reconciler.local.names import display_name, normalize_request
from reconciler.local.origin import configuration
from reconciler.local.pagination import decode_token, encode_token


def list_packages(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    domain_owner: str | None = None,
    format: str | None = None,
    namespace: str | None = None,
    package_prefix: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
    publish: str | None = None,
    upstream: str | None = None,
) -> dict[str, Any]:
    repo = get_repository(ctx, domain, domain_owner, repository)
    filters = {
        "domain": domain,
        "repository": repository,
        "format": format,
        "namespace": namespace,
        "packagePrefix": package_prefix,
        "publish": publish,
        "upstream": upstream,
    }
    after = decode_token("ListPackages", filters, next_token)
    where, args = _package_filter(repo["id"], format, namespace, package_prefix, publish, upstream, after)
    limit = max_results or ctx.options.default_page_size
    rows = ctx.conn.execute(
        f"SELECT * FROM package WHERE {' AND '.join(where)} ORDER BY format, namespace, name LIMIT ?",
        [*args, limit + 1],
    ).fetchall()
    result: dict[str, Any] = {"packages": [_package_summary(row) for row in rows[:limit]]}
    if len(rows) > limit:
        last = rows[limit - 1]
        result["nextToken"] = encode_token(
            "ListPackages", filters, [last["format"], last["namespace"], last["name"]]
        )
    return result


def _package_filter(
    repository_id: int,
    format: str | None,
    namespace: str | None,
    package_prefix: str | None,
    publish: str | None,
    upstream: str | None,
    after: list[Any] | None,
) -> tuple[list[str], list[Any]]:
    """ListPackages' conditions on the `package` table, and their arguments."""
    where = ["repository_id = ?"]
    args: list[Any] = [repository_id]
    if format is not None:
        where.append("format = ?")
        args.append(format)
    # Both are prefix matches (the model's documentation says so for namespace too). Ranges on
    # the (repository_id, format, namespace, name) index keep a prefix listing O(page).
    if namespace is not None:
        where.append("substr(namespace, 1, ?) = ?")
        args += [len(namespace), namespace]
    if package_prefix is not None:
        where.append("name >= ? AND substr(name, 1, ?) = ?")
        args += [package_prefix, len(package_prefix), package_prefix]
    if publish is not None:
        where.append("publish = ?")
        args.append(publish)
    if upstream is not None:
        where.append("upstream = ?")
        args.append(upstream)
    if after:
        where.append("(format, namespace, name) > (?, ?, ?)")
        args += after
    return where, args


def _package_summary(row: sqlite3.Row) -> dict[str, Any]:
    # The package's own origin configuration: what the API documents PackageSummary to carry.
    summary: dict[str, Any] = {
        "format": row["format"],
        "package": row["name"],
        "originConfiguration": configuration(row["publish"], row["upstream"]),
    }
    if row["namespace"]:
        summary["namespace"] = row["namespace"]
    return summary


def _default_display_version(ctx: Context, package_id: int) -> str | None:
    # The model documents it per format: "For Maven and PyPI packages, it's the most recently
    # published package version. For npm packages, it's the version referenced by the latest tag.
    # If the latest tag is not set, it's the most recently published package version." This
    # service keeps no npm dist-tags, and AWS is silent on the other formats: for every format it
    # is the most recently published version, whatever its status (the rule names none) except
    # Unfinished (whose publishing is not finished), and whatever the request's filters (it
    # describes the package, not the page).
    row = ctx.conn.execute(
        """SELECT version FROM package_version WHERE package_id = ? AND status != 'Unfinished'
           ORDER BY published_time DESC, version DESC LIMIT 1""",
        (package_id,),
    ).fetchone()
    return None if row is None else str(row[0])


# A repository row exists only under its domain (a foreign key), so finding the package through its
# repository also finds the domain: `get_domain`, `find_repository` and `find_package` in one query.
_PACKAGE_ID = """SELECT p.id FROM repository r JOIN package p ON p.repository_id = r.id
    WHERE r.region = ? AND r.domain_owner = ? AND r.domain = ? AND r.name = ?
      AND p.format = ? AND p.namespace = ? AND p.name = ?"""


def package_id_of(
    ctx: Context,
    domain: str,
    domain_owner: str | None,
    repository: str,
    format: str,
    namespace: str | None,
    package: str,
) -> int:
    """The id of the package a request names, as `get_package(ctx, get_repository(...), ...)` finds it:
    one query for the usual request, whose domain, repository and package all exist, and the
    lookups one by one, which raise the ResourceNotFoundException of whichever is missing, otherwise."""
    names = normalize_request(
        {"format": format, "namespace": namespace, "package": package},
        pypi=ctx.options.normalize_pypi_request_names,
    )
    row = ctx.conn.execute(
        _PACKAGE_ID,
        (
            ctx.region,
            ctx.owner(domain_owner),
            domain,
            repository,
            format,
            names["namespace"] or "",
            names["package"],
        ),
    ).fetchone()
    if row is not None:
        return int(row[0])
    return get_package(ctx, get_repository(ctx, domain, domain_owner, repository), format, namespace, package)


# Where a summary other than the first starts in the joined text: every quote inside a JSON string
# is escaped, so this text only ever starts a summary, whose first member is its version.
_NEXT_SUMMARY = ',{"version":'
_SUMMARY_JSON = f"""json_object('version', version, 'revision', revision, 'status', status,
    'origin', {ORIGIN_JSON_IN_REPOSITORY})"""


def list_package_versions(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    format: str,
    package: str,
    domain_owner: str | None = None,
    namespace: str | None = None,
    status: str | None = None,
    sort_by: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
    origin_type: str | None = None,
) -> dict[str, Any]:
    package_id = package_id_of(ctx, domain, domain_owner, repository, format, namespace, package)
    filters = {
        "domain": domain,
        "repository": repository,
        "format": format,
        "namespace": namespace,
        "package": package,
        "status": status,
        "sortBy": sort_by,
        "originType": origin_type,
    }
    after = decode_token("ListPackageVersions", filters, next_token)
    where, args, order = _version_filter(package_id, status, origin_type, sort_by, after)
    limit = max_results or ctx.options.default_version_page_size
    # SQLite writes each PackageVersionSummary as JSON and joins them into the page's JSON array: a
    # page of 1000 versions then costs Python one string, where building and encoding the
    # structures (or even a row each) would cost more than the query itself. The aggregate reads
    # the subquery's rows in its ORDER BY (a subquery with a LIMIT is never flattened into an
    # aggregate query); tests/local/test_wire_bodies.py holds every page to its versions in order,
    # byte for byte.
    text, count = ctx.conn.execute(
        f"""SELECT '[' || coalesce(group_concat(summary, ','), '') || ']', count(*) FROM (
            SELECT {_SUMMARY_JSON} AS summary FROM package_version WHERE {where} ORDER BY {order} LIMIT ?)""",
        [repository or None, repository, *args, limit],
    ).fetchone()
    result: dict[str, Any] = {"format": format, "package": package, "versions": JsonText(text)}
    if namespace:
        result["namespace"] = namespace
    display = _default_display_version(ctx, package_id)
    if display is not None:
        result["defaultDisplayVersion"] = display
    if count == limit:
        # A full page: the next one starts after its last version, if any version is there.
        last = json.loads(text[max(text.rfind(_NEXT_SUMMARY) + 1, 1) : -1])["version"]  # after "[" or ","
        key = _version_page_key(ctx, package_id, sort_by, last)
        where, args, _ = _version_filter(package_id, status, origin_type, sort_by, key)
        if ctx.conn.execute(f"SELECT 1 FROM package_version WHERE {where} LIMIT 1", args).fetchone():
            result["nextToken"] = encode_token("ListPackageVersions", filters, key)
    return result


def _version_filter(
    package_id: int, status: str | None, origin_type: str | None, sort_by: str | None, after: list[Any] | None
) -> tuple[str, list[Any], str]:
    """ListPackageVersions' condition on `package_version`, its arguments, and the page order."""
    where = "package_id = ?"
    args: list[Any] = [package_id]
    if status is not None:
        where += " AND status = ?"
        args.append(status)
    if origin_type is not None:
        where += " AND origin_type = ?"
        args.append(origin_type)
    if sort_by == "PUBLISHED_TIME":
        # Newest first; ties broken by version so the order (and so paging) is total.
        order = "published_time DESC, version DESC"
        if after:
            where += " AND (published_time, version) < (?, ?)"
            args += after
    else:
        order = "version"
        if after:
            where += " AND version > ?"
            args.append(after[0])
    return where, args, order


def _version_page_key(ctx: Context, package_id: int, sort_by: str | None, last: str) -> list[Any]:
    """Where the next page starts: after the last version, in the page's order."""
    if sort_by != "PUBLISHED_TIME":
        return [last]
    published = ctx.conn.execute(
        "SELECT published_time FROM package_version WHERE package_id = ? AND version = ?",
        (package_id, last),
    ).fetchone()[0]
    return [published, last]


class VersionAddress(NamedTuple):
    """One package version as a request names it (with the domain owner it gives, if any)."""

    domain: str
    domain_owner: str | None
    repository: str
    format: str
    namespace: str | None
    package: str
    version: str

    def filters(self) -> dict[str, Any]:
        """The request's parameters a page token of one of the version's listings is bound to."""
        return {
            "domain": self.domain,
            "repository": self.repository,
            "format": self.format,
            "namespace": self.namespace,
            "package": self.package,
            "version": self.version,
        }


def get_version(ctx: Context, address: VersionAddress) -> sqlite3.Row:
    repo = get_repository(ctx, address.domain, address.domain_owner, address.repository)
    package_id = get_package(ctx, repo, address.format, address.namespace, address.package)
    version = address.version
    row = ctx.conn.execute(
        "SELECT * FROM package_version WHERE package_id = ? AND version = ?", (package_id, version)
    ).fetchone()
    if row is None:
        raise ResourceNotFoundException(
            f"Package version not found. Package: {address.package}, Version: {version}",
            version,
            "package-version",
        )
    return row  # type: ignore[no-any-return]


def describe_package_version(
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
    published_as = ctx.conn.execute(
        "SELECT display_name FROM package WHERE id = ?", (row["package_id"],)
    ).fetchone()[0]
    description: dict[str, Any] = {
        "format": format,
        "packageName": package,
        "displayName": display_name(format, namespace, package, published_as),
        "version": row["version"],
        "publishedTime": row["published_time"],
        "licenses": json.loads(row["licenses"]),
        "revision": row["revision"],
        "status": row["status"],
        "origin": origin(row),
    }
    if namespace:
        description["namespace"] = namespace
    for column, member in (
        ("summary", "summary"),
        ("home_page", "homePage"),
        ("source_code_repository", "sourceCodeRepository"),
    ):
        if row[column] is not None:
            description[member] = row[column]
    return {"packageVersion": description}


def list_package_version_assets(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    format: str,
    package: str,
    package_version: str,
    domain_owner: str | None = None,
    namespace: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    address = VersionAddress(domain, domain_owner, repository, format, namespace, package, package_version)
    row = get_version(ctx, address)
    filters = address.filters()
    after = decode_token("ListPackageVersionAssets", filters, next_token)
    limit = max_results or ctx.options.default_page_size
    assets = ctx.conn.execute(
        """SELECT name, size, md5, sha1, sha256, sha512 FROM asset WHERE version_id = ? AND name > ?
           ORDER BY name LIMIT ?""",
        (row["id"], after[0] if after else "", limit + 1),
    ).fetchall()
    result: dict[str, Any] = {
        "format": format,
        "package": package,
        "version": row["version"],
        "versionRevision": row["revision"],
        "assets": [_asset_summary(asset) for asset in assets[:limit]],
    }
    if namespace:
        result["namespace"] = namespace
    if len(assets) > limit:
        result["nextToken"] = encode_token("ListPackageVersionAssets", filters, [assets[limit - 1]["name"]])
    return result


def _asset_summary(asset: sqlite3.Row) -> dict[str, Any]:
    return {
        "name": asset["name"],
        "size": asset["size"],
        "hashes": {
            "MD5": asset["md5"],
            "SHA-1": asset["sha1"],
            "SHA-256": asset["sha256"],
            "SHA-512": asset["sha512"],
        },
    }


def get_package_version_asset(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    format: str,
    package: str,
    package_version: str,
    asset: str,
    domain_owner: str | None = None,
    namespace: str | None = None,
    package_version_revision: str | None = None,
) -> dict[str, Any]:
    row = get_version(
        ctx, VersionAddress(domain, domain_owner, repository, format, namespace, package, package_version)
    )
    if package_version_revision is not None and package_version_revision != row["revision"]:
        raise ResourceNotFoundException(
            f"Package version revision not found. Version: {package_version}, Revision: {package_version_revision}",
            package_version_revision,
            "package-version",
        )
    if row["status"] in ("Archived", "Disposed"):
        # Archived assets still exist but cannot be downloaded; Disposed ones are gone.
        raise ConflictException(
            f"Assets of package version {package_version} cannot be downloaded: its status is {row['status']}",
            package_version,
            "package-version",
        )
    found = ctx.conn.execute(
        "SELECT content FROM asset WHERE version_id = ? AND name = ?", (row["id"], asset)
    ).fetchone()
    if found is None:
        raise ResourceNotFoundException(f"Asset not found. Asset: {asset}", asset, "asset")
    return {
        "asset": found["content"] or b"",
        "assetName": asset,
        "packageVersion": row["version"],
        "packageVersionRevision": row["revision"],
    }
