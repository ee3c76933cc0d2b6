"""`apply_plan(plan, executor) -> ApplyReport`: run exactly a plan's actions and account for every version.

Phases run in order (copies, status updates, disposes); within a phase, different packages run
concurrently and one package's actions run one after another. A version whose earlier action did
not go through is not attempted in a later phase (no status update for a copy that failed).

Per-version outcomes come from `successfulVersions`/`failedVersions`: MISMATCHED_STATUS and
MISMATCHED_REVISION mean the version moved since the plan and are never retried; versions SKIPPED
because another version of their batch failed are retried in a new, still guarded batch without it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from reconciler.codeartifact import ErrorCode
from reconciler.plan import Action, ActionKind, Plan, VersionChange

MAX_SKIP_ROUNDS = 5


class Outcome(StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"  # already as planned (an identical copy was there)
    MOVED = "moved"  # changed by someone else since the plan: refused by the guards
    FAILED = "failed"
    NOT_ATTEMPTED = "not-attempted"  # an earlier action it depends on did not go through


@dataclass(frozen=True)
class BatchResult:
    """What one call returned: per-version results, or an error for the whole call."""

    successful: dict[str, str] = field(default_factory=dict)  # version -> status
    failed: dict[str, tuple[str, str]] = field(default_factory=dict)  # version -> (errorCode, errorMessage)
    error: tuple[str, str] | None = None  # (AWS error code, message) when the call itself failed


class Executor(Protocol):
    """Makes the API call an action describes (aws.py implements it)."""

    def execute(self, action: Action) -> BatchResult: ...


@dataclass(frozen=True)
class VersionOutcome:
    package: str
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

    def to_json(self) -> dict[str, object]:
        return {
            "succeeded": self.succeeded,
            "counts": {outcome.value: self.count(outcome) for outcome in Outcome},
            "calls": self.calls,
            "throttled": self.throttled,
            "versions": [
                {
                    "package": item.package,
                    "version": item.version,
                    "action": item.kind.value,
                    "from": item.prior,
                    "to": item.after,
                    "outcome": item.outcome.value,
                    "code": item.code,
                    "message": item.message,
                }
                for item in self.outcomes
            ],
        }


Listener = Callable[[Action, list[VersionOutcome]], None]


def apply_plan(
    plan: Plan,
    executor: Executor,
    *,
    max_workers: int = 8,
    on_outcomes: Listener | None = None,
    skip: Iterable[tuple[str, str]] = (),
) -> ApplyReport:
    """Run the plan's actions; `skip` names (package, version) pairs already known not to be applied."""
    report = ApplyReport()
    lock = threading.Lock()
    blocked: set[tuple[str, str]] = set(skip)

    def record(action: Action, outcomes: list[VersionOutcome], calls: int) -> None:
        with lock:
            report.outcomes.extend(outcomes)
            report.calls += calls
            for item in outcomes:
                if item.outcome not in (Outcome.APPLIED, Outcome.UNCHANGED):
                    blocked.add((item.package, item.version))
        if on_outcomes is not None:
            on_outcomes(action, outcomes)

    for kind in ActionKind:
        by_package: dict[str, list[Action]] = {}
        for action in plan.actions:
            if action.kind is kind:
                by_package.setdefault(str(action.package), []).append(action)

        def run_package(actions: list[Action]) -> None:
            for action in actions:
                package = str(action.package)
                with lock:
                    held = [c for c in action.versions if (package, c.version) in blocked]
                ready = [c for c in action.versions if (package, c.version) not in blocked]
                if held:
                    record(
                        action,
                        [_outcome(action, c, Outcome.NOT_ATTEMPTED, "", _why_held(action.kind)) for c in held],
                        0,
                    )
                if ready:
                    outcomes, calls = _run_action(
                        action.model_copy(update={"versions": tuple(ready)}), executor
                    )
                    record(action, outcomes, calls)

        with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
            list(pool.map(run_package, by_package.values()))
    return report


def _why_held(kind: ActionKind) -> str:
    return (
        "an earlier action on this version did not go through" if kind is not ActionKind.COPY else "refused"
    )


def _run_action(action: Action, executor: Executor) -> tuple[list[VersionOutcome], int]:
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
        skipped: list[VersionChange] = []
        for change in pending.versions:
            if change.version in result.successful:
                outcomes.append(_outcome(pending, change, Outcome.APPLIED))
            elif change.version in result.failed:
                code, message = result.failed[change.version]
                if code == ErrorCode.SKIPPED:
                    skipped.append(change)
                elif code in (ErrorCode.MISMATCHED_STATUS, ErrorCode.MISMATCHED_REVISION):
                    outcomes.append(_outcome(pending, change, Outcome.MOVED, code, message))
                else:
                    outcomes.append(_outcome(pending, change, Outcome.FAILED, code, message))
            elif pending.kind is ActionKind.COPY:
                # In neither map: the destination already held this exact version.
                outcomes.append(_outcome(pending, change, Outcome.UNCHANGED))
            else:
                outcomes.append(
                    _outcome(
                        pending,
                        change,
                        Outcome.FAILED,
                        "NO_RESULT",
                        "the response did not mention this version",
                    )
                )
        if not skipped:
            return outcomes, calls
        if len(skipped) == len(pending.versions):
            # Everything skipped and nothing failed on its own: retrying would loop forever.
            outcomes.extend(
                _outcome(pending, c, Outcome.FAILED, "SKIPPED", "skipped with no version failing")
                for c in skipped
            )
            return outcomes, calls
        pending = pending.model_copy(update={"versions": tuple(skipped)})
    outcomes.extend(
        _outcome(pending, c, Outcome.FAILED, "SKIPPED", "still skipped after retries")
        for c in pending.versions
    )
    return outcomes, calls


def _outcome(
    action: Action, change: VersionChange, outcome: Outcome, code: str = "", message: str = ""
) -> VersionOutcome:
    return VersionOutcome(
        package=str(action.package),
        version=change.version,
        kind=action.kind,
        prior=change.prior_status.value,
        after=change.after.value,
        outcome=outcome,
        code=code,
        message=message,
    )
