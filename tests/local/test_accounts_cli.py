"""Accounts end to end: `reconciler local seed --account-id A`, then `serve --account-id B`, driven by
boto3 and the AWS CLI (`--domain-owner`) over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from tests.local.awscli import aws, aws_json
from tests.local.builders import publish, raises_client_error, write_seed
from tests.local.serving import ServeProcess, boto3_client, running_server

pytestmark = [pytest.mark.http]

SEEDER = "111122223333"
CALLER = "444455556666"
SEED = f"""\
apiVersion: reconciler/v1
kind: LocalSeed
domains:
  - name: shared            # owned by the seeding account
    repositories:
      - name: staging
        packages:
          - {{format: generic, namespace: tools, name: cli, versions: ["1.0.0", "2.0.0"]}}
  - name: acme
    owner: "{CALLER}"
    repositories:
      - name: staging
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """A database seeded under SEEDER, served under CALLER (with one quota overridden)."""
    workdir = tmp_path_factory.mktemp("accounts")
    seed_file = write_seed(workdir, SEED)
    db = str(workdir / "local.db")
    seeded = CliRunner().invoke(cli, ["local", "seed", str(seed_file), "--db", db, "--account-id", SEEDER])
    assert seeded.exit_code == 0, seeded.output
    with running_server(
        workdir, "--db", db, "--account-id", CALLER, "--quota", "assets_per_version=1"
    ) as process:
        yield process


def test_boto3_lists_only_the_serving_accounts_domains(server: ServeProcess) -> None:
    domains = boto3_client(server.endpoint_url).list_domains()["domains"]

    assert [(d["name"], d["owner"]) for d in domains] == [("acme", CALLER)]


def test_boto3_reaches_the_seeding_accounts_domain_only_with_its_domain_owner(server: ServeProcess) -> None:
    client = boto3_client(server.endpoint_url)
    package = {"repository": "staging", "format": "generic", "namespace": "tools", "package": "cli"}

    with raises_client_error("ResourceNotFoundException"):
        client.list_package_versions(domain="shared", **package)
    listed = client.list_package_versions(domain="shared", domainOwner=SEEDER, **package)
    domain = client.describe_domain(domain="shared", domainOwner=SEEDER)["domain"]

    assert [v["version"] for v in listed["versions"]] == ["1.0.0", "2.0.0"]
    assert (domain["owner"], domain["arn"]) == (
        SEEDER,
        f"arn:aws:codeartifact:us-east-1:{SEEDER}:domain/shared",
    )


@pytest.mark.awscli
def test_aws_cli_without_domain_owner_does_not_find_another_accounts_domain(
    server: ServeProcess, cli_env: dict[str, str]
) -> None:
    result = aws(server.endpoint_url, cli_env, "describe-domain", "--domain", "shared")

    assert result.returncode in (254, 255)
    assert "(ResourceNotFoundException) when calling the DescribeDomain operation" in result.stderr


@pytest.mark.awscli
def test_aws_cli_with_domain_owner_reaches_another_accounts_domain(
    server: ServeProcess, cli_env: dict[str, str]
) -> None:
    owner = ("--domain", "shared", "--domain-owner", SEEDER)
    domain = aws_json(server.endpoint_url, cli_env, "describe-domain", *owner)["domain"]
    listed = aws_json(
        server.endpoint_url, cli_env, "list-package-versions", *owner, "--repository", "staging",
        "--format", "generic", "--namespace", "tools", "--package", "cli",
    )  # fmt: skip

    assert domain["owner"] == SEEDER
    assert domain["arn"] == f"arn:aws:codeartifact:us-east-1:{SEEDER}:domain/shared"
    assert [v["version"] for v in listed["versions"]] == ["1.0.0", "2.0.0"]


@pytest.mark.awscli
def test_aws_cli_reaches_the_serving_accounts_domain_with_or_without_domain_owner(
    server: ServeProcess, cli_env: dict[str, str]
) -> None:
    without = aws_json(server.endpoint_url, cli_env, "describe-domain", "--domain", "acme")
    with_owner = aws_json(
        server.endpoint_url, cli_env, "describe-domain", "--domain", "acme", "--domain-owner", CALLER
    )

    assert without == with_owner
    assert without["domain"]["owner"] == CALLER


def test_serve_applies_a_quota_override(server: ServeProcess) -> None:
    client = boto3_client(server.endpoint_url)

    publish(client, "1.0.0", b"one", asset="one.bin", unfinished=True)
    with raises_client_error("ServiceQuotaExceededException") as error:
        publish(client, "1.0.0", b"two", asset="two.bin", unfinished=True)

    assert error["resourceType"] == "package-version"
    assert "at most 1 assets" in error["Error"]["Message"]
