"""Reads as fast as AWS's request-rate quotas allow, and no faster: pacing plus an in-flight window.

A read goes out when two things allow it:

- **pacing** (`RateLimiter`): calls under one quota (ListPackageVersions 200/s, the account's 800
  reads/s, ...) go out at least 1/rate apart, so no second ever holds more than the quota. The rate
  is the documented one times a factor that halves on a throttle (of a call sent at the current pace) and climbs back by a tenth of
  the quota each second without one (AIMD), never above the documented rate: a quota lowered for
  the account, or shared with another client, costs a few throttles, not a stream of them;
- **an in-flight window**: at most `ceil(rate x latency x 1.5) + 2` calls on the wire, the latency
  being the observed average of an attempt. That is enough calls in flight to reach the account
  quota at the latency seen (30 ms at 800/s: about 40; 100 ms: about 120, up to `cap`), and no more
  than a quota's worth.

A caller that wants a hard ceiling (`--concurrency N`) gets it from its own pool of N workers; the
pool of the adaptive default is `cap` workers, most of them waiting here, not on the wire.
The clock and sleep are injected so the decisions are tested without time passing.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping

from reconciler.codeartifact import ACCOUNT_READ_QUOTA, ACCOUNT_WRITE_QUOTA
from reconciler.ratelimit import RateLimiter

# Workers of a read when `--concurrency` is not given: the in-flight window at 100 ms and 800/s,
# with room to spare. Idle ones wait on a condition; each costs a thread's stack, not a connection.
MAX_IN_FLIGHT = 128
_MIN_IN_FLIGHT = 4
_HEADROOM = 1.5  # latency varies from call to call: a window of exactly rate x latency falls short
_FIRST_LATENCY = 0.1  # seconds, until an attempt has been timed
_SMOOTHING = 0.2  # weight of the newest attempt in the average latency
_BACK_OFF = 0.5  # the factor of the rates after a throttle
_RECOVERY = 0.1  # of the documented rate, regained each second without a throttle
_LOWEST = 0.02  # the rates never fall below this share of the documented ones


class AdaptiveLimiter:
    """Paces calls at AWS's quotas, adapting to throttles, and keeps the in-flight window sized by
    the observed latency. `acquire(operation)` before an attempt, `release(throttled)`
    once it is answered (or failed), on the same thread."""

    def __init__(
        self,
        quotas: Mapping[str, float] | None = None,
        write_quota: float = ACCOUNT_WRITE_QUOTA,
        read_quota: float = ACCOUNT_READ_QUOTA,
        cap: int = MAX_IN_FLIGHT,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if cap < 1:
            raise ValueError(f"cap must be at least 1, not {cap}")
        self._read_quota = read_quota
        self._cap = cap
        self._clock = clock
        self._condition = threading.Condition()
        self._factor = 1.0
        # This client's part of the account's quotas (1.0: all of them; 1/n when n processes read).
        self._share = 1.0
        self._factor_at = clock()
        self._backed_off_at = -math.inf
        self._pacer = RateLimiter(quotas, write_quota, read_quota, clock=clock, sleep=sleep)
        self._latency = _FIRST_LATENCY
        self._in_flight = 0
        self._started = threading.local()
        self.attempts = 0
        self.peak_in_flight = 0  # the most calls on the wire at once so far
        self.throttled = 0  # attempts answered with a throttle (botocore retries them)

    @property
    def factor(self) -> float:
        """The share of the documented rates calls are paced at now (1.0: the quotas themselves)."""
        with self._condition:
            self._recover(self._clock())
            return self._factor

    @property
    def share(self) -> float:
        """This client's part of the documented rates, when several processes read together."""
        with self._condition:
            return self._share

    @share.setter
    def share(self, share: float) -> None:
        if not 0.0 < share <= 1.0:
            raise ValueError(f"a share of the quotas is in (0, 1], not {share}")
        with self._condition:
            self._share = share
            self._pacer.rescale(self._factor * share)
            self._condition.notify_all()

    @property
    def window(self) -> int:
        """How many calls may be on the wire at once, at the latency observed so far."""
        with self._condition:
            return self._window()

    def acquire(self, operation: str) -> None:
        with self._condition:
            self._recover(self._clock())
        self._pacer.acquire(operation)
        with self._condition:
            while self._in_flight >= self._window():
                self._condition.wait()
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
            self.attempts += 1
        self._started.at = self._clock()

    def release(self, throttled: bool = False) -> None:
        now = self._clock()
        started = getattr(self._started, "at", None)
        self._started.at = None
        with self._condition:
            if started is None:
                return  # not acquired on this thread: nothing on the wire to account for
            self._in_flight -= 1
            self._latency += _SMOOTHING * (max(0.0, now - started) - self._latency)
            if throttled:
                self.throttled += 1
                self._recover(now)
                # The calls in flight when the quota ran out are throttled together: only a call sent
                # after the last back-off says that the slower pace is still too fast, so a burst
                # halves the pace once, not once per call in it.
                if started >= self._backed_off_at:
                    self._backed_off_at = now
                    self._factor = max(_LOWEST, self._factor * _BACK_OFF)
                    self._pacer.rescale(self._factor * self._share)
            # Wake only as many waiting calls as may go out now (one slot freed, or more when the
            # window grew): waking all of them (a hundred idle workers) on every answer costs each
            # a trip through the GIL to find the window full again, a CPU-bound read's whole margin.
            self._condition.notify(max(1, self._window() - self._in_flight))

    def _window(self) -> int:
        rate = self._read_quota * self._factor * self._share
        return max(_MIN_IN_FLIGHT, min(self._cap, math.ceil(rate * self._latency * _HEADROOM) + 2))

    def _recover(self, now: float) -> None:
        """Additive increase: a tenth of the documented rate back per second since the last change."""
        if self._factor < 1.0:
            regained = max(0.0, now - self._factor_at) * _RECOVERY
            factor = min(1.0, self._factor + regained)
            if factor != self._factor:
                self._factor = factor
                self._pacer.rescale(factor * self._share)
        self._factor_at = now
