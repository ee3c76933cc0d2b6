"""Makes a plan action's API call: rate-limited, retried with backoff that honours Retry-After, journaled."""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.exceptions
import botocore.parsers

from reconciler.applier import BatchResult
from reconciler.aws.client import snake
from reconciler.aws.failures import error_code_and_message
from reconciler.aws.requests import action_request
from reconciler.codeartifact import ErrorCode
from reconciler.journal import Journal
from reconciler.plan import Action, ActionKind
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
_CURRENT_STATUS = re.compile(r"current status: (\w+)")


class BotoExecutor:
    """Implements `applier.Executor` on a boto3 client whose own retries are off (we retry here).

    Every attempt is rate-limited, counted in `calls` and journaled: a `send` line before it goes
    out, then a `call` line with the per-version result or an `error` line. Throttling, 5xx answers
    and failures in transit are retried with backoff, never sooner than a Retry-After asks; any
    other error is returned as the result of the whole call.

    A call that failed in transit (a dropped connection, a 5xx) may still have been carried out.
    Its retry is guarded like the first try, so it cannot change anything twice; a version it then
    reports as MISMATCHED_STATUS with the planned status already in place, or a copy it reports in
    neither map, was applied by the first try (journaled as `recovered`).
    """

    def __init__(
        self,
        client: Any,
        limiter: RateLimiter | None = None,
        journal: Journal | None = None,
        max_retries: int = 8,
        sleep: Callable[[float], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.client = client
        self.endpoint = str(getattr(getattr(client, "meta", None), "endpoint_url", "the endpoint"))
        self.limiter = limiter
        self.journal = journal or Journal(None)
        self.max_retries = max_retries
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
        ambiguous = False
        failure = _Failure("", "", retryable=False)
        for attempt in range(self.max_retries + 1):
            if attempt and self.stop.is_set():
                return BatchResult(
                    error=("Interrupted", f"{failure.message} (not retried: the apply was interrupted)")
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
                result, recovered = _result(answer, action, ambiguous)
                self.journal.write(
                    "call",
                    operation=operation,
                    package=package,
                    versions=versions,
                    successful=result.successful,
                    failed={version: list(failure) for version, failure in result.failed.items()},
                    attempt=attempt,
                    **({"recovered": recovered} if recovered else {}),
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
                return BatchResult(error=(failure.code, failure.message))
            if failure.throttled:
                with self._lock:
                    self.throttled += 1
            else:
                ambiguous = True
            if attempt < self.max_retries:
                self.sleep(delay)
        return BatchResult(
            error=(
                failure.code,
                f"{failure.message} (still failing after {self.max_retries} retries)".lstrip(),
            )
        )

    def _wait(self, seconds: float) -> None:
        self.stop.wait(seconds)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        # Full jitter on an exponential base, never sooner than the service asked.
        with self._lock:
            delay = self._random.uniform(0, min(20.0, 0.05 * 2**attempt))
        return max(delay, retry_after or 0.0)


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


def _result(response: dict[str, Any], action: Action, ambiguous: bool) -> tuple[BatchResult, list[str]]:
    """The per-version result, and the versions an earlier, unanswered try of this call applied."""
    successful = {
        version: info.get("status", "") for version, info in response.get("successfulVersions", {}).items()
    }
    failed: dict[str, tuple[str, str]] = {}
    recovered: list[str] = []
    planned = {change.version: change.after.value for change in action.versions}
    for version, info in response.get("failedVersions", {}).items():
        code, message = info.get("errorCode", ""), info.get("errorMessage", "")
        current = _CURRENT_STATUS.search(message)
        if (
            ambiguous
            and code == ErrorCode.MISMATCHED_STATUS
            and current
            and current.group(1) == planned.get(version)
        ):
            successful[version] = current.group(1)  # our earlier, unanswered try did it
            recovered.append(version)
            continue
        failed[version] = (code, message)
    if ambiguous and action.kind is ActionKind.COPY and not failed:
        # In neither map: already in the destination, identical. The plan copies only versions
        # the destination did not have, so the earlier, unanswered try copied it.
        for version, status in planned.items():
            if version not in successful:
                successful[version] = status
                recovered.append(version)
    return BatchResult(successful=successful, failed=failed), recovered
