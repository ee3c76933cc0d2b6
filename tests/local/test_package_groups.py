"""The ten package group operations through a real boto3 client, in process and over HTTP."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact, local_client
from reconciler.local.store import MIGRATIONS
from tests.local.builders import DOMAIN, publish, raises_client_error, seed, setup_repository

ACCOUNT = "111122223333"
ARN_PREFIX = f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:package-group/{DOMAIN}"
ROOT_REFERENCE = {"arn": f"{ARN_PREFIX}/%2a", "pattern": "/*"}
TYPES = ("EXTERNAL_UPSTREAM", "INTERNAL_UPSTREAM", "PUBLISH")


def _restrictions(group: dict[str, Any]) -> dict[str, tuple[str, str]]:
    restrictions = group["originConfiguration"]["restrictions"]
    return {kind: (entry["mode"], entry["effectiveMode"]) for kind, entry in restrictions.items()}


def _patterns(groups: list[dict[str, Any]]) -> list[str]:
    return [group["pattern"] for group in groups]


# --- the root group -------------------------------------------------------------------------------


def test_every_new_domain_has_the_root_group_allowing_every_origin(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)

    root = any_client.describe_package_group(domain=DOMAIN, packageGroup="/*")["packageGroup"]

    assert root["pattern"] == "/*"
    assert root["arn"] == ROOT_REFERENCE["arn"]
    assert root["domainName"] == DOMAIN
    assert root["domainOwner"] == ACCOUNT
    assert isinstance(root["createdTime"], dt.datetime)
    assert "parent" not in root
    assert root["originConfiguration"]["restrictions"] == {
        kind: {"mode": "ALLOW", "effectiveMode": "ALLOW", "repositoriesCount": 0} for kind in TYPES
    }


def test_the_root_group_cannot_be_deleted(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    with raises_client_error("ValidationException") as error:
        any_client.delete_package_group(domain=DOMAIN, packageGroup="/*")
    assert "root" in error["Error"]["Message"]
    assert _patterns(any_client.list_package_groups(domain=DOMAIN)["packageGroups"]) == ["/*"]


def test_the_root_group_can_be_configured_but_never_inherits(client: Any) -> None:
    client.create_domain(domain=DOMAIN)
    updated = client.update_package_group_origin_configuration(
        domain=DOMAIN, packageGroup="/*", restrictions={"EXTERNAL_UPSTREAM": "BLOCK"}
    )["packageGroup"]
    assert _restrictions(updated)["EXTERNAL_UPSTREAM"] == ("BLOCK", "BLOCK")
    with raises_client_error("ValidationException"):
        client.update_package_group_origin_configuration(
            domain=DOMAIN, packageGroup="/*", restrictions={"PUBLISH": "INHERIT"}
        )


def test_a_database_made_before_package_groups_gains_root_groups(tmp_path: Any) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute(
        "INSERT INTO domain (name, owner, created_time, encryption_key) VALUES ('old', ?, 1.0, 'k')",
        (ACCOUNT,),
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()

    with LocalCodeArtifact(path) as service:
        root = local_client(service).describe_package_group(domain="old", packageGroup="/*")["packageGroup"]

    assert root["createdTime"] == dt.datetime.fromtimestamp(1.0, dt.UTC)
    assert _restrictions(root)["PUBLISH"] == ("ALLOW", "ALLOW")


# --- CreatePackageGroup, DescribePackageGroup ------------------------------------------------------


def test_create_package_group_describes_the_new_group(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)

    created = any_client.create_package_group(
        domain=DOMAIN,
        packageGroup="/npm/space/anycompany~",
        contactInfo="platform@example.com",
        description="Our own npm packages",
        tags=[{"key": "team", "value": "platform"}],
    )["packageGroup"]
    described = any_client.describe_package_group(domain=DOMAIN, packageGroup="/npm/space/anycompany~")

    assert created["arn"] == f"{ARN_PREFIX}/npm/space/anycompany~"
    assert created["pattern"] == "/npm/space/anycompany~"
    assert created["domainName"] == DOMAIN
    assert created["domainOwner"] == ACCOUNT
    assert created["contactInfo"] == "platform@example.com"
    assert created["description"] == "Our own npm packages"
    assert isinstance(created["createdTime"], dt.datetime)
    assert created["parent"] == ROOT_REFERENCE
    # A new group inherits every restriction from its parent.
    assert created["originConfiguration"]["restrictions"]["PUBLISH"] == {
        "mode": "INHERIT",
        "effectiveMode": "ALLOW",
        "inheritedFrom": ROOT_REFERENCE,
        "repositoriesCount": 0,
    }
    assert described["packageGroup"] == created


def test_create_package_group_twice_is_a_conflict_on_the_group(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    any_client.create_package_group(domain=DOMAIN, packageGroup="/npm/*")
    with raises_client_error("ConflictException") as error:
        any_client.create_package_group(domain=DOMAIN, packageGroup="/npm/*")
    assert error["resourceType"] == "package-group"
    assert error["resourceId"] == "/npm/*"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 409
    with raises_client_error("ConflictException"):
        any_client.create_package_group(domain=DOMAIN, packageGroup="/*")


def test_patterns_differing_only_by_case_are_separate_groups(client: Any) -> None:
    client.create_domain(domain=DOMAIN)
    for pattern in ("/npm//AsyncStorage$", "/npm//asyncStorage$", "/npm//asyncstorage$"):
        client.create_package_group(domain=DOMAIN, packageGroup=pattern)
    groups = client.list_package_groups(domain=DOMAIN, prefix="/npm//")["packageGroups"]
    assert _patterns(groups) == ["/npm//AsyncStorage$", "/npm//asyncStorage$", "/npm//asyncstorage$"]


@pytest.mark.parametrize(
    "pattern", ["npm/*", "/npm", "/rpm/*", "/npm/a-~", "/pypi/x/requests$", "/maven//x$"]
)
def test_create_package_group_with_an_invalid_pattern_is_a_validation_error(
    client: Any, pattern: str
) -> None:
    client.create_domain(domain=DOMAIN)
    with raises_client_error("ValidationException") as error:
        client.create_package_group(domain=DOMAIN, packageGroup=pattern)
    assert error["Error"]["Message"].startswith(f"Invalid package group pattern '{pattern}'")
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_invalid_pattern_over_http_is_a_400_validation_error(http_client: Any) -> None:
    http_client.create_domain(domain=DOMAIN)
    with raises_client_error("ValidationException") as error:
        http_client.create_package_group(domain=DOMAIN, packageGroup="/npm/a-~")
    assert error["Error"]["Message"] == (
        "Invalid package group pattern '/npm/a-~': '~' must follow a letter or digit; after '-' use '*'"
    )
    assert error["reason"] == "FIELD_VALIDATION_FAILED"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_create_package_group_in_a_missing_domain_is_resource_not_found(any_client: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.create_package_group(domain="nowhere", packageGroup="/npm/*")
    assert error["resourceType"] == "domain"


def test_describe_missing_package_group_is_resource_not_found(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.describe_package_group(domain=DOMAIN, packageGroup="/npm/*")
    assert error["resourceType"] == "package-group"
    assert error["resourceId"] == "/npm/*"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    with raises_client_error("ValidationException"):
        any_client.describe_package_group(domain=DOMAIN, packageGroup="/npm")


def test_a_pattern_with_escaped_characters_round_trips_and_is_encoded_in_its_arn(client: Any) -> None:
    client.create_domain(domain=DOMAIN)
    created = client.create_package_group(domain=DOMAIN, packageGroup="/nuget//alpha$")["packageGroup"]
    assert created["arn"] == f"{ARN_PREFIX}/nuget//alpha%24"
    assert (
        client.describe_package_group(domain=DOMAIN, packageGroup="/nuget//alpha$")["packageGroup"] == created
    )


# --- UpdatePackageGroup, DeletePackageGroup ----------------------------------------------------------


def test_update_package_group_changes_only_the_given_fields(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    any_client.create_package_group(
        domain=DOMAIN, packageGroup="/npm/*", contactInfo="a@example.com", description="old"
    )

    updated = any_client.update_package_group(domain=DOMAIN, packageGroup="/npm/*", description="new")[
        "packageGroup"
    ]

    assert updated["description"] == "new"
    assert updated["contactInfo"] == "a@example.com"
    assert any_client.describe_package_group(domain=DOMAIN, packageGroup="/npm/*")["packageGroup"] == updated


def test_update_missing_package_group_is_resource_not_found(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.update_package_group(domain=DOMAIN, packageGroup="/npm/*", description="x")
    assert error["resourceType"] == "package-group"


def test_delete_package_group_returns_it_and_hands_its_children_to_its_parent(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    any_client.create_package_group(domain=DOMAIN, packageGroup="/npm/*")
    any_client.update_package_group_origin_configuration(
        domain=DOMAIN, packageGroup="/npm/*", restrictions={"PUBLISH": "BLOCK"}
    )
    any_client.create_package_group(domain=DOMAIN, packageGroup="/npm/space/*")
    child = any_client.describe_package_group(domain=DOMAIN, packageGroup="/npm/space/*")["packageGroup"]
    assert child["parent"]["pattern"] == "/npm/*"
    assert _restrictions(child)["PUBLISH"] == ("INHERIT", "BLOCK")

    deleted = any_client.delete_package_group(domain=DOMAIN, packageGroup="/npm/*")["packageGroup"]

    assert deleted["pattern"] == "/npm/*"
    assert _restrictions(deleted)["PUBLISH"] == ("BLOCK", "BLOCK")
    child = any_client.describe_package_group(domain=DOMAIN, packageGroup="/npm/space/*")["packageGroup"]
    assert child["parent"] == ROOT_REFERENCE
    assert _restrictions(child)["PUBLISH"] == ("INHERIT", "ALLOW")  # the inherited setting changed
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.delete_package_group(domain=DOMAIN, packageGroup="/npm/*")
    assert error["resourceType"] == "package-group"


# --- ListPackageGroups, ListSubPackageGroups ----------------------------------------------------------


def test_list_package_groups_filters_by_prefix_and_pages_in_pattern_order(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    for pattern in ("/pypi/*", "/npm/space/*", "/npm/*", "/maven/com.anycompany~"):
        any_client.create_package_group(domain=DOMAIN, packageGroup=pattern)

    everything = any_client.list_package_groups(domain=DOMAIN)["packageGroups"]
    npm = any_client.list_package_groups(domain=DOMAIN, prefix="/npm")["packageGroups"]
    first = any_client.list_package_groups(domain=DOMAIN, maxResults=2)
    second = any_client.list_package_groups(domain=DOMAIN, maxResults=2, nextToken=first["nextToken"])
    third = any_client.list_package_groups(domain=DOMAIN, maxResults=2, nextToken=second["nextToken"])

    assert _patterns(everything) == ["/*", "/maven/com.anycompany~", "/npm/*", "/npm/space/*", "/pypi/*"]
    assert _patterns(npm) == ["/npm/*", "/npm/space/*"]
    assert npm[1]["parent"]["pattern"] == "/npm/*"
    assert set(npm[0]) >= {
        "arn",
        "pattern",
        "domainName",
        "domainOwner",
        "createdTime",
        "originConfiguration",
    }
    assert _patterns(first["packageGroups"] + second["packageGroups"] + third["packageGroups"]) == _patterns(
        everything
    )
    assert "nextToken" not in third


def test_list_package_groups_of_a_missing_domain_is_resource_not_found(any_client: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.list_package_groups(domain="nowhere")
    assert error["resourceType"] == "domain"


def test_list_sub_package_groups_lists_direct_children_only(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    for pattern in ("/npm/*", "/npm/space/*", "/npm/space/ui~", "/npm//react$", "/pypi/*"):
        any_client.create_package_group(domain=DOMAIN, packageGroup=pattern)

    def children(pattern: str) -> list[str]:
        return _patterns(
            any_client.list_sub_package_groups(domain=DOMAIN, packageGroup=pattern)["packageGroups"]
        )

    assert children("/*") == ["/npm/*", "/pypi/*"]
    assert children("/npm/*") == ["/npm//react$", "/npm/space/*"]
    assert children("/npm/space/*") == ["/npm/space/ui~"]
    assert children("/npm/space/ui~") == []
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.list_sub_package_groups(domain=DOMAIN, packageGroup="/maven/*")
    assert error["resourceType"] == "package-group"


# --- UpdatePackageGroupOriginConfiguration, ListAllowedRepositoriesForGroup ---------------------------


def test_update_origin_configuration_sets_modes_and_allowed_repositories(any_client: Any) -> None:
    setup_repository(any_client, "repo-a", "repo-b", "repo-c")
    any_client.create_package_group(domain=DOMAIN, packageGroup="/npm/space/anycompany~")

    response = any_client.update_package_group_origin_configuration(
        domain=DOMAIN,
        packageGroup="/npm/space/anycompany~",
        restrictions={
            "PUBLISH": "BLOCK",
            "EXTERNAL_UPSTREAM": "ALLOW_SPECIFIC_REPOSITORIES",
            "INTERNAL_UPSTREAM": "ALLOW_SPECIFIC_REPOSITORIES",
        },
        addAllowedRepositories=[
            {"originRestrictionType": "INTERNAL_UPSTREAM", "repositoryName": "repo-a"},
            {"originRestrictionType": "INTERNAL_UPSTREAM", "repositoryName": "repo-c"},
            {"originRestrictionType": "EXTERNAL_UPSTREAM", "repositoryName": "repo-b"},
        ],
    )
    removal = any_client.update_package_group_origin_configuration(
        domain=DOMAIN,
        packageGroup="/npm/space/anycompany~",
        removeAllowedRepositories=[
            {"originRestrictionType": "INTERNAL_UPSTREAM", "repositoryName": "repo-c"}
        ],
    )

    assert response["allowedRepositoryUpdates"] == {
        "INTERNAL_UPSTREAM": {"ADDED": ["repo-a", "repo-c"]},
        "EXTERNAL_UPSTREAM": {"ADDED": ["repo-b"]},
    }
    restrictions = response["packageGroup"]["originConfiguration"]["restrictions"]
    assert restrictions["PUBLISH"] == {"mode": "BLOCK", "effectiveMode": "BLOCK", "repositoriesCount": 0}
    assert restrictions["INTERNAL_UPSTREAM"]["repositoriesCount"] == 2
    assert removal["allowedRepositoryUpdates"] == {"INTERNAL_UPSTREAM": {"REMOVED": ["repo-c"]}}
    assert removal["packageGroup"]["originConfiguration"]["restrictions"]["INTERNAL_UPSTREAM"] == {
        "mode": "ALLOW_SPECIFIC_REPOSITORIES",
        "effectiveMode": "ALLOW_SPECIFIC_REPOSITORIES",
        "repositoriesCount": 1,
    }
    listed = any_client.list_allowed_repositories_for_group(
        domain=DOMAIN, packageGroup="/npm/space/anycompany~", originRestrictionType="INTERNAL_UPSTREAM"
    )
    assert listed["allowedRepositories"] == ["repo-a"]
    external = any_client.list_allowed_repositories_for_group(
        domain=DOMAIN, packageGroup="/npm/space/anycompany~", originRestrictionType="EXTERNAL_UPSTREAM"
    )
    assert external["allowedRepositories"] == ["repo-b"]


def test_inherit_resolves_to_the_first_ancestor_that_does_not_inherit(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    for pattern in ("/npm/*", "/npm/space/*", "/npm/space/ui~"):
        any_client.create_package_group(domain=DOMAIN, packageGroup=pattern)
    any_client.update_package_group_origin_configuration(
        domain=DOMAIN, packageGroup="/npm/*", restrictions={"EXTERNAL_UPSTREAM": "BLOCK"}
    )

    leaf = any_client.describe_package_group(domain=DOMAIN, packageGroup="/npm/space/ui~")["packageGroup"]

    external = leaf["originConfiguration"]["restrictions"]["EXTERNAL_UPSTREAM"]
    assert external["mode"] == "INHERIT"
    assert external["effectiveMode"] == "BLOCK"
    assert external["inheritedFrom"] == {"arn": f"{ARN_PREFIX}/npm/%2a", "pattern": "/npm/*"}
    assert leaf["originConfiguration"]["restrictions"]["PUBLISH"]["inheritedFrom"] == ROOT_REFERENCE


def test_allowing_a_missing_repository_is_resource_not_found(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    any_client.create_package_group(domain=DOMAIN, packageGroup="/npm/*")
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.update_package_group_origin_configuration(
            domain=DOMAIN,
            packageGroup="/npm/*",
            addAllowedRepositories=[{"originRestrictionType": "PUBLISH", "repositoryName": "nowhere"}],
        )
    assert error["resourceType"] == "repository"
    assert error["resourceId"] == "nowhere"


def test_update_origin_configuration_of_a_missing_group_is_resource_not_found(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.update_package_group_origin_configuration(
            domain=DOMAIN, packageGroup="/npm/*", restrictions={"PUBLISH": "BLOCK"}
        )
    assert error["resourceType"] == "package-group"


def test_list_allowed_repositories_pages_and_needs_an_existing_group(any_client: Any) -> None:
    setup_repository(any_client, "repo-a", "repo-b", "repo-c")
    any_client.create_package_group(domain=DOMAIN, packageGroup="/npm/*")
    any_client.update_package_group_origin_configuration(
        domain=DOMAIN,
        packageGroup="/npm/*",
        addAllowedRepositories=[
            {"originRestrictionType": "PUBLISH", "repositoryName": name}
            for name in ("repo-c", "repo-a", "repo-b")
        ],
    )
    params = {"domain": DOMAIN, "packageGroup": "/npm/*", "originRestrictionType": "PUBLISH"}

    first = any_client.list_allowed_repositories_for_group(**params, maxResults=2)
    second = any_client.list_allowed_repositories_for_group(
        **params, maxResults=2, nextToken=first["nextToken"]
    )

    assert first["allowedRepositories"] == ["repo-a", "repo-b"]
    assert second["allowedRepositories"] == ["repo-c"]
    assert "nextToken" not in second
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.list_allowed_repositories_for_group(**{**params, "packageGroup": "/pypi/*"})
    assert error["resourceType"] == "package-group"


# --- GetAssociatedPackageGroup, ListAssociatedPackages -------------------------------------------------


def test_get_associated_package_group_needs_no_package_and_reports_the_strength(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    any_client.create_package_group(domain=DOMAIN, packageGroup="/npm/*")
    any_client.create_package_group(domain=DOMAIN, packageGroup="/npm//AsyncStorage$")

    react = any_client.get_associated_package_group(domain=DOMAIN, format="npm", package="react")
    exact = any_client.get_associated_package_group(domain=DOMAIN, format="npm", package="AsyncStorage")
    variant = any_client.get_associated_package_group(domain=DOMAIN, format="npm", package="asyncstorage")
    cargo = any_client.get_associated_package_group(domain=DOMAIN, format="cargo", package="serde")

    assert (react["packageGroup"]["pattern"], react["associationType"]) == ("/npm/*", "STRONG")
    assert (exact["packageGroup"]["pattern"], exact["associationType"]) == ("/npm//AsyncStorage$", "STRONG")
    assert (variant["packageGroup"]["pattern"], variant["associationType"]) == ("/npm//AsyncStorage$", "WEAK")
    assert (cargo["packageGroup"]["pattern"], cargo["associationType"]) == ("/*", "STRONG")
    assert react["packageGroup"]["parent"] == ROOT_REFERENCE


def test_get_associated_package_group_matches_normalized_names(client: Any) -> None:
    client.create_domain(domain=DOMAIN)
    client.create_package_group(domain=DOMAIN, packageGroup="/pypi//zope-interface$")
    found = client.get_associated_package_group(domain=DOMAIN, format="pypi", package="Zope_Interface")
    assert (found["packageGroup"]["pattern"], found["associationType"]) == (
        "/pypi//zope-interface$",
        "STRONG",
    )


@pytest.mark.parametrize(
    ("format", "namespace"),
    [("maven", None), ("generic", None), ("pypi", "acme")],
    ids=["maven", "generic", "pypi"],
)
def test_get_associated_package_group_checks_the_namespace_per_format(
    client: Any, format: str, namespace: str | None
) -> None:
    client.create_domain(domain=DOMAIN)
    params = {"domain": DOMAIN, "format": format, "package": "lib"}
    if namespace is not None:
        params["namespace"] = namespace
    with raises_client_error("ValidationException") as error:
        client.get_associated_package_group(**params)
    assert format in error["Error"]["Message"]


def test_get_associated_package_group_in_a_missing_domain_is_resource_not_found(any_client: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.get_associated_package_group(domain="nowhere", format="npm", package="react")
    assert error["resourceType"] == "domain"


def _seed_packages(service: LocalCodeArtifact) -> None:
    def npm(namespace: str | None, name: str) -> dict[str, Any]:
        return {"format": "npm", "namespace": namespace, "name": name, "versions": ["1.0.0"]}

    seed(
        service,
        [
            {
                "name": "staging",
                "packages": [npm("space", "ui-core"), npm(None, "react"), npm(None, "asyncstorage")],
            },
            {
                "name": "prod",
                "packages": [npm("space", "ui-core"), npm("space", "ui-kit"), npm("other", "x")],
            },
        ],
    )


def test_list_associated_packages_lists_each_package_of_the_domain_once(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    _seed_packages(service)
    any_client.create_package_group(domain=DOMAIN, packageGroup="/npm/space/*")
    any_client.create_package_group(domain=DOMAIN, packageGroup="/npm//AsyncStorage$")

    space = any_client.list_associated_packages(domain=DOMAIN, packageGroup="/npm/space/*")["packages"]
    exact = any_client.list_associated_packages(domain=DOMAIN, packageGroup="/npm//AsyncStorage$")["packages"]
    root = any_client.list_associated_packages(domain=DOMAIN, packageGroup="/*")["packages"]

    assert space == [
        {"format": "npm", "namespace": "space", "package": "ui-core", "associationType": "STRONG"},
        {"format": "npm", "namespace": "space", "package": "ui-kit", "associationType": "STRONG"},
    ]
    assert exact == [{"format": "npm", "package": "asyncstorage", "associationType": "WEAK"}]
    assert [(p.get("namespace"), p["package"]) for p in root] == [(None, "react"), ("other", "x")]


def test_list_associated_packages_pages(service: LocalCodeArtifact, any_client: Any) -> None:
    _seed_packages(service)
    first = any_client.list_associated_packages(domain=DOMAIN, packageGroup="/*", maxResults=3)
    second = any_client.list_associated_packages(
        domain=DOMAIN, packageGroup="/*", maxResults=3, nextToken=first["nextToken"]
    )
    names = [p["package"] for p in first["packages"] + second["packages"]]
    assert names == ["asyncstorage", "react", "x", "ui-core", "ui-kit"]
    assert "nextToken" not in second


def test_list_associated_packages_previews_a_group_that_does_not_exist(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    _seed_packages(service)

    preview = any_client.list_associated_packages(domain=DOMAIN, packageGroup="/npm/space/ui~", preview=True)

    assert [p["package"] for p in preview["packages"]] == ["ui-core", "ui-kit"]
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.list_associated_packages(domain=DOMAIN, packageGroup="/npm/space/ui~")
    assert error["resourceType"] == "package-group"
    assert _patterns(any_client.list_package_groups(domain=DOMAIN)["packageGroups"]) == ["/*"]


# --- PublishPackageVersion under a group's PUBLISH restriction -----------------------------------------


def test_publish_is_refused_when_the_group_blocks_publishing(any_client: Any) -> None:
    setup_repository(any_client, "staging")
    any_client.create_package_group(domain=DOMAIN, packageGroup="/generic/tools/*")
    any_client.update_package_group_origin_configuration(
        domain=DOMAIN, packageGroup="/generic/tools/*", restrictions={"PUBLISH": "BLOCK"}
    )

    with raises_client_error("ConflictException") as error:
        publish(any_client, "1.0.0")

    assert error["resourceType"] == "package"
    assert "/generic/tools/*" in error["Error"]["Message"]
    with raises_client_error("ResourceNotFoundException"):  # nothing was written, not even the package
        any_client.list_package_versions(
            domain=DOMAIN, repository="staging", format="generic", namespace="tools", package="cli"
        )
    assert publish(any_client, "1.0.0", namespace="other")["status"] == "Published"


def test_publish_with_allow_specific_repositories_goes_only_to_listed_repositories(any_client: Any) -> None:
    setup_repository(any_client, "staging", "prod")
    any_client.create_package_group(domain=DOMAIN, packageGroup="/generic/*")
    any_client.create_package_group(
        domain=DOMAIN, packageGroup="/generic/tools/*"
    )  # inherits from /generic/*
    any_client.update_package_group_origin_configuration(
        domain=DOMAIN,
        packageGroup="/generic/*",
        restrictions={"PUBLISH": "ALLOW_SPECIFIC_REPOSITORIES"},
        addAllowedRepositories=[{"originRestrictionType": "PUBLISH", "repositoryName": "prod"}],
    )

    with raises_client_error("ConflictException"):
        publish(any_client, "1.0.0", repository="staging")
    published = publish(any_client, "1.0.0", repository="prod")

    assert published["status"] == "Published"


def test_publish_of_a_weakly_matching_variation_is_refused(any_client: Any) -> None:
    setup_repository(any_client, "staging")
    any_client.create_package_group(domain=DOMAIN, packageGroup="/generic/tools/deploy-cli$")

    assert publish(any_client, "1.0.0", package="deploy-cli")["status"] == "Published"
    with raises_client_error("ConflictException") as error:
        publish(any_client, "1.0.0", package="Deploy_CLI")
    assert "weak match" in error["Error"]["Message"]
