"""Version ranges in each format's native syntax, and whether a version lies in one.

Range membership follows each format's own range rules, except that pre-releases are never hidden
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
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import univers.gem
import univers.maven
import univers.versions
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from reconciler.codeartifact import Format
from reconciler.versioning.parsing import ParsedVersion, _cmp, parse_version

# univers ships py.typed but leaves its functions unannotated: reach it through Any so that strict
# mypy accepts the calls; no univers type appears in this module's public API.
_gem: Any = univers.gem
_maven: Any = univers.maven
_versions: Any = univers.versions

GENERIC_RANGE_ERROR = "generic packages have no version order; use match/regex or older_than"


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
    # ^ (caret)
    return ((">=", start), ("<", after(_caret_level(parts))))


def _caret_level(parts: list[int]) -> int:
    """Where a caret range ends: at the next change of the left-most non-zero part among those
    given (0: major, 1: minor, 2: patch)."""
    major, minor = [*parts, 0][:2]
    if major or len(parts) == 1:
        return 0
    if minor or len(parts) == 2:
        return 1
    return 2


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
