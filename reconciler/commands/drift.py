"""`reconciler drift`: report where live state has moved away from the manifests."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from pydantic import TypeAdapter, ValidationError

from reconciler.aws.client import Backend
from reconciler.commands.comment import comment_context
from reconciler.commands.github import annotations_option, current_reporting
from reconciler.errors import ReconcilerError
from reconciler.github.env import github_env
from reconciler.github.issues import GitHubSettings
from reconciler.manifest import SUFFIXES
from reconciler.models import DURATION_TOO_LARGE, Duration
from reconciler.options import (
    ColorPolicy,
    backend_options,
    color_option,
    concurrency_option,
    notify_option,
    output_option,
    refuse_warnings,
    show_accepted_option,
    strict_option,
    warn,
)
from reconciler.render import RenderFormat, render_drift_chunks, render_drift_markdown
from reconciler.text import plural
from reconciler.workflows import notifying
from reconciler.workflows.drifting import DriftRun, accept_drift, detect_run

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
@click.option(
    "--github-issue",
    is_flag=True,
    help="Keep one GitHub issue per target repository: open or reopen it with the report on drift, "
    "update it when the drift changes, close it when the drift is gone (needs GITHUB_TOKEN and "
    "GITHUB_REPOSITORY; GITHUB_API_URL for GitHub Enterprise).",
)
@notify_option
@click.option(
    "--accept",
    is_flag=True,
    help="Write a pin of its live status for every drifted version into the entry that decides it, "
    "so the next plan leaves it alone; exit 0 when every drifted version was pinned.",
)
@click.option(
    "--accept-into",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="With --accept (implied): a package a glob decides gets its pins in a new exact entry in "
    "FILE (a manifest under PATHS), copied from the glob's; exact entries are pinned where they are.",
)
@show_accepted_option
@color_option
@strict_option
@concurrency_option(adaptive=True)
@annotations_option
@backend_options
def drift(
    paths: tuple[Path, ...],
    output: RenderFormat,
    grace: dt.timedelta | None,
    github_issue: bool,
    notify_urls: tuple[str, ...],
    accept: bool,
    accept_into: Path | None,
    show_accepted: bool,
    color: ColorPolicy,
    strict: bool,
    concurrency: int | None,
    backend: Backend,
) -> None:
    """Report where live state differs from the manifests under PATHS, changing nothing.

    Drift is a version whose status differs from the declared one, a promoted version missing from
    its target repository, or a version that can no longer converge. Versions no manifest decides
    are counted as unmanaged.

    Entries that match no package are warned about, as in plan; --strict makes them an error.
    With --accept, the manifests (and nothing else) are changed: see --accept.
    """
    settings = _github_settings() if github_issue else None
    if accept_into is not None:
        _check_accept_into(accept_into, paths)
    grace_seconds = grace.total_seconds() if grace is not None else None
    try:
        run = detect_run(paths, backend, concurrency, grace_seconds)
        report = run.report
        context = comment_context(report.manifest_files) if output == "markdown" else None
        # Written as it is rendered, a package at a time: a report of a million drifted versions is
        # never held whole as one string.
        for chunk in render_drift_chunks(
            report,
            output,
            color=output == "text" and color.stdout(),
            context=context,
            show_accepted=show_accepted,
        ):
            click.echo(chunk, nl=False)
        github = current_reporting()
        github.annotate(report.warnings, "warning")
        github.append_summary(
            lambda: render_drift_markdown(report, context or comment_context(report.manifest_files))
        )
        if strict:
            refuse_warnings(report.warnings)
    except ReconcilerError as error:
        for warning in notifying.notify(notify_urls, notifying.failure_summary("drift", error, os.environ)):
            warn(warning)
        raise
    exit_status = EXIT_DRIFT if run.report.has_drift else 0
    if settings is not None:
        states = notifying.drift_states(run.report, run.repositories, os.environ)
        outcomes, warnings = notifying.sync_drift_issues(states, settings, notifying.http_client())
        for outcome in outcomes:
            click.echo(f"GitHub issue: {outcome}", err=True)
        for warning in warnings:
            warn(warning)
    if notify_urls:
        summary = notifying.drift_summary(run.report, run.repositories, exit_status, os.environ)
        for warning in notifying.notify(notify_urls, summary, notifying.http_client()):
            warn(warning)
    if accept or accept_into is not None:
        exit_status = _accept(run, accept_into)
    raise click.exceptions.Exit(exit_status)


def _github_settings() -> GitHubSettings:
    """As the AWS CLI refuses a call it has no credentials for, before it does anything: a scheduled
    job that asked for an issue must not pass for one that tracks drift while it cannot."""
    found = GitHubSettings.from_env(github_env(os.environ))
    if isinstance(found, list):
        raise click.UsageError(
            f"--github-issue needs {' and '.join(found)} in the environment (GitHub Actions sets "
            "GITHUB_REPOSITORY; pass the job's token as GITHUB_TOKEN, with `issues: write`)"
        )
    return found


def _check_accept_into(into: Path, paths: Sequence[Path]) -> None:
    """The file must be a manifest the next plan of the same PATHS reads."""
    if not into.name.lower().endswith(SUFFIXES) or into.name.startswith("."):
        raise click.UsageError(f"--accept-into {into}: a manifest file ends in .yaml or .yml")
    target = Path(os.path.realpath(into))
    for path in paths:
        given = Path(os.path.realpath(path))
        if target == given or given in target.parents:
            return
    raise click.UsageError(
        f"--accept-into {into}: not under the PATHS given, so the next plan would not read it"
    )


def _accept(run: DriftRun, into: Path | None) -> int:
    """Write the pins; 0 when every drifted version was pinned, 2 when some are left."""
    accepted = accept_drift(run, into)
    for display, pins in accepted.written.items():
        versions = ", ".join(f"{pin.package.name} {pin.version}: {pin.status}" for pin in pins)
        click.echo(f"Accepted: {plural(len(pins), 'pin')} written to {display} ({versions})", err=True)
    for item, why in accepted.left:
        click.echo(f"Not accepted: {item.package} {item.version}: {why}", err=True)
    if not accepted.written and not accepted.left:
        click.echo("Accepted: no drift, nothing written", err=True)
    return EXIT_DRIFT if accepted.left else 0
