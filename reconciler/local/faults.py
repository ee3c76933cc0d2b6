"""Fault injection: latency, throttling, internal errors, dropped connections, and AWS's quotas.

The faults are applied before an operation runs, so a faulted request never changes any data:
exactly what a client sees from AWS when it is throttled or a request fails in front of the service.
Which request meets which fault is drawn from a random generator seeded by `Faults.seed`, so a
seeded run injects the same faults into the same sequence of requests every time.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from reconciler.local.errors import InternalServerException, ServiceError, ThrottlingException
from reconciler.local.quotas import (
    ACCOUNT_READ_RATE,
    ACCOUNT_READS,
    ACCOUNT_WRITE_RATE,
    ACCOUNT_WRITES,
    RATE_QUOTAS,
)

# AWS's default request-rate quotas per Region, from the one table of quotas.
OPERATION_QUOTAS: dict[str, float] = RATE_QUOTAS
ACCOUNT_WRITE_QUOTA = ACCOUNT_WRITE_RATE
ACCOUNT_READ_QUOTA = ACCOUNT_READ_RATE

# Refills are computed in floating point: 0.2 s at 5 tokens a second must count as one whole token.
_EPSILON = 1e-9


@dataclass(frozen=True)
class Faults:
    """What to inject. Rates are shares of requests, between 0 and 1, and add up to at most 1."""

    latency: tuple[float, float] = (0.0, 0.0)  # seconds: fixed when both ends are equal, else uniform
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    # Share of write requests that are carried out and then lose their answer (the connection is
    # dropped after the commit): what a client cannot tell from a request that never arrived.
    lost_reply_rate: float = 0.0
    quotas: bool = False
    seed: int | None = None
    # Request rates per second overriding the defaults of `reconciler.local.quotas.RATE_DEFAULTS`
    # (keys: operation names, `account_writes`, `account_reads`), applied with `quotas`.
    rates: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        low, high = self.latency
        if not (math.isfinite(low) and math.isfinite(high)) or low < 0 or high < low:
            raise ValueError(f"latency must be a range (low, high) with 0 <= low <= high, not {self.latency}")
        rates = {
            "throttle_rate": self.throttle_rate,
            "error_rate": self.error_rate,
            "drop_rate": self.drop_rate,
        }
        if not 0.0 <= self.lost_reply_rate <= 1.0:
            raise ValueError(f"lost_reply_rate must be between 0 and 1, not {self.lost_reply_rate}")
        for name, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {rate}")
        if sum(rates.values()) > 1.0 + _EPSILON:
            raise ValueError("throttle_rate, error_rate and drop_rate must add up to at most 1")

    @property
    def active(self) -> bool:
        return (
            self.latency != (0.0, 0.0)
            or self.quotas
            or any((self.throttle_rate, self.error_rate, self.drop_rate, self.lost_reply_rate))
        )


class DropConnection(Exception):
    """The transport closes the connection without an answer."""


@dataclass
class TokenBucket:
    """A bucket of `rate` tokens a second holding at most `rate` (one second's burst)."""

    rate: float
    tokens: float = field(init=False)
    updated: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.tokens = self.rate

    def wait(self, now: float) -> float:
        """Refill, then: 0 if a token is there, else the seconds until one will be."""
        if self.updated is not None:
            self.tokens = min(self.rate, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1.0 - _EPSILON else (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens = max(0.0, self.tokens - 1.0)


class FaultInjector:
    """Applies `Faults` to requests. `clock` (monotonic seconds) drives the quota buckets and
    `sleep` the injected latency; tests pass fakes of both to control time."""

    def __init__(
        self,
        faults: Faults,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.faults = faults
        self._clock = clock
        self._sleep = sleep
        self._random = random.Random(faults.seed)
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}

    def before(self, operation: str, writes: bool) -> None:
        """Raise the fault this request meets, if any, after the injected latency."""
        faults = self.faults
        with self._lock:
            low, high = faults.latency
            delay = low if low == high else self._random.uniform(low, high)
            roll = self._random.random()
        if delay > 0:
            self._sleep(delay)
        if faults.quotas:
            self._enforce_quotas(operation, writes)
        # One roll, split into disjoint shares: each rate is exactly the share of requests it hits.
        if roll < faults.drop_rate:
            raise DropConnection()
        roll -= faults.drop_rate
        if roll < faults.throttle_rate:
            raise ThrottlingException("Rate exceeded", retry_after_seconds=1)
        roll -= faults.throttle_rate
        if roll < faults.error_rate:
            raise InternalServerException("An internal error occurred (injected by the local service)")

    def after(self, writes: bool) -> None:
        """Once a write is committed: drop its answer, if this request is one that loses it."""
        if not writes or self.faults.lost_reply_rate <= 0:
            return
        with self._lock:
            roll = self._random.random()
        if roll < self.faults.lost_reply_rate:
            raise DropConnection()

    def _enforce_quotas(self, operation: str, writes: bool) -> None:
        # A request must get a token from its operation's own bucket (if it has a quota) and from the
        # account-wide read or write bucket, as AWS's layered quotas work. A throttled request takes
        # no token from either.
        names = [f"account:{'write' if writes else 'read'}"]
        if operation in OPERATION_QUOTAS:
            names.append(operation)
        with self._lock:
            now = self._clock()
            buckets = [self._bucket(name) for name in names]
            wait = max(bucket.wait(now) for bucket in buckets)
            if wait > 0:
                raise _throttled(operation, wait)
            for bucket in buckets:
                bucket.take()

    def _bucket(self, name: str) -> TokenBucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            overrides = dict(self.faults.rates)
            if name == "account:write":
                rate = overrides.get(ACCOUNT_WRITES, ACCOUNT_WRITE_QUOTA)
            elif name == "account:read":
                rate = overrides.get(ACCOUNT_READS, ACCOUNT_READ_QUOTA)
            else:
                rate = overrides.get(name, OPERATION_QUOTAS[name])
            bucket = self._buckets[name] = TokenBucket(rate)
        return bucket


def _throttled(operation: str, wait: float) -> ServiceError:
    # Retry-After is whole seconds on the wire; never tell a client to retry at once.
    return ThrottlingException(f"Rate exceeded for {operation}", retry_after_seconds=max(1, math.ceil(wait)))
