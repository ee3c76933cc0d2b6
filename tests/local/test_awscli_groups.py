"""The AWS CLI's package group commands against the local service over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact, local_client
from tests.local.awscli import aws_json, cli_endpoint

pytestmark = [pytest.mark.awscli, pytest.mark.http]

DOMAIN = "acme"
ARN_PREFIX = f"arn:aws:codeartifact:us-east-1:111122223333:package-group/{DOMAIN}"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCodeArtifact]:
    with LocalCodeArtifact(tmp_path_factory.mktemp("awscli-groups") / "codeartifact.db") as local:
        client = local_client(local)
        client.create_domain(domain=DOMAIN)
        for repository in ("repo-a", "repo-b"):
            client.create_repository(domain=DOMAIN, repository=repository)
        yield local


@pytest.fixture(scope="module")
def endpoint(service: LocalCodeArtifact) -> Iterator[str]:
    with cli_endpoint(service) as url:
        yield url


@pytest.fixture(scope="module")
def boto(service: LocalCodeArtifact) -> Any:
    return local_client(service)


def test_create_package_group_prints_the_new_group(endpoint: str, cli_env: dict[str, str], boto: Any) -> None:
    created = aws_json(
        endpoint, cli_env, "create-package-group", "--domain", DOMAIN, "--package-group", "/npm/space/anycompany~",
        "--contact-info", "contact@example.com", "--description", "my package group",
    )["packageGroup"]  # fmt: skip

    assert created["pattern"] == "/npm/space/anycompany~"
    assert created["arn"] == f"{ARN_PREFIX}/npm/space/anycompany~"
    assert created["contactInfo"] == "contact@example.com"
    assert created["description"] == "my package group"
    assert created["parent"] == {"arn": f"{ARN_PREFIX}/%2a", "pattern": "/*"}
    assert created["originConfiguration"]["restrictions"]["PUBLISH"]["mode"] == "INHERIT"
    described = boto.describe_package_group(domain=DOMAIN, packageGroup="/npm/space/anycompany~")
    assert described["packageGroup"]["description"] == "my package group"


def test_update_package_group_origin_configuration_with_shorthand_arguments(
    endpoint: str, cli_env: dict[str, str], boto: Any
) -> None:
    # The user guide's own example: repoA retains from its internal upstream repoB, which ingests
    # from the public registry; nothing is published directly.
    boto.create_package_group(domain=DOMAIN, packageGroup="/npm/other~")

    updated = aws_json(
        endpoint, cli_env, "update-package-group-origin-configuration", "--domain", DOMAIN,
        "--package-group", "/npm/other~",
        "--restrictions", "PUBLISH=BLOCK,EXTERNAL_UPSTREAM=ALLOW_SPECIFIC_REPOSITORIES,"
        "INTERNAL_UPSTREAM=ALLOW_SPECIFIC_REPOSITORIES",
        "--add-allowed-repositories", "originRestrictionType=INTERNAL_UPSTREAM,repositoryName=repo-a",
        "originRestrictionType=EXTERNAL_UPSTREAM,repositoryName=repo-b",
    )  # fmt: skip

    restrictions = updated["packageGroup"]["originConfiguration"]["restrictions"]
    assert {kind: entry["mode"] for kind, entry in restrictions.items()} == {
        "PUBLISH": "BLOCK",
        "EXTERNAL_UPSTREAM": "ALLOW_SPECIFIC_REPOSITORIES",
        "INTERNAL_UPSTREAM": "ALLOW_SPECIFIC_REPOSITORIES",
    }
    assert updated["allowedRepositoryUpdates"] == {
        "INTERNAL_UPSTREAM": {"ADDED": ["repo-a"]},
        "EXTERNAL_UPSTREAM": {"ADDED": ["repo-b"]},
    }
    listed = boto.list_allowed_repositories_for_group(
        domain=DOMAIN, packageGroup="/npm/other~", originRestrictionType="EXTERNAL_UPSTREAM"
    )
    assert listed["allowedRepositories"] == ["repo-b"]


def test_get_associated_package_group_prints_the_group_and_strength(
    endpoint: str, cli_env: dict[str, str], boto: Any
) -> None:
    boto.create_package_group(domain=DOMAIN, packageGroup="/pypi//requests$")

    strong = aws_json(
        endpoint, cli_env, "get-associated-package-group", "--domain", DOMAIN, "--format", "pypi",
        "--package", "requests",
    )  # fmt: skip
    other = aws_json(
        endpoint, cli_env, "get-associated-package-group", "--domain", DOMAIN, "--format", "pypi",
        "--package", "flask",
    )  # fmt: skip

    assert strong["packageGroup"]["pattern"] == "/pypi//requests$"
    assert strong["packageGroup"]["arn"] == f"{ARN_PREFIX}/pypi//requests%24"
    assert strong["associationType"] == "STRONG"
    assert other["packageGroup"]["pattern"] == "/*"
