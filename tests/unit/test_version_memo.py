"""`VersionMemo`, which reads each version of a package too large for the parse cache once for every
use a plan makes of it, gives what `parse_version` and `version_sort_key` give for any text, read
the first time or again; and a plan made with it is the plan made without it, byte for byte."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconciler import planner
from reconciler.codeartifact import Format
from reconciler.planfile import plan_json
from reconciler.planner import make_plan
from reconciler.versioning import ParsedVersion, parse_version, parsing, version_memo, version_sort_key
from tests.unit.planning import desired, live, package, ref
from tests.unit.test_semver_fast import versions

SEMVER = [Format.NPM, Format.CARGO, Format.SWIFT]


def _fields(parsed: ParsedVersion | None) -> tuple[object, ...] | None:
    # ParsedVersion's own == compares format and text only: every field is compared here.
    return None if parsed is None else tuple(parsed)


@settings(max_examples=300)
@given(st.sampled_from(SEMVER), st.lists(versions, max_size=30))
@example(Format.NPM, ["1.2.3", "1.2.3-rc.1", "10.20.30-1.a", "\u0663.0.0", "1.2.3\n", "v1", "1.0"])
@example(Format.NPM, ["9" * 700 + ".0.0-beta", "1." + "9" * 650 + ".2"])
def test_a_version_read_once_or_again_is_what_parse_version_gives(fmt: Format, texts: list[str]) -> None:
    memo = parsing.VersionMemo(fmt)
    for text in [*texts, *texts]:  # the second time, rebuilt from the key
        assert _fields(memo.parse(text)) == _fields(parse_version(fmt, text))


@settings(max_examples=200)
@given(st.sampled_from(SEMVER), st.lists(versions, max_size=30, unique=True), st.booleans())
def test_a_memo_orders_as_version_sort_key(fmt: Format, texts: list[str], read_first: bool) -> None:
    memo = parsing.VersionMemo(fmt)
    if read_first:
        for text in texts[::2]:
            memo.parse(text)
    assert memo.sorted(texts) == sorted(texts, key=lambda text: version_sort_key(fmt, text))


def test_a_memo_is_made_only_past_the_cache_and_for_semver_formats() -> None:
    size = parsing._PARSE_CACHE_SIZE
    assert version_memo(Format.NPM, size) is None
    assert isinstance(version_memo(Format.NPM, size + 1), parsing.VersionMemo)
    assert isinstance(version_memo(Format.CARGO, size + 1), parsing.VersionMemo)
    assert version_memo(Format.PYPI, size + 1) is None
    assert version_memo(Format.GENERIC, size + 1) is None


def test_a_large_package_is_planned_as_without_the_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    # Rules that parse (pre-release, keep_latest per major and minor; versions read again by later
    # rules), pins of versions absent from
    # the package (sorted with the rest), versions that do not parse, and a copy rule that reads
    # another package's versions with the cache.
    statuses = ["Published", "Unlisted", "Archived"]
    versions = {
        f"{major}.{minor}.{patch}{pre}": statuses[(major + minor + patch) % 3]
        for major in range(4)
        for minor in range(5)
        for patch in range(4)
        for pre in ("", "-rc.1", "-alpha")
    }
    versions.update({"x": "Published", "1.0": "Published", "01.0.0": "Unlisted"})
    state = desired(
        {
            "format": "npm",
            "name": "big",
            "versions": {"9.9.9": "Published", "1.1.1": "Archived"},
            "rules": [
                {"prerelease": True, "keep_latest": 2, "per": "minor", "status": "Unlisted"},
                {"copy_from": "staging", "keep_latest": 1, "status": "Published"},
                {"prerelease": False, "keep_latest": 3, "per": "major", "status": "Published"},
                {"prerelease": True, "match": "2.*", "status": "Unlisted"},
            ],
            "otherwise": "Archived",
        }
    )
    source = package(ref("big", repository="staging"), {"3.4.4": "Published", "5.0.0": "Published"})
    current = live(package(ref("big"), versions), source)

    def plan_text() -> str:
        return plan_json(make_plan(state, current, endpoint="https://example", region="us-east-1"))

    monkeypatch.setattr(parsing, "_PARSE_CACHE_SIZE", 16)
    used: list[object] = []
    monkeypatch.setattr(planner, "version_memo", lambda *args: used.append(version_memo(*args)) or used[-1])
    with_memo = plan_text()
    assert any(isinstance(memo, parsing.VersionMemo) for memo in used)
    monkeypatch.setattr(planner, "version_memo", lambda *args: None)
    assert with_memo == plan_text()
