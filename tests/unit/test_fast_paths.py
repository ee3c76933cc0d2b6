"""The shortcuts that make reading and planning a million versions fast give exactly what the plain
constructions and comparisons give."""

from __future__ import annotations

import functools
import gc
import json
import random
from typing import Any, cast

import pytest

from reconciler.codeartifact import Format, Status
from reconciler.gcpause import gc_paused
from reconciler.plan import Action, ActionKind, PackageAddress, VersionChange
from reconciler.planner import _action, _version_change, version_sort_key
from reconciler.state import VersionState, version_state
from reconciler.versioning import ParsedVersion, _cmp, parse_version, version_parser

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


def test_a_version_change_built_without_validation_is_the_validated_one() -> None:
    values = {
        "version": "1.2.3",
        "prior_status": Status.PUBLISHED,
        "prior_revision": "rev",
        "after": Status.ARCHIVED,
        "reason": "rule 1 at m.yaml:3",
    }
    fast = _version_change("1.2.3", Status.PUBLISHED, "rev", Status.ARCHIVED, "rule 1 at m.yaml:3")
    slow = VersionChange(**values)  # type: ignore[arg-type]
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert fast.model_dump() == slow.model_dump() and fast.model_dump_json() == slow.model_dump_json()
    assert fast.model_fields_set == slow.model_fields_set
    assert VersionChange.model_validate_json(fast.model_dump_json()) == slow


def test_copying_a_change_built_without_validation_leaves_the_shared_fields_set_alone() -> None:
    first = _version_change("1.0.0", Status.PUBLISHED, "a", Status.UNLISTED, "why")
    second = _version_change("2.0.0", Status.PUBLISHED, "b", Status.UNLISTED, "why")
    copied = first.model_copy(update={"reason": "other"})
    assert copied.reason == "other" and first.reason == "why"
    assert first.model_fields_set == second.model_fields_set == set(VersionChange.model_fields)
    with pytest.raises(Exception, match="frozen"):
        first.reason = "changed"


def test_an_action_built_without_validation_is_the_validated_one() -> None:
    package = PackageAddress(domain="acme", repository="prod", format=Format.NPM, package="web")
    versions = (
        _version_change("1.0.0", Status.PUBLISHED, "a", Status.UNLISTED, "why"),
        _version_change("1.1.0", Status.PUBLISHED, "b", Status.UNLISTED, "why"),
    )
    fast = _action(
        ActionKind.UPDATE_STATUS, package, Status.PUBLISHED, Status.UNLISTED, versions, None, False, False
    )
    slow = Action(
        kind=ActionKind.UPDATE_STATUS,
        package=package,
        expected_status=Status.PUBLISHED,
        target_status=Status.UNLISTED,
        versions=versions,
        source_repository=None,
        allow_overwrite=False,
        include_from_upstream=False,
    )
    assert fast == slow and repr(fast) == repr(slow)
    assert json.loads(fast.model_dump_json()) == json.loads(slow.model_dump_json())
    assert fast.request() == slow.request()
    assert fast.model_copy(update={"versions": versions[:1]}).versions == versions[:1]
    assert fast.versions == versions


def test_version_state_builds_the_dataclass() -> None:
    fast = version_state("1.0.0", "rev", Status.UNLISTED, "EXTERNAL", 4)
    slow = VersionState("1.0.0", "rev", Status.UNLISTED, "EXTERNAL", 4)
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    with pytest.raises(AttributeError):
        fast.status = Status.PUBLISHED  # type: ignore[misc]


def test_gc_paused_pauses_collection_and_restores_it() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_gc_paused_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_gc_paused_leaves_frozen_objects_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with gc_paused():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
