"""Package group patterns: their syntax, matching, specificity, hierarchy and ARN encoding.

Everything here follows the CodeArtifact User Guide page "Package group definition syntax and
matching behavior"; the choices made where it is silent are listed in the local service's docs.

A pattern is a package path (`/format/namespace/name`) cut short and ended by a suffix:

    /*                          every package
    /npm/*                      one format
    /maven/com.anycompany~      a namespace that starts with a word
    /npm/space/*                one namespace (blank for formats without one: /pypi//*)
    /npm/space/anycompany-ui~   a name that starts with a word
    /npm/space/anycompany-ui-*  a name that starts with a prefix
    /maven/org.apache/log4j$    one name

`~` matches a prefix that ends on a word boundary, so it must follow a word character; `*` is the
wildcard: after a slash every value of the component, after a namespace's or name's start a plain
prefix (`/maven/com.anycompany.*`).
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from reconciler.local.errors import ValidationException

ROOT = "/*"
FORMATS = ("cargo", "generic", "maven", "npm", "nuget", "pypi", "ruby", "swift")
# Formats whose packages never have a namespace: a pattern that names packages leaves it blank.
NAMESPACELESS = frozenset({"pypi", "nuget", "ruby", "cargo"})
# Formats whose packages always have one: a pattern that names packages must give it.
NAMESPACED = frozenset({"maven", "swift", "generic"})
# Characters that end a component in the pattern syntax, so no literal component may contain them.
_SYNTAX = frozenset("/*~$")

Match = Literal["all", "word", "prefix", "exact"]
Coordinate = tuple[str, str, str]


@dataclass(frozen=True)
class GroupPattern:
    """A parsed pattern: leading components fixed exactly, then one condition on the next component.

    `fixed` is () for `/*`, (format,) for `/npm/*` and `/npm/space~`, (format, namespace) for
    patterns on names. `match` says how the next component is matched, against `value`.
    """

    text: str
    fixed: tuple[str, ...]
    match: Match
    value: str = ""

    @property
    def is_root(self) -> bool:
        return self.text == ROOT

    @property
    def specificity(self) -> tuple[int, int, int, int]:
        """Larger is more specific: among patterns matching one package, the order of containment.

        AWS: the more specific pattern "can be thought of as the longest matching pattern", the one
        matching a proper subset of the other's packages. More fixed components win; then an exact
        name over any prefix; then the longer prefix; then, for the same text, a word prefix
        (`abc~`) over a plain one (`abc*`, which also matches `abcd`).
        """
        kind = {"all": 0, "prefix": 1, "word": 1, "exact": 2}[self.match]
        return (len(self.fixed), kind, len(self.value), 1 if self.match == "word" else 0)

    def matches(self, coordinate: Coordinate) -> bool:
        """A strong match: the package path matches the pattern exactly as written."""
        return _matches(self, coordinate, _same)

    def matches_weakly(self, coordinate: Coordinate) -> bool:
        """A weak match: the package matches a variation of the pattern (letter case; runs of
        `-`, `.`, `_`), as AWS's "Strong and weak match" and "Additional variations" describe."""
        return _matches(self, coordinate, weak_form)

    def contains(self, other: GroupPattern) -> bool:
        """Whether every package `other` matches also matches this pattern, and not the reverse:
        this group is then an ancestor of `other` in the package group hierarchy."""
        if self.text == other.text:
            return False
        depth = len(self.fixed)
        if len(other.fixed) < depth or other.fixed[:depth] != self.fixed:
            return False
        if len(other.fixed) > depth:
            # `other` fixes the very component this pattern puts a condition on.
            return _component_matches(self.match, self.value, other.fixed[depth])
        return _within(other.match, other.value, self.match, self.value)


def parse_pattern(text: str) -> GroupPattern:
    """The pattern, or a `ValidationException` saying what is wrong with it."""
    if not text.startswith("/"):
        raise _invalid(text, "it must start with '/'")
    if text == ROOT:
        return GroupPattern(text, (), "all")
    parts = text[1:].split("/")
    if len(parts) > 3:
        raise _invalid(text, "a pattern has at most three components: /format/namespace/name")
    format, *rest = parts
    if format not in FORMATS:
        raise _invalid(
            text,
            f"{format!r} is not a package format; the first component is one of {', '.join(FORMATS)} or *",
        )
    if not rest:
        raise _invalid(text, "after the format comes '/*' or a namespace")
    if len(rest) == 1:
        return _namespace_pattern(text, format, rest[0])
    namespace, name = rest
    _check_namespace(text, format, namespace)
    return _name_pattern(text, (format, namespace), name)


def _check_namespace(text: str, format: str, namespace: str) -> None:
    """The namespace of a pattern that goes on to a name: as the format stores it."""
    _check_literal(text, namespace, "namespace")
    if namespace and format in NAMESPACELESS:
        raise _invalid(text, f"packages of format {format} have no namespace; leave it blank: /{format}//...")
    if not namespace and format in NAMESPACED:
        raise _invalid(text, f"packages of format {format} always have a namespace; give it before the name")
    if format == "swift" and namespace != namespace.lower():
        raise _invalid(
            text, "CodeArtifact stores Swift namespaces normalized (lowercase); use the normalized form"
        )


def _name_pattern(text: str, fixed: tuple[str, str], name: str) -> GroupPattern:
    """The pattern's last component, the name, after its `fixed` format and namespace."""
    format = fixed[0]
    if name == "*":
        return GroupPattern(text, fixed, "all")
    if not name or name[-1] not in "~*$":
        raise _invalid(text, "a name ends with '$' (exact), '~' (word prefix) or '*' (prefix)")
    value, suffix = name[:-1], name[-1]
    _check_literal(text, value, "name")
    if not value:
        raise _invalid(text, f"use '*', not {suffix!r}, right after a slash")
    normalized = normalized_name(format, value)
    if normalized != value:
        raise _invalid(
            text, f"CodeArtifact matches {format} names in their normalized form; use {normalized!r}"
        )
    if suffix == "~":
        _check_word_end(text, value)
        return GroupPattern(text, fixed, "word", value)
    return GroupPattern(text, fixed, "prefix" if suffix == "*" else "exact", value)


def _namespace_pattern(text: str, format: str, component: str) -> GroupPattern:
    if component == "*":
        return GroupPattern(text, (format,), "all")
    if not component or component[-1] not in "~*":
        raise _invalid(text, "a namespace ends with '~' (word prefix) or '*' (prefix), or '/' and the name")
    value, suffix = component[:-1], component[-1]
    _check_literal(text, value, "namespace")
    if not value:
        raise _invalid(text, f"use '*', not {suffix!r}, right after a slash")
    if format in NAMESPACELESS:
        raise _invalid(text, f"packages of format {format} have no namespace")
    if format == "swift" and value != value.lower():
        raise _invalid(
            text, "CodeArtifact stores Swift namespaces normalized (lowercase); use the normalized form"
        )
    if suffix == "*":
        return GroupPattern(text, (format,), "prefix", value)
    _check_word_end(text, value)
    return GroupPattern(text, (format,), "word", value)


def _check_literal(text: str, value: str, what: str) -> None:
    reserved = sorted(set(value) & _SYNTAX)
    if reserved:
        raise _invalid(
            text, f"the {what} {value!r} contains {''.join(reserved)!r}, which only ends a pattern"
        )


def _check_word_end(text: str, value: str) -> None:
    # AWS: "A wildcard (*) is required to be used instead of ~ when following a non-word character."
    if not is_word_character(value[-1]):
        raise _invalid(text, f"'~' must follow a letter or digit; after {value[-1]!r} use '*'")


def _invalid(text: str, reason: str) -> ValidationException:
    return ValidationException(f"Invalid package group pattern '{text}': {reason}")


def is_word_character(character: str) -> bool:
    """AWS's word characters: letters, numbers and marks (`[\\p{L}\\p{N}\\p{M}]`)."""
    return unicodedata.category(character)[0] in "LNM"


def starts_with_word(value: str, prefix: str) -> bool:
    """`value` starts with `prefix` and a word boundary follows it (or nothing does)."""
    return value.startswith(prefix) and (
        len(value) == len(prefix) or not is_word_character(value[len(prefix)])
    )


def _component_matches(match: Match, value: str, candidate: str) -> bool:
    if match == "all":
        return True
    if match == "exact":
        return candidate == value
    if match == "prefix":
        return candidate.startswith(value)
    return starts_with_word(candidate, value)


def _within(inner: Match, inner_value: str, outer: Match, outer_value: str) -> bool:
    """Whether every value matching (inner, inner_value) matches (outer, outer_value)."""
    if outer == "all":
        return True
    if inner == "all" or outer == "exact":
        return False  # only an identical pattern fits inside an exact one, and that is excluded
    if outer == "prefix" or inner == "exact":
        return _component_matches(outer, outer_value, inner_value)
    # outer is a word prefix, inner a prefix of either kind: the inner prefix must extend the outer
    # word across a boundary (`abc-*` and `abc-def~` fit in `abc~`; `abc*` does not: it has `abcd`).
    return len(inner_value) > len(outer_value) and starts_with_word(inner_value, outer_value)


def _same(text: str) -> str:
    return text


_SEPARATORS = re.compile(r"[-._]+")


def weak_form(text: str) -> str:
    """The form weak matching compares: case folded, each run of `-`, `.` and `_` made one `.`.

    AWS also folds confusable characters (look-alikes from other alphabets); this service folds
    compatibility forms (NFKC) only, not Unicode's full confusables table.
    """
    return _SEPARATORS.sub(".", unicodedata.normalize("NFKC", text).casefold())


def _matches(pattern: GroupPattern, coordinate: Coordinate, transform: Callable[[str], str]) -> bool:
    depth = len(pattern.fixed)
    for fixed, actual in zip(pattern.fixed, coordinate, strict=False):
        if transform(fixed) != transform(actual):
            return False
    if pattern.match == "all":
        return True
    return _component_matches(pattern.match, transform(pattern.value), transform(coordinate[depth]))


def normalized_name(format: str, name: str) -> str:
    """The name as CodeArtifact stores and matches it: PyPI per PEP 503, NuGet and Swift lowercase."""
    if format == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()
    if format in ("nuget", "swift"):
        return name.lower()
    return name


def coordinate(format: str, namespace: str | None, name: str) -> Coordinate:
    """A package's path components, normalized as package groups match them."""
    space = namespace or ""
    if format == "swift":
        space = space.lower()
    return (format, space, normalized_name(format, name))


def most_specific(patterns: list[GroupPattern], package: Coordinate) -> tuple[GroupPattern, bool] | None:
    """The group a package is associated with, and whether the association is strong.

    A package belongs to the most specific pattern it matches, strongly or weakly: a weak match
    keeps a look-alike of a specific group's package from rolling up to a more general group.
    """
    best: tuple[tuple[tuple[int, int, int, int], bool, str], GroupPattern, bool] | None = None
    for pattern in patterns:
        strong = pattern.matches(package)
        if not strong and not pattern.matches_weakly(package):
            continue
        # Ties (only possible between weak variations of one another) go to a strong match, then
        # to the first pattern in text order, so the answer never depends on storage order.
        rank = (pattern.specificity, strong, _reverse(pattern.text))
        if best is None or rank > best[0]:
            best = (rank, pattern, strong)
    return None if best is None else (best[1], best[2])


def _reverse(text: str) -> str:
    # Inverts text order inside a max(): the smallest text gets the largest key.
    return "".join(chr(0x10FFFF - ord(character)) for character in text)


def parent_of(pattern: GroupPattern, patterns: list[GroupPattern]) -> GroupPattern | None:
    """The direct parent: the most specific other pattern that contains this one."""
    containing = [other for other in patterns if other.contains(pattern)]
    return max(containing, key=lambda other: other.specificity, default=None)


def encode_for_arn(pattern: str) -> str:
    """The pattern as it appears at the end of a package group ARN.

    AWS percent-encodes it with lowercase escapes and keeps `/` and `~`: `/npm/*` becomes
    `/npm/%2a`, `/nuget//alpha$` becomes `/nuget//alpha%24` (AWS's CloudFormation provider reads
    its ARNs that way).
    """
    quoted = urllib.parse.quote(pattern, safe="/~")
    return re.sub(r"%[0-9A-F]{2}", lambda escape: escape.group().lower(), quoted)
