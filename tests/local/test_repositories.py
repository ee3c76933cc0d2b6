"""CreateRepository (with upstreams), DescribeRepository, ListRepositories, ListRepositoriesInDomain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from reconciler.local import LocalCodeArtifact
from tests.local.builders import raises_client_error, seed, setup_repository

ACCOUNT = "111122223333"
SUMMARY_KEYS = {"name", "administratorAccount", "domainName", "domainOwner", "arn", "createdTime"}


def test_create_repository_describes_the_new_repository(any_client: Any) -> None:
    any_client.create_domain(domain="acme")

    repository = any_client.create_repository(domain="acme", repository="staging", description="pre-release")[
        "repository"
    ]

    assert set(repository) == SUMMARY_KEYS | {"description", "upstreams", "externalConnections"}
    assert repository["name"] == "staging"
    assert repository["domainName"] == "acme"
    assert repository["domainOwner"] == ACCOUNT
    assert repository["administratorAccount"] == ACCOUNT
    assert repository["arn"] == f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:repository/acme/staging"
    assert repository["description"] == "pre-release"
    assert repository["upstreams"] == []
    assert repository["externalConnections"] == []
    assert isinstance(repository["createdTime"], dt.datetime)


def test_create_repository_keeps_upstreams_in_the_given_order(any_client: Any) -> None:
    setup_repository(any_client, "base", "mirror")

    created = any_client.create_repository(
        domain="acme",
        repository="app",
        upstreams=[{"repositoryName": "mirror"}, {"repositoryName": "base"}],
    )["repository"]
    described = any_client.describe_repository(domain="acme", repository="app")["repository"]

    expected = [{"repositoryName": "mirror"}, {"repositoryName": "base"}]
    assert created["upstreams"] == expected
    assert described["upstreams"] == expected


def test_create_repository_with_a_missing_upstream_is_resource_not_found(client: Any) -> None:
    client.create_domain(domain="acme")
    with raises_client_error("ResourceNotFoundException") as error:
        client.create_repository(domain="acme", repository="app", upstreams=[{"repositoryName": "ghost"}])
    assert error["resourceType"] == "repository"
    assert error["resourceId"] == "ghost"
    assert client.list_repositories_in_domain(domain="acme")["repositories"] == []


def test_create_repository_with_the_same_upstream_twice_is_a_validation_error(client: Any) -> None:
    setup_repository(client, "base")
    with raises_client_error("ValidationException"):
        client.create_repository(
            domain="acme",
            repository="app",
            upstreams=[{"repositoryName": "base"}, {"repositoryName": "base"}],
        )


def test_create_repository_with_eleven_upstreams_is_a_validation_error(client: Any) -> None:
    names = [f"up-{index}" for index in range(11)]
    setup_repository(client, *names)
    with raises_client_error("ValidationException"):
        client.create_repository(
            domain="acme", repository="app", upstreams=[{"repositoryName": name} for name in names]
        )


def test_create_repository_twice_is_a_conflict_on_the_repository(any_client: Any) -> None:
    setup_repository(any_client, "staging")
    with raises_client_error("ConflictException") as error:
        any_client.create_repository(domain="acme", repository="staging")
    assert error["resourceType"] == "repository"
    assert error["resourceId"] == "staging"


def test_create_repository_in_a_missing_domain_is_resource_not_found(client: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        client.create_repository(domain="nowhere", repository="staging")
    assert error["resourceType"] == "domain"


def test_describe_missing_repository_is_resource_not_found(any_client: Any) -> None:
    any_client.create_domain(domain="acme")
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.describe_repository(domain="acme", repository="ghost")
    assert error["resourceType"] == "repository"
    assert error["resourceId"] == "ghost"


def test_describe_repository_lists_its_external_connections(service: LocalCodeArtifact, client: Any) -> None:
    seed(
        service, [{"name": "npm-store", "external_connections": [{"name": "public:npmjs", "format": "npm"}]}]
    )

    repository = client.describe_repository(domain="acme", repository="npm-store")["repository"]

    assert repository["externalConnections"] == [
        {"externalConnectionName": "public:npmjs", "packageFormat": "npm", "status": "Available"}
    ]


def test_list_repositories_filters_by_prefix_across_domains(client: Any) -> None:
    setup_repository(client, "team-a", "team-b", "other")
    setup_repository(client, "team-c", domain="beta")

    listed = client.list_repositories(repositoryPrefix="team")["repositories"]

    assert [(r["domainName"], r["name"]) for r in listed] == [
        ("acme", "team-a"),
        ("acme", "team-b"),
        ("beta", "team-c"),
    ]
    assert set(listed[0]) == SUMMARY_KEYS
    assert isinstance(listed[0]["createdTime"], dt.datetime)


def test_list_repositories_paginates_every_repository_once(any_client: Any) -> None:
    names = [f"repo-{index}" for index in range(7)]
    setup_repository(any_client, *names)

    pages = list(any_client.get_paginator("list_repositories").paginate(PaginationConfig={"PageSize": 3}))

    assert [len(page["repositories"]) for page in pages] == [3, 3, 1]
    assert [r["name"] for page in pages for r in page["repositories"]] == names


def test_list_repositories_token_reused_with_another_prefix_is_a_validation_error(client: Any) -> None:
    setup_repository(client, "repo-1", "repo-2", "repo-3")
    token = client.list_repositories(repositoryPrefix="repo", maxResults=1)["nextToken"]
    with raises_client_error("ValidationException"):
        client.list_repositories(repositoryPrefix="rep", maxResults=1, nextToken=token)


def test_list_repositories_in_domain_lists_only_that_domain(any_client: Any) -> None:
    setup_repository(any_client, "one", "two")
    setup_repository(any_client, "three", domain="beta")

    listed = any_client.list_repositories_in_domain(domain="acme")["repositories"]

    assert [r["name"] for r in listed] == ["one", "two"]
    assert all(r["domainName"] == "acme" for r in listed)


def test_list_repositories_in_domain_filters_by_prefix_and_administrator(client: Any) -> None:
    setup_repository(client, "app-web", "app-api", "lib")

    by_prefix = client.list_repositories_in_domain(domain="acme", repositoryPrefix="app")["repositories"]
    by_owner = client.list_repositories_in_domain(domain="acme", administratorAccount=ACCOUNT)["repositories"]
    by_stranger = client.list_repositories_in_domain(domain="acme", administratorAccount="999999999999")

    assert [r["name"] for r in by_prefix] == ["app-api", "app-web"]
    assert len(by_owner) == 3
    assert by_stranger["repositories"] == []


def test_list_repositories_in_domain_paginates(client: Any) -> None:
    names = [f"repo-{index}" for index in range(5)]
    setup_repository(client, *names)

    first = client.list_repositories_in_domain(domain="acme", maxResults=2)
    rest = client.list_repositories_in_domain(domain="acme", maxResults=10, nextToken=first["nextToken"])

    assert [r["name"] for r in first["repositories"]] == names[:2]
    assert [r["name"] for r in rest["repositories"]] == names[2:]
    assert "nextToken" not in rest


def test_list_repositories_in_missing_domain_is_resource_not_found(client: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        client.list_repositories_in_domain(domain="nowhere")
    assert error["resourceType"] == "domain"
