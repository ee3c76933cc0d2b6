"""DescribePackage and DeletePackage: the package as a whole, with its origin configuration."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact
from tests.local.builders import (
    DOMAIN,
    REPO,
    coordinates,
    generic,
    publish,
    raises_client_error,
    seed,
    seed_packages,
    setup_repository,
)

WEB_SDK = {"format": "npm", "namespace": "acme", "name": "web-sdk", "publish": "BLOCK", "upstream": "ALLOW"}
NPM = coordinates(package="web-sdk", namespace="acme", format="npm")
PYPI = coordinates(package="requests", namespace=None, format="pypi")


@pytest.fixture
def seeded(service: LocalCodeArtifact) -> LocalCodeArtifact:
    seed_packages(
        service,
        [
            {**WEB_SDK, "versions": ["1.0.0", "1.1.0"]},
            {"format": "pypi", "name": "requests", "versions": [{"version": "2.32.0", "origin": "EXTERNAL"}]},
            generic(["1.0.0", {"version": "2.0.0", "assets": [{"name": "cli.bin", "content": "x"}]}]),
        ],
    )
    return service


def test_describe_package_returns_its_description_with_origin_configuration(
    seeded: LocalCodeArtifact, any_client: Any
) -> None:
    response = any_client.describe_package(**NPM)

    assert response["package"] == {
        "format": "npm",
        "namespace": "acme",
        "name": "web-sdk",
        "originConfiguration": {"restrictions": {"publish": "BLOCK", "upstream": "ALLOW"}},
    }


def test_describe_package_of_a_format_without_namespaces_has_no_namespace(
    seeded: LocalCodeArtifact, any_client: Any
) -> None:
    # Not given in the seed: AWS's default for a package whose first version was ingested.
    assert any_client.describe_package(**PYPI)["package"] == {
        "format": "pypi",
        "name": "requests",
        "originConfiguration": {"restrictions": {"publish": "BLOCK", "upstream": "ALLOW"}},
    }


def test_a_package_created_by_publishing_has_the_published_directly_defaults(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    setup_repository(any_client)
    publish(any_client, "1.0.0")

    described = any_client.describe_package(**coordinates())["package"]

    assert described["originConfiguration"] == {"restrictions": {"publish": "ALLOW", "upstream": "BLOCK"}}


@pytest.mark.parametrize(
    ("change", "resource_type", "resource_id"),
    [
        ({"package": "missing"}, "package", "missing"),
        ({"namespace": "other"}, "package", "cli"),
        ({"format": "npm", "namespace": None}, "package", "cli"),
        ({"repository": "missing-repo"}, "repository", "missing-repo"),
        ({"domain": "missing-domain"}, "domain", "missing-domain"),
    ],
)
def test_describe_package_of_a_missing_resource_is_not_found(
    seeded: LocalCodeArtifact, client: Any, change: dict[str, Any], resource_type: str, resource_id: str
) -> None:
    params = {key: value for key, value in {**coordinates(), **change}.items() if value is not None}
    with raises_client_error("ResourceNotFoundException") as error:
        client.describe_package(**params)
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert (error["resourceType"], error["resourceId"]) == (resource_type, resource_id)


def test_delete_package_returns_the_deleted_package(seeded: LocalCodeArtifact, any_client: Any) -> None:
    response = any_client.delete_package(**NPM)

    assert response["deletedPackage"] == {
        "format": "npm",
        "namespace": "acme",
        "package": "web-sdk",
        "originConfiguration": {"restrictions": {"publish": "BLOCK", "upstream": "ALLOW"}},
    }
    assert any_client.delete_package(**PYPI)["deletedPackage"] == {
        "format": "pypi",
        "package": "requests",
        "originConfiguration": {"restrictions": {"publish": "BLOCK", "upstream": "ALLOW"}},
    }


def test_delete_package_removes_the_package_its_versions_and_assets(
    seeded: LocalCodeArtifact, any_client: Any
) -> None:
    any_client.delete_package(**coordinates())

    with raises_client_error("ResourceNotFoundException") as described:
        any_client.describe_package(**coordinates())
    with raises_client_error("ResourceNotFoundException") as listed:
        any_client.list_package_versions(**coordinates())
    with raises_client_error("ResourceNotFoundException") as fetched:
        any_client.get_package_version_asset(**coordinates(), packageVersion="2.0.0", asset="cli.bin")
    assert described["resourceType"] == listed["resourceType"] == fetched["resourceType"] == "package"
    remaining = [p["package"] for p in any_client.list_packages(domain=DOMAIN, repository=REPO)["packages"]]
    assert remaining == ["web-sdk", "requests"]
    store = seeded.store.connection()
    assert store.execute("SELECT COUNT(*) FROM package_version").fetchone()[0] == 3  # 2 npm + 1 pypi
    assert store.execute("SELECT COUNT(*) FROM asset").fetchone()[0] == 3


def test_delete_package_leaves_the_package_in_other_repositories(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    seed(
        service,
        [
            {"name": REPO, "packages": [generic(["1.0.0"])]},
            {"name": "prod", "packages": [generic(["1.0.0"])]},
        ],
    )

    any_client.delete_package(**coordinates())

    versions = any_client.list_package_versions(**coordinates(repository="prod"))["versions"]
    assert [v["version"] for v in versions] == ["1.0.0"]


def test_a_deleted_package_starts_afresh_when_published_again(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    setup_repository(any_client)
    publish(any_client, "1.0.0")
    any_client.put_package_origin_configuration(
        **coordinates(), restrictions={"publish": "ALLOW", "upstream": "ALLOW"}
    )
    any_client.delete_package(**coordinates())

    publish(any_client, "1.0.0", b"other content")

    described = any_client.describe_package(**coordinates())["package"]
    assert described["originConfiguration"] == {"restrictions": {"publish": "ALLOW", "upstream": "BLOCK"}}
    assert [v["version"] for v in any_client.list_package_versions(**coordinates())["versions"]] == ["1.0.0"]


def test_deleting_every_version_keeps_the_package_record(seeded: LocalCodeArtifact, any_client: Any) -> None:
    # Documented: a package can exist without versions; only DeletePackage removes the record.
    any_client.delete_package_versions(**coordinates(), versions=["1.0.0", "2.0.0"])

    described = any_client.describe_package(**coordinates())["package"]
    assert described["name"] == "cli"
    assert any_client.list_package_versions(**coordinates())["versions"] == []


def test_delete_package_of_a_missing_package_is_not_found(seeded: LocalCodeArtifact, any_client: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.delete_package(**coordinates(package="missing"))
    assert (error["resourceType"], error["resourceId"]) == ("package", "missing")
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.delete_package(**coordinates(repository="nowhere"))
    assert (error["resourceType"], error["resourceId"]) == ("repository", "nowhere")
