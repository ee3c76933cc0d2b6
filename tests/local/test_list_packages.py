"""ListPackages: filters, prefixes, origin configuration and pagination."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact
from tests.local.builders import DOMAIN, REPO, publish, raises_client_error, seed_packages, setup_repository

PACKAGES: list[dict[str, Any]] = [
    {"format": "npm", "namespace": "acme", "name": "web-sdk", "versions": ["1.0.0"]},
    {"format": "npm", "name": "left-pad", "publish": "BLOCK", "upstream": "ALLOW", "versions": ["1.3.0"]},
    {"format": "npm", "namespace": "acme-labs", "name": "web-kit", "versions": ["0.1.0"]},
    {"format": "pypi", "name": "requests", "publish": "BLOCK", "upstream": "ALLOW", "versions": ["2.32.0"]},
    {"format": "pypi", "name": "reconciler", "versions": ["0.1.0"]},
    {"format": "maven", "namespace": "com.acme", "name": "core", "versions": ["1.0"]},
    {"format": "generic", "namespace": "tools", "name": "cli", "versions": ["1.0.0"]},
]


@pytest.fixture
def seeded(service: LocalCodeArtifact) -> LocalCodeArtifact:
    seed_packages(service, PACKAGES)
    return service


def _names(response: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    return [(p["format"], p.get("namespace"), p["package"]) for p in response["packages"]]


def test_list_packages_returns_every_package_with_its_origin_configuration(
    seeded: LocalCodeArtifact, any_client: Any
) -> None:
    packages = any_client.list_packages(domain=DOMAIN, repository=REPO)["packages"]

    assert len(packages) == len(PACKAGES)
    by_name = {p["package"]: p for p in packages}
    assert by_name["requests"]["originConfiguration"] == {
        "restrictions": {"publish": "BLOCK", "upstream": "ALLOW"}
    }
    assert by_name["reconciler"]["originConfiguration"] == {
        "restrictions": {"publish": "ALLOW", "upstream": "BLOCK"}
    }
    assert by_name["web-sdk"]["namespace"] == "acme"
    assert "namespace" not in by_name["requests"]


def test_list_packages_filters_by_format(seeded: LocalCodeArtifact, client: Any) -> None:
    response = client.list_packages(domain=DOMAIN, repository=REPO, format="pypi")
    assert _names(response) == [("pypi", None, "reconciler"), ("pypi", None, "requests")]


def test_list_packages_namespace_is_a_prefix_match(seeded: LocalCodeArtifact, client: Any) -> None:
    response = client.list_packages(domain=DOMAIN, repository=REPO, format="npm", namespace="acme")
    assert _names(response) == [("npm", "acme", "web-sdk"), ("npm", "acme-labs", "web-kit")]


def test_list_packages_filters_by_package_prefix(seeded: LocalCodeArtifact, client: Any) -> None:
    response = client.list_packages(domain=DOMAIN, repository=REPO, packagePrefix="re")
    assert _names(response) == [("pypi", None, "reconciler"), ("pypi", None, "requests")]


def test_list_packages_filters_by_origin_restrictions(seeded: LocalCodeArtifact, client: Any) -> None:
    blocked = client.list_packages(domain=DOMAIN, repository=REPO, publish="BLOCK")
    from_upstream = client.list_packages(domain=DOMAIN, repository=REPO, upstream="ALLOW", format="npm")

    assert _names(blocked) == [("npm", None, "left-pad"), ("pypi", None, "requests")]
    assert _names(from_upstream) == [("npm", None, "left-pad")]


def test_list_packages_pages_through_every_package_once(seeded: LocalCodeArtifact, any_client: Any) -> None:
    everything = _names(any_client.list_packages(domain=DOMAIN, repository=REPO))
    pages = list(
        any_client.get_paginator("list_packages").paginate(
            domain=DOMAIN, repository=REPO, PaginationConfig={"PageSize": 3}
        )
    )

    assert [len(page["packages"]) for page in pages] == [3, 3, 1]
    assert [name for page in pages for name in _names(page)] == everything
    assert "nextToken" not in pages[-1]


def test_list_packages_token_reused_with_another_filter_is_a_validation_error(
    seeded: LocalCodeArtifact, client: Any
) -> None:
    token = client.list_packages(domain=DOMAIN, repository=REPO, format="npm", maxResults=1)["nextToken"]
    with raises_client_error("ValidationException"):
        client.list_packages(domain=DOMAIN, repository=REPO, format="pypi", maxResults=1, nextToken=token)


def test_list_packages_sees_a_package_created_by_publishing(client: Any) -> None:
    setup_repository(client)
    publish(client, "1.0.0")

    packages = client.list_packages(domain=DOMAIN, repository=REPO)["packages"]

    assert packages == [
        {
            "format": "generic",
            "namespace": "tools",
            "package": "cli",
            "originConfiguration": {"restrictions": {"publish": "ALLOW", "upstream": "BLOCK"}},
        }
    ]


def test_list_packages_of_an_empty_repository_is_empty(client: Any) -> None:
    setup_repository(client)
    response = client.list_packages(domain=DOMAIN, repository=REPO)
    assert response["packages"] == []
    assert "nextToken" not in response


def test_list_packages_of_a_missing_repository_is_resource_not_found(client: Any) -> None:
    client.create_domain(domain=DOMAIN)
    with raises_client_error("ResourceNotFoundException") as error:
        client.list_packages(domain=DOMAIN, repository="ghost")
    assert error["resourceType"] == "repository"
