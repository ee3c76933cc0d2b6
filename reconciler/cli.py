"""The `reconciler` command line: the composition root, in the error boundary of `reconciler.boundary`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler import __version__
from reconciler.boundary import ReconcilerGroup, add_debug_option
from reconciler.commands.apply import apply
from reconciler.commands.drift import drift
from reconciler.commands.github import annotations_option
from reconciler.commands.importer import import_
from reconciler.commands.plan import plan, show
from reconciler.contract import describe_commands
from reconciler.local.cli import local
from reconciler.manifest import json_schema, load_manifests

__all__ = ["ReconcilerGroup", "cli", "main"]


@click.group(
    cls=ReconcilerGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="reconciler")
def cli() -> None:
    """Declarative lifecycle of AWS CodeArtifact package versions."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@annotations_option
def validate(paths: tuple[Path, ...]) -> None:
    """Check the manifests under PATHS (files or directories) without calling AWS.

    Every problem of every file is printed as FILE:LINE: field.path: message.
    """
    desired = load_manifests(paths)
    for warning in desired.warnings:  # a protect_in_use glob that matches no file, say
        click.echo(f"Warning: {warning}", err=True)
    manifests = _count(len(desired.manifests), "manifest", "manifests")
    entries = _count(len(desired.entries), "package entry", "package entries")
    click.echo(f"{manifests}, {entries}: valid")


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the manifest format.

    Save it and point your editor at it, e.g. with a first line
    `# yaml-language-server: $schema=manifest.schema.json`.
    """
    click.echo(json.dumps(json_schema(), indent=2))


cli.add_command(plan)
cli.add_command(apply)
cli.add_command(show)
cli.add_command(drift)
cli.add_command(import_)
cli.add_command(local)
# Every command accepts --debug wherever it is written, and says what its exit codes mean.
add_debug_option(cli)
describe_commands(cli)


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def main() -> None:
    cli()
