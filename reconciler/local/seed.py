"""Seed the local service from a YAML file: domains, repositories, packages and versions of every
format, with statuses, publish times, origins and assets.

Only generic packages can be published through the API, so seeding writes to the store directly,
in one transaction: a seed either loads whole or not at all.

The document (`apiVersion: reconciler/v1`, `kind: LocalSeed`) reads like the service's own model::

    domains:
      - name: acme
        repositories:
          - name: staging
            upstreams: []
            external_connections: ["public:npmjs"]
            packages:
              - {format: npm, namespace: acme, name: web-sdk,
                 versions: ["1.0.0", {version: "1.1.0-rc.1", status: Unlisted, published: -30d}]}

A version given as a bare string is Published, INTERNAL, with one generated asset. Publish times
are absolute (`2026-01-31T12:00:00Z`) or relative to the moment of seeding (`-30d`, `-12h`); by
default a package's versions are one day apart, the last one a day ago, in the order listed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reconciler.local.context import NAMESPACED_FORMATS, NAMESPACELESS_FORMATS, new_revision
from reconciler.local.publish import insert_asset
from reconciler.local.service import LocalCodeArtifact

Format = Literal["npm", "pypi", "maven", "nuget", "generic", "ruby", "swift", "cargo"]
Status = Literal["Published", "Unfinished", "Unlisted", "Archived", "Disposed"]
OriginType = Literal["INTERNAL", "EXTERNAL", "UNKNOWN"]
_DURATION = re.compile(r"-(\d+(?:\.\d+)?)([smhdw])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
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


class SeedError(Exception):
    """A seed file that cannot be loaded; the message names the file and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AssetSeed(_Strict):
    name: str
    content: str | None = None
    size: int | None = Field(default=None, ge=0, le=1_000_000)


class VersionSeed(_Strict):
    version: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^#/\s]+$")]
    status: Status = "Published"
    published: str | dt.datetime | None = None
    revision: str | None = None
    origin: OriginType = "INTERNAL"
    external_connection: str | None = None
    summary: str | None = None
    home_page: str | None = None
    licenses: list[dict[str, str]] = []
    assets: list[AssetSeed] | None = None


class PackageSeed(_Strict):
    format: Format
    namespace: str | None = None
    name: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^#/\s]+$")]
    publish: Literal["ALLOW", "BLOCK"] = "ALLOW"
    upstream: Literal["ALLOW", "BLOCK"] = "BLOCK"
    versions: list[str | VersionSeed] = []

    @field_validator("namespace")
    @classmethod
    def _namespace_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^#/\s]{1,255}", value):
            raise ValueError("namespace must be 1-255 characters without '#', '/' or spaces")
        return value


class ExternalConnectionSeed(_Strict):
    name: str
    format: Format


class RepositorySeed(_Strict):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{1,99}$")]
    description: str | None = None
    upstreams: list[str] = []
    external_connections: list[ExternalConnectionSeed] = []
    packages: list[PackageSeed] = []


class DomainSeed(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9\-]{0,48}[a-z0-9]$")]
    repositories: list[RepositorySeed] = []


class SeedDocument(_Strict):
    apiVersion: Literal["reconciler/v1"]
    kind: Literal["LocalSeed"]
    domains: list[DomainSeed]


def load_seed(path: Path) -> SeedDocument:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SeedError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SeedError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return SeedDocument.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{path}: {_dotted(error['loc'])}: {error['msg']}" for error in exc.errors(include_url=False)
        ]
        raise SeedError("\n".join(problems)) from exc


def _dotted(location: Iterable[Any]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def seed_service(service: LocalCodeArtifact, document: SeedDocument) -> dict[str, int]:
    """Write the document into the service's store; returns counts of what was created."""
    now = service.clock()
    counts = {"domains": 0, "repositories": 0, "packages": 0, "versions": 0}
    with service.store.write() as conn:
        for domain in document.domains:
            _insert_domain(conn, service.account_id, domain.name, now)
            counts["domains"] += 1
            for repository in domain.repositories:
                repository_id = _insert_repository(conn, service.account_id, domain.name, repository, now)
                counts["repositories"] += 1
                for package in repository.packages:
                    _insert_package(conn, repository_id, repository.name, package, now)
                    counts["packages"] += 1
                    counts["versions"] += len(package.versions)
    return counts


def _insert_domain(conn: sqlite3.Connection, account_id: str, name: str, now: float) -> None:
    if conn.execute("SELECT 1 FROM domain WHERE name = ?", (name,)).fetchone():
        raise SeedError(f"domain {name} already exists in this database")
    conn.execute(
        "INSERT INTO domain (name, owner, created_time, encryption_key) VALUES (?, ?, ?, ?)",
        (name, account_id, now, f"arn:aws:kms:us-east-1:{account_id}:alias/aws/codeartifact"),
    )


def _insert_repository(
    conn: sqlite3.Connection, account_id: str, domain: str, repository: RepositorySeed, now: float
) -> int:
    cursor = conn.execute(
        """INSERT INTO repository (domain, name, description, administrator_account, created_time)
           VALUES (?, ?, ?, ?, ?)""",
        (domain, repository.name, repository.description, account_id, now),
    )
    repository_id = int(cursor.lastrowid or 0)
    for position, upstream in enumerate(repository.upstreams):
        row = conn.execute(
            "SELECT id FROM repository WHERE domain = ? AND name = ?", (domain, upstream)
        ).fetchone()
        if row is None:
            raise SeedError(
                f"repository {repository.name}: upstream {upstream} must be listed before it in domain {domain}"
            )
        conn.execute(
            "INSERT INTO upstream (repository_id, position, upstream_id) VALUES (?, ?, ?)",
            (repository_id, position, row[0]),
        )
    for connection in repository.external_connections:
        conn.execute(
            "INSERT INTO external_connection (repository_id, name, format) VALUES (?, ?, ?)",
            (repository_id, connection.name, connection.format),
        )
    return repository_id


def _insert_package(
    conn: sqlite3.Connection, repository_id: int, repository: str, package: PackageSeed, now: float
) -> None:
    label = f"{repository}/{package.format}/{package.namespace or ''}/{package.name}"
    if package.format in NAMESPACED_FORMATS and not package.namespace:
        raise SeedError(f"package {label}: format {package.format} needs a namespace")
    if package.format in NAMESPACELESS_FORMATS and package.namespace:
        raise SeedError(f"package {label}: format {package.format} has no namespaces")
    cursor = conn.execute(
        "INSERT INTO package (repository_id, format, namespace, name, publish, upstream) VALUES (?, ?, ?, ?, ?, ?)",
        (
            repository_id,
            package.format,
            package.namespace or "",
            package.name,
            package.publish,
            package.upstream,
        ),
    )
    package_id = int(cursor.lastrowid or 0)
    count = len(package.versions)
    seen: set[str] = set()
    for index, entry in enumerate(package.versions):
        version = VersionSeed(version=entry) if isinstance(entry, str) else entry
        if version.version in seen:
            raise SeedError(f"package {label}: version {version.version} is listed twice")
        seen.add(version.version)
        default_time = now - (count - index) * 86400.0
        published = _published_time(version.published, now, label) if version.published else default_time
        external = version.external_connection if version.origin == "EXTERNAL" else None
        if version.origin == "EXTERNAL" and external is None:
            external = f"public:{package.format}"
        cursor = conn.execute(
            """INSERT INTO package_version (package_id, version, revision, status, published_time, origin_type,
                   entry_repository, entry_external_connection, summary, home_page, licenses)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                package_id,
                version.version,
                version.revision or new_revision(),
                version.status,
                published,
                version.origin,
                None if external else repository,
                external,
                version.summary,
                version.home_page,
                json.dumps(version.licenses),
            ),
        )
        if version.status == "Disposed":
            continue  # a Disposed version has no assets left
        assets = version.assets
        if assets is None:
            assets = [AssetSeed(name=f"{package.name}-{version.version}.{_EXTENSIONS[package.format]}")]
        for asset in assets:
            if asset.content is not None:
                content = asset.content.encode()
            elif asset.size is not None:
                content = (f"{package.name}@{version.version}:".encode() * (asset.size // 8 + 1))[
                    : asset.size
                ]
            else:
                content = (
                    f"{package.format}:{package.namespace or ''}:{package.name}@{version.version}\n".encode()
                )
            insert_asset(conn, int(cursor.lastrowid or 0), asset.name, content)


def _published_time(text: str | dt.datetime, now: float, label: str) -> float:
    if isinstance(text, dt.datetime):  # YAML reads an unquoted timestamp as a datetime already
        return (text if text.tzinfo else text.replace(tzinfo=dt.UTC)).timestamp()
    relative = _DURATION.fullmatch(text.strip())
    if relative:
        return now - float(relative.group(1)) * _SECONDS[relative.group(2)]
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise SeedError(
            f"package {label}: published {text!r} is neither a time like 2026-01-31T12:00:00Z "
            "nor a relative one like -30d"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()
