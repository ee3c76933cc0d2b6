"""Seed the local service from a seed file (format: `reconciler.local.seedfile`), or in bulk.

Only generic packages can be published through the API, so seeding writes to the store directly,
in one transaction: a seed either loads whole or not at all.

One module, although over 400 lines: every row the service stores is written here the way the
operations would have left it (domains, repositories, groups, packages, versions, assets,
metadata), and the order of those writes is the one thing it has to get right.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from reconciler.local import names
from reconciler.local.connections import PUBLIC_CONNECTIONS
from reconciler.local.context import DEFAULT_REGION, new_revision
from reconciler.local.group_model import create_root_group, put_package_group
from reconciler.local.publish import insert_asset
from reconciler.local.seedchecks import check_seed
from reconciler.local.seedfile import (
    AssetSeed,
    DependencySeed,
    DomainSeed,
    Location,
    PackageSeed,
    RepositorySeed,
    SeedDocument,
    SeedError,
    VersionSeed,
    load_seed,
    normalisations,
    origin_defaults,
    policy_text,
    seconds_at,
    stored_key,
)
from reconciler.local.service import LocalCodeArtifact

__all__ = [
    "BulkVersion",
    "SeedDocument",
    "SeedError",
    "bulk_load",
    "load_seed",
    "normalisations",
    "seed_service",
]

_DAY = 86400.0
_EXTENSIONS = {
    "npm": "tgz",
    "pypi": "tar.gz",
    "maven": "jar",
    "nuget": "nupkg",
    "generic": "bin",
    "ruby": "gem",
    "swift": "zip",
    "cargo": "crate",
}
# The names AWS gives its public external connections, for EXTERNAL versions that name none.
_PUBLIC_CONNECTIONS = {
    "npm": "public:npmjs",
    "pypi": "public:pypi",
    "maven": "public:maven-central",
    "nuget": "public:nuget-org",
    "ruby": "public:ruby-gems-org",
    "cargo": "public:crates-io",
}


@dataclass(frozen=True)
class _Seeded:
    """A version as first seeded in a domain: what its copies in later repositories share."""

    revision: str
    published: float
    origin: str
    entry_repository: str | None
    entry_external_connection: str | None
    summary: str | None
    home_page: str | None
    licenses: str
    assets: list[AssetSeed] | None
    readme: str | None = None
    dependencies: tuple[DependencySeed, ...] = ()


_Key = tuple[str, str, str, str, str, str]


def seed_service(
    service: LocalCodeArtifact, document: SeedDocument, region: str = DEFAULT_REGION
) -> dict[str, int]:
    """Write the document into the service's store; returns counts of what was created.

    Each domain is owned by its `owner`, or by the service's account (the seeding account). The
    owners are recorded: a service later run under another account sees those domains as another
    account's, reachable only with their `domainOwner`, as AWS would. Names and versions are
    stored normalised as CodeArtifact stores them (`normalisations` lists which).
    """
    problems = check_seed(document)
    if problems:
        raise document.error(problems)
    now = service.clock()
    counts = {"domains": 0, "repositories": 0, "packages": 0, "versions": 0}
    seeded: dict[_Key, _Seeded] = {}
    with service.store.write() as conn:
        for d, domain in enumerate(document.domains):
            place = (domain.region or region, domain.owner or service.account_id)
            if conn.execute(
                "SELECT 1 FROM domain WHERE region = ? AND owner = ? AND name = ?", (*place, domain.name)
            ).fetchone():
                where: Location = ("domains", d, "name")
                owned = f" of account {place[1]}" if place[1] != service.account_id else ""
                raise document.error([(where, f"domain {domain.name}{owned} already exists in {place[0]}")])
            _seed_domain(conn, place, domain, now, counts, seeded)
    return counts


def _seed_domain(
    conn: sqlite3.Connection,
    place: tuple[str, str],
    domain: DomainSeed,
    now: float,
    counts: dict[str, int],
    seeded: dict[_Key, _Seeded],
) -> None:
    """One domain of the document, in its (Region, owner), with everything in it."""
    conn.execute(
        "INSERT INTO domain (region, owner, name, created_time, encryption_key) VALUES (?, ?, ?, ?, ?)",
        (*place, domain.name, now, _kms_key(*place)),
    )
    _insert_tags_and_policy(conn, place, domain.name, "", domain.tags, domain.policy)
    counts["domains"] += 1
    create_root_group(conn, *place, domain.name, now)
    for repository in domain.repositories:
        repository_id = _insert_repository(conn, place, domain.name, repository, now)
        _insert_tags_and_policy(conn, place, domain.name, repository.name, repository.tags, repository.policy)
        counts["repositories"] += 1
        # Seeded versions are keyed by their domain: its Region and owner, and its name.
        key = (f"{place[0]}/{place[1]}", domain.name)
        for package in repository.packages:
            _insert_package(conn, key, repository_id, repository, package, now, seeded)
            counts["packages"] += 1
            counts["versions"] += len(package.versions)
    for group in domain.package_groups:
        put_package_group(
            conn,
            *place,
            domain.name,
            group.pattern,
            now,
            contact_info=group.contact_info,
            description=group.description,
            restrictions={kind.upper(): mode for kind, mode in group.restrictions.items()},
            allowed_repositories={
                kind.upper(): allowed for kind, allowed in group.allowed_repositories.items()
            },
        )


def _insert_tags_and_policy(
    conn: sqlite3.Connection,
    place: tuple[str, str],
    domain: str,
    repository: str,
    tags: dict[str, str],
    policy: dict[str, Any] | str | None,
) -> None:
    """Tags into the resource's row (as TagResource keeps them); the policy with a fresh revision.
    `repository` is '' for the domain itself."""
    if tags:
        listed = json.dumps([{"key": key, "value": value} for key, value in tags.items()])
        if repository:
            conn.execute(
                "UPDATE repository SET tags = ? WHERE region = ? AND domain_owner = ? AND domain = ? AND name = ?",
                (listed, *place, domain, repository),
            )
        else:
            conn.execute(
                "UPDATE domain SET tags = ? WHERE region = ? AND name = ? AND owner = ?",
                (listed, place[0], domain, place[1]),
            )
    if policy is not None:
        conn.execute(
            """INSERT INTO resource_policy (region, domain_owner, domain, repository, revision, document)
               VALUES (?, ?, ?, ?, ?, ?)""",
            (*place, domain, repository, new_revision(), policy_text(policy)),
        )


def _kms_key(region: str, account_id: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:alias/aws/codeartifact"


def _insert_repository(
    conn: sqlite3.Connection, place: tuple[str, str], domain: str, repository: RepositorySeed, now: float
) -> int:
    owner = place[1]
    cursor = conn.execute(
        """INSERT INTO repository (region, domain_owner, domain, name, description, administrator_account,
               created_time) VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (
            *place,
            domain,
            repository.name,
            repository.description,
            repository.administrator_account or owner,
            now,
        ),
    )
    repository_id = int(cursor.lastrowid or 0)
    for position, upstream in enumerate(repository.upstreams):
        conn.execute(
            """INSERT INTO upstream (repository_id, position, upstream_id)
               SELECT ?, ?, id FROM repository WHERE region = ? AND domain_owner = ? AND domain = ? AND name = ?""",
            (repository_id, position, *place, domain, upstream),
        )
    for connection in repository.external_connections:
        conn.execute(
            "INSERT INTO external_connection (repository_id, name, format) VALUES (?, ?, ?)",
            (repository_id, connection.name, connection.format or PUBLIC_CONNECTIONS[connection.name]),
        )
    return repository_id


def _insert_package(
    conn: sqlite3.Connection,
    domain: tuple[str, str],
    repository_id: int,
    repository: RepositorySeed,
    package: PackageSeed,
    now: float,
    seeded: dict[_Key, _Seeded],
) -> None:
    format, namespace, name = stored_key(package)
    keys = [(*domain, format, namespace, name, names.version(format, v.version)) for v in package.versions]
    cursor = conn.execute(
        """INSERT INTO package (repository_id, format, namespace, name, publish, upstream, display_name)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (
            repository_id,
            format,
            namespace,
            name,
            *origin_defaults(package, _first_origin(package, keys, seeded)),
            _published_as(package),
        ),
    )
    package_id = int(cursor.lastrowid or 0)
    times = _publish_times(package, [seeded.get(key) for key in keys], now)
    for version, key, published in zip(package.versions, keys, times, strict=True):
        row = _settle(version, seeded.get(key), repository, package, published)
        seeded.setdefault(key, row)
        stored_version = key[-1]
        version_id = _insert_version(conn, package_id, stored_version, version.status, row)
        if version.status != "Disposed":  # a Disposed version has no assets left
            _insert_assets(conn, version_id, package, stored_version, row.assets)
        _insert_metadata(conn, version_id, row)


def _first_origin(package: PackageSeed, keys: list[_Key], seeded: dict[_Key, _Seeded]) -> str | None:
    """The first version's origin, as `_settle` decides it: a version seeded again inherits it."""
    if not package.versions:
        return None
    first_seeded = seeded.get(keys[0])
    if first_seeded is not None and "origin" not in package.versions[0].model_fields_set:
        return first_seeded.origin
    return package.versions[0].origin


def _settle(
    version: VersionSeed,
    first: _Seeded | None,
    repository: RepositorySeed,
    package: PackageSeed,
    published: float,
) -> _Seeded:
    """What a seeded version stores: as declared, where the version is seeded for the first time
    (`first` None); otherwise each field not declared again is the first seeding's."""
    given = version.model_fields_set
    entry: tuple[str | None, str | None]
    origin: str
    if "origin" in given or first is None:
        origin = version.origin
        external = None
        if origin == "EXTERNAL":
            external = version.external_connection or _connection_for(repository, package.format)
        entry = (None, external) if external else (repository.name, None)
    else:
        origin, entry = first.origin, (first.entry_repository, first.entry_external_connection)
    return _Seeded(
        revision=version.revision or (first.revision if first else new_revision()),
        published=published,
        origin=origin,
        entry_repository=entry[0],
        entry_external_connection=entry[1],
        summary=version.summary if "summary" in given or first is None else first.summary,
        home_page=version.home_page if "home_page" in given or first is None else first.home_page,
        licenses=json.dumps(version.licenses) if "licenses" in given or first is None else first.licenses,
        assets=version.assets if version.assets is not None or first is None else first.assets,
        readme=version.readme if "readme" in given or first is None else first.readme,
        dependencies=tuple(version.dependencies)
        if "dependencies" in given or first is None
        else first.dependencies,
    )


def _insert_version(
    conn: sqlite3.Connection, package_id: int, stored_version: str, status: str, row: _Seeded
) -> int:
    cursor = conn.execute(
        """INSERT INTO package_version (package_id, version, revision, status, published_time, origin_type,
               entry_repository, entry_external_connection, summary, home_page, licenses)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            package_id,
            stored_version,
            row.revision,
            status,
            row.published,
            row.origin,
            row.entry_repository,
            row.entry_external_connection,
            row.summary,
            row.home_page,
            row.licenses,
        ),
    )
    return int(cursor.lastrowid or 0)


def _insert_metadata(conn: sqlite3.Connection, version_id: int, row: _Seeded) -> None:
    """What the version's metadata file declares: its readme and direct dependencies."""
    if row.readme is not None:
        conn.execute(
            "INSERT INTO package_version_readme (version_id, readme) VALUES (?, ?)", (version_id, row.readme)
        )
    conn.executemany(
        """INSERT INTO package_version_dependency
               (version_id, position, namespace, package, dependency_type, version_requirement)
           VALUES (?, ?, ?, ?, ?, ?)""",
        [
            (version_id, position, d.namespace, d.package, d.dependency_type, d.version_requirement)
            for position, d in enumerate(row.dependencies)
        ],
    )


def _published_as(package: PackageSeed) -> str | None:
    """The name as published, for `displayName`, when CodeArtifact stores it normalised."""
    _, namespace, name = stored_key(package)
    if (namespace or None, name) == (package.namespace, package.name):
        return None
    return f"{package.namespace}/{package.name}" if package.namespace else package.name


def _connection_for(repository: RepositorySeed, format: str) -> str:
    for connection in repository.external_connections:
        if (connection.format or PUBLIC_CONNECTIONS.get(connection.name)) == format:
            return connection.name
    return _PUBLIC_CONNECTIONS.get(format, f"public:{format}")


def _insert_assets(
    conn: sqlite3.Connection,
    version_id: int,
    package: PackageSeed,
    version: str,
    assets: list[AssetSeed] | None,
) -> None:
    name = package.name  # other formats' asset names are the files as uploaded, never normalised
    if package.format == "nuget":
        # CodeArtifact names a NuGet version's asset itself, from the normalised name and version.
        constructed = names.nuget_asset_name(package.name, version)
        assets = [AssetSeed(name=constructed, **(assets[0].model_dump(exclude={"name"}) if assets else {}))]
    if assets is None:
        assets = [AssetSeed(name=f"{name}-{version}.{_EXTENSIONS[package.format]}")]
    for asset in assets:
        if asset.content is not None:
            content = asset.content.encode()
        elif asset.size is not None:
            content = (f"{name}@{version}:".encode() * (asset.size // 8 + 1))[: asset.size]
        else:
            content = f"{package.format}:{package.namespace or ''}:{name}@{version}\n".encode()
        insert_asset(conn, version_id, asset.name, content)


def _publish_times(package: PackageSeed, firsts: list[_Seeded | None], now: float) -> list[float]:
    """Given and inherited times stay; the others are spread evenly between their neighbours."""
    count = len(package.versions)
    anchors: dict[int, float] = {}
    for index, (version, first) in enumerate(zip(package.versions, firsts, strict=True)):
        if version.published is not None:
            anchors[index] = seconds_at(version.published, now)
        elif first is not None:
            anchors[index] = first.published
    if count == 0:
        return []
    last = seconds_at(package.last_published, now) if package.last_published else now - _DAY
    first_time = (
        seconds_at(package.first_published, now) if package.first_published else last - (count - 1) * _DAY
    )
    anchors.setdefault(0, first_time)
    anchors.setdefault(count - 1, last)
    times = [0.0] * count
    fixed = sorted(anchors)
    for low, high in itertools.pairwise(fixed):
        for index in range(low, high + 1):
            share = (index - low) / (high - low)
            times[index] = anchors[low] + (anchors[high] - anchors[low]) * share
    times[fixed[0]] = anchors[fixed[0]]
    return times


class BulkVersion(NamedTuple):
    """One row for `bulk_load`: no assets, INTERNAL origin."""

    package: str
    version: str
    published_time: float
    status: str = "Published"
    namespace: str = ""


def bulk_load(
    service: LocalCodeArtifact,
    domain: str,
    repository: str,
    format: str,
    versions: Iterable[BulkVersion],
    chunk: int = 50_000,
) -> int:
    """Load many versions fast, without models or assets, for load tests; creates what is missing.

    Returns the number of versions written. One transaction, like `seed_service`.
    """
    now = service.clock()
    written = 0
    with service.store.write() as conn:
        owner, region = service.account_id, DEFAULT_REGION
        conn.execute(
            """INSERT OR IGNORE INTO domain (region, owner, name, created_time, encryption_key)
               VALUES (?, ?, ?, ?, ?)""",
            (region, owner, domain, now, _kms_key(region, owner)),
        )
        conn.execute(
            """INSERT OR IGNORE INTO repository (region, domain_owner, domain, name, administrator_account,
                   created_time) VALUES (?, ?, ?, ?, ?, ?)""",
            (region, owner, domain, repository, owner, now),
        )
        repository_id = conn.execute(
            "SELECT id FROM repository WHERE region = ? AND domain_owner = ? AND domain = ? AND name = ?",
            (region, owner, domain, repository),
        ).fetchone()[0]
        package_ids: dict[tuple[str, str], int] = {}
        for rows in _chunks(versions, chunk):
            for row in rows:
                if (row.namespace, row.package) not in package_ids:
                    conn.execute(
                        """INSERT OR IGNORE INTO package (repository_id, format, namespace, name)
                           VALUES (?, ?, ?, ?)""",
                        (repository_id, format, row.namespace, row.package),
                    )
                    package_ids[(row.namespace, row.package)] = conn.execute(
                        "SELECT id FROM package WHERE repository_id = ? AND format = ? AND namespace = ? AND name = ?",
                        (repository_id, format, row.namespace, row.package),
                    ).fetchone()[0]
            conn.executemany(
                """INSERT INTO package_version (package_id, version, revision, status, published_time,
                       origin_type, entry_repository) VALUES (?, ?, ?, ?, ?, 'INTERNAL', ?)""",
                (
                    (
                        package_ids[(row.namespace, row.package)],
                        row.version,
                        new_revision(),
                        row.status,
                        row.published_time,
                        repository,
                    )
                    for row in rows
                ),
            )
            written += len(rows)
    return written


def _chunks(rows: Iterable[BulkVersion], size: int) -> Iterator[list[BulkVersion]]:
    batch: list[BulkVersion] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
