"""Makes a plan action's API call: rate-limited, retried with backoff that honours Retry-After, journaled."""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import botocore.exceptions

from reconciler.applier import BatchResult
from reconciler.aws.client import snake
from reconciler.codeartifact import ErrorCode
from reconciler.journal import Journal
from reconciler.plan import Action
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

    A call that failed in transit (a dropped connection, a 5xx) may still have been carried out.
    Its retry is guarded like the first try, so it cannot change anything twice; a version it then
    reports as MISMATCHED_STATUS with the planned status already in place was applied by the first try.
    """

    def __init__(
        self,
        client: Any,
        limiter: RateLimiter | None = None,
        journal: Journal | None = None,
        max_retries: int = 8,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.limiter = limiter
        self.journal = journal or Journal(None)
        self.max_retries = max_retries
        self.sleep = sleep
        self.calls: Counter[str] = Counter()
        self.throttled = 0
        self._random = random.Random()

    def execute(self, action: Action) -> BatchResult:
        operation = action.kind.operation
        params = action.request()
        method = getattr(self.client, snake(operation))
        ambiguous = False
        for attempt in range(self.max_retries + 1):
            if self.limiter is not None:
                self.limiter.acquire(operation)
            self.calls[operation] += 1
            try:
                response = method(**params)
            except botocore.exceptions.ClientError as exc:
                error = exc.response.get("Error", {})
                code, message = str(error.get("Code", "Unknown")), str(error.get("Message", ""))
                self.journal.write(
                    "error",
                    operation=operation,
                    package=str(action.package),
                    code=code,
                    message=message,
                    attempt=attempt,
                )
                if code not in RETRYABLE_CODES and not code.startswith("5"):
                    return BatchResult(error=(code, message))
                if code == "ThrottlingException":
                    self.throttled += 1
                ambiguous = ambiguous or code != "ThrottlingException"
                self.sleep(self._backoff(attempt, _retry_after(exc.response)))
                continue
            except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as exc:
                self.journal.write(
                    "error",
                    operation=operation,
                    package=str(action.package),
                    code=type(exc).__name__,
                    message=str(exc),
                    attempt=attempt,
                )
                ambiguous = True
                self.sleep(self._backoff(attempt, None))
                continue
            result = _result(response, action, ambiguous)
            self.journal.write(
                "call",
                operation=operation,
                package=str(action.package),
                versions=[change.version for change in action.versions],
                successful=result.successful,
                failed={version: list(failure) for version, failure in result.failed.items()},
                attempt=attempt,
            )
            return result
        return BatchResult(
            error=("RetriesExhausted", f"{operation} kept failing after {self.max_retries} retries")
        )

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        # Full jitter on an exponential base, never sooner than the service asked.
        delay = self._random.uniform(0, min(20.0, 0.05 * 2**attempt))
        return max(delay, retry_after or 0.0)


def _retry_after(response: dict[str, Any]) -> float | None:
    value = response.get("retryAfterSeconds")
    if value is None:
        value = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("retry-after")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _result(response: dict[str, Any], action: Action, ambiguous: bool) -> BatchResult:
    successful = {
        version: info.get("status", "") for version, info in response.get("successfulVersions", {}).items()
    }
    failed: dict[str, tuple[str, str]] = {}
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
            continue
        failed[version] = (code, message)
    return BatchResult(successful=successful, failed=failed)
