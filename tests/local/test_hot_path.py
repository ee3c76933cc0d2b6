"""The fast paths of the request cycle agree with the plain ones they stand in for."""

from __future__ import annotations

import itertools
import json
import sqlite3
from typing import Any
from urllib.parse import parse_qsl

import pytest

from reconciler.local.context import ORIGIN_JSON, ORIGIN_JSON_IN_REPOSITORY, JsonText, origin
from reconciler.local.protocol import (
    _all_valid,
    _check,
    _query_pairs,
    _validator,
    _Violations,
    load_service_model,
    serialize_result,
)

STRINGS = [
    "",
    "1.0.0",
    "2.0.0-rc.1+build.5",
    "a b",
    "a\tb",
    "a\x1cb",
    "a\u00a0b",
    "a\u2028b",
    "#tag",
    "a/b",
    "é文",
    "x" * 50,
    "x" * 51,
    "y" * 255,
    "y" * 256,
    "QBWhl767XcT9vQNPS+/IS4GxfLVaveubrbdT/CHQfRg=",
    "Published",
    "published",
    "111122223333",
    "\x00",
    "\ud800",
]
OTHERS: list[Any] = [None, 0, 1, -1, 1001, True, 1.5, b"bytes", [], {}]


def _shapes() -> list[Any]:
    model = load_service_model()
    seen: dict[str, Any] = {}
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        if shape is not None:
            for member in shape.members.values():
                seen.setdefault(member.name, member)
    return list(seen.values())


def _samples(shape: Any) -> list[Any]:
    kind = shape.type_name
    if kind == "list":
        items = _samples(shape.member)
        return [[], *([item] for item in items), items[:3], items, [items[1], None], "not a list"]
    if kind == "map":
        keys = [key for key in _samples(shape.key) if isinstance(key, str)]
        values = _samples(shape.value)
        return [{}, *({key: value} for key, value in zip(keys, itertools.cycle(values), strict=False)), "x"]
    if kind == "structure":
        return [{}, {"unknown": 1}, "x"]
    return STRINGS + OTHERS


def _slow_is_valid(shape: Any, value: Any) -> bool:
    violations = _Violations()
    _check(shape, value, "member", violations)
    return not violations.messages


@pytest.mark.parametrize("shape", _shapes(), ids=lambda shape: shape.name)
def test_the_fast_check_never_accepts_what_the_full_check_refuses(shape: Any) -> None:
    fast = _validator(shape)
    for value in _samples(shape):
        if fast(value):
            assert _slow_is_valid(shape, value), (shape.name, value)


@pytest.mark.parametrize(
    "shape", [s for s in _shapes() if s.type_name == "list"], ids=lambda shape: shape.name
)
def test_bulk_string_checks_agree_with_one_check_per_item(shape: Any) -> None:
    items = _all_valid(shape.member, 0)
    one = _validator(shape.member)
    candidates = STRINGS + OTHERS
    for size in (1, 2, 3):
        for combination in itertools.combinations(candidates, size):
            values = list(combination)
            assert items(values) == all(one(value) for value in values), values


def test_the_fast_check_accepts_a_typical_batch() -> None:
    model = load_service_model()
    shape = model.operation_model("UpdatePackageVersionsStatus").input_shape
    members = shape.members
    versions = [f"1.{i}.0" for i in range(100)]
    assert _validator(members["versions"])(versions)
    assert _validator(members["versionRevisions"])(dict.fromkeys(versions, "QBWhl767XcT9vQ+/IS4Gx="))
    assert not _validator(members["versions"])([*versions, "1.0.0 beta"])
    assert not _validator(members["versions"])([f"1.{i}" for i in range(101)])


def test_json_text_members_are_spliced_into_the_body_as_they_are() -> None:
    operation = load_service_model().operation_model("ListPackageVersions")

    response = serialize_result(
        operation,
        {"format": "npm", "package": "é", "versions": JsonText('[{"version":"1.0.0"}]'), "nextToken": None},
    )

    assert json.loads(response.body) == {"format": "npm", "package": "é", "versions": [{"version": "1.0.0"}]}


@pytest.mark.parametrize(
    ("entry_repository", "entry_external_connection", "origin_type"),
    list(
        itertools.product(
            [None, "", "staging"], [None, "", "public:npmjs"], ["INTERNAL", "EXTERNAL", "UNKNOWN"]
        )
    ),
)
def test_origin_built_by_sqlite_is_the_origin_built_in_python(
    entry_repository: str | None, entry_external_connection: str | None, origin_type: str
) -> None:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    row = conn.execute(
        f"""SELECT *, {ORIGIN_JSON} AS built FROM (SELECT ? AS entry_repository,
                   ? AS entry_external_connection, ? AS origin_type)""",
        (entry_repository, entry_external_connection, origin_type),
    ).fetchone()

    assert row["built"] == json.dumps(origin(row), separators=(",", ":"))


@pytest.mark.parametrize("listed", ["staging", None])
@pytest.mark.parametrize(
    ("entry_repository", "entry_external_connection", "origin_type"),
    list(
        itertools.product(
            [None, "", "staging", "other"], [None, "", "public:npmjs"], ["INTERNAL", "EXTERNAL", "UNKNOWN"]
        )
    ),
)
def test_the_origin_of_a_listed_repository_is_the_origin_built_in_python(
    listed: str | None, entry_repository: str | None, entry_external_connection: str | None, origin_type: str
) -> None:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    row = conn.execute(
        f"""SELECT *, {ORIGIN_JSON_IN_REPOSITORY} AS built FROM (SELECT ? AS entry_repository,
                   ? AS entry_external_connection, ? AS origin_type)""",
        (listed, listed, entry_repository, entry_external_connection, origin_type),
    ).fetchone()

    assert row["built"] == json.dumps(origin(row), separators=(",", ":"))


@pytest.mark.parametrize(
    "query",
    [
        "",
        "domain=acme&repository=staging&format=npm&package=left-pad",
        "a=1&a=2&b",
        "a=&=b&&c==d&",
        "x=é文&y=a;b&z=a/b?c",
        "a=1%202&b=x+y",
        "next-token=eyJrIjpbIjEuMC4wIl19%3D%3D&max-results=10",
    ],
)
def test_the_query_string_fast_path_is_parse_qsl(query: str) -> None:
    assert _query_pairs(query) == parse_qsl(query, keep_blank_values=True)
