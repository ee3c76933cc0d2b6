"""The `reconciler` command line: the composition root and the one place that picks exit codes."""

from __future__ import annotations

import click

from reconciler import __version__
from reconciler.local.cli import local


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="reconciler")
def cli() -> None:
    """Declarative lifecycle of AWS CodeArtifact package versions."""


cli.add_command(local)


def main() -> None:
    cli()
