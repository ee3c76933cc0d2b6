"""The `reconciler` command line: the composition root, in the error boundary of `reconciler.boundary`."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import click

from reconciler import __version__
from reconciler.boundary import ReconcilerGroup, add_debug_option
from reconciler.commands.github import annotations_option
from reconciler.contract import describe_commands
from reconciler.manifest import json_schema, load_manifests

__all__ = ["ReconcilerGroup", "cli", "main"]

# Where each command is, loaded only when it is asked for (or help lists them all): loading every
# command's modules was about a quarter of each run's start-up (0.63 s of CPU against 0.48 s for
# what `plan` needs: drift's, import's and the local service's modules are not among it).
COMMAND_MODULES = {
    "plan": "reconciler.commands.plan:plan",
    "apply": "reconciler.commands.apply:apply",
    "show": "reconciler.commands.plan:show",
    "drift": "reconciler.commands.drift:drift",
    "import": "reconciler.commands.importer:import_",
    "local": "reconciler.local.cli:local",
}


class _Commands(ReconcilerGroup):
    """The program's group: the commands of `COMMAND_MODULES` are added, with `--debug` and their
    place in the contract, when first asked for (click's `list_commands` and `get_command`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unloaded = dict(COMMAND_MODULES)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._unloaded})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = self._unloaded.pop(cmd_name, None)
        if where is not None:
            module, _, name = where.partition(":")
            command: click.Command = getattr(importlib.import_module(module), name)
            add_debug_option(command)
            describe_commands(command, cmd_name)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_Commands,
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


# Every command accepts --debug wherever it is written, and says what its exit codes mean (the
# commands of COMMAND_MODULES as they are loaded).
add_debug_option(cli)
describe_commands(cli)


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def main() -> None:
    cli()
