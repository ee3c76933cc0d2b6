"""The package a batch or a listing names is found in one query (`packages.package_id_of`): the
same package as the lookups one by one, in the request's own Region and domain owner only, and the
same ResourceNotFoundException, with its resourceType, for whichever of domain, repository or
package is missing. Real boto3 clients of two Regions against the service in process."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from reconciler.local import LocalCodeArtifact, attach
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT
from tests.local.builders import DOMAIN, REPO, coordinates, publish, raises_client_error


def _client(service: LocalCodeArtifact, region: str) -> Any:
    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name=region
    )
    return attach(session.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service)


@pytest.fixture
def regions(service: LocalCodeArtifact) -> tuple[Any, Any]:
    """One domain, repository and package of the same names in two Regions, one version each."""
    us, eu = _client(service, "us-east-1"), _client(service, "eu-west-1")
    for client, content in ((us, b"us"), (eu, b"eu")):
        client.create_domain(domain=DOMAIN)
        client.create_repository(domain=DOMAIN, repository=REPO)
        publish(client, "1.0.0", content)
    return us, eu


def _status(client: Any) -> str:
    return str(client.list_package_versions(**coordinates())["versions"][0]["status"])


def test_a_batch_changes_the_package_of_its_own_region_only(regions: tuple[Any, Any]) -> None:
    us, eu = regions
    revision = eu.list_package_versions(**coordinates())["versions"][0]["revision"]
    answer = eu.update_package_versions_status(
        **coordinates(), versions=["1.0.0"], versionRevisions={"1.0.0": revision}, targetStatus="Archived"
    )
    assert answer["successfulVersions"] == {"1.0.0": {"revision": revision, "status": "Archived"}}
    assert (_status(us), _status(eu)) == ("Published", "Archived")


def test_another_accounts_domain_of_the_same_name_is_not_found(regions: tuple[Any, Any]) -> None:
    us, _ = regions
    with raises_client_error("ResourceNotFoundException") as error:
        us.list_package_versions(**coordinates(), domainOwner="444455556666")
    assert error["resourceType"] == "domain"


@pytest.mark.parametrize(
    ("missing", "resource_type"),
    [
        ({"domain": "ghost"}, "domain"),
        ({"repository": "ghost"}, "repository"),
        ({"package": "ghost"}, "package"),
    ],
)
@pytest.mark.parametrize("operation", ["list", "update"])
def test_whichever_name_is_missing_is_the_resource_not_found(
    regions: tuple[Any, Any], missing: dict[str, str], resource_type: str, operation: str
) -> None:
    us, _ = regions
    params = {**coordinates(), "domain": DOMAIN, **missing}
    with raises_client_error("ResourceNotFoundException") as error:
        if operation == "list":
            us.list_package_versions(**params)
        else:
            us.update_package_versions_status(**params, versions=["1.0.0"], targetStatus="Unlisted")
    assert (error["resourceType"], error["resourceId"]) == (resource_type, "ghost")
