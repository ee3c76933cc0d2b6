"""`reconciler plan` and `reconciler show`."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from reconciler.aws.client import Backend
from reconciler.commands.comment import comment_context, write_comment_parts
from reconciler.commands.github import annotations_option, current_reporting
from reconciler.errors import ReconcilerError
from reconciler.files import input_named, is_special
from reconciler.options import (
    STDOUT,
    ColorPolicy,
    backend_options,
    color_option,
    concurrency_option,
    out_option,
    output_option,
    refuse_warnings,
    show_accepted_option,
    strict_option,
    warn,
)
from reconciler.plan import Plan
from reconciler.planfile import plan_digest, read_plan, stream_plan, write_plan
from reconciler.render import RenderFormat, render_plan, render_plan_markdown
from reconciler.render.comment import CommentContext
from reconciler.render.plan import plan_comment
from reconciler.workflows.applying import default_plan_path
from reconciler.workflows.planning import plan_for_review, refused_by_default_limits

EXIT_CHANGES = 2
FORMATS = ("text", "json", "markdown")


def plan_exit_code(plan: Plan, detailed: bool) -> int:
    """0 no changes, 1 versions that cannot converge, 2 changes (only with --detailed-exitcode)."""
    if plan.errors:
        return 1
    return EXIT_CHANGES if detailed and not plan.is_empty else 0


def _warn_summary_ignored(output: RenderFormat, summary: bool) -> None:
    """`--summary` shortens the text view alone: the JSON view is the plan file's content and the
    comment a reviewer's whole page. Said, so that an option given is never silently without effect."""
    if summary and output != "text":
        warn(f"--summary shortens the text view only; --output {output} shows every change")


def echo_plan(
    plan: Plan,
    format: RenderFormat,
    summary: bool,
    color: bool,
    err: bool = False,
    digest: str | None = None,
    context: CommentContext | None = None,
    show_accepted: bool = False,
) -> None:
    """The plan's view on stdout (stderr with `err`); `color` and `show_accepted` only apply to the
    text view, `context` to the Markdown view. `digest` is the plan's, when known (else the view
    computes it)."""
    text = render_plan(
        plan,
        format,
        summary_only=summary,
        color=color and format == "text",
        digest=digest,
        context=context,
        show_accepted=show_accepted,
    )
    click.echo(text, nl=False, err=err)


def _refuse_replacing_an_input(made: Plan, path: Path | None, backend: Backend) -> None:
    """`plan manifests -o manifests/prod.yaml` would replace a manifest it read with the plan, and
    `plan ... --local x.db -o x.db` the database it read."""
    if path is None or is_special(path):
        return
    inputs = {name: f"the manifest {name}" for name in made.manifest_files}
    if backend.local_db is not None:
        inputs[backend.local_db] = f"the local database {backend.local_db}"
    if (name := input_named(path, inputs)) is not None:
        raise ReconcilerError(
            f"refused: -o {path} is {inputs[str(name)]}, which the plan was made from; nothing was saved",
            "Save the plan elsewhere (by default it goes to plans/).",
        )


def _write_comment(
    directory: Path, made: Plan, digest: str, context: CommentContext | None, saved: Path | None
) -> None:
    try:
        write_comment_parts(directory, plan_comment(made, digest, context))
    except ReconcilerError as exc:
        if saved is None or is_special(saved):
            raise
        # The plan file is already saved: the run stops, but not as if nothing had been written.
        raise ReconcilerError(
            exc.summary, f"{exc.detail} The plan was saved to {saved} all the same."
        ) from None


def _save(made: Plan, path: Path | None, no_save: bool) -> str:
    """Save the plan file at `path`, or on stdout (no path, saved), or nowhere; returns its digest.
    The file's text is made once and streamed to where it goes while its digest is computed: at a
    million versions it is over 200 MB."""
    if path is not None:
        return write_plan(made, path)
    if no_save:
        return plan_digest(made)
    # stdout carries the plan file alone, so that `plan -o - > x.plan.json` saves a plan.
    return stream_plan(made, lambda chunk: click.echo(chunk, nl=False))


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
@show_accepted_option
@click.option(
    "--comment-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the Markdown comment there, split in parts of at most 65,536 characters: "
    "comment-1.md, comment-2.md, ...",
)
@click.option(
    "--estimate-size",
    is_flag=True,
    help="Read the assets of every version to dispose (one paginated ListPackageVersionAssets each) "
    "and show the bytes reclaimed.",
)
@color_option
@strict_option
@concurrency_option(adaptive=True)
@annotations_option
@backend_options
def plan(
    paths: tuple[Path, ...],
    out: Path | None,
    no_save: bool,
    detailed_exitcode: bool,
    output: RenderFormat,
    summary: bool,
    show_accepted: bool,
    comment_dir: Path | None,
    estimate_size: bool,
    color: ColorPolicy,
    strict: bool,
    concurrency: int | None,
    backend: Backend,
) -> None:
    """Diff the manifests under PATHS against live state, save the plan, and show it."""
    if no_save and out is not None:
        raise click.UsageError("--no-save and -o/--out are alternatives; give one")
    _warn_summary_ignored(output, summary)
    made = plan_for_review(paths, backend, concurrency, estimate_size=estimate_size)
    saving = not no_save and not (out is not None and str(out) == STDOUT)
    path = (out or default_plan_path()) if saving else None
    _refuse_replacing_an_input(made, path, backend)
    digest = _save(made, path, no_save)
    context = None
    if output == "markdown" or comment_dir is not None:
        context = comment_context(made.manifest_files, str(path) if path and not is_special(path) else None)
    if comment_dir is not None:
        _write_comment(comment_dir, made, digest, context, path)
    if path is None and not no_save:
        echo_plan(
            made,
            output,
            summary,
            color.stderr(),
            err=True,
            digest=digest,
            context=context,
            show_accepted=show_accepted,
        )
        saved = "Wrote the plan to stdout."
    elif path is None:
        echo_plan(
            made, output, summary, color.stdout(), digest=digest, context=context, show_accepted=show_accepted
        )
        saved = "The plan was not saved (--no-save)."
    else:
        echo_plan(
            made, output, summary, color.stdout(), digest=digest, context=context, show_accepted=show_accepted
        )
        saved = f"Saved the plan to {path}."
        if is_special(path):
            saved = f"Wrote the plan to {path}."  # a FIFO or device: nothing to apply later
        elif made.applyable and refused_by_default_limits(made):
            saved += (
                " Apply will refuse it with the default blast-radius limits: the warnings above name the "
                "options that would allow it."
            )
        elif made.applyable:
            # Deletes are opt-in at apply: a hint without the flag would be refused when pasted.
            allow = " --allow-delete" if made.summary.to_delete else ""
            saved += f" Apply exactly this plan with: reconciler apply {shlex.quote(str(path))}{allow}"
    if not made.applyable:
        saved += " It cannot be applied: fix the versions listed as errors."
    click.echo(saved, err=True)
    click.echo(f"Plan digest (SHA-256): {digest}", err=True)
    github = current_reporting()
    github.annotate_problems(made.errors)
    github.annotate(made.warnings, "warning")
    github.append_summary(
        lambda: render_plan_markdown(
            made, digest=digest, context=context or comment_context(made.manifest_files, None)
        )
    )
    if strict:
        refuse_warnings(made.warnings)
    raise click.exceptions.Exit(plan_exit_code(made, detailed_exitcode))


@click.command()
@click.argument("plan_file", type=click.Path(dir_okay=False, path_type=Path))
@output_option(*FORMATS, help="How to show the plan.")
@click.option("--summary", is_flag=True, help="One line per package instead of one per version.")
@show_accepted_option
@color_option
def show(
    plan_file: Path, output: RenderFormat, summary: bool, show_accepted: bool, color: ColorPolicy
) -> None:
    """Show a saved plan again."""
    _warn_summary_ignored(output, summary)
    saved = read_plan(plan_file)
    context = comment_context(saved.manifest_files, str(plan_file)) if output == "markdown" else None
    echo_plan(
        saved,
        output,
        summary,
        color.stdout(),
        digest=plan_digest(saved),
        context=context,
        show_accepted=show_accepted,
    )
