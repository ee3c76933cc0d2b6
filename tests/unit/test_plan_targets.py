"""A plan of several Regions: a target per Region, every package naming its Region, the plan file
written and read back exactly; a plan of one Region is the file it always was; and a plan whose
packages and targets disagree is refused by `verify`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from reconciler.addresses import RepositoryRef
from reconciler.errors import PlanFormatError, PlanInconsistentError
from reconciler.plan import Plan, TargetIdentity, target_of
from reconciler.planfile import plan_document, read_plan, write_plan
from reconciler.planner import make_plan
from reconciler.verify import check_plan
from tests.unit.planning import desired, live, package, ref

US = TargetIdentity("https://codeartifact.us-east-1.amazonaws.com", "us-east-1", {"acme": "111122223333"})
EU = TargetIdentity("https://codeartifact.eu-west-1.amazonaws.com", "eu-west-1", {"acme": "444455556666"})


def _in(region: str | None, owner: str | None = None) -> RepositoryRef:
    return RepositoryRef("acme", "prod", owner, region)


def two_region_plan() -> Plan:
    """One package of one name in the domain acme of each Region, each with a version to archive."""
    declared = desired({"format": "npm", "name": "web-sdk", "versions": {"1.0.0": "Archived"}})
    entries = tuple(
        dataclasses.replace(entry, target=entry.target.model_copy(update={"region": region}))
        for region in ("us-east-1", "eu-west-1")
        for entry in declared.entries
    )
    both = dataclasses.replace(declared, entries=entries)
    packages = [
        package(dataclasses.replace(ref("web-sdk"), repository=_in(region)), {"1.0.0": "Published"})
        for region in ("us-east-1", "eu-west-1")
    ]
    return make_plan(both, live(*packages), "", "", (EU, US))


def test_a_plan_of_two_regions_names_each_packages_region_and_reads_back_unchanged(tmp_path: Path) -> None:
    plan = two_region_plan()
    assert sorted(str(action.package) for action in plan.actions) == [
        "eu-west-1:acme/prod/npm/web-sdk",
        "us-east-1:acme/prod/npm/web-sdk",
    ]
    assert sorted(plan.package_versions) == [
        "eu-west-1:acme/prod/npm/web-sdk",
        "us-east-1:acme/prod/npm/web-sdk",
    ]
    document = plan_document(plan)
    assert "target" not in document
    assert [target["region"] for target in document["targets"]] == ["eu-west-1", "us-east-1"]
    assert {action["package"]["region"] for action in document["actions"]} == {"eu-west-1", "us-east-1"}

    path = tmp_path / "regions.plan.json"
    write_plan(plan, path)
    assert read_plan(path) == plan
    check_plan(plan)


def test_a_plan_of_one_region_is_written_as_it_always_was() -> None:
    declared = desired({"format": "npm", "name": "web-sdk", "versions": {"1.0.0": "Archived"}})
    plan = make_plan(declared, live(package(ref("web-sdk"), {"1.0.0": "Published"})), "local", "us-east-1")
    document = plan_document(plan)
    assert "targets" not in document
    assert document["target"] == {
        "endpoint": "local",
        "region": "us-east-1",
        "domains": {"acme": "111122223333"},
    }
    assert all("region" not in action["package"] for action in document["actions"])


def test_the_target_of_a_repository_is_its_regions_or_the_only_one() -> None:
    assert target_of((US,), _in(None)) is US
    assert target_of((EU, US), _in("eu-west-1")) is EU
    assert target_of((EU, US), _in(None)) is None  # a plan of several Regions names every package's
    assert target_of((EU, US), _in("ap-south-1")) is None


def test_a_package_of_a_region_the_plan_has_no_target_for_is_refused() -> None:
    plan = two_region_plan()
    moved = tuple(
        dataclasses.replace(action, package=dataclasses.replace(action.package, repository=_in("ap-south-1")))
        if action.package.repository.region == "eu-west-1"
        else action
        for action in plan.actions
    )
    with pytest.raises(PlanInconsistentError) as raised:
        check_plan(plan.with_actions(moved))
    assert "names Region ap-south-1, and the plan has no target for it" in raised.value.detail


def test_a_package_that_names_no_region_in_a_plan_of_several_is_refused() -> None:
    plan = two_region_plan()
    unnamed = tuple(
        dataclasses.replace(action, package=dataclasses.replace(action.package, repository=_in(None)))
        for action in plan.actions
    )
    with pytest.raises(PlanInconsistentError) as raised:
        check_plan(plan.with_actions(unnamed))
    assert "names no Region, and the plan has no target for it" in raised.value.detail


def test_each_regions_domain_has_its_own_owner() -> None:
    plan = two_region_plan()
    owned = tuple(
        dataclasses.replace(
            action,
            package=dataclasses.replace(action.package, repository=_in(region, EU.domains["acme"])),
        )
        for action in plan.actions
        for region in [action.package.repository.region]
    )
    with pytest.raises(PlanInconsistentError) as raised:
        check_plan(plan.with_actions(owned))
    # The owner recorded for acme in eu-west-1 is not the one of acme in us-east-1.
    assert "domain acme owner 444455556666, but the plan's target records 111122223333" in raised.value.detail


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda d: d.update(target=d["targets"][0]), "exactly one of them"),
        (lambda d: d.update(targets=d["targets"][:1]), "at least 2 items"),
        (lambda d: d.update(targets=d["targets"][::-1]), "each Region once, in order"),
    ],
    ids=["both", "a list of one", "out of order"],
)
def test_a_plan_file_names_its_targets_one_way(tmp_path: Path, edit: object, problem: str) -> None:
    path = tmp_path / "regions.plan.json"
    document = plan_document(two_region_plan())
    assert callable(edit)
    edit(document)
    path.write_text(json.dumps(document))
    with pytest.raises(PlanFormatError) as raised:
        read_plan(path)
    assert problem in (raised.value.detail or "")
