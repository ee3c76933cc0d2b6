"""A virtual clock shared by every thread of a test, so that pacing is checked without wall-clock time.

Time moves only when a thread sleeps, and a sleep ends where that thread's own reading of the clock
plus the delay says, never earlier: a thread that read `now` as 1.0 and sleeps 0.2 wakes at 1.2
even if another thread moved the clock meanwhile (a thread that already passed that time does not
go back). That is what real threads see of a real clock, minus the scheduling jitter of a loaded
machine: a call paced to go out at t reaches the service at t or later, never sooner.
"""

from __future__ import annotations

import threading


class VirtualClock:
    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self._read = threading.local()  # each thread's last reading

    def now(self) -> float:
        with self._lock:
            self._read.at = self._now
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            since = getattr(self._read, "at", self._now)
            self._now = max(self._now, since + max(0.0, seconds))
            self._read.at = self._now

    def sleep_from_now(self, seconds: float) -> None:
        """A sleep that starts at the clock's current time: a wait that follows an answer (a
        Retry-After), which came no earlier than the time the service read."""
        self.now()
        self.sleep(seconds)
