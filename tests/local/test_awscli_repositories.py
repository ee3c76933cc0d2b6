"""The AWS CLI (v1, from this virtualenv) managing domains and repositories over HTTP: tags,
deletion, external connections, endpoints and policies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact, local_client
from tests.local.awscli import aws, aws_json, cli_endpoint

pytestmark = [pytest.mark.awscli, pytest.mark.http]

ACCOUNT = "111122223333"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCodeArtifact]:
    with LocalCodeArtifact(tmp_path_factory.mktemp("awscli-repositories") / "codeartifact.db") as local:
        yield local


@pytest.fixture(scope="module")
def endpoint(service: LocalCodeArtifact) -> Iterator[str]:
    with cli_endpoint(service) as url:
        yield url


@pytest.fixture(scope="module")
def boto(service: LocalCodeArtifact) -> Any:
    """An in-process boto3 client on the same service, to set up and check what the CLI did."""
    return local_client(service)


def test_tag_resource_list_tags_and_untag_resource(endpoint: str, cli_env: dict[str, str], boto: Any) -> None:
    boto.create_domain(domain="tagged")
    arn = boto.create_repository(
        domain="tagged", repository="staging", tags=[{"key": "stage", "value": "pre"}]
    )["repository"]["arn"]

    tagged = aws(
        endpoint,
        cli_env,
        "tag-resource",
        "--resource-arn",
        arn,
        "--tags",
        "key=team,value=web",
        "key=tier,value=1",
    )
    listed = aws_json(endpoint, cli_env, "list-tags-for-resource", "--resource-arn", arn)
    untagged = aws(endpoint, cli_env, "untag-resource", "--resource-arn", arn, "--tag-keys", "tier", "stage")

    assert tagged.returncode == 0, tagged.stderr
    assert listed["tags"] == [
        {"key": "stage", "value": "pre"},
        {"key": "team", "value": "web"},
        {"key": "tier", "value": "1"},
    ]
    assert untagged.returncode == 0, untagged.stderr
    assert boto.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "web"}]


def test_delete_repository_then_delete_domain(endpoint: str, cli_env: dict[str, str], boto: Any) -> None:
    boto.create_domain(domain="doomed")
    boto.create_repository(domain="doomed", repository="only", description="the only one")

    refused = aws(endpoint, cli_env, "delete-domain", "--domain", "doomed")
    deleted_repository = aws_json(
        endpoint, cli_env, "delete-repository", "--domain", "doomed", "--repository", "only"
    )
    deleted_domain = aws_json(
        endpoint, cli_env, "delete-domain", "--domain", "doomed", "--domain-owner", ACCOUNT
    )

    assert refused.returncode in (254, 255)
    assert "An error occurred (ConflictException) when calling the DeleteDomain operation" in refused.stderr
    assert deleted_repository["repository"]["name"] == "only"
    assert deleted_repository["repository"]["description"] == "the only one"
    assert deleted_domain["domain"]["name"] == "doomed"
    assert deleted_domain["domain"]["status"] == "Deleted"
    assert "doomed" not in [domain["name"] for domain in boto.list_domains()["domains"]]


def test_external_connection_endpoint_and_policy(
    endpoint: str, cli_env: dict[str, str], boto: Any, tmp_path: Path
) -> None:
    boto.create_domain(domain="proxied")
    boto.create_repository(domain="proxied", repository="npm-store")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*"}]}
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(policy), encoding="utf-8")
    repository = ["--domain", "proxied", "--repository", "npm-store"]

    connected = aws_json(
        endpoint,
        cli_env,
        "associate-external-connection",
        *repository,
        "--external-connection",
        "public:npmjs",
    )
    url = aws_json(endpoint, cli_env, "get-repository-endpoint", *repository, "--format", "npm")
    put = aws_json(
        endpoint,
        cli_env,
        "put-repository-permissions-policy",
        *repository,
        "--policy-document",
        f"file://{policy_file}",
    )
    got = aws_json(endpoint, cli_env, "get-repository-permissions-policy", *repository)

    assert connected["repository"]["externalConnections"] == [
        {"externalConnectionName": "public:npmjs", "packageFormat": "npm", "status": "Available"}
    ]
    assert url["repositoryEndpoint"] == f"{endpoint}/proxied-{ACCOUNT}/npm/npm-store/"
    assert json.loads(put["policy"]["document"]) == policy
    assert got["policy"] == put["policy"]
