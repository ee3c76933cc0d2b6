"""AssociateExternalConnection and DisassociateExternalConnection."""

from __future__ import annotations

from typing import Any

from reconciler.local.connections import PUBLIC_CONNECTIONS
from tests.local.builders import DOMAIN, raises_client_error, setup_repository
from tests.local.shapes import assert_matches_model

NPM = {"externalConnectionName": "public:npmjs", "packageFormat": "npm", "status": "Available"}


def connect(client: Any, name: str = "public:npmjs", repository: str = "npm-store") -> dict[str, Any]:
    return client.associate_external_connection(  # type: ignore[no-any-return]
        domain=DOMAIN, repository=repository, externalConnection=name
    )


def test_associate_external_connection_answers_the_connected_repository(any_client: Any) -> None:
    setup_repository(any_client, "npm-store")

    associated = connect(any_client)

    assert_matches_model("AssociateExternalConnection", associated)
    assert associated["repository"]["name"] == "npm-store"
    assert associated["repository"]["externalConnections"] == [NPM]
    described = any_client.describe_repository(domain=DOMAIN, repository="npm-store")["repository"]
    assert described["externalConnections"] == [NPM]


def test_every_documented_public_connection_has_its_package_format(client: Any) -> None:
    setup_repository(client, *[f"store-{index}" for index in range(len(PUBLIC_CONNECTIONS))])

    formats = {
        name: connect(client, name, f"store-{index}")["repository"]["externalConnections"][0]["packageFormat"]
        for index, name in enumerate(PUBLIC_CONNECTIONS)
    }

    assert formats == {
        "public:npmjs": "npm",
        "public:nuget-org": "nuget",
        "public:pypi": "pypi",
        "public:maven-central": "maven",
        "public:maven-googleandroid": "maven",
        "public:maven-gradleplugins": "maven",
        "public:maven-commonsware": "maven",
        "public:maven-clojars": "maven",
        "public:ruby-gems-org": "ruby",
        "public:crates-io": "cargo",
    }


def test_a_second_external_connection_exceeds_the_one_per_repository(any_client: Any) -> None:
    setup_repository(any_client, "npm-store")
    connect(any_client)

    with raises_client_error("ServiceQuotaExceededException") as error:
        connect(any_client, "public:pypi")

    assert error["resourceType"] == "repository"
    assert error["resourceId"] == "npm-store"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 402
    described = any_client.describe_repository(domain=DOMAIN, repository="npm-store")["repository"]
    assert described["externalConnections"] == [NPM]


def test_associating_the_same_connection_again_is_a_conflict(client: Any) -> None:
    setup_repository(client, "npm-store")
    connect(client)

    with raises_client_error("ConflictException") as error:
        connect(client)

    assert error["resourceType"] == "repository"
    assert error["resourceId"] == "npm-store"


def test_an_unsupported_connection_name_is_a_validation_error(any_client: Any) -> None:
    setup_repository(any_client, "npm-store")

    for name in ("public:unknown", "npmjs", "-bad"):
        with raises_client_error("ValidationException") as error:
            connect(any_client, name)
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400, name

    described = any_client.describe_repository(domain=DOMAIN, repository="npm-store")["repository"]
    assert described["externalConnections"] == []


def test_a_repository_with_upstreams_can_also_have_an_external_connection(client: Any) -> None:
    setup_repository(client, "base")
    client.create_repository(domain=DOMAIN, repository="npm-store", upstreams=[{"repositoryName": "base"}])

    repository = connect(client)["repository"]

    assert repository["upstreams"] == [{"repositoryName": "base"}]
    assert repository["externalConnections"] == [NPM]


def test_associate_with_a_missing_repository_is_resource_not_found(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    with raises_client_error("ResourceNotFoundException") as error:
        connect(any_client, repository="ghost")
    assert error["resourceType"] == "repository"
    assert error["resourceId"] == "ghost"


def test_disassociate_external_connection_removes_it(any_client: Any) -> None:
    setup_repository(any_client, "npm-store")
    connect(any_client)

    removed = any_client.disassociate_external_connection(
        domain=DOMAIN, repository="npm-store", externalConnection="public:npmjs"
    )

    assert_matches_model("DisassociateExternalConnection", removed)
    assert removed["repository"]["externalConnections"] == []
    described = any_client.describe_repository(domain=DOMAIN, repository="npm-store")["repository"]
    assert described["externalConnections"] == []
    assert (
        connect(any_client, "public:pypi")["repository"]["externalConnections"][0]["packageFormat"] == "pypi"
    )


def test_disassociating_a_connection_the_repository_lacks_is_resource_not_found(any_client: Any) -> None:
    setup_repository(any_client, "npm-store")
    connect(any_client)

    with raises_client_error("ResourceNotFoundException") as error:
        any_client.disassociate_external_connection(
            domain=DOMAIN, repository="npm-store", externalConnection="public:pypi"
        )

    assert error["resourceType"] == "repository"
    assert error["resourceId"] == "npm-store"
    described = any_client.describe_repository(domain=DOMAIN, repository="npm-store")["repository"]
    assert described["externalConnections"] == [NPM]


def test_disassociate_in_a_missing_domain_is_resource_not_found_on_the_domain(client: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        client.disassociate_external_connection(
            domain="nowhere", repository="npm-store", externalConnection="public:npmjs"
        )
    assert error["resourceType"] == "domain"
