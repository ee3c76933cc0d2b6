"""The seed file format (`kind: LocalSeed`): its models, loading, and line-aware error reporting.

A seed file describes domains, repositories, packages and versions of every format, with statuses,
publish times, origins and assets; `reconciler.local.seed` writes it into a service's store. The
checks that span fields are in `reconciler.local.seedchecks`; `load_seed` runs them.

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
import errno
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

Format = Literal["npm", "pypi", "maven", "nuget", "generic", "ruby", "swift", "cargo"]
Status = Literal["Published", "Unfinished", "Unlisted", "Archived", "Disposed"]
OriginType = Literal["INTERNAL", "EXTERNAL", "UNKNOWN"]
Location = tuple[str | int, ...]
_DURATION = re.compile(r"-(\d+(?:\.\d+)?)([smhdw])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
ACCOUNT = r"^[0-9]{12}$"
Account = Annotated[str, Field(pattern=ACCOUNT)]
# An AWS Region code: lowercase words joined by '-', the first of two letters or more, ending in a
# number (us-east-1, us-gov-west-1, cn-northwest-1, eusc-de-east-1): the manifests' own pattern, so
# that a Region a manifest may name can be seeded.
REGION_CODE = r"^[a-z]{2,}(-[a-z]+)+-\d+$"
RegionCode = Annotated[str, Field(pattern=REGION_CODE)]
# What each pattern means, for messages a person can act on (the pattern itself says little).
_PATTERN_HINTS = {
    ACCOUNT: 'an AWS account id: 12 digits, quoted ("111122223333")',
    REGION_CODE: "an AWS Region code such as us-east-1 or eu-west-2",
}


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
    # The Region the domain is in (domains are regional): a client of that Region sees it. By default
    # the seeding Region (`reconciler local seed --region`, us-east-1 unless given).
    region: RegionCode | None = None
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


# The most read from a seed file: far above any seed written by hand, it stops a device without end
# (`local seed /dev/zero`) from being read until memory runs out.
SEED_FILE_LIMIT = 1 << 30
_CHUNK = 1 << 20


def _read_bounded(path: Path) -> bytes:
    limit = SEED_FILE_LIMIT
    chunks: list[bytes] = []
    size = 0
    with open(path, "rb") as stream:
        while size <= limit and (chunk := stream.read(min(_CHUNK, limit + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
    if size > limit:
        raise OSError(errno.EFBIG, f"larger than {limit:,} bytes, the most read from a seed file")
    return b"".join(chunks)


_KINDS = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true or false"}


def load_seed(path: Path) -> SeedDocument:
    """Read and check a seed file; every problem found is reported at once, by file, line and field."""
    try:
        raw = _read_bounded(path)
    except OSError as exc:
        raise SeedError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
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
    if not isinstance(raw, dict):
        # pydantic would word it after its model ("a valid dictionary or instance of SeedDocument").
        found = "an empty file" if raw is None else _KINDS.get(type(raw), "a single value")
        raise SeedError(f"{path}:1: a seed file is a mapping with apiVersion, kind and domains, not {found}")
    try:
        document = SeedDocument.model_validate(raw)
    except ValidationError as exc:
        problems = [(tuple(error["loc"]), _message(error)) for error in exc.errors(include_url=False)]
        raise SeedError(_report(str(path), text, problems)) from exc
    document._source = str(path)
    document._yaml = text
    # Imported here, not at the top: the checks import this module's models.
    from reconciler.local.seedchecks import check_seed

    problems = check_seed(document)
    if problems:
        raise document.error(problems)
    return document


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        model = _model_at(error["loc"][:-1])
        allowed = f"; expected one of: {', '.join(model.model_fields)}" if model else ""
        return f"unknown key {error['loc'][-1]!r}{allowed}"
    pattern = (error.get("ctx") or {}).get("pattern")
    if error["type"] == "string_pattern_mismatch" and pattern in _PATTERN_HINTS:
        return f"expected {_PATTERN_HINTS[pattern]}, got {error['input']!r}"
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


def policy_text(policy: dict[str, Any] | str) -> str:
    """A seeded policy as the document the API stores (a mapping is written as JSON)."""
    return policy if isinstance(policy, str) else json.dumps(policy)


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


def stored_label(key: tuple[str, str, str]) -> str:
    return f"{key[0]} {key[1] + '/' if key[1] else ''}{key[2]}"


def normalisations(document: SeedDocument) -> list[str]:
    """What the seed names differently from how CodeArtifact stores it, once per name: the seed
    normalises these as AWS would on publishing, and `reconciler local seed` says so."""
    notes: dict[str, None] = {}
    for domain in document.domains:
        for repository in domain.repositories:
            for package in repository.packages:
                stored = stored_label(stored_key(package))
                if stored != label(package):
                    notes[f"{label(package)} is stored as {stored}"] = None
                for version in package.versions:
                    normal = names.version(package.format, version.version)
                    if normal != version.version:
                        notes[f"{label(package)} version {version.version} is stored as {normal}"] = None
    return list(notes)


def label(package: PackageSeed) -> str:
    return f"{package.format} {package.namespace + '/' if package.namespace else ''}{package.name}"


def seconds_at(value: str | dt.datetime, now: float) -> float:
    """A checked publish time (absolute, or relative to `now`) in epoch seconds."""
    if isinstance(value, dt.datetime):
        return value.timestamp()
    relative = _DURATION.fullmatch(value)
    assert relative is not None, value  # the model accepts no other text
    return now - float(relative.group(1)) * _SECONDS[relative.group(2)]
