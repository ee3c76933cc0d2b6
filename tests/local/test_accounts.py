"""The account model: callers, domain owners, domainOwner, ARNs and administrator accounts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.local import BackgroundServer, LocalCodeArtifact, attach
from reconciler.local.context import Options
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT
from reconciler.local.seed import SeedError, seed_service
from tests.local.builders import domains_document, raises_client_error

CALLER = "444455556666"
OTHER = "111122223333"


def _domain(
    name: str, owner: str | None = None, repositories: tuple[str, ...] = ("staging",)
) -> dict[str, Any]:
    domain: dict[str, Any] = {
        "name": name,
        "repositories": [
            {
                "name": repository,
                "packages": [
                    {"format": "generic", "namespace": "tools", "name": "cli", "versions": ["1.0.0", "2.0.0"]}
                ],
            }
            for repository in repositories
        ],
    }
    if owner is not None:
        domain["owner"] = owner
    return domain


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database seeded under account OTHER: domain `shared` (OTHER's by default), and `acme`
    declared as owned by CALLER."""
    path = tmp_path / "accounts.db"
    with LocalCodeArtifact(path, account_id=OTHER) as seeding:
        seed_service(
            seeding,
            domains_document([_domain("shared", repositories=("staging", "prod")), _domain("acme", CALLER)]),
        )
    return path


@pytest.fixture
def served(db: Path) -> Iterator[LocalCodeArtifact]:
    """The same database, served under account CALLER."""
    with LocalCodeArtifact(db, account_id=CALLER) as service:
        yield service


@pytest.fixture(params=["in-process", "http"])
def caller(
    request: pytest.FixtureRequest, served: LocalCodeArtifact, boto_session: boto3.session.Session
) -> Any:
    """A boto3 client of account CALLER, in process and over HTTP."""
    if request.param == "in-process":
        yield attach(boto_session.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), served)
        return
    with BackgroundServer(served) as server:
        yield boto_session.client("codeartifact", endpoint_url=server.endpoint_url)


def _versions(client: Any, domain: str, **owner: str) -> list[str]:
    listed = client.list_package_versions(
        domain=domain, repository="staging", format="generic", namespace="tools", package="cli", **owner
    )
    return [v["version"] for v in listed["versions"]]


def test_list_domains_lists_only_the_callers_domains(caller: Any) -> None:
    domains = caller.list_domains()["domains"]

    assert [(d["name"], d["owner"]) for d in domains] == [("acme", CALLER)]
    assert domains[0]["arn"] == f"arn:aws:codeartifact:us-east-1:{CALLER}:domain/acme"


def test_a_domain_of_another_account_is_not_found_without_its_domain_owner(caller: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        caller.describe_domain(domain="shared")
    assert error["resourceType"] == "domain"
    assert error["resourceId"] == "shared"
    with raises_client_error("ResourceNotFoundException"):
        _versions(caller, "shared")
    with raises_client_error("ResourceNotFoundException"):
        caller.describe_domain(domain="shared", domainOwner=CALLER)


def test_a_domain_of_another_account_is_reached_with_its_domain_owner(caller: Any) -> None:
    domain = caller.describe_domain(domain="shared", domainOwner=OTHER)["domain"]

    assert domain["owner"] == OTHER
    assert domain["arn"] == f"arn:aws:codeartifact:us-east-1:{OTHER}:domain/shared"
    assert domain["encryptionKey"].startswith(f"arn:aws:kms:us-east-1:{OTHER}:")
    assert domain["repositoryCount"] == 2
    assert _versions(caller, "shared", domainOwner=OTHER) == ["1.0.0", "2.0.0"]


def test_the_callers_own_domain_is_reached_with_or_without_domain_owner(caller: Any) -> None:
    without = caller.describe_domain(domain="acme")["domain"]
    with_owner = caller.describe_domain(domain="acme", domainOwner=CALLER)["domain"]

    assert without == with_owner
    assert without["owner"] == CALLER
    assert _versions(caller, "acme") == _versions(caller, "acme", domainOwner=CALLER) == ["1.0.0", "2.0.0"]


def test_repositories_of_another_accounts_domain_carry_its_owner_everywhere(caller: Any) -> None:
    repository = caller.describe_repository(domain="shared", domainOwner=OTHER, repository="staging")[
        "repository"
    ]
    listed = caller.list_repositories_in_domain(domain="shared", domainOwner=OTHER)["repositories"]

    assert repository["domainOwner"] == OTHER
    assert repository["administratorAccount"] == OTHER  # seeded by default by the domain's owner
    assert repository["arn"] == f"arn:aws:codeartifact:us-east-1:{OTHER}:repository/shared/staging"
    assert [(r["name"], r["domainOwner"], r["administratorAccount"]) for r in listed] == [
        ("prod", OTHER, OTHER),
        ("staging", OTHER, OTHER),
    ]


def test_a_repository_created_in_another_accounts_domain_is_administered_by_the_caller(caller: Any) -> None:
    created = caller.create_repository(domain="shared", domainOwner=OTHER, repository="team")["repository"]

    assert created["domainOwner"] == OTHER
    assert created["administratorAccount"] == CALLER
    assert created["arn"] == f"arn:aws:codeartifact:us-east-1:{OTHER}:repository/shared/team"
    mine = caller.list_repositories()["repositories"]
    assert sorted((r["domainName"], r["name"]) for r in mine) == [("acme", "staging"), ("shared", "team")]
    filtered = caller.list_repositories_in_domain(
        domain="shared", domainOwner=OTHER, administratorAccount=CALLER
    )
    assert [r["name"] for r in filtered["repositories"]] == ["team"]


def test_two_accounts_may_each_own_a_domain_of_the_same_name(caller: Any) -> None:
    created = caller.create_domain(domain="shared")["domain"]
    caller.create_repository(domain="shared", repository="mine")

    assert created["owner"] == CALLER
    assert created["arn"] == f"arn:aws:codeartifact:us-east-1:{CALLER}:domain/shared"
    assert [r["name"] for r in caller.list_repositories_in_domain(domain="shared")["repositories"]] == [
        "mine"
    ]
    theirs = caller.list_repositories_in_domain(domain="shared", domainOwner=OTHER)["repositories"]
    assert [r["name"] for r in theirs] == ["prod", "staging"]
    assert caller.describe_domain(domain="shared", domainOwner=OTHER)["domain"]["repositoryCount"] == 2


def test_batch_operations_act_on_the_domain_their_domain_owner_names(caller: Any) -> None:
    coordinates = {"repository": "staging", "format": "generic", "namespace": "tools", "package": "cli"}

    updated = caller.update_package_versions_status(
        domain="shared", domainOwner=OTHER, versions=["1.0.0"], targetStatus="Archived", **coordinates
    )
    copied = caller.copy_package_versions(
        domain="shared",
        domainOwner=OTHER,
        sourceRepository="staging",
        destinationRepository="prod",
        format="generic",
        namespace="tools",
        package="cli",
        versions=["2.0.0"],
        allowOverwrite=True,
    )

    assert updated["successfulVersions"]["1.0.0"]["status"] == "Archived"
    assert copied["failedVersions"] == {}
    mine = caller.list_package_versions(domain="acme", **coordinates)["versions"]
    assert {v["version"]: v["status"] for v in mine} == {"1.0.0": "Published", "2.0.0": "Published"}


def test_the_domain_quota_counts_only_the_callers_domains(
    db: Path, boto_session: boto3.session.Session
) -> None:
    with LocalCodeArtifact(db, account_id=CALLER, options=Options(domains_per_account=2)) as service:
        client = attach(boto_session.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service)
        client.create_domain(domain="second")  # OTHER's domain does not count against CALLER
        with raises_client_error("ServiceQuotaExceededException") as error:
            client.create_domain(domain="third")
    assert error["resourceType"] == "domain"


def test_a_seed_names_the_owner_in_its_duplicate_domain_error(tmp_path: Path) -> None:
    with LocalCodeArtifact(tmp_path / "twice.db", account_id=CALLER) as service:
        seed_service(service, domains_document([_domain("acme", OTHER), _domain("acme")]))  # two owners: fine
        with pytest.raises(SeedError, match=f"domain acme of account {OTHER} already exists"):
            seed_service(service, domains_document([_domain("acme", OTHER)]))


def test_arns_carry_the_domain_owners_account_whoever_calls(tmp_path: Path) -> None:
    with LocalCodeArtifact(tmp_path / "arns.db", account_id=CALLER) as service:
        ctx = service.context(service.store.connection(), "eu-west-1")

        assert ctx.owner(None) == CALLER
        assert ctx.owner(OTHER) == OTHER
        assert ctx.domain_arn("shared", OTHER) == f"arn:aws:codeartifact:eu-west-1:{OTHER}:domain/shared"
        assert ctx.repository_arn("shared", "staging", OTHER) == (
            f"arn:aws:codeartifact:eu-west-1:{OTHER}:repository/shared/staging"
        )
        # User Guide, "AWS CodeArtifact resources and operations": an empty namespace segment.
        assert ctx.package_arn("shared", "staging", "npm", None, "lodash", OTHER) == (
            f"arn:aws:codeartifact:eu-west-1:{OTHER}:package/shared/staging/npm//lodash"
        )
        assert ctx.package_arn("acme", "staging", "maven", "com.acme", "lib") == (
            f"arn:aws:codeartifact:eu-west-1:{CALLER}:package/acme/staging/maven/com.acme/lib"
        )
