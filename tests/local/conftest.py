"""Fixtures for the local service's contract tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from reconciler.local import BackgroundServer, LocalCodeArtifact, attach
from reconciler.local.context import Options
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT
from tests.local.awscli import cli_environment, require_aws_cli


@pytest.fixture(params=["client", "http_client"], ids=["in-process", "http"])
def any_client(request: pytest.FixtureRequest) -> Any:
    """The same boto3 client contract, once in process and once over real HTTP."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of every `aws` run (skips without the AWS CLI): see tests.local.awscli."""
    require_aws_cli()
    return cli_environment(tmp_path_factory.mktemp("aws-home"))


# --- CopyPackageVersions and origin controls: a server option, set both ways --------------------


@pytest.fixture(params=[False, True], ids=["copy-ignores", "copy-respects"])
def respects(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture(params=["in-process", "http"])
def option_client(
    request: pytest.FixtureRequest, tmp_path: Any, boto_session: boto3.session.Session, respects: bool
) -> Iterator[tuple[LocalCodeArtifact, Any]]:
    """A service with `copy_respects_origin_controls` set both ways, in process and over HTTP."""
    options = Options(copy_respects_origin_controls=respects)
    with LocalCodeArtifact(tmp_path / "codeartifact.db", options=options) as service:
        if request.param == "in-process":
            yield (
                service,
                attach(boto_session.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service),
            )
        else:
            with BackgroundServer(service) as server:
                yield service, boto_session.client("codeartifact", endpoint_url=server.endpoint_url)
