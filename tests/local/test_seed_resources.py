"""Seeding tags, resource policies and external connections: what a seed declares the API reports,
and what the API could never hold is refused."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact, local_client
from reconciler.local.seed import SeedDocument, SeedError, load_seed, seed_service
from tests.local.builders import domains_document

ACCOUNT = "111122223333"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "*"}],
}


def document(domain: dict[str, Any]) -> SeedDocument:
    return domains_document([domain])


def test_seeded_tags_policies_and_connections_are_what_the_api_reports(service: LocalCodeArtifact) -> None:
    seed_service(
        service,
        document(
            {
                "name": "acme",
                "tags": {"team": "platform", "cost-centre": "42"},
                "policy": POLICY,
                "repositories": [
                    {
                        "name": "pypi-store",
                        "external_connections": [{"name": "public:pypi"}],
                        "tags": {"stage": "proxy"},
                        "policy": json.dumps(POLICY, indent=2),
                    },
                    {"name": "staging", "upstreams": ["pypi-store"]},
                ],
            }
        ),
    )
    client = local_client(service)
    domain_arn = client.describe_domain(domain="acme")["domain"]["arn"]
    store = client.describe_repository(domain="acme", repository="pypi-store")["repository"]

    assert client.list_tags_for_resource(resourceArn=domain_arn)["tags"] == [
        {"key": "team", "value": "platform"},
        {"key": "cost-centre", "value": "42"},
    ]
    assert client.list_tags_for_resource(resourceArn=store["arn"])["tags"] == [
        {"key": "stage", "value": "proxy"}
    ]
    staging_arn = client.describe_repository(domain="acme", repository="staging")["repository"]["arn"]
    assert client.list_tags_for_resource(resourceArn=staging_arn)["tags"] == []
    domain_policy = client.get_domain_permissions_policy(domain="acme")["policy"]
    assert json.loads(domain_policy["document"]) == POLICY
    assert domain_policy["resourceArn"] == domain_arn
    repository_policy = client.get_repository_permissions_policy(domain="acme", repository="pypi-store")[
        "policy"
    ]
    assert repository_policy["document"] == json.dumps(POLICY, indent=2)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_repository_permissions_policy(domain="acme", repository="staging")
    assert store["externalConnections"] == [
        {"externalConnectionName": "public:pypi", "packageFormat": "pypi", "status": "Available"}
    ]
    # A seeded revision is a real one: it guards the next write like any other.
    client.delete_domain_permissions_policy(domain="acme", policyRevision=domain_policy["revision"])


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        (
            {"name": "acme", "repositories": [{"name": "store", "external_connections": [
                {"name": "public:npmjs"}, {"name": "public:pypi"}]}]},
            "domains[0].repositories[0].external_connections: a repository has at most one external connection",
        ),
        (
            {"name": "acme", "repositories": [{"name": "store", "external_connections": [{"name": "public:left-pad"}]}]},
            "domains[0].repositories[0].external_connections[0].name: not an external connection AWS supports",
        ),
        (
            {"name": "acme", "repositories": [{"name": "store", "external_connections": [
                {"name": "public:npmjs", "format": "pypi"}]}]},
            "domains[0].repositories[0].external_connections[0].format: public:npmjs is a npm connection",
        ),
        (
            {"name": "acme", "tags": {"aws:owner": "me"}},
            "domains[0].tags.aws:owner: the aws: prefix is reserved for AWS",
        ),
        (
            {"name": "acme", "repositories": [{"name": "store", "tags": {f"k{i}": "" for i in range(51)}}]},
            "domains[0].repositories[0].tags: at most 50 tags per resource",
        ),
        (
            {"name": "acme", "policy": {"Version": "2012-10-17"}},
            "domains[0].policy: The policy document must be a JSON object with a Statement",
        ),
        (
            {"name": "acme", "repositories": [{"name": "store", "policy": "{not json"}]},
            "domains[0].repositories[0].policy: The policy document is not valid JSON",
        ),
    ],
    ids=["two-connections", "unknown-connection", "wrong-format", "reserved-tag", "too-many-tags",
         "policy-without-statement", "policy-not-json"],
)  # fmt: skip
def test_seeds_the_api_could_not_hold_are_refused(
    service: LocalCodeArtifact, domain: dict[str, Any], expected: str
) -> None:
    with pytest.raises(SeedError, match="^" + re.escape(f"<seed>: {expected}")) as refused:
        seed_service(service, document(domain))
    assert "acme" not in [d["name"] for d in local_client(service).list_domains()["domains"]], str(
        refused.value
    )


def test_a_numeric_tag_value_in_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(
        "apiVersion: reconciler/v1\nkind: LocalSeed\ndomains:\n  - name: acme\n    tags:\n      tier: 1.10\n",
        encoding="utf-8",
    )
    with pytest.raises(SeedError, match=r"seed\.yaml:6: domains\[0\]\.tags\.tier: .*quote tag values"):
        load_seed(path)
