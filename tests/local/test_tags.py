"""TagResource, UntagResource, ListTagsForResource, and the tags CreateDomain/CreateRepository take."""

from __future__ import annotations

from typing import Any

import pytest

from tests.local.builders import DOMAIN, raises_client_error, setup_repository
from tests.local.shapes import assert_matches_model

ACCOUNT = "111122223333"
DOMAIN_ARN = f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:domain/{DOMAIN}"
REPOSITORY_ARN = f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:repository/{DOMAIN}/staging"


def tag(key: str, value: str = "") -> dict[str, str]:
    return {"key": key, "value": value}


def tags_of(client: Any, arn: str) -> list[dict[str, str]]:
    return client.list_tags_for_resource(resourceArn=arn)["tags"]  # type: ignore[no-any-return]


@pytest.fixture(params=[DOMAIN_ARN, REPOSITORY_ARN], ids=["domain", "repository"])
def arn(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


def test_tags_given_at_creation_are_listed(any_client: Any) -> None:
    domain = any_client.create_domain(domain=DOMAIN, tags=[tag("team", "web"), tag("cost-centre", "42")])[
        "domain"
    ]
    repository = any_client.create_repository(
        domain=DOMAIN, repository="staging", tags=[tag("stage", "pre")]
    )["repository"]

    listed = any_client.list_tags_for_resource(resourceArn=domain["arn"])

    assert_matches_model("ListTagsForResource", listed)
    assert listed["tags"] == [tag("team", "web"), tag("cost-centre", "42")]
    assert tags_of(any_client, repository["arn"]) == [tag("stage", "pre")]


def test_tag_resource_adds_and_updates_tags_keeping_their_order(any_client: Any, arn: str) -> None:
    setup_repository(any_client, "staging")

    first = any_client.tag_resource(resourceArn=arn, tags=[tag("team", "web"), tag("tier", "1")])
    any_client.tag_resource(resourceArn=arn, tags=[tag("tier", "2"), tag("owner", "ops")])

    assert_matches_model("TagResource", first)
    assert tags_of(any_client, arn) == [tag("team", "web"), tag("tier", "2"), tag("owner", "ops")]


def test_untag_resource_removes_the_keys_and_ignores_unknown_ones(any_client: Any, arn: str) -> None:
    setup_repository(any_client, "staging")
    any_client.tag_resource(resourceArn=arn, tags=[tag("team", "web"), tag("tier", "1"), tag("owner", "ops")])

    removed = any_client.untag_resource(resourceArn=arn, tagKeys=["tier", "never-set"])

    assert_matches_model("UntagResource", removed)
    assert tags_of(any_client, arn) == [tag("team", "web"), tag("owner", "ops")]


def test_an_untagged_resource_lists_no_tags(client: Any, arn: str) -> None:
    setup_repository(client, "staging")
    assert tags_of(client, arn) == []


def test_more_than_fifty_tags_exceed_the_quota_and_change_nothing(any_client: Any, arn: str) -> None:
    setup_repository(any_client, "staging")
    any_client.tag_resource(resourceArn=arn, tags=[tag(f"key-{index}") for index in range(45)])

    with raises_client_error("ServiceQuotaExceededException") as error:
        any_client.tag_resource(resourceArn=arn, tags=[tag(f"new-{index}") for index in range(6)])

    assert error["ResponseMetadata"]["HTTPStatusCode"] == 402
    assert error["resourceType"] in ("domain", "repository")
    assert len(tags_of(any_client, arn)) == 45
    any_client.tag_resource(
        resourceArn=arn, tags=[tag(f"key-{index}", "v") for index in range(45)] + [tag("x")]
    )
    assert len(tags_of(any_client, arn)) == 46


def test_creating_a_domain_with_too_many_tags_creates_nothing(client: Any) -> None:
    with raises_client_error("ServiceQuotaExceededException") as error:
        client.create_domain(domain=DOMAIN, tags=[tag(f"key-{index}") for index in range(51)])
    assert error["resourceType"] == "domain"
    assert error["resourceId"] == DOMAIN
    assert client.list_domains()["domains"] == []


INVALID_TAGS = {
    "reserved prefix": [tag("aws:createdBy", "me")],
    "reserved prefix in any case": [tag("AWS:thing")],
    "a key twice": [tag("team", "a"), tag("team", "b")],
}


def test_reserved_or_repeated_keys_are_validation_errors(any_client: Any) -> None:
    setup_repository(any_client, "staging")
    for why, tags in INVALID_TAGS.items():
        with raises_client_error("ValidationException"):
            any_client.tag_resource(resourceArn=REPOSITORY_ARN, tags=tags)
        with raises_client_error("ValidationException"):
            any_client.create_repository(domain=DOMAIN, repository="other", tags=tags)
        assert tags_of(any_client, REPOSITORY_ARN) == [], why


MISSING = {
    "missing domain": (f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:domain/nowhere", "domain"),
    "missing repository": (
        f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:repository/{DOMAIN}/ghost",
        "repository",
    ),
    "repository in a missing domain": (
        f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:repository/nowhere/staging",
        "domain",
    ),
    "another owner": (f"arn:aws:codeartifact:us-east-1:999999999999:domain/{DOMAIN}", "domain"),
    "another Region": (f"arn:aws:codeartifact:eu-west-1:{ACCOUNT}:domain/{DOMAIN}", "domain"),
}


def test_the_arn_of_a_missing_resource_is_resource_not_found(any_client: Any) -> None:
    setup_repository(any_client, "staging")
    for why, (resource_arn, resource_type) in MISSING.items():
        for operation, params in (
            ("list_tags_for_resource", {}),
            ("tag_resource", {"tags": [tag("team")]}),
            ("untag_resource", {"tagKeys": ["team"]}),
        ):
            with raises_client_error("ResourceNotFoundException") as error:
                getattr(any_client, operation)(resourceArn=resource_arn, **params)
            assert error["resourceType"] == resource_type, why
            assert error["ResponseMetadata"]["HTTPStatusCode"] == 404, why


def test_an_arn_that_names_no_taggable_resource_is_a_validation_error(client: Any) -> None:
    setup_repository(client, "staging")
    for resource_arn in (
        "not-an-arn",
        f"arn:aws:s3:::{DOMAIN}",
        f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:package/{DOMAIN}/staging/npm//lodash",
    ):
        with raises_client_error("ValidationException"):
            client.list_tags_for_resource(resourceArn=resource_arn)


def test_a_repository_created_again_after_deletion_has_no_tags(client: Any) -> None:
    client.create_domain(domain=DOMAIN)
    client.create_repository(domain=DOMAIN, repository="staging", tags=[tag("team", "web")])
    client.delete_repository(domain=DOMAIN, repository="staging")

    client.create_repository(domain=DOMAIN, repository="staging")

    assert tags_of(client, REPOSITORY_ARN) == []


def test_a_package_group_is_tagged_by_its_arn_like_any_other_resource(any_client: Any) -> None:
    setup_repository(any_client, "staging")
    group = any_client.create_package_group(
        domain=DOMAIN, packageGroup="/npm/acme/*", tags=[tag("team", "web")]
    )["packageGroup"]

    assert tags_of(any_client, group["arn"]) == [tag("team", "web")]
    any_client.tag_resource(resourceArn=group["arn"], tags=[tag("tier", "1")])
    any_client.untag_resource(resourceArn=group["arn"], tagKeys=["team"])
    assert tags_of(any_client, group["arn"]) == [tag("tier", "1")]

    missing = group["arn"].replace("/npm/acme/", "/npm/other/")
    with raises_client_error("ResourceNotFoundException") as error:
        tags_of(any_client, missing)
    assert error["resourceType"] == "package-group"
