"""botocore's failures as errors a user can act on: one line saying what failed and where, and what to do.

The credential chain (no credentials, partial ones, a provider that failed, an expired SSO session),
the endpoint (connection refused, a host that does not resolve, a timeout, TLS) and answers that did
not come from CodeArtifact (an HTML error page from a proxy or a wrong URL: summarised in one line,
never printed whole).
"""

from __future__ import annotations

import html
import re
from typing import Any

import botocore.exceptions

from reconciler.errors import AwsError, ReconcilerError

_CREDENTIALS_HELP = (
    "The AWS credential chain looks, in order, at --profile or AWS_PROFILE, the environment "
    "(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), web identity (AWS_ROLE_ARN with "
    "AWS_WEB_IDENTITY_TOKEN_FILE), the shared files (~/.aws/credentials, ~/.aws/config), SSO "
    "(aws sso login), and the container or instance role. Configure one, or use --local."
)
_ENDPOINT_HELP = (
    "Check --endpoint-url (or AWS_ENDPOINT_URL_CODEARTIFACT / AWS_ENDPOINT_URL), the Region, and the "
    "network; a local service must be running (reconciler local serve)."
)
# AWS's answers for credentials it does not accept.
_REJECTED_CREDENTIALS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "ExpiredTokenException",
        "ExpiredToken",
    }
)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SHORT = 120


def client_error(exc: botocore.exceptions.ClientError, operation: str, endpoint: str) -> AwsError:
    """An AWS error answer as an `AwsError`; an answer that is not CodeArtifact's, in one line."""
    code, message = error_code_and_message(exc.response, endpoint)
    error = AwsError(code, message, operation, exc.response.get("resourceType"))
    if code in _REJECTED_CREDENTIALS:
        error.detail = "AWS did not accept the credentials. " + _CREDENTIALS_HELP
    elif not _from_codeartifact(exc.response):
        error.detail = "The endpoint is not a CodeArtifact endpoint. " + _ENDPOINT_HELP
    return error


def error_code_and_message(response: dict[str, Any], endpoint: str) -> tuple[str, str]:
    """The error's code and message; for an answer that is not CodeArtifact's (an HTML page, a proxy's
    error: botocore's code is then the HTTP status), a one-line summary of the body instead of it."""
    error = response.get("Error", {})
    code, message = str(error.get("Code", "Unknown")), str(error.get("Message", ""))
    if _from_codeartifact(response):
        return code, message
    kind = _headers(response).get("content-type", "no content type").split(";")[0]
    return code, f"{endpoint} answered {kind}, not CodeArtifact: {summarise(message)}"


def summarise(body: str) -> str:
    """One short line of an error body: an HTML page's title, else its first words."""
    title = _TITLE.search(body)
    text = title.group(1) if title else _TAG.sub(" ", body)
    line = " ".join(html.unescape(text).split())
    return line if len(line) <= _SHORT else line[: _SHORT - 3] + "..."


def _headers(response: dict[str, Any]) -> dict[str, str]:
    return {
        str(k).lower(): str(v) for k, v in response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).items()
    }


def _from_codeartifact(response: dict[str, Any]) -> bool:
    """CodeArtifact answers errors in JSON with a named error type; a numeric code is botocore's
    stand-in for a body it could not parse (an HTML page, a proxy's answer)."""
    code = str(response.get("Error", {}).get("Code", ""))
    kind = _headers(response).get("content-type", "")
    return not code.isdigit() and "html" not in kind and "xml" not in kind


def botocore_error(exc: botocore.exceptions.BotoCoreError, operation: str, endpoint: str) -> ReconcilerError:
    """A failure before or in transit as a `ReconcilerError` (an `AwsError` for failures of the
    endpoint, which callers may retry); anything else keeps botocore's own words."""
    credentials = credentials_error(exc)
    if credentials is not None:
        return credentials
    if isinstance(exc, botocore.exceptions.ConnectionError | botocore.exceptions.HTTPClientError):
        error = AwsError(type(exc).__name__, _connection_problem(exc, endpoint), operation)
        error.summary = f"cannot reach CodeArtifact in {operation}: {error.message}"
        error.detail = _ENDPOINT_HELP
        return error
    return AwsError(type(exc).__name__, str(exc), operation)


def credentials_error(exc: Exception) -> ReconcilerError | None:
    """Each failure of the credential chain, worded; None for any other failure."""
    kwargs: dict[str, Any] = getattr(exc, "kwargs", {})
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return ReconcilerError("no AWS credentials found", _CREDENTIALS_HELP)
    if isinstance(exc, botocore.exceptions.PartialCredentialsError):
        return ReconcilerError(
            f"incomplete AWS credentials in {kwargs.get('provider')}: {kwargs.get('cred_var')} is missing",
            _CREDENTIALS_HELP,
        )
    if isinstance(exc, botocore.exceptions.UnauthorizedSSOTokenError | botocore.exceptions.SSOTokenLoadError):
        return ReconcilerError(
            "the AWS SSO session has expired or was never started",
            "Run: aws sso login (with --profile PROFILE for a named profile), then run again.",
        )
    if isinstance(
        exc, botocore.exceptions.CredentialRetrievalError | botocore.exceptions.TokenRetrievalError
    ):
        return ReconcilerError(
            f"cannot get AWS credentials from {kwargs.get('provider')}: {kwargs.get('error_msg')}",
            _CREDENTIALS_HELP,
        )
    if isinstance(exc, botocore.exceptions.InvalidConfigError):
        return ReconcilerError(f"the AWS configuration is invalid: {exc}", _CREDENTIALS_HELP)
    return None


def _connection_problem(exc: botocore.exceptions.BotoCoreError, endpoint: str) -> str:
    cause = str(getattr(exc, "kwargs", {}).get("error", exc))
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        if "Connection refused" in cause:
            return f"connection refused by {endpoint} (is anything listening there?)"
        if "resolve" in cause or "Name or service not known" in cause or "nodename" in cause:
            return f"cannot resolve the host of {endpoint} (DNS)"
        return f"cannot connect to {endpoint}: {cause}"
    if isinstance(exc, botocore.exceptions.ConnectTimeoutError | botocore.exceptions.ReadTimeoutError):
        return f"{endpoint} did not answer in time"
    if isinstance(exc, botocore.exceptions.SSLError):
        return f"TLS failed with {endpoint}: {cause}"
    return f"{endpoint}: {exc}"
