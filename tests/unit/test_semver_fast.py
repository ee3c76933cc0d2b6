"""`versioning.semver.read`, the SemVer reading every npm, cargo and swift version goes through, gives
what univers' strict constructor gives for any text: the same versions refused, the same major, minor
and pre-release flag, and keys that order as univers' precedence then the text."""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconciler.codeartifact import Format
from reconciler.versioning import parse_version, parsing, semver

numbers = st.one_of(
    st.sampled_from(["0", "1", "2", "9", "10", "00", "01", "007", "123", "\u0663", "0\u0663", "\uff11"]),
    st.integers(min_value=0, max_value=10**20).map(str),
    st.integers(min_value=600, max_value=700).map(lambda length: "9" * length),
)
identifiers = st.one_of(
    st.sampled_from(["", "0", "00", "01", "1", "10", "alpha", "beta", "rc", "x-y", "-", "A", "a1", "1a"]),
    st.text(alphabet="0123456789abcXYZ-", max_size=4),
)
dotted = st.lists(identifiers, min_size=1, max_size=4).map(".".join)
versions = st.one_of(
    st.builds(
        lambda major, minor, patch, pre, build: f"{major}.{minor}.{patch}{pre}{build}",
        numbers,
        numbers,
        numbers,
        st.one_of(st.just(""), dotted.map(lambda text: "-" + text)),
        st.one_of(st.just(""), dotted.map(lambda text: "+" + text)),
    ),
    st.text(alphabet="0123456789.-+abrcv \n", max_size=14),
    st.text(max_size=8),
)


def _univers(text: str) -> tuple[int, int, bool] | None:
    try:
        value, major, minor, _, prerelease = parsing._parse_semver_univers(text)
    except Exception:
        return None
    assert value.precedence_key is not None
    return major, minor, prerelease


@settings(max_examples=1000)
@given(versions)
@example("1.2.3\n")
@example("1.2.3-")
@example("1.2.3+")
@example("1.2.3-a..b")
@example("1.2.3+a..b")
@example("1.2.3+01")
@example("1.2.3-01")
@example("\u0663.0.0")
@example("\u0660\u0661.0.0")
@example("1" * 5000 + ".0.0")
@example("1.0.0-" + "1" * 5000)
@example("1.0.0+" + "1" * 5000)
@example("1.0.0+a" + "1" * 5000)
def test_read_accepts_and_refuses_as_univers_does(text: str) -> None:
    read = semver.read(text)
    assert (read[:3] if read is not None else None) == _univers(text)


def _univers_order(a: str, b: str) -> int:
    va, vb = parsing._versions.EnhancedSemanticVersion(a), parsing._versions.EnhancedSemanticVersion(b)
    c = parsing._cmp(va, vb)
    return c or (a > b) - (a < b)


# Versions close to one another, so that the order is decided by every part in turn.
close_identifiers = st.sampled_from(["0", "2", "10", "a", "B", "b", "a-1", "-", "a-"])
close = st.builds(
    lambda numbers, pre, build: ".".join(numbers) + pre + build,
    st.lists(st.sampled_from(["0", "10", "9", "\u0669"]), min_size=3, max_size=3),
    st.one_of(
        st.just(""), st.lists(close_identifiers, min_size=1, max_size=2).map(lambda p: "-" + ".".join(p))
    ),
    st.sampled_from(["", "+1", "+b.2"]),
)


@settings(max_examples=200)
@given(st.lists(close, min_size=2, max_size=30, unique=True), st.lists(versions, max_size=10))
def test_read_keys_order_as_univers_precedence_then_the_text(texts: list[str], more: list[str]) -> None:
    valid = list({text: None for text in texts + more if _univers(text) is not None})
    by_key: Any = lambda text: semver.read(text)[3]  # noqa: E731
    assert sorted(valid, key=by_key) == sorted(valid, key=functools.cmp_to_key(_univers_order))


@settings(max_examples=200)
@given(versions)
def test_a_parsed_semver_version_has_the_univers_value_only_when_asked(text: str) -> None:
    parsed = parsing._parse(Format.NPM, text)
    if parsed is None:
        return
    assert parsed.univers is None
    assert parsed._value == parsing._versions.EnhancedSemanticVersion(text)


def test_the_cache_keeps_at_most_its_size_and_parses_the_same_after_a_clear(monkeypatch: Any) -> None:
    monkeypatch.setattr(parsing, "_PARSE_CACHE_SIZE", 4)
    parse = parsing._cached_parser(Format.NPM)
    texts = [f"1.0.{patch}" for patch in range(10)]
    first = [parse(text) for text in texts]
    cache = parse.__closure__ and next(
        cell.cell_contents for cell in parse.__closure__ if isinstance(cell.cell_contents, dict)
    )
    assert isinstance(cache, dict) and len(cache) <= 4
    assert [parse(text) for text in texts] == first == [parse_version(Format.NPM, text) for text in texts]


@settings(max_examples=200)
@given(st.sampled_from(list(Format)), close, close)
def test_parsed_versions_are_equal_by_format_and_text_only_whatever_their_fields(
    fmt: Format, a: str, b: str
) -> None:
    # ParsedVersion is a tuple underneath: equality, inequality and hashing must still be its own.
    first, second = parse_version(fmt, a), parse_version(fmt, b)
    if first is None or second is None:
        return
    assert (first == second) is (a == b)
    assert (first != second) is (a != b)
    assert (hash(first) == hash(second)) or a != b
    again = parse_version(fmt, a)
    assert first == again
    assert not first != again  # noqa: SIM202 (the inequality itself is under test)
    assert repr(first).startswith(f"ParsedVersion(format={fmt!r}, text={a!r}")
