"""Progress of a long apply: a bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import threading
from types import TracebackType

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from reconciler.applier import VersionOutcome
from reconciler.plan import Action


class Progress:
    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total = total
        self.enabled = enabled and total > 0
        self.done = 0
        self._lock = threading.Lock()
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None
        if self.enabled and sys.stderr.isatty():
            self._bar = RichProgress(
                TextColumn("Applying"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task("apply", total=self.total)
        return self

    def advance(self, action: Action, outcomes: list[VersionOutcome]) -> None:
        if not self.enabled:
            return
        with self._lock:
            self.done += len(outcomes)
            if self._bar is not None and self._task is not None:
                self._bar.update(self._task, completed=self.done)
            else:
                applied = sum(1 for item in outcomes if item.outcome.value in ("applied", "unchanged"))
                click.echo(
                    f"[{self.done}/{self.total}] {action.kind.value} {action.package}: "
                    f"{applied} of {len(outcomes)} versions applied",
                    err=True,
                )

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
