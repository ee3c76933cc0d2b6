"""`reconciler local serve --copy-respects-origin-controls`: the flag reaches the service."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.local.builders import write_seed
from tests.local.serving import NO_RETRIES, boto3_client, running_server

pytestmark = pytest.mark.http

SEED = """
apiVersion: reconciler/v1
kind: LocalSeed
domains:
  - name: acme
    repositories:
      - name: staging
        packages:
          - {format: generic, namespace: tools, name: cli, versions: ["1.0.0"]}
      - name: prod
        packages:
          - {format: generic, namespace: tools, name: cli, publish: BLOCK, upstream: ALLOW}
"""


@pytest.mark.parametrize(
    ("flags", "outcome"),
    [
        ([], "copied"),
        (["--copy-respects-origin-controls"], "NOT_ALLOWED"),
    ],
    ids=["default", "respects"],
)
def test_the_serve_flag_decides_whether_copy_obeys_a_publish_block(
    tmp_path: Path, flags: list[str], outcome: str
) -> None:
    seed_file = write_seed(tmp_path, SEED)

    with running_server(tmp_path, "--db", ":memory:", "--seed-file", str(seed_file), *flags) as server:
        client = boto3_client(server.endpoint_url, NO_RETRIES)
        response = client.copy_package_versions(
            domain="acme", sourceRepository="staging", destinationRepository="prod",
            format="generic", namespace="tools", package="cli", versions=["1.0.0"],
        )  # fmt: skip

    if outcome == "copied":
        assert set(response["successfulVersions"]) == {"1.0.0"}
        assert response["failedVersions"] == {}
    else:
        assert response["successfulVersions"] == {}
        assert response["failedVersions"]["1.0.0"]["errorCode"] == outcome
