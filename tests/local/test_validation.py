"""What botocore does not check itself (max lengths, patterns, enums, list sizes) the service does."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config

from reconciler.local import LocalCodeArtifact, attach
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT
from tests.local.builders import DOMAIN, REPO, coordinates, error_of, generic, publish, seed_packages

NO_CLIENT_CHECKS = Config(parameter_validation=False)


@pytest.fixture
def seeded(service: LocalCodeArtifact) -> LocalCodeArtifact:
    seed_packages(service, [generic(["1.0.0", "2.0.0"])])
    return service


def _field_error(response: dict[str, Any], member: str) -> None:
    assert response["Error"]["Code"] == "ValidationException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["reason"] == "FIELD_VALIDATION_FAILED"
    assert f"at '{member}" in response["Error"]["Message"]


CASES: dict[str, tuple[str, Callable[[Any], object]]] = {
    "domain pattern": ("domain", lambda c: c.create_domain(domain="Bad_Domain")),
    "domain max length": ("domain", lambda c: c.describe_domain(domain="d" * 51)),
    "repository pattern": (
        "repository",
        lambda c: c.describe_repository(domain=DOMAIN, repository="-leading"),
    ),
    "repository max length": (
        "repository",
        lambda c: c.create_repository(domain=DOMAIN, repository="r" * 101),
    ),
    "domain owner pattern": (
        "domainOwner",
        lambda c: c.describe_domain(domain=DOMAIN, domainOwner="12345678901x"),
    ),
    "format enum": (
        "format",
        lambda c: c.list_package_versions(**{**coordinates(), "format": "foo"}),
    ),
    "package pattern": ("package", lambda c: c.list_package_versions(**{**coordinates(), "package": "a/b"})),
    "namespace pattern": (
        "namespace",
        lambda c: c.list_package_versions(**{**coordinates(), "namespace": "has space"}),
    ),
    "version max length": (
        "packageVersion",
        lambda c: c.describe_package_version(**coordinates(), packageVersion="1" * 256),
    ),
    "status enum": ("status", lambda c: c.list_package_versions(**coordinates(), status="Gone")),
    "sort enum": ("sortBy", lambda c: c.list_package_versions(**coordinates(), sortBy="VERSION")),
    "origin type enum": ("originType", lambda c: c.list_package_versions(**coordinates(), originType="MINE")),
    "max results above 1000": (
        "maxResults",
        lambda c: c.list_package_versions(**coordinates(), maxResults=5000),
    ),
    "list domains max results": ("maxResults", lambda c: c.list_domains(maxResults=1001)),
    "target status enum": (
        "targetStatus",
        lambda c: c.update_package_versions_status(**coordinates(), versions=["1.0.0"], targetStatus="Bogus"),
    ),
    "expected status enum": (
        "expectedStatus",
        lambda c: c.dispose_package_versions(**coordinates(), versions=["1.0.0"], expectedStatus="Bogus"),
    ),
    "101 versions": (
        "versions",
        lambda c: c.delete_package_versions(**coordinates(), versions=[f"1.0.{i}" for i in range(101)]),
    ),
    "101 versions to copy": (
        "versions",
        lambda c: c.copy_package_versions(
            domain=DOMAIN,
            sourceRepository=REPO,
            destinationRepository="prod",
            format="generic",
            namespace="tools",
            package="cli",
            versions=[f"1.0.{i}" for i in range(101)],
        ),
    ),
    "version in a batch": (
        "versions",
        lambda c: c.update_package_versions_status(
            **coordinates(), versions=["a#b"], targetStatus="Archived"
        ),
    ),
    "description control character": (
        "description",
        lambda c: c.create_repository(domain=DOMAIN, repository="new-repo", description="bell\x07"),
    ),
    "asset name control character": ("assetName", lambda c: publish(c, "1.0.0", asset="tab\there")),
    "pagination token with spaces": (
        "nextToken",
        lambda c: c.list_packages(domain=DOMAIN, repository=REPO, nextToken="has space"),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_constraints_botocore_leaves_to_the_server_are_validation_errors(
    seeded: LocalCodeArtifact, client: Any, case: str
) -> None:
    member, call = CASES[case]
    _field_error(error_of(lambda: call(client)), member)


def test_a_validation_error_changes_nothing(seeded: LocalCodeArtifact, client: Any) -> None:
    error_of(
        lambda: client.update_package_versions_status(
            **coordinates(), versions=["1.0.0", "bad version"], targetStatus="Archived"
        )
    )
    statuses = {v["status"] for v in client.list_package_versions(**coordinates())["versions"]}
    assert statuses == {"Published"}


def test_every_violation_is_reported_in_one_message(client: Any) -> None:
    response = error_of(
        lambda: client.list_package_versions(
            domain="Bad_Domain", repository=REPO, format="foo", package="cli", maxResults=5000
        )
    )
    assert response["Error"]["Message"].startswith("3 validation errors detected: ")


@pytest.fixture
def unchecked_client(service: LocalCodeArtifact, boto_session: boto3.session.Session) -> Any:
    """A client that skips botocore's own checks, so the server sees what other SDKs may send."""
    return attach(
        boto_session.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT, config=NO_CLIENT_CHECKS),
        service,
    )


def test_the_server_checks_minimum_lengths_too(seeded: LocalCodeArtifact, unchecked_client: Any) -> None:
    _field_error(error_of(lambda: unchecked_client.describe_domain(domain="d")), "domain")
    _field_error(error_of(lambda: unchecked_client.list_domains(maxResults=0)), "maxResults")


def test_the_server_checks_required_members(seeded: LocalCodeArtifact, unchecked_client: Any) -> None:
    response = error_of(
        lambda: unchecked_client.update_package_versions_status(**coordinates(), versions=["1.0.0"])
    )
    _field_error(response, "targetStatus")
    assert "Member must not be null" in response["Error"]["Message"]


def _replace_body(client: Any, operation: str, body: bytes) -> None:
    def hook(request: Any, **_: Any) -> None:
        request.data = body

    client.meta.events.register(f"before-sign.codeartifact.{operation}", hook)


@pytest.mark.parametrize(
    ("body", "member"),
    [
        ({"versions": "1.0.0", "targetStatus": "Archived"}, "versions"),
        ({"versions": [1], "targetStatus": "Archived"}, "versions.1.member"),
        ({"versions": ["1.0.0"], "targetStatus": True}, "targetStatus"),
        ({"versions": ["1.0.0"], "targetStatus": "Archived", "versionRevisions": ["r"]}, "versionRevisions"),
        (
            {"versions": ["1.0.0"], "targetStatus": "Archived", "versionRevisions": {"1.0.0": 7}},
            "versionRevisions",
        ),
    ],
    ids=["string-for-list", "number-in-list", "boolean-for-string", "list-for-map", "number-in-map"],
)
def test_the_server_checks_json_member_types(
    seeded: LocalCodeArtifact, client: Any, body: dict[str, Any], member: str
) -> None:
    _replace_body(client, "UpdatePackageVersionsStatus", json.dumps(body).encode())
    response = error_of(
        lambda: client.update_package_versions_status(
            **coordinates(), versions=["1.0.0"], targetStatus="Archived"
        )
    )
    _field_error(response, member)


def test_a_body_that_is_not_json_cannot_be_parsed(seeded: LocalCodeArtifact, any_client: Any) -> None:
    _replace_body(any_client, "UpdatePackageVersionsStatus", b"{not json")
    response = error_of(
        lambda: any_client.update_package_versions_status(
            **coordinates(), versions=["1.0.0"], targetStatus="Archived"
        )
    )
    assert response["Error"]["Code"] == "ValidationException"
    assert response["reason"] == "CANNOT_PARSE"


def test_a_json_body_that_is_not_an_object_cannot_be_parsed(seeded: LocalCodeArtifact, client: Any) -> None:
    _replace_body(client, "ListDomains", b"[1, 2]")
    response = error_of(client.list_domains)
    assert response["reason"] == "CANNOT_PARSE"


def test_a_deeply_nested_body_cannot_be_parsed(seeded: LocalCodeArtifact, client: Any) -> None:
    _replace_body(client, "ListDomains", b"[" * 100_000 + b"]" * 100_000)
    response = error_of(client.list_domains)
    assert response["Error"]["Code"] == "ValidationException"
    assert response["reason"] == "CANNOT_PARSE"


@pytest.mark.parametrize(
    "body",
    [
        b'{"versions": [' + b"9" * 5000 + b'], "targetStatus": "Archived"}',
        b'{"versions": ["\\ud800"], "targetStatus": "Archived"}',
        b'{"versions": ["1.0.0"], "targetStatus": "Archived", "\\udfff": 1}',
    ],
    ids=["integer-of-5000-digits", "lone-surrogate-value", "lone-surrogate-key"],
)
def test_json_no_store_can_hold_cannot_be_parsed_and_changes_nothing(
    seeded: LocalCodeArtifact, client: Any, body: bytes
) -> None:
    """Python reads both (a huge integer refused by int(), a lone surrogate escaped), but neither is
    a value: they were 500s, one of them after the write transaction had begun."""
    _replace_body(client, "UpdatePackageVersionsStatus", body)
    response = error_of(
        lambda: client.update_package_versions_status(
            **coordinates(), versions=["1.0.0"], targetStatus="Archived"
        )
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["reason"] == "CANNOT_PARSE"
    described = client.describe_package_version(**coordinates(), packageVersion="1.0.0")
    assert described["packageVersion"]["status"] == "Published"


def test_a_list_longer_than_its_limit_is_refused_for_its_length_alone(
    seeded: LocalCodeArtifact, unchecked_client: Any
) -> None:
    """Its items are not checked one by one: a body of a million of them would cost many seconds."""
    versions = ["a#b"] * 1000

    response = error_of(
        lambda: unchecked_client.update_package_versions_status(
            **coordinates(), versions=versions, targetStatus="Archived"
        )
    )

    assert response["Error"]["Message"] == (
        "1 validation error detected: Value '<list of 1000 items>' at 'versions' failed to satisfy "
        "constraint: Member must have length less than or equal to 100"
    )


def _token(document: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        _token(["a", "list"]),
        _token({"k": "not-a-list", "f": "0"}),
        _token({"k": [{"nested": 1}], "f": "0"}),
        _token({"k": ["1.0.0", "extra", "keys"], "f": "0"}),
    ],
    ids=["garbage", "not-an-object", "key-not-a-list", "key-of-objects", "forged-key"],
)
def test_a_bad_pagination_token_is_a_validation_error(
    seeded: LocalCodeArtifact, client: Any, token: str
) -> None:
    response = error_of(lambda: client.list_package_versions(**coordinates(), nextToken=token))
    assert response["Error"]["Code"] == "ValidationException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_edited_token_is_refused_rather_than_trusted(seeded: LocalCodeArtifact, client: Any) -> None:
    client.create_domain(domain="beta")
    token = client.list_domains(maxResults=1)["nextToken"]
    document = json.loads(base64.urlsafe_b64decode(token))
    document["k"] = [{"not": "a name"}]

    response = error_of(lambda: client.list_domains(maxResults=1, nextToken=_token(document)))

    assert response["Error"]["Code"] == "ValidationException"
