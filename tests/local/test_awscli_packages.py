"""The AWS CLI against the local service over HTTP: origin configuration, describe-package,
delete-package (each `aws` run costs about two seconds, so one call per test)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact, local_client
from tests.local.awscli import aws, aws_json, cli_endpoint
from tests.local.builders import seed

pytestmark = [pytest.mark.awscli, pytest.mark.http]

DOMAIN = "acme"
NPM = ["--domain", DOMAIN, "--repository", "staging", "--format", "npm", "--namespace", "acme"]
REPOSITORIES: list[dict[str, Any]] = [
    {
        "name": "staging",
        "packages": [
            {"format": "npm", "namespace": "acme", "name": name, "versions": ["1.0.0", "1.1.0"]}
            for name in ("described", "configured", "deleted")
        ],
    },
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCodeArtifact]:
    with LocalCodeArtifact(tmp_path_factory.mktemp("awscli-packages") / "codeartifact.db") as local:
        seed(local, REPOSITORIES, DOMAIN)
        yield local


@pytest.fixture(scope="module")
def endpoint(service: LocalCodeArtifact) -> Iterator[str]:
    with cli_endpoint(service) as url:
        yield url


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
