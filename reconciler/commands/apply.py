"""`reconciler apply`: execute exactly a reviewed plan, or a fresh one after confirmation."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Literal

import click

from reconciler.applier import Outcome
from reconciler.aws.client import Backend
from reconciler.commands.github import annotations_option, current_reporting
from reconciler.commands.plan import echo_plan
from reconciler.errors import PlanError, ReconcilerError
from reconciler.files import input_named
from reconciler.limits import Limits
from reconciler.manifest import SUFFIXES
from reconciler.options import (
    ColorPolicy,
    NumberRange,
    backend_options,
    color_option,
    concurrency_option,
    notify_option,
    output_option,
    warn,
)
from reconciler.plan import Plan
from reconciler.render.apply import apply_report_json, describe_moved, render_apply_report
from reconciler.render.apply_markdown import render_apply_markdown
from reconciler.text import plural
from reconciler.workflows import notifying
from reconciler.workflows.applying import ApplySettings, apply_fresh_plan, apply_saved_plan
from reconciler.workflows.applyrun import ApplyResult


def _is_plan_file(paths: tuple[Path, ...]) -> bool:
    """One file that is JSON (by its name, or by its first character when it is not named .yaml/.yml).
    A missing `.json` path is a plan file too, so that the error names the plan file it is not."""
    if len(paths) != 1:
        return False
    path = paths[0]
    if path.suffix.lower() == ".json" and not path.is_dir():
        return True
    if not path.is_file():
        return False
    if path.suffix.lower() in SUFFIXES:
        return False
    try:
        with path.open("rb") as stream:
            return stream.read(64).lstrip().startswith(b"{")
    except OSError:
        return False


@click.command()
@click.argument("target", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--auto-approve",
    is_flag=True,
    help="With manifests: apply the fresh plan without asking (else only a typed yes applies it).",
)
@click.option(
    "--allow-moved",
    is_flag=True,
    help="Apply what is still valid when versions moved since the plan (they are reported, not changed).",
)
@click.option(
    "--allow-delete",
    is_flag=True,
    help="Apply a plan that deletes versions (declared Deleted); without it such a plan is refused.",
)
@click.option(
    "--max-dispose",
    type=click.IntRange(0),
    default=Limits().max_dispose,
    show_default=True,
    help="Refuse a plan that disposes or deletes more versions than this.",
)
@click.option(
    "--max-dispose-share",
    type=NumberRange(0.0, 1.0),
    default=Limits().max_dispose_share,
    show_default=True,
    help="Refuse a plan that disposes or deletes more than this share of any package's versions "
    "(those not already Disposed).",
)
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON-lines record of every call (default: next to the plan, .journal.jsonl).",
)
@concurrency_option("Packages changed in parallel.")
@click.option(
    "--rate-scale",
    type=NumberRange(0.01, 10.0),
    default=1.0,
    show_default=True,
    help="Multiply AWS's default request-rate quotas (raise it when your quotas are raised).",
)
@output_option("text", "json", help="How to report the outcome.")
@color_option
@click.option(
    "--manifests",
    "manifest_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="With a plan file: refuse it unless it was made from these manifests as they are now "
    "(give the paths given to plan; repeatable).",
)
@click.option(
    "--expect-digest",
    metavar="SHA256",
    callback=lambda ctx, param, value: _digest(value),
    help="With a plan file: refuse it unless its digest (the SHA-256 plan prints and its Markdown "
    "shows) is this, so that the file applied is the one reviewed.",
)
@annotations_option
@notify_option
@backend_options
def apply(
    target: tuple[Path, ...],
    notify_urls: tuple[str, ...],
    manifest_paths: tuple[Path, ...],
    expect_digest: str | None,
    auto_approve: bool,
    allow_moved: bool,
    allow_delete: bool,
    max_dispose: int,
    max_dispose_share: float,
    journal: Path | None,
    concurrency: int,
    rate_scale: float,
    output: Literal["text", "json"],
    color: ColorPolicy,
    backend: Backend,
) -> None:
    """Apply TARGET: a saved plan file (exactly that plan), or manifest PATHS (plan, confirm, apply)."""
    settings = ApplySettings(
        limits=Limits(
            max_dispose=max_dispose, max_dispose_share=max_dispose_share, allow_delete=allow_delete
        ),
        allow_moved=allow_moved,
        concurrency=concurrency,
        rate_scale=rate_scale,
        journal=journal,
        progress=output == "text",
        expect_digest=expect_digest,
    )
    _refuse_appending_to_an_input(journal, target, backend)
    if _is_plan_file(target):
        result = apply_saved_plan(target[0], manifest_paths, backend, settings)
    else:
        if expect_digest is not None:
            raise click.UsageError("--expect-digest checks a plan file; give one plan file, not manifests")

        def show(plan: Plan) -> None:
            if output == "text":
                echo_plan(plan, "text", summary=False, color=color.stdout())
            elif not auto_approve:
                # Whoever is asked sees what they approve; stdout stays the JSON report alone.
                echo_plan(plan, "text", summary=False, color=color.stderr(), err=True)

        def confirm(plan: Plan) -> None:
            if not auto_approve:
                _confirm(plan)

        result = apply_fresh_plan(target, backend, settings, show, confirm)
    _emit(output, result, color=color.stdout())
    _summarise(result)
    summary = notifying.apply_summary(result, _exit_status(result), os.environ)
    for warning in notifying.notify(notify_urls, summary, notifying.http_client()):
        warn(warning)
    if result.stopped is not None:
        raise result.stopped  # the cli words it and picks the exit code (1, or 130/143)
    if not result.succeeded:
        raise click.exceptions.Exit(1)


def _summarise(result: ApplyResult) -> None:
    """The step summary of every outcome, and an annotation for versions not applied (the error a run
    stops with, a refusal included, is annotated by the error boundary)."""
    github = current_reporting()
    stopped = result.stopped
    github.append_summary(
        lambda: render_apply_markdown(
            result.report,
            result=result.result,
            reason=str(stopped) if isinstance(stopped, ReconcilerError) else None,
            digest=result.digest,
            journal=str(result.journal) if result.journal is not None else None,
        )
    )
    if stopped is None and not result.report.succeeded:
        failed = [o for o in result.report.outcomes if o.outcome not in (Outcome.APPLIED, Outcome.UNCHANGED)]
        github.annotate([f"{plural(len(failed), 'version')} not applied; see the report"], "error")


def _refuse_appending_to_an_input(journal: Path | None, target: tuple[Path, ...], backend: Backend) -> None:
    """The journal and the request log are appended to: named as the plan file or the local database,
    they would corrupt the very file being applied, or the service's."""
    inputs = list(target) if _is_plan_file(target) else []
    if backend.local_db is not None:
        inputs.append(Path(backend.local_db))
    for option, output in (("--journal", journal), ("--log-requests", backend.log_requests)):
        if (path := input_named(output, inputs)) is not None:
            raise click.UsageError(
                f"{option} {output} is {path}, which apply reads; give it a file of its own"
            )


def _exit_status(result: ApplyResult) -> int:
    """The exit code the command line will give this result (for the webhook summary)."""
    if isinstance(result.stopped, SystemExit) and isinstance(result.stopped.code, int):
        return result.stopped.code
    if isinstance(result.stopped, KeyboardInterrupt):
        return 130
    return 0 if result.succeeded else 1


_DIGEST = re.compile(r"(?:sha256:)?([0-9a-f]{64})")


def _digest(value: str | None) -> str | None:
    """A SHA-256 as 64 hex digits (any case, `sha256:` in front or not), in lowercase."""
    if value is None:
        return None
    found = _DIGEST.fullmatch(value.strip().lower())
    if found is None:
        raise click.BadParameter(f"{value!r} is not a SHA-256 digest (64 hexadecimal digits)")
    return found.group(1)


def _can_ask() -> bool:
    return sys.stdin.isatty()


def _read_answer() -> str:
    # Not click.prompt: it turns Ctrl-C into click's Abort (exit 1); an interruption must exit 130.
    return sys.stdin.readline()


def _confirm(plan: Plan) -> None:
    """Terraform's question: only a typed `yes` applies (a `y`, an empty line or the end of input
    cancels). Ctrl-C is left to the command line's boundary, which exits 130."""
    if not _can_ask():
        raise PlanError(
            "refusing to apply without confirmation: no terminal to ask on; nothing was changed",
            "Review the plan and run again with --auto-approve, or apply a saved plan file.",
        )
    disposes, deletes = plan.summary.to_dispose, plan.summary.to_delete
    warning = (
        f"  It disposes {plural(disposes, 'version')}: their assets are deleted, which cannot be undone.\n"
        if disposes
        else ""
    )
    if deletes:
        warning += (
            f"  It deletes {plural(deletes, 'version')}: they are removed from the repository, which "
            "cannot be undone.\n"
        )
    click.echo(
        "\nDo you want to apply this plan?\n"
        "  reconciler will make the changes described above.\n"
        f"{warning}"
        "  Only 'yes' will be accepted to approve.\n",
        err=True,
    )
    click.echo("  Enter a value: ", nl=False, err=True)
    answer = _read_answer().strip()
    if answer != "yes":
        raise PlanError(
            "apply cancelled; nothing was changed",
            f"Only 'yes' approves (the answer was {answer!r})." if answer else "",
        )


def _emit(format_: str, result: ApplyResult, *, color: bool = False) -> None:
    """The report of every outcome: JSON on stdout whatever happened (a refusal too); in text, the
    versions' outcomes once any call was planned to go out, then where the journal is."""
    report, stopped = result.report, result.stopped
    if format_ == "json":
        document = apply_report_json(
            report,
            result=result.result,
            reason=(stopped.summary, stopped.detail) if isinstance(stopped, ReconcilerError) else None,
            limits_exceeded=result.limits_exceeded,
            staleness=result.staleness,
            calls=result.calls,
            journal=str(result.journal) if result.journal is not None else None,
            plan_digest=result.digest,
        )
        click.echo(json.dumps(document, indent=2, sort_keys=True, default=str))
    elif stopped is None or result.result == "interrupted":
        interrupted = result.result == "interrupted"
        click.echo(render_apply_report(report, color=color, interrupted=interrupted), nl=False)
    staleness = result.staleness
    if staleness is not None and staleness.moved and format_ == "text" and stopped is None:
        click.echo(describe_moved(staleness), err=True)
    if result.journal is not None:
        click.echo(f"Journal: {result.journal}", err=True)
    if stopped is None and not report.succeeded and format_ == "text":
        failed = [o for o in report.outcomes if o.outcome not in (Outcome.APPLIED, Outcome.UNCHANGED)]
        click.echo(f"Error: {len(failed)} version(s) were not applied; see the report above.", err=True)
