"""Quotas as data: one table with sources, AWS's defaults, each overridable in the server options."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.local import LocalCodeArtifact, attach
from reconciler.local.context import Options
from reconciler.local.errors import ThrottlingException
from reconciler.local.faults import OPERATION_QUOTAS, FaultInjector, Faults
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT
from reconciler.local.quotas import DEFAULTS, QUOTAS, RATE_QUOTAS, parse_overrides
from tests.local.builders import (
    coordinates,
    generic,
    publish,
    raises_client_error,
    seed,
    seed_packages,
    setup_repository,
)


def test_every_quota_has_a_source_and_is_an_option_with_its_default() -> None:
    fields = {field.name: field.default for field in dataclasses.fields(Options)}

    for quota in QUOTAS:
        assert quota.source.strip(), quota.name
        assert fields[quota.name] == quota.default, quota.name
    assert OPERATION_QUOTAS is RATE_QUOTAS  # the fault injector throttles at the same table


def test_the_defaults_are_the_documented_quotas() -> None:
    assert DEFAULTS["assets_per_version"] == 350
    assert DEFAULTS["domains_per_account"] == 10
    assert DEFAULTS["repositories_per_domain"] == 1000
    assert DEFAULTS["direct_upstreams"] == 10
    assert DEFAULTS["upstreams_searched"] == 25
    assert DEFAULTS["versions_per_batch"] == 100
    assert DEFAULTS["default_version_page_size"] == 50


@pytest.fixture
def limited(tmp_path: Path, boto_session: boto3.session.Session) -> Iterator[Any]:
    """A client of a service whose quotas are all overridden low."""
    options = Options(
        asset_file_size=4,
        domains_per_account=1,
        repositories_per_domain=3,
        direct_upstreams=1,
        versions_per_batch=2,
        default_version_page_size=3,
        default_page_size=1,
    )
    with LocalCodeArtifact(tmp_path / "limited.db", options=options) as service:
        yield service, attach(boto_session.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service)


def test_a_version_holds_350_assets_and_not_one_more(service: LocalCodeArtifact, client: Any) -> None:
    assets = [{"name": f"part-{index:03}.bin", "content": str(index)} for index in range(349)]
    seed_packages(service, [generic([{"version": "1.0.0", "status": "Unfinished", "assets": assets}])])

    publish(client, "1.0.0", b"the 350th", asset="part-349.bin", unfinished=True)
    with raises_client_error("ServiceQuotaExceededException") as error:
        publish(client, "1.0.0", b"the 351st", asset="part-350.bin", unfinished=True)

    assert error["resourceType"] == "package-version"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 402
    listed = client.list_package_version_assets(**coordinates(), packageVersion="1.0.0", maxResults=1000)
    assert len(listed["assets"]) == 350


def test_overridden_resource_quotas_are_enforced(limited: tuple[LocalCodeArtifact, Any]) -> None:
    _, client = limited
    setup_repository(client, "up", "staging", "prod")

    with raises_client_error("ServiceQuotaExceededException") as domains:
        client.create_domain(domain="second")
    with raises_client_error("ServiceQuotaExceededException") as repositories:
        client.create_repository(domain="acme", repository="fourth")
    with raises_client_error("ServiceQuotaExceededException") as size:
        publish(client, "1.0.0", b"12345")

    assert domains["resourceType"] == "domain"
    assert repositories["resourceType"] == "domain"
    assert size["resourceType"] == "asset"
    assert publish(client, "1.0.0", b"1234")["asset"]["size"] == 4


def test_overridden_request_limits_are_enforced(limited: tuple[LocalCodeArtifact, Any]) -> None:
    service, client = limited
    seed_packages(service, [generic(["1", "2", "3", "4"])])
    seed(service, [], domain="beta")  # seeding is not held to the domain quota

    with raises_client_error("ValidationException"):
        client.update_package_versions_status(
            **coordinates(), versions=["1", "2", "3"], targetStatus="Archived"
        )
    page = client.list_package_versions(**coordinates())
    domains = client.list_domains()

    assert len(page["versions"]) == 3
    assert len(domains["domains"]) == 1
    assert "nextToken" in domains


def test_overridden_upstream_limit_is_enforced(limited: tuple[LocalCodeArtifact, Any]) -> None:
    _, client = limited
    setup_repository(client, "up-1", "up-2")

    with raises_client_error("ValidationException"):
        client.create_repository(
            domain="acme",
            repository="down",
            upstreams=[{"repositoryName": "up-1"}, {"repositoryName": "up-2"}],
        )


def test_parse_overrides_reads_limits_and_rates_and_refuses_the_rest() -> None:
    parsed = parse_overrides(
        ["assets-per-version=2", "domains_per_account=3", "CopyPackageVersions=20", "account-writes=2.5"]
    )

    assert parsed.limits == {"assets_per_version": 2, "domains_per_account": 3}
    assert parsed.rates == {"CopyPackageVersions": 20.0, "account_writes": 2.5}
    for bad, reason in (
        ("bogus=1", "give NAME=VALUE"),
        ("assets_per_version", "give NAME=VALUE"),
        ("assets_per_version=x", "whole number"),
        ("assets_per_version=-1", "must not be negative"),
        ("ListPackages=0", "positive number"),
        ("ListPackages=fast", "requests per second"),
    ):
        with pytest.raises(ValueError, match=reason):
            parse_overrides([bad])


def test_overridden_request_rates_are_throttled_at() -> None:
    rates = (("ListPackages", 2.0), ("account_writes", 1.0))
    injector = FaultInjector(Faults(quotas=True, rates=rates), clock=lambda: 0.0, sleep=lambda _: None)

    injector.before("ListPackages", writes=False)
    injector.before("ListPackages", writes=False)
    with pytest.raises(ThrottlingException):
        injector.before("ListPackages", writes=False)
    injector.before("CreateDomain", writes=True)
    with pytest.raises(ThrottlingException):
        injector.before("UpdatePackageVersionsStatus", writes=True)
    injector.before("ListPackageVersions", writes=False)  # its own default rate, untouched


def test_serve_refuses_an_unknown_quota_with_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["local", "serve", "--db", ":memory:", "--quota", "bogus=1"])

    assert result.exit_code == 1  # a usage error: 2 means only "changes present" or "drift found"
    assert "--quota" in result.output
    assert "assets_per_version" in result.output
