"""Invariants across the codebase: vocabulary, documentation and import direction."""

from __future__ import annotations

import ast
from pathlib import Path

import botocore.session
import click
import pytest

from reconciler.cli import cli
from reconciler.plan import ActionKind

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "reconciler"
READ_OPERATIONS = ("DescribeDomain", "ListPackages", "ListPackageVersions", "DescribePackageVersion")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("kind", list(ActionKind))
def test_every_action_kind_names_a_real_operation_and_a_documented_permission(kind: ActionKind) -> None:
    model = botocore.session.get_session().get_service_model("codeartifact")
    assert kind.operation in model.operation_names
    assert f'"{kind.permission}"' in (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("operation", READ_OPERATIONS)
def test_every_read_the_reconciler_makes_is_in_the_read_only_policy(operation: str) -> None:
    assert f'"codeartifact:{operation}"' in (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    # Through click's own listing: the program's commands are loaded as they are asked for.
    found = []
    context = click.Context(group)
    for name in sorted(group.list_commands(context)):
        command = group.get_command(context, name)
        assert command is not None, name
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{prefix}{name} "))
    return found


@pytest.mark.parametrize(("name", "command"), _commands(cli), ids=str)
def test_every_command_has_help_and_is_in_the_readme(name: str, command: click.Command) -> None:
    assert command.help and len(command.help.strip()) > 20
    assert f"reconciler {name}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_only_the_aws_adapter_and_the_local_service_import_boto() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(("aws/", "local/")):
            continue
        if any(name.split(".")[0] in ("boto3", "botocore") for name in _imports(path)):
            offenders.append(relative)
    assert offenders == []


def test_the_pure_core_does_no_io_and_never_imports_the_adapters() -> None:
    pure = [
        "addresses.py",
        "applier.py",
        "diff.py",
        "drift.py",
        "importer.py",
        "limits.py",
        "models.py",
        "plan.py",
        "planner.py",
        "problems.py",
        "rules.py",
        "scope.py",
        "staleness.py",
        "state.py",
        "text.py",
        "versioning/__init__.py",
        "versioning/parsing.py",
        "versioning/ranges.py",
    ]
    for name in pure:
        imported = _imports(PACKAGE / name)
        assert not any(
            module.startswith(("reconciler.aws", "reconciler.local", "reconciler.commands"))
            for module in imported
        ), name
        assert not imported & {"boto3", "botocore", "sqlite3", "click", "subprocess", "socket", "gc", "os"}, (
            name
        )
