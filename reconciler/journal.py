"""The apply journal: every call and its per-version result, appended as JSON lines as it happens.

Events: `apply` (the plan this run is about, with its `plan_digest`: written once the plan is read,
before any check), `read`
per read call (its operation, what it was about, its attempts and error code, if any: the target
check and the staleness re-read of a saved plan, the reads of a fresh one), then per write attempt
`send` (written and flushed before the request goes out), and `call` (its `successful`/`failed`
maps) or `error` (its code, and `retry_in` when it is retried). After a try that got no answer,
the versions its retry left open are read again (a `read`) and a `verify` line gives what was
`found` (status and revision) and each version's verdict: `as-planned` (exactly as this apply's
own write leaves it, which another writer's identical change would leave it too: booked unchanged,
ambiguous, never as applied), `untouched`, `moved` or `ambiguous` (at the planned status, but not
as this write leaves it: never booked as applied); the `call` line lists the `as_planned` and
`ambiguous` versions, and only versions the service's own answer gave as changed in `successful`. Last, how the apply ended: `done`
(applied, or incomplete), `refused` (its `reason` and `detail`, the `limits_exceeded`, how many
versions `moved`), `failed` (an error: its `reason`) or `interrupted` (its `error`); each with
`calls` (every attempt per operation, reads included), throttles and outcome counts.
A killed apply thus leaves an exact record: a `send` without an answer is a call that may or may
not have been carried out. The guards in the plan make running plan and apply again safe whatever
that record says.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any, TextIO

from reconciler.errors import ReconcilerError
from reconciler.files import unwritable_reason


class Journal:
    """Appends to `path` (a journal of several applies of one plan is one file); None writes nothing."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stream: TextIO | None = None
        self._written = False  # a line is in the file: the journal so far says something
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._stream = path.open("a", encoding="utf-8")
            except OSError as exc:
                raise ReconcilerError(
                    f"cannot write the apply journal {path}: {unwritable_reason(exc)}; nothing was changed",
                    "Give a writable path with --journal.",
                ) from None

    def write(self, event: str, **fields: Any) -> None:
        if self._stream is None:
            return
        record = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "event": event,
            **fields,
        }
        line = json.dumps(record, sort_keys=True, default=str)
        with self._lock:
            if self._stream is None:
                return
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except OSError as exc:
                # A full disk, say: an apply that cannot keep its record stops rather than go on unrecorded.
                stream, self._stream = self._stream, None
                with contextlib.suppress(OSError):
                    stream.close()
                raise self._unwritable(exc) from None
            self._written = True

    def _unwritable(self, exc: OSError) -> ReconcilerError:
        reason = f"cannot write the apply journal {self.path}: {exc.strerror or exc}"
        if not self._written:
            # The first line (`apply`, ApplyRun.start) is written before any call that changes
            # anything goes out: there is no record, and nothing to record.
            return ReconcilerError(f"{reason}; nothing was changed", "Give a writable path with --journal.")
        return ReconcilerError(
            reason, "Give a writable path with --journal; the journal so far says what was done."
        )

    def close(self) -> None:
        with self._lock:
            if self._stream is not None:
                self._stream.close()
                self._stream = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
