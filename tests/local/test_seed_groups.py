"""Seeding package groups: declared groups and their origin configuration land as the API shows them."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact, local_client
from reconciler.local.seed import SeedError, load_seed, seed_service
from tests.local.builders import raises_client_error, write_seed

EXAMPLE = Path(__file__).resolve().parents[2] / "manifests" / "local" / "example-data.yaml"


def _modes(group: dict[str, Any]) -> dict[str, str]:
    restrictions = group["originConfiguration"]["restrictions"]
    return {kind: entry["effectiveMode"] for kind, entry in restrictions.items()}


def test_the_example_data_blocks_acme_npm_packages_from_the_public_upstream(
    service: LocalCodeArtifact,
) -> None:
    seed_service(service, load_seed(EXAMPLE))
    client = local_client(service)

    found = client.get_associated_package_group(
        domain="acme", format="npm", namespace="acme", package="web-sdk"
    )
    associated = client.list_associated_packages(domain="acme", packageGroup="/npm/acme/*")["packages"]
    other = client.get_associated_package_group(domain="acme", format="npm", package="lodash")

    assert found["packageGroup"]["pattern"] == "/npm/acme/*"
    assert found["associationType"] == "STRONG"
    assert _modes(found["packageGroup"]) == {
        "EXTERNAL_UPSTREAM": "BLOCK",
        "INTERNAL_UPSTREAM": "ALLOW",
        "PUBLISH": "ALLOW",
    }
    assert found["packageGroup"]["contactInfo"] == "platform-team@acme.example"
    assert associated == [
        {"format": "npm", "namespace": "acme", "package": "web-sdk", "associationType": "STRONG"}
    ]
    assert other["packageGroup"]["pattern"] == "/*"


def test_seeded_groups_carry_their_origin_configuration(service: LocalCodeArtifact, tmp_path: Path) -> None:
    path = write_seed(
        tmp_path,
        """
        apiVersion: reconciler/v1
        kind: LocalSeed
        domains:
          - name: acme
            repositories: [{name: staging}, {name: prod}]
            package_groups:
              - pattern: /*
                restrictions: {external_upstream: BLOCK}
              - pattern: /generic/*
                description: Build tools
                restrictions: {publish: ALLOW_SPECIFIC_REPOSITORIES}
                allowed_repositories: {publish: [prod]}
              - pattern: /generic/tools/*
        """,
    )
    seed_service(service, load_seed(path))
    client = local_client(service)

    root = client.describe_package_group(domain="acme", packageGroup="/*")["packageGroup"]
    tools = client.describe_package_group(domain="acme", packageGroup="/generic/tools/*")["packageGroup"]
    allowed = client.list_allowed_repositories_for_group(
        domain="acme", packageGroup="/generic/*", originRestrictionType="PUBLISH"
    )

    assert _modes(root) == {"EXTERNAL_UPSTREAM": "BLOCK", "INTERNAL_UPSTREAM": "ALLOW", "PUBLISH": "ALLOW"}
    assert tools["parent"]["pattern"] == "/generic/*"
    assert _modes(tools)["PUBLISH"] == "ALLOW_SPECIFIC_REPOSITORIES"
    assert allowed["allowedRepositories"] == ["prod"]
    content = b"tool"
    publish = {
        "domain": "acme", "format": "generic", "namespace": "tools", "package": "deploy", "packageVersion": "1.0",
        "assetContent": content, "assetName": "deploy.bin", "assetSHA256": hashlib.sha256(content).hexdigest(),
    }  # fmt: skip
    with raises_client_error("ConflictException"):
        client.publish_package_version(repository="staging", **publish)
    assert client.publish_package_version(repository="prod", **publish)["status"] == "Published"


def test_a_seeded_domain_without_groups_has_the_root_group(
    service: LocalCodeArtifact, tmp_path: Path
) -> None:
    path = write_seed(
        tmp_path,
        """
        apiVersion: reconciler/v1
        kind: LocalSeed
        domains: [{name: acme}]
        """,
    )
    seed_service(service, load_seed(path))
    groups = local_client(service).list_package_groups(domain="acme")["packageGroups"]
    assert [(g["pattern"], _modes(g)["PUBLISH"]) for g in groups] == [("/*", "ALLOW")]


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (
            "[{pattern: /npm}]",
            "seed.yaml:6: domains[0].package_groups[0].pattern: Invalid package group pattern",
        ),
        (
            "[{pattern: /npm/*}, {pattern: /npm/*}]",
            "package_groups[1].pattern: package group /npm/* is listed twice",
        ),
        (
            "[{pattern: /npm/*, allowed_repositories: {publish: [nowhere]}}]",
            "package_groups[0].allowed_repositories.publish[0]: nowhere is not a repository of acme",
        ),
        (
            "[{pattern: /*, restrictions: {publish: INHERIT}}]",
            "the root group /* has no parent to inherit from",
        ),
        ("[{pattern: /npm/*, restrictions: {publish: MAYBE}}]", "package_groups[0].restrictions.publish"),
    ],
    ids=["bad-pattern", "twice", "unknown-repository", "root-inherits", "bad-mode"],
)
def test_bad_package_groups_are_refused_with_their_line(tmp_path: Path, groups: str, message: str) -> None:
    path = write_seed(
        tmp_path,
        f"""
        apiVersion: reconciler/v1
        kind: LocalSeed
        domains:
          - name: acme
            repositories: [{{name: staging}}]
            package_groups: {groups}
        """,
    )
    with pytest.raises(SeedError) as caught:
        load_seed(path)
    assert message in str(caught.value)
