"""Pausing Python's cyclic garbage collector while a run builds its large, long-lived structures.

Reading and planning a large repository build millions of objects (a state per version listed, a
change per version planned) that live until the run ends and form no reference cycles. CPython
runs a full collection each time its tracked heap grows by a quarter, and a full collection visits
every tracked object: while those structures grow, it scans them again and again, for nothing to
collect (at a million versions, about as long as planning itself). The pause defers collection.

When it ends, what was built meanwhile goes straight to the oldest generation (`gc.freeze()` then
`gc.unfreeze()`, which puts frozen objects there): it is there to stay, and the young collections
that would otherwise scan it first, a million objects at a time, would find nothing either. The
little cyclic garbage made during the pause (a few objects per API call) is left to the next full
collection. Skipped when something else holds objects frozen, whose freeze must not be undone.

The figure that justifies it (`tests/bench_plan.py` against `--no-gc-pause`, 1,000,000 versions):
reading and planning take about 10% more CPU with the collector running (22.2 s against 19.8 to
20.0 s), for the same peak memory.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator


class _Pause:
    """Nesting-safe and thread-safe: the collector resumes when the last pause ends, and only if it
    was enabled when the first one began."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._resume = False

    def enter(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._depth += 1

    def exit(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._resume:
                if gc.get_freeze_count() == 0:
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()


_PAUSE = _Pause()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic cyclic garbage collection inside the block (in any thread of the process)."""
    _PAUSE.enter()
    try:
        yield
    finally:
        _PAUSE.exit()


# Allocations between two young collections in a process that only reads (Python's default: 700).
_YOUNG_COLLECTION_EVERY = 100_000


def reading_process() -> None:
    """The collector of a process that only reads packages for another (`aws.spread`): what is alive
    once its client is made (the interpreter, boto3, the service model) lives to the end, frozen so
    that no collection scans it again; what reads make is short-lived and acyclic, but a page of
    1,000 versions allocates thousands of containers, and at the default threshold the parse of
    each page paid for a young collection every few hundred (`json.loads` five times its own cost,
    measured). A young collection every 100,000 allocations instead."""
    gc.freeze()
    gc.set_threshold(_YOUNG_COLLECTION_EVERY)


def process_ending() -> None:
    """The process is about to end (its command has returned or raised): what is still alive (the
    interpreter's modules, boto3's models, anything a command left) is freed with it. Frozen, it is
    not walked first by Python's last collection at exit: about a tenth of a second of CPU, as much
    as a small plan's own work."""
    gc.freeze()
