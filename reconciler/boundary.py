"""The command line's one error boundary: whatever happens in a run, one message and one exit code.

`ReconcilerGroup` holds it for every command below it, as `reconciler.contract` words it:

- a `ReconcilerError` prints `Error: summary` and its detail on stderr and exits 1;
- a usage error (click's: an unknown option, a bad value, a missing argument or command) keeps
  click's message and usage line, and exits 1, not click's 2, which means "changes present";
- Ctrl-C exits 130 wherever it comes, at a confirmation prompt too; SIGTERM exits 143;
- standard output that cannot be written (a full disk, or closed when the program started) is an
  error, exit 1; standard output closed by its reader (`| head`) ends the run quietly with 141,
  as other command-line tools do;
- anything else is a bug: one line on stderr and exit 3, with the traceback under `--debug`, which
  every command accepts, before or after its name.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import Any, TextIO, cast

import click

from reconciler.contract import (
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
)
from reconciler.errors import ReconcilerError

# Where `--debug` leaves its mark: click shares `meta` between a context and those below it.
DEBUG = "reconciler.debug"
# Where a command may leave a callable that is also told of the `ReconcilerError` a run stops with,
# before it is worded (`--annotations` annotates it on the diff).
ON_ERROR = "reconciler.on_error"
DEBUG_HELP = "Show the traceback of unexpected errors."


def _enable_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[DEBUG] = True


def debug_option() -> click.Option:
    """`--debug`, for the group and each command, so that it works wherever it is written."""
    return click.Option(
        ["--debug"], is_flag=True, expose_value=False, callback=_enable_debug, help=DEBUG_HELP
    )


def add_debug_option(command: click.Command) -> None:
    """Give `command` and every command below it `--debug`."""
    if not any(param.name == "debug" for param in command.params):
        command.params.append(debug_option())
    if isinstance(command, click.Group):
        for below in command.commands.values():
            add_debug_option(below)


class OutputError(ReconcilerError):
    """Standard output cannot be written (a full disk, an I/O error)."""


class OutputClosed(Exception):
    """Standard output was closed by its reader: nothing more can reach anyone."""


class ReconcilerGroup(click.Group):
    """A click group that is the error boundary of every command below it (see the module)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        with _sigterm_exits(), _guarded_stdout() as stdout:
            try:
                code = self._run(args, prog_name, complete_var, extra)
            except SystemExit as exc:  # SIGTERM: ours, or apply's own handler
                code = exc.code if isinstance(exc.code, int) else EXIT_ERROR
            code = stdout.finish(code)
        sys.exit(code)

    def _run(
        self,
        args: Sequence[str] | None,
        prog_name: str | None,
        complete_var: str | None,
        extra: dict[str, Any],
    ) -> int:
        """Run the command line and return its exit code, having said why on stderr if it failed."""
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            exc.show()
            return EXIT_ERROR
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code
        except click.Abort as exc:
            # click turns Ctrl-C at a prompt (and Ctrl-D) into Abort, keeping the cause as its context.
            if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
                click.echo("\nInterrupted.", err=True)
                return EXIT_INTERRUPTED
            click.echo("\nAborted: no answer.", err=True)
            return EXIT_ERROR
        except OutputClosed:
            return EXIT_BROKEN_PIPE
        # Not standalone, click returns the code of `ctx.exit`, or what the command returned (None).
        return result if isinstance(result, int) else EXIT_OK

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, OutputClosed):
            raise
        except ReconcilerError as exc:
            if (on_error := ctx.meta.get(ON_ERROR)) is not None:
                on_error(exc)
            click.echo(f"Error: {exc.summary}", err=True)
            if exc.detail:
                click.echo(exc.detail, err=True)
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            click.echo(f"Error: unexpected {type(exc).__name__}: {exc}", err=True)
            if ctx.meta.get(DEBUG):
                click.echo(traceback.format_exc().rstrip(), err=True)
            else:
                click.echo(
                    "This is a bug in reconciler; run again with --debug to see the traceback.", err=True
                )
            ctx.exit(EXIT_INTERNAL)


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    """SIGTERM (a cancelled CI job, `kill`) ends the run with 143 after its `finally` blocks ran,
    rather than killing it on the spot. `apply` sets its own handler while it applies."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def terminate(signum: int, frame: FrameType | None) -> None:
        print("Terminated.", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_TERMINATED)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _GuardedStdout:
    """`sys.stdout` for one run: writing it fails as an `OutputError` or `OutputClosed`, not as a bare
    OSError (which the boundary would take for a bug). After a failure, output is dropped."""

    def __init__(self, stream: TextIO, failed: list[bool] | None = None) -> None:
        self._stream = stream
        self._failed = failed if failed is not None else [False]

    def write(self, text: Any) -> int:
        if self._failed[0]:
            return len(text)
        if isinstance(text, str) and not text:
            # click probes a stream with an empty write, which a full device can refuse.
            return 0
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise self._failure(exc) from None

    def flush(self) -> None:
        if self._failed[0]:
            return
        try:
            self._stream.flush()
        except OSError as exc:
            raise self._failure(exc) from None

    @property
    def buffer(self) -> _GuardedStdout:
        # click writes bytes, and text on a stream it finds misconfigured, to the binary buffer.
        return _GuardedStdout(self._stream.buffer, self._failed)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _failure(self, exc: OSError) -> Exception:
        self._failed[0] = True
        if exc.errno == errno.EPIPE:
            return OutputClosed()
        return OutputError(
            f"cannot write the output: {exc.strerror or exc}",
            "Standard output must be writable: check the file or device it is redirected to.",
        )

    def finish(self, code: int) -> int:
        """The exit code once everything written has reached standard output (or failed to)."""
        try:
            self.flush()
        except OutputError as exc:
            click.echo(f"Error: {exc.summary}\n{exc.detail}", err=True)
            code = EXIT_ERROR
        except OutputClosed:
            code = EXIT_BROKEN_PIPE
        if self._failed[0]:
            self._discard()
        return code

    def _discard(self) -> None:
        """Point the file descriptor at /dev/null, so that Python's own flush at exit, of what could
        not be written, neither fails nor prints "Exception ignored"."""
        with contextlib.suppress(OSError, AttributeError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)


class _ClosedStdout(io.TextIOBase):
    """Standard output of a program started without one (`>&-`): every write fails as a write to a
    closed descriptor does, so a run that has something to say ends with exit 1 and says why, rather
    than losing its output without a word (or taking the missing stream for a bug)."""

    def writable(self) -> bool:
        return True

    def write(self, text: Any) -> int:
        if not text:
            return 0  # click probes a stream with an empty write: only output fails
        raise OSError(errno.EBADF, "standard output is closed")

    @property
    def buffer(self) -> _ClosedStdout:
        return self


@contextlib.contextmanager
def _guarded_stdout() -> Iterator[_GuardedStdout]:
    original = sys.stdout
    guarded = _GuardedStdout(original if original is not None else cast(TextIO, _ClosedStdout()))
    sys.stdout = guarded
    try:
        yield guarded
    finally:
        sys.stdout = original
