"""DisposePackageVersions and DeletePackageVersions."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact
from tests.local.builders import (
    DOMAIN,
    coordinates,
    generic,
    publish,
    raises_client_error,
    seed_packages,
    setup_repository,
    statuses,
)


@pytest.fixture
def seeded(service: LocalCodeArtifact) -> LocalCodeArtifact:
    seed_packages(
        service,
        [
            generic(
                [
                    "1.0.0",
                    "2.0.0",
                    {"version": "3.0.0", "status": "Archived"},
                    {"version": "4.0.0", "status": "Disposed"},
                ]
            )
        ],
    )
    return service


def _revision(client: Any, version: str) -> str:
    described = client.describe_package_version(**coordinates(), packageVersion=version)
    return described["packageVersion"]["revision"]  # type: ignore[no-any-return]


def _asset_names(client: Any, version: str) -> list[str]:
    response = client.list_package_version_assets(**coordinates(), packageVersion=version)
    return [a["name"] for a in response["assets"]]


def test_dispose_keeps_the_record_and_deletes_the_assets(seeded: LocalCodeArtifact, any_client: Any) -> None:
    revision = _revision(any_client, "1.0.0")
    size_before = any_client.describe_domain(domain=DOMAIN)["domain"]["assetSizeBytes"]

    response = any_client.dispose_package_versions(**coordinates(), versions=["1.0.0"])

    assert response["successfulVersions"] == {"1.0.0": {"revision": revision, "status": "Disposed"}}
    assert response["failedVersions"] == {}
    described = any_client.describe_package_version(**coordinates(), packageVersion="1.0.0")["packageVersion"]
    assert described["status"] == "Disposed"
    assert described["revision"] == revision
    assert _asset_names(any_client, "1.0.0") == []
    assert statuses(any_client, status="Disposed") == {"1.0.0": "Disposed", "4.0.0": "Disposed"}
    assert any_client.describe_domain(domain=DOMAIN)["domain"]["assetSizeBytes"] < size_before


def test_dispose_accepts_published_and_archived_versions_together(
    seeded: LocalCodeArtifact, client: Any
) -> None:
    response = client.dispose_package_versions(**coordinates(), versions=["2.0.0", "3.0.0"])

    assert {v: s["status"] for v, s in response["successfulVersions"].items()} == {
        "2.0.0": "Disposed",
        "3.0.0": "Disposed",
    }
    assert _asset_names(client, "3.0.0") == []


def test_dispose_with_mismatched_expected_status_changes_nothing(
    seeded: LocalCodeArtifact, client: Any
) -> None:
    response = client.dispose_package_versions(
        **coordinates(), versions=["1.0.0", "3.0.0"], expectedStatus="Archived"
    )

    assert response["successfulVersions"] == {}
    assert response["failedVersions"] == {
        "1.0.0": {
            "errorCode": "MISMATCHED_STATUS",
            "errorMessage": "current status: Published, expected status: Archived",
        },
        "3.0.0": {"errorCode": "SKIPPED", "errorMessage": "version 3.0.0 is skipped"},
    }
    assert _asset_names(client, "3.0.0") != []
    assert statuses(client)["3.0.0"] == "Archived"


def test_dispose_with_a_stale_revision_changes_nothing(seeded: LocalCodeArtifact, client: Any) -> None:
    response = client.dispose_package_versions(
        **coordinates(),
        versions=["1.0.0", "2.0.0"],
        versionRevisions={"1.0.0": "stale", "2.0.0": _revision(client, "2.0.0")},
    )

    assert response["failedVersions"]["1.0.0"]["errorCode"] == "MISMATCHED_REVISION"
    assert response["failedVersions"]["2.0.0"]["errorCode"] == "SKIPPED"
    assert statuses(client)["2.0.0"] == "Published"


def test_dispose_of_a_missing_version_is_not_found(seeded: LocalCodeArtifact, client: Any) -> None:
    response = client.dispose_package_versions(**coordinates(), versions=["7.0.0"])
    assert response["failedVersions"] == {
        "7.0.0": {"errorCode": "NOT_FOUND", "errorMessage": "Could not find version 7.0.0"}
    }


def test_dispose_of_a_missing_package_is_resource_not_found(seeded: LocalCodeArtifact, client: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        client.dispose_package_versions(**coordinates(package="ghost"), versions=["1.0.0"])
    assert error["resourceType"] == "package"


def test_delete_removes_the_record(seeded: LocalCodeArtifact, any_client: Any) -> None:
    revision = _revision(any_client, "1.0.0")

    response = any_client.delete_package_versions(**coordinates(), versions=["1.0.0"])

    assert response["successfulVersions"] == {"1.0.0": {"revision": revision, "status": "Deleted"}}
    assert response["failedVersions"] == {}
    assert "1.0.0" not in statuses(any_client)
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.describe_package_version(**coordinates(), packageVersion="1.0.0")
    assert error["resourceType"] == "package-version"


def test_delete_is_the_one_action_left_for_a_disposed_version(seeded: LocalCodeArtifact, client: Any) -> None:
    response = client.delete_package_versions(**coordinates(), versions=["4.0.0"], expectedStatus="Disposed")
    assert response["successfulVersions"]["4.0.0"]["status"] == "Deleted"
    assert "4.0.0" not in statuses(client)


def test_a_deleted_version_can_be_published_again(client: Any) -> None:
    setup_repository(client)
    first = publish(client, "1.0.0", b"old")
    client.delete_package_versions(**coordinates(), versions=["1.0.0"])

    again = publish(client, "1.0.0", b"new")

    assert again["status"] == "Published"
    assert again["versionRevision"] != first["versionRevision"]
    asset = client.get_package_version_asset(**coordinates(), packageVersion="1.0.0", asset="cli.tar.gz")
    assert asset["asset"].read() == b"new"


def test_delete_with_a_missing_version_deletes_nothing(seeded: LocalCodeArtifact, client: Any) -> None:
    response = client.delete_package_versions(**coordinates(), versions=["1.0.0", "8.0.0"])

    assert response["successfulVersions"] == {}
    assert response["failedVersions"] == {
        "8.0.0": {"errorCode": "NOT_FOUND", "errorMessage": "Could not find version 8.0.0"},
        "1.0.0": {"errorCode": "SKIPPED", "errorMessage": "version 1.0.0 is skipped"},
    }
    assert "1.0.0" in statuses(client)


def test_delete_with_mismatched_expected_status_deletes_nothing(
    seeded: LocalCodeArtifact, client: Any
) -> None:
    response = client.delete_package_versions(
        **coordinates(), versions=["1.0.0", "3.0.0"], expectedStatus="Archived"
    )

    assert response["failedVersions"]["1.0.0"]["errorCode"] == "MISMATCHED_STATUS"
    assert response["failedVersions"]["3.0.0"]["errorCode"] == "SKIPPED"
    assert set(statuses(client)) == {"1.0.0", "2.0.0", "3.0.0", "4.0.0"}


def test_delete_of_a_missing_package_is_resource_not_found(seeded: LocalCodeArtifact, client: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        client.delete_package_versions(**coordinates(package="ghost"), versions=["1.0.0"])
    assert error["resourceType"] == "package"
