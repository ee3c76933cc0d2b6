"""Saved plan files: written atomically, read back exactly, and a place that cannot hold one is an
expected error naming it."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any, cast

import pytest

from reconciler.errors import PlanFormatError, ReconcilerError
from reconciler.plan import Plan
from reconciler.planfile import plan_document, plan_json, read_plan, write_plan
from reconciler.planner import make_plan
from tests.unit.planning import desired, live, package, ref


def a_plan() -> Plan:
    declared = desired({"format": "npm", "name": "web-sdk", "versions": {"1.0.0": "Archived"}})
    return make_plan(declared, live(package(ref("web-sdk"), {"1.0.0": "Published"})), "local", "us-east-1")


def test_a_plan_is_written_into_folders_it_creates_and_read_back_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "plans" / "nested" / "pr-1.plan.json"
    made = a_plan()

    write_plan(made, path)

    assert read_plan(path) == made
    assert [p.name for p in path.parent.iterdir()] == ["pr-1.plan.json"]


@pytest.mark.parametrize("below", ["p.json", "sub/p.json"])
def test_a_plan_file_below_a_file_is_an_expected_error_naming_the_path(tmp_path: Path, below: str) -> None:
    (tmp_path / "file").write_text("not a folder\n")
    path = tmp_path / "file" / below

    with pytest.raises(ReconcilerError) as raised:
        write_plan(a_plan(), path)

    assert raised.value.summary.startswith(f"cannot write the plan file {path}: ")
    assert "is not a directory" in raised.value.summary or "Not a directory" in raised.value.summary
    assert raised.value.detail == "Its folder must exist or be creatable, and be writable."


def test_a_plan_file_name_too_long_for_the_file_system_is_an_expected_error(tmp_path: Path) -> None:
    path = tmp_path / ("p" * 300 + ".json")

    with pytest.raises(ReconcilerError) as raised:
        write_plan(a_plan(), path)

    assert raised.value.summary == f"cannot write the plan file {path}: File name too long"
    assert raised.value.detail == "Give the plan file a shorter name (-o FILE)."
    assert list(tmp_path.iterdir()) == []


# --- reading what is not a plan: a PlanFormatError naming the file, never another exception


def _valid_document() -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(plan_json(a_plan())))


@pytest.mark.parametrize(
    ("content", "summary", "detail"),
    [
        (
            b"\x89PNG\r\n\x1a\n\x00\x00",
            "is not a plan file",
            "not UTF-8 text: byte 0x89 at offset 0 (line 1)",
        ),
        (
            b'{\n"format_version": 1,\n"x": "\xe9"}',
            "is not a plan file",
            "not UTF-8 text: byte 0xe9 at offset 29 (line 3)",
        ),
        (
            b'{"format_version": 1, "actions": [',
            "is not a plan file",
            "not JSON: Expecting value: line 1 column 35",
        ),
        (b"", "is not a plan file", "not JSON: Expecting value: line 1 column 1"),
        (b"[" * 100_000 + b"]" * 100_000, "is not a plan file", "JSON nested too deeply to read"),
        (b'{"a": ' * 50_000 + b"1" + b"}" * 50_000, "is not a plan file", "JSON nested too deeply to read"),
        (b"[1, 2]", "is not a plan file", "it holds a list, not a JSON object"),
        (b'"plan"', "is not a plan file", "it holds 'plan', not a JSON object"),
        (b"null", "is not a plan file", "it holds nothing, not a JSON object"),
        (b"{}", "is not a plan file", "it has no format_version"),
        (
            b'{"format_version": ' + b"9" * 5000 + b"}",
            "is not a plan file",
            "it holds a number of more than 4300 digits",
        ),
        (b'{"format_version": "1"}', "has no valid plan format version", "Make the plan again"),
        (b'{"format_version": true}', "has no valid plan format version", "Make the plan again"),
        (b'{"format_version": 99}', "has plan format version 99", "Make the plan again"),
    ],
)
def test_a_file_that_is_not_a_plan_is_a_plan_format_error_naming_it(
    tmp_path: Path, content: bytes, summary: str, detail: str
) -> None:
    path = tmp_path / "p.plan.json"
    path.write_bytes(content)

    with pytest.raises(PlanFormatError) as raised:
        read_plan(path)

    assert raised.value.summary.startswith(f"{path} {summary}")
    assert raised.value.detail.startswith(detail)


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("evaluated_at", float("nan"), "evaluated_at: Input should be a finite number"),
        ("created_at", "garbage", "created_at: Value error, 'garbage' is not a time with its UTC offset"),
        ("created_at", "2026-01-15T08:00:00", "created_at: Value error, '2026-01-15T08:00:00' is not a time"),
        ("created_at", 5, "created_at: Input should be a valid string"),
        ("evaluated_at", 1e300, "evaluated_at: Input should be less than or equal to 253402300799"),
        ("evaluated_at", -1.0, "evaluated_at: Input should be greater than or equal to 0"),
        (
            "api_calls",
            {"ListPackages": 10**40},
            "api_calls.ListPackages: Input should be less than or equal to",
        ),
        ("summary", {"to_copy": -1}, "summary.to_copy: Input should be greater than or equal to 0"),
        ("actions", {"kind": "copy"}, "actions: Input should be a valid tuple"),
        (
            "target",
            None,
            "a plan names its target (one Region) or its targets (several), exactly one of them",
        ),
        ("actions", [{"versions": []}], "actions.0.versions: Tuple should have at least 1 item"),
        ("actions", [5], "actions.0: Input should be a JSON object"),
        ("errors", ["x"], "errors.0: Input should be a JSON object"),
    ],
)
def test_a_plan_with_a_value_out_of_its_range_is_refused_with_the_field_named(
    tmp_path: Path, field: str, value: Any, problem: str
) -> None:
    document = _valid_document()
    document[field] = value
    path = tmp_path / "p.plan.json"
    path.write_text(json.dumps(document))

    with pytest.raises(PlanFormatError) as raised:
        read_plan(path)

    assert raised.value.summary == f"{path} is not a valid plan file"
    assert problem in raised.value.detail


def test_a_missing_plan_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PlanFormatError) as raised:
        read_plan(tmp_path / "gone.plan.json")
    assert (
        raised.value.summary
        == f"cannot read plan file {tmp_path / 'gone.plan.json'}: No such file or directory"
    )


def test_a_large_plans_text_is_made_without_holding_every_piece_of_it_at_once() -> None:
    versions = {f"1.{i // 100}.{i % 100}": "Published" for i in range(5000)}
    declared = desired({"format": "npm", "name": "web-sdk", "otherwise": "Archived"})
    plan = make_plan(declared, live(package(ref("web-sdk"), versions)), "local", "us-east-1")
    expected = json.dumps(plan_document(plan), indent=2, sort_keys=True) + "\n"

    tracemalloc.start()
    try:
        text = plan_json(plan)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert text == expected  # json's own text, byte for byte (the digest depends on it)
    # The document and the text, not json's pieces of it all at once (about six times the text).
    assert peak < 3 * len(text)
