"""A fault injector for the local service that loses the answer of one chosen write, deterministically,
and lets another writer act before the client learns anything: the scenarios apply must settle."""

from __future__ import annotations

import threading
from collections.abc import Callable

from reconciler.local import Faults
from reconciler.local.faults import DropConnection, FaultInjector


class LosesReply(FaultInjector):
    """Drops the connection of the `nth` request of `operation`: after it was carried out
    (`carried_out`, a lost reply) or before it arrived (a dropped request). `meanwhile` runs in
    between, before the client sees the dropped connection (another writer, say); its own requests
    meet no fault. Every other request goes through."""

    def __init__(
        self,
        operation: str,
        *,
        nth: int = 1,
        carried_out: bool = True,
        meanwhile: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(Faults())
        self.operation = operation
        self.nth = nth
        self.carried_out = carried_out
        self.meanwhile = meanwhile
        self.seen = 0
        self.lost = 0  # requests whose answer this injector dropped
        self._lock = threading.Lock()
        self._armed = threading.local()
        self._quiet = False  # `meanwhile` is running: its requests go through

    def before(self, operation: str, writes: bool) -> None:
        self._armed.value = False
        if self._quiet or operation != self.operation:
            return
        with self._lock:
            self.seen += 1
            chosen = self.seen == self.nth
        if not chosen:
            return
        if self.carried_out:
            self._armed.value = True
            return
        self._drop()

    def after(self, writes: bool) -> None:
        if getattr(self._armed, "value", False):
            self._armed.value = False
            self._drop()

    def _drop(self) -> None:
        self.lost += 1
        if self.meanwhile is not None:
            self._quiet = True
            try:
                self.meanwhile()
            finally:
                self._quiet = False
        raise DropConnection()
