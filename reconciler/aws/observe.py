"""Every call a client makes, seen through botocore's public events: counted per attempt, and told to
listeners once it is answered, whoever made it (a read in `reads`, a check in a use case).

Counting here rather than where each call is made means no call can be left out of a report:
`request-created` fires once per HTTP attempt (botocore's own retries included), `after-call` once
an answer is parsed (an error answer too) and `after-call-error` when no answer came.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The parameters that say what a call was about (never a token or a payload).
_IDENTITY = (
    "domain",
    "domainOwner",
    "repository",
    "destinationRepository",
    "sourceRepository",
    "format",
    "namespace",
    "package",
    "packageVersion",
)
_KEY = "reconciler.call"


@dataclass(frozen=True)
class ObservedCall:
    """A call, once answered: what it was about, how many attempts it took and its error code, if any."""

    operation: str
    about: dict[str, str]
    attempts: int
    error: str | None


Listener = Callable[[ObservedCall], None]


class CallLog:
    """The calls of the clients attached to it."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()  # attempts per operation
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every call answered from now on; returns how to stop."""
        with self._lock:
            self._listeners.append(listener)
        return lambda: self._remove(listener)

    def _remove(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("provide-client-params.codeartifact", self._started)
        events.register("request-created.codeartifact", self._attempted)
        events.register("after-call.codeartifact", self._answered)
        events.register("after-call-error.codeartifact", self._failed)

    def _started(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        about = {key: str(params[key]) for key in _IDENTITY if params.get(key) is not None}
        context[_KEY] = (model.name, about)

    def _attempted(self, operation_name: str, **_: Any) -> None:
        with self._lock:
            self.calls[operation_name] += 1

    def _answered(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        error = parsed.get("Error", {}).get("Code") if "Error" in parsed else None
        attempts = 1 + int(parsed.get("ResponseMetadata", {}).get("RetryAttempts", 0))
        self._tell(context, model.name, attempts, error)

    def _failed(self, exception: Exception, context: dict[str, Any], **_: Any) -> None:
        operation = context.get(_KEY, ("", {}))[0]
        attempts = int(context.get("retries", {}).get("attempt", 1))
        self._tell(context, operation, attempts, type(exception).__name__)

    def record(self, observed: ObservedCall) -> None:
        """A call another process's client made for this one (`aws.spread`): counted and told as if
        this process's client had made it."""
        with self._lock:
            self.calls[observed.operation] += observed.attempts
        self._notify(observed)

    def _tell(self, context: dict[str, Any], operation: str, attempts: int, error: str | None) -> None:
        _, about = context.get(_KEY, (operation, {}))
        self._notify(ObservedCall(operation, about, attempts, str(error) if error else None))

    def _notify(self, observed: ObservedCall) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(observed)
