"""Building a CodeArtifact client for a backend, and making counted calls whose errors are values."""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config
from botocore.retries import standard

from reconciler.adaptive import MAX_IN_FLIGHT, AdaptiveLimiter
from reconciler.aws import settings
from reconciler.aws.failures import botocore_error, client_error, credentials_error
from reconciler.aws.observe import CallLog
from reconciler.aws.parsing import fast_botocore_session
from reconciler.aws.requestlog import open_request_log
from reconciler.errors import ReconcilerError
from reconciler.ratelimit import WRITE_OPERATIONS

# A plan's target endpoint for the embedded local service: this prefix, then the database's absolute path.
LOCAL_PREFIX = "local:"
LOCAL_WORKERS = 8  # packages read at once from the embedded service


@dataclass(frozen=True)
class Backend:
    """Where CodeArtifact is: the embedded local service on a SQLite file, or an AWS endpoint."""

    local_db: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    max_attempts: int = 10  # attempts per request, the first included (1: botocore never retries)
    log_requests: str | None = None  # a file (or `-`, stderr) for one JSON line per call
    # Other processes that read packages while this one plans them (None: one per CPU,
    # `spread.default_processes`; 0: this process reads alone).
    processes: int | None = None


@dataclass(frozen=True)
class Recipe:
    """How another process makes a client like this one: the same endpoint, Region, retries and
    credentials (the ones this process holds, sent over a pipe, never written anywhere)."""

    endpoint_url: str
    region: str
    access_key: str
    secret_key: str
    token: str | None
    max_attempts: int
    # The profile's settings (a CA bundle, say) apply there too; its credentials are not resolved
    # again: the ones above are given explicitly.
    profile: str | None = None


@dataclass
class Connection:
    client: Any
    endpoint: str
    region: str
    close: Callable[[], None]
    log: CallLog = field(default_factory=CallLog)  # every call the client makes
    # Paces the reads at AWS's quotas (None: the embedded service, which has none).
    limiter: AdaptiveLimiter | None = None
    # How another process makes a client like this one, asked for when one is about to start (None:
    # no other process can: the embedded service's database is this process's alone).
    recipe: Callable[[], Recipe | None] | None = None
    processes: int | None = None  # Backend.processes

    def __post_init__(self) -> None:
        self.log.attach(self.client)
        if self.limiter is not None:
            pace_reads(self.client, self.limiter)

    def workers(self, concurrency: int | None) -> int:
        """How many packages to read at once: `concurrency` when given (--concurrency, a ceiling),
        else enough for the limiter to reach AWS's quotas at any latency up to about 100 ms
        (the embedded service, with no quotas and no latency, is CPU-bound: a few suffice)."""
        if concurrency is not None:
            return concurrency
        return MAX_IN_FLIGHT if self.limiter is not None else LOCAL_WORKERS


_THROTTLES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException"})


def pace_reads(client: Any, limiter: AdaptiveLimiter) -> None:
    """Every attempt of a read waits for `limiter` before it is sent and tells it when answered.

    `before-send` fires once per attempt (botocore's retries included), after signing, and
    `needs-retry` once each attempt is answered or has failed, on the same thread. Writes are left
    to apply's own `RateLimiter`, which paces them at the write quotas.
    """

    def sending(event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]  # before-send.codeartifact.ListPackageVersions
        if operation not in WRITE_OPERATIONS:
            limiter.acquire(operation)

    def answered(operation: Any, response: Any = None, **_: Any) -> None:
        if operation.name in WRITE_OPERATIONS:
            return
        throttled = False
        if response is not None:
            http, parsed = response
            code = parsed.get("Error", {}).get("Code") if isinstance(parsed, dict) else None
            throttled = code in _THROTTLES or getattr(http, "status_code", 0) == 429
        limiter.release(throttled)

    events = client.meta.events
    events.register("before-send.codeartifact", sending, unique_id="reconciler-pace-send")
    events.register("needs-retry.codeartifact", answered, unique_id="reconciler-pace-answered")


def connect(backend: Backend) -> Connection:
    """A CodeArtifact client for `backend`; call `close()` when done."""
    connection = _connect(backend)
    if backend.log_requests is None:
        return connection
    # Opened after the client: a client that cannot be made leaves no empty log behind.
    try:
        log = open_request_log(backend.log_requests)
    except BaseException:
        connection.close()
        raise
    log.follow(connection.log)
    close = connection.close
    released = threading.Event()  # the log is shared by the run's connections: release it once

    def close_both() -> None:
        try:
            close()
        finally:
            if not released.is_set():
                released.set()
                log.close()

    connection.close = close_both
    return connection


# The Region of the embedded local service when none is given.
LOCAL_DEFAULT_REGION = "us-east-1"


def default_region(backend: Backend) -> str | None:
    """The Region a client of `backend` would speak to, found as `connect` finds it (--region,
    AWS_REGION, AWS_DEFAULT_REGION, the profile's; us-east-1 for the local service), without making
    one; None when there is none (or the profile is missing: `connect` words that)."""
    if backend.region or backend.local_db is not None:
        return backend.region or LOCAL_DEFAULT_REGION
    try:
        region: str | None = boto3.session.Session(
            profile_name=backend.profile,
            region_name=settings.region(None),
            botocore_session=fast_botocore_session(),
        ).region_name
    except botocore.exceptions.BotoCoreError:
        return None
    return region


def _connect(backend: Backend) -> Connection:
    connection = _client(backend)
    _retry_waits(connection.client, backend.max_attempts)
    return connection


def _retry_config(max_attempts: int) -> Config:
    # botocore's `max_attempts` counts retries; `total_max_attempts` counts every attempt, as ours does.
    return Config(
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        # A connection for every read the limiter may keep in flight (its window).
        max_pool_connections=MAX_IN_FLIGHT,
    )


def _retry_waits(client: Any, max_attempts: int) -> None:
    """botocore's waits before a retry, scaled by `RECONCILER_RETRY_DELAY_SCALE` when it is set."""
    scale = settings.retry_delay_scale()
    if scale != 1.0 and max_attempts > 1:
        _scale_retry_waits(client, max_attempts, scale)


def _scale_retry_waits(client: Any, max_attempts: int, scale: float) -> None:
    """botocore's standard retries, each wait multiplied by `scale` (`RECONCILER_RETRY_DELAY_SCALE`).

    botocore sleeps whatever its `needs-retry` handler returns; the handler is replaced, under its
    own unique id, by one that returns a scaled wait, and decides as the standard one does.
    """
    event = f"needs-retry.{client.meta.service_model.service_id.hyphenize()}"
    unique_id = f"retry-config-{client.meta.service_model.service_id.hyphenize()}"
    client.meta.events.unregister(event, unique_id=unique_id)
    handler = standard.register_retry_handler(client, max_attempts=max_attempts)
    client.meta.events.unregister(event, unique_id=unique_id)

    def needs_retry(**kwargs: Any) -> float | None:
        wait = handler.needs_retry(**kwargs)
        return None if wait is None else wait * scale

    client.meta.events.register(event, needs_retry, unique_id=unique_id)


def _client(backend: Backend) -> Connection:
    retry = _retry_config(backend.max_attempts)
    endpoint = settings.endpoint(backend.endpoint_url) if backend.local_db is None else None
    profile = settings.profile_source(backend.profile)
    try:
        if backend.local_db is not None:
            return _connect_local(backend, retry)
        session = boto3.session.Session(
            profile_name=backend.profile,
            region_name=settings.region(backend.region),
            botocore_session=fast_botocore_session(),
        )
        client = session.client(
            "codeartifact", endpoint_url=endpoint.value if endpoint else None, config=retry
        )
    except botocore.exceptions.ProfileNotFound as exc:
        name = exc.kwargs.get("profile") or (profile.value if profile else None)
        where = f" (from {profile.source})" if profile else ""
        raise ReconcilerError(
            f"AWS profile not found: {name!r}{where}",
            "The profiles are those of ~/.aws/config and ~/.aws/credentials (or AWS_CONFIG_FILE and "
            "AWS_SHARED_CREDENTIALS_FILE); `aws configure list-profiles` lists them.",
        ) from None
    except botocore.exceptions.NoRegionError:
        raise ReconcilerError(
            "no AWS Region configured",
            "Give --region, set AWS_REGION, or set a region in the manifest target.",
        ) from None
    except botocore.exceptions.InvalidRegionError as exc:
        raise ReconcilerError(
            f"invalid AWS Region: {exc.kwargs.get('region_name', backend.region)!r}",
            "Give a Region code such as us-east-1 or eu-west-2 (--region, AWS_REGION, or the manifest target).",
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise credentials_error(exc) or ReconcilerError(
            f"cannot create the CodeArtifact client: {exc}"
        ) from None

    def recipe() -> Recipe | None:
        # Asked for only when another process starts, after this client has made its first calls:
        # the credentials are resolved by then, and handed over as they are (another process must
        # never resolve a profile again: an MFA prompt or an SSO login is this process's).
        credentials = session.get_credentials()
        if credentials is None:
            return None
        frozen = credentials.get_frozen_credentials()
        return Recipe(
            client.meta.endpoint_url,
            client.meta.region_name,
            frozen.access_key,
            frozen.secret_key,
            frozen.token,
            backend.max_attempts,
            backend.profile,
        )

    return Connection(
        client,
        client.meta.endpoint_url,
        client.meta.region_name,
        lambda: None,
        limiter=AdaptiveLimiter(),
        recipe=recipe,
        processes=backend.processes,
    )


def connect_recipe(recipe: Recipe, share: float) -> Connection:
    """In another process: a client made from `recipe`, its reads paced at `share` of the quotas."""
    session = boto3.session.Session(
        aws_access_key_id=recipe.access_key,
        aws_secret_access_key=recipe.secret_key,
        aws_session_token=recipe.token,
        region_name=recipe.region,
        profile_name=recipe.profile,
        botocore_session=fast_botocore_session(),
    )
    client = session.client(
        "codeartifact", endpoint_url=recipe.endpoint_url, config=_retry_config(recipe.max_attempts)
    )
    _retry_waits(client, recipe.max_attempts)
    limiter = AdaptiveLimiter()
    limiter.share = share
    return Connection(client, recipe.endpoint_url, recipe.region, lambda: None, limiter=limiter)


def _connect_local(backend: Backend, retry: Config) -> Connection:
    from reconciler.local import LocalCodeArtifact, local_client

    assert backend.local_db is not None
    path = backend.local_db
    if path != ":memory:" and not os.path.exists(path):
        raise ReconcilerError(
            f"no local CodeArtifact database at {path}",
            f"Create one with: reconciler local seed SEED_FILE --db {path}",
        )
    try:
        service = LocalCodeArtifact(path)
    except (OSError, sqlite3.Error) as exc:
        raise ReconcilerError(
            f"{path} is not a local CodeArtifact database: {exc}",
            f"Give the SQLite file made by: reconciler local seed SEED_FILE --db {path}",
        ) from None
    try:
        region = backend.region or LOCAL_DEFAULT_REGION
        session = boto3.session.Session(
            aws_access_key_id="local",
            aws_secret_access_key="local",
            region_name=region,
            botocore_session=fast_botocore_session(),
        )
        client = local_client(service, region=region, session=session, config=retry)
    except BaseException:
        service.close()
        raise
    return Connection(client, f"{LOCAL_PREFIX}{os.path.abspath(path)}", region, service.close)


def call(client: Any, operation: str, calls: Counter[str], **params: Any) -> dict[str, Any]:
    """One API call, counted, with AWS errors turned into `AwsError` values."""
    method = getattr(client, snake(operation))
    calls[operation] += 1
    try:
        response: dict[str, Any] = method(**params)
    except botocore.exceptions.ClientError as exc:
        calls[operation] += exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        raise client_error(exc, operation, client.meta.endpoint_url) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise botocore_error(exc, operation, client.meta.endpoint_url) from None
    # botocore may have retried (throttling, 5xx): every attempt is a request AWS counted.
    calls[operation] += response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
    return response


def snake(operation: str) -> str:
    """`ListPackageVersions` -> `list_package_versions`, the boto3 method name."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def pages(
    client: Any, operation: str, calls: Counter[str], params: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """Every page of a paginated List operation, each call counted.

    A listing's pages must follow one another (each names the next), so what the caller does with a
    page would be time when nothing is in flight: the next page is asked for as soon as this one's
    `nextToken` is known, on a thread of its own, while the caller reads this one (one package of
    100,000 versions: 1.5 ms of CPU a page turning it into version states, about 2 ms off each of
    its 100 pages). A call's error is raised when its page is asked for, as it was. A caller that
    stops early waits for the page already asked for, whose call is counted (AWS counted it too).
    """
    page = call(client, operation, calls, **params)
    token = page.get("nextToken")
    if not token:  # one page, as most listings are: no thread
        yield page
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="next-page") as ahead:
        while token:
            following = ahead.submit(call, client, operation, calls, **params, nextToken=token)
            yield page
            page = following.result()
            token = page.get("nextToken")
    yield page
