"""The `reconciler` program's entry point, light enough to stand before the heavy imports.

Loading the command line takes a second (boto3, pydantic): Ctrl-C in that second would otherwise end
in Python's traceback of an interrupted import rather than the contract's quiet exit 130.
"""

from __future__ import annotations

import sys

from reconciler.workflows.gcpause import process_ending  # small: the standard library alone

EXIT_INTERRUPTED = 130  # reconciler.contract's, which this module must not import yet


def main() -> None:
    try:
        from reconciler.cli import cli
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    try:
        cli()
    finally:
        process_ending()
