"""How a package's own origin controls and its package group's combine: per origin, BLOCK from
either wins (User Guide, "How package origin controls interact with package group origin
controls"). One function decides (`origin.effective_restrictions`); these tests hold each of its
callers to the rule: PublishPackageVersion, its upstream rule, and CopyPackageVersions under the
copy-respects-origin-controls option."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact
from reconciler.local.group_model import GroupOrigin
from reconciler.local.origin import ALLOW, BLOCK, combine
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

GROUP = "/generic/tools/*"


def _group(client: Any, pattern: str, allowed: dict[str, list[str]] | None = None, **modes: str) -> None:
    """Create the group `pattern` (if missing) and set the given restriction modes on it."""
    if pattern not in [g["pattern"] for g in client.list_package_groups(domain=DOMAIN)["packageGroups"]]:
        client.create_package_group(domain=DOMAIN, packageGroup=pattern)
    client.update_package_group_origin_configuration(
        domain=DOMAIN,
        packageGroup=pattern,
        restrictions=modes,
        addAllowedRepositories=[
            {"originRestrictionType": kind, "repositoryName": name}
            for kind, names in (allowed or {}).items()
            for name in names
        ],
    )


# --- the rule itself, as a table --------------------------------------------------------------------


def _origin(
    publish: str = "ALLOW", internal: str = "ALLOW", external: str = "ALLOW", **allowed: str
) -> GroupOrigin:
    modes = {"PUBLISH": publish, "INTERNAL_UPSTREAM": internal, "EXTERNAL_UPSTREAM": external}
    return GroupOrigin(
        GROUP, False, {kind: (mode, frozenset(allowed.values())) for kind, mode in modes.items()}
    )


@pytest.mark.parametrize(
    ("own", "group", "expected"),
    [
        (None, _origin(), (ALLOW, ALLOW, ALLOW)),
        ({"publish": "ALLOW", "upstream": "ALLOW"}, _origin(publish="BLOCK"), (BLOCK, ALLOW, ALLOW)),
        ({"publish": "BLOCK", "upstream": "ALLOW"}, _origin(), (BLOCK, ALLOW, ALLOW)),
        ({"publish": "ALLOW", "upstream": "BLOCK"}, _origin(), (ALLOW, BLOCK, BLOCK)),
        ({"publish": "ALLOW", "upstream": "ALLOW"}, _origin(external="BLOCK"), (ALLOW, ALLOW, BLOCK)),
        ({"publish": "ALLOW", "upstream": "ALLOW"}, _origin(internal="BLOCK"), (ALLOW, BLOCK, ALLOW)),
        (None, _origin(publish="ALLOW_SPECIFIC_REPOSITORIES", a="staging"), (ALLOW, ALLOW, ALLOW)),
        (None, _origin(publish="ALLOW_SPECIFIC_REPOSITORIES", a="prod"), (BLOCK, ALLOW, ALLOW)),
        (
            {"publish": "BLOCK", "upstream": "ALLOW"},
            _origin(publish="ALLOW_SPECIFIC_REPOSITORIES", a="staging"),
            (BLOCK, ALLOW, ALLOW),
        ),
        (None, GroupOrigin(GROUP, True, _origin().restrictions), (BLOCK, BLOCK, BLOCK)),
    ],
    ids=[
        "no-own-group-allow",
        "own-allow-group-block",
        "own-block-group-allow",
        "own-upstream-block-covers-both-upstreams",
        "group-external-block",
        "group-internal-block",
        "allow-specific-listed",
        "allow-specific-not-listed",
        "own-block-beats-allow-specific",
        "weak-match-blocks-all",
    ],
)
def test_block_from_either_side_wins(
    own: dict[str, str] | None, group: GroupOrigin, expected: tuple[str, str, str]
) -> None:
    restrictions = combine(own, group, "staging")

    assert (restrictions.publish, restrictions.internal_upstream, restrictions.external_upstream) == expected


def test_a_refusal_names_every_side_that_blocks() -> None:
    both = combine({"publish": "BLOCK", "upstream": "ALLOW"}, _origin(publish="BLOCK"), "staging")

    assert "package origin controls (publish: BLOCK)" in both.refusal("publish")
    assert f"package group {GROUP}" in both.refusal("publish")
    assert both.refusal("internal_upstream") == ""


# --- PublishPackageVersion ----------------------------------------------------------------------------


def test_package_allow_and_group_block_refuses_the_publish(any_client: Any) -> None:
    setup_repository(any_client)
    put_origin(any_client, "ALLOW", "ALLOW")
    _group(any_client, GROUP, PUBLISH="BLOCK")

    with raises_client_error("ConflictException") as error:
        publish(any_client, "1.0.0")

    assert (error["resourceType"], error["resourceId"]) == ("package", "cli")
    assert GROUP in error["Error"]["Message"]
    assert list_versions(any_client) == []
    # DescribePackage reports the package's own configuration, as the API documents it.
    described = any_client.describe_package(**coordinates())["package"]["originConfiguration"]
    assert described == {"restrictions": {"publish": "ALLOW", "upstream": "ALLOW"}}


def test_package_block_and_group_allow_refuses_the_publish(any_client: Any) -> None:
    setup_repository(any_client)
    put_origin(any_client, "BLOCK", "ALLOW")
    _group(any_client, GROUP, PUBLISH="ALLOW")

    with raises_client_error("ConflictException") as error:
        publish(any_client, "1.0.0")

    assert (error["resourceType"], error["resourceId"]) == ("package", "cli")
    assert "publish: BLOCK" in error["Error"]["Message"]
    assert GROUP not in error["Error"]["Message"]


def test_allow_specific_repositories_admits_only_listed_repositories_the_package_allows(
    any_client: Any,
) -> None:
    setup_repository(any_client, REPO, "prod", "qa")
    _group(any_client, GROUP, {"PUBLISH": ["prod", "qa"]}, PUBLISH="ALLOW_SPECIFIC_REPOSITORIES")
    put_origin(any_client, "BLOCK", "ALLOW", repository="qa")

    assert publish(any_client, "1.0.0", repository="prod")["status"] == "Published"
    with raises_client_error("ConflictException") as not_listed:
        publish(any_client, "1.0.0", repository=REPO)
    with raises_client_error("ConflictException") as own_block:
        publish(any_client, "1.0.0", repository="qa")

    assert "ALLOW_SPECIFIC_REPOSITORIES" in not_listed["Error"]["Message"]
    assert "publish: BLOCK" in own_block["Error"]["Message"]
    assert list_versions(any_client, repository="prod") == ["1.0.0"]


def test_an_inherit_chain_takes_the_first_ancestor_that_does_not_inherit(any_client: Any) -> None:
    setup_repository(any_client)
    _group(any_client, "/generic/*", PUBLISH="BLOCK")
    _group(any_client, GROUP)  # INHERIT from /generic/*
    _group(any_client, "/generic/tools/cli$")  # INHERIT from /generic/tools/*, then /generic/*

    with raises_client_error("ConflictException") as error:
        publish(any_client, "1.0.0")
    assert "/generic/tools/cli$" in error["Error"]["Message"]

    _group(any_client, GROUP, PUBLISH="ALLOW")  # the chain now stops at the middle group
    assert publish(any_client, "1.0.0")["status"] == "Published"


# --- the upstream rule of PublishPackageVersion -------------------------------------------------------


def _seed_upstream(service: LocalCodeArtifact) -> None:
    # staging -> [base]; base holds 3.0.0; the package allows every origin on its own.
    seed(
        service,
        [
            {"name": "base", "packages": [generic(["3.0.0"])]},
            {"name": REPO, "upstreams": ["base"], "packages": [{**generic(["1.0.0"]), "upstream": "ALLOW"}]},
        ],
    )


def test_a_group_blocking_internal_upstreams_lets_a_version_present_upstream_be_published(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    _seed_upstream(service)
    _group(any_client, GROUP, INTERNAL_UPSTREAM="BLOCK")

    assert publish(any_client, "3.0.0")["status"] == "Published"


@pytest.mark.parametrize(
    "modes",
    [{"EXTERNAL_UPSTREAM": "BLOCK"}, {"INTERNAL_UPSTREAM": "ALLOW_SPECIFIC_REPOSITORIES"}],
    ids=["external-block-only", "internal-allowed-for-this-repository"],
)
def test_where_the_group_leaves_internal_upstreams_open_the_upstream_version_wins(
    service: LocalCodeArtifact, any_client: Any, modes: dict[str, str]
) -> None:
    _seed_upstream(service)
    _group(any_client, GROUP, {"INTERNAL_UPSTREAM": [REPO]}, **modes)

    with raises_client_error("ConflictException") as error:
        publish(any_client, "3.0.0")

    assert (error["resourceType"], error["resourceId"]) == ("package-version", "3.0.0")


# --- CopyPackageVersions under the copy-respects-origin-controls option ---------------------------------


def test_copy_into_a_repository_the_group_blocks_follows_the_option(
    option_client: tuple[LocalCodeArtifact, Any], respects: bool
) -> None:
    service, client = option_client
    seed(
        service,
        [
            {"name": REPO, "packages": [generic(["1.0.0"])]},
            {"name": "prod", "packages": [{**generic([]), "publish": "ALLOW", "upstream": "ALLOW"}]},
        ],
    )
    _group(client, GROUP, {"PUBLISH": [REPO]}, PUBLISH="ALLOW_SPECIFIC_REPOSITORIES")

    response = copy_versions(client, REPO, "prod", ["1.0.0"])

    if respects:
        assert response["failedVersions"]["1.0.0"]["errorCode"] == "NOT_ALLOWED"
        assert GROUP in response["failedVersions"]["1.0.0"]["errorMessage"]
        assert list_versions(client, repository="prod") == []
    else:
        assert set(response["successfulVersions"]) == {"1.0.0"}
        assert list_versions(client, repository="prod") == ["1.0.0"]


def test_copy_from_upstream_where_the_group_blocks_internal_upstreams_follows_the_option(
    option_client: tuple[LocalCodeArtifact, Any], respects: bool
) -> None:
    service, client = option_client
    seed(
        service,
        [
            {"name": "base", "packages": [generic(["3.0.0"])]},
            {"name": REPO, "upstreams": ["base"], "packages": [{**generic(["1.0.0"]), "upstream": "ALLOW"}]},
            {"name": "prod"},
        ],
    )
    _group(client, GROUP, INTERNAL_UPSTREAM="BLOCK")

    response = copy_versions(client, REPO, "prod", ["1.0.0", "3.0.0"], includeFromUpstream=True)

    if respects:
        assert set(response["successfulVersions"]) == set()
        assert response["failedVersions"]["3.0.0"]["errorCode"] == "NOT_FOUND"
    else:
        assert set(response["successfulVersions"]) == {"1.0.0", "3.0.0"}
