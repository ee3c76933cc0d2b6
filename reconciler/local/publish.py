"""PublishPackageVersion: generic packages, one asset per call."""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

import regex

from reconciler.local.context import (
    Context,
    create_package,
    find_package,
    get_domain,
    get_repository,
    new_revision,
)
from reconciler.local.errors import ConflictException, ServiceQuotaExceededException, ValidationException
from reconciler.local.origin import check_publish

# The generic format's asset-name rules: Unicode letters and digits plus these symbols, single
# inner spaces, and never "." or "..".
_GENERIC_ASSET_NAME = regex.compile(
    r"[\p{Ll}\p{Lm}\p{Lo}\p{Lt}\p{Lu}\p{Nl}\p{Nd}~!@^&()\-_+\[\]{};,.]+( [\p{Ll}\p{Lm}\p{Lo}\p{Lt}\p{Lu}\p{Nl}\p{Nd}~!@^&()\-_+\[\]{};,.]+)*"
)


def asset_hashes(content: bytes) -> dict[str, str]:
    """Every hash CodeArtifact reports for an asset, keyed as in the `AssetHashes` map."""
    return {
        "MD5": hashlib.md5(content).hexdigest(),
        "SHA-1": hashlib.sha1(content).hexdigest(),
        "SHA-256": hashlib.sha256(content).hexdigest(),
        "SHA-512": hashlib.sha512(content).hexdigest(),
    }


def insert_asset(conn: sqlite3.Connection, version_id: int, name: str, content: bytes) -> dict[str, Any]:
    hashes = asset_hashes(content)
    conn.execute(
        """INSERT INTO asset (version_id, name, size, md5, sha1, sha256, sha512, content)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            version_id,
            name,
            len(content),
            hashes["MD5"],
            hashes["SHA-1"],
            hashes["SHA-256"],
            hashes["SHA-512"],
            content,
        ),
    )
    return {"name": name, "size": len(content), "hashes": hashes}


def publish_package_version(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    format: str,
    package: str,
    package_version: str,
    asset_content: bytes,
    asset_name: str,
    asset_sha256: str,
    domain_owner: str | None = None,
    namespace: str | None = None,
    unfinished: bool | None = None,
) -> dict[str, Any]:
    _check_request(format, namespace, asset_name, asset_content, asset_sha256)
    assert namespace is not None  # _check_request: a generic package always has one
    domain_row = get_domain(ctx, domain, domain_owner)
    if len(asset_content) > ctx.options.asset_file_size:
        raise ServiceQuotaExceededException(
            f"Asset {asset_name} is {len(asset_content)} bytes; an asset can be at most "
            f"{ctx.options.asset_file_size} bytes",
            asset_name,
            "asset",
        )
    repo = get_repository(ctx, domain, domain_owner, repository)
    package_id = find_package(ctx, repo["id"], format, namespace, package)
    row = None
    if package_id is not None:
        row = ctx.conn.execute(
            "SELECT * FROM package_version WHERE package_id = ? AND version = ?",
            (package_id, package_version),
        ).fetchone()
    # Origin controls (the package's own and its group's) first: a refused publish creates nothing,
    # not even the package record.
    check_publish(ctx, domain_row, repo, format, namespace, package, package_version, new_version=row is None)
    if package_id is None:
        package_id = create_package(ctx, repo["id"], format, namespace, package)
    status = "Unfinished" if unfinished else "Published"
    revision = new_revision()
    if row is None:
        version_id = _insert_version(ctx, package_id, package_version, revision, status, repository)
    else:
        repeated = _repeated_asset(ctx, row, asset_name, asset_sha256)
        if repeated is not None:
            # Re-sending an asset that is already there, byte for byte, is idempotent.
            return _result(
                format, namespace, package, package_version, row["revision"], row["status"], repeated
            )
        version_id = _reopen_version(ctx, row, package_version, asset_name, revision, status)
    asset = insert_asset(ctx.conn, version_id, asset_name, asset_content)
    return _result(format, namespace, package, package_version, revision, status, asset)


def _check_request(
    format: str, namespace: str | None, asset_name: str, asset_content: bytes, asset_sha256: str
) -> None:
    """The request checks that need no stored data (ValidationException)."""
    if format != "generic":
        raise ValidationException(f"Only generic packages can be published with this API, not {format}")
    if not namespace:
        raise ValidationException("namespace is required for packages of format generic")
    if asset_name in (".", "..") or not _GENERIC_ASSET_NAME.fullmatch(asset_name):
        raise ValidationException(f"Asset name {asset_name!r} is not valid for a generic package")
    if hashlib.sha256(asset_content).hexdigest() != asset_sha256:
        raise ValidationException("The SHA-256 hash of the asset content does not match assetSHA256")


def _insert_version(
    ctx: Context, package_id: int, version: str, revision: str, status: str, repository: str
) -> int:
    cursor = ctx.conn.execute(
        """INSERT INTO package_version (package_id, version, revision, status, published_time, origin_type,
               entry_repository) VALUES (?, ?, ?, ?, ?, 'INTERNAL', ?)""",
        (package_id, version, revision, status, ctx.clock(), repository),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _repeated_asset(
    ctx: Context, row: sqlite3.Row, asset_name: str, asset_sha256: str
) -> dict[str, Any] | None:
    """The `asset` answer when the version already holds this asset with this content, else None."""
    existing = ctx.conn.execute(
        "SELECT size, sha256 FROM asset WHERE version_id = ? AND name = ?", (row["id"], asset_name)
    ).fetchone()
    if existing is None or existing["sha256"] != asset_sha256:
        return None
    return {"name": asset_name, "size": existing["size"], "hashes": _hashes_of(ctx, row["id"], asset_name)}


def _reopen_version(
    ctx: Context, row: sqlite3.Row, version: str, asset_name: str, revision: str, status: str
) -> int:
    """Make room for one more asset in a version already there (only an Unfinished version takes
    more assets, each name once, up to the quota); returns the version's id."""
    version_id: int = row["id"]
    if row["status"] != "Unfinished":
        raise ConflictException(
            f"Package version {version} is {row['status']}; no more assets can be added to it",
            version,
            "package-version",
        )
    if ctx.conn.execute(
        "SELECT 1 FROM asset WHERE version_id = ? AND name = ?", (version_id, asset_name)
    ).fetchone():
        raise ConflictException(
            f"Asset {asset_name} already exists in package version {version} with different content",
            asset_name,
            "asset",
        )
    count = ctx.conn.execute("SELECT COUNT(*) FROM asset WHERE version_id = ?", (version_id,)).fetchone()[0]
    if count >= ctx.options.assets_per_version:
        raise ServiceQuotaExceededException(
            f"A package version can have at most {ctx.options.assets_per_version} assets",
            version,
            "package-version",
        )
    ctx.conn.execute(
        "UPDATE package_version SET revision = ?, status = ? WHERE id = ?", (revision, status, version_id)
    )
    return version_id


def _hashes_of(ctx: Context, version_id: int, name: str) -> dict[str, str]:
    row = ctx.conn.execute(
        "SELECT md5, sha1, sha256, sha512 FROM asset WHERE version_id = ? AND name = ?", (version_id, name)
    ).fetchone()
    return {"MD5": row[0], "SHA-1": row[1], "SHA-256": row[2], "SHA-512": row[3]}


def _result(
    format: str, namespace: str, package: str, version: str, revision: str, status: str, asset: dict[str, Any]
) -> dict[str, Any]:
    return {
        "format": format,
        "namespace": namespace,
        "package": package,
        "version": version,
        "versionRevision": revision,
        "status": status,
        "asset": asset,
    }
