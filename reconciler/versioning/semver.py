"""Strict SemVer 2.0 read straight from the text, as univers' ``EnhancedSemanticVersion`` reads it.

``EnhancedSemanticVersion(text)`` (``semantic_version.Version`` underneath) builds an object of about
700 bytes with two precedence keys of identifier objects, about 5 microseconds a version. Ranking and
sorting need only the numbers, whether there is a pre-release, and the precedence as a plain tuple:
`read` gives those from the same regular expression and the same checks (leading zeros, empty
identifiers) in about a fifth of the time, and the univers value is built only when a range asks
for it. ``tests/unit/test_semver_fast.py`` holds `read` to univers for any text.
"""

from __future__ import annotations

import re
from typing import Any

# semantic_version.Version.version_re, with `match` as it uses it (`$` also before a final newline).
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9a-zA-Z.-]+))?(?:\+([0-9a-zA-Z.-]+))?$")
# A release sorts above every pre-release of the same numbers: one tuple shared by every release.
_RELEASE = (1,)

SemVer = tuple[int, int, bool, tuple[Any, ...]]
"""(major, minor, is a pre-release, sort key)."""


def read(text: str) -> SemVer | None:
    """The major, minor, pre-release flag and sort key of a strict SemVer 2.0 version; None when
    univers' strict constructor would refuse `text`.

    The sort key is ``(0, major, minor, patch, pre-release, text)``: SemVer precedence (numeric
    identifiers numerically and below alphanumeric ones, a release above its pre-releases, a longer
    pre-release above its prefix; build metadata ignored), then the text between versions of equal
    precedence. The leading 0 places it among `version_sort_key`'s keys (versions that parse, then
    the rest), so the one tuple serves both.
    """
    match = _VERSION.match(text)
    if match is None:
        return None
    major, minor, patch, prerelease, build = match.groups()
    # semantic_version's _has_leading_zero: `\d+` already holds only digits.
    if (major[0] == "0" and major != "0") or (minor[0] == "0" and minor != "0"):
        return None
    if patch[0] == "0" and patch != "0":
        return None
    if build is not None and "" in build.split("."):
        return None
    if prerelease is None:
        return int(major), int(minor), False, (0, int(major), int(minor), int(patch), _RELEASE, text)
    parts = prerelease.split(".")
    key: list[Any] = [0]
    for part in parts:
        if not part:
            return None
        if part.isdigit():
            if part[0] == "0" and part != "0":
                return None
            key.append((0, int(part)))
        else:
            key.append((1, part))
    return int(major), int(minor), True, (0, int(major), int(minor), int(patch), tuple(key), text)
