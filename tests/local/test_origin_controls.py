"""PutPackageOriginConfiguration, and the documented effect of package origin controls."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact
from tests.local.builders import (
    DOMAIN,
    REPO,
    coordinates,
    copy_versions,
    generic,
    list_versions,
    publish,
    put_origin,
    raises_client_error,
    seed,
    setup_repository,
)


def _restrictions(publish: str, upstream: str) -> dict[str, Any]:
    return {"restrictions": {"publish": publish, "upstream": upstream}}


def test_put_package_origin_configuration_sets_and_returns_the_restrictions(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    seed(service, [{"name": REPO, "packages": [generic(["1.0.0"])]}])

    response = put_origin(any_client, "BLOCK", "ALLOW")

    assert response["originConfiguration"] == _restrictions("BLOCK", "ALLOW")
    assert any_client.describe_package(**coordinates())["package"]["originConfiguration"] == _restrictions(
        "BLOCK", "ALLOW"
    )
    listed = any_client.list_packages(domain=DOMAIN, repository=REPO)["packages"]
    assert [p["originConfiguration"] for p in listed] == [_restrictions("BLOCK", "ALLOW")]
    assert list_versions(any_client) == ["1.0.0"]  # the versions are untouched


def test_put_on_a_missing_package_creates_it_with_no_versions(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    setup_repository(any_client)

    npm = coordinates(format="npm", namespace=None, package="left-pad")
    any_client.put_package_origin_configuration(**npm, restrictions={"publish": "BLOCK", "upstream": "BLOCK"})

    assert any_client.describe_package(**npm)["package"] == {
        "format": "npm",
        "name": "left-pad",
        "originConfiguration": _restrictions("BLOCK", "BLOCK"),
    }
    assert any_client.list_package_versions(**npm)["versions"] == []
    blocked = any_client.list_packages(domain=DOMAIN, repository=REPO, publish="BLOCK", upstream="BLOCK")
    assert [p["package"] for p in blocked["packages"]] == ["left-pad"]
    assert any_client.list_packages(domain=DOMAIN, repository=REPO, publish="ALLOW")["packages"] == []


def test_list_packages_filters_by_the_restrictions_put(service: LocalCodeArtifact, any_client: Any) -> None:
    seed(service, [{"name": REPO, "packages": [generic(["1.0.0"], name=n) for n in ("a", "b", "c")]}])
    put_origin(any_client, "BLOCK", "ALLOW", package="b")
    put_origin(any_client, "ALLOW", "ALLOW", package="c")

    def names(**filters: str) -> list[str]:
        packages = any_client.list_packages(domain=DOMAIN, repository=REPO, **filters)["packages"]
        return [p["package"] for p in packages]

    assert names(publish="ALLOW") == ["a", "c"]
    assert names(publish="BLOCK") == ["b"]
    assert names(upstream="ALLOW") == ["b", "c"]
    assert names(publish="ALLOW", upstream="BLOCK") == ["a"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"namespace": None}, "namespace is required"),
        ({"format": "pypi", "namespace": "acme", "package": "requests"}, "have no namespace"),
    ],
)
def test_put_refuses_a_package_coordinate_that_cannot_exist(
    service: LocalCodeArtifact, any_client: Any, params: dict[str, Any], message: str
) -> None:
    setup_repository(any_client)
    merged = {key: value for key, value in {**coordinates(), **params}.items() if value is not None}
    with raises_client_error("ValidationException") as error:
        any_client.put_package_origin_configuration(
            **merged, restrictions={"publish": "ALLOW", "upstream": "BLOCK"}
        )
    assert message in error["Error"]["Message"]
    assert any_client.list_packages(domain=DOMAIN, repository=REPO)["packages"] == []


def test_put_refuses_a_restriction_outside_the_enum(service: LocalCodeArtifact, any_client: Any) -> None:
    setup_repository(any_client)
    with raises_client_error("ValidationException") as error:
        put_origin(any_client, "MAYBE", "BLOCK")
    assert "enum" in error["Error"]["Message"]


@pytest.mark.parametrize(
    ("params", "resource_type", "resource_id"),
    [({"repository": "nowhere"}, "repository", "nowhere"), ({"domain": "nowhere"}, "domain", "nowhere")],
)
def test_put_in_a_missing_repository_is_not_found(
    service: LocalCodeArtifact, any_client: Any, params: dict[str, str], resource_type: str, resource_id: str
) -> None:
    setup_repository(any_client)
    with raises_client_error("ResourceNotFoundException") as error:
        put_origin(any_client, "ALLOW", "BLOCK", **params)
    assert (error["resourceType"], error["resourceId"]) == (resource_type, resource_id)


# --- the effect on PublishPackageVersion ---------------------------------------------------------


def test_publish_to_a_package_whose_publish_is_blocked_is_a_conflict(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    setup_repository(any_client)
    publish(any_client, "1.0.0")
    put_origin(any_client, "BLOCK", "ALLOW")

    with raises_client_error("ConflictException") as error:
        publish(any_client, "2.0.0")

    assert error["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert (error["resourceType"], error["resourceId"]) == ("package", "cli")
    assert "publish: BLOCK" in error["Error"]["Message"]
    assert list_versions(any_client) == ["1.0.0"]


def test_blocking_publish_before_the_first_version_keeps_the_package_empty_until_allowed(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    setup_repository(any_client)
    put_origin(any_client, "BLOCK", "BLOCK")

    with raises_client_error("ConflictException"):
        publish(any_client, "1.0.0")
    assert list_versions(any_client) == []

    put_origin(any_client, "ALLOW", "BLOCK")
    assert publish(any_client, "1.0.0")["status"] == "Published"


def test_publish_blocked_in_one_repository_is_allowed_in_another(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    setup_repository(any_client, REPO, "prod")
    put_origin(any_client, "BLOCK", "ALLOW")

    assert publish(any_client, "1.0.0", repository="prod")["status"] == "Published"


def _seed_upstream(service: LocalCodeArtifact, package: dict[str, Any]) -> None:
    # staging -> [mirror] -> [base]; base holds 3.0.0, mirror nothing.
    seed(
        service,
        [
            {"name": "base", "packages": [generic(["3.0.0"])]},
            {"name": "mirror", "upstreams": ["base"]},
            {"name": REPO, "upstreams": ["mirror"], "packages": [package]},
        ],
    )


def test_publishing_a_version_present_in_a_reachable_upstream_is_a_conflict(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    _seed_upstream(service, {**generic(["1.0.0"]), "publish": "ALLOW", "upstream": "ALLOW"})

    with raises_client_error("ConflictException") as error:
        publish(any_client, "3.0.0")

    assert (error["resourceType"], error["resourceId"]) == ("package-version", "3.0.0")
    assert "base" in error["Error"]["Message"]
    assert publish(any_client, "3.1.0")["status"] == "Published"  # a version upstream lacks is fine
    assert list_versions(any_client) == ["1.0.0", "3.1.0"]


def test_with_upstream_blocked_a_version_present_upstream_can_be_published(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    _seed_upstream(service, {**generic(["1.0.0"]), "publish": "ALLOW", "upstream": "BLOCK"})

    assert publish(any_client, "3.0.0")["status"] == "Published"


def test_a_new_package_is_not_restricted_so_upstream_versions_are_reachable(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    seed(service, [{"name": "base", "packages": [generic(["3.0.0"])]}, {"name": REPO, "upstreams": ["base"]}])

    with raises_client_error("ConflictException"):
        publish(any_client, "3.0.0")
    with raises_client_error("ResourceNotFoundException"):
        any_client.describe_package(**coordinates())  # a refused publish creates no package record


# --- the effect on CopyPackageVersions: a server option ------------------------------------------


def test_copy_into_a_package_whose_publish_is_blocked_follows_the_option(
    option_client: tuple[LocalCodeArtifact, Any], respects: bool
) -> None:
    service, client = option_client
    seed(
        service,
        [
            {"name": REPO, "packages": [generic(["1.0.0", "2.0.0"])]},
            {"name": "prod", "packages": [{**generic([]), "publish": "BLOCK", "upstream": "ALLOW"}]},
        ],
    )

    response = copy_versions(client, REPO, "prod", ["1.0.0", "2.0.0"])

    if respects:
        assert response["successfulVersions"] == {}
        assert {v: f["errorCode"] for v, f in response["failedVersions"].items()} == {
            "1.0.0": "NOT_ALLOWED",
            "2.0.0": "NOT_ALLOWED",
        }
        assert "publish: BLOCK" in response["failedVersions"]["1.0.0"]["errorMessage"]
        assert list_versions(client, repository="prod") == []
    else:
        assert set(response["successfulVersions"]) == {"1.0.0", "2.0.0"}
        assert response["failedVersions"] == {}
        assert list_versions(client, repository="prod") == ["1.0.0", "2.0.0"]


def test_copy_into_an_allowed_package_succeeds_under_either_option(
    option_client: tuple[LocalCodeArtifact, Any],
) -> None:
    service, client = option_client
    seed(service, [{"name": REPO, "packages": [generic(["1.0.0"])]}, {"name": "prod"}])

    response = copy_versions(client, REPO, "prod", ["1.0.0"])

    assert set(response["successfulVersions"]) == {"1.0.0"}


def test_copy_from_upstream_through_a_package_whose_upstream_is_blocked_follows_the_option(
    option_client: tuple[LocalCodeArtifact, Any], respects: bool
) -> None:
    service, client = option_client
    seed(
        service,
        [
            {"name": "base", "packages": [generic(["3.0.0"])]},
            {"name": REPO, "upstreams": ["base"], "packages": [{**generic(["1.0.0"]), "upstream": "BLOCK"}]},
            {"name": "prod"},
        ],
    )

    response = copy_versions(client, REPO, "prod", ["1.0.0", "3.0.0"], includeFromUpstream=True)

    if respects:
        assert response["failedVersions"]["3.0.0"]["errorCode"] == "NOT_FOUND"
        assert response["failedVersions"]["1.0.0"]["errorCode"] == "SKIPPED"
    else:
        assert set(response["successfulVersions"]) == {"1.0.0", "3.0.0"}
