"""`reconciler plan` and `reconciler show`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.aws.client import Backend
from reconciler.options import backend_options, concurrency_option
from reconciler.plan import Plan
from reconciler.planfile import read_plan, write_plan
from reconciler.render import RenderFormat, render_plan
from reconciler.workflows.applying import default_plan_path
from reconciler.workflows.planning import plan_for_review

EXIT_CHANGES = 2
FORMATS = click.Choice(["text", "json", "markdown"])


def plan_exit_code(plan: Plan, detailed: bool) -> int:
    """0 no changes, 1 versions that cannot converge, 2 changes (only with --detailed-exitcode)."""
    if plan.errors:
        return 1
    return EXIT_CHANGES if detailed and not plan.is_empty else 0


def echo_plan(plan: Plan, format: RenderFormat, summary: bool) -> None:
    color = format == "text" and sys.stdout.isatty()
    click.echo(render_plan(plan, format, summary_only=summary, color=color), nl=False)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to save the plan (default plans/<UTC time>.plan.json).",
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes, 0 when it has none."
)
@click.option(
    "--format", "format_", type=FORMATS, default="text", show_default=True, help="How to show the plan."
)
@click.option("--summary", is_flag=True, help="One line per package instead of one per version.")
@concurrency_option()
@backend_options
def plan(
    paths: tuple[Path, ...],
    out: Path | None,
    detailed_exitcode: bool,
    format_: RenderFormat,
    summary: bool,
    concurrency: int,
    backend: Backend,
) -> None:
    """Diff the manifests under PATHS against live state, save the plan, and show it."""
    made = plan_for_review(paths, backend, concurrency)
    path = out or default_plan_path()
    write_plan(made, path)
    echo_plan(made, format_, summary)
    if made.applyable:
        click.echo(
            f"Saved the plan to {path}. Apply exactly this plan with: reconciler apply {path}", err=True
        )
    else:
        click.echo(
            f"Saved the plan to {path}. It cannot be applied: fix the versions listed as errors.", err=True
        )
    raise click.exceptions.Exit(plan_exit_code(made, detailed_exitcode))


@click.command()
@click.argument("plan_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format", "format_", type=FORMATS, default="text", show_default=True, help="How to show the plan."
)
@click.option("--summary", is_flag=True, help="One line per package instead of one per version.")
def show(plan_file: Path, format_: RenderFormat, summary: bool) -> None:
    """Show a saved plan again."""
    echo_plan(read_plan(plan_file), format_, summary)
