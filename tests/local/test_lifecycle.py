"""DeleteDomain, DeleteRepository and UpdateRepository."""

from __future__ import annotations

from typing import Any

from tests.local.builders import (
    DOMAIN,
    NAMESPACE,
    PACKAGE,
    coordinates,
    publish,
    raises_client_error,
    setup_repository,
)
from tests.local.shapes import assert_matches_model

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "999999999999"
POLICY = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*"}]}'


def upstream_names(client: Any, repository: str) -> list[str]:
    described = client.describe_repository(domain=DOMAIN, repository=repository)["repository"]
    return [upstream["repositoryName"] for upstream in described["upstreams"]]


# DeleteDomain


def test_delete_domain_answers_the_domain_as_deleted_and_it_is_gone(any_client: Any) -> None:
    created = any_client.create_domain(domain=DOMAIN)["domain"]

    deleted = any_client.delete_domain(domain=DOMAIN)

    assert_matches_model("DeleteDomain", deleted)
    assert deleted["domain"]["name"] == DOMAIN
    assert deleted["domain"]["owner"] == ACCOUNT
    assert deleted["domain"]["arn"] == created["arn"]
    assert deleted["domain"]["status"] == "Deleted"
    assert deleted["domain"]["repositoryCount"] == 0
    assert any_client.list_domains()["domains"] == []
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.describe_domain(domain=DOMAIN)
    assert error["resourceType"] == "domain"


def test_a_domain_with_repositories_cannot_be_deleted(any_client: Any) -> None:
    setup_repository(any_client, "staging")

    with raises_client_error("ConflictException") as error:
        any_client.delete_domain(domain=DOMAIN)

    assert error["resourceType"] == "domain"
    assert error["resourceId"] == DOMAIN
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert any_client.describe_domain(domain=DOMAIN)["domain"]["repositoryCount"] == 1


def test_a_domain_can_be_deleted_once_its_repositories_are(client: Any) -> None:
    setup_repository(client, "staging", "prod")
    client.delete_repository(domain=DOMAIN, repository="staging")
    client.delete_repository(domain=DOMAIN, repository="prod")

    assert client.delete_domain(domain=DOMAIN)["domain"]["status"] == "Deleted"


def test_delete_missing_domain_is_resource_not_found(any_client: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.delete_domain(domain="nowhere")
    assert error["resourceType"] == "domain"
    assert error["resourceId"] == "nowhere"


def test_delete_domain_of_another_owner_is_resource_not_found(client: Any) -> None:
    client.create_domain(domain=DOMAIN)
    with raises_client_error("ResourceNotFoundException") as error:
        client.delete_domain(domain=DOMAIN, domainOwner=OTHER_ACCOUNT)
    assert error["resourceType"] == "domain"
    assert client.describe_domain(domain=DOMAIN)["domain"]["status"] == "Active"


def test_a_domain_created_again_after_deletion_has_no_tags_or_policy(client: Any) -> None:
    arn = client.create_domain(domain=DOMAIN, tags=[{"key": "team", "value": "web"}])["domain"]["arn"]
    client.put_domain_permissions_policy(domain=DOMAIN, policyDocument=POLICY)
    client.delete_domain(domain=DOMAIN)

    client.create_domain(domain=DOMAIN)

    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == []
    with raises_client_error("ResourceNotFoundException"):
        client.get_domain_permissions_policy(domain=DOMAIN)


# DeleteRepository


def test_delete_repository_answers_the_repository_as_it_was(any_client: Any) -> None:
    setup_repository(any_client, "base")
    any_client.create_repository(
        domain=DOMAIN, repository="app", description="the app", upstreams=[{"repositoryName": "base"}]
    )
    any_client.associate_external_connection(
        domain=DOMAIN, repository="app", externalConnection="public:npmjs"
    )
    described = any_client.describe_repository(domain=DOMAIN, repository="app")

    deleted = any_client.delete_repository(domain=DOMAIN, repository="app")

    assert_matches_model("DeleteRepository", deleted)
    assert deleted["repository"] == described["repository"]
    assert [r["name"] for r in any_client.list_repositories_in_domain(domain=DOMAIN)["repositories"]] == [
        "base"
    ]
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.describe_repository(domain=DOMAIN, repository="app")
    assert error["resourceType"] == "repository"
    assert error["resourceId"] == "app"


def test_deleting_a_repository_deletes_its_packages(client: Any) -> None:
    setup_repository(client, "staging")
    publish(client, "1.0.0", b"payload")
    client.put_repository_permissions_policy(domain=DOMAIN, repository="staging", policyDocument=POLICY)

    client.delete_repository(domain=DOMAIN, repository="staging")
    client.create_repository(domain=DOMAIN, repository="staging")

    assert client.list_packages(domain=DOMAIN, repository="staging")["packages"] == []
    assert client.describe_domain(domain=DOMAIN)["domain"]["assetSizeBytes"] == 0
    with raises_client_error("ResourceNotFoundException") as error:
        client.describe_package_version(**coordinates(), packageVersion="1.0.0")
    assert error["resourceType"] == "package"
    with raises_client_error("ResourceNotFoundException"):
        client.get_repository_permissions_policy(domain=DOMAIN, repository="staging")


def test_deleting_an_upstream_unlinks_it_and_downstream_keeps_its_copies(client: Any) -> None:
    setup_repository(client, "staging", "extra")
    client.create_repository(
        domain=DOMAIN,
        repository="prod",
        upstreams=[{"repositoryName": "staging"}, {"repositoryName": "extra"}],
    )
    publish(client, "1.0.0", b"payload")
    client.copy_package_versions(
        domain=DOMAIN,
        sourceRepository="staging",
        destinationRepository="prod",
        format="generic",
        namespace=NAMESPACE,
        package=PACKAGE,
        versions=["1.0.0"],
    )

    client.delete_repository(domain=DOMAIN, repository="staging")

    assert upstream_names(client, "prod") == ["extra"]
    listed = client.list_package_versions(**coordinates("prod"))["versions"]
    assert [(v["version"], v["status"]) for v in listed] == [("1.0.0", "Published")]


def test_delete_missing_repository_is_resource_not_found(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.delete_repository(domain=DOMAIN, repository="ghost")
    assert error["resourceType"] == "repository"
    assert error["resourceId"] == "ghost"


def test_delete_repository_in_a_missing_domain_is_resource_not_found_on_the_domain(client: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        client.delete_repository(domain="nowhere", repository="staging")
    assert error["resourceType"] == "domain"


# UpdateRepository


def test_update_repository_changes_the_description_and_keeps_the_upstreams(any_client: Any) -> None:
    setup_repository(any_client, "base")
    any_client.create_repository(domain=DOMAIN, repository="app", upstreams=[{"repositoryName": "base"}])

    updated = any_client.update_repository(domain=DOMAIN, repository="app", description="new words")

    assert_matches_model("UpdateRepository", updated)
    assert updated["repository"]["description"] == "new words"
    assert updated["repository"]["upstreams"] == [{"repositoryName": "base"}]
    assert (
        any_client.describe_repository(domain=DOMAIN, repository="app")["repository"]["description"]
        == "new words"
    )


def test_update_repository_replaces_the_upstreams_in_the_given_order(any_client: Any) -> None:
    setup_repository(any_client, "one", "two", "three")
    any_client.create_repository(
        domain=DOMAIN, repository="app", description="kept", upstreams=[{"repositoryName": "one"}]
    )

    updated = any_client.update_repository(
        domain=DOMAIN, repository="app", upstreams=[{"repositoryName": "three"}, {"repositoryName": "two"}]
    )["repository"]

    assert updated["upstreams"] == [{"repositoryName": "three"}, {"repositoryName": "two"}]
    assert updated["description"] == "kept"
    assert upstream_names(any_client, "app") == ["three", "two"]


def test_update_repository_with_no_upstreams_removes_them(client: Any) -> None:
    setup_repository(client, "base")
    client.create_repository(domain=DOMAIN, repository="app", upstreams=[{"repositoryName": "base"}])

    assert (
        client.update_repository(domain=DOMAIN, repository="app", upstreams=[])["repository"]["upstreams"]
        == []
    )
    assert upstream_names(client, "app") == []


INVALID_UPSTREAMS = {
    "its own upstream": ["app"],
    "a direct cycle: top has app as upstream": ["top"],
    "listed twice": ["base", "base"],
    "more than 10 direct upstreams": [f"repo-{index}" for index in range(11)],
}


def test_update_repository_refuses_invalid_upstreams_and_changes_nothing(any_client: Any) -> None:
    setup_repository(any_client, "base", *[f"repo-{index}" for index in range(11)])
    any_client.create_repository(domain=DOMAIN, repository="app", upstreams=[{"repositoryName": "base"}])
    any_client.create_repository(domain=DOMAIN, repository="top", upstreams=[{"repositoryName": "app"}])

    for why, upstreams in INVALID_UPSTREAMS.items():
        with raises_client_error("ValidationException") as error:
            any_client.update_repository(
                domain=DOMAIN, repository="app", upstreams=[{"repositoryName": name} for name in upstreams]
            )
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400, why
        assert upstream_names(any_client, "app") == ["base"], why


def test_update_repository_refuses_a_cycle_through_several_repositories(client: Any) -> None:
    setup_repository(client, "repo-c")
    client.create_repository(domain=DOMAIN, repository="repo-b", upstreams=[{"repositoryName": "repo-c"}])
    client.create_repository(domain=DOMAIN, repository="repo-a", upstreams=[{"repositoryName": "repo-b"}])

    with raises_client_error("ValidationException") as error:
        client.update_repository(domain=DOMAIN, repository="repo-c", upstreams=[{"repositoryName": "repo-a"}])

    assert "cycle" in error["Error"]["Message"]
    assert upstream_names(client, "repo-c") == []


def test_update_repository_with_a_missing_upstream_is_resource_not_found(any_client: Any) -> None:
    setup_repository(any_client, "app")
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.update_repository(domain=DOMAIN, repository="app", upstreams=[{"repositoryName": "ghost"}])
    assert error["resourceType"] == "repository"
    assert error["resourceId"] == "ghost"


def test_update_missing_repository_is_resource_not_found(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.update_repository(domain=DOMAIN, repository="ghost", description="x")
    assert error["resourceType"] == "repository"
    assert error["resourceId"] == "ghost"


def test_deleting_a_repository_also_deletes_rows_of_tables_added_later(service: Any, client: Any) -> None:
    # A table a later migration might add, hanging off package versions by a declared foreign key.
    with service.store.write() as conn:
        conn.execute(
            "CREATE TABLE version_note (version_id INTEGER NOT NULL REFERENCES package_version(id), note TEXT)"
        )
        conn.execute(
            """CREATE TABLE domain_note (region TEXT NOT NULL, owner TEXT NOT NULL, domain TEXT NOT NULL,
                   note TEXT, FOREIGN KEY (region, owner, domain) REFERENCES domain (region, owner, name))"""
        )
    setup_repository(client, "staging", "prod")
    publish(client, "1.0.0", b"payload")
    publish(client, "1.0.0", b"payload", repository="prod")
    with service.store.write() as conn:
        conn.execute("INSERT INTO version_note SELECT id, 'reviewed' FROM package_version")
        conn.execute(
            "INSERT INTO domain_note SELECT region, owner, name, 'kept' FROM domain WHERE name = ?", (DOMAIN,)
        )

    client.delete_repository(domain=DOMAIN, repository="staging")

    with service.store.read() as conn:
        notes = conn.execute("SELECT COUNT(*) FROM version_note").fetchone()[0]
        domain_notes = conn.execute("SELECT COUNT(*) FROM domain_note").fetchone()[0]
    assert notes == 1  # prod's version keeps its note
    assert domain_notes == 1
    client.delete_repository(domain=DOMAIN, repository="prod")
    client.delete_domain(domain=DOMAIN)
    with service.store.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM version_note").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM domain_note").fetchone()[0] == 0


def test_deleting_a_domain_removes_its_package_groups_and_a_repository_its_group_allowances(
    service: Any, client: Any
) -> None:
    setup_repository(client, "staging", "prod")
    client.create_package_group(domain=DOMAIN, packageGroup="/npm/acme/*")
    client.update_package_group_origin_configuration(
        domain=DOMAIN,
        packageGroup="/npm/acme/*",
        restrictions={"PUBLISH": "ALLOW_SPECIFIC_REPOSITORIES"},
        addAllowedRepositories=[{"repositoryName": "staging", "originRestrictionType": "PUBLISH"}],
    )

    client.delete_repository(domain=DOMAIN, repository="staging")
    allowed = client.list_allowed_repositories_for_group(
        domain=DOMAIN, packageGroup="/npm/acme/*", originRestrictionType="PUBLISH"
    )
    assert allowed["allowedRepositories"] == []

    client.delete_repository(domain=DOMAIN, repository="prod")
    client.delete_domain(domain=DOMAIN)
    with service.store.read() as conn:
        assert (
            conn.execute("SELECT COUNT(*) FROM package_group WHERE domain = ?", (DOMAIN,)).fetchone()[0] == 0
        )
    client.create_domain(domain=DOMAIN)  # the name is free again, with a fresh root group only
    listed = client.list_package_groups(domain=DOMAIN)["packageGroups"]
    assert [group["pattern"] for group in listed] == ["/*"]
