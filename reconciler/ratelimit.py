"""Client-side request-rate limits, so that a big apply runs at AWS's quotas rather than into them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from reconciler.codeartifact import ACCOUNT_READ_QUOTA, ACCOUNT_WRITE_QUOTA, DEFAULT_QUOTAS

WRITE_OPERATIONS = frozenset(
    {
        "CopyPackageVersions",
        "UpdatePackageVersionsStatus",
        "DisposePackageVersions",
        "DeletePackageVersions",
        "PublishPackageVersion",
    }
)


class _Bucket:
    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.tokens = 1.0  # start with one request's worth: never a burst above the quota
        self.updated = now

    def reserve(self, now: float) -> float:
        """Take a token (possibly one not there yet); returns how long to wait for it."""
        self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class RateLimiter:
    """Token buckets per operation and for the account-wide read and write quotas.

    `acquire(operation)` blocks until the call may go out under every quota that applies to it.
    Rates are requests per second; `scale` < 1 keeps a margin below them.
    """

    def __init__(
        self,
        quotas: Mapping[str, float] | None = None,
        write_quota: float = ACCOUNT_WRITE_QUOTA,
        read_quota: float = ACCOUNT_READ_QUOTA,
        scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._rates = {name: rate * scale for name, rate in (quotas or DEFAULT_QUOTAS).items()}
        self._write = write_quota * scale
        self._read = read_quota * scale
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def acquire(self, operation: str) -> float:
        """Wait for a slot; returns the seconds waited."""
        names = ["account:write" if operation in WRITE_OPERATIONS else "account:read"]
        if operation in self._rates:
            names.append(operation)
        with self._lock:
            now = self._clock()
            wait = max(self._bucket(name, now).reserve(now) for name in names)
        if wait > 0:
            self._sleep(wait)
        return wait

    def _bucket(self, name: str, now: float) -> _Bucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            rate = (
                self._write
                if name == "account:write"
                else self._read
                if name == "account:read"
                else self._rates[name]
            )
            bucket = self._buckets[name] = _Bucket(rate, now)
        return bucket
