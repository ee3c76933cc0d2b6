"""Makes a plan action's API call: rate-limited, retried with backoff that honours Retry-After, journaled."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.exceptions
import botocore.parsers

from reconciler.applier import AMBIGUOUS, BatchResult
from reconciler.aws import settings
from reconciler.aws.client import snake
from reconciler.aws.failures import error_code_and_message
from reconciler.aws.requests import action_request, package_params
from reconciler.codeartifact import MAX_PAGE_SIZE, ErrorCode
from reconciler.journal import Journal
from reconciler.plan import Action, ActionKind, VersionChange
from reconciler.ratelimit import RateLimiter

RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "InternalServerException",
        "ServiceUnavailable",
        "RequestTimeout",
        "500",
        "502",
        "503",
        "504",
    }
)
# What an error after an unanswered try says of it, when the versions could not be read again.
_NOT_SETTLED = "ambiguous: an earlier try's answer was lost, so it may have been carried out"
_NO_RESULT = ("NO_RESULT", "the response did not mention this version")
# The parameters that say what a read was about (as the request log words them).
_ABOUT = ("domain", "domainOwner", "repository", "format", "namespace", "package")


class BotoExecutor:
    """Implements `applier.Executor` on a boto3 client whose own retries are off (we retry here).

    Every attempt is rate-limited, counted in `calls` and journaled: a `send` line before it goes
    out, then a `call` line with the per-version result or an `error` line. Throttling, 5xx answers
    and failures in transit are retried with backoff, never sooner than a Retry-After asks; any
    other error is returned as the result of the whole call.

    A call that failed in transit (a dropped connection, a 5xx) may still have been carried out.
    Its retry is guarded like the first try, so it cannot change anything twice. What the retry
    leaves open (a version it refuses, a copy it reports in neither map, a retry that fails too) is
    settled by listing the package's versions again (`_settle`, journaled as `verify`): a version
    exactly as this call's own write leaves it (`_verdict`: status and revision) is `as-planned`,
    booked in `BatchResult.found` (unchanged, code AMBIGUOUS), not as applied: a status change keeps
    the revision, so another writer's identical change looks the same, and whose it was cannot be
    told; one at the planned status at another revision is `ambiguous` (code AMBIGUOUS, what it is
    now in the message), never applied.
    """

    def __init__(
        self,
        client: Any,
        limiter: RateLimiter | None = None,
        journal: Journal | None = None,
        max_retries: int = 8,
        sleep: Callable[[float], None] | None = None,
        stop: threading.Event | None = None,
        delay_scale: float | None = None,
    ) -> None:
        self.client = client
        self.endpoint = str(getattr(getattr(client, "meta", None), "endpoint_url", "the endpoint"))
        self.limiter = limiter
        self.journal = journal or Journal(None)
        self.max_retries = max_retries
        # Every wait before a retry is multiplied by this (`settings.retry_delay_scale`; tests shorten waits).
        self.delay_scale = settings.retry_delay_scale() if delay_scale is None else delay_scale
        # Once `stop` is set (the apply is being interrupted), waits to retry end and no retry goes out.
        self.stop = stop or threading.Event()
        self.sleep = sleep or self._wait
        self.calls: Counter[str] = Counter()
        self.throttled = 0
        self._random = random.Random()
        self._lock = threading.Lock()  # execute() runs on several threads at once

    def execute(self, action: Action) -> BatchResult:
        operation = action.kind.operation
        method = getattr(self.client, snake(operation))
        params = action_request(action)
        package = str(action.package)
        versions = [change.version for change in action.versions]
        ambiguous = False  # an earlier try may have been carried out although no answer came back
        failure = _Failure("", "", retryable=False)
        for attempt in range(self.max_retries + 1):
            if attempt and self.stop.is_set():
                # No further call goes out, not even a read to settle an earlier try.
                note = f"; {_NOT_SETTLED}" if ambiguous else ""
                if ambiguous:
                    self.journal.write(
                        "verify",
                        operation=operation,
                        package=package,
                        error="Interrupted",
                        verdicts=dict.fromkeys(versions, "ambiguous"),
                    )
                return BatchResult(
                    error=("Interrupted", f"{failure.message} (not retried: the apply was interrupted{note})")
                )
            if self.limiter is not None:
                self.limiter.acquire(operation)
            with self._lock:
                self.calls[operation] += 1
            self.journal.write(
                "send", operation=operation, package=package, versions=versions, attempt=attempt
            )
            answer = _attempt(method, params, self.endpoint)
            if not isinstance(answer, _Failure):
                result = _result(answer)
                verdicts: dict[str, str] = {}
                if ambiguous:
                    result, verdicts = self._settle(action, result, None)
                self.journal.write(
                    "call",
                    operation=operation,
                    package=package,
                    versions=versions,
                    successful=result.successful,
                    failed={version: list(failure) for version, failure in result.failed.items()},
                    attempt=attempt,
                    **_verdict_lists(verdicts),
                )
                return result
            failure = answer
            retried = failure.retryable and attempt < self.max_retries
            delay = self._backoff(attempt, failure.retry_after) if retried else 0.0
            self.journal.write(
                "error",
                operation=operation,
                package=package,
                code=failure.code,
                message=failure.message,
                attempt=attempt,
                retry_in=round(delay, 3) if retried else None,
            )
            if not failure.retryable:
                return self._failed(action, (failure.code, failure.message), ambiguous)
            if failure.throttled:
                with self._lock:
                    self.throttled += 1
            else:
                ambiguous = True
            if attempt < self.max_retries:
                self.sleep(delay)
        message = f"{failure.message} (still failing after {self.max_retries} retries)".lstrip()
        return self._failed(action, (failure.code, message), ambiguous)

    def _failed(self, action: Action, error: tuple[str, str], ambiguous: bool) -> BatchResult:
        """A call that ended in an error: after a try that may have been carried out, what the
        versions are now decides, version by version (the error stands for those it left alone)."""
        if not ambiguous:
            return BatchResult(error=error)
        result, verdicts = self._settle(action, BatchResult(), error)
        if set(verdicts.values()) <= {"untouched"}:
            return BatchResult(error=error)  # no try changed anything: the call failed as a whole
        return result

    def _settle(
        self, action: Action, result: BatchResult, error: tuple[str, str] | None
    ) -> tuple[BatchResult, dict[str, str]]:
        """Settle the versions an answer (or an `error`) after an unanswered try leaves open by reading
        them again (see `_verdict`): `as-planned` is booked in `found`, `untouched` and `moved` keep
        the answer (or the error), `ambiguous` gets code AMBIGUOUS and what the version is now."""
        open_ = [change for change in action.versions if change.version not in result.successful]
        if not open_:
            return result, {}
        found = self._read_versions(action)
        verdicts: dict[str, str] = {}
        if isinstance(found, _Failure):
            why = f"{_NOT_SETTLED}, and reading the versions again failed: {found.code}: {found.message}"
            failed = dict(result.failed)
            for change in open_:
                code, message = failed.get(change.version) or error or _NO_RESULT
                failed[change.version] = (code, f"{message} ({why})")
            verdicts.update((change.version, "ambiguous") for change in open_)
            self.journal.write(
                "verify",
                operation=action.kind.operation,
                package=str(action.package),
                error=found.code,
                verdicts=verdicts,
            )
            return BatchResult(successful=result.successful, failed=failed), verdicts
        failed = dict(result.failed)
        as_planned: dict[str, tuple[str, str]] = {}
        for change in open_:
            now = found.get(change.version)
            verdict = verdicts[change.version] = _verdict(action, change, now)
            if verdict == "as-planned":
                as_planned[change.version] = (
                    now[0] if now is not None else action.target_status.value,
                    _as_planned_message(action, now),
                )
                failed.pop(change.version, None)
            elif verdict == "ambiguous":
                failed[change.version] = (AMBIGUOUS, _ambiguous_message(action, change, now))
            elif verdict == "moved" and change.version not in failed:
                failed[change.version] = (ErrorCode.MISMATCHED_STATUS, _moved_message(action, now, error))
            elif change.version not in failed:
                # Left alone by every try: the error, or the answer's silence, stands for it.
                failed[change.version] = error or _NO_RESULT
        self.journal.write(
            "verify",
            operation=action.kind.operation,
            package=str(action.package),
            found={change.version: _found_json(found.get(change.version)) for change in open_},
            verdicts=verdicts,
        )
        return BatchResult(successful=dict(result.successful), failed=failed, found=as_planned), verdicts

    def _read_versions(self, action: Action) -> dict[str, tuple[str, str]] | _Failure:
        """(status, revision) of every version of the action's package (the copy's destination),
        listed again with ListPackageVersions; {} when the package is not there."""
        operation = "ListPackageVersions"
        method = getattr(self.client, snake(operation))
        params: dict[str, Any] = {**package_params(action.package), "maxResults": MAX_PAGE_SIZE}
        found: dict[str, tuple[str, str]] = {}
        token: str | None = None
        while True:
            page = self._read(method, operation, {**params, **({"nextToken": token} if token else {})})
            if isinstance(page, _Failure):
                if page.code == "ResourceNotFoundException":
                    return {}
                return page
            for item in page.get("versions", []):
                found[item["version"]] = (item.get("status", ""), item.get("revision", ""))
            token = page.get("nextToken")
            if not token:
                return found

    def _read(
        self, method: Callable[..., dict[str, Any]], operation: str, params: dict[str, Any]
    ) -> dict[str, Any] | _Failure:
        """One read, retried as the writes are (a read changes nothing, so every retry is safe)."""
        about = {key: str(params[key]) for key in _ABOUT if params.get(key) is not None}
        answer: dict[str, Any] | _Failure = _Failure("", "", retryable=False)
        attempts = 0
        for attempt in range(self.max_retries + 1):
            if attempt and self.stop.is_set():
                break
            if self.limiter is not None:
                self.limiter.acquire(operation)
            with self._lock:
                self.calls[operation] += 1
            attempts += 1
            answer = _attempt(method, params, self.endpoint)
            if not isinstance(answer, _Failure) or not answer.retryable:
                break
            if answer.throttled:
                with self._lock:
                    self.throttled += 1
            if attempt < self.max_retries:
                self.sleep(self._backoff(attempt, answer.retry_after))
        error = {"error": answer.code} if isinstance(answer, _Failure) else {}
        self.journal.write("read", operation=operation, attempts=attempts, **about, **error)
        return answer

    def _wait(self, seconds: float) -> None:
        self.stop.wait(seconds)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        # Full jitter on an exponential base, never sooner than the service asked.
        with self._lock:
            delay = self._random.uniform(0, min(20.0, 0.05 * 2**attempt))
        return max(delay, retry_after or 0.0) * self.delay_scale


@dataclass(frozen=True)
class _Failure:
    """An attempt that got no per-version answer: whether to retry, and how soon at the earliest."""

    code: str
    message: str
    retryable: bool
    throttled: bool = False
    retry_after: float | None = None


def _attempt(
    method: Callable[..., dict[str, Any]], params: dict[str, Any], endpoint: str
) -> dict[str, Any] | _Failure:
    """One call: its response, or why it failed."""
    try:
        return method(**params)
    except botocore.exceptions.ClientError as exc:
        code, message = error_code_and_message(exc.response, endpoint)
        retryable = code in RETRYABLE_CODES or code.startswith("5")
        return _Failure(code, message, retryable, code == "ThrottlingException", _retry_after(exc.response))
    except _IN_TRANSIT as exc:
        # The request may have reached the service and been carried out.
        return _Failure(type(exc).__name__, str(exc), retryable=True)
    except botocore.exceptions.BotoCoreError as exc:
        # Not sent (bad parameters, no credentials): retrying cannot help.
        return _Failure(type(exc).__name__, str(exc), retryable=False)


# Failures in transit: the request may or may not have been carried out.
_IN_TRANSIT = (
    botocore.exceptions.ConnectionError,
    botocore.exceptions.HTTPClientError,
    botocore.parsers.ResponseParserError,
)


def _retry_after(response: dict[str, Any]) -> float | None:
    value = response.get("retryAfterSeconds")
    if value is None:
        value = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("retry-after")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _result(response: dict[str, Any]) -> BatchResult:
    """The per-version result as the service gave it."""
    successful = {
        version: info.get("status", "") for version, info in response.get("successfulVersions", {}).items()
    }
    failed = {
        version: (info.get("errorCode", ""), info.get("errorMessage", ""))
        for version, info in response.get("failedVersions", {}).items()
    }
    return BatchResult(successful=successful, failed=failed)


def _verdict(action: Action, change: VersionChange, now: tuple[str, str] | None) -> str:
    """What a version read again after an unanswered try says about that try.

    This call's write leaves a version with the revision the plan saw: a status change or a dispose
    keeps a version's revision, and a copy keeps the source's (the revision the copy is guarded
    by). So `as-planned` is a version with that revision and the status the write gives it (for a
    copy: present at all), whoever made it so; `untouched` a version still as the plan saw it, which no try changed;
    `moved` one with a status this write does not give (someone else's change, whatever came
    first); and `ambiguous` one with the status this write gives at another revision (a copy: present
    at another revision): someone else made it so, perhaps after this apply did, and nothing the
    service says can tell which. A delete leaves a version absent: absent is `as-planned`, and a
    version there at all (but untouched) is `moved`.
    """
    if action.kind is ActionKind.DELETE:
        if now is None:
            return "as-planned"
        return "untouched" if now == (action.expected_status.value, change.prior_revision) else "moved"
    if action.kind is ActionKind.COPY:
        if now is None:
            return "untouched"
        return "as-planned" if now[1] == change.prior_revision else "ambiguous"
    if now is None or now[0] != action.target_status.value:
        untouched = now is not None and now == (action.expected_status.value, change.prior_revision)
        return "untouched" if untouched else "moved"
    return "as-planned" if now[1] == change.prior_revision else "ambiguous"


def _as_planned_message(action: Action, now: tuple[str, str] | None) -> str:
    where = action.package.repository.repository
    found = f"{now[0]} at revision {now[1]}" if now is not None else "not there"
    return (
        f"ambiguous: an earlier try's answer was lost, and in {where} the version is now exactly as "
        f"this apply's write leaves it ({found}); whether that try or another "
        "writer's identical change made it so, nothing CodeArtifact returns can tell"
    )


def _ambiguous_message(action: Action, change: VersionChange, now: tuple[str, str] | None) -> str:
    where = action.package.repository.repository
    found = f"{now[0]} at revision {now[1]}" if now is not None else "not there"
    if action.kind is ActionKind.COPY:
        leaves = f"at revision {change.prior_revision}, copied from {action.source_repository}"
    else:
        leaves = f"{action.target_status.value} at revision {change.prior_revision}"
    return (
        f"ambiguous: an earlier try's answer was lost, and in {where} the version is now {found}, "
        f"not {leaves} as this apply's write leaves it: whether this apply changed it cannot be told"
    )


def _moved_message(action: Action, now: tuple[str, str] | None, error: tuple[str, str] | None) -> str:
    found = f"{now[0]} at revision {now[1]}" if now is not None else "not there"
    after = f" (after {error[0]}: {error[1]})" if error is not None else ""
    return f"now {found}, not {action.expected_status.value} as the plan saw it{after}"


def _found_json(now: tuple[str, str] | None) -> dict[str, str] | None:
    return {"status": now[0], "revision": now[1]} if now is not None else None


def _verdict_lists(verdicts: dict[str, str]) -> dict[str, list[str]]:
    """The journal's `as_planned` and `ambiguous` lists (only those that are not empty)."""
    lists: dict[str, list[str]] = {}
    for kind in ("as-planned", "ambiguous"):
        named = [version for version, verdict in verdicts.items() if verdict == kind]
        if named:
            lists[kind.replace("-", "_")] = named
    return lists
