"""The AWS conventions: the Region, profile and endpoint from the places the AWS CLI reads them, each
bad value an exit-1 error naming where it came from, and each failure of the credential chain and
of the endpoint in one clear line."""

from __future__ import annotations

import http.server
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
from click.testing import CliRunner

from reconciler.aws.client import Backend, call, connect
from reconciler.cli import cli
from reconciler.errors import AwsError, ReconcilerError

ENVIRONMENT = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_CODEARTIFACT",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_SESSION_TOKEN",
)


@pytest.fixture(autouse=True)
def clean_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


def failure(backend: Backend) -> ReconcilerError:
    with pytest.raises(ReconcilerError) as raised:
        connect(backend)
    return raised.value


# --- Region


def test_aws_region_is_read_before_aws_default_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-2")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-1")
    assert connect(Backend(endpoint_url="http://127.0.0.1:9")).region == "eu-west-2"


def test_aws_default_region_is_read_when_aws_region_is_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-1")
    assert connect(Backend(endpoint_url="http://127.0.0.1:9")).region == "us-west-1"


def test_the_region_option_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-2")
    assert connect(Backend(endpoint_url="http://127.0.0.1:9", region="ap-south-1")).region == "ap-south-1"


def test_the_profiles_region_is_read_last(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "config").write_text("[profile ci]\nregion = eu-north-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_PROFILE", "ci")
    assert connect(Backend(endpoint_url="http://127.0.0.1:9")).region == "eu-north-1"


# --- profiles


def test_a_missing_profile_named_by_aws_profile_is_named_with_where_it_came_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nope")
    error = failure(Backend(region="us-east-1"))
    assert error.summary == "AWS profile not found: 'nope' (from AWS_PROFILE)"
    assert "None" not in str(error)


def test_a_missing_profile_named_by_the_option_is_named_with_where_it_came_from() -> None:
    error = failure(Backend(region="us-east-1", profile="missing"))
    assert error.summary == "AWS profile not found: 'missing' (from --profile)"


# --- endpoints


def test_aws_endpoint_url_codeartifact_beats_aws_endpoint_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111")
    monkeypatch.setenv("AWS_ENDPOINT_URL_CODEARTIFACT", "http://127.0.0.1:2222")
    assert connect(Backend(region="us-east-1")).endpoint == "http://127.0.0.1:2222"


def test_aws_endpoint_url_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111")
    assert connect(Backend(region="us-east-1")).endpoint == "http://127.0.0.1:1111"


def test_the_endpoint_option_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CODEARTIFACT", "notaurl")
    backend = Backend(region="us-east-1", endpoint_url="http://127.0.0.1:3333")
    assert connect(backend).endpoint == "http://127.0.0.1:3333"


def test_configured_endpoints_are_ignored_when_aws_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CODEARTIFACT", "http://127.0.0.1:2222")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert connect(Backend(region="us-east-1")).endpoint == "https://codeartifact.us-east-1.amazonaws.com"


MALFORMED = [
    ("notaurl", "it must start with http:// or https://"),
    ("http://127.0.0.1:99999", "its port must be a number from 1 to 65535"),
    ("http://127.0.0.1:0", "its port must be a number from 1 to 65535"),
    ("http://127.0.0.1:port", "its port must be a number from 1 to 65535"),
    ("http://", "it names no host"),
    ("ftp://example.com", "it must start with http:// or https://"),
]


@pytest.mark.parametrize(("url", "problem"), MALFORMED)
@pytest.mark.parametrize("source", ["--endpoint-url", "AWS_ENDPOINT_URL_CODEARTIFACT", "AWS_ENDPOINT_URL"])
def test_a_malformed_endpoint_is_an_exit_1_error_naming_where_it_came_from(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, problem: str, source: str
) -> None:
    options = ["--endpoint-url", url] if source == "--endpoint-url" else []
    if source != "--endpoint-url":
        monkeypatch.setenv(source, url)
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        "apiVersion: reconciler/v1\nkind: PackageLifecycle\ntarget: {domain: acme, repository: prod}\n"
        "packages:\n  - {format: npm, name: app, otherwise: Published}\n"
    )

    result = CliRunner().invoke(cli, ["plan", str(manifest), "--region", "us-east-1", *options])

    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0] == (
        f"Error: invalid CodeArtifact endpoint {url!r} (from {source}): {problem}"
    )
    assert "Traceback" not in result.output


# --- failures of the endpoint and of the credential chain, on a call


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_refused_connection_says_so_and_names_the_endpoint() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    client = connect(Backend(endpoint_url=url, region="us-east-1", max_attempts=1)).client
    with pytest.raises(AwsError) as raised:
        call(client, "DescribeDomain", Counter(), domain="acme")
    assert raised.value.summary == (
        f"cannot reach CodeArtifact in DescribeDomain: connection refused by {url} (is anything listening there?)"
    )
    assert "AWS_ENDPOINT_URL" in raised.value.detail


class FailingClient:
    """A client whose every call raises the given botocore exception."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.meta = type("Meta", (), {"endpoint_url": "https://codeartifact.example.test"})()

    def describe_domain(self, **_: Any) -> dict[str, Any]:
        raise self.error


def failure_of_call(error: Exception) -> ReconcilerError:
    with pytest.raises(ReconcilerError) as raised:
        call(FailingClient(error), "DescribeDomain", Counter(), domain="acme")
    return raised.value


def test_a_host_that_does_not_resolve_says_dns() -> None:
    cause = OSError("Failed to resolve 'codeartifact.example.test' ([Errno -2] Name or service not known)")
    error = failure_of_call(
        botocore.exceptions.EndpointConnectionError(
            endpoint_url="https://codeartifact.example.test/v1", error=cause
        )
    )
    assert error.summary == (
        "cannot reach CodeArtifact in DescribeDomain: cannot resolve the host of "
        "https://codeartifact.example.test (DNS)"
    )


@pytest.mark.parametrize(
    ("error", "summary"),
    [
        (botocore.exceptions.NoCredentialsError(), "no AWS credentials found"),
        (
            botocore.exceptions.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
            "incomplete AWS credentials in env: AWS_SECRET_ACCESS_KEY is missing",
        ),
        (
            botocore.exceptions.CredentialRetrievalError(provider="assume-role", error_msg="access denied"),
            "cannot get AWS credentials from assume-role: access denied",
        ),
        (
            botocore.exceptions.UnauthorizedSSOTokenError(),
            "the AWS SSO session has expired or was never started",
        ),
        (
            botocore.exceptions.SSOTokenLoadError(error_msg="no token"),
            "the AWS SSO session has expired or was never started",
        ),
        (
            botocore.exceptions.ReadTimeoutError(endpoint_url="https://codeartifact.example.test/v1"),
            "cannot reach CodeArtifact in DescribeDomain: https://codeartifact.example.test did not answer in time",
        ),
    ],
    ids=["none", "partial", "provider", "sso-expired", "sso-missing", "timeout"],
)
def test_each_failure_of_the_credential_chain_and_the_endpoint_has_its_own_message(
    error: Exception, summary: str
) -> None:
    found = failure_of_call(error)
    assert found.summary == summary
    assert found.detail


def test_credentials_aws_rejects_say_what_to_check() -> None:
    rejected = botocore.exceptions.ClientError(
        {"Error": {"Code": "UnrecognizedClientException", "Message": "The security token is invalid."}},
        "DescribeDomain",
    )
    error = failure_of_call(rejected)
    assert error.summary == (
        "AWS error in DescribeDomain: UnrecognizedClientException: The security token is invalid."
    )
    assert "credential chain" in error.detail


# --- an endpoint that is not CodeArtifact


PAGE = (
    "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>"
    "<p>The requested URL was not found on this server.</p>\n<hr><address>Apache</address></body></html>"
)


@pytest.fixture
def html_server() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self) -> None:
            body = PAGE.encode()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = answer

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_html_page_from_an_endpoint_that_is_not_codeartifact_is_summarised_in_one_line(
    html_server: str, tmp_path: Path
) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        "apiVersion: reconciler/v1\nkind: PackageLifecycle\ntarget: {domain: acme, repository: prod}\n"
        "packages:\n  - {format: npm, name: app, otherwise: Published}\n"
    )

    result = CliRunner().invoke(
        cli, ["plan", str(manifest), "--endpoint-url", html_server, "--region", "us-east-1"]
    )

    assert result.exit_code == 1
    first, *rest = result.stderr.splitlines()
    assert first == (
        f"Error: AWS error in DescribeDomain: 404: {html_server} answered text/html, not CodeArtifact: "
        "404 Not Found"
    )
    assert "<" not in result.stderr
    assert rest and "not a CodeArtifact endpoint" in rest[0]
