"""The request log (`--log-requests FILE`): one JSON line per CodeArtifact call, as it is answered.

Each line says when, which operation, what it was about (domain, repository, package, version:
never a token, a policy or a payload), how many attempts it took and its error code if it failed.
It is written from the client's own events (`observe.CallLog`), so every call of every client of
the run is there, reads and writes, whoever made it; `-` writes to stderr. The clients of one run
(one per Region, and apply's own for its writes) share one log per target (`open_request_log`):
one stream, and one warning when it cannot be written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
from pathlib import Path
from typing import TextIO

from reconciler.aws.observe import CallLog, ObservedCall
from reconciler.errors import ReconcilerError

STDERR = "-"


class RequestLog:
    """Appends a line per call to `target` for every `CallLog` attached to it; `close()` when done."""

    def __init__(self, target: str) -> None:
        self._lock = threading.Lock()
        self._target = target
        self._failed = False
        self._owned = target != STDERR
        try:
            # Open for the life of the log (closed by `close()`), not one block.
            self._stream: TextIO = Path(target).open("a", encoding="utf-8") if self._owned else sys.stderr  # noqa: SIM115
        except OSError as exc:
            raise ReconcilerError(
                f"cannot write the request log {target}: {exc.strerror}",
                "Give a writable path to --log-requests.",
            ) from None
        self._stops: list[object] = []
        self._users = 1  # the connections sharing it (`open_request_log`): closed with the last
        self._key: str | None = None  # its entry in `_OPEN`, if it is shared

    def follow(self, log: CallLog) -> None:
        self._stops.append(log.listen(self._write))

    def _write(self, call: ObservedCall) -> None:
        record = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "operation": call.operation,
            "about": call.about,
            "attempts": call.attempts,
            "error": call.error,
        }
        line = json.dumps(record, sort_keys=True)
        with self._lock:
            if not self._stream.closed and not self._failed:
                try:
                    self._stream.write(line + "\n")
                    self._stream.flush()
                except OSError as exc:
                    self._give_up(exc)

    def close(self) -> None:
        with _OPEN_LOCK:
            self._users -= 1
            if self._users > 0:
                return
            if self._key is not None:
                _OPEN.pop(self._key, None)
        with self._lock:
            if self._owned and not self._stream.closed:
                try:
                    self._stream.close()
                except OSError as exc:
                    self._give_up(exc)

    def _give_up(self, exc: OSError) -> None:
        """A log that cannot be written (a full disk) is a warning, once, and the run goes on: it is
        written from inside each call's answer, where an error would pass for the call's own, and a
        write carried out would look lost."""
        if not self._failed:
            self._failed = True
            print(
                f"Warning: cannot write the request log {self._target}: {exc.strerror or exc}; "
                "the rest of the run is not logged",
                file=sys.stderr,
                flush=True,
            )


# The logs open in this process, by target: a run's connections are open together (its Regions', and
# apply's reads' and writes'), and each closes its log when it is closed.
_OPEN: dict[str, RequestLog] = {}
_OPEN_LOCK = threading.Lock()


def open_request_log(target: str) -> RequestLog:
    """The log open for `target` (the same file by any path), or a new one; `close()` it when done.
    Shared, so that a log that cannot be written is warned of once a run, not once a Region."""
    key = target if target == STDERR else os.path.realpath(target)
    with _OPEN_LOCK:
        log = _OPEN.get(key)
        if log is not None:
            log._users += 1
            return log
        log = RequestLog(target)
        log._key = key
        _OPEN[key] = log
        return log
