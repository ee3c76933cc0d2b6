"""The AWS CLI against the local service over HTTP: origin configuration, describe-package,
delete-package (each `aws` run costs about two seconds, so one call per test)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.local import BackgroundServer, LocalCodeArtifact, local_client
from reconciler.local.seed import SeedDocument, seed_service
from tests.local.test_awscli import AWS, aws, aws_json

pytestmark = [pytest.mark.awscli, pytest.mark.http]

DOMAIN = "acme"
NPM = ["--domain", DOMAIN, "--repository", "staging", "--format", "npm", "--namespace", "acme"]
SEED: dict[str, Any] = {
    "apiVersion": "reconciler/v1",
    "kind": "LocalSeed",
    "domains": [
        {
            "name": DOMAIN,
            "repositories": [
                {
                    "name": "staging",
                    "packages": [
                        {
                            "format": "npm",
                            "namespace": "acme",
                            "name": name,
                            "versions": ["1.0.0", "1.1.0"],
                        }
                        for name in ("described", "configured", "deleted")
                    ],
                },
            ],
        }
    ],
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCodeArtifact]:
    with LocalCodeArtifact(tmp_path_factory.mktemp("awscli-packages") / "codeartifact.db") as local:
        seed_service(local, SeedDocument.model_validate(SEED))
        yield local


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """As in test_awscli: dummy keys, no config or credentials files, no other AWS_* variables."""
    nowhere = tmp_path_factory.mktemp("aws-home") / "missing"
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="AKIDLOCALTESTING",
        AWS_SECRET_ACCESS_KEY="local-secret",
        AWS_CONFIG_FILE=str(nowhere / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(nowhere / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


@pytest.fixture(scope="module")
def endpoint(service: LocalCodeArtifact) -> Iterator[str]:
    if not AWS.exists():
        pytest.skip(f"the AWS CLI is not installed in this virtualenv (no {AWS})")
    with BackgroundServer(service) as server:
        yield server.endpoint_url


def test_describe_package_prints_the_package_and_its_origin_configuration(
    endpoint: str, cli_env: dict[str, str]
) -> None:
    described = aws_json(endpoint, cli_env, "describe-package", *NPM, "--package", "described")

    assert described == {
        "package": {
            "format": "npm",
            "namespace": "acme",
            "name": "described",
            "originConfiguration": {"restrictions": {"publish": "ALLOW", "upstream": "BLOCK"}},
        }
    }


def test_put_package_origin_configuration_prints_and_stores_the_restrictions(
    endpoint: str, cli_env: dict[str, str], service: LocalCodeArtifact
) -> None:
    put = aws_json(
        endpoint, cli_env, "put-package-origin-configuration", *NPM, "--package", "configured",
        "--restrictions", "publish=BLOCK,upstream=ALLOW",
    )  # fmt: skip

    assert put == {"originConfiguration": {"restrictions": {"publish": "BLOCK", "upstream": "ALLOW"}}}
    described = local_client(service).describe_package(
        domain=DOMAIN, repository="staging", format="npm", namespace="acme", package="configured"
    )
    assert described["package"]["originConfiguration"] == put["originConfiguration"]
    listed = local_client(service).list_packages(domain=DOMAIN, repository="staging", publish="BLOCK")
    assert [p["package"] for p in listed["packages"]] == ["configured"]


def test_delete_package_prints_the_deleted_package_and_describe_then_fails(
    endpoint: str, cli_env: dict[str, str]
) -> None:
    deleted = aws_json(endpoint, cli_env, "delete-package", *NPM, "--package", "deleted")
    described = aws(endpoint, cli_env, "describe-package", *NPM, "--package", "deleted")

    assert deleted == {
        "deletedPackage": {
            "format": "npm",
            "namespace": "acme",
            "package": "deleted",
            "originConfiguration": {"restrictions": {"publish": "ALLOW", "upstream": "BLOCK"}},
        }
    }
    assert described.returncode in (254, 255)
    assert "An error occurred (ResourceNotFoundException) when calling the DescribePackage operation" in (
        described.stderr
    )
