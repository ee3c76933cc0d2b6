"""Where the AWS configuration of a run comes from, as the AWS CLI and SDKs read it.

Region: --region, then `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the profile's `region` (botocore
reads the last two; `AWS_REGION` is what the SDKs and CI actions set, and botocore ignores it).
Endpoint: --endpoint-url, then `AWS_ENDPOINT_URL_CODEARTIFACT`, then `AWS_ENDPOINT_URL` (both
ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true), else the Region's AWS endpoint.
Profile: --profile, then `AWS_PROFILE`. Each is checked here, naming where a bad value came from.
Retry waits: `RECONCILER_RETRY_DELAY_SCALE` (default 1) multiplies every wait before a retry, both
botocore's and apply's own, Retry-After included: for tests and fault-injection runs against a
local service, where waiting as long as AWS asks only slows the run down.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from reconciler.errors import ReconcilerError

RETRY_DELAY_SCALE = "RECONCILER_RETRY_DELAY_SCALE"
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_CODEARTIFACT", "AWS_ENDPOINT_URL")
_ENDPOINT_EXAMPLE = (
    "Give a URL such as https://codeartifact.us-east-1.amazonaws.com or http://127.0.0.1:4566 "
    "(a `reconciler local serve` URL)."
)


@dataclass(frozen=True)
class Setting:
    """A configured value and where it came from (an option or an environment variable)."""

    value: str
    source: str


def region(option: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """The Region to ask botocore for; None leaves it to `AWS_DEFAULT_REGION` and the profile."""
    return option or environ.get("AWS_REGION") or None


def profile_source(option: str | None, environ: Mapping[str, str] = os.environ) -> Setting | None:
    if option:
        return Setting(option, "--profile")
    if environ.get("AWS_PROFILE"):
        return Setting(environ["AWS_PROFILE"], "AWS_PROFILE")
    return None


def endpoint(option: str | None, environ: Mapping[str, str] = os.environ) -> Setting | None:
    """The endpoint URL given, checked; None: the Region's AWS endpoint."""
    found = _configured_endpoint(option, environ)
    if found is not None:
        check_endpoint(found)
    return found


def _configured_endpoint(option: str | None, environ: Mapping[str, str]) -> Setting | None:
    if option is not None:
        return Setting(option, "--endpoint-url")
    if environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return None
    for name in ENDPOINT_VARIABLES:
        if environ.get(name):
            return Setting(environ[name], name)
    return None


def check_endpoint(setting: Setting) -> None:
    """Refuse an endpoint botocore could not use (it would fail with a ValueError, or later)."""
    problem = _endpoint_problem(setting.value)
    if problem:
        raise ReconcilerError(
            f"invalid CodeArtifact endpoint {setting.value!r} (from {setting.source}): {problem}",
            _ENDPOINT_EXAMPLE,
        )


def _endpoint_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "its port must be a number from 1 to 65535"
    if parts.scheme not in ("http", "https"):
        return "it must start with http:// or https://"
    if not parts.hostname:
        return "it names no host"
    if port == 0:
        return "its port must be a number from 1 to 65535"
    if any(character.isspace() for character in url):
        return "it contains a space"
    return None


def retry_delay_scale(environ: Mapping[str, str] = os.environ) -> float:
    """The factor of every wait before a retry (`RECONCILER_RETRY_DELAY_SCALE`, above 0, at most 1)."""
    text = environ.get(RETRY_DELAY_SCALE, "").strip()
    if not text:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value <= 1.0:
        raise ReconcilerError(
            f"invalid {RETRY_DELAY_SCALE} {text!r}: it must be a number above 0 and at most 1",
            "It shortens the waits before retries (0.01 for tests against a local service); unset it for AWS.",
        )
    return value
