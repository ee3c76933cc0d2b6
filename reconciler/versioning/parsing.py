"""Versions of each package format parsed, ordered, and grouped into major/minor lines.

Everything is a pure function of its arguments; parsed versions and sort keys are cached, since a
plan parses and sorts the same versions many times.

Decisions
---------
* npm, cargo and swift versions must be strict SemVer 2.0 (three numeric parts, no leading zeros, no
  ``v`` prefix). univers' ``SemverVersion`` coerces (``1.0`` -> 1.0.0, ``1.2.3.4`` -> 1.2.3+4), which
  would invent versions that npm and CodeArtifact reject, so the strict constructor of the same
  univers class is used instead.
* Pre-releases: npm/cargo/swift have a pre-release tag; pypi follows ``packaging``'s ``is_prerelease``
  (a/b/rc and dev releases are pre-releases, post-releases are releases, ``1.0.post1.dev0`` is a
  pre-release because it is a dev release); maven has a pre-release qualifier (alpha/a, beta/b,
  milestone/m, rc/cr, snapshot, after Maven's alias rules) or is a timestamped snapshot build
  (``1.0-20240101.120000-1``, Maven's ``ArtifactUtils.isSnapshot``); qualifiers Maven orders after the
  release (``sp``, ``jre``, ``preview``...) are releases; nuget has a pre-release label; ruby has a
  letter in any segment. ``generic`` versions are neither: they do not parse (nor does any version
  that is not one of its format), so a ``prerelease`` selector never takes them.
* Major/minor groups: SemVer and NuGet major/minor; PEP 440 release[0]/release[1] with the epoch part of
  the group (``1!2`` is not major 2); Maven and RubyGems the leading numeric components (0 when
  missing, so ``1.0-beta`` is 1.0, and a version with no leading number is 0.0).
* univers' ``Version`` wrappers parse every string twice (``is_valid`` then ``build_value``); the
  underlying univers value classes are constructed directly, which is 3-6 times faster.

No univers value leaves the package: ``ParsedVersion._value`` and ``_cmp`` are shared with
``reconciler.versioning.ranges`` only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection
from typing import Any, NamedTuple, cast

import univers.gem
import univers.versions

from reconciler.codeartifact import Format
from reconciler.versioning import semver

# univers ships py.typed but leaves its functions unannotated: reach it through Any so that strict
# mypy accepts the calls; no univers type appears in this module's public API.
_gem: Any = univers.gem
_versions: Any = univers.versions

ORDERING: dict[Format, str] = {
    Format.NPM: "semver",
    Format.PYPI: "PEP 440",
    Format.MAVEN: "Maven",
    Format.NUGET: "NuGet",
    Format.RUBY: "RubyGems",
    Format.CARGO: "semver (Cargo)",
    Format.SWIFT: "semver",
    Format.GENERIC: "publish time",
}
"""Human name of the ordering a ``keep_latest`` ranking uses for each format (for plan lines)."""

# Parsed versions are cached, per format, in a plain dict cleared when it holds this many: the same
# strings repeat across the packages of a large run (about 10,400 distinct ones across a million
# versions of 2,000 packages in `bench_plan.py`), while one package of 100,000 distinct versions must
# not leave them all behind (a cached SemVer version takes about 210 bytes, so the bound is about
# 3.5 MB a format; a version parsed again costs about 2 microseconds).
_PARSE_CACHE_SIZE = 1 << 14


def _cmp(a: Any, b: Any) -> int:
    """Three-way comparison of two univers values using only ``<`` (NuGet's value defines nothing else,
    and SemVer's ``==`` also compares build metadata, which has no precedence)."""
    if a < b:
        return -1
    if b < a:
        return 1
    return 0


class ParsedVersion(NamedTuple):
    """A version string of one format, parsed, with what ranking and grouping need.

    Ordered (total order within a format, see the package docstring), equal when format and text
    are, and hashable; create it with :func:`parse_version`. A NamedTuple, as the live state's
    `VersionState`, built in C (`_new`): a plan of one large package parses every version of it
    several times, and a slotted frozen dataclass took half of each parse to build.
    """

    format: Format
    text: str
    """The version string exactly as given."""
    major: int
    minor: int
    epoch: int
    """PEP 440 epoch (``1!2.0`` -> 1); 0 for every other format."""
    is_prerelease: bool
    univers: Any
    """The univers value; None for SemVer formats, which order by `semver_key` and build it only to
    match a range (see `_value`). For this package and `ranges` only, as `semver_key`."""
    semver_key: str | None
    """SemVer formats: the version's place in the order as a string (see `semver.read`), so that
    sorting compares strings natively instead of calling univers for every comparison."""

    @property
    def sort_key(self) -> object:
        """A key whose natural order is this version's order among versions of its format: a plain
        string where the format has one (the SemVer formats), else the version itself."""
        key = self.semver_key
        return self if key is None else key

    @property
    def _value(self) -> Any:
        """The univers value, for comparisons in univers' terms and range matching."""
        value = self.univers
        return _semver_value(self.text) if value is None else value

    def _compare(self, other: ParsedVersion) -> int:
        if self.format is not other.format:
            raise TypeError(f"cannot compare a {self.format} version with a {other.format} version")
        mine, theirs = self.semver_key, other.semver_key
        if mine is not None and theirs is not None:
            return (mine > theirs) - (mine < theirs)
        c = _cmp(self._value, other._value)
        if c:
            return c
        return (self.text > other.text) - (self.text < other.text)

    # A tuple compares field by field: every comparison is defined here, in the format's order.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ParsedVersion):
            return NotImplemented
        mine, theirs = self.semver_key, other.semver_key
        if mine is not None and theirs is not None and self.format is other.format:
            return mine < theirs
        return self._compare(other) < 0

    def __le__(self, other: object) -> bool:
        if not isinstance(other, ParsedVersion):
            return NotImplemented
        return self._compare(other) <= 0

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, ParsedVersion):
            return NotImplemented
        return self._compare(other) > 0

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, ParsedVersion):
            return NotImplemented
        return self._compare(other) >= 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParsedVersion):
            return NotImplemented
        return self.format is other.format and self.text == other.text

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, ParsedVersion):
            return NotImplemented
        return not (self.format is other.format and self.text == other.text)

    def __hash__(self) -> int:
        return hash((self.format, self.text))

    def __repr__(self) -> str:
        return (
            f"ParsedVersion(format={self.format!r}, text={self.text!r}, major={self.major!r}, "
            f"minor={self.minor!r}, epoch={self.epoch!r}, is_prerelease={self.is_prerelease!r})"
        )

    def __str__(self) -> str:
        return self.text


# A ParsedVersion from its fields as one tuple, in C (NamedTuple's own `__new__` is a Python function).
_new: Callable[[tuple[Any, ...]], ParsedVersion] = functools.partial(tuple.__new__, ParsedVersion)


@functools.lru_cache(maxsize=_PARSE_CACHE_SIZE)
def _semver_value(text: str) -> Any:
    """The univers value of a SemVer version, for ranges: cached as parsed versions are."""
    return _versions.EnhancedSemanticVersion(text)


# --------------------------------------------------------------------------------------------------
# Parsing versions: one function per format, each returning (value, major, minor, epoch, prerelease)
# or raising on a string that is not a version of the format.

_Parsed = tuple[Any, int, int, int, bool]
_WHITESPACE = re.compile(r"\s")


def _parse_semver_univers(text: str) -> _Parsed:
    """SemVer as univers reads it (the strict constructor, no coercion; see "Decisions" in the
    module docstring): what `semver.read` is held to by tests."""
    value = _versions.EnhancedSemanticVersion(text)
    return value, value.major, value.minor, 0, bool(value.prerelease)


def _parse_pypi(text: str) -> _Parsed:
    value = _versions.PypiVersion.build_value(text)
    release = value.release
    return value, release[0], release[1] if len(release) > 1 else 0, value.epoch, value.is_prerelease


_MAVEN_PRERELEASE_QUALIFIERS = frozenset({"alpha", "beta", "milestone", "rc", "snapshot"})
# Maven's Artifact.VERSION_FILE_PATTERN: a deployed snapshot build, e.g. 1.0-20240101.120000-1.
# univers has no equivalent of ArtifactUtils.isSnapshot.
_MAVEN_TIMESTAMPED_SNAPSHOT = re.compile(r"^.*-\d{8}\.\d{6}-\d+$")


def _maven_has_prerelease_qualifier(items: tuple[Any, ...]) -> bool:
    # ComparableVersion items after Maven's aliasing (a1 -> alpha, cr -> rc, ...); sub-lists are the
    # parts after a '-' or a digit/letter transition.
    for item in items:
        if isinstance(item, tuple):
            if _maven_has_prerelease_qualifier(item):
                return True
        elif isinstance(item, str) and item in _MAVEN_PRERELEASE_QUALIFIERS:
            return True
    return False


def _leading_ints(items: tuple[Any, ...] | list[Any]) -> tuple[int, int]:
    numbers: list[int] = []
    for item in items:
        if not isinstance(item, int) or len(numbers) == 2:
            break
        numbers.append(item)
    numbers += [0] * (2 - len(numbers))
    return numbers[0], numbers[1]


def _parse_maven(text: str) -> _Parsed:
    # Maven orders every string (only empty or blank ones are refused, before this is called).
    value = _versions.MavenVersion.build_value(text)
    items: tuple[Any, ...] = value._parsed
    major, minor = _leading_ints(items)
    prerelease = text.upper().endswith("SNAPSHOT") or bool(_MAVEN_TIMESTAMPED_SNAPSHOT.match(text))
    prerelease = prerelease or _maven_has_prerelease_qualifier(items)
    return value, major, minor, 0, prerelease


def _parse_nuget(text: str) -> _Parsed:
    value = _versions.NugetVersion.build_value(text)
    if value is None:
        raise ValueError("empty NuGet version")
    return value, value.major, value.minor, 0, bool(value.prerelease)


def _parse_ruby(text: str) -> _Parsed:
    value = _gem.GemVersion(text)
    major, minor = _leading_ints(value.segments)
    return value, major, minor, 0, bool(value.prerelease())


_PARSERS: dict[Format, Callable[[str], _Parsed]] = {
    Format.PYPI: _parse_pypi,
    Format.MAVEN: _parse_maven,
    Format.NUGET: _parse_nuget,
    Format.RUBY: _parse_ruby,
}
_SEMVER_FORMATS = frozenset({Format.NPM, Format.CARGO, Format.SWIFT})


def _parse(fmt: Format, text: str) -> ParsedVersion | None:
    """`parse_version` without the cache."""
    # No format has whitespace in a version (several univers parsers would strip it, and GemVersion
    # reads "" as "0"), so " 1.0" never becomes a second spelling of "1.0".
    if not text or _WHITESPACE.search(text):
        return None
    if fmt in _SEMVER_FORMATS:
        read = semver.read(text)
        if read is None:
            return None
        major, minor, prerelease, key = read
        return _new((fmt, text, major, minor, 0, prerelease, None, key))
    parser = _PARSERS.get(fmt)
    if parser is None:  # generic: no version order
        return None
    try:
        value, major, minor, epoch, prerelease = parser(text)
    # The univers parsers raise assorted exception types on malformed input (ValueError subclasses,
    # univers' InvalidNuGetVersion which derives from Exception only, AttributeError...).
    except Exception:
        return None
    return _new((fmt, text, major, minor, epoch, prerelease, value, None))


def _cached_parser(fmt: Format) -> Callable[[str], ParsedVersion | None]:
    if fmt is Format.GENERIC:  # nothing parses: nothing to keep
        return lambda text: None
    cache: dict[str, ParsedVersion | None] = {}
    get = cache.get

    def parse(text: str) -> ParsedVersion | None:
        parsed = get(text, _MISSING)
        if parsed is _MISSING:
            if len(cache) >= _PARSE_CACHE_SIZE:
                cache.clear()
            parsed = cache[text] = _parse(fmt, text)
        return parsed  # type: ignore[return-value]

    return parse


_MISSING = object()
# One cached parser per format; `version_parser` hands them out as they are.
_CACHED: dict[Format, Callable[[str], ParsedVersion | None]] = {fmt: _cached_parser(fmt) for fmt in Format}


class VersionMemo:
    """The versions of one package too large for the parse cache (more versions than it holds, of a
    SemVer format), each read once for every use a plan makes of it: the pre-release selector,
    `keep_latest`'s ranking and the order of the plan's changes. Without it a package of 100,000
    distinct versions was parsed three times over, the bounded cache cleared before any came back.

    Each version keeps only its sort key (the string `version_sort_key` gives, about 66 bytes, which
    the sort of the plan's changes holds anyway); a version read again is rebuilt from it (its
    numbers and pre-release mark are in the key), in about half the time of a parse. `clear` once
    the changes are in order: the plan's peak comes after."""

    __slots__ = ("_format", "_keys")

    def __init__(self, fmt: Format) -> None:
        self._format = fmt
        self._keys: dict[str, str] = {}

    def parse(self, text: str) -> ParsedVersion | None:
        """`parse_version(format, text)`, read once."""
        key = self._keys.get(text)
        if key is None:
            parsed = _parse(self._format, text)
            self._keys[text] = semver.UNPARSED + text if parsed is None else cast(str, parsed.semver_key)
            return parsed
        if key[0] != semver.PARSED:
            return None
        # PARSED, then each of major, minor and patch as its length (one character) and its digits.
        minor_at = 2 + ord(key[1])
        patch_at = minor_at + 1 + ord(key[minor_at])
        major, minor = int(key[2:minor_at]), int(key[minor_at + 1 : patch_at])
        prerelease = key[patch_at + 1 + ord(key[patch_at])] != semver.RELEASE
        return _new((self._format, text, major, minor, 0, prerelease, None, key))

    def sorted(self, versions: Collection[str]) -> list[str]:
        """`versions` in `version_sort_key`'s order, each read at most once."""
        keys = self._keys
        for version in [version for version in versions if version not in keys]:
            self.parse(version)
        return sorted(versions, key=keys.__getitem__)

    def clear(self) -> None:
        self._keys.clear()


def version_memo(fmt: Format, versions: int) -> VersionMemo | None:
    """A `VersionMemo` for a package of `versions` versions of `fmt`, where one pays: more versions
    than the parse cache holds, of a format whose key is a string (the SemVer formats). None
    elsewhere: the cache serves them (the same strings repeat across packages), and a key of
    another format holds its whole parsed value."""
    fmt = Format(fmt)
    return VersionMemo(fmt) if versions > _PARSE_CACHE_SIZE and fmt in _SEMVER_FORMATS else None


def parse_version(fmt: Format, text: str) -> ParsedVersion | None:
    """Parse ``text`` as a version of ``fmt``; None if it is not one (always None for ``generic``)."""
    # Called for every version a plan ranks or sorts: skip the enum lookup when given a member.
    return _CACHED[fmt if type(fmt) is Format else Format(fmt)](text)


def version_parser(fmt: Format) -> Callable[[str], ParsedVersion | None]:
    """``parse_version`` for one format, as a function of the text alone: the same results, for loops
    that parse every version of a package (no per-call format check)."""
    return _CACHED[Format(fmt)]


def version_sort_key(format: Format, version: str) -> Any:
    """Versions of a format in the format's order, then those that do not parse, in text order.

    For SemVer formats the key is the parsed version's own string (it starts with the mark that
    places it before the keys of versions that do not parse), so a key costs no new object; for the
    others, (0, the parsed version) or (1, the text). Keys of one format compare with one another.
    """
    parsed = parse_version(format, version)
    if parsed is None:
        return semver.UNPARSED + version if format in _SEMVER_FORMATS else (1, version)
    key = parsed.semver_key
    return key if key is not None else (0, parsed)


# `version_sort_keys`' keys, per format: a plain dict, so that a sort looks each key up in C. Replaced
# (not cleared: a sort in progress keeps its own) once it would hold more than this many versions.
_SORT_KEYS: dict[Format, dict[str, Any]] = {}
_SORT_KEYS_SIZE = 1 << 14


def version_sort_keys(format: Format, versions: Collection[str]) -> Callable[[str], Any]:
    """`version_sort_key` of `format` as a function of the version alone, for sorting `versions`: a
    lookup in a dict that holds all their keys, so that sorting a package's versions calls no Python
    code per version (a plan sorts every version it decides). More versions than the dict may hold
    get `version_sort_key` itself: a sort computes each key once anyway, and a dict of them all
    would add about 50 bytes a version to the sort's peak (a package of 100,000 versions)."""
    format = Format(format)
    if len(versions) > _SORT_KEYS_SIZE:
        return functools.partial(version_sort_key, format)
    keys = _SORT_KEYS.get(format)
    if keys is None or len(keys) + len(versions) > _SORT_KEYS_SIZE:
        keys = _SORT_KEYS[format] = {}
    for version in [version for version in versions if version not in keys]:
        keys[version] = version_sort_key(format, version)
    return keys.__getitem__
