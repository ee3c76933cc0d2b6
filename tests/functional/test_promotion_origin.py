"""Promotion that respects origin controls, end to end: a plan whose copy the target's origin
controls (its own, or its package group's) would refuse is an error naming the control and how to
change it; once the control is lifted the plan applies, a new plan is empty and drift is in sync.
Applied against a service that holds copies to origin controls (`copy_respects_origin_controls`),
in process and over HTTP, the plan's verdict and the service's agree, case by case."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.aws.client import Backend
from reconciler.aws.origin import publish_controls
from reconciler.aws.requests import action_request
from reconciler.codeartifact import Format
from reconciler.local import BackgroundServer, LocalCodeArtifact, attach
from reconciler.local.context import Options
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT
from reconciler.local.seed import SeedDocument, seed_service
from reconciler.manifest import load_manifests
from reconciler.origincontrols import PackageOrigin
from reconciler.plan import ActionKind, Plan
from reconciler.planner import make_plan
from reconciler.promotion import refusals
from reconciler.workflows import planning
from reconciler.workflows.promoting import check_copies
from reconciler.workflows.reading import read_live_state
from reconciler.workflows.regions import Connections
from tests.functional.test_apply import SESSION, aws_env, client_on, run

__all__ = ["aws_env"]  # a fixture used by the tests below

ENFORCING = Options(copy_respects_origin_controls=True)
NEW_CALLS = ("DescribePackage", "GetAssociatedPackageGroup", "ListAllowedRepositoriesForGroup")


def seed(
    *,
    namespace: str = "acme",
    groups: list[dict[str, Any]] | None = None,
    prod_package: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """staging holds @acme/ui 1.0.0 and 1.1.0; prod holds `prod_package` (if any) of the same name."""
    package = {"format": "npm", "namespace": namespace, "name": "ui"}
    staging = {**package, "versions": ["1.0.0", "1.1.0"]}
    return {
        "apiVersion": "reconciler/v1",
        "kind": "LocalSeed",
        "domains": [
            {
                "name": "acme",
                "package_groups": groups or [],
                "repositories": [
                    {"name": "staging", "packages": [staging]},
                    {"name": "prod", "packages": [{**package, **prod_package}] if prod_package else []},
                ],
            }
        ],
    }


def manifest(tmp_path: Path, namespace: str = "acme") -> Path:
    path = tmp_path / "prod.yaml"
    path.write_text(
        f"""\
apiVersion: reconciler/v1
kind: PackageLifecycle
target:
  domain: acme
  repository: prod
packages:
  - format: npm
    namespace: {namespace}
    name: ui
    versions:
      "1.0.0": {{ status: Published, copy_from: staging }}
      "1.1.0": {{ status: Unlisted, copy_from: staging }}
"""
    )
    return path


def seeded(path: Path, document: dict[str, Any]) -> Path:
    with LocalCodeArtifact(path) as service:
        seed_service(service, SeedDocument.model_validate(document))
    return path


# --- end to end through the command line ----------------------------------------------------------

GROUP_BLOCKS = seed(groups=[{"pattern": "/npm/acme/*", "restrictions": {"publish": "BLOCK"}}])
PACKAGE_BLOCKS = seed(prod_package={"publish": "BLOCK", "upstream": "BLOCK", "versions": []})


@pytest.fixture(params=["local", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def serve(transport: str, db: Path) -> Iterator[tuple[list[str], Any]]:
    """The backend options that reach `db`, and a client to change its origin controls with. Over
    HTTP the service holds copies to origin controls: the apply is checked by the stricter reading."""
    if transport == "local":
        with LocalCodeArtifact(db) as service:
            yield ["--local", str(db)], client_on(service)
        return
    with LocalCodeArtifact(db, options=ENFORCING) as service, BackgroundServer(service) as server:
        yield (
            ["--endpoint-url", server.endpoint_url, "--region", "us-east-1"],
            SESSION.client("codeartifact", endpoint_url=server.endpoint_url),
        )


def plan_json(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


@pytest.mark.usefixtures("aws_env")
@pytest.mark.parametrize(
    ("document", "control", "lift"),
    [
        (
            GROUP_BLOCKS,
            "package group /npm/acme/* (PUBLISH: BLOCK)",
            lambda client: client.update_package_group_origin_configuration(
                domain="acme",
                packageGroup="/npm/acme/*",
                restrictions={"PUBLISH": "ALLOW_SPECIFIC_REPOSITORIES"},
                addAllowedRepositories=[{"originRestrictionType": "PUBLISH", "repositoryName": "prod"}],
            ),
        ),
        (
            PACKAGE_BLOCKS,
            "the package's origin configuration in prod (publish: BLOCK)",
            lambda client: client.put_package_origin_configuration(
                domain="acme",
                repository="prod",
                format="npm",
                namespace="acme",
                package="ui",
                restrictions={"publish": "ALLOW", "upstream": "BLOCK"},
            ),
        ),
    ],
    ids=["group", "package"],
)
def test_a_copy_origin_controls_refuse_is_a_plan_error_until_the_control_is_lifted(
    tmp_path: Path, transport: str, document: dict[str, Any], control: str, lift: Any
) -> None:
    db = seeded(tmp_path / "codeartifact.db", document)
    path = manifest(tmp_path)
    plan = tmp_path / "promote.plan.json"
    with serve(transport, db) as (backend, client):
        refused = run("plan", path, *backend, "-o", plan, "--detailed-exitcode")
        assert refused.exit_code == 1, refused.output
        assert control in refused.stdout
        assert "is blocked by origin controls" in refused.stdout
        assert f"{path}:12" in refused.stdout  # the pin that asks for the copy
        saved = plan_json(plan)
        assert {(e["version"], e["origin"]) for e in saved["errors"]} == {
            ("1.0.0", f"{path}:11"),
            ("1.1.0", f"{path}:12"),
        }
        assert saved["api_calls"]["GetAssociatedPackageGroup"] == 1  # counted like every read
        assert run("apply", plan, *backend, "--auto-approve").exit_code == 1  # a plan with errors

        lift(client)
        planned = run("plan", path, *backend, "-o", plan, "--detailed-exitcode")
        assert planned.exit_code == 2, planned.output
        applied = run("apply", plan, *backend, "--auto-approve")
        assert applied.exit_code == 0, applied.output
        after = run("plan", path, *backend, "-o", plan, "--detailed-exitcode")
        assert after.exit_code == 0, after.output
        assert not set(NEW_CALLS) & set(plan_json(plan)["api_calls"])  # no copies, no extra call
        assert run("drift", path, *backend).exit_code == 0
    with LocalCodeArtifact(db) as service:
        listed = client_on(service).list_package_versions(
            domain="acme", repository="prod", format="npm", namespace="acme", package="ui"
        )
    found = {item["version"]: item["status"] for item in listed["versions"]}
    assert found == {"1.0.0": "Published", "1.1.0": "Unlisted"}


@pytest.mark.usefixtures("aws_env")
def test_a_plan_without_copies_makes_no_extra_call(tmp_path: Path, transport: str) -> None:
    db = seeded(tmp_path / "codeartifact.db", GROUP_BLOCKS)
    path = tmp_path / "staging.yaml"
    path.write_text(
        manifest(tmp_path)
        .read_text()
        .replace("repository: prod", "repository: staging")
        .replace(", copy_from: staging", "")
    )
    plan = tmp_path / "staging.plan.json"
    with serve(transport, db) as (backend, _):
        assert run("plan", path, *backend, "-o", plan, "--detailed-exitcode").exit_code == 2
    calls = plan_json(plan)["api_calls"]
    assert calls["ListPackageVersions"] == 1
    assert not set(NEW_CALLS) & set(calls)


# --- the plan's verdict and an enforcing service's agree ------------------------------------------

CASES: dict[str, tuple[dict[str, Any], str, bool]] = {
    # case: (seed, namespace, refused)
    "nothing restricts": (seed(), "acme", False),
    "package blocks": (seed(prod_package={"publish": "BLOCK", "versions": ["0.9.0"]}), "acme", True),
    "package blocks in advance": (
        seed(prod_package={"publish": "BLOCK", "upstream": "BLOCK", "versions": []}),
        "acme",
        True,
    ),
    "package allows, group blocks": (
        seed(
            groups=[{"pattern": "/npm/acme/*", "restrictions": {"publish": "BLOCK"}}],
            prod_package={"publish": "ALLOW", "versions": ["0.9.0"]},
        ),
        "acme",
        True,
    ),
    "root group blocks": (
        seed(groups=[{"pattern": "/*", "restrictions": {"publish": "BLOCK"}}]),
        "acme",
        True,
    ),
    "group inherits a block": (
        seed(
            groups=[
                {"pattern": "/npm/*", "restrictions": {"publish": "BLOCK"}},
                {"pattern": "/npm/acme/*", "restrictions": {"external_upstream": "BLOCK"}},
            ]
        ),
        "acme",
        True,
    ),
    "group allows other repositories": (
        seed(
            groups=[
                {
                    "pattern": "/npm/acme/*",
                    "restrictions": {"publish": "ALLOW_SPECIFIC_REPOSITORIES"},
                    "allowed_repositories": {"publish": ["staging"]},
                }
            ]
        ),
        "acme",
        True,
    ),
    "group allows the target": (
        seed(
            groups=[
                {
                    "pattern": "/npm/acme/*",
                    "restrictions": {"publish": "ALLOW_SPECIFIC_REPOSITORIES"},
                    "allowed_repositories": {"publish": ["prod"]},
                }
            ]
        ),
        "acme",
        False,
    ),
    "group inherits a list with the target": (
        seed(
            groups=[
                {
                    "pattern": "/npm/*",
                    "restrictions": {"publish": "ALLOW_SPECIFIC_REPOSITORIES"},
                    "allowed_repositories": {"publish": ["prod"]},
                },
                # Its own list names staging, but the mode, and so the list, comes from /npm/*.
                {"pattern": "/npm/acme/*", "allowed_repositories": {"publish": ["staging"]}},
            ]
        ),
        "acme",
        False,
    ),
    "group inherits a list without the target": (
        seed(
            groups=[
                {
                    "pattern": "/npm/*",
                    "restrictions": {"publish": "ALLOW_SPECIFIC_REPOSITORIES"},
                    "allowed_repositories": {"publish": ["staging"]},
                },
                {"pattern": "/npm/acme/*", "allowed_repositories": {"publish": ["prod"]}},
            ]
        ),
        "acme",
        True,
    ),
    "a weak match of a group": (
        seed(namespace="ACME", groups=[{"pattern": "/npm/acme/*", "restrictions": {"publish": "ALLOW"}}]),
        "ACME",
        True,
    ),
}


@pytest.fixture(params=["in-process", "http"])
def enforcing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LocalCodeArtifact, Any]]:
    """An empty service that holds copies to origin controls, and a client of it."""
    with LocalCodeArtifact(tmp_path / "codeartifact.db", options=ENFORCING) as service:
        if request.param == "in-process":
            yield service, attach(SESSION.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service)
            return
        with BackgroundServer(service) as server:
            yield service, SESSION.client("codeartifact", endpoint_url=server.endpoint_url)


def checked_plan(client: Any, path: Path) -> Plan:
    desired = load_manifests([path])
    live = read_live_state(client, desired, time.time())
    return check_copies(lambda _: client, make_plan(desired, live, "local", "us-east-1"), desired, live)


@pytest.mark.parametrize("case", list(CASES))
def test_the_plan_predicts_what_an_enforcing_service_refuses(
    case: str, tmp_path: Path, enforcing: tuple[LocalCodeArtifact, Any]
) -> None:
    document, namespace, refused = CASES[case]
    service, client = enforcing
    seed_service(service, SeedDocument.model_validate(document))
    plan = checked_plan(client, manifest(tmp_path, namespace))
    copies = [action for action in plan.actions if action.kind is ActionKind.COPY]
    assert [change.version for action in copies for change in action.versions] == ["1.0.0", "1.1.0"]
    predicted = {problem.version for problem in plan.errors}
    assert predicted == ({"1.0.0", "1.1.0"} if refused else set())
    if refused:
        assert all("is blocked by origin controls" in problem.message for problem in plan.errors)

    outcome: dict[str, str] = {}
    for action in copies:  # what apply would send, sent even when the plan says it is refused
        response = client.copy_package_versions(**action_request(action))
        outcome.update(dict.fromkeys(response["successfulVersions"], "copied"))
        outcome.update({version: error["errorCode"] for version, error in response["failedVersions"].items()})
    expected = "NOT_ALLOWED" if refused else "copied"
    assert outcome == {"1.0.0": expected, "1.1.0": expected}


# --- the reads: as few calls as the answer needs, every one counted -------------------------------


def target(name: str, repository: str = "prod", namespace: str | None = "acme") -> PackageRef:
    return PackageRef(RepositoryRef("acme", repository), Format.NPM, namespace, name)


def test_each_control_is_read_once_and_only_where_it_can_matter(tmp_path: Path) -> None:
    document = seed(
        groups=[
            {
                "pattern": "/npm/acme/*",
                "restrictions": {"publish": "ALLOW_SPECIFIC_REPOSITORIES"},
                "allowed_repositories": {"publish": ["prod"]},
            }
        ],
        prod_package={"publish": "BLOCK", "versions": ["0.9.0"]},
    )
    document["domains"][0]["repositories"].append({"name": "qa", "packages": []})
    with LocalCodeArtifact(tmp_path / "codeartifact.db") as service:
        seed_service(service, SeedDocument.model_validate(document))
        client = client_on(service)
        # prod holds @acme/ui; qa does not; nor does prod hold @acme/kit or left-pad.
        packages = {
            target("ui"): True,
            target("ui", "qa"): False,
            target("kit"): False,
            target("left-pad", namespace=None): False,
        }
        found, calls = publish_controls(client, packages)
    assert calls == {
        "DescribePackage": 1,  # only the package prod holds has a configuration of its own
        "GetAssociatedPackageGroup": 3,  # once per name: @acme/ui's group serves prod and qa
        "ListAllowedRepositoriesForGroup": 1,  # once, for the group that sets the list
    }
    assert found[target("ui")].own == PackageOrigin("BLOCK", "BLOCK")
    assert found[target("ui", "qa")].own is None
    assert found[target("ui")].group.allowed == frozenset({"prod"})
    assert found[target("left-pad", namespace=None)].group.pattern == "/*"
    verdicts = {str(ref): not refusals(controls) for ref, controls in found.items()}
    assert verdicts == {
        "acme/prod/npm/acme/ui": False,  # its own publish BLOCK
        "acme/qa/npm/acme/ui": False,  # qa is not in /npm/acme/*'s list
        "acme/prod/npm/acme/kit": True,
        "acme/prod/npm/left-pad": True,
    }


def deny(operation: str) -> Any:
    """A botocore handler that answers `operation` as AWS does when IAM denies it."""

    def refuse(**_: Any) -> None:
        error = {
            "Error": {"Code": "AccessDeniedException", "Message": f"not authorized to perform {operation}"}
        }
        raise botocore.exceptions.ClientError(error, operation)

    return refuse


def test_a_caller_that_may_not_read_origin_controls_gets_its_plan_with_a_warning(tmp_path: Path) -> None:
    with LocalCodeArtifact(tmp_path / "codeartifact.db") as service:
        seed_service(service, SeedDocument.model_validate(GROUP_BLOCKS))
        client = client_on(service)
        client.meta.events.register(
            "before-call.codeartifact.GetAssociatedPackageGroup", deny("GetAssociatedPackageGroup")
        )
        plan = checked_plan(client, manifest(tmp_path))
    assert plan.errors == ()
    assert plan.summary.to_copy == 2
    [warning] = [w for w in plan.warnings if "origin controls" in w]
    assert "were not checked (not authorized to perform GetAssociatedPackageGroup)" in warning
    assert "codeartifact:GetAssociatedPackageGroup" in warning


def test_a_region_whose_origin_controls_may_not_be_read_leaves_the_other_regions_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same blocked copy in two Regions; the caller may not read origin controls in eu-west-1 only.
    document = GROUP_BLOCKS
    eu = {**document["domains"][0], "owner": "444455556666", "region": "eu-west-1"}
    db = seeded(tmp_path / "codeartifact.db", {**document, "domains": [document["domains"][0], eu]})
    text = manifest(tmp_path).read_text()
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "us.yaml").write_text(
        text.replace("  repository: prod\n", "  repository: prod\n  region: us-east-1\n")
    )
    (folder / "eu.yaml").write_text(
        text.replace(
            "  repository: prod\n",
            "  repository: prod\n  region: eu-west-1\n  domain_owner: '444455556666'\n",
        )
    )
    connect_all = planning.connect_all

    def denying_in_eu(backends: dict[str | None, Backend]) -> Connections:
        made = connect_all(backends)
        made.by_region["eu-west-1"].client.meta.events.register(
            "before-call.codeartifact.GetAssociatedPackageGroup", deny("GetAssociatedPackageGroup")
        )
        return made

    monkeypatch.setattr(planning, "connect_all", denying_in_eu)
    fresh = planning.read_and_plan([folder], Backend(local_db=str(db)), None)
    fresh.connections.close()
    plan = fresh.plan
    # us-east-1's copies are still refused by its group's BLOCK; eu-west-1's are left unchecked, said so.
    assert {(str(error.package), error.version) for error in plan.errors} == {
        ("us-east-1:acme/prod/npm/acme/ui", "1.0.0"),
        ("us-east-1:acme/prod/npm/acme/ui", "1.1.0"),
    }
    [warning] = [w for w in plan.warnings if "origin controls" in w]
    assert warning.startswith(
        "the origin controls of the packages this plan copies into in eu-west-1 were not checked"
    )
