"""Several Regions in one run, end to end through the command line, in process and over HTTP: one
plan reads each Region with its own client and records a target per Region, one apply changes both,
a plan with nothing left, drift in sync; drift found in one Region names it; and a plan is refused as
a whole, before any write, when one of its targets is not the one it was made for."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact, local_client
from reconciler.planfile import read_plan
from tests.functional.conftest import seeded_file
from tests.functional.test_apply import aws_env, run, served

__all__ = ["aws_env"]  # a fixture used by the tests below

PACKAGE = {"format": "pypi", "name": "acme-schemas", "versions": ["1.0.0", "1.1.0b1", "1.1.0"]}
# Two domains of one name, each in its own Region (the seed's `region`) and of its own owner; both hold
# the same repository and package.
SEED = {
    "apiVersion": "reconciler/v1",
    "kind": "LocalSeed",
    "domains": [
        {"name": "acme", "repositories": [{"name": "prod", "packages": [PACKAGE]}]},
        {
            "name": "acme",
            "owner": "444455556666",
            "region": "eu-west-1",
            "repositories": [{"name": "prod", "packages": [PACKAGE]}],
        },
    ],
}


def manifest(domain: str, region: str, owner: str | None = None) -> str:
    owned = f"  domain_owner: '{owner}'\n" if owner else ""
    return f"""\
apiVersion: reconciler/v1
kind: PackageLifecycle
target:
  domain: {domain}
{owned}  repository: prod
  region: {region}
packages:
  - format: pypi
    name: acme-schemas
    rules:
      - prerelease: true
        status: Unlisted
"""


@pytest.fixture(scope="module")
def seeded_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_file(tmp_path_factory, SEED)


@pytest.fixture(params=["local", "http"])
def backend(request: pytest.FixtureRequest, db: Path) -> Iterator[list[str]]:
    """The backend options without --region: the manifests name their Regions."""
    if request.param == "local":
        yield ["--local", str(db)]
        return
    request.getfixturevalue("aws_env")
    with served(db) as (options, _):
        yield options[:2]  # --endpoint-url URL


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "us.yaml").write_text(manifest("acme", "us-east-1"))
    (folder / "eu.yaml").write_text(manifest("acme", "eu-west-1", "444455556666"))
    return folder


def statuses(db: Path, domain: str, region: str, owner: str | None = None) -> dict[str, str]:
    """The versions of acme-schemas in `domain`/prod, as a client of `region` sees them."""
    with LocalCodeArtifact(db) as service:
        client = local_client(service, region=region)
        owned = {"domainOwner": owner} if owner else {}
        listed = client.list_package_versions(
            domain=domain, repository="prod", format="pypi", package="acme-schemas", **owned
        )
        return {item["version"]: item["status"] for item in listed["versions"]}


def test_one_plan_and_one_apply_reconcile_two_regions(
    db: Path, backend: list[str], manifests: Path, tmp_path: Path
) -> None:
    plan = tmp_path / "regions.plan.json"

    planned = run("plan", manifests, *backend, "-o", plan, "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert "(region us-east-1)" in planned.stdout and "(region eu-west-1)" in planned.stdout
    assert "eu-west-1:acme/prod" in planned.stdout and "us-east-1:acme/prod" in planned.stdout
    saved = read_plan(plan)
    assert [(target.region, dict(target.domains)) for target in saved.targets] == [
        ("eu-west-1", {"acme": "444455556666"}),
        ("us-east-1", {"acme": "111122223333"}),
    ]
    assert sorted(str(action.package.repository) for action in saved.actions) == [
        "eu-west-1:acme/prod",
        "us-east-1:acme/prod",
    ]
    # Counted per operation, over both Regions: a DescribeDomain and a ListPackageVersions in each.
    assert saved.api_calls["DescribeDomain"] == 2

    applied = run("apply", plan, *backend, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert statuses(db, "acme", "us-east-1")["1.1.0b1"] == "Unlisted"
    assert statuses(db, "acme", "eu-west-1", "444455556666")["1.1.0b1"] == "Unlisted"

    assert run("plan", manifests, *backend, "--no-save", "--detailed-exitcode").exit_code == 0
    assert run("drift", manifests, *backend).exit_code == 0

    with LocalCodeArtifact(db) as service:
        local_client(service, region="eu-west-1").update_package_versions_status(
            domain="acme",
            domainOwner="444455556666",
            repository="prod",
            format="pypi",
            package="acme-schemas",
            versions=["1.1.0b1"],
            targetStatus="Published",
        )
    drifted = run("drift", manifests, *backend, "--format", "json")
    assert drifted.exit_code == 2, drifted.output
    report = json.loads(drifted.stdout)
    assert [target["region"] for target in report["targets"]] == ["eu-west-1", "us-east-1"]
    assert [(item["package"]["region"], item["version"]) for item in report["items"]] == [
        ("eu-west-1", "1.1.0b1")
    ]


def test_apply_of_fresh_manifests_reaches_both_regions(db: Path, backend: list[str], manifests: Path) -> None:
    applied = run("apply", manifests, *backend, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert statuses(db, "acme", "us-east-1")["1.1.0b1"] == "Unlisted"
    assert statuses(db, "acme", "eu-west-1", "444455556666")["1.1.0b1"] == "Unlisted"


def edit(plan: Path, change: Any) -> None:
    document = json.loads(plan.read_text())
    change(document)
    plan.write_text(json.dumps(document))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda d: d["targets"][0].update(endpoint="https://codeartifact.eu-west-1.amazonaws.com"),
            "eu-west-1: endpoint: plan https://codeartifact.eu-west-1.amazonaws.com",
        ),
        (
            lambda d: d["targets"][1]["domains"].update(acme="999999999999"),
            "domain us-east-1:acme: plan owner 999999999999, now 111122223333",
        ),
    ],
    ids=["one region's endpoint", "one region's owner"],
)
def test_a_plan_is_refused_as_a_whole_when_one_of_its_targets_differs(
    db: Path, manifests: Path, tmp_path: Path, change: Any, problem: str
) -> None:
    plan = tmp_path / "regions.plan.json"
    assert run("plan", manifests, "--local", db, "-o", plan).exit_code == 0
    edit(plan, change)
    before = (statuses(db, "acme", "us-east-1"), statuses(db, "acme", "eu-west-1", "444455556666"))

    applied = run("apply", plan, "--local", db, "--auto-approve")

    assert applied.exit_code == 1, applied.output
    assert "refused: the plan was made for another target; nothing was changed" in applied.output
    assert problem in applied.output
    assert (statuses(db, "acme", "us-east-1"), statuses(db, "acme", "eu-west-1", "444455556666")) == before


def test_region_keeps_its_meaning_for_manifests_that_name_none(db: Path, tmp_path: Path) -> None:
    (tmp_path / "us.yaml").write_text(manifest("acme", "us-east-1").replace("  region: us-east-1\n", ""))
    planned = run("plan", tmp_path / "us.yaml", "--local", db, "--region", "us-east-1", "--no-save")
    assert planned.exit_code == 0, planned.output
    assert "(region us-east-1)" in planned.stdout

    (tmp_path / "eu.yaml").write_text(manifest("acme", "eu-west-1", "444455556666"))
    contradicted = run("plan", tmp_path, "--local", db, "--region", "us-east-1", "--no-save")
    assert contradicted.exit_code == 1
    assert "--region us-east-1 contradicts the manifests' target region eu-west-1" in contradicted.output


def test_in_one_region_a_document_naming_it_and_one_naming_none_share_the_domain_owner(
    db: Path, tmp_path: Path
) -> None:
    # As before Regions: the owner written in one document is the owner of the domain in the other.
    (tmp_path / "a.yaml").write_text(manifest("acme", "us-east-1", "111122223333"))
    (tmp_path / "b.yaml").write_text(
        manifest("acme", "us-east-1").replace("  region: us-east-1\n", "").replace("acme-schemas", "acme-*")
    )
    planned = run("plan", tmp_path, "--local", db, "--no-save", "--output", "json")
    assert planned.exit_code == 0, planned.output
    owners = {action["package"]["domain_owner"] for action in json.loads(planned.stdout)["actions"]}
    assert owners == {"111122223333"}


def test_a_package_declared_where_a_region_is_named_and_where_it_is_not_is_refused(
    db: Path, tmp_path: Path
) -> None:
    (tmp_path / "a.yaml").write_text(manifest("acme", "us-east-1"))
    (tmp_path / "b.yaml").write_text(manifest("acme", "us-east-1").replace("  region: us-east-1\n", ""))
    planned = run("plan", tmp_path, "--local", db, "--no-save")
    assert planned.exit_code == 1
    where = (
        f"{tmp_path / 'b.yaml'}:7: pypi acme-schemas in acme/prod is also declared at {tmp_path / 'a.yaml'}:8"
    )
    assert where in planned.output


def test_a_region_whose_domain_is_missing_is_named_and_the_other_region_is_left_alone(
    db: Path, backend: list[str], manifests: Path
) -> None:
    (manifests / "ap.yaml").write_text(manifest("acme", "ap-south-1").replace("acme-schemas", "acme-*"))
    before = (statuses(db, "acme", "us-east-1"), statuses(db, "acme", "eu-west-1", "444455556666"))

    for command in (("plan", "--no-save"), ("apply", "--auto-approve"), ("drift",)):
        result = run(command[0], manifests, *backend, *command[1:])
        assert result.exit_code == 1, result.output
        assert "Error: ap-south-1: AWS error in DescribeDomain: ResourceNotFoundException" in result.output
        assert "Traceback" not in result.output
    assert (statuses(db, "acme", "us-east-1"), statuses(db, "acme", "eu-west-1", "444455556666")) == before


def test_a_plan_of_several_regions_applied_with_region_is_refused_naming_region(
    db: Path, manifests: Path, tmp_path: Path
) -> None:
    plan = tmp_path / "regions.plan.json"
    assert run("plan", manifests, "--local", db, "-o", plan).exit_code == 0
    before = (statuses(db, "acme", "us-east-1"), statuses(db, "acme", "eu-west-1", "444455556666"))

    applied = run("apply", plan, "--local", db, "--region", "us-east-1", "--auto-approve")

    assert applied.exit_code == 1, applied.output
    assert (
        "Error: refused: the plan covers several Regions (eu-west-1, us-east-1), and --region us-east-1 "
        "names one; nothing was changed"
    ) in applied.output
    assert "Drop --region" in applied.output
    assert (statuses(db, "acme", "us-east-1"), statuses(db, "acme", "eu-west-1", "444455556666")) == before
