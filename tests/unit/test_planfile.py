"""Saved plan files: written atomically, read back exactly, and a place that cannot hold one is an
expected error naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ReconcilerError
from reconciler.plan import Plan
from reconciler.planfile import read_plan, write_plan
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


def test_a_plan_file_name_too_long_for_the_file_system_is_an_expected_error(tmp_path: Path) -> None:
    path = tmp_path / ("p" * 300 + ".json")

    with pytest.raises(ReconcilerError) as raised:
        write_plan(a_plan(), path)

    assert raised.value.summary == f"cannot write the plan file {path}: File name too long"
    assert list(tmp_path.iterdir()) == []
