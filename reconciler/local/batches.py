"""The batch operations: UpdatePackageVersionsStatus, DisposePackageVersions, DeletePackageVersions
and CopyPackageVersions.

All four answer HTTP 200 with `successfulVersions` and `failedVersions`. As CodeArtifact does
today, a batch is all or nothing: every version is checked first, each version that fails on its
own gets its own error code, and if any failed, all the others are `SKIPPED` and nothing changes.

One module, although over 400 lines: the four share that all-or-nothing contract, its checks and
its answer, which is easier to hold to AWS's documentation read in one place.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring_ascii as _quote
from typing import Any

from reconciler.local import origin
from reconciler.local.context import (
    Context,
    JsonText,
    create_package,
    find_package,
    get_domain,
    get_package,
    get_repository,
)
from reconciler.local.dependencies import copy_metadata
from reconciler.local.errors import ValidationException
from reconciler.local.packages import package_id_of

_VERSION = operator.itemgetter("version")
# Positions in rows of _GUARD_COLUMNS.
_ID, _VERSION_AT, _REVISION, _STATUS = map(operator.itemgetter, range(4))
UPDATABLE_TARGETS = frozenset({"Published", "Unlisted", "Archived"})
# Versions whose assets can be copied: Archived ones cannot be downloaded, Disposed ones have no
# assets left, Unfinished ones are still being uploaded.
COPYABLE = frozenset({"Published", "Unlisted"})

Failure = dict[str, str]


def _failure(code: str, message: str) -> Failure:
    return {"errorCode": code, "errorMessage": message}


def _unique(versions: list[str]) -> list[str]:
    return list(dict.fromkeys(versions))


def _check_request(ctx: Context, versions: list[str], version_revisions: dict[str, str] | None) -> None:
    if not versions:
        raise ValidationException("versions must name at least one package version")
    if len(versions) > ctx.options.versions_per_batch:
        raise ValidationException(
            f"At most {ctx.options.versions_per_batch} versions can be given in one call"
        )
    if version_revisions and not version_revisions.keys() <= set(versions):
        extra = sorted(set(version_revisions) - set(versions))
        raise ValidationException(
            "versionRevisions must name only versions that are also in versions; not in versions: "
            + ", ".join(extra)
        )


def _rows(ctx: Context, package_id: int, versions: list[str], columns: str = "*") -> dict[str, sqlite3.Row]:
    marks = ",".join("?" * len(versions))
    rows = ctx.conn.execute(
        f"SELECT {columns} FROM package_version WHERE package_id = ? AND version IN ({marks})",
        [package_id, *versions],
    ).fetchall()
    return dict(zip(map(_VERSION, rows), rows, strict=True))


# What a status change reads of each version, in this order (`_all_updatable` and `_update` index
# rows by position): half the cost of every column on a batch of 100.
_GUARD_COLUMNS = "id, version, revision, status"


def _guard(
    row: sqlite3.Row | None,
    version: str,
    expected_status: str | None,
    version_revisions: dict[str, str] | None,
) -> Failure | None:
    """The checks common to every batch: the version exists, and is as the caller last saw it."""
    if row is None:
        return _failure("NOT_FOUND", f"Could not find version {version}")
    if expected_status is not None and row["status"] != expected_status:
        return _failure(
            "MISMATCHED_STATUS", f"current status: {row['status']}, expected status: {expected_status}"
        )
    expected_revision = (version_revisions or {}).get(version)
    if expected_revision is not None and row["revision"] != expected_revision:
        return _failure(
            "MISMATCHED_REVISION",
            f"current revision: {row['revision']}, expected revision: {expected_revision}",
        )
    return None


def _settle(
    versions: list[str],
    failures: dict[str, Failure],
    skipped_message: Callable[[str], str],
) -> dict[str, Failure]:
    """All or nothing: once one version failed, every other version of the call is SKIPPED."""
    if not failures:
        return {}
    return {
        version: failures.get(version) or _failure("SKIPPED", skipped_message(version))
        for version in versions
    }


def _response(successful: dict[str, dict[str, str]], failed: dict[str, Failure]) -> dict[str, Any]:
    outcomes = ((version, o["revision"], o["status"]) for version, o in successful.items())
    return {"successfulVersions": _successes_json(outcomes), "failedVersions": failed}


def _successes_json(outcomes: Iterable[tuple[str, str, str]]) -> JsonText:
    """`successfulVersions` from (version, revision, status), written directly: for a hundred
    versions, a third of what building the maps and `json.dumps` would cost."""
    return JsonText(
        "{"
        + ",".join(
            f'{_quote(version)}:{{"revision":{_quote(revision)},"status":{_quote(status)}}}'
            for version, revision, status in outcomes
        )
        + "}"
    )


def update_package_versions_status(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    format: str,
    package: str,
    versions: list[str],
    target_status: str,
    domain_owner: str | None = None,
    namespace: str | None = None,
    version_revisions: dict[str, str] | None = None,
    expected_status: str | None = None,
) -> dict[str, Any]:
    versions = _unique(versions)
    _check_request(ctx, versions, version_revisions)
    if target_status not in UPDATABLE_TARGETS and ctx.options.reject_target_status_with_validation:
        raise ValidationException(
            f"targetStatus {target_status} is not allowed; use Published, Unlisted or Archived"
        )
    package_id = package_id_of(ctx, domain, domain_owner, repository, format, namespace, package)
    guard_rows = _guard_rows(ctx, package_id, versions)
    if _all_updatable(guard_rows, versions, target_status, expected_status, version_revisions):
        return _update(ctx, guard_rows, versions, target_status)
    rows = _rows(ctx, package_id, versions, _GUARD_COLUMNS)  # the same, by name, to word failures
    failures: dict[str, Failure] = {}
    for version in versions:
        row = rows.get(version)
        failure = _guard(row, version, expected_status, version_revisions)
        if failure is None and target_status not in UPDATABLE_TARGETS:
            failure = _failure(
                "NOT_ALLOWED",
                f"targetStatus {target_status} is not allowed; use DisposePackageVersions or DeletePackageVersions",
            )
        if failure is None and row is not None and row["status"] == "Disposed":
            failure = _failure("NOT_ALLOWED", f"version {version} is Disposed; its status is final")
        if failure is not None:
            failures[version] = failure
    failed = _settle(versions, failures, lambda version: f"version {version} is skipped")
    if failed:
        return _response({}, failed)
    return _update(ctx, rows, versions, target_status)


def _guard_rows(ctx: Context, package_id: int, versions: list[str]) -> dict[str, tuple[Any, ...]]:
    """`_rows` of `_GUARD_COLUMNS` as plain tuples: no `sqlite3.Row` per version."""
    cursor = ctx.conn.cursor()
    cursor.row_factory = None
    rows = cursor.execute(
        f"""SELECT {_GUARD_COLUMNS} FROM package_version
            WHERE package_id = ? AND version IN ({",".join("?" * len(versions))})""",
        [package_id, *versions],
    ).fetchall()
    return dict(zip(map(_VERSION_AT, rows), rows, strict=True))


def _all_updatable(
    rows: dict[str, Any],
    versions: list[str],
    target_status: str,
    expected_status: str | None,
    version_revisions: dict[str, str] | None,
) -> bool:
    """No version of the batch can fail: the common case, decided without a message per version
    (the checks of the loop in `update_package_versions_status`, which words any failure)."""
    if len(rows) != len(versions) or target_status not in UPDATABLE_TARGETS:
        return False
    statuses = set(map(_STATUS, rows.values()))
    if "Disposed" in statuses or (expected_status is not None and statuses != {expected_status}):
        return False
    if not version_revisions:
        return True
    current = map(_REVISION, map(rows.__getitem__, version_revisions))
    return all(map(operator.eq, current, version_revisions.values()))


def _update(ctx: Context, rows: dict[str, Any], versions: list[str], target_status: str) -> dict[str, Any]:
    ctx.conn.execute(
        f"UPDATE package_version SET status = ? WHERE id IN ({','.join('?' * len(versions))})",
        [target_status, *map(_ID, map(rows.__getitem__, versions))],
    )
    # A status change alone keeps the revision (every documented example shows the same one).
    tail = f',"status":{_quote(target_status)}}}'
    successes = ",".join([_quote(v) + ':{"revision":' + _quote(rows[v][2]) + tail for v in versions])
    return {"successfulVersions": JsonText("{" + successes + "}"), "failedVersions": {}}


def dispose_package_versions(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    format: str,
    package: str,
    versions: list[str],
    domain_owner: str | None = None,
    namespace: str | None = None,
    version_revisions: dict[str, str] | None = None,
    expected_status: str | None = None,
) -> dict[str, Any]:
    versions = _unique(versions)
    _check_request(ctx, versions, version_revisions)
    repo = get_repository(ctx, domain, domain_owner, repository)
    return _remove(
        ctx, repo, format, namespace, package, versions, expected_status, version_revisions, "Disposed"
    )


def delete_package_versions(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    format: str,
    package: str,
    versions: list[str],
    domain_owner: str | None = None,
    namespace: str | None = None,
    expected_status: str | None = None,
) -> dict[str, Any]:
    versions = _unique(versions)
    _check_request(ctx, versions, None)
    repo = get_repository(ctx, domain, domain_owner, repository)
    return _remove(ctx, repo, format, namespace, package, versions, expected_status, None, "Deleted")


def _remove(
    ctx: Context,
    repo: sqlite3.Row,
    format: str,
    namespace: str | None,
    package: str,
    versions: list[str],
    expected_status: str | None,
    version_revisions: dict[str, str] | None,
    outcome: str,
) -> dict[str, Any]:
    """Dispose (`outcome` Disposed) or delete (Deleted) the checked request's versions: their
    assets go for good, and a Disposed version's record stays."""
    package_id = get_package(ctx, repo, format, namespace, package)
    rows = _rows(ctx, package_id, versions)
    failures = {}
    for version in versions:
        failure = _guard(rows.get(version), version, expected_status, version_revisions)
        if failure is not None:
            failures[version] = failure
    failed = _settle(versions, failures, lambda version: f"version {version} is skipped")
    if failed:
        return _response({}, failed)
    ids = [(rows[v]["id"],) for v in versions]
    ctx.conn.executemany("DELETE FROM asset WHERE version_id = ?", ids)
    if outcome == "Disposed":
        ctx.conn.executemany("UPDATE package_version SET status = 'Disposed' WHERE id = ?", ids)
    else:
        ctx.conn.executemany("DELETE FROM package_version WHERE id = ?", ids)
    return _response({v: {"revision": rows[v]["revision"], "status": outcome} for v in versions}, {})


def _asset_set(ctx: Context, version_id: int) -> set[tuple[str, str]]:
    rows = ctx.conn.execute("SELECT name, sha256 FROM asset WHERE version_id = ?", (version_id,)).fetchall()
    return {(row[0], row[1]) for row in rows}


# The version-level metadata that, with the assets, makes two versions the same for Copy.
_METADATA = ("summary", "home_page", "source_code_repository", "licenses")


def _identical(ctx: Context, source: sqlite3.Row, target: sqlite3.Row) -> bool:
    """Same assets and version-level metadata: what CopyPackageVersions compares, not revisions."""
    return all(source[column] == target[column] for column in _METADATA) and _asset_set(
        ctx, source["id"]
    ) == _asset_set(ctx, target["id"])


def _search_order(ctx: Context, repository_id: int, include_from_upstream: bool) -> list[int]:
    """The source repository, then (if asked) its upstreams depth-first in order, at most
    `upstreams_searched` (25) in all."""
    if not include_from_upstream:
        return [repository_id]
    order: list[int] = []

    def visit(current: int) -> None:
        if current in order or len(order) >= ctx.options.upstreams_searched:
            return
        order.append(current)
        for (upstream_id,) in ctx.conn.execute(
            "SELECT upstream_id FROM upstream WHERE repository_id = ? ORDER BY position", (current,)
        ).fetchall():
            visit(upstream_id)

    visit(repository_id)
    return order


def copy_package_versions(
    ctx: Context,
    *,
    domain: str,
    source_repository: str,
    destination_repository: str,
    format: str,
    package: str,
    domain_owner: str | None = None,
    namespace: str | None = None,
    versions: list[str] | None = None,
    version_revisions: dict[str, str] | None = None,
    allow_overwrite: bool | None = None,
    include_from_upstream: bool | None = None,
) -> dict[str, Any]:
    wanted = _versions_to_copy(ctx, versions, version_revisions)
    if source_repository == destination_repository:
        raise ValidationException("The source and destination repositories must be different")
    domain_row = get_domain(ctx, domain, domain_owner)
    source = get_repository(ctx, domain, domain_owner, source_repository)
    destination = get_repository(ctx, domain, domain_owner, destination_repository)
    # Origin controls, where the service's options make Copy obey them (AWS documents no effect).
    from_upstream = bool(include_from_upstream) and origin.copy_searches_upstreams(
        ctx, domain_row, source, format, namespace, package
    )
    refusal = origin.copy_refusal(ctx, domain_row, destination, format, namespace, package)
    coordinate = (format, namespace, package)
    found = _find_versions(ctx, source, coordinate, wanted, from_upstream)
    destination_id = find_package(ctx, destination["id"], format, namespace, package)
    existing = _rows(ctx, destination_id, wanted) if destination_id is not None else {}

    failures, identical = _copy_failures(
        ctx, wanted, found, existing, refusal, version_revisions, allow_overwrite
    )
    failed = _settle(wanted, failures, lambda version: f"Version {version} was skipped")
    if failed:
        return _response({}, failed)

    if destination_id is None:
        destination_id = _create_destination_package(ctx, destination, coordinate, found, wanted)
    successful: dict[str, dict[str, str]] = {}
    for version in wanted:
        if version in identical:
            continue  # already there, byte for byte: reported in neither map
        _copy_version(ctx, found[version], destination_id, existing.get(version))
        successful[version] = {"revision": found[version]["revision"], "status": found[version]["status"]}
    return _response(successful, {})


Coordinate = tuple[str, str | None, str]
"""A package's format, namespace and name."""


def _versions_to_copy(
    ctx: Context, versions: list[str] | None, version_revisions: dict[str, str] | None
) -> list[str]:
    """The versions a CopyPackageVersions request names, once each (ValidationException if none,
    both forms, or more than one batch)."""
    if (versions is None) == (version_revisions is None):
        raise ValidationException("You must specify versions or versionRevisions. You cannot specify both.")
    wanted = _unique(versions if versions is not None else list(version_revisions or {}))
    if not wanted:
        raise ValidationException("versions must name at least one package version")
    if len(wanted) > ctx.options.versions_per_batch:
        raise ValidationException(
            f"At most {ctx.options.versions_per_batch} versions can be copied in one call"
        )
    return wanted


def _find_versions(
    ctx: Context, source: sqlite3.Row, coordinate: Coordinate, wanted: list[str], from_upstream: bool
) -> dict[str, sqlite3.Row]:
    """Each wanted version from the first repository of the search order that holds it; the
    package's ResourceNotFoundException when no searched repository has the package at all."""
    format, namespace, package = coordinate
    found: dict[str, sqlite3.Row] = {}
    searched_any_package = False
    for repository_id in _search_order(ctx, source["id"], from_upstream):
        package_id = find_package(ctx, repository_id, format, namespace, package)
        if package_id is None:
            continue
        searched_any_package = True
        missing = [v for v in wanted if v not in found]
        if not missing:
            break
        found.update(_rows(ctx, package_id, missing))
    if not searched_any_package:
        get_package(ctx, source, format, namespace, package)  # raises the package's ResourceNotFound
    return found


def _copy_failures(
    ctx: Context,
    wanted: list[str],
    found: dict[str, sqlite3.Row],
    existing: dict[str, sqlite3.Row],
    refusal: str | None,
    version_revisions: dict[str, str] | None,
    allow_overwrite: bool | None,
) -> tuple[dict[str, Failure], set[str]]:
    """Why each version that cannot be copied cannot, and the versions the destination already
    holds identically (neither copied nor failed)."""
    failures: dict[str, Failure] = {}
    identical: set[str] = set()
    for version in wanted:
        row = found.get(version)
        failure = _guard(row, version, None, version_revisions)
        if failure is None and row is not None and row["status"] not in COPYABLE:
            failure = _failure("NOT_ALLOWED", f"Version {version} is {row['status']} and cannot be copied")
        if failure is None and refusal is not None:
            failure = _failure("NOT_ALLOWED", refusal)
        if failure is None and row is not None and version in existing:
            if _identical(ctx, row, existing[version]):
                identical.add(version)
            elif not allow_overwrite:
                failure = _failure("ALREADY_EXISTS", f"Version {version} already exists")
        if failure is not None:
            failures[version] = failure
    return failures, identical


def _create_destination_package(
    ctx: Context,
    destination: sqlite3.Row,
    coordinate: Coordinate,
    found: dict[str, sqlite3.Row],
    wanted: list[str],
) -> int:
    """The package record a copy creates in the destination, with the source's display name."""
    format, namespace, package = coordinate
    published_as = None
    if wanted[0] in found:
        published_as = ctx.conn.execute(
            "SELECT display_name FROM package WHERE id = ?", (found[wanted[0]]["package_id"],)
        ).fetchone()[0]
    return create_package(ctx, destination["id"], format, namespace, package, display_name=published_as)


def _copy_version(ctx: Context, source: sqlite3.Row, package_id: int, replaced: sqlite3.Row | None) -> None:
    if replaced is not None:
        ctx.conn.execute("DELETE FROM asset WHERE version_id = ?", (replaced["id"],))
        ctx.conn.execute("DELETE FROM package_version WHERE id = ?", (replaced["id"],))
    # The copy keeps the source's revision (same assets and metadata), status, publish time and
    # origin: the domain entry point says how the version entered the domain, not this repository.
    cursor = ctx.conn.execute(
        """INSERT INTO package_version (package_id, version, revision, status, published_time, origin_type,
               entry_repository, entry_external_connection, summary, home_page, source_code_repository, licenses)
           SELECT ?, version, revision, status, published_time, origin_type, entry_repository,
                  entry_external_connection, summary, home_page, source_code_repository, licenses
           FROM package_version WHERE id = ?""",
        (package_id, source["id"]),
    )
    ctx.conn.execute(
        """INSERT INTO asset (version_id, name, size, md5, sha1, sha256, sha512, content)
           SELECT ?, name, size, md5, sha1, sha256, sha512, content FROM asset WHERE version_id = ?""",
        (cursor.lastrowid, source["id"]),
    )
    assert cursor.lastrowid is not None
    copy_metadata(ctx, source["id"], cursor.lastrowid)
