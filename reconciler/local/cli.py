"""`reconciler local ...`: serve and seed the local CodeArtifact service."""

from __future__ import annotations

import json
import math
import re
import signal
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import click

from reconciler.local.context import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Options
from reconciler.local.faults import Faults
from reconciler.local.quotas import DEFAULTS as QUOTA_DEFAULTS
from reconciler.local.quotas import RATE_DEFAULTS, Overrides, parse_overrides
from reconciler.local.seed import SeedError, load_seed, normalisations, seed_service
from reconciler.local.seedfile import REGION_CODE, SeedDocument
from reconciler.local.server import LocalServer, binds_loopback_only
from reconciler.local.service import LocalCodeArtifact
from reconciler.local.writelog import read_writes


def _rate(_: click.Context, param: click.Parameter, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise click.BadParameter("must be between 0 and 1", param=param)
    return value


def _quotas(_: click.Context, param: click.Parameter, value: tuple[str, ...]) -> Overrides:
    try:
        return parse_overrides(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param=param) from None


def _latency(_: click.Context, param: click.Parameter, value: str | None) -> tuple[float, float]:
    if not value:
        return (0.0, 0.0)
    try:
        parts = [float(part) / 1000.0 for part in value.split("-", 1)]
    except ValueError:
        raise click.BadParameter("give milliseconds, fixed (30) or a range (10-50)", param=param) from None
    low, high = (parts[0], parts[0]) if len(parts) == 1 else (parts[0], parts[1])
    if not (math.isfinite(low) and math.isfinite(high)) or low < 0 or high < low:
        raise click.BadParameter("give milliseconds, fixed (30) or a range (10-50)", param=param)
    return (low, high)


@click.group(name="local")
def local() -> None:
    """The local CodeArtifact service: a SQLite-backed emulator of the API over real HTTP."""


@local.command()
@click.option(
    "--db", default=".reconciler/local.db", show_default=True, help="SQLite file (':memory:' for none)."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port", default=0, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port."
)
@click.option(
    "--account-id",
    default=DEFAULT_ACCOUNT_ID,
    show_default=True,
    help="The caller's AWS account: domainOwner when a request omits it, and the owner of new domains.",
)
@click.option(
    "--quota",
    "quota_overrides",
    multiple=True,
    callback=_quotas,
    metavar="NAME=VALUE",
    help=(
        f"Override a quota (repeatable): one of {', '.join(sorted(QUOTA_DEFAULTS))}; or a request rate "
        f"per second, applied with --quotas: one of {', '.join(sorted(RATE_DEFAULTS))}."
    ),
)
@click.option(
    "--normalize-pypi-request-names",
    is_flag=True,
    help="Find PyPI packages by non-normalised names too (AWS requires the normalised name).",
)
@click.option(
    "--latency", callback=_latency, help="Added latency per request in ms: fixed (30) or range (10-50)."
)
@click.option("--throttle-rate", default=0.0, callback=_rate, help="Share of requests throttled (429).")
@click.option("--error-rate", default=0.0, callback=_rate, help="Share of requests failing with a 500.")
@click.option("--drop-rate", default=0.0, callback=_rate, help="Share of connections closed unanswered.")
@click.option(
    "--lost-reply-rate",
    default=0.0,
    callback=_rate,
    help="Share of writes carried out whose answer is then lost (connection closed after the commit).",
)
@click.option("--quotas/--no-quotas", default=False, help="Throttle at AWS's default request-rate quotas.")
@click.option(
    "--fault-seed",
    type=int,
    help="Seed for which requests meet a fault, for a repeatable sequence of faults.",
)
@click.option(
    "--seed-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Seed a new database from this file before serving.",
)
@click.option(
    "--copy-respects-origin-controls/--copy-ignores-origin-controls",
    default=False,
    show_default=True,
    help="Whether CopyPackageVersions obeys origin controls (the package's own and its package group's): "
    "a copy into a package whose effective publish is BLOCK fails (each version NOT_ALLOWED) and "
    "includeFromUpstream skips upstreams an effective upstream BLOCK closes. AWS documents no effect, "
    "so by default it does not.",
)
@click.option(
    "--no-auth-check",
    is_flag=True,
    help="Serve requests without an AWS SigV4-shaped Authorization header too (e.g. from curl). "
    "Requests from web pages (an Origin header) are refused either way.",
)
@click.option(
    "--record-writes",
    is_flag=True,
    help="Keep the service's own record of every write it commits (operation, parameters, the access "
    "key that signed it, result), in the database, in the write's own transaction; "
    "`reconciler local writes` prints it.",
)
@click.option("--verbose", is_flag=True, help="Log every request.")
def serve(
    db: str,
    host: str,
    port: int,
    account_id: str,
    quota_overrides: Overrides,
    normalize_pypi_request_names: bool,
    latency: tuple[float, float],
    throttle_rate: float,
    error_rate: float,
    drop_rate: float,
    lost_reply_rate: float,
    quotas: bool,
    fault_seed: int | None,
    seed_file: Path | None,
    copy_respects_origin_controls: bool,
    no_auth_check: bool,
    record_writes: bool,
    verbose: bool,
) -> None:
    """Serve the CodeArtifact API on HOST:PORT until interrupted.

    Point any boto3 program or the AWS CLI at the printed URL with --endpoint-url or
    AWS_ENDPOINT_URL_CODEARTIFACT.
    """
    try:
        faults = Faults(
            latency=latency,
            throttle_rate=throttle_rate,
            error_rate=error_rate,
            drop_rate=drop_rate,
            lost_reply_rate=lost_reply_rate,
            quotas=quotas,
            seed=fault_seed,
            rates=tuple(sorted(quota_overrides.rates.items())),
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    options = Options(
        **quota_overrides.limits,  # type: ignore[arg-type]
        normalize_pypi_request_names=normalize_pypi_request_names,
        copy_respects_origin_controls=copy_respects_origin_controls,
    )
    document = _seed_document(seed_file) if seed_file is not None else None  # before the database is opened
    service = _open_service(db, account_id, faults, options, record_writes=record_writes)
    server = _start(service, document, host, port, verbose=verbose, auth_check=not no_auth_check)
    _warn_unless_loopback(host)
    try:
        with _stop_on_signals():
            click.echo(server.endpoint_url)
            sys.stdout.flush()
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        service.close()


def _warn_unless_loopback(host: str) -> None:
    if not binds_loopback_only(host):
        click.echo(
            f"Warning: listening on {host}, reachable from other machines; the local CodeArtifact service "
            "authenticates nobody, so anyone who can reach it can read and change every package.",
            err=True,
        )


def _seed_document(seed_file: Path) -> SeedDocument:
    """The seed file, read and checked, or a click error: read before the database is opened, a
    refused seed file leaves no new database behind."""
    try:
        return load_seed(seed_file)
    except SeedError as exc:
        raise click.ClickException(str(exc)) from None


def _start(
    service: LocalCodeArtifact,
    document: SeedDocument | None,
    host: str,
    port: int,
    *,
    verbose: bool,
    auth_check: bool = True,
) -> LocalServer:
    """Seed the service (if asked) and bind its server; a click error (the service closed) if either fails."""
    try:
        if document is not None:
            seed_service(service, document)
            for note in normalisations(document):  # stderr: stdout's first line is the endpoint
                click.echo(f"Normalised as CodeArtifact stores it: {note}", err=True)
        return LocalServer(service, host, port, verbose=verbose, auth_check=auth_check)
    except SeedError as exc:
        service.close()
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        service.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _open_service(
    db: str,
    account_id: str,
    faults: Faults | None = None,
    options: Options | None = None,
    *,
    record_writes: bool = False,
) -> LocalCodeArtifact:
    """The service on `db`, or a click error (not a traceback) for a bad account id or database."""
    try:
        if db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        return LocalCodeArtifact(
            db, account_id=account_id, faults=faults, options=options, record_writes=record_writes
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--account-id") from None
    except (OSError, sqlite3.Error) as exc:
        raise click.ClickException(f"cannot open the database {db}: {exc}") from None


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGINT into `KeyboardInterrupt`, so either stops the server cleanly.

    Both are handled explicitly: a process started in the background by a shell inherits SIGINT
    ignored, and SIGTERM's default would skip closing the database.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, interrupt) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _region_code(value: str) -> str:
    """A Region code, checked as the seed file's `region:` is: a domain seeded in a Region no
    client can sign for ("Mars") would be unreachable."""
    if not re.fullmatch(REGION_CODE, value):
        raise click.BadParameter(f"expected an AWS Region code such as us-east-1 or eu-west-2, got {value!r}")
    return value


@local.command()
@click.argument("seed_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--db", required=True, help="SQLite file to create or add to.")
@click.option(
    "--account-id",
    default=DEFAULT_ACCOUNT_ID,
    show_default=True,
    help="The seeding account: the owner of every domain that names no owner of its own.",
)
@click.option(
    "--region",
    default=DEFAULT_REGION,
    show_default=True,
    help="The Region of every domain that names no region of its own.",
    callback=lambda _ctx, _param, value: _region_code(value),
)
def seed(seed_file: Path, db: str, account_id: str, region: str) -> None:
    """Create the domains, repositories, packages and versions of SEED_FILE in the database at --db.

    The owners are recorded: serving the database under another --account-id makes those domains
    another account's, reachable only with their domainOwner (as in AWS). So are the Regions:
    domains are regional, and a client of one Region sees only that Region's domains.
    """
    document = _seed_document(seed_file)
    with _open_service(db, account_id) as service:
        try:
            counts = seed_service(service, document, region)
        except SeedError as exc:
            raise click.ClickException(str(exc)) from None
    for note in normalisations(document):
        click.echo(f"Normalised as CodeArtifact stores it: {note}")
    click.echo(
        f"Seeded {db}: {counts['domains']} domains, {counts['repositories']} repositories, "
        f"{counts['packages']} packages, {counts['versions']} versions."
    )


@local.command()
@click.option("--db", required=True, help="The SQLite file of a service that records its writes.")
def writes(db: str) -> None:
    """Print the writes the service committed, one JSON object a line, in commit order.

    Only a service started with --record-writes (or LocalCodeArtifact(record_writes=True)) keeps
    this record; for any other database nothing is printed.
    """
    if not Path(db).is_file():
        raise click.ClickException(f"no database at {db}")
    try:
        found = read_writes(db)
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot read the database {db}: {exc}") from None
    for write in found:
        click.echo(json.dumps(write, sort_keys=True))
