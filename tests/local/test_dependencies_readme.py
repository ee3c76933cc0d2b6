"""ListPackageVersionDependencies and GetPackageVersionReadme, from what the seed file declares."""

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
    setup_repository,
)

README = "# web-sdk\n\nThe browser SDK.\n"
DEPENDENCIES: list[dict[str, Any]] = [
    {"package": "react", "dependency_type": "peer", "version_requirement": "^18.0.0"},
    {"namespace": "acme", "package": "core", "dependency_type": "regular", "version_requirement": "1.2.3"},
    {"package": "left-pad"},
]
WEB_SDK = coordinates(package="web-sdk", namespace="acme", format="npm")


def _web_sdk(versions: list[Any]) -> dict[str, Any]:
    return {"format": "npm", "namespace": "acme", "name": "web-sdk", "versions": versions}


@pytest.fixture
def seeded(service: LocalCodeArtifact) -> LocalCodeArtifact:
    seed(
        service,
        [
            {
                "name": REPO,
                "packages": [
                    _web_sdk(
                        [
                            {"version": "1.0.0", "readme": README, "dependencies": DEPENDENCIES},
                            "1.1.0",
                        ]
                    )
                ],
            },
            {"name": "prod"},
        ],
    )
    return service


def test_list_package_version_dependencies_returns_what_the_metadata_declares(
    seeded: LocalCodeArtifact, any_client: Any
) -> None:
    revision = any_client.describe_package_version(**WEB_SDK, packageVersion="1.0.0")["packageVersion"][
        "revision"
    ]

    response = any_client.list_package_version_dependencies(**WEB_SDK, packageVersion="1.0.0")

    response.pop("ResponseMetadata")
    assert response == {
        "format": "npm",
        "namespace": "acme",
        "package": "web-sdk",
        "version": "1.0.0",
        "versionRevision": revision,
        "dependencies": [
            {"package": "react", "dependencyType": "peer", "versionRequirement": "^18.0.0"},
            {
                "namespace": "acme",
                "package": "core",
                "dependencyType": "regular",
                "versionRequirement": "1.2.3",
            },
            {"package": "left-pad"},
        ],
    }


def test_a_version_without_dependencies_lists_none(seeded: LocalCodeArtifact, any_client: Any) -> None:
    response = any_client.list_package_version_dependencies(**WEB_SDK, packageVersion="1.1.0")
    assert response["dependencies"] == []
    assert "nextToken" not in response


def test_get_package_version_readme_returns_the_text_and_coordinates(
    seeded: LocalCodeArtifact, any_client: Any
) -> None:
    revision = any_client.describe_package_version(**WEB_SDK, packageVersion="1.0.0")["packageVersion"][
        "revision"
    ]

    response = any_client.get_package_version_readme(**WEB_SDK, packageVersion="1.0.0")

    response.pop("ResponseMetadata")
    assert response == {
        "format": "npm",
        "namespace": "acme",
        "package": "web-sdk",
        "version": "1.0.0",
        "versionRevision": revision,
        "readme": README,
    }


def test_a_version_without_readme_has_no_readme_member(seeded: LocalCodeArtifact, any_client: Any) -> None:
    response = any_client.get_package_version_readme(**WEB_SDK, packageVersion="1.1.0")
    assert "readme" not in response
    assert response["version"] == "1.1.0"


def test_a_published_generic_version_has_neither(service: LocalCodeArtifact, any_client: Any) -> None:
    setup_repository(any_client)
    publish(any_client, "1.0.0")

    dependencies = any_client.list_package_version_dependencies(**coordinates(), packageVersion="1.0.0")
    readme = any_client.get_package_version_readme(**coordinates(), packageVersion="1.0.0")

    assert dependencies["dependencies"] == []
    assert dependencies["namespace"] == "tools"
    assert "readme" not in readme


@pytest.mark.parametrize("operation", ["list_package_version_dependencies", "get_package_version_readme"])
@pytest.mark.parametrize(
    ("change", "resource_type", "resource_id"),
    [
        ({"packageVersion": "9.9.9"}, "package-version", "9.9.9"),
        ({"package": "missing"}, "package", "missing"),
        ({"repository": "nowhere"}, "repository", "nowhere"),
        ({"domain": "nowhere"}, "domain", "nowhere"),
    ],
)
def test_a_missing_version_package_or_repository_is_not_found(
    seeded: LocalCodeArtifact,
    client: Any,
    operation: str,
    change: dict[str, str],
    resource_type: str,
    resource_id: str,
) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        getattr(client, operation)(**{**WEB_SDK, "packageVersion": "1.0.0", **change})
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert (error["resourceType"], error["resourceId"]) == (resource_type, resource_id)


@pytest.mark.parametrize("operation", ["list_package_version_dependencies", "get_package_version_readme"])
def test_a_missing_version_is_not_found_over_http(
    seeded: LocalCodeArtifact, http_client: Any, operation: str
) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        getattr(http_client, operation)(**WEB_SDK, packageVersion="9.9.9")
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert (error["resourceType"], error["resourceId"]) == ("package-version", "9.9.9")


def test_dependencies_are_paged(service: LocalCodeArtifact, any_client: Any) -> None:
    many = [{"package": f"dep-{i:03}", "version_requirement": f"{i}.0.0"} for i in range(150)]
    seed(
        service,
        [{"name": REPO, "packages": [_web_sdk([{"version": "1.0.0", "dependencies": many}, "1.1.0"])]}],
    )

    first = any_client.list_package_version_dependencies(**WEB_SDK, packageVersion="1.0.0")
    second = any_client.list_package_version_dependencies(
        **WEB_SDK, packageVersion="1.0.0", nextToken=first["nextToken"]
    )

    assert len(first["dependencies"]) == 100
    assert "nextToken" not in second
    names = [d["package"] for d in first["dependencies"] + second["dependencies"]]
    assert names == [f"dep-{i:03}" for i in range(150)]
    with raises_client_error("ValidationException"):  # a token is bound to its request's parameters
        any_client.list_package_version_dependencies(
            **WEB_SDK, packageVersion="1.1.0", nextToken=first["nextToken"]
        )


def test_a_copied_version_keeps_its_dependencies_and_readme(
    seeded: LocalCodeArtifact, any_client: Any
) -> None:
    any_client.copy_package_versions(
        domain=DOMAIN,
        sourceRepository=REPO,
        destinationRepository="prod",
        format="npm",
        namespace="acme",
        package="web-sdk",
        versions=["1.0.0"],
    )

    prod = {**WEB_SDK, "repository": "prod", "packageVersion": "1.0.0"}
    source = {**WEB_SDK, "packageVersion": "1.0.0"}
    assert any_client.get_package_version_readme(**prod)["readme"] == README
    assert (
        any_client.list_package_version_dependencies(**prod)["dependencies"]
        == any_client.list_package_version_dependencies(**source)["dependencies"]
    )


def test_deleting_a_version_deletes_its_dependencies_and_readme(
    seeded: LocalCodeArtifact, any_client: Any
) -> None:
    any_client.delete_package_versions(**WEB_SDK, versions=["1.0.0"])

    conn = seeded.store.connection()
    assert conn.execute("SELECT COUNT(*) FROM package_version_dependency").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM package_version_readme").fetchone()[0] == 0


def test_deleting_the_package_deletes_its_dependencies_and_readme(
    seeded: LocalCodeArtifact, any_client: Any
) -> None:
    any_client.delete_package(**WEB_SDK)

    conn = seeded.store.connection()
    assert conn.execute("SELECT COUNT(*) FROM package_version_dependency").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM package_version_readme").fetchone()[0] == 0


def test_a_generic_version_of_the_seed_has_namespace_in_the_response(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    seed(service, [{"name": REPO, "packages": [generic([{"version": "1.0.0", "readme": "tools"}])]}])
    response = any_client.get_package_version_readme(**coordinates(), packageVersion="1.0.0")
    assert (response["namespace"], response["readme"]) == ("tools", "tools")
