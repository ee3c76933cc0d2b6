"""`reconciler apply`: execute exactly a reviewed plan, or a fresh one after confirmation."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

import click

from reconciler.applier import ApplyReport, Outcome
from reconciler.aws.client import Backend
from reconciler.commands.plan import echo_plan
from reconciler.errors import PlanError
from reconciler.limits import Limits
from reconciler.manifest import SUFFIXES
from reconciler.options import backend_options, concurrency_option
from reconciler.plan import Plan
from reconciler.render.apply import apply_report_json, describe_moved, render_apply_report
from reconciler.staleness import Staleness
from reconciler.workflows.applying import ApplySettings, apply_fresh_plan, apply_saved_plan


def _is_plan_file(paths: tuple[Path, ...]) -> bool:
    """One file that is JSON (by its name, or by its first character when it is not named .yaml/.yml)."""
    if len(paths) != 1 or not paths[0].is_file():
        return False
    path = paths[0]
    if path.suffix.lower() == ".json":
        return True
    if path.suffix.lower() in SUFFIXES:
        return False
    try:
        with path.open("rb") as stream:
            return stream.read(64).lstrip().startswith(b"{")
    except OSError:
        return False


@click.command()
@click.argument("target", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--auto-approve", is_flag=True, help="With manifests: apply the fresh plan without asking.")
@click.option(
    "--allow-moved",
    is_flag=True,
    help="Apply what is still valid when versions moved since the plan (they are reported, not changed).",
)
@click.option(
    "--max-dispose",
    type=click.IntRange(0),
    default=Limits().max_dispose,
    show_default=True,
    help="Refuse a plan that disposes more versions than this.",
)
@click.option(
    "--max-dispose-share",
    type=click.FloatRange(0.0, 1.0),
    default=Limits().max_dispose_share,
    show_default=True,
    help="Refuse a plan that disposes more than this share of any package's versions.",
)
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON-lines record of every call (default: next to the plan, .journal.jsonl).",
)
@concurrency_option("Packages changed in parallel.")
@click.option(
    "--rate-scale",
    type=click.FloatRange(0.01, 10.0),
    default=1.0,
    show_default=True,
    help="Multiply AWS's default request-rate quotas (raise it when your quotas are raised).",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to report the outcome.",
)
@click.option(
    "--manifests",
    "manifest_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="With a plan file: refuse it unless it was made from these manifests as they are now "
    "(give the paths given to plan; repeatable).",
)
@backend_options
def apply(
    target: tuple[Path, ...],
    manifest_paths: tuple[Path, ...],
    auto_approve: bool,
    allow_moved: bool,
    max_dispose: int,
    max_dispose_share: float,
    journal: Path | None,
    concurrency: int,
    rate_scale: float,
    format_: Literal["text", "json"],
    backend: Backend,
) -> None:
    """Apply TARGET: a saved plan file (exactly that plan), or manifest PATHS (plan, confirm, apply)."""
    settings = ApplySettings(
        limits=Limits(max_dispose=max_dispose, max_dispose_share=max_dispose_share),
        allow_moved=allow_moved,
        concurrency=concurrency,
        rate_scale=rate_scale,
        journal=journal,
        progress=format_ == "text",
    )
    if _is_plan_file(target):
        result = apply_saved_plan(target[0], manifest_paths, backend, settings)
    else:

        def show(plan: Plan) -> None:
            if format_ == "text":
                echo_plan(plan, "text", summary=False)

        def confirm(plan: Plan) -> None:
            if not auto_approve:
                _confirm()

        result = apply_fresh_plan(target, backend, settings, show, confirm)
    _emit(format_, result.report, result.staleness)
    if not result.report.succeeded:
        raise click.exceptions.Exit(1)


def _confirm() -> None:
    if not sys.stdin.isatty():
        raise PlanError(
            "refusing to apply without confirmation: no terminal to ask on; nothing was changed",
            "Review the plan and run again with --auto-approve, or apply a saved plan file.",
        )
    if not click.confirm("Apply this plan?", default=False, err=True):
        raise PlanError("apply cancelled; nothing was changed")


def _emit(format_: str, report: ApplyReport, staleness: Staleness | None) -> None:
    if format_ == "json":
        click.echo(json.dumps(apply_report_json(report), indent=2, sort_keys=True))
    else:
        click.echo(render_apply_report(report), nl=False)
    if staleness is not None and staleness.moved and format_ == "text":
        click.echo(describe_moved(staleness), err=True)
    if not report.succeeded:
        failed = [
            o
            for o in report.outcomes
            if o.outcome is not Outcome.APPLIED and o.outcome is not Outcome.UNCHANGED
        ]
        if format_ == "text":
            click.echo(f"Error: {len(failed)} version(s) were not applied; see the report above.", err=True)
