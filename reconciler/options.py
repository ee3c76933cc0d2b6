"""Click option bundles shared by the commands: the backend, the rendering, colour and output files."""

from __future__ import annotations

import functools
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from reconciler.aws.client import Backend
from reconciler.errors import ReconcilerError
from reconciler.files import same_file

DEFAULT_LOCAL_DB = ".reconciler/local.db"

F = TypeVar("F", bound=Callable[..., Any])


def backend_options(command: F) -> F:
    """`--local [DB]`, `--endpoint-url`, `--region`, `--profile`; the rest of the standard AWS
    environment (credentials, AWS_ENDPOINT_URL_CODEARTIFACT, AWS_PROFILE, ...) works as usual."""

    @click.option(
        "--local",
        "local_db",
        is_flag=False,
        flag_value=DEFAULT_LOCAL_DB,
        default=None,
        metavar="[DB]",
        help=f"Use the embedded local CodeArtifact service on a SQLite file (default {DEFAULT_LOCAL_DB}).",
    )
    @click.option("--endpoint-url", help="CodeArtifact endpoint URL (e.g. a `reconciler local serve` URL).")
    @click.option("--region", help="AWS Region (else the AWS configuration decides).")
    @click.option("--profile", help="AWS named profile.")
    @click.option(
        "--log-requests",
        metavar="FILE",
        help="Append one JSON line per CodeArtifact call (operation, what it was about, attempts, error) "
        "to FILE; '-' writes to stderr.",
    )
    @click.option(
        "--read-processes",
        "processes",
        type=click.IntRange(0, 16),
        default=None,
        metavar="N",
        help="Other processes that read packages over HTTP while this one plans them, each at its share "
        "of AWS's request quotas; 0 reads in this process alone; the Regions of a run share them "
        "[default: one per CPU, at most 4, and only with at least 100 packages a process; 0 with --concurrency].",
    )
    @functools.wraps(command)
    def wrapper(
        *args: Any,
        local_db: str | None,
        endpoint_url: str | None,
        region: str | None,
        profile: str | None,
        log_requests: str | None,
        processes: int | None,
        **kwargs: Any,
    ) -> Any:
        if local_db is not None and endpoint_url is not None:
            raise click.UsageError("--local and --endpoint-url are alternatives; give one")
        if log_requests is not None and local_db is not None and same_file(log_requests, local_db):
            # Appended to, it would write its lines into the database the run reads and changes.
            raise click.UsageError(
                f"--log-requests {log_requests} is the --local database; give the log a file of its own"
            )
        backend = Backend(
            local_db=local_db,
            endpoint_url=endpoint_url,
            region=region,
            profile=profile,
            log_requests=log_requests,
            processes=processes,
        )
        return command(*args, backend=backend, **kwargs)

    return wrapper  # type: ignore[return-value]


class NumberRange(click.FloatRange):
    """click's FloatRange, without `nan`: every comparison with it is false, so click lets it through
    any range, and a limit of nan (`--max-dispose-share nan`) would be no limit at all."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number", param, ctx)
        return number


def concurrency_option(help: str = "Packages read in parallel.", adaptive: bool = False) -> Callable[[F], F]:
    """`--concurrency N`: how many packages a command works on at once (1..64, default 8).

    `adaptive`: without the option the reads adapt to the latency and AWS's quotas
    (`reconciler.adaptive`), passed as None; given, it is a ceiling."""
    if adaptive:
        return click.option(
            "--concurrency",
            type=click.IntRange(1, 64),
            default=None,
            help=f"{help} At most N [default: as many as reach AWS's request quotas at the latency seen].",
        )
    return click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True, help=help)


# -- the rendering option ----------------------------------------------------------------------------


def output_option(*choices: str, help: str) -> Callable[[F], F]:
    """`--output FORMAT`, the view a command renders (the AWS CLI's name for it), passed as `output`.

    `--format` is kept for one release as a deprecated alias (with a warning on stderr): `import`
    uses `--format` for the package format, as the AWS CLI does, so the two no longer mean two things.
    """

    def decorate(command: F) -> F:
        @click.option(
            "--output",
            type=click.Choice(choices),
            default=None,
            help=f"{help} [default: text]",
        )
        @click.option(
            "--format",
            "deprecated_format",
            type=click.Choice(choices),
            default=None,
            help="Deprecated alias of --output, removed in the next release.",
        )
        @functools.wraps(command)
        def wrapper(*args: Any, output: str | None, deprecated_format: str | None, **kwargs: Any) -> Any:
            if deprecated_format is not None:
                if output is not None and output != deprecated_format:
                    raise click.UsageError(
                        f"--output {output} and --format {deprecated_format} disagree; give --output only"
                    )
                click.echo(
                    f"Warning: --format is deprecated here; use --output {deprecated_format} "
                    "(--format will be removed in the next release).",
                    err=True,
                )
            return command(*args, output=output or deprecated_format or "text", **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


# -- colour ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColorPolicy:
    """Whether a view written to stdout or stderr may be coloured.

    Colour only on a terminal, and never with `--no-color`, with `NO_COLOR` set to anything but the
    empty string (https://no-color.org), or with `TERM=dumb`.
    """

    disabled: bool = False

    def stdout(self) -> bool:
        return self._allowed(sys.stdout)

    def stderr(self) -> bool:
        return self._allowed(sys.stderr)

    def _allowed(self, stream: IO[str]) -> bool:
        if self.disabled or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
            return False
        return is_terminal(stream)


def is_terminal(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def color_option(command: F) -> F:
    """`--no-color`, passed to the command as `color`, a `ColorPolicy`."""

    @click.option(
        "--no-color",
        is_flag=True,
        help="Never colour the output (also NO_COLOR=1 or TERM=dumb; colour is only used on a terminal).",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, no_color: bool, **kwargs: Any) -> Any:
        return command(*args, color=ColorPolicy(disabled=no_color), **kwargs)

    return wrapper  # type: ignore[return-value]


# -- output files ------------------------------------------------------------------------------------

STDOUT = "-"


def out_option(help: str, required: bool = False) -> Callable[[F], F]:
    """`-o/--out FILE` ("-" for stdout), refusing Terraform's `-out=FILE`, which click reads as
    `-o "ut=FILE"` and would silently write to a file named `ut=FILE`."""
    return click.option(
        "-o",
        "--out",
        required=required,
        type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
        callback=_refuse_terraform_habit,
        help=help,
    )


def _refuse_terraform_habit(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    # A ReconcilerError, not a click usage error: the command line's boundary makes it exit 1 (the
    # command is being set up inside the group's invoke), and its detail carries the hint.
    if value is None:
        return None
    text = str(value)
    if text == "ut" or text.startswith("ut="):
        typed, meant = ("-out", "FILE") if text == "ut" else (f"-out={text[3:]}", text[3:])
        raise ReconcilerError(
            f"{typed} is not an option: it reads as -o with the file name {text!r}",
            f"Did you mean -o {meant} or --out {meant}? (For a file really named {text}, write -o ./{text}.)",
        )
    if text.startswith("="):
        raise ReconcilerError(
            f"-o{text} is not an option: it reads as -o with the file name {text!r}",
            f"Did you mean -o {text[1:]} or --out={text[1:]}?",
        )
    return value


strict_option = click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 if there is any warning (an entry that matches no package, a plan apply will refuse).",
)


def refuse_warnings(warnings: Sequence[str]) -> None:
    """--strict: warnings are errors (exit 1), once the report they belong to is out."""
    if warnings:
        raise ReconcilerError(
            f"{len(warnings)} warning(s) with --strict",
            "\n".join(warnings) + "\nFix the manifests, or run without --strict to accept them.",
        )


def _webhook_urls(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """Only http(s) URLs; a refusal names the webhook by position, never by its URL (a secret)."""
    for index, url in enumerate(value, start=1):
        if not url.lower().startswith(("https://", "http://")):
            raise click.BadParameter(f"webhook {index} of {len(value)} is not an http(s) URL")
    return value


def notify_option(command: F) -> F:
    """`--notify URL`, repeatable: post a short JSON summary to each webhook when something needs
    someone (drift found; an apply that failed, was refused or is incomplete)."""
    return click.option(
        "--notify",
        "notify_urls",
        multiple=True,
        metavar="URL",
        callback=_webhook_urls,
        help="Post a short JSON summary (Slack-compatible `text` plus fields) to this webhook when "
        "something drifted, failed or was refused; repeatable. The URL is a secret: never printed.",
    )(command)


def warn(message: str) -> None:
    """A warning on stderr that changes no exit code."""
    click.echo(f"Warning: {message}", err=True)


show_accepted_option = click.option(
    "--show-accepted",
    is_flag=True,
    help="List the versions left in a live status the manifests accept (`accept`); the views count them.",
)
