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
from dataclasses import dataclass, field
from typing import Any

import univers.gem
import univers.versions

from reconciler.codeartifact import Format

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

# Parsed versions are cached (a rule list parses the same version several times). A cached npm version
# takes about 800 bytes, so the bound keeps the cache near 50 MB however many versions a run reads.
_PARSE_CACHE_SIZE = 1 << 16


def _cmp(a: Any, b: Any) -> int:
    """Three-way comparison of two univers values using only ``<`` (NuGet's value defines nothing else,
    and SemVer's ``==`` also compares build metadata, which has no precedence)."""
    if a < b:
        return -1
    if b < a:
        return 1
    return 0


@dataclass(frozen=True, slots=True, eq=False)
class ParsedVersion:
    """A version string of one format, parsed, with what ranking and grouping need.

    Ordered (total order within a format, see the package docstring) and hashable; create it with
    :func:`parse_version`.
    """

    format: Format
    text: str
    """The version string exactly as given."""
    major: int
    minor: int
    epoch: int
    """PEP 440 epoch (``1!2.0`` -> 1); 0 for every other format."""
    is_prerelease: bool
    _value: Any = field(repr=False)
    # SemVer formats: the version's place in the order as a plain tuple (see `_semver_key`), so that
    # sorting compares tuples natively instead of calling univers for every comparison.
    _key: tuple[Any, ...] | None = field(default=None, repr=False)

    @property
    def sort_key(self) -> object:
        """A key whose natural order is this version's order among versions of its format: a plain
        tuple where the format has one (the SemVer formats), else the version itself."""
        return self if self._key is None else self._key

    def _compare(self, other: ParsedVersion) -> int:
        if self.format is not other.format:
            raise TypeError(f"cannot compare a {self.format} version with a {other.format} version")
        if self._key is not None and other._key is not None:
            return (self._key > other._key) - (self._key < other._key)
        c = _cmp(self._value, other._value)
        if c:
            return c
        return (self.text > other.text) - (self.text < other.text)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ParsedVersion):
            return NotImplemented
        if self._key is not None and other._key is not None and self.format is other.format:
            return self._key < other._key
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

    def __hash__(self) -> int:
        return hash((self.format, self.text))

    def __str__(self) -> str:
        return self.text


# --------------------------------------------------------------------------------------------------
# Parsing versions: one function per format, each returning (value, major, minor, epoch, prerelease)
# or raising on a string that is not a version of the format.

_Parsed = tuple[Any, int, int, int, bool]
_WHITESPACE = re.compile(r"\s")


def _parse_semver(text: str) -> _Parsed:
    # The strict constructor (no coercion); see "Decisions" in the module docstring.
    value = _versions.EnhancedSemanticVersion(text)
    return value, value.major, value.minor, 0, bool(value.prerelease)


def _semver_key(value: Any, text: str) -> tuple[Any, ...]:
    """SemVer 2.0 precedence as a plain tuple, then the text: the same order as comparing the univers
    values (``semantic_version``'s precedence key: numeric identifiers numerically and below
    alphanumeric ones, a release above its pre-releases, a longer pre-release above its prefix; build
    metadata ignored) and then the strings, as ``ParsedVersion`` does."""
    prerelease: tuple[str, ...] = value.prerelease
    if prerelease:
        pre: tuple[Any, ...] = (
            0,
            *((0, int(part)) if part.isdigit() else (1, part) for part in prerelease),
        )
    else:
        pre = (1,)
    return (value.major, value.minor, value.patch, pre, text)


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
    Format.NPM: _parse_semver,
    Format.CARGO: _parse_semver,
    Format.SWIFT: _parse_semver,
    Format.PYPI: _parse_pypi,
    Format.MAVEN: _parse_maven,
    Format.NUGET: _parse_nuget,
    Format.RUBY: _parse_ruby,
}


@functools.lru_cache(maxsize=_PARSE_CACHE_SIZE)
def _parse_cached(fmt: Format, text: str) -> ParsedVersion | None:
    parser = _PARSERS.get(fmt)
    if parser is None:  # generic: no version order
        return None
    # No format has whitespace in a version (several univers parsers would strip it, and GemVersion
    # reads "" as "0"), so " 1.0" never becomes a second spelling of "1.0".
    if not text or _WHITESPACE.search(text):
        return None
    try:
        value, major, minor, epoch, prerelease = parser(text)
    # The univers parsers raise assorted exception types on malformed input (ValueError subclasses,
    # univers' InvalidNuGetVersion which derives from Exception only, AttributeError...).
    except Exception:
        return None
    key = _semver_key(value, text) if parser is _parse_semver else None
    return ParsedVersion(fmt, text, major, minor, epoch, prerelease, value, key)


def parse_version(fmt: Format, text: str) -> ParsedVersion | None:
    """Parse ``text`` as a version of ``fmt``; None if it is not one (always None for ``generic``)."""
    # Called for every version a plan ranks or sorts: skip the enum lookup when given a member.
    return _parse_cached(fmt if type(fmt) is Format else Format(fmt), text)


def version_parser(fmt: Format) -> Callable[[str], ParsedVersion | None]:
    """``parse_version`` for one format, as a function of the text alone: the same results, for loops
    that parse every version of a package (no per-call format check, no Python frame)."""
    return functools.partial(_parse_cached, Format(fmt))


@functools.lru_cache(maxsize=1 << 16)
def version_sort_key(format: Format, version: str) -> tuple[int, object]:
    """Versions of a format in the format's order, then those that do not parse, in text order.

    Cached like parsing: every plan sorts every version it decides (a million for a large run),
    and a cached key makes that sort call no Python code at all.
    """
    parsed = parse_version(format, version)
    return (0, parsed.sort_key) if parsed is not None else (1, version)


# `version_sort_keys`' keys, per format: a plain dict, so that a sort looks each key up in C. Replaced
# (not cleared: a sort in progress keeps its own) once it holds more than this many versions.
_SORT_KEYS: dict[Format, dict[str, tuple[int, object]]] = {}
_SORT_KEYS_SIZE = 1 << 17


def version_sort_keys(format: Format, versions: Collection[str]) -> Callable[[str], tuple[int, object]]:
    """`version_sort_key` of `format` as a function of the version alone, for sorting `versions`: a
    lookup in a dict that holds all their keys, so that sorting a package's versions calls no Python
    code per version (a plan sorts every version it decides)."""
    keys = _SORT_KEYS.get(format)
    if keys is None or len(keys) + len(versions) > _SORT_KEYS_SIZE:
        keys = _SORT_KEYS[format] = {}
    for version in [version for version in versions if version not in keys]:
        keys[version] = version_sort_key(format, version)
    return keys.__getitem__
