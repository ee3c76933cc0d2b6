"""Apply: a saved plan exactly as reviewed, or a fresh plan after it was shown and confirmed.

For a saved plan, every refusal that can be decided from the plan alone (its digest, when one is
expected; its consistency, `verify`; tool version, manifests, errors, the total it disposes) and a
plan for another endpoint or Region come before any call; a plan for another account is refused
after one DescribeDomain per domain (the only way to learn the owner); then the packages the plan
touches are read again, and that one read decides both each package's share of disposes (the
blast-radius limit, from live state, never from the plan's own counts) and staleness. Only then
does the executor make the plan's calls. Every call, reads included, is counted and journaled as it happens
(`ApplyRun`), and every outcome, refusals and interruptions included, returns a report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler import __version__
from reconciler.addresses import PackageRef
from reconciler.applier import VersionOutcome, apply_plan
from reconciler.aws import reads, settings
from reconciler.aws.client import LOCAL_PREFIX, Backend
from reconciler.aws.executor import BotoExecutor
from reconciler.errors import AwsError, LimitExceededError, PlanError, StalePlanError
from reconciler.files import input_named
from reconciler.limits import Limits, delete_refusal, share_problems, total_problems
from reconciler.manifest import load_manifests
from reconciler.plan import Action, Plan, TargetIdentity
from reconciler.planfile import plan_digest, read_plan, write_plan
from reconciler.progress import Progress
from reconciler.ratelimit import RateLimiter
from reconciler.render.apply import describe_moved
from reconciler.staleness import check_staleness, outcomes_before_apply, packages_to_check, without
from reconciler.state import PackageState
from reconciler.verify import check_plan
from reconciler.workflows.applyrun import ApplyResult, ApplyRun
from reconciler.workflows.planning import read_and_plan
from reconciler.workflows.reading import read_packages
from reconciler.workflows.regions import Connections, RegionalExecutor, connect_all, each_region


@dataclass(frozen=True)
class ApplySettings:
    limits: Limits = field(default_factory=Limits)
    allow_moved: bool = False
    concurrency: int = 8
    rate_scale: float = 1.0
    journal: Path | None = None  # default: next to the plan file, .journal.jsonl
    progress: bool = True
    expect_digest: str | None = None  # a saved plan's digest (planfile.plan_digest) must be this


def default_plan_path() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path("plans") / f"{stamp}.plan.json"


def apply_saved_plan(
    path: Path, manifest_paths: Sequence[Path], backend: Backend, settings: ApplySettings
) -> ApplyResult:
    """Apply exactly the plan saved at `path`, refusing it if it was made for anything else, if
    anything it touches moved (unless `allow_moved`), or if it exceeds the limits. Every outcome,
    refusals and interruptions included, comes back as a result with its report."""
    run = ApplyRun()

    def body() -> None:
        saved = read_plan(path)
        digest = plan_digest(saved)
        _refuse_appending_to_a_target(saved, settings.journal, backend)
        run.start(saved, settings.journal or path.with_suffix(".journal.jsonl"), digest)
        _check_digest(digest, settings.expect_digest)
        _check_provenance(saved, manifest_paths)
        check_plan(saved)
        _check_applyable(saved, settings.limits, run)
        targets = backends_for_plan(saved, backend)
        connections = connect_all(targets)
        try:
            for connection in connections:
                run.watch(connection)
            _check_targets(saved, connections)
            _apply(saved, connections, targets, settings, run, fresh=False)
        finally:
            connections.close()

    with _terminate_gracefully():
        return run.guard(body)


def apply_fresh_plan(
    paths: Sequence[Path],
    backend: Backend,
    settings: ApplySettings,
    show: Callable[[Plan], None],
    confirm: Callable[[Plan], None],
) -> ApplyResult:
    """Plan the manifests under `paths`, save and `show` the plan, then apply it once `confirm`
    returns (it raises to cancel)."""
    run = ApplyRun()

    def body() -> None:
        fresh = read_and_plan(paths, backend, settings.concurrency, watch=run.watch)
        try:
            plan_path = default_plan_path()
            digest = write_plan(fresh.plan, plan_path)
            run.start(fresh.plan, settings.journal or plan_path.with_suffix(".journal.jsonl"), digest)
            show(fresh.plan)
            check_plan(fresh.plan)
            _check_applyable(fresh.plan, settings.limits, run)
            _check_shares(fresh.plan, settings.limits, fresh.live.packages, run)
            if fresh.plan.is_empty:
                return
            confirm(fresh.plan)
            backends = dict.fromkeys(fresh.connections.by_region, backend)
            _apply(fresh.plan, fresh.connections, backends, settings, run, fresh=True)
        finally:
            fresh.connections.close()

    with _terminate_gracefully():
        return run.guard(body)


def backends_for_plan(plan: Plan, backend: Backend) -> dict[str | None, Backend]:
    """A backend for each target the plan records (keyed as `Connections`: None for a plan of one
    Region, else its Region)."""
    if len(plan.targets) == 1:
        return {None: backend_for_target(plan.targets[0], backend)}
    if backend.region is not None:
        # Each target of a plan of several Regions is reached in the Region it records: --region
        # could only contradict all but one of them.
        regions = ", ".join(str(target.region) for target in plan.targets)
        raise PlanError(
            f"refused: the plan covers several Regions ({regions}), and --region {backend.region} "
            "names one; nothing was changed",
            "Drop --region: apply reaches each of the plan's targets in the Region it records.",
        )
    return {target.region: backend_for_target(target, backend) for target in plan.targets}


def backend_for_target(target: TargetIdentity, backend: Backend) -> Backend:
    """The target the plan records, when none is given (no --local, no --endpoint-url, no endpoint
    in the environment): `reconciler apply PLAN` reaches what the plan was made against. A target
    that is given is kept, and refused by the target check if it contradicts the plan's."""
    region = backend.region or target.region
    given = backend.local_db is not None or backend.endpoint_url is not None or settings.endpoint(None)
    if given:
        return dataclasses.replace(backend, region=region)
    recorded = target.endpoint
    if recorded.startswith(LOCAL_PREFIX):
        return dataclasses.replace(backend, local_db=recorded.removeprefix(LOCAL_PREFIX), region=region)
    # Checked here, so that a bad one is named as the plan file's, not as an --endpoint-url never given.
    settings.check_endpoint(settings.Setting(recorded, "the plan file's target"))
    return dataclasses.replace(backend, endpoint_url=recorded, region=region)


def _refuse_appending_to_a_target(plan: Plan, journal: Path | None, backend: Backend) -> None:
    """The journal and the request log are appended to: named as a database the plan records as its
    target (`local:PATH`, reached when no --local is given), they would corrupt it. Checked before the
    journal is opened, which writes its first line."""
    databases = [
        target.endpoint.removeprefix(LOCAL_PREFIX)
        for target in plan.targets
        if target.endpoint.startswith(LOCAL_PREFIX)
    ]
    for option, output in (("--journal", journal), ("--log-requests", backend.log_requests)):
        if (database := input_named(output, databases)) is not None:
            raise PlanError(
                f"{option} {output} is {database}, the local database the plan was made against, "
                "which apply reads; give it a file of its own"
            )


def _check_digest(digest: str, expected: str | None) -> None:
    """The plan applied is the plan reviewed: its digest is the one given (--expect-digest)."""
    if expected is not None and digest != expected:
        raise PlanError(
            "refused: the plan file is not the one expected; nothing was changed",
            f"its digest is {digest}, not {expected}. Apply the plan file that was reviewed.",
        )


def _check_applyable(plan: Plan, limits: Limits, run: ApplyRun) -> None:
    """What can be refused from the plan alone (before any call, for a saved plan): errors, deletes
    not allowed, and the total it disposes and deletes (each package's share waits for live state:
    `_check_shares`)."""
    if not plan.applyable:
        raise PlanError(
            f"refused: {len(plan.errors)} version(s) in the plan cannot converge; nothing was changed",
            "Fix the manifests and plan again (reconciler show PLAN lists them).",
        )
    refusal = delete_refusal(plan, limits)
    if refusal is not None:
        raise PlanError(
            refusal,
            "A deleted version is removed from the repository for good. Review the deletes, then apply "
            "again with --allow-delete (or declare those versions otherwise and plan again).",
        )
    _refuse_limits(tuple(total_problems(plan, limits)), run)


def _check_shares(plan: Plan, limits: Limits, live: Mapping[PackageRef, PackageState], run: ApplyRun) -> None:
    """Each package's share of disposes, against the package as it is now (`live`)."""
    _refuse_limits(tuple(share_problems(plan, limits, live)), run)


def _refuse_limits(problems: tuple[str, ...], run: ApplyRun) -> None:
    if problems:
        run.limits_exceeded = problems
        raise LimitExceededError(
            "refused: the plan exceeds the blast-radius limits; nothing was changed", "\n".join(problems)
        )


def _check_provenance(plan: Plan, manifest_paths: Sequence[Path]) -> None:
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


def _check_targets(plan: Plan, connections: Connections) -> None:
    """Refuse a plan made for another endpoint, Region or account, as a whole: if any of its targets
    is not the one it was made for, nothing is changed in any. Endpoints and Regions before any
    call, the domains' owners with one DescribeDomain each."""
    several = len(plan.targets) > 1
    pairs = [(target, connections.by_region[target.region if several else None]) for target in plan.targets]
    problems = []
    for target, connection in pairs:
        where = f"{target.region}: " if several else ""
        if target.endpoint != connection.endpoint:
            problems.append(f"{where}endpoint: plan {target.endpoint}, now {connection.endpoint}")
        if target.region != connection.region:
            problems.append(f"{where}region: plan {target.region}, now {connection.region}")
    owners: dict[tuple[str | None, str], str | None] = {}
    for action in plan.actions:
        repository = action.package.repository
        owners.setdefault((repository.region, repository.domain), repository.domain_owner)
        recorded = plan.target_of(repository)
        if recorded is None or repository.domain not in recorded.domains:
            problems.append(f"domain {repository.domain}: in the plan's actions but not in its target")
    _refuse_target(problems)
    counter: Counter[str] = Counter()  # counted by the run, through the connections
    for target, connection in pairs:
        where = f"{target.region}:" if several else ""
        for domain, owner in target.domains.items():
            named = owners.get((target.region if several else None, domain))
            try:
                found = reads.domain_owner(connection.client, domain, named, counter)
            except AwsError as error:
                if error.code not in ("ResourceNotFoundException", "AccessDeniedException"):
                    raise
                problems.append(
                    f"domain {where}{domain}: plan owner {owner}, now {error.code}: {error.message}"
                )
                continue
            if found != owner:
                problems.append(f"domain {where}{domain}: plan owner {owner}, now {found}")
    _refuse_target(problems)


def _refuse_target(problems: list[str]) -> None:
    if problems:
        raise PlanError(
            "refused: the plan was made for another target; nothing was changed", "\n".join(problems)
        )


def _apply(
    plan: Plan,
    connections: Connections,
    backends: Mapping[str | None, Backend],
    settings: ApplySettings,
    run: ApplyRun,
    fresh: bool,
) -> None:
    remaining = plan
    if not fresh:
        live = _read_again(plan, connections, settings.concurrency)
        _check_shares(plan, settings.limits, live, run)
        staleness = run.staleness = check_staleness(plan, live)
        if staleness.is_stale and not settings.allow_moved:
            raise StalePlanError(
                f"refused: {len(staleness.moved)} version(s) moved since the plan was made; nothing was changed",
                describe_moved(staleness)
                + "\nPlan again, or run with --allow-moved to apply what is still valid.",
            )
        run.record(outcomes_before_apply(plan, staleness))
        remaining = without(plan, {m.key for m in staleness.moved} | set(staleness.done))
    _execute(remaining, connections, backends, settings, run)


def _read_again(plan: Plan, connections: Connections, concurrency: int) -> dict[PackageRef, PackageState]:
    """The packages the plan touches, as they are now: each Region's with its own client, at once."""
    refs = packages_to_check(plan)
    states = each_region(
        connections,
        lambda region, connection: read_packages(
            connection.client, [ref for ref in refs if ref.repository.region == region], concurrency
        )[0],
    )
    return {ref: state for found in states.values() for ref, state in found.items()}


def _execute(
    plan: Plan,
    connections: Connections,
    backends: Mapping[str | None, Backend],
    settings: ApplySettings,
    run: ApplyRun,
) -> None:
    """Run the plan's calls on clients of their own whose retries are ours (one attempt each), one
    per Region, each paced at its own Region's quotas."""
    staleness = run.staleness
    skip = {(m.package, m.version) for m in staleness.moved} if staleness is not None else set()
    assert run.journal is not None
    journal = run.journal
    executor_connections = connect_all(
        {
            region: dataclasses.replace(backends[region], max_attempts=1, region=connection.region)
            for region, connection in connections.items()
        }
    )
    try:
        stop = threading.Event()
        executor = RegionalExecutor(
            {
                region: BotoExecutor(
                    connection.client, RateLimiter(scale=settings.rate_scale), journal, stop=stop
                )
                for region, connection in executor_connections.items()
            }
        )
        run.executor = executor
        run.executing = True
        total = sum(len(action.versions) for action in plan.actions)
        with Progress(total, enabled=settings.progress) as progress:

            def advance(action: Action, outcomes: list[VersionOutcome]) -> None:
                run.record(outcomes)
                progress.advance(action, outcomes)

            apply_plan(
                plan, executor, max_workers=settings.concurrency, skip=skip, on_outcomes=advance, stop=stop
            )
    finally:
        executor_connections.close()


@contextlib.contextmanager
def _terminate_gracefully() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, `kill`) stops an apply as Ctrl-C does: no further call goes out,
    the calls in flight finish and are journaled, and the exit code is 143."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        print("Terminated: waiting for the calls in flight, then stopping.", file=sys.stderr, flush=True)
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
