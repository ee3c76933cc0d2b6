"""`reconciler apply`: execute exactly a reviewed plan, or a fresh one after confirmation."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import click
from deepdiff import DeepDiff

from reconciler import __version__
from reconciler.applier import ApplyReport, Outcome, VersionOutcome, apply_plan, in_plan_order
from reconciler.aws.client import Backend, Connection, call, connect
from reconciler.aws.executor import BotoExecutor
from reconciler.aws.reader import read_packages
from reconciler.commands.plan import default_plan_path, echo_plan
from reconciler.commands.planning import make_fresh_plan
from reconciler.errors import AwsError, PlanError, StalePlanError
from reconciler.journal import Journal
from reconciler.limits import Limits, check_limits
from reconciler.manifest import SUFFIXES, load_manifests
from reconciler.options import backend_options, concurrency_option
from reconciler.plan import Plan
from reconciler.planfile import read_plan, write_plan
from reconciler.progress import Progress
from reconciler.ratelimit import RateLimiter
from reconciler.render import render_apply_report
from reconciler.staleness import Staleness, check_staleness, packages_to_check, without


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
    """Apply TARGET: a saved plan file (exactly that plan), or manifest PATHS (plan, confirm, apply).

    Exit codes: 0 everything applied; 1 anything refused, moved since the plan, or failed.
    """
    limits = Limits(max_dispose=max_dispose, max_dispose_share=max_dispose_share)
    fresh = not _is_plan_file(target)
    if not fresh:
        plan_path = target[0]
        saved = read_plan(plan_path)
        _check_provenance(saved, manifest_paths)
        _check_applyable(saved, limits)
        connection = connect(dataclasses.replace(backend, region=backend.region or saved.target.region))
        try:
            _check_target(saved, connection)
        except BaseException:
            connection.close()
            raise
    else:
        saved, _, connection = make_fresh_plan(target, backend, concurrency)
        try:
            plan_path = default_plan_path()
            write_plan(saved, plan_path)
            if format_ == "text":
                echo_plan(saved, "text", summary=False)
            _check_applyable(saved, limits)
            if saved.is_empty:
                connection.close()
                _emit(format_, ApplyReport(), None)
                return
            if not auto_approve:
                _confirm()
        except BaseException:
            connection.close()
            raise
    try:
        report, staleness = _apply(
            saved,
            connection,
            backend,
            allow_moved,
            concurrency,
            rate_scale,
            journal or plan_path.with_suffix(".journal.jsonl"),
            format_,
            fresh=fresh,
        )
    finally:
        connection.close()
    _emit(format_, report, staleness)
    if not report.succeeded:
        raise click.exceptions.Exit(1)


def _confirm() -> None:
    if not sys.stdin.isatty():
        raise PlanError(
            "refusing to apply without confirmation: no terminal to ask on; nothing was changed",
            "Review the plan and run again with --auto-approve, or apply a saved plan file.",
        )
    if not click.confirm("Apply this plan?", default=False, err=True):
        raise PlanError("apply cancelled; nothing was changed")


def _check_applyable(plan: Plan, limits: Limits) -> None:
    """What can be refused from the plan alone, before any call."""
    if not plan.applyable:
        raise PlanError(
            f"refused: {len(plan.errors)} version(s) in the plan cannot converge; nothing was changed",
            "Fix the manifests and plan again (reconciler show PLAN lists them).",
        )
    check_limits(plan, limits)


def _check_provenance(plan: Plan, manifest_paths: tuple[Path, ...]) -> None:
    """A plan is applied by the version that made it, and (if asked) only with its manifests unchanged."""
    if plan.tool_version != __version__:
        raise PlanError(
            f"refused: the plan was made by reconciler {plan.tool_version}; this is {__version__}",
            "Plan again with this version (rules and orderings may differ between versions).",
        )
    if manifest_paths:
        digest = load_manifests(manifest_paths).digest
        if digest != plan.manifest_digest:
            raise PlanError(
                "refused: the manifests changed since the plan was made",
                f"plan digest {plan.manifest_digest}, manifests now {digest}. Plan again from the merged manifests.",
            )


def _check_target(plan: Plan, connection: Connection) -> None:
    """Refuse a plan made for another endpoint, Region or account: the first two before any call,
    the domains' owners with one DescribeDomain each."""
    problems = []
    if plan.target.endpoint != connection.endpoint:
        problems.append(f"endpoint: plan {plan.target.endpoint}, now {connection.endpoint}")
    if plan.target.region != connection.region:
        problems.append(f"region: plan {plan.target.region}, now {connection.region}")
    owners: dict[str, str | None] = {}
    for action in plan.actions:
        owners.setdefault(action.package.domain, action.package.domain_owner)
        if action.package.domain not in plan.target.domains:
            problems.append(f"domain {action.package.domain}: in the plan's actions but not in its target")
    if problems:
        raise PlanError(
            "refused: the plan was made for another target; nothing was changed", "\n".join(problems)
        )
    counter: Counter[str] = Counter()
    for domain, owner in plan.target.domains.items():
        params = {"domain": domain}
        asked = owners.get(domain)
        if asked:
            params["domainOwner"] = asked
        try:
            found = call(connection.client, "DescribeDomain", counter, **params)["domain"]["owner"]
        except AwsError as error:
            if error.code not in ("ResourceNotFoundException", "AccessDeniedException"):
                raise
            problems.append(f"domain {domain}: plan owner {owner}, now {error.code}: {error.message}")
            continue
        if found != owner:
            problems.append(f"domain {domain}: plan owner {owner}, now {found}")
    if problems:
        raise PlanError(
            "refused: the plan was made for another target; nothing was changed", "\n".join(problems)
        )


def _apply(
    plan: Plan,
    connection: Connection,
    backend: Backend,
    allow_moved: bool,
    concurrency: int,
    rate_scale: float,
    journal_path: Path,
    format_: str,
    fresh: bool,
) -> tuple[ApplyReport, Staleness | None]:
    original = plan
    staleness: Staleness | None = None
    pre: list[VersionOutcome] = []
    skip: set[tuple[str, str]] = set()
    if not fresh:
        live, _ = read_packages(connection.client, packages_to_check(plan), concurrency)
        staleness = check_staleness(plan, live)
        if staleness.is_stale and not allow_moved:
            raise StalePlanError(
                f"refused: {len(staleness.moved)} version(s) moved since the plan was made; nothing was changed",
                _describe_moved(staleness)
                + "\nPlan again, or run with --allow-moved to apply what is still valid.",
            )
        removed = {(m.package, m.version, m.kind) for m in staleness.moved} | set(staleness.done)
        pre = _pre_outcomes(plan, staleness)
        skip = {(m.package, m.version) for m in staleness.moved}
        plan = without(plan, removed)
    executor_connection = connect(dataclasses.replace(backend, max_attempts=1, region=connection.region))
    try:
        with Journal(journal_path) as journal:
            stop = threading.Event()
            executor = BotoExecutor(
                executor_connection.client, RateLimiter(scale=rate_scale), journal, stop=stop
            )
            total = sum(len(action.versions) for action in plan.actions)
            journal.write(
                "apply",
                plan_created_at=original.created_at,
                manifest_digest=original.manifest_digest,
                actions=len(plan.actions),
                versions=total,
                already_done=len(staleness.done) if staleness is not None else 0,
                moved=len(staleness.moved) if staleness is not None else 0,
            )
            try:
                with _terminate_gracefully(), Progress(total, enabled=format_ == "text") as progress:
                    report = apply_plan(
                        plan,
                        executor,
                        max_workers=concurrency,
                        skip=skip,
                        on_outcomes=progress.advance,
                        stop=stop,
                    )
            except BaseException as exc:
                journal.write(
                    "interrupted",
                    error=type(exc).__name__,
                    calls=dict(executor.calls),
                    throttled=executor.throttled,
                )
                raise
            journal.write(
                "done",
                calls=dict(executor.calls),
                throttled=executor.throttled,
                counts={outcome.value: report.count(outcome) for outcome in Outcome},
            )
    finally:
        executor_connection.close()
    report.outcomes = in_plan_order(original, [*pre, *report.outcomes])
    report.calls = sum(executor.calls.values())
    report.throttled = executor.throttled
    return report, staleness


@contextlib.contextmanager
def _terminate_gracefully() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, `kill`) stops an apply as Ctrl-C does: no further call goes out,
    the calls in flight finish and are journaled, and the exit code is 143."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        click.echo("Terminated: waiting for the calls in flight, then stopping.", err=True)
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _pre_outcomes(plan: Plan, staleness: Staleness) -> list[VersionOutcome]:
    moved = {(m.package, m.version, m.kind): m for m in staleness.moved}
    done = set(staleness.done)
    outcomes = []
    for action in plan.actions:
        for change in action.versions:
            key = (str(action.package), change.version, action.kind)
            if key in moved:
                item = moved[key]
                outcomes.append(
                    VersionOutcome(
                        key[0],
                        change.version,
                        action.kind,
                        change.prior_status.value,
                        change.after.value,
                        Outcome.MOVED,
                        "MOVED_SINCE_PLAN",
                        f"plan saw {_short(item.planned)}, now {_short(item.live)} in {item.where}",
                    )
                )
            elif key in done:
                outcomes.append(
                    VersionOutcome(
                        key[0],
                        change.version,
                        action.kind,
                        change.prior_status.value,
                        change.after.value,
                        Outcome.UNCHANGED,
                        "",
                        "already as planned",
                    )
                )
    return outcomes


def _describe_moved(staleness: Staleness) -> str:
    planned = {f"{m.package}@{m.version} ({m.kind.value}, in {m.where})": m.planned for m in staleness.moved}
    live = {f"{m.package}@{m.version} ({m.kind.value}, in {m.where})": m.live for m in staleness.moved}
    diff = DeepDiff(planned, live, verbose_level=2)
    lines = [
        f"{m.package}@{m.version}: plan saw {_short(m.planned)}, now {_short(m.live)} in {m.where}"
        for m in staleness.moved
    ]
    return "\n".join(lines) + "\n" + "Structured diff (plan -> live):\n" + str(diff.to_json(indent=2))


def _short(view: dict[str, Any] | None) -> str:
    if view is None:
        return "absent"
    if view.get("status") is None:
        return "absent"
    return f"{view['status']} (revision {view['revision']})"


def _emit(format_: str, report: ApplyReport, staleness: Staleness | None) -> None:
    if format_ == "json":
        click.echo(json.dumps(report.to_json(), indent=2, sort_keys=True))
    else:
        click.echo(render_apply_report(report), nl=False)
    if staleness is not None and staleness.moved and format_ == "text":
        click.echo(_describe_moved(staleness), err=True)
    if not report.succeeded:
        failed = [
            o
            for o in report.outcomes
            if o.outcome is not Outcome.APPLIED and o.outcome is not Outcome.UNCHANGED
        ]
        if format_ == "text":
            click.echo(f"Error: {len(failed)} version(s) were not applied; see the report above.", err=True)
