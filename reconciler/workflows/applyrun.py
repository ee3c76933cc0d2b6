"""One apply's account of itself, whatever its outcome: every call it made (reads included), the
journal, the outcomes so far, and why it stopped short when it did.

An apply ends in one of five ways: applied (everything went through), incomplete (some versions
failed or moved), refused (a check said no, before any change), failed (an error, such as AWS
refusing a read) or interrupted (Ctrl-C, SIGTERM). Each ends with a report and, once there is a
plan, a journal that says which, so a CI artifact is never empty when someone must learn why.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.applier import ApplyReport, Outcome, VersionOutcome, in_plan_order
from reconciler.aws.client import Connection
from reconciler.aws.observe import ObservedCall
from reconciler.errors import LimitExceededError, PlanError, ReconcilerError
from reconciler.journal import Journal
from reconciler.plan import Plan
from reconciler.staleness import Staleness
from reconciler.workflows.regions import RegionalExecutor

INTERRUPTED = "the apply was interrupted before this version"


@dataclass
class ApplyResult:
    """An apply's report, and what the command needs to tell about it.

    `stopped` is why the apply stopped short, to be raised once the report is out: a
    `ReconcilerError` (a refusal, or an error) or the interruption itself (KeyboardInterrupt,
    SystemExit). `calls` counts every attempt of every call, reads included, per operation.
    """

    report: ApplyReport
    staleness: Staleness | None = None
    journal: Path | None = None
    calls: Counter[str] = field(default_factory=Counter)
    stopped: BaseException | None = None
    limits_exceeded: tuple[str, ...] = ()
    digest: str | None = None  # the applied plan's digest (`planfile.plan_digest`), once read

    @property
    def result(self) -> str:
        """applied, incomplete, refused, failed or interrupted."""
        if isinstance(self.stopped, PlanError | LimitExceededError):
            return "refused"
        if isinstance(self.stopped, KeyboardInterrupt | SystemExit):
            return "interrupted"
        if self.stopped is not None:
            return "failed"
        return "applied" if self.report.succeeded else "incomplete"

    @property
    def succeeded(self) -> bool:
        return self.result == "applied"


class ApplyRun:
    """Collects an apply's calls and outcomes from wherever they happen, and journals them."""

    def __init__(self) -> None:
        self.plan: Plan | None = None
        self.journal: Journal | None = None
        self.staleness: Staleness | None = None
        self.limits_exceeded: tuple[str, ...] = ()
        self.digest: str | None = None
        self.reads: Counter[str] = Counter()
        self.executor: RegionalExecutor | None = None  # makes, counts and journals the plan's calls
        self.outcomes: list[VersionOutcome] = []
        self.executing = False  # the plan's calls began: versions not reached are not-attempted
        self._pending: list[ObservedCall] = []  # reads made before the journal was opened
        self._lock = threading.Lock()

    def watch(self, connection: Connection) -> None:
        """Count and journal every call made on `connection` from now on."""
        connection.log.listen(self._observed)

    def _observed(self, call: ObservedCall) -> None:
        with self._lock:
            self.reads[call.operation] += call.attempts
            if self.journal is None:
                self._pending.append(call)
                return
        self._journal_read(call)

    def _journal_read(self, call: ObservedCall) -> None:
        assert self.journal is not None
        error = {"error": call.error} if call.error else {}
        self.journal.write("read", operation=call.operation, attempts=call.attempts, **call.about, **error)

    def start(self, plan: Plan, journal_path: Path, digest: str | None = None) -> None:
        """The plan is known: open its journal and write what this apply is about (with the plan's
        digest, `planfile.plan_digest`, when given)."""
        self.plan, self.digest = plan, digest
        journal = Journal(journal_path)
        journal.write(
            "apply",
            **({"plan_digest": digest} if digest is not None else {}),
            plan_created_at=plan.created_at,
            manifest_digest=plan.manifest_digest,
            actions=len(plan.actions),
            versions=sum(len(action.versions) for action in plan.actions),
        )
        with self._lock:
            self.journal, pending, self._pending = journal, self._pending, []
        for call in pending:
            self._journal_read(call)

    def record(self, outcomes: list[VersionOutcome]) -> None:
        with self._lock:
            self.outcomes.extend(outcomes)

    def guard(self, body: Callable[[], None]) -> ApplyResult:
        """Run the apply; whatever ends it, journal how and return the report."""
        try:
            body()
        except ReconcilerError as error:
            return self._close(error)
        except (KeyboardInterrupt, SystemExit) as interruption:
            return self._close(interruption)
        except BaseException as bug:
            self._close(bug)
            raise
        return self._close(None)

    def _close(self, stopped: BaseException | None) -> ApplyResult:
        result = self.result(stopped)
        if self.journal is not None:
            self.journal.write(_EVENTS[result.result], **self._summary(result))
            self.journal.close()
        return result

    def result(self, stopped: BaseException | None) -> ApplyResult:
        outcomes = list(self.outcomes)
        if stopped is not None and self.executing and self.plan is not None:
            outcomes += self._not_reached(outcomes)
        if self.plan is not None:
            outcomes = in_plan_order(self.plan, outcomes)
        calls = self.reads + (self.executor.calls if self.executor is not None else Counter())
        throttled = self.executor.throttled if self.executor is not None else 0
        report = ApplyReport(outcomes, sum(calls.values()), throttled)
        return ApplyResult(
            report,
            self.staleness,
            self.journal.path if self.journal is not None else None,
            calls,
            stopped,
            self.limits_exceeded,
            self.digest,
        )

    def _not_reached(self, outcomes: list[VersionOutcome]) -> list[VersionOutcome]:
        assert self.plan is not None
        reached = {(item.kind, item.package, item.version) for item in outcomes}
        return [
            VersionOutcome(
                action.package,
                change.version,
                action.kind,
                change.prior_status.value,
                change.after.value,
                Outcome.NOT_ATTEMPTED,
                "",
                INTERRUPTED,
            )
            for action in self.plan.actions
            for change in action.versions
            if (action.kind, action.package, change.version) not in reached
        ]

    def _summary(self, result: ApplyResult) -> dict[str, object]:
        summary: dict[str, object] = {
            "calls": dict(result.calls),
            "throttled": result.report.throttled,
            "counts": {outcome.value: result.report.count(outcome) for outcome in Outcome},
        }
        stopped = result.stopped
        if isinstance(stopped, ReconcilerError):
            summary.update(reason=stopped.summary, detail=stopped.detail)
        elif stopped is not None:
            summary["error"] = type(stopped).__name__
        if result.limits_exceeded:
            summary["limits_exceeded"] = list(result.limits_exceeded)
        if result.staleness is not None:
            summary.update(moved=len(result.staleness.moved), already_done=len(result.staleness.done))
        return summary


_EVENTS = {
    "applied": "done",
    "incomplete": "done",
    "refused": "refused",
    "failed": "failed",
    "interrupted": "interrupted",
}
