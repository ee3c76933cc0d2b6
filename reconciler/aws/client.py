"""Building a CodeArtifact client for a backend, and making counted calls whose errors are values."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from reconciler.errors import AwsError, ReconcilerError


@dataclass(frozen=True)
class Backend:
    """Where CodeArtifact is: the embedded local service on a SQLite file, or an AWS endpoint."""

    local_db: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    max_attempts: int = 10  # attempts per request, the first included (1: botocore never retries)


@dataclass
class Connection:
    client: Any
    endpoint: str
    region: str
    close: Callable[[], None]


def connect(backend: Backend) -> Connection:
    """A CodeArtifact client for `backend`; call `close()` when done."""
    # botocore's `max_attempts` counts retries; `total_max_attempts` counts every attempt, as ours does.
    retry = Config(
        retries={"mode": "standard", "total_max_attempts": backend.max_attempts}, max_pool_connections=32
    )
    try:
        if backend.local_db is not None:
            from reconciler.local import LocalCodeArtifact, local_client

            if backend.local_db != ":memory:" and not os.path.exists(backend.local_db):
                raise ReconcilerError(
                    f"no local CodeArtifact database at {backend.local_db}",
                    f"Create one with: reconciler local seed SEED_FILE --db {backend.local_db}",
                )
            service = LocalCodeArtifact(backend.local_db)
            region = backend.region or "us-east-1"
            client = local_client(service, region=region, config=retry)
            return Connection(client, f"local:{os.path.abspath(backend.local_db)}", region, service.close)
        session = boto3.session.Session(profile_name=backend.profile, region_name=backend.region)
        client = session.client("codeartifact", endpoint_url=backend.endpoint_url, config=retry)
    except botocore.exceptions.ProfileNotFound as exc:
        raise ReconcilerError(f"AWS profile not found: {backend.profile}", str(exc)) from None
    except botocore.exceptions.NoRegionError:
        raise ReconcilerError(
            "no AWS Region configured",
            "Give --region, set AWS_REGION, or set a region in the manifest target.",
        ) from None
    return Connection(client, client.meta.endpoint_url, client.meta.region_name, lambda: None)


def call(client: Any, operation: str, calls: Counter[str], **params: Any) -> dict[str, Any]:
    """One API call, counted, with AWS errors turned into `AwsError` values."""
    method = getattr(client, snake(operation))
    calls[operation] += 1
    try:
        response: dict[str, Any] = method(**params)
    except botocore.exceptions.ClientError as exc:
        calls[operation] += exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        error = exc.response.get("Error", {})
        raise AwsError(error.get("Code", "Unknown"), error.get("Message", str(exc)), operation) from None
    except botocore.exceptions.NoCredentialsError:
        raise ReconcilerError(
            "no AWS credentials found",
            "Configure credentials (environment, profile or role), or use --local.",
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise AwsError(type(exc).__name__, str(exc), operation) from None
    # botocore may have retried (throttling, 5xx): every attempt is a request AWS counted.
    calls[operation] += response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
    return response


def snake(operation: str) -> str:
    """`ListPackageVersions` -> `list_package_versions`, the boto3 method name."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
