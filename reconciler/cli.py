"""The `reconciler` command line: the composition root and the one place that picks exit codes."""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

import click

from reconciler import __version__
from reconciler.commands.apply import apply
from reconciler.commands.drift import drift
from reconciler.commands.importer import import_
from reconciler.commands.plan import plan, show
from reconciler.errors import ReconcilerError
from reconciler.local.cli import local
from reconciler.manifest import json_schema, load_manifests

EXIT_ERROR = 1
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class ReconcilerGroup(click.Group):
    """A click group that is the error boundary of every command below it.

    A `ReconcilerError` prints `Error: summary` and its detail on stderr and exits 1; any other
    exception is a bug: one line on stderr and exit 3, with the traceback only under `--debug`;
    Ctrl-C exits 130. Click's own exceptions (usage errors, `ctx.exit`) pass through unchanged.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except ReconcilerError as exc:
            click.echo(f"Error: {exc.summary}", err=True)
            if exc.detail:
                click.echo(exc.detail, err=True)
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            click.echo(f"Error: unexpected {type(exc).__name__}: {exc}", err=True)
            if ctx.find_root().params.get("debug"):
                click.echo(traceback.format_exc().rstrip(), err=True)
            else:
                click.echo(
                    "This is a bug in reconciler; run again with --debug to see the traceback.", err=True
                )
            ctx.exit(EXIT_INTERNAL)


@click.group(
    cls=ReconcilerGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="reconciler")
@click.option("--debug", is_flag=True, help="Show the traceback of unexpected errors.")
def cli(debug: bool) -> None:
    """Declarative lifecycle of AWS CodeArtifact package versions."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check the manifests under PATHS (files or directories) without calling AWS.

    Every problem of every file is printed as FILE:LINE: field.path: message; the exit code is 1 if
    there is any.
    """
    desired = load_manifests(paths)
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


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def main() -> None:
    cli()
