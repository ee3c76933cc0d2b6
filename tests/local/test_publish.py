"""PublishPackageVersion: generic packages, one asset per call."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.local import LocalCodeArtifact, attach
from reconciler.local.context import Options
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT
from tests.local.builders import (
    DOMAIN,
    HASH_KEYS,
    REPO,
    coordinates,
    generic,
    publish,
    raises_client_error,
    seed_packages,
    setup_repository,
    statuses,
)


def _assets(client: Any, version: str) -> list[str]:
    response = client.list_package_version_assets(**coordinates(), packageVersion=version)
    return [a["name"] for a in response["assets"]]


def test_publish_returns_the_new_version_and_its_asset(any_client: Any) -> None:
    setup_repository(any_client)
    content = b"tarball bytes"

    response = publish(any_client, "1.0.0", content)

    assert response["format"] == "generic"
    assert response["namespace"] == "tools"
    assert response["package"] == "cli"
    assert response["version"] == "1.0.0"
    assert response["status"] == "Published"
    assert len(response["versionRevision"]) == 44
    assert response["asset"]["name"] == "cli.tar.gz"
    assert response["asset"]["size"] == len(content)
    assert set(response["asset"]["hashes"]) == HASH_KEYS
    assert response["asset"]["hashes"]["SHA-512"] == hashlib.sha512(content).hexdigest()


@pytest.mark.parametrize("format", ["npm", "pypi", "maven"])
def test_publish_of_a_non_generic_format_is_a_validation_error(client: Any, format: str) -> None:
    setup_repository(client)
    with raises_client_error("ValidationException"):
        client.publish_package_version(
            domain=DOMAIN,
            repository=REPO,
            format=format,
            namespace="tools",
            package="cli",
            packageVersion="1.0.0",
            assetContent=b"x",
            assetName="x.tgz",
            assetSHA256=hashlib.sha256(b"x").hexdigest(),
        )
    assert client.list_packages(domain=DOMAIN, repository=REPO)["packages"] == []


def test_publish_with_a_wrong_sha256_is_a_validation_error_and_stores_nothing(any_client: Any) -> None:
    setup_repository(any_client)
    with raises_client_error("ValidationException") as error:
        publish(any_client, "1.0.0", b"content", sha256=hashlib.sha256(b"other").hexdigest())
    assert error["reason"] == "FIELD_VALIDATION_FAILED"
    assert any_client.list_packages(domain=DOMAIN, repository=REPO)["packages"] == []


def test_publish_of_a_generic_package_without_namespace_is_a_validation_error(client: Any) -> None:
    setup_repository(client)
    with raises_client_error("ValidationException"):
        client.publish_package_version(
            domain=DOMAIN,
            repository=REPO,
            format="generic",
            package="cli",
            packageVersion="1.0.0",
            assetContent=b"x",
            assetName="x.bin",
            assetSHA256=hashlib.sha256(b"x").hexdigest(),
        )


@pytest.mark.parametrize("name", ["..", ".", " leading", "two  spaces", "tab\tname", "slash/name"])
def test_publish_with_an_invalid_generic_asset_name_is_a_validation_error(client: Any, name: str) -> None:
    setup_repository(client)
    with raises_client_error("ValidationException"):
        publish(client, "1.0.0", asset=name)


def test_publish_into_a_missing_repository_is_resource_not_found(client: Any) -> None:
    client.create_domain(domain=DOMAIN)
    with raises_client_error("ResourceNotFoundException") as error:
        publish(client, "1.0.0")
    assert error["resourceType"] == "repository"


def test_unfinished_version_takes_more_assets_until_published(any_client: Any) -> None:
    setup_repository(any_client)

    first = publish(any_client, "1.0.0", b"one", asset="one.bin", unfinished=True)
    second = publish(any_client, "1.0.0", b"two", asset="two.bin", unfinished=True)
    last = publish(any_client, "1.0.0", b"three", asset="three.bin")

    assert [first["status"], second["status"], last["status"]] == ["Unfinished", "Unfinished", "Published"]
    assert sorted(_assets(any_client, "1.0.0")) == ["one.bin", "three.bin", "two.bin"]
    assert statuses(any_client) == {"1.0.0": "Published"}


def test_every_added_asset_makes_a_new_revision(client: Any) -> None:
    setup_repository(client)

    revisions = [
        publish(client, "1.0.0", bytes([index]), asset=f"part-{index}.bin", unfinished=True)[
            "versionRevision"
        ]
        for index in range(3)
    ]
    described = client.describe_package_version(**coordinates(), packageVersion="1.0.0")["packageVersion"]

    assert len(set(revisions)) == 3
    assert described["revision"] == revisions[-1]


def test_published_version_refuses_new_assets(any_client: Any) -> None:
    setup_repository(any_client)
    revision = publish(any_client, "1.0.0", b"one", asset="one.bin")["versionRevision"]

    with raises_client_error("ConflictException") as error:
        publish(any_client, "1.0.0", b"two", asset="two.bin")

    assert error["resourceType"] == "package-version"
    assert _assets(any_client, "1.0.0") == ["one.bin"]
    assert (
        any_client.describe_package_version(**coordinates(), packageVersion="1.0.0")["packageVersion"][
            "revision"
        ]
        == revision
    )


def test_publishing_the_same_asset_again_is_idempotent(any_client: Any) -> None:
    setup_repository(any_client)
    first = publish(any_client, "1.0.0", b"same")

    again = publish(any_client, "1.0.0", b"same")

    assert again["versionRevision"] == first["versionRevision"]
    assert again["status"] == "Published"
    assert again["asset"] == first["asset"]
    assert _assets(any_client, "1.0.0") == ["cli.tar.gz"]


def test_same_asset_name_with_other_content_is_a_conflict_on_the_asset(client: Any) -> None:
    setup_repository(client)
    publish(client, "1.0.0", b"first", unfinished=True)
    with raises_client_error("ConflictException") as error:
        publish(client, "1.0.0", b"second", unfinished=True)
    assert error["resourceType"] == "asset"
    assert error["resourceId"] == "cli.tar.gz"


def test_unfinished_version_is_published_by_a_status_update(client: Any) -> None:
    setup_repository(client)
    revision = publish(client, "1.0.0", unfinished=True)["versionRevision"]

    response = client.update_package_versions_status(
        **coordinates(), versions=["1.0.0"], expectedStatus="Unfinished", targetStatus="Published"
    )

    assert response["successfulVersions"] == {"1.0.0": {"revision": revision, "status": "Published"}}
    with raises_client_error("ConflictException"):
        publish(client, "1.0.0", b"late", asset="late.bin")


@pytest.mark.parametrize("status", ["Unlisted", "Archived"])
def test_a_version_that_is_no_longer_unfinished_refuses_new_assets(client: Any, status: str) -> None:
    setup_repository(client)
    publish(client, "1.0.0")
    client.update_package_versions_status(**coordinates(), versions=["1.0.0"], targetStatus=status)
    with raises_client_error("ConflictException"):
        publish(client, "1.0.0", b"more", asset="more.bin")


def test_disposed_version_cannot_be_published_again(client: Any) -> None:
    setup_repository(client)
    publish(client, "1.0.0", b"gone")
    client.dispose_package_versions(**coordinates(), versions=["1.0.0"])
    with raises_client_error("ConflictException"):
        publish(client, "1.0.0", b"gone")
    assert statuses(client) == {"1.0.0": "Disposed"}


def test_publishing_to_a_package_whose_origin_blocks_publish_is_a_conflict(
    service: LocalCodeArtifact, client: Any
) -> None:
    seed_packages(service, [{**generic(["1.0.0"]), "publish": "BLOCK", "upstream": "ALLOW"}])
    with raises_client_error("ConflictException") as error:
        publish(client, "2.0.0")
    assert error["resourceType"] == "package"
    assert [v["version"] for v in client.list_package_versions(**coordinates())["versions"]] == ["1.0.0"]


def test_a_version_can_hold_only_the_asset_quota(tmp_path: Path, boto_session: boto3.session.Session) -> None:
    with LocalCodeArtifact(tmp_path / "quota.db", options=Options(assets_per_version=2)) as service:
        client = attach(boto_session.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service)
        setup_repository(client)
        publish(client, "1.0.0", b"1", asset="a.bin", unfinished=True)
        publish(client, "1.0.0", b"2", asset="b.bin", unfinished=True)
        with raises_client_error("ServiceQuotaExceededException") as error:
            publish(client, "1.0.0", b"3", asset="c.bin", unfinished=True)
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 402
        assert error["resourceType"] == "package-version"
