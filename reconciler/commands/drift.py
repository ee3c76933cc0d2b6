"""`reconciler drift`: report where live state has moved away from the manifests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
from pydantic import TypeAdapter, ValidationError

from reconciler.aws.client import Backend
from reconciler.commands.comment import comment_context
from reconciler.commands.github import annotations_option, current_reporting
from reconciler.models import DURATION_TOO_LARGE, Duration
from reconciler.options import (
    ColorPolicy,
    backend_options,
    color_option,
    concurrency_option,
    output_option,
    refuse_warnings,
    strict_option,
)
from reconciler.render import RenderFormat, render_drift, render_drift_markdown
from reconciler.workflows.drifting import detect

EXIT_DRIFT = 2
FORMATS = ("text", "json", "markdown")
_DURATION: TypeAdapter[dt.timedelta] = TypeAdapter(Duration)


class DurationParam(click.ParamType[dt.timedelta]):
    """A duration in the manifests' syntax (90d, 12h, 2w, 30m, 45s), as a `timedelta`."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.timedelta:
        if isinstance(value, dt.timedelta):
            return value
        try:
            return _DURATION.validate_python(value)
        except ValidationError as exc:
            if any(error["msg"].endswith(DURATION_TOO_LARGE) for error in exc.errors()):
                self.fail(f"{value!r}: {DURATION_TOO_LARGE}")
            self.fail(f"{value!r} is not a duration: write a whole number and a unit, e.g. 90d, 12h, 2w, 30m")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@output_option(*FORMATS, help="How to show the report.")
@click.option(
    "--grace",
    type=DurationParam(),
    metavar="DURATION",
    help="Leave out versions published more recently than this (2h, 1d): CodeArtifact can lag behind a publish.",
)
@color_option
@strict_option
@concurrency_option()
@annotations_option
@backend_options
def drift(
    paths: tuple[Path, ...],
    output: RenderFormat,
    grace: dt.timedelta | None,
    color: ColorPolicy,
    strict: bool,
    concurrency: int,
    backend: Backend,
) -> None:
    """Report where live state differs from the manifests under PATHS, changing nothing.

    Drift is a version whose status differs from the declared one, a promoted version missing from
    its target repository, or a version that can no longer converge. Versions no manifest decides
    are counted as unmanaged.

    Entries that match no package are warned about, as in plan; --strict makes them an error.
    """
    grace_seconds = grace.total_seconds() if grace is not None else None
    report = detect(paths, backend, concurrency, grace_seconds)
    context = comment_context(report.manifest_files) if output == "markdown" else None
    click.echo(
        render_drift(report, output, color=output == "text" and color.stdout(), context=context), nl=False
    )
    github = current_reporting()
    github.annotate(report.warnings, "warning")
    github.append_summary(
        lambda: render_drift_markdown(report, context or comment_context(report.manifest_files))
    )
    if strict:
        refuse_warnings(report.warnings)
    raise click.exceptions.Exit(EXIT_DRIFT if report.has_drift else 0)
