"""One HTTP request with bounded time and bounded, polite retries: what the GitHub issue of drift and
the webhooks of `--notify` share.

Standard library only (urllib): these are a handful of small JSON requests per run. A request is
retried on a connection failure or a 5xx answer (a short, growing pause), and on a rate limit: 429,
or 403 with `retry-after` or `x-ratelimit-remaining: 0`, after the wait the server asks for (from
`retry-after`, else `x-ratelimit-reset`), unless that wait is longer than `max_wait`. The clock and
the sleep are injected, so tests wait for nothing. Messages never hold the URL: a webhook URL is a
secret.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class HttpFailure(Exception):
    """A request that got no usable answer; the message never names the URL."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]  # names in lowercase
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


Opener = Callable[[urllib.request.Request, float], HttpResponse]


def _urlopen(request: urllib.request.Request, timeout: float) -> HttpResponse:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return HttpResponse(answer.status, _lower(answer.headers.items()), answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return HttpResponse(error.code, _lower(error.headers.items()), error.read())


def _lower(items: Any) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in items}


@dataclass
class HttpClient:
    """Requests with a timeout per attempt, at most `attempts` attempts, and at most `max_wait` seconds
    of waiting for a rate limit at a time."""

    timeout: float = 10.0
    attempts: int = 3
    max_wait: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    opener: Opener = field(default=_urlopen)

    def request(
        self, method: str, url: str, headers: Mapping[str, str] | None = None, payload: Any = None
    ) -> HttpResponse:
        """The answer (any status below 500 that is not a rate limit), or `HttpFailure`."""
        body = json.dumps(payload).encode("utf-8") if payload is not None else None
        sent = dict(headers or {})
        if body is not None:
            sent.setdefault("Content-Type", "application/json")
        failure = "no attempt made"
        for attempt in range(1, self.attempts + 1):
            request = urllib.request.Request(url, data=body, headers=sent, method=method)
            try:
                response = self.opener(request, self.timeout)
            except (urllib.error.URLError, OSError) as error:
                failure = _describe(error)
                wait = float(attempt)
            else:
                wait_for_limit = self._rate_limit_wait(response)
                if wait_for_limit is None and response.status < 500:
                    return response
                failure = f"HTTP {response.status}"
                if wait_for_limit is not None:
                    failure += " (rate limited)"
                    if wait_for_limit > self.max_wait:
                        raise HttpFailure(f"{failure}; the limit resets in {wait_for_limit:.0f} s")
                wait = wait_for_limit if wait_for_limit is not None else float(attempt)
            if attempt < self.attempts:
                self.sleep(wait)
        raise HttpFailure(f"{failure} after {self.attempts} attempts")

    def _rate_limit_wait(self, response: HttpResponse) -> float | None:
        """Seconds to wait when the answer is a rate limit (GitHub's primary or secondary limit, or a
        plain 429), else None."""
        headers = response.headers
        limited = response.status == 429 or (
            response.status == 403
            and ("retry-after" in headers or headers.get("x-ratelimit-remaining") == "0")
        )
        if not limited:
            return None
        retry_after = headers.get("retry-after", "")
        if retry_after.strip().isdigit():
            return float(retry_after.strip())
        reset = headers.get("x-ratelimit-reset", "")
        if reset.strip().isdigit():
            return max(0.0, float(reset.strip()) - self.clock()) + 1.0
        return 60.0  # GitHub's advice for a secondary limit that names no wait


def _describe(error: BaseException) -> str:
    """A failure to connect, in words that name no host or URL."""
    reason: Any = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return "timed out"
    if isinstance(reason, OSError) and reason.strerror:
        return f"cannot connect: {reason.strerror}"
    return f"cannot connect: {type(reason).__name__}"
