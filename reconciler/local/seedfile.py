"""The seed file format (`kind: LocalSeed`): the models, loading, and the checks that span fields.

A seed file describes domains, repositories, packages and versions of every format, with statuses,
publish times, origins and assets; `reconciler.local.seed` writes it into a service's store.

The document (`apiVersion: reconciler/v1`, `kind: LocalSeed`) reads like the service's own model::

    domains:
      - name: acme
        repositories:
          - name: npm-proxy
            external_connections: [{name: "public:npmjs", format: npm}]
            tags: {team: platform}
          - name: staging
            upstreams: [npm-proxy]
            packages:
              - {format: npm, namespace: acme, name: web-sdk, first_published: -90d, last_published: -2d,
                 versions: ["1.0.0", {version: "1.1.0-rc.1", status: Unlisted, published: -30d}, "1.1.0"]}

A version given as a bare string is Published, INTERNAL, with one generated asset. Publish times
are absolute (`2026-01-31T12:00:00Z`) or relative to the moment of seeding (`-30d`, `-12h`, `-2w`).
A version without one is placed in the order listed, evenly between its neighbours that have one;
a package's `first_published` and `last_published` (default: one day apart, the last a day ago)
bound its list.

Domains and repositories take `tags` (a mapping of key to value) and a resource `policy` (a JSON
policy as a mapping or as text); a repository has at most one external connection, one of the
public connections AWS supports, whose format may be left out.
A domain's `package_groups` give patterns (`/npm/acme/*`) with `restrictions` (`publish`,
`external_upstream`, `internal_upstream`: ALLOW, BLOCK, ALLOW_SPECIFIC_REPOSITORIES or INHERIT)
and `allowed_repositories` per restriction; every domain also has the root group `/*`.

A version seeded in several repositories of a domain is one version copied between them, as
CopyPackageVersions would have: unless given again, the later repositories take the first one's
revision, publish time, origin, metadata, readme, dependencies and assets. Only the status is per
repository.

A version may declare what its metadata file would (GetPackageVersionReadme and
ListPackageVersionDependencies read it): `readme: "text"` and `dependencies: [{package: react,
namespace: ..., dependency_type: peer, version_requirement: ^18.0.0}]`. A package's origin controls
are `publish` and `upstream` (ALLOW or BLOCK); either one not given takes AWS's default for how the
package's first listed version arrived: published (INTERNAL) ALLOW/BLOCK, ingested (EXTERNAL)
BLOCK/ALLOW.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import types
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationError

from reconciler.local import names
from reconciler.local.connections import PUBLIC_CONNECTIONS
from reconciler.local.context import NAMESPACED_FORMATS, NAMESPACELESS_FORMATS
from reconciler.local.errors import ValidationException
from reconciler.local.group_patterns import ROOT, parse_pattern
from reconciler.local.policies import MAX_POLICY_LENGTH, check_policy_document
from reconciler.local.quotas import DEFAULTS as QUOTA_DEFAULTS
from reconciler.local.tags import TAGS_PER_RESOURCE

Format = Literal["npm", "pypi", "maven", "nuget", "generic", "ruby", "swift", "cargo"]
Status = Literal["Published", "Unfinished", "Unlisted", "Archived", "Disposed"]
OriginType = Literal["INTERNAL", "EXTERNAL", "UNKNOWN"]
Location = tuple[str | int, ...]
_DURATION = re.compile(r"-(\d+(?:\.\d+)?)([smhdw])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_CONNECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-:]{1,99}")
_MAX_UPSTREAMS = QUOTA_DEFAULTS["direct_upstreams"]
Account = Annotated[str, Field(pattern=r"^[0-9]{12}$")]


class SeedError(Exception):
    """A seed file that cannot be loaded; the message names the file, line and field."""


def _text(value: Any) -> Any:
    # YAML reads unquoted 1.10 as the float 1.1: refuse numbers rather than guess the version meant.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"YAML read this as the number {value!r}; quote versions, e.g. '1.10'")
    return value


def _tag_value(value: Any) -> Any:
    # As with versions: YAML reads 1.10 as 1.1, so a tag value must be written as text.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"YAML read this as the number {value!r}; quote tag values, e.g. '42'")
    return value


def _version_entry(value: Any) -> Any:
    value = _text(value)
    return {"version": value} if isinstance(value, str) else value


def _moment(value: Any) -> Any:
    # Unquoted YAML dates and timestamps arrive as date/datetime objects; relative times as text.
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if isinstance(value, str):
        text = value.strip()
        if _DURATION.fullmatch(text):
            return text
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"{value!r} is neither a time like 2026-01-31T12:00:00Z nor a relative one like -30d"
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return value


Name = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=255, pattern=r"^[^#/\s]+$")]
Moment = Annotated[str | dt.datetime | None, BeforeValidator(_moment)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AssetSeed(_Strict):
    name: Name
    content: str | None = None
    size: int | None = Field(default=None, ge=0, le=1_000_000)


class DependencySeed(_Strict):
    """A direct dependency, as ListPackageVersionDependencies returns it (`PackageDependency`)."""

    package: Name
    namespace: Name | None = None
    dependency_type: str | None = None
    version_requirement: str | None = None


class VersionSeed(_Strict):
    version: Name
    status: Status = "Published"
    published: Moment = None
    revision: str | None = None
    origin: OriginType = "INTERNAL"
    external_connection: str | None = None
    summary: str | None = None
    home_page: str | None = None
    licenses: list[dict[str, str]] = []
    assets: list[AssetSeed] | None = None
    readme: str | None = None
    dependencies: list[DependencySeed] = []


class PackageSeed(_Strict):
    format: Format
    namespace: Name | None = None
    name: Name
    # Origin controls; when not given, AWS's defaults for how the first listed version arrived:
    # INTERNAL (published) ALLOW/BLOCK, EXTERNAL (ingested) BLOCK/ALLOW. See `origin_defaults`.
    publish: Literal["ALLOW", "BLOCK"] | None = None
    upstream: Literal["ALLOW", "BLOCK"] | None = None
    first_published: Moment = None
    last_published: Moment = None
    versions: list[Annotated[VersionSeed, BeforeValidator(_version_entry)]] = []


class ExternalConnectionSeed(_Strict):
    name: str
    format: Format | None = None  # implied by the name; if given, it must be the connection's


TagKey = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^\P{C}+$")]
TagValue = Annotated[str, BeforeValidator(_tag_value), Field(max_length=256, pattern=r"^\P{C}*$")]
Policy = dict[str, Any] | str | None


class RepositorySeed(_Strict):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{1,99}$")]
    # The account that manages the repository; by default the domain's owner.
    administrator_account: Account | None = None
    description: str | None = None
    upstreams: list[str] = []
    external_connections: list[ExternalConnectionSeed] = []
    tags: dict[TagKey, TagValue] = {}
    policy: Policy = None
    packages: list[PackageSeed] = []


RestrictionType = Literal["publish", "external_upstream", "internal_upstream"]


class PackageGroupSeed(_Strict):
    """A package group and its origin configuration (the root `/*` may be listed to configure it)."""

    pattern: str
    description: str | None = None
    contact_info: str | None = None
    restrictions: dict[
        RestrictionType, Literal["ALLOW", "BLOCK", "ALLOW_SPECIFIC_REPOSITORIES", "INHERIT"]
    ] = {}
    allowed_repositories: dict[RestrictionType, list[str]] = {}


class DomainSeed(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9\-]{0,48}[a-z0-9]$")]
    tags: dict[TagKey, TagValue] = {}
    policy: Policy = None
    # The account that owns the domain; by default the account seeding (`--account-id`).
    owner: Account | None = None
    repositories: list[RepositorySeed] = []
    package_groups: list[PackageGroupSeed] = []


class SeedDocument(_Strict):
    apiVersion: Literal["reconciler/v1"]
    kind: Literal["LocalSeed"]
    domains: list[DomainSeed]
    _source: str = PrivateAttr(default="<seed>")
    _yaml: str | None = PrivateAttr(default=None)

    def error(self, problems: Iterable[tuple[Location, str]]) -> SeedError:
        """The problems, each by file, line (when read from a file) and field path."""
        return SeedError(_report(self._source, self._yaml, problems))


def load_seed(path: Path) -> SeedDocument:
    """Read and check a seed file; every problem found is reported at once, by file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        line = path.read_bytes().count(b"\n", 0, exc.start) + 1
        raise SeedError(
            f"{path}:{line}: not UTF-8 text (byte offset {exc.start}); save it as UTF-8"
        ) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise SeedError(f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    except (ValueError, KeyError, RecursionError) as exc:
        # PyYAML's conversions raise as Python does (2026-13-01, a number of 5,000 digits), and its
        # composer recurses once per level of nesting.
        reason = (
            "nested too deeply" if isinstance(exc, RecursionError) else f"a value YAML cannot convert: {exc}"
        )
        raise SeedError(f"{path}: not valid YAML: {reason}") from None
    try:
        document = SeedDocument.model_validate(raw)
    except ValidationError as exc:
        problems = [(tuple(error["loc"]), _message(error)) for error in exc.errors(include_url=False)]
        raise SeedError(_report(str(path), text, problems)) from exc
    document._source = str(path)
    document._yaml = text
    problems = check_seed(document)
    if problems:
        raise document.error(problems)
    return document


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        model = _model_at(error["loc"][:-1])
        allowed = f"; expected one of: {', '.join(model.model_fields)}" if model else ""
        return f"unknown key {error['loc'][-1]!r}{allowed}"
    return str(error["msg"]).removeprefix("Value error, ")


def _model_at(location: Sequence[str | int]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = SeedDocument
    for part in location:
        if isinstance(part, int) or model is None:
            continue
        info = model.model_fields.get(part)
        model = _inner_model(info.annotation) if info else None
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType, Annotated):
        for argument in typing.get_args(annotation):
            found = _inner_model(argument)
            if found is not None:
                return found
    return None


def _report(source: str, text: str | None, problems: Iterable[tuple[Location, str]]) -> str:
    root = yaml.compose(text, Loader=yaml.SafeLoader) if text else None
    lines = []
    for location, message in problems:
        line = _line_of(root, location)
        where = f"{source}:{line}" if line else source
        lines.append(f"{where}: {_dotted(location)}: {message}")
    return "\n".join(lines)


def _line_of(node: yaml.Node | None, location: Location) -> int | None:
    """The line of the deepest node along `location` (for a key, the key's own line)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in location:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if key.value == part:
                    line, child = key.start_mark.line + 1, value
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _dotted(location: Iterable[str | int]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def check_seed(document: SeedDocument) -> list[tuple[Location, str]]:
    """The rules that span fields: names unique, upstreams listed first, namespaces per format."""
    problems: list[tuple[Location, str]] = []
    domains: set[tuple[str, str]] = set()
    for d, domain in enumerate(document.domains):
        at: Location = ("domains", d)
        # A domain is (owner, name): two accounts may each own one of the same name.
        key = (domain.owner or "", domain.name)
        if key in domains:
            owned = f" of account {domain.owner}" if domain.owner else ""
            problems.append(((*at, "name"), f"domain {domain.name}{owned} is listed twice"))
        domains.add(key)
        problems += _check_tags_and_policy(at, domain.tags, domain.policy)
        earlier: set[str] = set()
        for r, repository in enumerate(domain.repositories):
            problems += _check_repository((*at, "repositories", r), domain, repository, earlier)
            earlier.add(repository.name)
        problems += _check_package_groups(at, domain)
    return problems


def _check_package_groups(at: Location, domain: DomainSeed) -> list[tuple[Location, str]]:
    problems: list[tuple[Location, str]] = []
    patterns: set[str] = set()
    repositories = {repository.name for repository in domain.repositories}
    for g, group in enumerate(domain.package_groups):
        where: Location = (*at, "package_groups", g)
        try:
            parse_pattern(group.pattern)
        except ValidationException as exc:
            problems.append(((*where, "pattern"), exc.message))
        if group.pattern in patterns:
            problems.append(((*where, "pattern"), f"package group {group.pattern} is listed twice"))
        patterns.add(group.pattern)
        if group.pattern == ROOT and "INHERIT" in group.restrictions.values():
            problems.append(((*where, "restrictions"), "the root group /* has no parent to inherit from"))
        for restriction, allowed in group.allowed_repositories.items():
            for n, name in enumerate(allowed):
                if name not in repositories:
                    problems.append(
                        (
                            (*where, "allowed_repositories", restriction, n),
                            f"{name} is not a repository of {domain.name}",
                        )
                    )
    return problems


def _check_repository(
    at: Location, domain: DomainSeed, repository: RepositorySeed, earlier: set[str]
) -> list[tuple[Location, str]]:
    problems: list[tuple[Location, str]] = []
    if repository.name in earlier:
        problems.append(((*at, "name"), f"repository {repository.name} is listed twice in {domain.name}"))
    problems += _check_upstreams(at, domain, repository, earlier)
    problems += _check_tags_and_policy(at, repository.tags, repository.policy)
    problems += _check_external_connections(at, repository)
    problems += _check_packages(at, repository)
    return problems


def _check_upstreams(
    at: Location, domain: DomainSeed, repository: RepositorySeed, earlier: set[str]
) -> list[tuple[Location, str]]:
    """Upstreams as CreateRepository takes them; each listed before the repositories that use it."""
    problems: list[tuple[Location, str]] = []
    all_names = {r.name for r in domain.repositories}
    if len(repository.upstreams) > _MAX_UPSTREAMS:
        problems.append(((*at, "upstreams"), f"at most {_MAX_UPSTREAMS} upstreams per repository"))
    for u, upstream in enumerate(repository.upstreams):
        if upstream == repository.name:
            message = "a repository cannot be its own upstream"
        elif upstream in repository.upstreams[:u]:
            message = f"upstream {upstream} is listed twice"
        elif upstream not in all_names:
            message = f"upstream {upstream} is not a repository of domain {domain.name}"
        elif upstream not in earlier:
            message = f"upstream {upstream} is listed after {repository.name}; list upstreams first"
        else:
            continue
        problems.append(((*at, "upstreams", u), message))
    return problems


def _check_external_connections(at: Location, repository: RepositorySeed) -> list[tuple[Location, str]]:
    """At most one, each a public connection AWS supports, in its own format."""
    problems: list[tuple[Location, str]] = []
    if len(repository.external_connections) > 1:
        problems.append(((*at, "external_connections"), "a repository has at most one external connection"))
    for c, connection in enumerate(repository.external_connections):
        at_connection: Location = (*at, "external_connections", c)
        if not _CONNECTION_NAME.fullmatch(connection.name):
            problems.append(((*at_connection, "name"), "not a valid external connection name"))
        elif connection.name not in PUBLIC_CONNECTIONS:
            supported = ", ".join(PUBLIC_CONNECTIONS)
            problems.append(
                ((*at_connection, "name"), f"not an external connection AWS supports ({supported})")
            )
        elif connection.format not in (None, PUBLIC_CONNECTIONS[connection.name]):
            kind = PUBLIC_CONNECTIONS[connection.name]
            problems.append(((*at_connection, "format"), f"{connection.name} is a {kind} connection"))
    return problems


def _check_packages(at: Location, repository: RepositorySeed) -> list[tuple[Location, str]]:
    problems: list[tuple[Location, str]] = []
    packages: dict[tuple[str, str, str], PackageSeed] = {}
    for p, package in enumerate(repository.packages):
        where: Location = (*at, "packages", p)
        # CodeArtifact stores names normalised (PyPI, NuGet, Swift): two names that normalise
        # alike are one package, which AWS could never hold twice.
        key = stored_key(package)
        first = packages.get(key)
        if first is not None and _label(first) == _label(package):
            problems.append((where, f"package {_label(package)} is listed twice in {repository.name}"))
        elif first is not None:
            problems.append(
                (
                    where,
                    f"package {_label(package)} and package {_label(first)} are the same {package.format} "
                    f"package once normalised as CodeArtifact stores it ({_stored_label(key)})",
                )
            )
        packages.setdefault(key, package)
        problems += _check_package(where, package)
    return problems


def _check_tags_and_policy(at: Location, tags: dict[str, str], policy: Policy) -> list[tuple[Location, str]]:
    """The rules TagResource and Put*PermissionsPolicy apply, so a seed holds only what the API could."""
    problems: list[tuple[Location, str]] = []
    if len(tags) > TAGS_PER_RESOURCE:
        problems.append(((*at, "tags"), f"at most {TAGS_PER_RESOURCE} tags per resource"))
    for key in tags:
        if key.lower().startswith("aws:"):
            problems.append(((*at, "tags", key), "the aws: prefix is reserved for AWS"))
    if policy is not None:
        text = policy_text(policy)
        try:
            check_policy_document(text)
        except ValidationException as exc:
            problems.append(((*at, "policy"), exc.message))
        if len(text) > MAX_POLICY_LENGTH:
            problems.append(((*at, "policy"), f"a policy has at most {MAX_POLICY_LENGTH} characters"))
    return problems


def policy_text(policy: dict[str, Any] | str) -> str:
    """A seeded policy as the document the API stores (a mapping is written as JSON)."""
    return policy if isinstance(policy, str) else json.dumps(policy)


def _check_package(at: Location, package: PackageSeed) -> list[tuple[Location, str]]:
    problems: list[tuple[Location, str]] = []
    if package.format in NAMESPACED_FORMATS and not package.namespace:
        problems.append(((*at, "namespace"), f"format {package.format} needs a namespace"))
    if package.format in NAMESPACELESS_FORMATS and package.namespace:
        problems.append(((*at, "namespace"), f"format {package.format} has no namespaces"))
    if package.format == "npm" and package.namespace and package.namespace.startswith("@"):
        problems.append(((*at, "namespace"), "give an npm scope without '@' (@types/node: namespace types)"))
    seen: dict[str, str] = {}
    for v, version in enumerate(package.versions):
        where: Location = (*at, "versions", v)
        stored = names.version(package.format, version.version)
        if seen.get(stored) == version.version:
            problems.append(((*where, "version"), f"version {version.version} is listed twice"))
        elif stored in seen:
            problems.append(
                (
                    (*where, "version"),
                    f"versions {seen[stored]} and {version.version} are the same {package.format} version "
                    f"once normalised as CodeArtifact stores it ({stored})",
                )
            )
        seen.setdefault(stored, version.version)
        if version.external_connection is not None and version.origin != "EXTERNAL":
            problems.append(((*where, "external_connection"), "only an EXTERNAL version has one"))
        if version.status == "Disposed" and version.assets:
            problems.append(((*where, "assets"), "a Disposed version has no assets"))
        asset_names = [asset.name for asset in version.assets or []]
        if len(set(asset_names)) != len(asset_names):
            problems.append(((*where, "assets"), "asset names must be unique"))
        if package.format == "nuget" and version.assets:
            # CodeArtifact builds a NuGet version's one asset name from the normalised name and version.
            expected = names.nuget_asset_name(package.name, version.version)
            if len(version.assets) > 1 or version.assets[0].name.lower() != expected.lower():
                problems.append(
                    (
                        (*where, "assets"),
                        f"a NuGet package version has one asset, named {expected} by CodeArtifact",
                    )
                )
    return problems


def origin_defaults(package: PackageSeed, first_origin: str | None) -> tuple[str, str]:
    """The package's (publish, upstream) restrictions: as given, else as AWS sets them for a package
    whose first version (of origin `first_origin`) was published directly (ALLOW, BLOCK) or
    ingested from a public source (BLOCK, ALLOW). A package seeded with no versions gets the
    published-directly defaults."""
    ingested = first_origin == "EXTERNAL"
    publish, upstream = ("BLOCK", "ALLOW") if ingested else ("ALLOW", "BLOCK")
    return package.publish or publish, package.upstream or upstream


def stored_key(package: PackageSeed) -> tuple[str, str, str]:
    """The package's (format, namespace, name) as CodeArtifact stores them."""
    return (
        package.format,
        names.namespace(package.format, package.namespace) or "",
        names.package_name(package.format, package.name),
    )


def _stored_label(key: tuple[str, str, str]) -> str:
    return f"{key[0]} {key[1] + '/' if key[1] else ''}{key[2]}"


def normalisations(document: SeedDocument) -> list[str]:
    """What the seed names differently from how CodeArtifact stores it, once per name: the seed
    normalises these as AWS would on publishing, and `reconciler local seed` says so."""
    notes: dict[str, None] = {}
    for domain in document.domains:
        for repository in domain.repositories:
            for package in repository.packages:
                stored = _stored_label(stored_key(package))
                if stored != _label(package):
                    notes[f"{_label(package)} is stored as {stored}"] = None
                for version in package.versions:
                    normal = names.version(package.format, version.version)
                    if normal != version.version:
                        notes[f"{_label(package)} version {version.version} is stored as {normal}"] = None
    return list(notes)


def _label(package: PackageSeed) -> str:
    return f"{package.format} {package.namespace + '/' if package.namespace else ''}{package.name}"


def seconds_at(value: str | dt.datetime, now: float) -> float:
    """A checked publish time (absolute, or relative to `now`) in epoch seconds."""
    if isinstance(value, dt.datetime):
        return value.timestamp()
    relative = _DURATION.fullmatch(value)
    assert relative is not None, value  # the model accepts no other text
    return now - float(relative.group(1)) * _SECONDS[relative.group(2)]
