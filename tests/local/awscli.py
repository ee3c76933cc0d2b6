"""Running `aws codeartifact ...` (the AWS CLI v1 from this virtualenv) against a served local service.

The `cli_env` fixture (in conftest) is the environment of every run; `cli_endpoint` serves a service
for it; `aws` and `aws_json` run one command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from reconciler.local import BackgroundServer, LocalCodeArtifact

AWS = Path(sys.executable).parent / ("aws.cmd" if os.name == "nt" else "aws")


def require_aws_cli() -> None:
    """Skip the test when the AWS CLI is not installed in this virtualenv."""
    if not AWS.exists():
        pytest.skip(f"the AWS CLI is not installed in this virtualenv (no {AWS})")


@contextmanager
def cli_endpoint(service: LocalCodeArtifact) -> Iterator[str]:
    """`service` served over HTTP on 127.0.0.1, for the CLI to call (skips without the CLI)."""
    require_aws_cli()
    with BackgroundServer(service) as server:
        yield server.endpoint_url


def cli_environment(home: Path) -> dict[str, str]:
    """Dummy keys, no config or credentials files (none exist below `home`), no other AWS_*."""
    nowhere = home / "missing"
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="AKIDLOCALTESTING",
        AWS_SECRET_ACCESS_KEY="local-secret",
        AWS_CONFIG_FILE=str(nowhere / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(nowhere / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def aws(endpoint: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(AWS),
            "--endpoint-url",
            endpoint,
            "--region",
            "us-east-1",
            "--output",
            "json",
            "codeartifact",
            *args,
        ],
        env=env,
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )


def aws_json(endpoint: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    result = aws(endpoint, env, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]
