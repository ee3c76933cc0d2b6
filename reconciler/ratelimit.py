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


class RateLimiter:
    """Request slots per operation and for the account-wide read and write quotas.

    `acquire(operation)` blocks until the call may go out under every quota that applies to it:
    its operation's own (CopyPackageVersions 5/s, ...) and the account's write (100/s) or read
    (800/s) quota. Calls under one quota go out at least 1/rate seconds apart, never in a burst,
    so no window of a second ever holds more than the quota. Rates are requests per second;
    `scale` multiplies them (below 1 keeps a margin, above 1 follows raised quotas).
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
        if scale <= 0:
            raise ValueError(f"scale must be positive, not {scale}")
        self._base = dict(quotas or DEFAULT_QUOTAS)
        self._base["account:write"] = write_quota
        self._base["account:read"] = read_quota
        self._rates = {name: rate * scale for name, rate in self._base.items()}
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}  # quota -> the earliest time its next call may go out

    def rescale(self, scale: float) -> None:
        """Pace at `scale` times the quotas from the next call on; the calls already scheduled keep
        their times, so a change of pace never lets a burst through."""
        if scale <= 0:
            raise ValueError(f"scale must be positive, not {scale}")
        with self._lock:
            self._rates = {name: rate * scale for name, rate in self._base.items()}

    def quotas_for(self, operation: str) -> list[str]:
        """The quotas a call of `operation` counts against."""
        names = ["account:write" if operation in WRITE_OPERATIONS else "account:read"]
        if operation in self._rates:
            names.append(operation)
        return names

    def acquire(self, operation: str) -> float:
        """Wait for a slot; returns the seconds waited."""
        names = self.quotas_for(operation)
        with self._lock:
            now = self._clock()
            at = max([now, *(self._next.get(name, now) for name in names)])
            for name in names:
                self._next[name] = at + 1.0 / self._rates[name]
        wait = at - now
        if wait > 0:
            self._sleep(wait)
        return wait
