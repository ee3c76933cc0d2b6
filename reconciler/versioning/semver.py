"""Strict SemVer 2.0 read straight from the text, as univers' ``EnhancedSemanticVersion`` reads it.

``EnhancedSemanticVersion(text)`` (``semantic_version.Version`` underneath) builds an object of about
700 bytes with two precedence keys of identifier objects, about 5 microseconds a version. Ranking and
sorting need only the numbers, whether there is a pre-release, and the precedence: `read` gives those
from the same regular expression and the same checks (leading zeros, empty identifiers, numbers
Python refuses to convert) in about a fifth of the time, and the univers value is built only when a
range asks for it. ``tests/unit/test_semver_fast.py`` holds `read` to univers for any text.

The precedence is one string whose code-point order is SemVer's order, then the text's: a tuple of
numbers and identifier tuples costs 150-350 bytes a version, the string 60-80, and a plan holds one
per version it ranks or sorts (100,000 at once for one large package).
"""

from __future__ import annotations

import re

# semantic_version.Version.version_re, with `match` as it uses it (`$` also before a final newline).
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9a-zA-Z.-]+))?(?:\+([0-9a-zA-Z.-]+))?$")

# The key's marks: each number is its length then its digits (no leading zeros: the longer number is
# the larger, and numbers of one length compare digit by digit); a pre-release identifier is NUMERIC
# and a number, or ALPHANUMERIC, the identifier and END (below every character an identifier has,
# so a prefix sorts first); END closes the pre-release (a longer pre-release sorts above its prefix)
# and RELEASE takes its place in a release, above every pre-release of the same numbers.
END = "\x00"
NUMERIC = "\x01"
ALPHANUMERIC = "\x02"
RELEASE = "\x03"
# `version_sort_key`'s keys are these strings after one more mark: PARSED, then those that do not
# parse (`UNPARSED` + the text), in text order.
PARSED = "\x00"
UNPARSED = "\x01"

SemVer = tuple[int, int, bool, str]
"""(major, minor, is a pre-release, sort key)."""


def _number(digits: str) -> str:
    """A number's mark: its length, then its digits (ASCII: `\\d` also matches other scripts' digits,
    which `int` reads); ValueError beyond the digits `int` converts, as univers then fails."""
    if not digits.isascii():
        digits = str(int(digits))
    elif len(digits) > _SHORT:
        int(digits)
    return chr(len(digits)) + digits


# sys.get_int_max_str_digits() is at least 640: `int` converts any number of a text this short.
_SHORT = 640


def read(text: str) -> SemVer | None:
    """The major, minor, pre-release flag and sort key of a strict SemVer 2.0 version; None when
    univers' strict constructor would refuse `text`.

    The sort key is a string whose order is SemVer precedence (numeric identifiers numerically and
    below alphanumeric ones, a release above its pre-releases, a longer pre-release above its
    prefix; build metadata ignored), then the text between versions of equal precedence. It starts
    with `PARSED`, which places it among `version_sort_key`'s keys, so the one string serves both.
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
    if build is not None and (build[0] == "." or build[-1] == "." or ".." in build):
        return None  # an empty identifier
    # The common case, in line: ASCII digits, every number short enough for `int`.
    plain = len(text) <= _SHORT and text.isascii()
    try:
        if plain:
            numbers = f"{chr(len(major))}{major}{chr(len(minor))}{minor}{chr(len(patch))}{patch}"
        else:
            numbers = _number(major) + _number(minor) + _number(patch)
            # univers converts the numeric identifiers of the build metadata too.
            for part in build.split(".") if build is not None else ():
                if part.isdigit():
                    int(part)
        if prerelease is None:
            return int(major), int(minor), False, f"{PARSED}{numbers}{RELEASE}{text}"
        identifiers = _prerelease(prerelease, plain)
    except ValueError:  # a number longer than `int` converts
        return None
    if identifiers is None:
        return None
    return int(major), int(minor), True, f"{PARSED}{numbers}{identifiers}{END}{text}"


def _prerelease(prerelease: str, plain: bool) -> str | None:
    """The marks of a pre-release's identifiers; None if univers refuses one (empty, or a number
    with a leading zero)."""
    key: list[str] = []
    for part in prerelease.split("."):
        if not part:
            return None
        if part.isdigit():
            if part[0] == "0" and part != "0":
                return None
            key += (NUMERIC, chr(len(part)), part) if plain else (NUMERIC, _number(part))
        else:
            key += (ALPHANUMERIC, part, END)
    return "".join(key)
