"""The manifest format (v1) as pydantic models: what a GitOps repository declares.

Keys are snake_case and identical to the field names (no alias layer); unknown keys are errors,
so a typo can never silently become a no-op. The models are frozen: the planner reads them and
never changes them. Every field carries the description that `reconciler schema` hands to editors.

One module, although over 400 lines: it is one concept, the manifest format, and reads top-down as
its reference (target, promotions, pins, rules, entries, the document), each key next to its checks.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import regex
from packaging.version import InvalidVersion, Version
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from reconciler.codeartifact import Format, OriginType, Status, stored_name, stored_namespace, stored_version

API_VERSION = "reconciler/v1"
KIND = "PackageLifecycle"

DOMAIN_PATTERN = r"^[a-z][a-z0-9\-]{0,48}[a-z0-9]$"
ACCOUNT_ID_PATTERN = r"^[0-9]{12}$"
REPOSITORY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{1,99}$"
# Names, namespaces and version keys: only the characters CodeArtifact forbids are refused,
# since a package name may be a glob.
NAME_PATTERN = r"^[^#/\s]{1,255}$"
DURATION_PATTERN = r"^(\d+)([smhdw])$"
# An AWS Region code: lowercase words joined by '-', the first of two letters or more, ending
# in a number (us-east-1, eu-central-2, us-gov-west-1, cn-northwest-1, eusc-de-east-1). Checked
# here so that a typo is a manifest problem rather than a failure to build the AWS client.
REGION_PATTERN = r"^[a-z]{2,}(-[a-z]+)+-\d+$"

# What each pattern means, for error messages a person can act on.
PATTERN_HINTS = {
    DOMAIN_PATTERN: "a domain name: 2 to 50 lowercase letters, digits and hyphens, starting with a letter",
    ACCOUNT_ID_PATTERN: 'an AWS account id: 12 digits, quoted ("111122223333")',
    REPOSITORY_PATTERN: "a repository name: 2 to 100 letters, digits, '.', '_' and '-', starting with a letter or digit",
    NAME_PATTERN: "1 to 255 characters without '#', '/' or whitespace",
    REGION_PATTERN: "an AWS Region code such as us-east-1 or eu-west-2",
}

DomainName = Annotated[str, StringConstraints(pattern=DOMAIN_PATTERN)]
AccountId = Annotated[str, StringConstraints(pattern=ACCOUNT_ID_PATTERN)]
RepositoryName = Annotated[str, StringConstraints(pattern=REPOSITORY_PATTERN)]
Namespace = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
PackageName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
VersionString = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
RegionName = Annotated[str, StringConstraints(pattern=REGION_PATTERN)]

# The error type of problems found by a validator about a key below the value it validates;
# `ctx["at"]` is that key's path relative to the error's `loc` (see `_error_at`).
ERROR_AT = "manifest_error_at"

_DURATION = re.compile(DURATION_PATTERN)

# The `regex` library compiles a counted repetition by unrolling its minimum: (?:a{1000}){1000} takes
# half a second to compile, ((a{1000}){1000}){1000} minutes, and no time bound reaches a compile. A
# pattern's weight is the number of items it unrolls to (each item counts 1, times the minimum count
# of every repetition around it); above this weight it is refused before it is compiled. 10,000 items
# compile in a few milliseconds, and are far beyond any pattern a version string (at most 255
# characters) needs.
MAX_REGEX_WEIGHT = 10_000
_COUNTED = re.compile(r"\{([0-9]{0,10})(?:,([0-9]{0,10}))?\}")
# Verbose (x) or version 1 (V1) syntax changes what brackets and spaces mean: weighed without structure.
_SYNTAX_FLAGS = re.compile(r"\(\?[\^a-zA-Z0-9-]*[xV]")


def regex_weight(pattern: str) -> int:  # noqa: PLR0912 (one branch per kind of token)
    """How many items `pattern` unrolls to when compiled: never less than the `regex` library unrolls.

    Groups, character sets, escapes and comments are followed where their reading is certain; where it
    is not (verbose or V1 syntax, a `[` inside a set, unbalanced parentheses) the weight is the
    pattern's length times every minimum count in it, a bound on any nesting of them.
    """
    if _SYNTAX_FLAGS.search(pattern):
        return _flat_weight(pattern)
    frames = [[0, 0]]  # per open group: [weight of its items but the last, weight of the last item]
    at, end = 0, len(pattern)
    while at < end:
        char, frame = pattern[at], frames[-1]
        step = 1
        if (
            char == "{"
            and (counted := _COUNTED.match(pattern, at))
            and (counted[1] or counted[2] is not None)
        ):
            frame[1] *= max(int(counted[1] or 0), 1)  # the minimum count multiplies the item before it
            step = counted.end() - at
        elif char in "*+?|":
            # Repetitions whose minimum is 0 or 1 change no weight; an alternative starts afresh.
            if char == "|":
                frame[0], frame[1] = frame[0] + frame[1], 0
        elif char == "(" and not pattern.startswith("(?#", at):
            frames.append([0, 0])
        elif char == ")":
            if not _close_group(frames):
                return _flat_weight(pattern)
        else:
            length = _item_length(pattern, at)
            if length is None:
                return _flat_weight(pattern)
            step = length
            if not pattern.startswith("(?#", at):  # an item of weight 1; a comment is none
                frame[0], frame[1] = frame[0] + frame[1], 1
        if frame[0] + frame[1] > MAX_REGEX_WEIGHT:
            return frame[0] + frame[1]
        at += step
    if len(frames) != 1:
        return _flat_weight(pattern)
    return frames[0][0] + frames[0][1]


def _close_group(frames: list[list[int]]) -> bool:
    """Fold the innermost open group into its parent as one item; False when none is open."""
    if len(frames) == 1:
        return False
    inner = frames.pop()
    outer = frames[-1]
    outer[0], outer[1] = outer[0] + outer[1], max(inner[0] + inner[1], 1)
    return True


def _item_length(pattern: str, at: int) -> int | None:
    """How many characters the item (or comment) at `at` spans, or None when that is not certain."""
    if pattern[at] == "\\":
        return 2
    if pattern.startswith("(?#", at):
        close = pattern.find(")", at)
        return None if close < 0 or "\\" in pattern[at:close] else close + 1 - at
    if pattern[at] == "[":
        end = _set_end(pattern, at)
        return None if end is None else end + 1 - at
    return 1


def _set_end(pattern: str, start: int) -> int | None:
    """Where the character set opening at `start` closes, or None when that is not certain."""
    at = start + 1
    if pattern.startswith("^", at):
        at += 1
    if pattern.startswith("]", at):
        at += 1
    while at < len(pattern):
        if pattern[at] == "\\":
            at += 2
            continue
        if pattern[at] == "[":
            return None  # a nested set or a POSIX class: read differently in V0 and V1
        if pattern[at] == "]":
            return at
        at += 1
    return None


def _flat_weight(pattern: str) -> int:
    weight = max(len(pattern), 1)
    for counted in _COUNTED.finditer(pattern):
        weight *= max(int(counted[1] or 0), 1)
        if weight > MAX_REGEX_WEIGHT:
            break
    return weight


_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# The longest duration a `timedelta` holds: 999999999 days.
MAX_DURATION_DAYS = dt.timedelta.max.days
_MAX_DURATION_SECONDS = MAX_DURATION_DAYS * _UNIT_SECONDS["d"]
DURATION_TOO_LARGE = f"duration too large: the longest is {MAX_DURATION_DAYS}d"


def _error_at(message: str, *at: str | int) -> PydanticCustomError:
    # A model validator can only fail at the model's own location; this carries the exact key
    # along, so that manifest errors point at the line of `range:` rather than of the whole entry.
    return PydanticCustomError(ERROR_AT, "{message}", {"message": message, "at": at})


def _parse_duration(value: Any) -> Any:
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, str):
        found = _DURATION.match(value.strip())
        if found:
            digits = found.group(1).lstrip("0") or "0"
            # A count with more digits than the limit in seconds is too large whatever its unit
            # (and Python refuses to convert very long digit strings at all).
            if len(digits) > len(str(_MAX_DURATION_SECONDS)):
                raise ValueError(DURATION_TOO_LARGE)
            seconds = int(digits) * _UNIT_SECONDS[found.group(2)]
            if seconds > _MAX_DURATION_SECONDS:
                raise ValueError(DURATION_TOO_LARGE)
            return dt.timedelta(seconds=seconds)
    raise ValueError("a duration is a whole number and a unit: 90d, 12h, 2w, 30m or 45s")


Duration = Annotated[
    dt.timedelta,
    BeforeValidator(_parse_duration),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["90d", "12h", "2w"]}),
]


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _files(value: Any) -> Any:
    return [value] if isinstance(value, (str, dict)) else value


# `Deleted` asks for the version to be absent (DeletePackageVersions): no listing shows it as a status.
Declarable = Literal["Published", "Unlisted", "Archived", "Disposed", "Deleted"]
# The kinds of file `protect_in_use` reads (reconciler.lockfiles.KINDS, in its order).
LockfileKind = Literal[
    "package-lock",
    "yarn-lock",
    "pnpm-lock",
    "poetry-lock",
    "uv-lock",
    "pipfile-lock",
    "pylock",
    "requirements",
    "cargo-lock",
    "gemfile-lock",
    "nuget-lock",
    "gradle-lockfile",
    "pom",
    "package-resolved",
    "inventory",
]
# The live statuses `accept` may leave as they are: those someone takes a version out of use with by
# hand (an incident response), which the next apply must not undo.
Acceptable = Literal["Unlisted", "Archived"]
# `accept` on a rule and on an entry: one status or a list of them.
Accepted = Annotated[
    list[Acceptable] | None,
    BeforeValidator(_one_or_many, json_schema_input_type=Acceptable | list[Acceptable] | None),
]
_ACCEPT_DESCRIPTION = (
    "Live statuses (Unlisted, Archived) accepted as they are: a version whose live status is one of them "
    "is neither changed by a plan nor reported as drift, whatever the pins and rules decide."
)
Otherwise = Literal["ignore", "Published", "Unlisted", "Archived", "Disposed", "Deleted"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Domain(_Strict):
    """The domain part of a target. `domain_owner` and `region` are optional; without them the AWS
    configuration decides."""

    domain: DomainName = Field(description="The CodeArtifact domain.")
    domain_owner: AccountId | None = Field(
        default=None,
        description="The 12-digit AWS account id that owns the domain; quote it, or YAML reads a number. "
        "Default: the caller's account.",
    )
    region: RegionName | None = Field(
        default=None,
        description="The AWS Region code of the domain (us-east-1, eu-west-2, ...). "
        "Default: the AWS configuration decides.",
    )


class RepositoryTarget(_Domain):
    """Where a declared entry's packages live: one repository of one domain."""

    repository: RepositoryName = Field(description="The repository the packages live in.")


class Target(_Domain):
    """A manifest's `target` as written: one repository (`repository`), or several (`repositories`) that
    the document applies to as if it were written once for each. `targets()` gives them one by one."""

    repository: RepositoryName | None = Field(
        default=None, description="The repository the packages live in (or give repositories)."
    )
    repositories: Annotated[list[RepositoryName], Field(min_length=1)] | None = Field(
        default=None,
        description="Several repositories of the domain: the document applies to each of them as if it were "
        "written once per repository (instead of repository).",
    )

    @model_validator(mode="after")
    def _one_way_to_name_repositories(self) -> Target:
        if self.repository is None and self.repositories is None:
            raise _error_at("missing required key (or give repositories, a list)", "repository")
        if self.repository is not None and self.repositories is not None:
            raise _error_at("give repository or repositories, not both", "repositories")
        if self.repositories is not None:
            seen: set[str] = set()
            for index, name in enumerate(self.repositories):
                if name in seen:
                    raise _error_at(f"repository {name} is listed twice", "repositories", index)
                seen.add(name)
        return self

    @property
    def names(self) -> list[str]:
        """The repositories of the target, in the order written."""
        return list(self.repositories) if self.repositories is not None else [str(self.repository)]

    def targets(self) -> list[RepositoryTarget]:
        """One `RepositoryTarget` per repository."""
        return [
            RepositoryTarget(
                domain=self.domain, domain_owner=self.domain_owner, region=self.region, repository=name
            )
            for name in self.names
        ]


class Promotion(_Strict):
    """The `copy_from` options shared by pins and rules; the two flags only mean something with `copy_from`."""

    copy_from: RepositoryName | None = Field(
        default=None,
        description="A repository of the same domain: versions missing from the target are copied from it "
        "(CopyPackageVersions). On a rule, the selectors see the source repository's versions.",
    )
    allow_overwrite: bool = Field(
        default=False, description="With copy_from: overwrite a version the target already has."
    )
    include_from_upstream: bool = Field(
        default=False,
        description="With copy_from: also copy versions the source repository got from its upstreams.",
    )

    @model_validator(mode="after")
    def _options_need_copy_from(self) -> Promotion:
        if self.copy_from is None:
            for option in ("allow_overwrite", "include_from_upstream"):
                if getattr(self, option):
                    raise _error_at(f"{option} only applies with copy_from", option)
        return self


class InUseFile(_Strict):
    """A lockfile or deployment file of `protect_in_use` whose name does not say its kind:
    `{path: deploy/versions.txt, kind: inventory}`."""

    path: Annotated[str, StringConstraints(min_length=1)] = Field(
        description="A path or glob, relative to the manifest file."
    )
    kind: LockfileKind = Field(
        description="How to read it: package-lock, yarn-lock, pnpm-lock, poetry-lock, uv-lock, pipfile-lock, "
        "pylock, requirements, cargo-lock, gemfile-lock, nuget-lock, gradle-lockfile, pom, package-resolved "
        "or inventory (name@version lines)."
    )


InUseFiles = Annotated[
    list[Annotated[str, StringConstraints(min_length=1)] | InUseFile],
    BeforeValidator(_files, json_schema_input_type=str | InUseFile | list[str | InUseFile]),
]
_IN_USE_DESCRIPTION = (
    "Lockfiles and deployment files (paths or globs relative to the manifest file, or {path, kind}) whose "
    "versions no pin, rule or otherwise may Archive, Dispose or Delete: a plan that would is refused, naming the "
    "file and line that pins the version. A glob that matches no file is a warning."
)


class Pin(Promotion):
    """One exact version's desired state: `"2.4.0": {status: Published, copy_from: staging}`.

    `"2.3.1": Published` is shorthand for `"2.3.1": {status: Published}`. A pin beats every rule.
    """

    status: Declarable = Field(
        description="The status this version must have. Disposed is final: nothing brings a disposed version back. "
        "Deleted removes the version from the repository (apply needs --allow-delete); absent is as declared."
    )


def _pin(value: Any) -> Any:
    return {"status": value} if isinstance(value, str) else value


class Rule(Promotion):
    """Selectors (all must hold), then an optional ranking, then the status the selected versions take.

    A rule with no selector takes every version that is still open. Unless `current` names them, a rule
    never takes versions that are Unfinished or Disposed. `per` and `by` only apply with `keep_latest`.

    Example::

        - match: "*-rc.*"
          older_than: 30d
          status: Disposed
        - keep_latest: 3
          per: major
          status: Published
    """

    match: Annotated[
        list[str] | None, BeforeValidator(_one_or_many, json_schema_input_type=str | list[str] | None)
    ] = Field(
        default=None,
        description="Selects versions whose version string matches this glob, or any glob of a list.",
    )
    regex: str | None = Field(
        default=None,
        description="Selects versions whose version string fully matches this regular expression.",
    )
    range: str | None = Field(
        default=None,
        description="Selects versions in this range, in the format's own syntax: npm ^1.2.0, "
        "PEP 440 >=1.0,<2, Maven [1.0,2.0), ...",
    )
    prerelease: bool | None = Field(
        default=None, description="true: selects only pre-releases and snapshots; false: only releases."
    )
    current: Annotated[
        list[Status] | None,
        BeforeValidator(_one_or_many, json_schema_input_type=Status | list[Status] | None),
    ] = Field(
        default=None,
        description="Selects versions whose live status is this one, or one of a list. Only a rule that names "
        "Unfinished or Disposed here ever takes such versions.",
    )
    origin: Annotated[
        list[OriginType] | None,
        BeforeValidator(_one_or_many, json_schema_input_type=OriginType | list[OriginType] | None),
    ] = Field(
        default=None,
        description="Selects versions whose origin is this one, or one of a list: INTERNAL (published to the "
        "repository), EXTERNAL (ingested from an external connection), UNKNOWN.",
    )
    older_than: Duration | None = Field(
        default=None, description="Selects versions published longer ago than this: 90d, 12h, 2w, 30m, 45s."
    )
    newer_than: Duration | None = Field(
        default=None,
        description="Selects versions published more recently than this: 90d, 12h, 2w, 30m, 45s.",
    )
    keep_latest: Annotated[int, Field(gt=0)] | None = Field(
        default=None,
        description="Ranking: of the selected versions, the newest N take this rule's status; "
        "the others go on to the next rule.",
    )
    per: Literal["major", "minor"] | None = Field(
        default=None,
        description="With keep_latest: keep the newest N of each major (or minor) version. "
        "Default: of the whole package.",
    )
    by: Literal["version", "published"] | None = Field(
        default=None,
        description="With keep_latest: what 'newest' means: the format's own version order (version, the "
        "default) or publish time (published). generic packages have no version order: always published.",
    )
    status: Declarable = Field(description="The status the versions this rule takes must have.")
    accept: Accepted = Field(
        default=None, description=_ACCEPT_DESCRIPTION + " On a rule: the versions it takes."
    )

    @field_validator("match")
    @classmethod
    def _match_not_empty(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("give at least one glob")
        return value

    @field_validator("regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            # Compiled by the engine that runs it (rules.py): the `regex` library, whose syntax is
            # Python's `re` and more (\p{L}, possessive quantifiers), and whose matches take a timeout.
            weight = regex_weight(value)
            if weight > MAX_REGEX_WEIGHT:
                raise ValueError(
                    f"the regular expression repeats too much: its counted repetitions unroll to more "
                    f"than {MAX_REGEX_WEIGHT:,} items ({weight:,}), which takes too long to compile"
                )
            try:
                regex.compile(value)
            except regex.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _ranking_options_need_keep_latest(self) -> Rule:
        if self.keep_latest is None:
            for option in ("per", "by"):
                if getattr(self, option) is not None:
                    raise _error_at(f"{option} only applies with keep_latest", option)
        return self

    @property
    def needs_publish_times(self) -> bool:
        return self.older_than is not None or self.newer_than is not None or self.by == "published"


class PackageEntry(_Strict):
    """The lifecycle of one package, or of every package a glob `name` matches.

    Pins beat rules; rules apply top to bottom and the first that takes a version decides it; `otherwise`
    decides what no pin or rule took. `namespace` is present exactly when the format has one: required for
    maven, swift and generic, optional for npm, refused for the others.
    """

    format: Format = Field(description="The package format.")
    namespace: Namespace | None = Field(
        default=None,
        description="The npm scope without '@', the Maven groupId, the Swift scope or the generic namespace. "
        "Required for maven, swift and generic; pypi, nuget, ruby and cargo have none.",
    )
    name: PackageName = Field(
        description="An exact package name, or a glob (web-*) over the repository's packages of this format "
        "and namespace. An entry with an exact name beats entries whose glob matches the package."
    )
    versions: dict[
        VersionString, Annotated[Pin, BeforeValidator(_pin, json_schema_input_type=Declarable | Pin)]
    ] = Field(
        default={},
        description="Pins: exact version -> status (Published, Unlisted, Archived, Disposed, Deleted), or -> "
        "{status, copy_from, ...}. Quote the versions: YAML reads 1.10 as a number. A pin beats every rule.",
    )
    rules: list[Rule] = Field(
        default=[],
        description="For versions no pin names, top to bottom: the first rule that takes a version decides it.",
    )
    otherwise: Otherwise = Field(
        default="ignore",
        description="What versions no pin or rule takes become: ignore (leave them alone, the default) or a status.",
    )
    protect: Annotated[list[str], BeforeValidator(_one_or_many, json_schema_input_type=str | list[str])] = (
        Field(
            default=[],
            description="Version ranges in the format's own syntax (globs for generic) that no rule may Archive, "
            "Dispose or Delete: a plan that would is refused.",
        )
    )
    protect_in_use: InUseFiles = Field(default=[], description=_IN_USE_DESCRIPTION)
    accept: Accepted = Field(
        default=None, description=_ACCEPT_DESCRIPTION + " On an entry: every version it decides."
    )

    @field_validator("namespace")
    @classmethod
    def _namespace_fits_format(cls, value: str | None, info: ValidationInfo) -> str | None:
        format = info.data.get("format")
        if value is None or format is None:
            return value
        if not format.has_namespace:
            raise ValueError(f"{format.value} packages have no namespace")
        if format is Format.NPM and value.startswith("@"):
            raise ValueError(f"write the npm scope without '@': {value[1:]}")
        return stored_namespace(format, value)

    @field_validator("name")
    @classmethod
    def _name_as_stored(cls, value: str, info: ValidationInfo) -> str:
        # Listings answer with the stored name: `Django_Rest` must find `django-rest`.
        format = info.data.get("format")
        return value if format is None else stored_name(format, value)

    @field_validator("versions")
    @classmethod
    def _versions_as_stored(cls, pins: dict[str, Pin], info: ValidationInfo) -> dict[str, Pin]:
        format = info.data.get("format")
        if format is None:
            return pins
        stored: dict[str, Pin] = {}
        written: dict[str, str] = {}
        for version, pin in pins.items():
            key = stored_version(format, version)
            if key in written:
                raise _error_at(
                    f"pins {written[key]!r} and {version!r} name the same version, stored as {key!r}", version
                )
            written[key] = version
            stored[key] = pin
        return stored

    @field_validator("rules")
    @classmethod
    def _rules_fit_format(cls, rules: list[Rule], info: ValidationInfo) -> list[Rule]:
        format = info.data.get("format")
        if format is None:
            return rules
        for index, rule in enumerate(rules):
            if rule.range is not None:
                from reconciler.versioning import parse_range

                try:
                    parse_range(format, rule.range)
                except ValueError as exc:
                    raise _error_at(str(exc), index, "range") from None
            if format is Format.GENERIC and rule.by == "version":
                raise _error_at("generic packages have no version order; use by: published", index, "by")
            # A generic version has no major or minor: `per` would put every version in one group
            # and quietly mean "newest N", so it is refused rather than ignored.
            if format is Format.GENERIC and rule.per is not None:
                raise _error_at(
                    f"generic packages have no version order, so no {rule.per} to group by; remove per",
                    index,
                    "per",
                )
        return rules

    @field_validator("protect")
    @classmethod
    def _protect_fits_format(cls, items: list[str], info: ValidationInfo) -> list[str]:
        format = info.data.get("format")
        if format is None or format is Format.GENERIC:
            return items
        for index, item in enumerate(items):
            from reconciler.versioning import parse_range

            try:
                parse_range(format, item)
            except ValueError as exc:
                raise _error_at(str(exc), index) from None
        return items

    @model_validator(mode="after")
    def _namespace_present(self) -> PackageEntry:
        if self.format.requires_namespace and self.namespace is None:
            raise ValueError(f"namespace is required for {self.format.value} packages")
        return self

    @property
    def is_glob(self) -> bool:
        return any(char in self.name for char in "*?[")

    def matches(self, package: str) -> bool:
        return fnmatch.fnmatchcase(package, self.name)


class Manifest(_Strict):
    """One YAML document of kind PackageLifecycle: the packages of one target repository."""

    apiVersion: Literal["reconciler/v1"] = Field(  # camelCase: the key users write
        description="The version of this format: reconciler/v1."
    )
    kind: Literal["PackageLifecycle"] = Field(description="The kind of document: PackageLifecycle.")
    target: Target = Field(description="The repository (or repositories) the packages live in.")
    protect_in_use: InUseFiles = Field(
        default=[], description=_IN_USE_DESCRIPTION + " Here: for every entry of the document."
    )
    packages: list[PackageEntry] = Field(
        description="Package entries: the lifecycle of one package, or of every package a glob name matches."
    )


@dataclass(frozen=True)
class Origin:
    """Where something was declared, for messages: `manifests/prod.yaml:14`."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class DeclaredEntry:
    """A package entry with its target and where it was written: what the planner works from."""

    target: RepositoryTarget
    entry: PackageEntry
    origin: Origin
    # Where each pinned version's key was written (for "pinned twice" and plan reasons).
    pin_origins: dict[str, Origin]
    # Where each rule was written, in order (plan reasons name the line of the rule that decided).
    rule_origins: tuple[Origin, ...] = ()
    # Where `otherwise` was written (None: not known; reasons then name the entry).
    otherwise_origin: Origin | None = None
    # protect_in_use: per package of the entry's format, (namespace, name) as stored, each version
    # its lockfiles name (by `in_use_version`) and the first line that names it.
    in_use: Mapping[tuple[str | None, str], Mapping[str, Origin]] = field(default_factory=dict)


@dataclass(frozen=True)
class DesiredState:
    """Every manifest document under the given paths, validated, in load order."""

    entries: tuple[DeclaredEntry, ...]
    digest: str  # sha256 over the files' paths and bytes, in load order: identifies what a plan was made from
    files: tuple[str, ...]
    # Where each manifest document starts, in load order (a document may declare no entries).
    manifests: tuple[Origin, ...] = ()
    # What a reviewer should know of the manifests themselves (a protect_in_use glob that matches no file).
    warnings: tuple[str, ...] = ()


def in_use_version(format: Format, version: str) -> str:
    """A version as `protect_in_use` compares a lockfile's with a repository's: as CodeArtifact stores
    it, PEP 440-normalised for PyPI (a lock's `1.0.0-rc.1` is the upload `1.0.0rc1`), NuGet's without case."""
    version = stored_version(format, version)
    if format is Format.PYPI:
        try:
            return str(Version(version))
        except InvalidVersion:
            return version
    return version.lower() if format is Format.NUGET else version
