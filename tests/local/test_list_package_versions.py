"""ListPackageVersions: statuses, origins, sorting, default display version and pagination."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact
from tests.local.builders import (
    coordinates,
    generic,
    list_versions,
    publish,
    raises_client_error,
    seed_packages,
    setup_repository,
)

# Listed in version order; published at different times so that time order differs from it.
VERSIONS: list[dict[str, Any]] = [
    {"version": "1.0.0", "published": "-50d"},
    {"version": "1.1.0", "published": "-10d", "status": "Unlisted"},
    {"version": "1.2.0", "published": "-40d", "status": "Archived"},
    {"version": "1.3.0", "published": "-20d", "status": "Disposed"},
    {"version": "1.4.0", "published": "-30d", "origin": "EXTERNAL", "external_connection": "public:npmjs"},
    {"version": "1.5.0", "published": "-5d", "status": "Unfinished"},
]
NEWEST_FIRST = ["1.5.0", "1.1.0", "1.3.0", "1.4.0", "1.2.0", "1.0.0"]


@pytest.fixture
def seeded(service: LocalCodeArtifact) -> LocalCodeArtifact:
    seed_packages(service, [generic(VERSIONS)])
    return service


def test_list_package_versions_returns_every_status_by_default(
    seeded: LocalCodeArtifact, any_client: Any
) -> None:
    response = any_client.list_package_versions(**coordinates())

    assert {v["version"]: v["status"] for v in response["versions"]} == {
        "1.0.0": "Published",
        "1.1.0": "Unlisted",
        "1.2.0": "Archived",
        "1.3.0": "Disposed",
        "1.4.0": "Published",
        "1.5.0": "Unfinished",
    }
    assert response["format"] == "generic"
    assert response["namespace"] == "tools"
    assert response["package"] == "cli"
    assert "nextToken" not in response


def test_version_summaries_have_revision_status_and_origin(
    seeded: LocalCodeArtifact, any_client: Any
) -> None:
    versions = {v["version"]: v for v in any_client.list_package_versions(**coordinates())["versions"]}

    internal = versions["1.0.0"]
    assert set(internal) == {"version", "revision", "status", "origin"}
    assert len(internal["revision"]) == 44
    assert internal["origin"] == {"domainEntryPoint": {"repositoryName": "staging"}, "originType": "INTERNAL"}
    assert versions["1.4.0"]["origin"] == {
        "domainEntryPoint": {"externalConnectionName": "public:npmjs"},
        "originType": "EXTERNAL",
    }


def test_list_package_versions_filters_by_status(seeded: LocalCodeArtifact, client: Any) -> None:
    assert list_versions(client, status="Published") == ["1.0.0", "1.4.0"]
    assert list_versions(client, status="Disposed") == ["1.3.0"]
    assert list_versions(client, status="Deleted") == []


def test_list_package_versions_filters_by_origin_type(seeded: LocalCodeArtifact, client: Any) -> None:
    assert list_versions(client, originType="EXTERNAL") == ["1.4.0"]
    assert "1.4.0" not in list_versions(client, originType="INTERNAL")
    assert list_versions(client, originType="UNKNOWN") == []


def test_sort_by_published_time_lists_the_newest_first(seeded: LocalCodeArtifact, any_client: Any) -> None:
    assert list_versions(any_client, sortBy="PUBLISHED_TIME") == NEWEST_FIRST


def test_sort_by_published_time_pages_in_the_same_order(seeded: LocalCodeArtifact, any_client: Any) -> None:
    pages = list(
        any_client.get_paginator("list_package_versions").paginate(
            **coordinates(), sortBy="PUBLISHED_TIME", PaginationConfig={"PageSize": 4}
        )
    )

    assert [[v["version"] for v in page["versions"]] for page in pages] == [
        NEWEST_FIRST[:4],
        NEWEST_FIRST[4:],
    ]


def test_max_results_pages_through_every_version_once(seeded: LocalCodeArtifact, client: Any) -> None:
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        extra = {"nextToken": token} if token else {}
        page = client.list_package_versions(**coordinates(), maxResults=3 if pages else 2, **extra)
        seen += [v["version"] for v in page["versions"]]
        pages += 1
        token = page.get("nextToken")
        if token is None:
            break

    assert pages == 3
    assert sorted(seen) == sorted(v["version"] for v in VERSIONS)
    assert len(seen) == len(set(seen))


def test_token_reused_with_another_status_filter_is_a_validation_error(
    seeded: LocalCodeArtifact, any_client: Any
) -> None:
    token = any_client.list_package_versions(**coordinates(), maxResults=1)["nextToken"]
    with raises_client_error("ValidationException") as error:
        any_client.list_package_versions(**coordinates(), status="Published", nextToken=token)
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_token_reused_with_another_sort_order_is_a_validation_error(
    seeded: LocalCodeArtifact, client: Any
) -> None:
    token = client.list_package_versions(**coordinates(), maxResults=1)["nextToken"]
    with raises_client_error("ValidationException"):
        client.list_package_versions(**coordinates(), sortBy="PUBLISHED_TIME", nextToken=token)


def test_token_for_another_package_is_a_validation_error(service: LocalCodeArtifact, client: Any) -> None:
    seed_packages(service, [generic(["1", "2"]), generic(["1", "2"], name="other")])
    token = client.list_package_versions(**coordinates(), maxResults=1)["nextToken"]
    with raises_client_error("ValidationException"):
        client.list_package_versions(**coordinates(package="other"), nextToken=token)


def test_default_page_holds_fifty_versions(service: LocalCodeArtifact, client: Any) -> None:
    seed_packages(service, [generic([f"1.0.{index}" for index in range(55)])])

    first = client.list_package_versions(**coordinates())
    rest = client.list_package_versions(**coordinates(), nextToken=first["nextToken"])

    assert len(first["versions"]) == 50
    assert len(rest["versions"]) == 5
    assert "nextToken" not in rest


def test_default_display_version_is_the_most_recently_published_version_of_any_finished_status(
    seeded: LocalCodeArtifact, any_client: Any
) -> None:
    # The model: "the most recently published package version" (no status named). 1.5.0 is newer
    # but Unfinished (not yet published); 1.1.0 is Unlisted, and not the highest version.
    assert any_client.list_package_versions(**coordinates())["defaultDisplayVersion"] == "1.1.0"


def test_default_display_version_describes_the_package_whatever_the_filters(
    seeded: LocalCodeArtifact, client: Any
) -> None:
    response = client.list_package_versions(**coordinates(), status="Published", maxResults=1)

    assert [v["version"] for v in response["versions"]] == ["1.0.0"]
    assert response["defaultDisplayVersion"] == "1.1.0"


def test_npm_scoped_package_is_listed_by_namespace_and_name(service: LocalCodeArtifact, client: Any) -> None:
    seed_packages(service, [{"format": "npm", "namespace": "types", "name": "node", "versions": ["20.0.0"]}])

    response = client.list_package_versions(**coordinates(format="npm", namespace="types", package="node"))

    assert [v["version"] for v in response["versions"]] == ["20.0.0"]
    assert response["namespace"] == "types"
    with raises_client_error("ResourceNotFoundException"):
        client.list_package_versions(**coordinates(format="npm", namespace=None, package="node"))


def test_published_versions_are_listed_with_their_publish_revision(client: Any) -> None:
    setup_repository(client)
    published = publish(client, "2.0.0")

    response = client.list_package_versions(**coordinates())

    assert response["versions"] == [
        {
            "version": "2.0.0",
            "revision": published["versionRevision"],
            "status": "Published",
            "origin": {"domainEntryPoint": {"repositoryName": "staging"}, "originType": "INTERNAL"},
        }
    ]
    assert response["defaultDisplayVersion"] == "2.0.0"


def test_list_versions_of_a_missing_package_is_resource_not_found(client: Any) -> None:
    setup_repository(client)
    with raises_client_error("ResourceNotFoundException") as error:
        client.list_package_versions(**coordinates(package="ghost"))
    assert error["resourceType"] == "package"
    assert error["resourceId"] == "ghost"


def test_list_versions_in_a_missing_repository_is_resource_not_found(client: Any) -> None:
    setup_repository(client)
    with raises_client_error("ResourceNotFoundException") as error:
        client.list_package_versions(**coordinates(repository="ghost"))
    assert error["resourceType"] == "repository"
