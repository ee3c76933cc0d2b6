"""How the versions of each package format order, group into major/minor lines and match ranges.

This is the only module that knows version syntax. Everything is a pure function of its arguments;
nothing here does I/O.

Orderings (``ORDERING`` names them for plan lines)
---------------------------------------------------
=========  =================  ==========================================================================
format     ordering           implementation (``univers``)
=========  =================  ==========================================================================
npm        semver             ``EnhancedSemanticVersion`` (SemVer 2.0 precedence), strict parsing
swift      semver             same as npm (the Swift Package Registry uses SemVer 2.0)
cargo      semver (Cargo)     same as npm (the ``semver`` crate implements SemVer 2.0 precedence)
pypi       PEP 440            ``PypiVersion`` value (``packaging.version.Version``)
maven      Maven              ``MavenVersion`` value (a port of Maven's ``ComparableVersion``)
nuget      NuGet              ``NugetVersion`` value (SemVer 2.0 plus a 4th part, case-insensitive labels)
ruby       RubyGems           ``RubygemsVersion`` value (``Gem::Version``)
generic    publish time       none: ``parse_version`` returns None, ``parse_range`` raises ValueError
=========  =================  ==========================================================================

Invariants
----------
* ``parse_version(f, s)`` is None exactly when ``s`` is not a version of format ``f`` (and always for
  ``generic``). Such versions cannot be ranked by version nor matched by a range; the planner reports them.
* Parsed versions of one format form a total order: the format's own precedence first, then the version
  string itself (byte order) between versions the format considers equal (``1.0`` / ``1.0.0`` in
  Maven or PEP 440, ``1.0.0+a`` / ``1.0.0+b`` in SemVer). Sorting any permutation of the same
  versions therefore gives one result. ``a == b`` exactly when both have the same format and string.
* Comparing versions of different formats raises TypeError.
* ``VersionRange.contains`` is False for a version that does not parse; it never raises for a string.

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
  letter in any segment. ``generic`` versions are neither: ``is_prerelease`` is None for them (and for
  any version that does not parse), so a ``prerelease`` selector never takes them.
* Major/minor groups: SemVer and NuGet major/minor; PEP 440 release[0]/release[1] with the epoch part of
  the group (``1!2`` is not major 2); Maven and RubyGems the leading numeric components (0 when
  missing, so ``1.0-beta`` is 1.0, and a version with no leading number is 0.0).
* Range membership follows each format's own range rules, except that pre-releases are never hidden
  (package managers hide them at install time; the manifest has a ``prerelease`` selector for that):

  - npm and swift: node-semver syntax (``^1.2.0``, ``~1.2``, ``1.x``, ``>=1.0.0 <2.0.0``,
    ``1.2.3 - 2.3``, ``||``). A comparator with a full version is an exact boundary in the SemVer
    order, so ``<2.0.0`` contains ``2.0.0-rc.1`` (write ``<2.0.0-0`` to exclude it) and ``>=1.2.3``
    does not contain ``1.2.3-beta``. A partial version stands for its whole block of versions,
    pre-releases included: ``1.2`` = ``>=1.2.0-0 <1.3.0-0``, ``^1.2.3`` = ``>=1.2.3 <2.0.0-0``,
    ``<=1.2`` = ``<1.3.0-0``. This is node-semver's ``includePrerelease`` mode, made consistent at
    the lower end: node-semver starts ``^1.2`` at 1.2.0-0 but ``~1.2`` at 1.2.0, and ``^0.2.3`` or
    ``1.2.3 - 2`` at their ``-0`` but ``^1.2.3`` at 1.2.3; here a partial lower bound always starts at
    its ``-0`` and a full one always at itself. Swift has no range string syntax of its own (SwiftPM writes
    ``"1.2.0"..<"2.0.0"`` in Swift code), so it uses node-semver's, the common SemVer range syntax.
  - cargo: Cargo's ``VersionReq`` syntax (``^1.2``, ``~1.2.3``, ``>=1, <2``, ``1.*``; a bare version is
    a caret requirement), with the same block rules as npm.
  - pypi: PEP 440 specifiers (``>=1.0,<2``, ``~=1.4``, ``==1.*``, ``!=1.5``) with their exact PEP 440
    meaning, including its rule that ``<2`` excludes ``2.0rc1`` and ``>1.0`` excludes ``1.0.post1``.
  - maven: Maven range syntax (``[1.0,2.0)``, ``(,1.0]``, ``[1.0]``, ``(,1.0],[1.2,)``). A bare
    version is a Maven "soft requirement" that matches every version, so it is refused.
  - nuget: NuGet range syntax (``[1.0,2.0)``, ``(,1.0]``, ``[1.0]``); a bare version ``1.0`` means
    ``>= 1.0``, as in NuGet.
  - ruby: RubyGems requirements (``~> 1.2``, ``>= 1.0, < 2``, ``!= 1.1``), AND-ed, with RubyGems'
    own ``~>`` rule (``~> 1.2`` does not contain ``2.0.0.rc1``).

Where univers falls short (hence the code below that does not go through ``*VersionRange.from_native``)
-----------------------------------------------------------------------------------------------------
* ``NpmVersionRange.from_native`` flattens the AND of a comparator set into univers' "vers" list,
  whose meaning is a union of intervals: ``^1.2.0 ^2`` (an empty intersection) becomes
  ``>=1.2.0|<2.0.0|>=2.0.0|<3.0.0``, i.e. 1.2.0..3.0.0. It also reads partial versions as full ones
  (``1.2`` -> ``=1.2.0`` instead of 1.2.x, ``>1.2`` -> ``>1.2.0`` instead of ``>=1.3.0``) and ends
  caret/tilde ranges at ``<2.0.0``, which contains ``2.0.0-rc.1`` in the SemVer order. So the
  node-semver grammar is desugared here (``_semver_block``); versions are still parsed by univers.
* ``CargoVersionRange`` has no ``from_native`` at all; Cargo's syntax goes through the same desugaring.
* ``PypiVersionRange.from_native`` refuses ``~=``, ``==1.*`` and ``===`` and also flattens ANDs
  (``>1,>2`` becomes an invalid vers list). Ranges use ``packaging.specifiers.SpecifierSet``, the
  PEP 440 implementation univers' own ``PypiVersion`` is built on.
* ``GemVersionRange.from_native`` replaces ``~> 1.2`` by ``>=1.2|<2``, which contains ``2.0.0.rc1``
  (RubyGems compares the release part of the candidate with the bumped bound). Ranges use univers'
  ``GemRequirement``, which implements RubyGems' rules.
* ``MavenVersionRange``/``NugetVersionRange.from_native`` turn a bare or malformed string into an empty
  constraint list instead of an error; the univers Maven range parser they are built on is used
  directly, with that case refused (Maven) or read as NuGet's minimum version (NuGet).
* univers' ``Version`` wrappers parse every string twice (``is_valid`` then ``build_value``); the
  underlying univers value classes are constructed directly, which is 3-6 times faster.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import univers.gem
import univers.maven
import univers.versions
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from reconciler.codeartifact import Format

# univers ships py.typed but leaves its functions unannotated: reach it through Any so that strict
# mypy accepts the calls; no univers type appears in this module's public API.
_gem: Any = univers.gem
_maven: Any = univers.maven
_versions: Any = univers.versions

__all__ = [
    "GENERIC_RANGE_ERROR",
    "ORDERING",
    "ParsedVersion",
    "Per",
    "VersionRange",
    "is_prerelease",
    "parse_range",
    "parse_version",
    "version_parser",
]

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

Per = Literal["major", "minor"]

GENERIC_RANGE_ERROR = "generic packages have no version order; use match/regex or older_than"

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

    Ordered (total order within a format, see the module docstring) and hashable; create it with
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

    def group(self, per: Per) -> str:
        """The ``per: major|minor`` group this version belongs to, as a readable canonical label:
        ``"2"`` / ``"2.3"``; with a PEP 440 epoch ``"1!2"`` / ``"1!2.3"``. Equal labels, same group."""
        label = str(self.major) if per == "major" else f"{self.major}.{self.minor}"
        return f"{self.epoch}!{label}" if self.epoch else label

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


def is_prerelease(fmt: Format, text: str) -> bool | None:
    """Whether ``text`` is a pre-release (or snapshot) of ``fmt``; None when that cannot be told: the
    version does not parse, or the format is ``generic`` (arbitrary strings, no pre-release notion)."""
    parsed = parse_version(fmt, text)
    return None if parsed is None else parsed.is_prerelease


# --------------------------------------------------------------------------------------------------
# Ranges


@dataclass(frozen=True, slots=True)
class VersionRange:
    """A set of versions of one format, written in the format's native range syntax.

    Create it with :func:`parse_range`. Equal when format and text are equal.
    """

    format: Format
    text: str
    _test: Callable[[ParsedVersion], bool] = field(repr=False, compare=False)

    def contains(self, version: str | ParsedVersion) -> bool:
        """Whether ``version`` lies in the range; False for a version string that does not parse.

        Raises TypeError for a ParsedVersion of another format (a programming error)."""
        if isinstance(version, str):
            parsed = parse_version(self.format, version)
            if parsed is None:
                return False
            version = parsed
        if version.format is not self.format:
            raise TypeError(f"a {self.format} range cannot contain a {version.format} version")
        return self._test(version)

    def __contains__(self, version: object) -> bool:
        if not isinstance(version, str | ParsedVersion):
            return False
        return self.contains(version)

    def __str__(self) -> str:
        return self.text


class _RangeError(ValueError):
    """Raised inside the range parsers; parse_range prefixes it with the format and range text."""


_OP_TESTS: dict[str, Callable[[int], bool]] = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
    "=": lambda c: c == 0,
}

# One comparison in a semver range: operator and the univers value of its version.
_Bound = tuple[str, Any]
_NOTHING: tuple[_Bound, ...] = (("<", _versions.EnhancedSemanticVersion("0.0.0-0")),)

_XR = r"0|[1-9]\d*|[xX*]"
_PRE = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
_PARTIAL = rf"(?P<M>{_XR})(?:\.(?P<m>{_XR})(?:\.(?P<p>{_XR})(?:-(?P<pre>{_PRE}))?(?:\+{_PRE})?)?)?"
_NPM_COMPARATOR = re.compile(rf"(?P<op>\^|~>?|<=?|>=?|=)?v?{_PARTIAL}")
_CARGO_COMPARATOR = re.compile(rf"(?P<op>\^|~|<=?|>=?|=)?\s*{_PARTIAL}")
_NPM_HYPHEN = re.compile(r"(?P<low>\S+)\s+-\s+(?P<high>\S+)")
_NPM_OP_SPACE = re.compile(r"(\^|~>?|<=?|>=?|=)\s+")


def _semver_value(text: str) -> Any:
    try:
        return _versions.EnhancedSemanticVersion(text)
    except ValueError as exc:
        raise _RangeError(f"{text!r} is not a SemVer version") from exc


def _semver_block(op: str, match: re.Match[str]) -> tuple[_Bound, ...]:
    """The bounds (AND-ed) of one comparator: operator ``op`` and a possibly partial version.

    A full version is an exact boundary; a partial one (``1``, ``1.2``, ``1.x``) stands for the block
    of every version starting with it, pre-releases included, i.e. from ``X.Y.Z-0`` (the lowest SemVer
    version of the block) up to, excluding, the ``-0`` of the next block.
    """
    parts: list[int] = []
    for name in ("M", "m", "p"):
        piece = match.group(name)
        if piece is None or piece in "xX*":
            break
        parts.append(int(piece))
    pre = match.group("pre")
    if pre is not None and len(parts) < 3:
        raise _RangeError(f"{match.group(0)!r}: a pre-release tag needs a full major.minor.patch version")
    if not parts:  # *, x: every version, or none for > and <
        return _NOTHING if op in ("<", ">") else ()
    full = len(parts) == 3
    major, minor, patch = [*parts, 0, 0][:3]
    exact = _semver_value(f"{major}.{minor}.{patch}" + (f"-{pre}" if pre else ""))
    start = exact if full else _semver_value(f"{major}.{minor}.{patch}-0")

    def after(level: int) -> Any:  # the lowest version of the next block at this level (0, 1, 2)
        numbers = [major, minor, patch][:level] + [[major, minor, patch][level] + 1] + [0] * (2 - level)
        return _semver_value("{}.{}.{}-0".format(*numbers))

    block_end = after(len(parts) - 1) if not full else None
    if op in ("", "="):
        return (("=", exact),) if block_end is None else ((">=", start), ("<", block_end))
    if op == ">=":
        return ((">=", start),)
    if op == ">":
        return ((">", exact),) if block_end is None else ((">=", block_end),)
    if op == "<":
        return (("<", start),)
    if op == "<=":
        return (("<=", exact),) if block_end is None else (("<", block_end),)
    if op in ("~", "~>"):
        return ((">=", start), ("<", after(0 if len(parts) == 1 else 1)))
    # caret: up to the next change of the left-most non-zero part among those given
    if major or len(parts) == 1:
        level = 0
    elif minor or len(parts) == 2:
        level = 1
    else:
        level = 2
    return ((">=", start), ("<", after(level)))


def _comparator(pattern: re.Pattern[str], token: str, bare_op: str) -> tuple[_Bound, ...]:
    """Bounds of one comparator token; ``bare_op`` is the operator of a token written without one."""
    match = pattern.fullmatch(token)
    if match is None:
        raise _RangeError(f"{token!r} is not a comparator")
    op = match.group("op")
    if op is None:
        # Cargo: a bare version is a caret requirement, but a bare wildcard (1.2.*) is its block.
        wildcard = any(match.group(name) in ("x", "X", "*") for name in ("M", "m", "p"))
        op = "=" if wildcard else bare_op
    return _semver_block(op, match)


def _npm_alternatives(text: str) -> list[tuple[_Bound, ...]]:
    alternatives: list[tuple[_Bound, ...]] = []
    for written in text.split("||"):
        alternative = written.strip()
        if not alternative:
            raise _RangeError("empty alternative around '||' (write * for every version)")
        hyphen = _NPM_HYPHEN.fullmatch(alternative)
        if hyphen:
            bounds = _comparator(_NPM_COMPARATOR, ">=" + hyphen["low"], ">=")
            bounds += _comparator(_NPM_COMPARATOR, "<=" + hyphen["high"], "<=")
        else:
            bounds = ()
            for token in _NPM_OP_SPACE.sub(r"\1", alternative).split():
                bounds += _comparator(_NPM_COMPARATOR, token, "=")
        alternatives.append(bounds)
    return alternatives


def _cargo_alternatives(text: str) -> list[tuple[_Bound, ...]]:
    if "||" in text:
        raise _RangeError("Cargo requirements have no '||'; AND comparators with ','")
    bounds: tuple[_Bound, ...] = ()
    for token in text.split(","):
        bounds += _comparator(_CARGO_COMPARATOR, token.strip(), "^")
    return [bounds]


def _bounds_test(alternatives: list[tuple[_Bound, ...]]) -> Callable[[ParsedVersion], bool]:
    tests = [tuple((_OP_TESTS[op], bound) for op, bound in bounds) for bounds in alternatives]

    def test(version: ParsedVersion) -> bool:
        value = version._value
        return any(all(check(_cmp(value, bound)) for check, bound in bounds) for bounds in tests)

    return test


def _pypi_test(text: str) -> Callable[[ParsedVersion], bool]:
    try:
        specifiers = SpecifierSet(text)
    except InvalidSpecifier as exc:
        raise _RangeError(str(exc)) from exc
    # prereleases=True: never hide pre-releases (older packaging releases hide them by default).
    return lambda version: specifiers.contains(version._value, prereleases=True)


def _ruby_test(text: str) -> Callable[[ParsedVersion], bool]:
    try:
        requirement = _gem.GemRequirement.from_string(text)
    # univers raises InvalidRequirementError (an AttributeError) or InvalidVersionError (a ValueError).
    except (AttributeError, ValueError) as exc:
        raise _RangeError("not a list of RubyGems requirements") from exc
    return lambda version: bool(requirement.satisfied_by(version._value))


def _interval_test(fmt: Format, text: str) -> Callable[[ParsedVersion], bool]:
    """Maven and NuGet interval sets, parsed by univers' port of Maven's VersionRange."""
    spec = "".join(text.split())
    if not spec.startswith(("[", "(")):
        if fmt is Format.NUGET:
            spec = f"[{spec},)"  # NuGet: a bare version is the inclusive minimum
        else:
            raise _RangeError(
                "a bare version is a Maven soft requirement, which matches every version; "
                "write [1.0] for exactly 1.0"
            )
    try:
        restrictions = _maven.VersionRange(spec).restrictions
    except ValueError as exc:
        raise _RangeError(str(exc)) from exc

    def bound(version: Any) -> Any:
        if version is None:
            return None
        parsed = parse_version(fmt, str(version))
        if parsed is None:
            raise _RangeError(f"{str(version)!r} is not a {fmt} version")
        return parsed._value

    intervals = [
        (bound(r.lower_bound), r.lower_bound_inclusive, bound(r.upper_bound), r.upper_bound_inclusive)
        for r in restrictions
    ]

    def test(version: ParsedVersion) -> bool:
        value = version._value
        for low, low_inclusive, high, high_inclusive in intervals:
            if low is not None:
                c = _cmp(value, low)
                if c < 0 or (c == 0 and not low_inclusive):
                    continue
            if high is not None:
                c = _cmp(value, high)
                if c > 0 or (c == 0 and not high_inclusive):
                    continue
            return True
        return False

    return test


_RANGE_SYNTAX_HINTS: dict[Format, str] = {
    Format.NPM: "node-semver syntax, e.g. ^1.2.0, ~1.2, 1.x, >=1.0.0 <2.0.0, 1.0.0 - 1.5.0, A || B",
    Format.SWIFT: "node-semver syntax, e.g. ^1.2.0, ~1.2, 1.x, >=1.0.0 <2.0.0",
    Format.CARGO: "Cargo syntax, e.g. ^1.2, ~1.2.3, >=1, <2, 1.*",
    Format.PYPI: "PEP 440 specifiers, e.g. >=1.0,<2 or ~=1.4 or ==1.*",
    Format.MAVEN: "Maven syntax, e.g. [1.0,2.0), (,1.0], [1.0]",
    Format.NUGET: "NuGet syntax, e.g. [1.0,2.0), (,1.0], [1.0], 1.0",
    Format.RUBY: "RubyGems syntax, e.g. ~> 1.2 or >= 1.0, < 2",
}


@functools.lru_cache(maxsize=1024)
def _parse_range_cached(fmt: Format, text: str) -> VersionRange:
    if fmt is Format.GENERIC:
        raise ValueError(GENERIC_RANGE_ERROR)
    try:
        if not text.strip():
            raise _RangeError("the range is empty")
        test: Callable[[ParsedVersion], bool]
        if fmt in (Format.NPM, Format.SWIFT):
            test = _bounds_test(_npm_alternatives(text))
        elif fmt is Format.CARGO:
            test = _bounds_test(_cargo_alternatives(text))
        elif fmt is Format.PYPI:
            test = _pypi_test(text)
        elif fmt is Format.RUBY:
            test = _ruby_test(text)
        else:
            test = _interval_test(fmt, text)
    except _RangeError as exc:
        raise ValueError(
            f"invalid {fmt} range {text!r}: {exc} (expected {_RANGE_SYNTAX_HINTS[fmt]})"
        ) from exc
    return VersionRange(fmt, text, test)


def parse_range(fmt: Format, text: str) -> VersionRange:
    """Parse a range written in ``fmt``'s native syntax (see the module docstring for each format).

    Raises ValueError with a readable message for invalid syntax, and always for ``generic``.
    """
    return _parse_range_cached(Format(fmt), text)


@functools.lru_cache(maxsize=1 << 16)
def version_sort_key(format: Format, version: str) -> tuple[int, object]:
    """Versions of a format in the format's order, then those that do not parse, in text order.

    Cached like parsing: every plan sorts every version it decides (a million for a large run),
    and a cached key makes that sort call no Python code at all.
    """
    parsed = parse_version(format, version)
    return (0, parsed.sort_key) if parsed is not None else (1, version)
