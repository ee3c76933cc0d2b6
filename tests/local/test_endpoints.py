"""GetAuthorizationToken and GetRepositoryEndpoint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from reconciler.local import BackgroundServer, LocalCodeArtifact, attach
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT
from tests.local.builders import DOMAIN, raises_client_error, setup_repository
from tests.local.shapes import assert_matches_model

ACCOUNT = "111122223333"
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@pytest.fixture
def clocked(tmp_path: Any) -> Iterator[LocalCodeArtifact]:
    with LocalCodeArtifact(tmp_path / "codeartifact.db", clock=lambda: NOW) as service:
        yield service


@pytest.fixture(params=["in-process", "http"])
def token_client(
    request: pytest.FixtureRequest, clocked: LocalCodeArtifact, boto_session: boto3.session.Session
) -> Iterator[Any]:
    """A boto3 client on a service whose clock stands still at NOW."""
    if request.param == "in-process":
        yield attach(boto_session.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), clocked)
        return
    with BackgroundServer(clocked) as server:
        yield boto_session.client("codeartifact", endpoint_url=server.endpoint_url)


def expires_after(response: dict[str, Any]) -> float:
    return float(response["expiration"].timestamp() - NOW)


def test_get_authorization_token_lasts_twelve_hours_by_default(token_client: Any) -> None:
    token_client.create_domain(domain=DOMAIN)

    issued = token_client.get_authorization_token(domain=DOMAIN)

    assert_matches_model("GetAuthorizationToken", issued)
    assert len(issued["authorizationToken"]) > 20
    assert issued["expiration"].tzinfo is not None
    assert expires_after(issued) == 12 * 3600


def test_get_authorization_token_takes_the_documented_durations(token_client: Any) -> None:
    token_client.create_domain(domain=DOMAIN)
    for duration, lifetime in ((900, 900), (43200, 43200), (3600, 3600), (0, 43200)):
        issued = token_client.get_authorization_token(domain=DOMAIN, durationSeconds=duration)
        assert expires_after(issued) == lifetime, duration


def test_each_authorization_token_is_new(token_client: Any) -> None:
    token_client.create_domain(domain=DOMAIN)
    first = token_client.get_authorization_token(domain=DOMAIN)["authorizationToken"]
    assert token_client.get_authorization_token(domain=DOMAIN)["authorizationToken"] != first


def test_durations_outside_the_documented_ones_are_validation_errors(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    for duration in (1, 899, 43201):
        with raises_client_error("ValidationException") as error:
            any_client.get_authorization_token(domain=DOMAIN, durationSeconds=duration)
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400, duration


def test_authorization_token_for_a_missing_domain_is_resource_not_found(any_client: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.get_authorization_token(domain="nowhere")
    assert error["resourceType"] == "domain"
    assert error["resourceId"] == "nowhere"


def test_repository_endpoint_over_http_is_a_url_of_this_server(
    server: BackgroundServer, http_client: Any
) -> None:
    setup_repository(http_client, "staging")

    endpoint = http_client.get_repository_endpoint(domain=DOMAIN, repository="staging", format="npm")

    assert_matches_model("GetRepositoryEndpoint", endpoint)
    assert endpoint["repositoryEndpoint"] == f"{server.endpoint_url}/{DOMAIN}-{ACCOUNT}/npm/staging/"


def test_repository_endpoint_in_process_is_under_the_clients_endpoint(client: Any) -> None:
    setup_repository(client, "staging")

    endpoint = client.get_repository_endpoint(domain=DOMAIN, repository="staging", format="pypi")

    assert endpoint["repositoryEndpoint"] == f"{IN_PROCESS_ENDPOINT}/{DOMAIN}-{ACCOUNT}/pypi/staging/"


def test_both_endpoint_types_name_this_server(any_client: Any) -> None:
    setup_repository(any_client, "staging")
    plain = any_client.get_repository_endpoint(domain=DOMAIN, repository="staging", format="maven")
    for endpoint_type in ("ipv4", "dualstack"):
        typed = any_client.get_repository_endpoint(
            domain=DOMAIN, repository="staging", format="maven", endpointType=endpoint_type
        )
        assert typed["repositoryEndpoint"] == plain["repositoryEndpoint"], endpoint_type
    assert plain["repositoryEndpoint"].endswith(f"/{DOMAIN}-{ACCOUNT}/maven/staging/")


def test_an_unknown_endpoint_type_is_a_validation_error(any_client: Any) -> None:
    setup_repository(any_client, "staging")
    with raises_client_error("ValidationException"):
        any_client.get_repository_endpoint(
            domain=DOMAIN, repository="staging", format="npm", endpointType="ipv6"
        )


def test_repository_endpoint_of_a_missing_repository_is_resource_not_found(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.get_repository_endpoint(domain=DOMAIN, repository="ghost", format="npm")
    assert error["resourceType"] == "repository"
    assert error["resourceId"] == "ghost"


def test_token_expiration_is_a_utc_moment(token_client: Any) -> None:
    token_client.create_domain(domain=DOMAIN)
    expiration = token_client.get_authorization_token(domain=DOMAIN, durationSeconds=900)["expiration"]
    assert expiration.astimezone(dt.UTC) == dt.datetime(2026, 1, 1, 0, 15, tzinfo=dt.UTC)
