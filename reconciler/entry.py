"""The `reconciler` program's entry point, light enough to stand before the heavy imports.

Loading the command line takes a second (boto3, pydantic): Ctrl-C in that second would otherwise end
in Python's traceback of an interrupted import rather than the contract's quiet exit 130.
"""

from __future__ import annotations

import os
import sys

from reconciler.workflows.gcpause import process_ending  # small: the standard library alone

EXIT_INTERRUPTED = 130  # reconciler.contract's, which this module must not import yet


def main() -> None:
    _occupy_closed_standard_streams()
    try:
        from reconciler.cli import cli
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    try:
        cli()
    finally:
        process_ending()


def _occupy_closed_standard_streams() -> None:
    """A program started with a standard stream closed (`<&-`, `>&-`, `2>&-`) gets None for it in
    `sys`, and its descriptor free: the next file opened (the local database, a plan file) would take
    it, and a write meant for the stream would land in that file. Each closed one is held open on
    /dev/null: stdin then reads as empty (no terminal to confirm on) and stderr drops what is said;
    stdout stays None, for the boundary to report that nothing can be written to it."""
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is not None:
            continue
        try:
            held = os.open(os.devnull, os.O_RDWR)
            if held != fd:
                os.dup2(held, fd)
                os.close(held)
        except OSError:
            continue
        if name == "stdin":
            sys.stdin = open(fd, encoding="utf-8", closefd=False)  # noqa: SIM115 - for the whole run
        elif name == "stderr":
            sys.stderr = open(fd, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 - for the whole run
