"""The wording of validation problems: one home for every reader of user files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from reconciler.errors import PlanFormatError
from reconciler.plan import FORMAT_VERSION
from reconciler.planfile import plan_from_document, read_plan
from reconciler.problems import PLAIN, Vocabulary, describe, error_path, humanize, problem_lines, render_path


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    size: int


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[_Item]


def _errors(data: Any) -> list[Any]:
    with pytest.raises(ValidationError) as raised:
        _File.model_validate(data)
    return list(raised.value.errors())


def test_problem_lines_word_a_plan_file_as_the_plan_reader_does(tmp_path: Path) -> None:
    document = {"format_version": FORMAT_VERSION, "actions": [{"kind": "Nope"}], "extra": 1}
    path = tmp_path / "bad.plan.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValidationError) as validated:
        plan_from_document(document)

    with pytest.raises(PlanFormatError) as raised:
        read_plan(path)

    assert raised.value.detail == "\n".join(problem_lines(validated.value))
    assert all(": " in line for line in problem_lines(validated.value))


def test_a_file_without_a_vocabulary_gets_the_common_words() -> None:
    errors = _errors({"items": [{"name": 1, "size": "big", "colour": "red"}]})

    worded = {error_path(error): humanize(error, error_path(error)) for error in errors}

    assert worded == {
        ("items", 0, "name"): "expected a string, got the number 1; quote it",
        ("items", 0, "size"): "expected a whole number, got 'big'",
        ("items", 0, "colour"): "unknown key",
    }


def test_a_vocabulary_names_the_keys_meant_and_what_a_value_must_be() -> None:
    vocabulary = Vocabulary(
        model_at=lambda path: _Item if path[-1:] and isinstance(path[-1], int) else None,
        expected_at=lambda kind, loc: "a list of items" if loc == ("items",) else None,
    )
    (unknown,) = _errors({"items": [{"name": "a", "size": 1, "nmae": "b"}]})
    (not_a_list,) = _errors({"items": "a"})

    assert humanize(unknown, error_path(unknown), vocabulary) == "unknown key (did you mean name?)"
    assert humanize(not_a_list, error_path(not_a_list), vocabulary) == "expected a list of items, got 'a'"
    assert humanize(not_a_list, error_path(not_a_list), PLAIN) == "expected a list, got 'a'"


def test_a_key_that_is_not_plain_is_quoted_so_that_a_problem_stays_one_line() -> None:
    assert render_path(("packages", 0, "versions", "2.3.1")) == 'packages[0].versions["2.3.1"]'
    assert render_path(("target", "domian")) == "target.domian"
    assert render_path(("2026-13-01",)) == "2026-13-01"
    assert render_path(("\r",)) == '["\\r"]'
    assert render_path(("a b", "c.d", "x", "")) == '["a b"]["c.d"].x[""]'
    assert (
        render_path(("packages", 0, "versions", "caf\u00e9\u2028\x85"))
        == 'packages[0].versions["caf\u00e9\\u2028\\u0085"]'
    )
    assert render_path(()) == "document"


def test_a_long_value_is_described_by_its_start_and_size() -> None:
    assert describe(10**50) == "a number of 51 digits"
    assert describe(12) == "the number 12"
    assert describe("x" * 500) == repr("x" * 100) + "... (500 characters)"
    assert describe("short") == "'short'"
