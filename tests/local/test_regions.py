"""Domains are regional, as on AWS: a request's Region (its SigV4 credential scope) decides which
domains it sees, so one account's domain of one name in two Regions is two domains, each with its
own repositories, packages, policies and package groups, and every ARN names its Region. Real boto3
clients of two Regions, in process and over HTTP; an older database keeps its domains in us-east-1;
a seed places a domain in the Region it names."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.local import BackgroundServer, LocalCodeArtifact, attach
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT
from reconciler.local.seed import SeedDocument, seed_service
from reconciler.local.store import MIGRATIONS, _statements
from tests.local.builders import PACKAGE, publish

Clients = Callable[[str], Any]  # a client of the given Region


def _session(region: str) -> boto3.session.Session:
    return boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=region)


@pytest.fixture(params=["in-process", "http"])
def clients(request: pytest.FixtureRequest, service: LocalCodeArtifact) -> Any:
    if request.param == "in-process":
        yield lambda region: attach(
            _session(region).client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service
        )
        return
    with BackgroundServer(service) as server:
        yield lambda region: _session(region).client("codeartifact", endpoint_url=server.endpoint_url)


def test_one_domain_name_in_two_regions_is_two_domains(clients: Clients) -> None:
    us, eu = clients("us-east-1"), clients("eu-west-1")
    us.create_domain(domain="acme")
    assert eu.list_domains()["domains"] == []
    with pytest.raises(eu.exceptions.ResourceNotFoundException):
        eu.describe_domain(domain="acme")

    eu.create_domain(domain="acme")  # not a conflict: another Region
    assert (
        us.describe_domain(domain="acme")["domain"]["arn"]
        == "arn:aws:codeartifact:us-east-1:111122223333:domain/acme"
    )
    assert (
        eu.describe_domain(domain="acme")["domain"]["arn"]
        == "arn:aws:codeartifact:eu-west-1:111122223333:domain/acme"
    )

    us.create_repository(domain="acme", repository="prod")
    assert eu.list_repositories_in_domain(domain="acme")["repositories"] == []
    assert eu.list_repositories()["repositories"] == []
    eu.create_repository(domain="acme", repository="prod", description="emea")
    assert [r["arn"] for r in eu.list_repositories()["repositories"]] == [
        "arn:aws:codeartifact:eu-west-1:111122223333:repository/acme/prod"
    ]
    assert eu.describe_repository(domain="acme", repository="prod")["repository"]["description"] == "emea"
    assert "description" not in us.describe_repository(domain="acme", repository="prod")["repository"]


def test_a_region_of_any_spelling_is_its_own_region_not_us_east_1(clients: Clients) -> None:
    # A client signs for whatever Region it was given; the service must not quietly answer it from
    # us-east-1, where a mistyped --region would then find the real domains.
    clients("us-east-1").create_domain(domain="acme")
    mistyped = clients("US-East-1")
    assert mistyped.list_domains()["domains"] == []
    with pytest.raises(mistyped.exceptions.ResourceNotFoundException):
        mistyped.describe_domain(domain="acme")


def test_each_regions_packages_policies_and_groups_are_its_own(clients: Clients) -> None:
    us, eu = clients("us-east-1"), clients("eu-west-1")
    for client in (us, eu):
        client.create_domain(domain="acme")
        client.create_repository(domain="acme", repository="prod")
    publish(us, "1.0.0", b"us", repository="prod")
    listed = eu.list_packages(domain="acme", repository="prod")["packages"]
    assert listed == []

    us.create_package_group(domain="acme", packageGroup="/npm/*")
    assert [g["pattern"] for g in eu.list_package_groups(domain="acme")["packageGroups"]] == ["/*"]
    policy = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}'
    us.put_domain_permissions_policy(domain="acme", policyDocument=policy)
    with pytest.raises(eu.exceptions.ResourceNotFoundException):
        eu.get_domain_permissions_policy(domain="acme")

    eu.delete_repository(domain="acme", repository="prod")
    eu.delete_domain(domain="acme")
    assert [d["name"] for d in us.list_domains()["domains"]] == ["acme"]
    assert [p["package"] for p in us.list_packages(domain="acme", repository="prod")["packages"]] == [PACKAGE]


def test_a_seed_places_each_domain_in_its_region(tmp_path: Path) -> None:
    seed = SeedDocument.model_validate(
        {
            "apiVersion": "reconciler/v1",
            "kind": "LocalSeed",
            "domains": [
                {"name": "acme", "repositories": [{"name": "prod"}]},
                {"name": "acme", "region": "eu-west-1", "repositories": [{"name": "emea"}]},
            ],
        }
    )
    with LocalCodeArtifact(tmp_path / "seeded.db") as service:
        seed_service(service, seed)
        for region, repository in (("us-east-1", "prod"), ("eu-west-1", "emea")):
            client = attach(
                _session(region).client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service
            )
            names = [r["name"] for r in client.list_repositories_in_domain(domain="acme")["repositories"]]
            assert names == [repository]
            encryption = client.describe_domain(domain="acme")["domain"]["encryptionKey"]
            assert encryption.startswith(f"arn:aws:kms:{region}:")


def test_a_database_made_before_regions_keeps_its_domains_in_us_east_1(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:5], start=1):
        for statement in _statements(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute(
        "INSERT INTO domain (owner, name, created_time, encryption_key) VALUES ('111122223333', 'acme', 0, 'k')"
    )
    conn.execute(
        """INSERT INTO repository (id, domain_owner, domain, name, administrator_account, created_time)
           VALUES (7, '111122223333', 'acme', 'prod', '111122223333', 0)"""
    )
    conn.execute(
        """INSERT INTO resource_policy (domain_owner, domain, repository, revision, document)
           VALUES ('111122223333', 'acme', '', 'r1', '{"Version": "2012-10-17", "Statement": []}')"""
    )
    conn.close()

    with LocalCodeArtifact(db) as service:
        us = attach(_session("us-east-1").client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service)
        eu = attach(_session("eu-west-1").client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service)
        assert us.describe_repository(domain="acme", repository="prod")["repository"]["arn"].startswith(
            "arn:aws:codeartifact:us-east-1:"
        )
        assert us.get_domain_permissions_policy(domain="acme")["policy"]["revision"] == "r1"
        assert eu.list_domains()["domains"] == []
        version = service.store.connection().execute("PRAGMA user_version").fetchone()[0]
    assert version == len(MIGRATIONS)


def test_seed_refuses_a_region_no_client_could_sign_for(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("apiVersion: reconciler/v1\nkind: LocalSeed\ndomains:\n  - name: acme\n")
    db = tmp_path / "seeded.db"

    refused = CliRunner().invoke(cli, ["local", "seed", str(seed), "--db", str(db), "--region", "Mars"])

    assert refused.exit_code == 1, refused.output  # usage errors exit 1 (the README's contract)
    assert (
        "Invalid value for '--region': expected an AWS Region code such as us-east-1 or eu-west-2, got 'Mars'"
        in (refused.output)
    )
    assert not db.exists()
    seeded = CliRunner().invoke(cli, ["local", "seed", str(seed), "--db", str(db), "--region", "eu-west-1"])
    assert seeded.exit_code == 0, seeded.output


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("region", "US East", "an AWS Region code such as us-east-1 or eu-west-2"),
        ("owner", "1111-2222-3333", 'an AWS account id: 12 digits, quoted ("111122223333")'),
    ],
)
def test_a_seed_files_region_or_owner_that_is_not_one_is_named_with_what_is_expected(
    tmp_path: Path, field: str, value: str, expected: str
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        f"apiVersion: reconciler/v1\nkind: LocalSeed\ndomains:\n  - name: acme\n    {field}: {value}\n"
    )
    refused = CliRunner().invoke(cli, ["local", "seed", str(seed), "--db", str(tmp_path / "x.db")])
    assert refused.exit_code == 1
    assert f"{seed}:5: domains[0].{field}: expected {expected}, got {value!r}" in refused.output


def test_a_seed_takes_every_region_a_manifest_may_name(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "apiVersion: reconciler/v1\nkind: LocalSeed\ndomains:\n  - name: acme\n    region: eusc-de-east-1\n"
    )
    seeded = CliRunner().invoke(cli, ["local", "seed", str(seed), "--db", str(tmp_path / "x.db")])
    assert seeded.exit_code == 0, seeded.output
    with LocalCodeArtifact(tmp_path / "x.db") as service:
        client = attach(
            _session("eusc-de-east-1").client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service
        )
        assert [domain["name"] for domain in client.list_domains()["domains"]] == ["acme"]
