"""The command line's `validate` and `schema` commands, and the error boundary every command runs in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

from reconciler.boundary import ReconcilerGroup, add_debug_option
from reconciler.cli import cli
from reconciler.errors import ManifestError, ReconcilerError

DATA = Path(__file__).parent.parent / "data" / "manifests"


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_validate_counts_manifests_and_entries_of_valid_files() -> None:
    result = run("validate", str(DATA / "valid"))
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "3 manifests, 9 package entries: valid\n",
        "",
    )


def test_validate_speaks_of_one_manifest_and_one_entry_in_the_singular(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(
        "apiVersion: reconciler/v1\nkind: PackageLifecycle\ntarget: {domain: acme, repository: prod}\n"
        "packages: [{format: pypi, name: requests}]\n"
    )
    assert run("validate", str(path)).stdout == "1 manifest, 1 package entry: valid\n"


def test_validate_prints_every_problem_on_stderr_and_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA / "invalid")
    result = run("validate", "duplicate_key.yaml", "duplicate_pin.yaml")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: 3 problems in the manifests\n"
        "duplicate_key.yaml:6: target.repository: duplicate key, first given at line 5\n"
        "duplicate_key.yaml:13: packages[0].rules[0].status: duplicate key, first given at line 12\n"
        'duplicate_pin.yaml:12: packages[0].versions["2.3.1"]: version 2.3.1 is pinned twice, at lines 10 and 12\n'
    )


def test_validate_reports_a_missing_path_without_a_traceback(tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "missing"))
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"Error: 1 problem in the manifests\n{tmp_path / 'missing'}: no such file or directory\n"
    )


def test_validate_refuses_an_alias_bomb_quickly_without_exhausting_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    lines = ["apiVersion: reconciler/v1", "kind: PackageLifecycle", "l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    path.write_text("\n".join(lines) + "\n")

    # Refused by counting, before anything is expanded (expanded, it would exhaust the memory).
    result = run("validate", str(path))

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: 1 problem in the manifests\n{path}:1: document too large or too many aliases\n"
    )


def test_validate_needs_a_path() -> None:
    assert run("validate").exit_code == 1


def test_schema_prints_a_json_schema_of_the_manifest_format() -> None:
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"]
    assert schema["required"] == ["apiVersion", "kind", "target", "packages"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["apiVersion"]["const"] == "reconciler/v1"
    assert set(schema["$defs"]) >= {"Target", "PackageEntry", "Pin", "Rule"}


def _documents(path: Path) -> list[Any]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document is not None]


def test_the_schema_accepts_the_valid_examples_and_refuses_a_typo() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json.loads(run("schema").stdout))
    for path in sorted((DATA / "valid").glob("*.yaml")):
        for document in _documents(path):
            assert list(validator.iter_errors(document)) == [], path
    (typo,) = _documents(DATA / "invalid" / "unknown_keys.yaml")
    assert list(validator.iter_errors(typo))


# --- the error boundary


@click.group(cls=ReconcilerGroup)
def boundary() -> None:
    """A group with the boundary and commands that fail in each way."""


@boundary.command()
def expected() -> None:
    raise ReconcilerError("the plan is stale", "Run plan again.")


@boundary.command()
def manifests() -> None:
    raise ManifestError(["a.yaml:3: target: missing required key"])


@boundary.command()
def bug() -> None:
    raise RuntimeError("boom")


@boundary.command()
def interrupted() -> None:
    raise KeyboardInterrupt


@boundary.command()
def usage() -> None:
    raise click.UsageError("wrong")


add_debug_option(boundary)


def invoke(*args: str) -> Any:
    return CliRunner().invoke(boundary, list(args))


def test_an_expected_error_prints_its_summary_and_detail_and_exits_1() -> None:
    result = invoke("expected")
    assert (result.exit_code, result.stderr) == (1, "Error: the plan is stale\nRun plan again.\n")
    assert (
        invoke("manifests").stderr
        == "Error: 1 problem in the manifests\na.yaml:3: target: missing required key\n"
    )


def test_an_unexpected_error_is_one_line_and_exit_3_without_debug() -> None:
    result = invoke("bug")
    assert result.exit_code == 3
    assert result.stderr == (
        "Error: unexpected RuntimeError: boom\n"
        "This is a bug in reconciler; run again with --debug to see the traceback.\n"
    )


def test_debug_shows_the_traceback_of_an_unexpected_error() -> None:
    result = invoke("--debug", "bug")
    assert result.exit_code == 3
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.rstrip().endswith("RuntimeError: boom")


def test_an_interruption_exits_130() -> None:
    result = invoke("interrupted")
    assert (result.exit_code, result.stderr) == (130, "Interrupted.\n")


def test_usage_errors_exit_1_not_clicks_2_which_means_changes_present() -> None:
    result = invoke("usage")
    assert (result.exit_code, result.stderr) == (
        1,
        "Usage: boundary usage [OPTIONS]\nTry 'boundary usage --help' for help.\n\nError: wrong\n",
    )
