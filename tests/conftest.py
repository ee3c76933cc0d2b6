"""Shared fixtures: a local CodeArtifact service and boto3 clients wired to it, in process or over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from reconciler.local import BackgroundServer, LocalCodeArtifact, attach
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT


@pytest.fixture(scope="session")
def boto_session() -> boto3.session.Session:
    """One boto3 session for the run: it loads botocore's models once, so each client is cheap."""
    return boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
    )


@pytest.fixture
def service(tmp_path: Any) -> Iterator[LocalCodeArtifact]:
    with LocalCodeArtifact(tmp_path / "codeartifact.db") as svc:
        yield svc


@pytest.fixture
def client(service: LocalCodeArtifact, boto_session: boto3.session.Session) -> Any:
    """A real boto3 client whose requests the service answers in process (no sockets)."""
    return attach(boto_session.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service)


@pytest.fixture
def server(service: LocalCodeArtifact) -> Iterator[BackgroundServer]:
    with BackgroundServer(service) as background:
        yield background


@pytest.fixture
def http_client(server: BackgroundServer, boto_session: boto3.session.Session) -> Any:
    """A real boto3 client talking to the service over HTTP on 127.0.0.1."""
    return boto_session.client("codeartifact", endpoint_url=server.endpoint_url)


@pytest.fixture(autouse=True)
def _outside_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs as outside a GitHub Actions job, wherever the suite runs (a job's GITHUB_ACTIONS
    would turn annotations on, its GITHUB_STEP_SUMMARY would collect every test's summary); the tests
    of that behaviour set the variables themselves."""
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
