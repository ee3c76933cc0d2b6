"""`version_sort_keys`, the dict-backed keys a plan sorts a package's versions with, orders exactly as
`version_sort_key` does, for every format, however full its cache is."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.codeartifact import Format
from reconciler.versioning import parsing, version_sort_key, version_sort_keys

# Versions of every shape: SemVer with pre-releases and builds, PEP 440, Maven qualifiers, and text
# no format parses.
parts = st.integers(min_value=0, max_value=12).map(str)
versions = st.one_of(
    st.builds(lambda a, b, c: f"{a}.{b}.{c}", parts, parts, parts),
    st.builds(
        lambda a, b, c, pre: f"{a}.{b}.{c}-{pre}",
        parts,
        parts,
        parts,
        st.sampled_from(["rc.1", "alpha", "b.2"]),
    ),
    st.builds(lambda a, b: f"{a}.{b}", parts, parts),
    st.builds(lambda a, q: f"{a}.0-{q}", parts, st.sampled_from(["SNAPSHOT", "sp1", "beta-2", "M1"])),
    st.builds(lambda a, b: f"{a}.{b}rc1", parts, parts),
    st.text(max_size=6),
)


@settings(max_examples=80)
@given(st.sampled_from(list(Format)), st.lists(versions, max_size=40, unique=True))
def test_sorting_with_the_dict_keys_orders_as_the_cached_function_does(fmt: Format, texts: list[str]) -> None:
    assert sorted(texts, key=version_sort_keys(fmt, texts)) == sorted(
        texts, key=lambda text: version_sort_key(fmt, text)
    )


def test_a_full_cache_is_replaced_and_a_sort_in_progress_keeps_its_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parsing, "_SORT_KEYS_SIZE", 5)
    monkeypatch.setattr(parsing, "_SORT_KEYS", {})
    first = ["1.0.0", "0.9.0", "1.0.0-rc.1"]
    key = version_sort_keys(Format.NPM, first)

    second = ["2.0.0", "0.1.0", "x", "3.0.0"]  # 3 + 4 > 5: a new dict, the first one left whole
    assert sorted(second, key=version_sort_keys(Format.NPM, second)) == ["0.1.0", "2.0.0", "3.0.0", "x"]
    assert sorted(first, key=key) == ["0.9.0", "1.0.0-rc.1", "1.0.0"]
    assert len(parsing._SORT_KEYS[Format.NPM]) == 4


def test_a_sort_of_more_versions_than_the_cache_holds_leaves_nothing_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parsing, "_SORT_KEYS_SIZE", 5)
    monkeypatch.setattr(parsing, "_SORT_KEYS", {})
    texts = [f"1.0.{patch}" for patch in range(7, 0, -1)]
    expected = ["1.0.1", "1.0.2", "1.0.3", "1.0.4", "1.0.5", "1.0.6", "1.0.7"]
    assert sorted(texts, key=version_sort_keys(Format.NPM, texts)) == expected
    assert parsing._SORT_KEYS == {}
