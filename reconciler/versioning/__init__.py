"""How the versions of each package format order, group into major/minor lines and match ranges.

This is the only package that knows version syntax. Everything is a pure function of its arguments;
nothing here does I/O. ``parsing`` reads and orders versions (and gives the sort key output uses);
``ranges`` reads each format's range syntax.

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
"""

from __future__ import annotations

from reconciler.versioning.parsing import (
    ORDERING,
    ParsedVersion,
    VersionMemo,
    parse_version,
    version_memo,
    version_parser,
    version_sort_key,
    version_sort_keys,
)
from reconciler.versioning.ranges import GENERIC_RANGE_ERROR, VersionRange, parse_range

__all__ = [
    "GENERIC_RANGE_ERROR",
    "ORDERING",
    "ParsedVersion",
    "VersionMemo",
    "VersionRange",
    "parse_range",
    "parse_version",
    "version_memo",
    "version_parser",
    "version_sort_key",
    "version_sort_keys",
]
