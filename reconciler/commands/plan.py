"""`reconciler plan` and `reconciler show`."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from reconciler.aws.client import Backend
from reconciler.commands.github import annotations_option, current_reporting
from reconciler.files import is_special
from reconciler.options import (
    STDOUT,
    ColorPolicy,
    backend_options,
    color_option,
    concurrency_option,
    out_option,
    output_option,
    refuse_warnings,
    strict_option,
)
from reconciler.plan import Plan
from reconciler.planfile import digest_of, plan_digest, plan_json, read_plan, write_plan
from reconciler.render import RenderFormat, render_plan, render_plan_markdown
from reconciler.workflows.applying import default_plan_path
from reconciler.workflows.planning import plan_for_review, refused_by_default_limits

EXIT_CHANGES = 2
FORMATS = ("text", "json", "markdown")


def plan_exit_code(plan: Plan, detailed: bool) -> int:
    """0 no changes, 1 versions that cannot converge, 2 changes (only with --detailed-exitcode)."""
    if plan.errors:
        return 1
    return EXIT_CHANGES if detailed and not plan.is_empty else 0


def echo_plan(
    plan: Plan, format: RenderFormat, summary: bool, color: bool, err: bool = False, digest: str | None = None
) -> None:
    """The plan's view on stdout (stderr with `err`); `color` only applies to the text view.
    `digest` is the plan's, when known (else the view computes it)."""
    text = render_plan(plan, format, summary_only=summary, color=color and format == "text", digest=digest)
    click.echo(text, nl=False, err=err)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@out_option(
    "Where to save the plan (default plans/<UTC time>.plan.json); '-' writes it to stdout and the "
    "view to stderr. A FIFO or device is written into, a symbolic link's target is replaced whole."
)
@click.option(
    "--no-save", is_flag=True, help="Show the plan without saving it (like `terraform plan` without -out)."
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes, 0 when it has none."
)
@output_option(*FORMATS, help="How to show the plan.")
@click.option("--summary", is_flag=True, help="One line per package instead of one per version.")
@color_option
@strict_option
@concurrency_option()
@annotations_option
@backend_options
def plan(
    paths: tuple[Path, ...],
    out: Path | None,
    no_save: bool,
    detailed_exitcode: bool,
    output: RenderFormat,
    summary: bool,
    color: ColorPolicy,
    strict: bool,
    concurrency: int,
    backend: Backend,
) -> None:
    """Diff the manifests under PATHS against live state, save the plan, and show it."""
    if no_save and out is not None:
        raise click.UsageError("--no-save and -o/--out are alternatives; give one")
    made = plan_for_review(paths, backend, concurrency)
    canonical = plan_json(made)
    digest = digest_of(canonical)
    if out is not None and str(out) == STDOUT:
        # stdout carries the plan file alone, so that `plan -o - > x.plan.json` saves a plan.
        click.echo(canonical, nl=False)
        echo_plan(made, output, summary, color.stderr(), err=True, digest=digest)
        saved = "Wrote the plan to stdout."
    elif no_save:
        echo_plan(made, output, summary, color.stdout(), digest=digest)
        saved = "The plan was not saved (--no-save)."
    else:
        path = out or default_plan_path()
        write_plan(made, path)
        echo_plan(made, output, summary, color.stdout(), digest=digest)
        saved = f"Saved the plan to {path}."
        if is_special(path):
            saved = f"Wrote the plan to {path}."  # a FIFO or device: nothing to apply later
        elif made.applyable and refused_by_default_limits(made):
            saved += (
                " Apply will refuse it with the default blast-radius limits: the warnings above name the "
                "options that would allow it."
            )
        elif made.applyable:
            saved += f" Apply exactly this plan with: reconciler apply {shlex.quote(str(path))}"
    if not made.applyable:
        saved += " It cannot be applied: fix the versions listed as errors."
    click.echo(saved, err=True)
    click.echo(f"Plan digest (SHA-256): {digest}", err=True)
    github = current_reporting()
    github.annotate_problems(made.errors)
    github.annotate(made.warnings, "warning")
    github.append_summary(render_plan_markdown(made, digest=digest))
    if strict:
        refuse_warnings(made.warnings)
    raise click.exceptions.Exit(plan_exit_code(made, detailed_exitcode))


@click.command()
@click.argument("plan_file", type=click.Path(dir_okay=False, path_type=Path))
@output_option(*FORMATS, help="How to show the plan.")
@click.option("--summary", is_flag=True, help="One line per package instead of one per version.")
@color_option
def show(plan_file: Path, output: RenderFormat, summary: bool, color: ColorPolicy) -> None:
    """Show a saved plan again."""
    saved = read_plan(plan_file)
    echo_plan(saved, output, summary, color.stdout(), digest=plan_digest(saved))
