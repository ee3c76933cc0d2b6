"""Version ordering, major/minor lines, pre-release detection, sort keys and range membership per package
format."""

from __future__ import annotations

import functools
import itertools
import random
from typing import Any, cast

import pytest

from reconciler.codeartifact import Format
from reconciler.versioning import (
    ORDERING,
    ParsedVersion,
    parse_range,
    parse_version,
    version_parser,
    version_sort_key,
)
from reconciler.versioning.parsing import _cmp

# Published orderings (spec section 11), oldest first.
CHAINS: dict[Format, list[str]] = {
    Format.PYPI: ["1.0.dev0", "1.0a1", "1.0rc1", "1.0", "1.0.post1", "1.9", "1.10", "2.0b2", "1!0.1"],
    Format.NPM: [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.0+build.1",
        "1.9.0",
        "1.10.0",
        "2.0.0",
    ],
    Format.MAVEN: [
        "1.0-alpha-1",
        "1.0-beta",
        "1.0-rc1",
        "1.0-SNAPSHOT",
        "1.0",
        "1.0-sp1",
        "1.0.1",
        "1.9",
        "1.10",
        "27.1-android",
        "27.1-jre",
    ],
    Format.NUGET: ["1.0.0-beta", "1.0.0-Beta.2", "1.0.0", "1.0.0.1", "1.9.0", "1.10.0"],
    Format.RUBY: ["1.0.0.a", "1.0.0.pre", "1.0.0.rc1", "1.0.0", "1.9", "1.10", "2.0.0.beta.1"],
    Format.CARGO: ["0.9.0", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0", "1.0.1", "1.10.0"],
    Format.SWIFT: ["1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0", "10.0.0"],
}


def parsed(fmt: Format, text: str) -> ParsedVersion:
    version = parse_version(fmt, text)
    assert version is not None, f"{text!r} should parse as {fmt}"
    return version


@pytest.mark.parametrize("fmt", list(CHAINS))
def test_versions_sort_in_the_published_order_of_their_format(fmt: Format) -> None:
    chain = CHAINS[fmt]
    shuffled = list(reversed(chain))
    random.Random(7).shuffle(shuffled)
    assert [v.text for v in sorted(parsed(fmt, t) for t in shuffled)] == chain
    pairs = itertools.pairwise(chain)
    assert all(parsed(fmt, a) < parsed(fmt, b) and parsed(fmt, b) > parsed(fmt, a) for a, b in pairs)


@pytest.mark.parametrize(
    ("fmt", "versions"),
    [
        (Format.MAVEN, ["1.0", "1-final", "1.0.0", "1-ga"]),
        (Format.PYPI, ["1.0", "1.0.0", "1", "1.0.0.0"]),
        (Format.NPM, ["1.0.0+b", "1.0.0", "1.0.0+a"]),
        (Format.NUGET, ["1.0.0", "1.0", "1.0.0.0"]),
    ],
)
def test_versions_equal_in_their_format_still_sort_in_one_deterministic_order(
    fmt: Format, versions: list[str]
) -> None:
    orders = set()
    for seed in range(20):
        shuffled = versions[:]
        random.Random(seed).shuffle(shuffled)
        orders.add(tuple(v.text for v in sorted(parsed(fmt, t) for t in shuffled)))
    assert orders == {tuple(sorted(versions))}


def test_a_parsed_version_equals_only_the_same_string_of_the_same_format() -> None:
    assert parsed(Format.MAVEN, "1.0") == parsed(Format.MAVEN, "1.0")
    assert parsed(Format.MAVEN, "1.0") != parsed(Format.MAVEN, "1.0.0")
    assert parsed(Format.NPM, "1.0.0") != parsed(Format.CARGO, "1.0.0")
    assert len({parsed(Format.PYPI, "1.0"), parsed(Format.PYPI, "1.0"), parsed(Format.PYPI, "1.0.0")}) == 2


def test_comparing_versions_of_different_formats_is_an_error() -> None:
    with pytest.raises(TypeError):
        _ = parsed(Format.NPM, "1.0.0") < parsed(Format.CARGO, "2.0.0")


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        (Format.NPM, "latest"),
        (Format.NPM, "1.0"),  # univers would coerce this to 1.0.0; npm requires full SemVer
        (Format.NPM, "1.2.3.4"),  # univers would coerce this to 1.2.3+4
        (Format.NPM, "v1.2.3"),
        (Format.NPM, "01.2.3"),
        (Format.NPM, "1.2.3-beta.01"),
        (Format.CARGO, "1.0"),
        (Format.SWIFT, "1"),
        (Format.PYPI, "1.0-SNAPSHOT"),
        (Format.PYPI, "latest"),
        (Format.NUGET, "latest"),
        (Format.NUGET, ""),
        (Format.RUBY, "latest"),
        (Format.RUBY, ""),
        (Format.MAVEN, ""),
        (Format.MAVEN, "   "),
        (Format.NPM, "1.2.3\n"),
        (Format.PYPI, " 1.0"),
        (Format.NUGET, "1.0.0 "),
        (Format.RUBY, "1.0 "),
        (Format.MAVEN, "1.0 beta"),
    ],
)
def test_strings_that_are_not_versions_of_the_format_do_not_parse(fmt: Format, text: str) -> None:
    assert parse_version(fmt, text) is None


def test_maven_orders_every_non_blank_string_so_any_such_version_parses() -> None:
    assert parse_version(Format.MAVEN, "latest") is not None
    assert parsed(Format.MAVEN, "RELEASE") < parsed(Format.MAVEN, "1.0")


def test_generic_versions_have_no_order_and_no_prerelease_notion() -> None:
    assert parse_version(Format.GENERIC, "1.0.0") is None
    assert ORDERING[Format.GENERIC] == "publish time"


def test_every_format_names_the_ordering_plan_lines_quote() -> None:
    assert set(ORDERING) == set(Format)
    assert ORDERING[Format.NPM] == "semver"
    assert ORDERING[Format.PYPI] == "PEP 440"
    assert ORDERING[Format.CARGO] == "semver (Cargo)"


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        (Format.NPM, "1.0.0-rc.1", True),
        (Format.NPM, "1.0.0", False),
        (Format.NPM, "1.0.0+build.5", False),
        (Format.CARGO, "0.3.0-alpha", True),
        (Format.SWIFT, "2.0.0-beta.1", True),
        (Format.PYPI, "1.0a1", True),
        (Format.PYPI, "1.0rc1", True),
        (Format.PYPI, "1.0.dev0", True),
        (Format.PYPI, "1.0.post1", False),
        (Format.PYPI, "1.0.post1.dev0", True),
        (Format.PYPI, "1.0+local", False),
        (Format.MAVEN, "1.0-SNAPSHOT", True),
        (Format.MAVEN, "1.0-alpha-1", True),
        (Format.MAVEN, "1.0-a1", True),
        (Format.MAVEN, "1.0.0-M2", True),
        (Format.MAVEN, "1.0-cr1", True),
        (Format.MAVEN, "2.0.0.RC1", True),
        (Format.MAVEN, "1.0-20240101.120000-3", True),
        (Format.MAVEN, "1.0", False),
        (Format.MAVEN, "1.0-final", False),
        (Format.MAVEN, "1.0-sp1", False),
        (Format.MAVEN, "27.1-jre", False),
        (Format.NUGET, "1.0.0-Beta.2", True),
        (Format.NUGET, "1.0.0.1", False),
        (Format.RUBY, "1.0.0.rc1", True),
        (Format.RUBY, "1.0.0-beta", True),
        (Format.RUBY, "1.0.0", False),
    ],
)
def test_prerelease_detection_follows_each_formats_rules(fmt: Format, text: str, expected: bool) -> None:
    assert parsed(fmt, text).is_prerelease is expected


@pytest.mark.parametrize(
    ("fmt", "text", "line"),
    [
        (Format.NPM, "2.3.4-rc.1", (0, 2, 3)),
        (Format.CARGO, "0.1.9", (0, 0, 1)),
        (Format.PYPI, "2.3.4", (0, 2, 3)),
        (Format.PYPI, "2", (0, 2, 0)),
        (Format.PYPI, "1!2.3", (1, 2, 3)),
        (Format.MAVEN, "2.3.4-SNAPSHOT", (0, 2, 3)),
        (Format.MAVEN, "1.0-beta", (0, 1, 0)),
        (Format.MAVEN, "1-2", (0, 1, 0)),
        (Format.MAVEN, "RELEASE", (0, 0, 0)),
        (Format.NUGET, "2.3.4.5-beta", (0, 2, 3)),
        (Format.RUBY, "2.3.4.rc1", (0, 2, 3)),
        (Format.RUBY, "2", (0, 2, 0)),
    ],
)
def test_versions_group_by_major_and_minor_line(fmt: Format, text: str, line: tuple[int, int, int]) -> None:
    version = parsed(fmt, text)
    assert (version.epoch, version.major, version.minor) == line


def test_a_pep440_epoch_is_part_of_the_major_group() -> None:
    plain, epoch = parsed(Format.PYPI, "2.0"), parsed(Format.PYPI, "1!2.0")
    assert (plain.major, plain.epoch) == (2, 0)
    assert (epoch.major, epoch.epoch) == (2, 1)


def assert_membership(fmt: Format, text: str, inside: list[str], outside: list[str]) -> None:
    version_range = parse_range(fmt, text)
    assert [v for v in inside if not version_range.contains(v)] == []
    assert [v for v in outside if version_range.contains(v)] == []


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("^1.2.0", ["1.2.0", "1.9.9", "1.5.0-beta"], ["1.1.9", "1.2.0-beta", "2.0.0-rc.1", "2.0.0"]),
        ("^0.2.3", ["0.2.3", "0.2.9"], ["0.3.0-0", "0.3.0"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4-0", "0.0.4"]),
        ("^1.2", ["1.2.0-beta", "1.2.0", "1.9.0"], ["1.1.9", "2.0.0-0"]),
        ("~1.2", ["1.2.0", "1.2.9"], ["1.3.0-0", "1.3.0"]),
        ("~1.2.3", ["1.2.3", "1.2.9"], ["1.2.2", "1.3.0"]),
        ("1.x", ["1.0.0-alpha", "1.0.0", "1.99.0"], ["0.9.9", "2.0.0-0"]),
        ("1.2", ["1.2.0", "1.2.9"], ["1.3.0", "1.1.0"]),
        ("1", ["1.0.0", "1.9.9"], ["2.0.0", "0.9.9"]),
        (">1.2", ["1.3.0-alpha", "1.3.0"], ["1.2.9"]),
        ("<=1.2", ["1.2.9"], ["1.3.0-alpha", "1.3.0"]),
        ("<1.2", ["1.1.9"], ["1.2.0-alpha", "1.2.0"]),
        ("<2.0.0", ["1.9.9", "2.0.0-rc.1"], ["2.0.0"]),
        ("<2.0.0-0", ["1.9.9"], ["2.0.0-rc.1", "2.0.0"]),
        (">=1.0.0 <2.0.0", ["1.0.0", "1.5.0"], ["0.9.0", "2.0.0"]),
        (">= 1.0.0  < 2.0.0", ["1.0.0"], ["2.0.0"]),
        (">=1.0.0 <2.0.0 || >=3.0.0", ["1.5.0", "3.0.0", "4.0.0"], ["2.5.0", "0.1.0"]),
        ("^1.2.0 ^2", [], ["1.5.0", "2.0.0", "2.5.0"]),
        ("1.2.3 - 2.3", ["1.2.3", "2.3.9"], ["1.2.2", "2.4.0-0"]),
        ("1.2.3 - 2.3.4", ["1.2.3", "2.3.4", "2.3.4+build"], ["2.3.5-0"]),
        ("=1.2.3", ["1.2.3", "1.2.3+build"], ["1.2.4"]),
        ("1.2.3", ["1.2.3"], ["1.2.4", "1.2.3-rc.1"]),
        ("*", ["0.0.0-0", "9.9.9"], []),
        (">*", [], ["1.0.0"]),
        ("^1.0.0-beta.2", ["1.0.0-beta.2", "1.0.0-beta.10", "1.0.0"], ["1.0.0-beta.1", "2.0.0-0"]),
    ],
)
def test_npm_ranges_follow_node_semver_with_prereleases_taking_part(
    text: str, inside: list[str], outside: list[str]
) -> None:
    assert_membership(Format.NPM, text, inside, outside)


def test_swift_ranges_use_node_semver_syntax() -> None:
    assert_membership(Format.SWIFT, ">=1.2.0 <2.0.0", ["1.2.0", "1.9.0"], ["2.0.0"])
    assert_membership(Format.SWIFT, "^1.2.0", ["1.2.0"], ["2.0.0-rc.1"])


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("^1.2", ["1.2.0", "1.9.9"], ["1.1.0", "2.0.0-rc.1", "2.0.0"]),
        ("1.2", ["1.2.0", "1.9.9"], ["2.0.0"]),  # a bare version is a caret requirement
        ("1.2.*", ["1.2.0", "1.2.9"], ["1.3.0"]),
        ("1.*", ["1.0.0", "1.9.0"], ["2.0.0"]),
        ("~1.2.3", ["1.2.3", "1.2.9"], ["1.3.0"]),
        (">=1, <2", ["1.0.0", "1.9.0"], ["0.9.0", "2.0.0"]),
        ("=1.2.3", ["1.2.3"], ["1.2.4"]),
        ("^0.0", ["0.0.5"], ["0.1.0"]),
        ("*", ["0.1.0", "5.0.0"], []),
    ],
)
def test_cargo_ranges_follow_cargo_requirement_syntax(
    text: str, inside: list[str], outside: list[str]
) -> None:
    assert_membership(Format.CARGO, text, inside, outside)


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        (">=1.0,<2", ["1.0", "1.5a1", "1.9.post1"], ["0.9", "1.0.dev0", "2.0rc1", "2.0"]),
        (">=1.0, <2", ["1.5"], ["2.0"]),
        ("~=1.4", ["1.4", "1.9"], ["1.3", "2.0"]),
        ("==1.*", ["1.0", "1.9.post1"], ["2.0"]),
        ("!=1.5,>=1", ["1.4", "1.6"], ["1.5", "0.9"]),
        (">1.0", ["1.1"], ["1.0", "1.0.post1"]),
        ("==1.0", ["1.0", "1.0.0", "1.0+local"], ["1.0.1"]),
        ("<2", ["1.9"], ["1!0.1", "2.0"]),
    ],
)
def test_pypi_ranges_follow_pep440_specifiers(text: str, inside: list[str], outside: list[str]) -> None:
    assert_membership(Format.PYPI, text, inside, outside)


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("[1.0,2.0)", ["1.0", "1.5", "2.0-SNAPSHOT"], ["1.0-SNAPSHOT", "2.0"]),
        ("(,1.0]", ["0.1", "1.0", "1-final"], ["1.0-sp1", "1.0.1"]),
        ("[1.0]", ["1.0", "1.0.0"], ["1.0.1"]),
        ("[1.0,)", ["1.0", "99"], ["0.9"]),
        ("(1.0,2.0]", ["1.0.1", "2.0"], ["1.0", "2.0.1"]),
        ("(,1.0],[1.2,)", ["0.9", "1.2", "5"], ["1.1"]),
        ("[ 1.0 , 2.0 )", ["1.5"], ["2.0"]),
    ],
)
def test_maven_ranges_follow_maven_interval_syntax(text: str, inside: list[str], outside: list[str]) -> None:
    assert_membership(Format.MAVEN, text, inside, outside)


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("[1.0,2.0)", ["1.0.0", "1.5.0", "2.0.0-beta"], ["0.9.0", "2.0.0"]),
        ("(,1.0]", ["0.1.0", "1.0.0"], ["1.0.0.1"]),
        ("[1.0]", ["1.0.0", "1.0"], ["1.0.1"]),
        ("1.0", ["1.0.0", "5.0.0"], ["0.9.0", "1.0.0-beta"]),  # NuGet: a bare version is the minimum
    ],
)
def test_nuget_ranges_follow_nuget_interval_syntax(text: str, inside: list[str], outside: list[str]) -> None:
    assert_membership(Format.NUGET, text, inside, outside)


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("~> 1.2", ["1.2", "1.9.9"], ["1.1", "1.2.0.rc1", "2.0.0.rc1", "2.0"]),
        ("~> 1.2.3", ["1.2.3", "1.2.9"], ["1.3.0"]),
        (">= 1.0, < 2", ["1.0", "1.5.a", "2.0.0.rc1"], ["0.9", "2.0"]),
        (">= 1.0, != 1.5", ["1.4", "1.6"], ["1.5"]),
        ("1.0", ["1.0", "1.0.0"], ["1.0.1"]),
    ],
)
def test_ruby_ranges_follow_rubygems_requirements(text: str, inside: list[str], outside: list[str]) -> None:
    assert_membership(Format.RUBY, text, inside, outside)


@pytest.mark.parametrize("fmt", [f for f in Format if f is not Format.GENERIC])
def test_a_range_never_contains_a_version_that_does_not_parse(fmt: Format) -> None:
    wide = {
        Format.NPM: "*",
        Format.SWIFT: "*",
        Format.CARGO: "*",
        Format.PYPI: ">=0",
        Format.MAVEN: "(,)",
        Format.NUGET: "0.0",
        Format.RUBY: ">= 0",
    }[fmt]
    assert parse_range(fmt, wide).contains("") is False
    if fmt is not Format.MAVEN:  # Maven orders every non-blank string
        assert parse_range(fmt, wide).contains("not a version!") is False


def test_a_range_accepts_parsed_versions_of_its_own_format_only() -> None:
    version_range = parse_range(Format.NPM, "^1.0.0")
    assert version_range.contains(parsed(Format.NPM, "1.2.0"))
    assert "1.2.0" in version_range
    assert "2.0.0" not in version_range
    with pytest.raises(TypeError):
        version_range.contains(parsed(Format.CARGO, "1.2.0"))


@pytest.mark.parametrize(
    ("fmt", "text", "message"),
    [
        (Format.NPM, "garbage", "invalid npm range 'garbage'"),
        (Format.NPM, "^1.2.3.4", "not a comparator"),
        (Format.NPM, "1.2-beta", "not a comparator"),
        (Format.NPM, "1.2.x-beta", "needs a full major.minor.patch version"),
        (Format.NPM, "^1.0.0 ||", "empty alternative"),
        (Format.NPM, "   ", "the range is empty"),
        (Format.SWIFT, "from: 1.0.0", "invalid swift range"),
        (Format.CARGO, "^1 || ^2", "Cargo requirements have no '||'"),
        (Format.CARGO, ">=1,", "is not a comparator"),
        (Format.PYPI, "1.0", "invalid pypi range '1.0'"),
        (Format.PYPI, ">=1.0;python_version<'3'", "invalid pypi range"),
        (Format.MAVEN, "1.0", "soft requirement"),
        (Format.MAVEN, "[1.0", "Unbounded range"),
        (Format.MAVEN, "[2.0,1.0)", "defies version ordering"),
        (Format.MAVEN, "[1.0,2.0)x", "invalid maven range"),
        (Format.MAVEN, "(1.0)", "invalid maven range"),
        (Format.NUGET, "[abc,)", "'abc' is not a nuget version"),
        (Format.RUBY, "garbage", "not a list of RubyGems requirements"),
        (Format.RUBY, ">= 1.0 < 2", "invalid ruby range"),
    ],
)
def test_invalid_ranges_are_rejected_with_a_readable_message(fmt: Format, text: str, message: str) -> None:
    with pytest.raises(ValueError, match="expected") as caught:
        parse_range(fmt, text)
    assert message in str(caught.value)


def test_generic_packages_have_no_ranges() -> None:
    with pytest.raises(ValueError) as caught:
        parse_range(Format.GENERIC, ">=1.0")
    assert str(caught.value) == "generic packages have no version order; use match/regex or older_than"


def test_a_range_keeps_its_text_and_equals_the_same_range() -> None:
    version_range = parse_range(Format.MAVEN, "[1.0,2.0)")
    assert str(version_range) == "[1.0,2.0)"
    assert version_range == parse_range(Format.MAVEN, "[1.0,2.0)")
    assert version_range != parse_range(Format.NUGET, "[1.0,2.0)")


# --- sort keys: the fast orderings give what comparing the parsed versions gives

SEMVER_FORMATS = (Format.NPM, Format.CARGO, Format.SWIFT)
_IDENTIFIERS = [
    "0",
    "1",
    "2",
    "9",
    "10",
    "01",
    "00",
    "a",
    "A",
    "Z",
    "alpha",
    "beta",
    "rc",
    "x-y",
    "-",
    "1a",
    "a1",
]


def _semver_texts(rng: random.Random, count: int) -> list[str]:
    texts: set[str] = set()
    while len(texts) < count:
        text = f"{rng.choice([0, 1, 2, 10])}.{rng.choice([0, 1, 9, 10])}.{rng.choice([0, 1, 2, 11])}"
        if rng.random() < 0.6:
            text += "-" + ".".join(rng.choice(_IDENTIFIERS) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.3:
            text += "+" + ".".join(rng.choice(_IDENTIFIERS) for _ in range(rng.randint(1, 2)))
        texts.add(text)
    return sorted(texts)


def _univers_order(a: ParsedVersion, b: ParsedVersion) -> int:
    """The order defined in versioning's docstring: univers' precedence, then the text."""
    c = _cmp(a._value, b._value)
    return c or (a.text > b.text) - (a.text < b.text)


@pytest.mark.parametrize("fmt", SEMVER_FORMATS)
def test_the_semver_sort_key_orders_as_univers_then_the_text(fmt: Format) -> None:
    rng = random.Random(f"semver-{fmt}")
    parsed = [p for p in (parse_version(fmt, t) for t in _semver_texts(rng, 1500)) if p is not None]
    rng.shuffle(parsed)
    expected = [p.text for p in sorted(parsed, key=functools.cmp_to_key(_univers_order))]
    assert [p.text for p in sorted(parsed, key=lambda p: cast(Any, p.sort_key))] == expected
    assert [p.text for p in sorted(parsed)] == expected
    for _ in range(5000):
        a, b = rng.choice(parsed), rng.choice(parsed)
        c = _univers_order(a, b)
        assert ((a < b), (a <= b), (a > b), (a >= b)) == (c < 0, c <= 0, c > 0, c >= 0)


def test_the_sort_key_of_other_formats_is_the_version_itself() -> None:
    parsed = parse_version(Format.MAVEN, "1.0-SNAPSHOT")
    assert parsed is not None and parsed.sort_key is parsed


@pytest.mark.parametrize("fmt", [*SEMVER_FORMATS, Format.PYPI, Format.MAVEN, Format.GENERIC])
def test_version_parser_parses_as_parse_version(fmt: Format) -> None:
    parse = version_parser(fmt)
    for text in ["1.0.0", "1.0", "1.0.0-rc.1", "2.0a1", "not a version", ""]:
        assert parse(text) == parse_version(fmt, text)


def test_version_sort_key_puts_versions_that_do_not_parse_last_in_text_order() -> None:
    texts = ["1.10.0", "latest", "1.9.0", "1.0", "1.9.0-rc.1"]
    ordered = sorted(texts, key=functools.partial(version_sort_key, Format.NPM))
    assert ordered == ["1.9.0-rc.1", "1.9.0", "1.10.0", "1.0", "latest"]
