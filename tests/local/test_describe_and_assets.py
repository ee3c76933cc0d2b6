"""DescribePackageVersion, ListPackageVersionAssets and GetPackageVersionAsset."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact
from tests.local.builders import (
    HASH_KEYS,
    coordinates,
    generic,
    publish,
    raises_client_error,
    seed_packages,
    setup_repository,
)


def _asset(client: Any, version: str, asset: str = "cli.tar.gz", **extra: Any) -> dict[str, Any]:
    return client.get_package_version_asset(  # type: ignore[no-any-return]
        **coordinates(), packageVersion=version, asset=asset, **extra
    )


def _status(client: Any, version: str, status: str) -> None:
    response = client.update_package_versions_status(**coordinates(), versions=[version], targetStatus=status)
    assert response["failedVersions"] == {}


def test_describe_package_version_returns_the_full_description(any_client: Any) -> None:
    setup_repository(any_client)
    # The publish time is the service's clock at the publish: between these two readings (whole
    # milliseconds on the wire), however long the publish takes.
    before = dt.datetime.now(dt.UTC).timestamp()
    published = publish(any_client, "1.0.0")
    after = dt.datetime.now(dt.UTC).timestamp()

    version = any_client.describe_package_version(**coordinates(), packageVersion="1.0.0")["packageVersion"]

    assert version["format"] == "generic"
    assert version["namespace"] == "tools"
    assert version["packageName"] == "cli"
    assert version["displayName"] == "tools/cli"
    assert version["version"] == "1.0.0"
    assert version["revision"] == published["versionRevision"]
    assert version["status"] == "Published"
    assert isinstance(version["publishedTime"], dt.datetime)
    assert before - 0.001 <= version["publishedTime"].timestamp() <= after + 0.001
    assert version["licenses"] == []
    assert version["origin"] == {"domainEntryPoint": {"repositoryName": "staging"}, "originType": "INTERNAL"}


def test_describe_returns_seeded_metadata_and_publish_time(service: LocalCodeArtifact, client: Any) -> None:
    seed_packages(
        service,
        [
            {
                "format": "pypi",
                "name": "requests",
                "versions": [
                    {
                        "version": "2.32.0",
                        "published": "2026-01-31T12:00:00Z",
                        "summary": "HTTP for Humans.",
                        "home_page": "https://requests.readthedocs.io",
                        "licenses": [{"name": "Apache-2.0"}],
                        "origin": "EXTERNAL",
                    }
                ],
            }
        ],
    )

    version = client.describe_package_version(
        **coordinates(format="pypi", namespace=None, package="requests"), packageVersion="2.32.0"
    )["packageVersion"]

    assert version["publishedTime"] == dt.datetime(2026, 1, 31, 12, tzinfo=dt.UTC)
    assert version["summary"] == "HTTP for Humans."
    assert version["homePage"] == "https://requests.readthedocs.io"
    assert version["licenses"] == [{"name": "Apache-2.0"}]
    assert version["displayName"] == "requests"
    assert "namespace" not in version
    assert version["origin"] == {
        "domainEntryPoint": {"externalConnectionName": "public:pypi"},
        "originType": "EXTERNAL",
    }


@pytest.mark.parametrize(
    ("namespace", "name", "display"),
    [("vue", "ui", "@vue/ui"), (None, "lodash", "lodash")],
    ids=["scoped", "unscoped"],
)
def test_describe_shows_an_npm_package_as_npm_names_it(
    service: LocalCodeArtifact, any_client: Any, namespace: str | None, name: str, display: str
) -> None:
    # The model's own example: package ui in namespace vue is displayed as @vue/ui.
    package: dict[str, Any] = {"format": "npm", "name": name, "versions": ["3.0.0"]}
    if namespace:
        package["namespace"] = namespace
    seed_packages(service, [package])

    version = any_client.describe_package_version(
        **coordinates(format="npm", namespace=namespace, package=name), packageVersion="3.0.0"
    )["packageVersion"]

    assert version["displayName"] == display
    assert version["packageName"] == name


def test_describe_a_missing_version_is_resource_not_found(any_client: Any) -> None:
    setup_repository(any_client)
    publish(any_client, "1.0.0")
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.describe_package_version(**coordinates(), packageVersion="9.9.9")
    assert error["resourceType"] == "package-version"
    assert error["resourceId"] == "9.9.9"


def test_describe_a_version_of_a_missing_package_is_resource_not_found(client: Any) -> None:
    setup_repository(client)
    with raises_client_error("ResourceNotFoundException") as error:
        client.describe_package_version(**coordinates(package="ghost"), packageVersion="1.0.0")
    assert error["resourceType"] == "package"


def test_list_assets_reports_size_and_every_hash(any_client: Any) -> None:
    setup_repository(any_client)
    content = b"the asset's bytes"
    published = publish(any_client, "1.0.0", content)

    response = any_client.list_package_version_assets(**coordinates(), packageVersion="1.0.0")

    assert response["format"] == "generic"
    assert response["namespace"] == "tools"
    assert response["package"] == "cli"
    assert response["version"] == "1.0.0"
    assert response["versionRevision"] == published["versionRevision"]
    [asset] = response["assets"]
    assert asset["name"] == "cli.tar.gz"
    assert asset["size"] == len(content)
    assert set(asset["hashes"]) == HASH_KEYS
    assert asset["hashes"]["MD5"] == hashlib.md5(content).hexdigest()
    assert asset["hashes"]["SHA-1"] == hashlib.sha1(content).hexdigest()
    assert asset["hashes"]["SHA-256"] == hashlib.sha256(content).hexdigest()
    assert asset["hashes"]["SHA-512"] == hashlib.sha512(content).hexdigest()


def test_list_assets_pages_through_every_asset(service: LocalCodeArtifact, client: Any) -> None:
    names = [f"part-{index}.bin" for index in range(5)]
    seed_packages(service, [generic([{"version": "1.0.0", "assets": [{"name": name} for name in names]}])])

    pages = list(
        client.get_paginator("list_package_version_assets").paginate(
            **coordinates(), packageVersion="1.0.0", PaginationConfig={"PageSize": 2}
        )
    )

    assert [[a["name"] for a in page["assets"]] for page in pages] == [names[:2], names[2:4], names[4:]]


def test_list_assets_of_a_missing_version_is_resource_not_found(client: Any) -> None:
    setup_repository(client)
    publish(client, "1.0.0")
    with raises_client_error("ResourceNotFoundException") as error:
        client.list_package_version_assets(**coordinates(), packageVersion="2.0.0")
    assert error["resourceType"] == "package-version"


def test_get_asset_returns_the_content_and_identifying_headers(any_client: Any) -> None:
    setup_repository(any_client)
    published = publish(any_client, "1.0.0", b"\x00binary\xffcontent")

    response = _asset(any_client, "1.0.0")

    assert response["asset"].read() == b"\x00binary\xffcontent"
    assert response["assetName"] == "cli.tar.gz"
    assert response["packageVersion"] == "1.0.0"
    assert response["packageVersionRevision"] == published["versionRevision"]


def test_get_asset_at_the_current_revision_succeeds(client: Any) -> None:
    setup_repository(client)
    revision = publish(client, "1.0.0", b"abc")["versionRevision"]
    assert _asset(client, "1.0.0", packageVersionRevision=revision)["asset"].read() == b"abc"


def test_get_asset_at_another_revision_is_resource_not_found(client: Any) -> None:
    setup_repository(client)
    publish(client, "1.0.0")
    with raises_client_error("ResourceNotFoundException") as error:
        _asset(client, "1.0.0", packageVersionRevision="not-the-revision")
    assert error["resourceType"] == "package-version"


def test_get_missing_asset_is_resource_not_found(any_client: Any) -> None:
    setup_repository(any_client)
    publish(any_client, "1.0.0")
    with raises_client_error("ResourceNotFoundException") as error:
        _asset(any_client, "1.0.0", asset="other.zip")
    assert error["resourceType"] == "asset"
    assert error["resourceId"] == "other.zip"


def test_get_asset_of_an_unlisted_version_still_downloads(client: Any) -> None:
    setup_repository(client)
    publish(client, "1.0.0", b"still here")
    _status(client, "1.0.0", "Unlisted")
    assert _asset(client, "1.0.0")["asset"].read() == b"still here"


@pytest.mark.parametrize("status", ["Archived", "Disposed"])
def test_get_asset_of_an_archived_or_disposed_version_is_refused(client: Any, status: str) -> None:
    setup_repository(client)
    publish(client, "1.0.0")
    if status == "Archived":
        _status(client, "1.0.0", "Archived")
    else:
        client.dispose_package_versions(**coordinates(), versions=["1.0.0"])
    with raises_client_error("ConflictException") as error:
        _asset(client, "1.0.0")
    assert error["resourceType"] == "package-version"


def test_archived_version_keeps_its_assets_for_a_later_restore(client: Any) -> None:
    setup_repository(client)
    publish(client, "1.0.0", b"kept")
    _status(client, "1.0.0", "Archived")

    listed = client.list_package_version_assets(**coordinates(), packageVersion="1.0.0")["assets"]
    _status(client, "1.0.0", "Published")

    assert [a["name"] for a in listed] == ["cli.tar.gz"]
    assert _asset(client, "1.0.0")["asset"].read() == b"kept"


def test_unicode_asset_name_downloads_over_both_transports(any_client: Any) -> None:
    setup_repository(any_client)
    publish(any_client, "1.0.0", b"unicode", asset="résumé 文件.txt")

    response = _asset(any_client, "1.0.0", asset="résumé 文件.txt")

    assert response["asset"].read() == b"unicode"
    # Header values travel as UTF-8 bytes, which HTTP clients read as Latin-1.
    assert response["assetName"].encode("latin-1").decode() == "résumé 文件.txt"
