"""CreateDomain, DescribeDomain and ListDomains."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.local.builders import publish, raises_client_error, setup_repository

ACCOUNT = "111122223333"


def test_create_domain_describes_the_new_domain(any_client: Any) -> None:
    domain = any_client.create_domain(domain="acme")["domain"]

    assert domain["name"] == "acme"
    assert domain["owner"] == ACCOUNT
    assert domain["arn"] == f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:domain/acme"
    assert domain["status"] == "Active"
    assert isinstance(domain["createdTime"], dt.datetime)
    assert domain["encryptionKey"].startswith("arn:aws:kms:")
    assert domain["repositoryCount"] == 0
    assert domain["assetSizeBytes"] == 0
    assert domain["s3BucketArn"].startswith("arn:aws:s3:::")


def test_create_domain_keeps_the_given_encryption_key(client: Any) -> None:
    key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd"
    assert client.create_domain(domain="acme", encryptionKey=key)["domain"]["encryptionKey"] == key
    assert client.describe_domain(domain="acme")["domain"]["encryptionKey"] == key


def test_create_domain_twice_is_a_conflict_on_the_domain(any_client: Any) -> None:
    any_client.create_domain(domain="acme")
    with raises_client_error("ConflictException") as error:
        any_client.create_domain(domain="acme")
    assert error["resourceType"] == "domain"
    assert error["resourceId"] == "acme"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_the_eleventh_domain_exceeds_the_account_quota(client: Any) -> None:
    for index in range(10):
        client.create_domain(domain=f"domain-{index}")
    with raises_client_error("ServiceQuotaExceededException") as error:
        client.create_domain(domain="one-too-many")
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 402
    assert len(client.list_domains()["domains"]) == 10


def test_describe_domain_counts_repositories_and_asset_bytes(client: Any) -> None:
    setup_repository(client, "staging", "prod")
    publish(client, "1.0.0", b"12345")
    publish(client, "1.0.1", b"123")

    domain = client.describe_domain(domain="acme")["domain"]

    assert domain["repositoryCount"] == 2
    assert domain["assetSizeBytes"] == 8


def test_describe_missing_domain_is_resource_not_found(any_client: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.describe_domain(domain="nowhere")
    assert error["resourceType"] == "domain"
    assert error["resourceId"] == "nowhere"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_describe_domain_of_another_owner_is_resource_not_found(client: Any) -> None:
    client.create_domain(domain="acme")
    assert client.describe_domain(domain="acme", domainOwner=ACCOUNT)["domain"]["name"] == "acme"
    with raises_client_error("ResourceNotFoundException") as error:
        client.describe_domain(domain="acme", domainOwner="999999999999")
    assert error["resourceType"] == "domain"


def test_list_domains_returns_summaries_sorted_by_name(any_client: Any) -> None:
    for name in ("zeta", "alpha", "mid"):
        any_client.create_domain(domain=name)

    domains = any_client.list_domains()["domains"]

    assert [d["name"] for d in domains] == ["alpha", "mid", "zeta"]
    assert set(domains[0]) == {"name", "owner", "arn", "status", "createdTime", "encryptionKey"}
    assert isinstance(domains[0]["createdTime"], dt.datetime)


def test_list_domains_pages_with_max_results_in_the_body(client: Any) -> None:
    names = [f"domain-{index}" for index in range(5)]
    for name in names:
        client.create_domain(domain=name)

    first = client.list_domains(maxResults=2)
    second = client.list_domains(maxResults=2, nextToken=first["nextToken"])
    pages = list(client.get_paginator("list_domains").paginate(PaginationConfig={"PageSize": 2}))

    assert [d["name"] for d in first["domains"]] == names[:2]
    assert [d["name"] for d in second["domains"]] == names[2:4]
    assert len(pages) == 3
    assert [d["name"] for page in pages for d in page["domains"]] == names
    assert "nextToken" not in pages[-1]


def test_list_domains_with_no_domains_is_empty(client: Any) -> None:
    response = client.list_domains()
    assert response["domains"] == []
    assert "nextToken" not in response
