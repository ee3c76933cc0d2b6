"""Put/Get/Delete Domain and Repository permissions policies: stored, revisioned, not enforced."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local.builders import DOMAIN, raises_client_error, setup_repository
from tests.local.shapes import assert_matches_model

ACCOUNT = "111122223333"
REPOSITORY = "staging"


def policy(*actions: str) -> str:
    statements = [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": action,
                   "Resource": "*"} for action in actions or ("codeartifact:ReadFromRepository",)]  # fmt: skip
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@dataclass(frozen=True)
class Target:
    """One of the two policy holders, with the three operations on it."""

    kind: str  # the resourceType of its errors
    name: str  # the resourceId of its errors
    arn: str
    params: dict[str, str]
    operations: tuple[str, str, str]  # put, get, delete (botocore names)

    def put(self, client: Any, **params: Any) -> dict[str, Any]:
        return getattr(client, _snake(self.operations[0]))(**self.params, **params)  # type: ignore[no-any-return]

    def get(self, client: Any) -> dict[str, Any]:
        return getattr(client, _snake(self.operations[1]))(**self.params)  # type: ignore[no-any-return]

    def delete(self, client: Any, **params: Any) -> dict[str, Any]:
        return getattr(client, _snake(self.operations[2]))(**self.params, **params)  # type: ignore[no-any-return]


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


DOMAIN_TARGET = Target(
    "domain",
    DOMAIN,
    f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:domain/{DOMAIN}",
    {"domain": DOMAIN},
    ("PutDomainPermissionsPolicy", "GetDomainPermissionsPolicy", "DeleteDomainPermissionsPolicy"),
)
REPOSITORY_TARGET = Target(
    "repository",
    REPOSITORY,
    f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:repository/{DOMAIN}/{REPOSITORY}",
    {"domain": DOMAIN, "repository": REPOSITORY},
    ("PutRepositoryPermissionsPolicy", "GetRepositoryPermissionsPolicy", "DeleteRepositoryPermissionsPolicy"),
)


@pytest.fixture(params=[DOMAIN_TARGET, REPOSITORY_TARGET], ids=["domain", "repository"])
def target(request: pytest.FixtureRequest) -> Target:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def ready(any_client: Any) -> Any:
    """A client whose service has the domain and repository the targets name."""
    setup_repository(any_client, REPOSITORY)
    return any_client


def test_put_stores_the_policy_and_get_returns_it(ready: Any, target: Target) -> None:
    document = policy()

    put = target.put(ready, policyDocument=document)
    got = target.get(ready)

    assert_matches_model(target.operations[0], put)
    assert_matches_model(target.operations[1], got)
    assert put["policy"]["resourceArn"] == target.arn
    assert put["policy"]["document"] == document
    assert len(put["policy"]["revision"]) >= 1
    assert got["policy"] == put["policy"]


def test_put_with_the_current_revision_replaces_the_policy_with_a_new_revision(
    ready: Any, target: Target
) -> None:
    first = target.put(ready, policyDocument=policy())["policy"]

    second = target.put(ready, policyDocument=policy("codeartifact:*"), policyRevision=first["revision"])[
        "policy"
    ]

    assert second["revision"] != first["revision"]
    assert target.get(ready)["policy"] == second


def test_put_without_a_revision_overwrites_whatever_is_there(client: Any) -> None:
    setup_repository(client, REPOSITORY)
    DOMAIN_TARGET.put(client, policyDocument=policy())

    replaced = DOMAIN_TARGET.put(client, policyDocument=policy("codeartifact:*"))["policy"]

    assert DOMAIN_TARGET.get(client)["policy"] == replaced


def test_put_with_a_stale_revision_is_a_conflict_and_changes_nothing(ready: Any, target: Target) -> None:
    first = target.put(ready, policyDocument=policy())["policy"]
    current = target.put(ready, policyDocument=policy("codeartifact:*"))["policy"]

    with raises_client_error("ConflictException") as error:
        target.put(ready, policyDocument=policy("codeartifact:Describe*"), policyRevision=first["revision"])

    assert error["resourceType"] == target.kind
    assert error["resourceId"] == target.name
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert target.get(ready)["policy"] == current


def test_put_with_a_revision_where_there_is_no_policy_is_a_conflict(client: Any) -> None:
    setup_repository(client, REPOSITORY)
    with raises_client_error("ConflictException") as error:
        REPOSITORY_TARGET.put(client, policyDocument=policy(), policyRevision="no-such-revision")
    assert error["resourceType"] == "repository"
    with raises_client_error("ResourceNotFoundException"):
        REPOSITORY_TARGET.get(client)


def test_get_with_no_policy_is_resource_not_found_on_its_resource(ready: Any, target: Target) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        target.get(ready)
    assert error["resourceType"] == target.kind
    assert error["resourceId"] == target.name
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_delete_answers_the_deleted_policy_and_it_is_gone(ready: Any, target: Target) -> None:
    put = target.put(ready, policyDocument=policy())["policy"]

    deleted = target.delete(ready)

    assert_matches_model(target.operations[2], deleted)
    assert deleted["policy"] == put
    with raises_client_error("ResourceNotFoundException") as error:
        target.get(ready)
    assert error["resourceType"] == target.kind
    with raises_client_error("ResourceNotFoundException"):
        target.delete(ready)


def test_delete_with_a_stale_revision_is_a_conflict_and_keeps_the_policy(ready: Any, target: Target) -> None:
    first = target.put(ready, policyDocument=policy())["policy"]
    current = target.put(ready, policyDocument=policy("codeartifact:*"))["policy"]

    with raises_client_error("ConflictException") as error:
        target.delete(ready, policyRevision=first["revision"])

    assert error["resourceType"] == target.kind
    assert target.get(ready)["policy"] == current
    assert target.delete(ready, policyRevision=current["revision"])["policy"] == current


INVALID_DOCUMENTS = {
    "not JSON": "not json",
    "not an object": '["a list"]',
    "no statement": '{"Version": "2012-10-17"}',
    "an empty statement": '{"Statement": []}',
    "too long": "x" * 7169,
}


def test_an_invalid_policy_document_is_a_validation_error(ready: Any) -> None:
    for why, document in INVALID_DOCUMENTS.items():
        for target in (DOMAIN_TARGET, REPOSITORY_TARGET):
            with raises_client_error("ValidationException") as error:
                target.put(ready, policyDocument=document)
            assert error["ResponseMetadata"]["HTTPStatusCode"] == 400, why
    for target in (DOMAIN_TARGET, REPOSITORY_TARGET):
        with raises_client_error("ResourceNotFoundException"):
            target.get(ready)


def test_policies_of_a_missing_repository_are_resource_not_found(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    calls: list[Callable[[], object]] = [
        lambda: REPOSITORY_TARGET.put(any_client, policyDocument=policy()),
        lambda: REPOSITORY_TARGET.get(any_client),
        lambda: REPOSITORY_TARGET.delete(any_client),
    ]
    for call in calls:
        with raises_client_error("ResourceNotFoundException") as error:
            call()
        assert error["resourceType"] == "repository"
        assert error["resourceId"] == REPOSITORY


def test_policies_of_a_missing_domain_are_resource_not_found(client: Any) -> None:
    for call in (
        lambda: DOMAIN_TARGET.put(client, policyDocument=policy()),
        lambda: DOMAIN_TARGET.get(client),
        lambda: DOMAIN_TARGET.delete(client),
    ):
        with raises_client_error("ResourceNotFoundException") as error:
            call()
        assert error["resourceType"] == "domain"


def test_policies_are_not_enforced(client: Any) -> None:
    setup_repository(client, REPOSITORY)
    deny_all = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}],
        }
    )
    DOMAIN_TARGET.put(client, policyDocument=deny_all)
    REPOSITORY_TARGET.put(client, policyDocument=deny_all)

    try:
        described = client.describe_repository(domain=DOMAIN, repository=REPOSITORY)
    except ClientError as error:  # pragma: no cover - the failure this test exists to report
        pytest.fail(f"a policy was enforced: {error}")
    assert described["repository"]["name"] == REPOSITORY


def test_the_six_policy_operations_round_trip_by_name(ready: Any) -> None:
    # The same contract as the parametrised tests above, spelled with each boto3 method by name.
    domain_policy = ready.put_domain_permissions_policy(domain=DOMAIN, policyDocument=policy())
    repository_policy = ready.put_repository_permissions_policy(
        domain=DOMAIN, repository=REPOSITORY, policyDocument=policy("codeartifact:*")
    )
    got_domain = ready.get_domain_permissions_policy(domain=DOMAIN)
    got_repository = ready.get_repository_permissions_policy(domain=DOMAIN, repository=REPOSITORY)
    deleted_domain = ready.delete_domain_permissions_policy(domain=DOMAIN)
    deleted_repository = ready.delete_repository_permissions_policy(domain=DOMAIN, repository=REPOSITORY)

    for operation, response in [
        ("PutDomainPermissionsPolicy", domain_policy),
        ("PutRepositoryPermissionsPolicy", repository_policy),
        ("GetDomainPermissionsPolicy", got_domain),
        ("GetRepositoryPermissionsPolicy", got_repository),
        ("DeleteDomainPermissionsPolicy", deleted_domain),
        ("DeleteRepositoryPermissionsPolicy", deleted_repository),
    ]:
        assert_matches_model(operation, response)
    assert domain_policy["policy"]["resourceArn"] == DOMAIN_TARGET.arn
    assert repository_policy["policy"]["resourceArn"] == REPOSITORY_TARGET.arn
    assert repository_policy["policy"]["document"] == policy("codeartifact:*")
    assert got_domain["policy"] == deleted_domain["policy"] == domain_policy["policy"]
    assert got_repository["policy"] == deleted_repository["policy"] == repository_policy["policy"]
    for target in (DOMAIN_TARGET, REPOSITORY_TARGET):
        with raises_client_error("ResourceNotFoundException") as error:
            target.get(ready)
        assert error["resourceType"] == target.kind
