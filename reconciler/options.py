"""Click option bundles shared by every command that talks to CodeArtifact."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from reconciler.aws.client import Backend
from reconciler.errors import ReconcilerError

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
    @functools.wraps(command)
    def wrapper(
        *args: Any,
        local_db: str | None,
        endpoint_url: str | None,
        region: str | None,
        profile: str | None,
        **kwargs: Any,
    ) -> Any:
        if local_db is not None and endpoint_url is not None:
            raise click.UsageError("--local and --endpoint-url are alternatives; give one")
        backend = Backend(local_db=local_db, endpoint_url=endpoint_url, region=region, profile=profile)
        return command(*args, backend=backend, **kwargs)

    return wrapper  # type: ignore[return-value]


def concurrency_option(help: str = "Packages read in parallel.") -> Callable[[F], F]:
    """`--concurrency N`: how many packages a command works on at once (1..64, default 8)."""
    return click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True, help=help)


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
