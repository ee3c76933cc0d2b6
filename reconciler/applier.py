"""`apply_plan(plan, executor) -> ApplyReport`: run exactly a plan's actions and account for every version.

Phases run in order (copies, status updates, disposes, deletes); within a phase, different packages run
concurrently and one package's actions run one after another. A version whose earlier action did
not go through is not attempted in a later phase (no status update for a copy that failed).

Per-version outcomes come from `successfulVersions`/`failedVersions`: MISMATCHED_STATUS and
MISMATCHED_REVISION mean the version moved since the plan and are never retried; versions SKIPPED
because another version of their batch failed are retried in a new, still guarded batch without it.
A copy that arrives with another status than planned (its source moved) is reported as moved too.
A delete answered NOT_FOUND found the version gone already (another writer's delete): unchanged.
A version the executor could not settle after a try whose answer was lost (code AMBIGUOUS: it is
not as the plan saw it, nor as this apply's write leaves it) is reported as moved, never applied.
One found exactly as this apply's write leaves it (`BatchResult.found`) is as planned, but nothing
CodeArtifact returns tells this apply's unanswered try from another writer's identical change: it
is reported unchanged, with code AMBIGUOUS, never applied.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from reconciler.addresses import PackageRef
from reconciler.codeartifact import ErrorCode
from reconciler.plan import Action, ActionKind, Plan, VersionChange

MAX_SKIP_ROUNDS = 5
# The code of a version an unanswered try may or may not have changed: someone else changed it, and
# whether this apply did so first cannot be told (`aws.executor` words what it is now).
AMBIGUOUS = "AMBIGUOUS"


class Outcome(StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"  # already as planned (an identical copy was there)
    MOVED = "moved"  # changed by someone else since the plan (the guards refused it)
    FAILED = "failed"
    NOT_ATTEMPTED = "not-attempted"  # an earlier action it depends on did not go through


@dataclass(frozen=True)
class BatchResult:
    """What one call returned: per-version results, or an error for the whole call."""

    successful: dict[str, str] = field(default_factory=dict)  # version -> status
    failed: dict[str, tuple[str, str]] = field(default_factory=dict)  # version -> (errorCode, errorMessage)
    error: tuple[str, str] | None = None  # (AWS error code, message) when the call itself failed
    # Versions read again, after a try whose answer was lost, exactly as this call's write leaves them:
    # version -> (status, why it is ambiguous). Not `successful`: who made the change cannot be told.
    found: dict[str, tuple[str, str]] = field(default_factory=dict)


class Executor(Protocol):
    """Makes the API call an action describes (`reconciler.aws.executor.BotoExecutor` implements it).

    It is called from several threads at once (one per package being changed)."""

    def execute(self, action: Action) -> BatchResult: ...


@dataclass(frozen=True)
class VersionOutcome:
    package: PackageRef
    version: str
    kind: ActionKind
    prior: str
    after: str
    outcome: Outcome
    code: str = ""
    message: str = ""


@dataclass
class ApplyReport:
    """Every version of the plan with its outcome, and what it cost."""

    outcomes: list[VersionOutcome] = field(default_factory=list)
    calls: int = 0
    throttled: int = 0  # throttling answers absorbed by retries (none reached the user)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for item in self.outcomes if item.outcome is outcome)

    @property
    def succeeded(self) -> bool:
        return all(item.outcome in (Outcome.APPLIED, Outcome.UNCHANGED) for item in self.outcomes)


Listener = Callable[[Action, list[VersionOutcome]], None]


def apply_plan(
    plan: Plan,
    executor: Executor,
    *,
    max_workers: int = 8,
    on_outcomes: Listener | None = None,
    skip: Iterable[tuple[PackageRef, str]] = (),
    stop: threading.Event | None = None,
) -> ApplyReport:
    """Run the plan's actions; `skip` names (package, version) pairs already known not to be applied.

    The report holds every (action kind, package, version) of the plan exactly once, in plan order.
    If anything raises (Ctrl-C, a bug), `stop` is set and no further action starts: the calls
    already on the wire finish, and the exception propagates. (An executor given the same event
    can stop waiting to retry.)
    """
    run = _Run(executor, set(skip), on_outcomes, stop or threading.Event())
    for phase in sorted({_phase(action) for action in plan.actions}):
        by_package: dict[PackageRef, list[Action]] = {}
        for action in plan.actions:
            if _phase(action) == phase:
                by_package.setdefault(action.package, []).append(action)
        run.phase(list(by_package.values()), max_workers)
    run.report.outcomes = in_plan_order(plan, run.report.outcomes)
    return run.report


class _Run:
    """One apply's bookkeeping: the report, and the versions later actions must not touch."""

    def __init__(
        self,
        executor: Executor,
        moved: set[tuple[PackageRef, str]],
        on_outcomes: Listener | None,
        stop: threading.Event,
    ) -> None:
        self.executor = executor
        self.moved = moved
        self.blocked = set(moved)
        self.on_outcomes = on_outcomes
        self.stop = stop
        self.report = ApplyReport()
        self.lock = threading.Lock()

    def phase(self, packages: list[list[Action]], max_workers: int) -> None:
        """Different packages in parallel, each package's actions one after another."""
        if not packages:
            return
        pool = ThreadPoolExecutor(max_workers=max(1, max_workers))
        try:
            futures = [pool.submit(self.package, actions) for actions in packages]
            for future in futures:
                future.result()
        except BaseException:
            self.stop.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def package(self, actions: list[Action]) -> None:
        for action in actions:
            if self.stop.is_set():
                return
            package = action.package
            with self.lock:
                held = [c for c in action.versions if (package, c.version) in self.blocked]
                ready = [c for c in action.versions if (package, c.version) not in self.blocked]
            if held:
                self.record(action, [self._held(action, change) for change in held], 0)
            if ready:
                outcomes, calls = _run_action(action.with_versions(tuple(ready)), self.executor)
                self.record(action, outcomes, calls)

    def _held(self, action: Action, change: VersionChange) -> VersionOutcome:
        why = (
            "this version moved since the plan"
            if (action.package, change.version) in self.moved
            else "an earlier action on this version did not go through"
        )
        return _outcome(action, change, Outcome.NOT_ATTEMPTED, "", why)

    def record(self, action: Action, outcomes: list[VersionOutcome], calls: int) -> None:
        with self.lock:
            self.report.outcomes.extend(outcomes)
            self.report.calls += calls
            source = action.source
            for item in outcomes:
                if item.outcome not in (Outcome.APPLIED, Outcome.UNCHANGED):
                    self.blocked.add((item.package, item.version))
                    if source is not None:
                        # A promotion that did not arrive must not lose its source either: the
                        # source version's own later changes (archive, dispose) wait for a new plan.
                        self.blocked.add((source, item.version))
        if self.on_outcomes is not None:
            self.on_outcomes(action, outcomes)


def in_plan_order(plan: Plan, outcomes: Iterable[VersionOutcome]) -> list[VersionOutcome]:
    """The outcomes in the order of the plan's actions and versions (others last)."""
    position = {
        (action.kind, action.package, change.version): index
        for index, (action, change) in enumerate((a, c) for a in plan.actions for c in a.versions)
    }
    end = len(position)
    return sorted(outcomes, key=lambda item: position.get((item.kind, item.package, item.version), end))


def _phase(action: Action) -> int:
    """The update that settles a copy's status runs in the copy's phase, after it (plan order)."""
    if action.settles_copy:
        return ActionKind.COPY.phase
    return action.kind.phase


def _run_action(action: Action, executor: Executor) -> tuple[list[VersionOutcome], int]:
    """Make the action's call; retry the versions SKIPPED because another of the batch failed."""
    outcomes: list[VersionOutcome] = []
    pending = action
    calls = 0
    for _ in range(MAX_SKIP_ROUNDS):
        result = executor.execute(pending)
        calls += 1
        if result.error is not None:
            code, message = result.error
            outcomes.extend(_outcome(pending, c, Outcome.FAILED, code, message) for c in pending.versions)
            return outcomes, calls
        skipped = [c for c in pending.versions if result.failed.get(c.version, ("",))[0] == ErrorCode.SKIPPED]
        outcomes.extend(_version_outcome(pending, c, result) for c in pending.versions if c not in skipped)
        if not skipped:
            return outcomes, calls
        if len(skipped) == len(pending.versions):
            # Everything skipped and nothing failed on its own: retrying would loop forever.
            outcomes.extend(
                _outcome(pending, c, Outcome.FAILED, "SKIPPED", "skipped with no version failing")
                for c in skipped
            )
            return outcomes, calls
        pending = pending.with_versions(tuple(skipped))
    outcomes.extend(
        _outcome(pending, c, Outcome.FAILED, "SKIPPED", "still skipped after retries")
        for c in pending.versions
    )
    return outcomes, calls


def _version_outcome(action: Action, change: VersionChange, result: BatchResult) -> VersionOutcome:
    """What one call did to one version (not SKIPPED)."""
    if change.version in result.found:
        status, message = result.found[change.version]
        if action.kind is ActionKind.COPY and status != change.after.value:
            return _outcome(
                action,
                change,
                Outcome.MOVED,
                AMBIGUOUS,
                f"{message}; it is {status}: the source moved since the plan",
            )
        return _outcome(action, change, Outcome.UNCHANGED, AMBIGUOUS, message)
    if change.version in result.successful:
        arrived = result.successful[change.version]
        if action.kind is ActionKind.COPY and arrived and arrived != change.after.value:
            # The copy went through, but the source's status moved since the plan.
            return _outcome(
                action,
                change,
                Outcome.MOVED,
                ErrorCode.MISMATCHED_STATUS,
                f"copied, but it arrived {arrived}: the source moved since the plan",
            )
        return _outcome(action, change, Outcome.APPLIED)
    if change.version in result.failed:
        code, message = result.failed[change.version]
        if code in (ErrorCode.MISMATCHED_STATUS, ErrorCode.MISMATCHED_REVISION, AMBIGUOUS):
            return _outcome(action, change, Outcome.MOVED, code, message)
        if action.kind is ActionKind.DELETE and code == ErrorCode.NOT_FOUND:
            # Gone before the call (another writer deleted it after apply read it again): absent is
            # what the manifests declare, as for a version already gone when apply reads it.
            return _outcome(
                action,
                change,
                Outcome.UNCHANGED,
                code,
                f"already gone, not deleted by this apply ({message})",
            )
        return _outcome(action, change, Outcome.FAILED, code, message)
    if action.kind is ActionKind.COPY:
        # In neither map: the destination already held this exact version.
        return _outcome(action, change, Outcome.UNCHANGED)
    return _outcome(action, change, Outcome.FAILED, "NO_RESULT", "the response did not mention this version")


def _outcome(
    action: Action, change: VersionChange, outcome: Outcome, code: str = "", message: str = ""
) -> VersionOutcome:
    return VersionOutcome(
        package=action.package,
        version=change.version,
        kind=action.kind,
        prior=change.prior_status.value,
        after=change.after.value,
        outcome=outcome,
        code=code,
        message=message,
    )
