"""`promotion`: which origin controls refuse a copy, and the plan errors that say so (constructed state)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from reconciler.addresses import RepositoryRef
from reconciler.models import DesiredState
from reconciler.origincontrols import GroupPublish, PackageOrigin, PublishControls
from reconciler.plan import Plan
from reconciler.planfile import plan_json
from reconciler.planner import make_plan
from reconciler.promotion import copy_targets, refusals, with_copy_refusals
from reconciler.state import LiveState
from reconciler.verify import plan_problems
from tests.unit.planning import desired, live, package, ref

UI = ref("ui", namespace="acme")
OPEN = GroupPublish("/*", "STRONG", "ALLOW", "ALLOW", "/*")


def controls(own: PackageOrigin | None = None, group: GroupPublish = OPEN) -> PublishControls:
    return PublishControls(UI, own, group)


@pytest.mark.parametrize(
    ("group", "allowed"),
    [
        (OPEN, True),
        (GroupPublish("/npm/acme/*", "STRONG", "BLOCK", "BLOCK", "/npm/acme/*"), False),
        (GroupPublish("/npm/acme/*", "STRONG", "INHERIT", "BLOCK", "/npm/*"), False),
        (GroupPublish("/npm/acme/*", "STRONG", "INHERIT", "ALLOW", "/*"), True),
        (
            GroupPublish(
                "/npm/acme/*",
                "STRONG",
                "ALLOW_SPECIFIC_REPOSITORIES",
                "ALLOW_SPECIFIC_REPOSITORIES",
                "/npm/acme/*",
                frozenset({"prod"}),
            ),
            True,
        ),
        (
            GroupPublish(
                "/npm/acme/*",
                "STRONG",
                "ALLOW_SPECIFIC_REPOSITORIES",
                "ALLOW_SPECIFIC_REPOSITORIES",
                "/npm/acme/*",
                frozenset({"staging"}),
            ),
            False,
        ),
        (GroupPublish("/npm/acme/*", "WEAK", "ALLOW", "ALLOW", "/npm/acme/*"), False),
    ],
    ids=["root", "block", "inherited-block", "inherited-allow", "listed", "not-listed", "weak"],
)
def test_the_group_s_effective_publish_setting_decides_for_the_target_repository(
    group: GroupPublish, allowed: bool
) -> None:
    assert (refusals(controls(PackageOrigin("ALLOW", "BLOCK"), group)) == []) is allowed


def test_the_package_s_own_block_refuses_and_says_how_to_lift_it_keeping_its_upstream_setting() -> None:
    [found] = refusals(controls(PackageOrigin("BLOCK", "ALLOW")))
    assert found.startswith("the package's origin configuration in prod (publish: BLOCK)")
    assert found.endswith(
        "aws codeartifact put-package-origin-configuration --domain acme --repository prod --format npm "
        "--namespace acme --package ui --restrictions publish=ALLOW,upstream=ALLOW"
    )


def test_a_package_the_target_does_not_hold_yet_is_held_to_its_group_only() -> None:
    assert refusals(controls(None)) == []
    blocked = GroupPublish("/npm/acme/*", "STRONG", "INHERIT", "BLOCK", "/npm/*")
    [found] = refusals(controls(None, blocked))
    assert found.startswith("package group /npm/acme/* (PUBLISH: BLOCK, inherited from /npm/*)")
    # The hint sets the package's own group, so the parent's other packages stay blocked.
    assert "--package-group '/npm/acme/*' --restrictions PUBLISH=ALLOW_SPECIFIC_REPOSITORIES" in found
    assert found.endswith("--add-allowed-repositories originRestrictionType=PUBLISH,repositoryName=prod")


def test_an_allowed_list_without_the_target_names_the_group_that_holds_the_list() -> None:
    inherited = GroupPublish(
        "/npm/acme/*", "STRONG", "INHERIT", "ALLOW_SPECIFIC_REPOSITORIES", "/npm/*", frozenset({"staging"})
    )
    [found] = refusals(controls(None, inherited))
    assert "(PUBLISH: ALLOW_SPECIFIC_REPOSITORIES, inherited from /npm/*, prod not among" in found
    assert "--package-group '/npm/*' --add-allowed-repositories originRestrictionType=PUBLISH" in found


def test_a_weak_match_says_to_give_the_package_a_group_of_its_own() -> None:
    [found] = refusals(controls(None, GroupPublish("/npm/acme/*", "WEAK", "ALLOW", "ALLOW", "/npm/acme/*")))
    assert "only a variation (a weak match)" in found
    assert "create-package-group --domain acme --package-group '/npm/acme/ui$'" in found


def test_the_commands_reach_the_region_and_owner_of_the_target_domain() -> None:
    # A run of several Regions: the shell's AWS configuration may point at another Region.
    target = dataclasses.replace(UI, repository=RepositoryRef("acme", "prod", "444455556666", "eu-west-1"))
    blocked = GroupPublish("/npm/acme/*", "STRONG", "BLOCK", "BLOCK", "/npm/acme/*")
    weak = GroupPublish("/npm/acme/*", "WEAK", "ALLOW", "ALLOW", "/npm/acme/*")
    found = [
        *refusals(PublishControls(target, PackageOrigin("BLOCK", "ALLOW"), blocked)),
        *refusals(PublishControls(target, None, weak)),
    ]
    assert len(found) == 3
    for refusal in found:
        assert " --region eu-west-1 --domain acme --domain-owner 444455556666 " in refusal


def test_both_controls_are_named_when_both_refuse() -> None:
    blocked = GroupPublish("/*", "STRONG", "BLOCK", "BLOCK", "/*")
    found = refusals(controls(PackageOrigin("BLOCK", "BLOCK"), blocked))
    assert [text.split(";")[0] for text in found] == [
        "the package's origin configuration in prod (publish: BLOCK)",
        "package group /* (PUBLISH: BLOCK)",
    ]


def promotion_plan() -> tuple[Plan, DesiredState, LiveState]:
    state_desired = desired(
        {
            "format": "npm",
            "namespace": "acme",
            "name": "ui",
            "versions": {
                "1.0.0": {"status": "Published", "copy_from": "staging"},
                "1.1.0": {"status": "Unlisted", "copy_from": "staging"},
            },
        },
        {"format": "npm", "name": "cli", "versions": {"2.0.0": {"status": "Archived"}}},
    )
    state_live = live(
        package(
            ref("ui", namespace="acme", repository="staging"), {"1.0.0": "Published", "1.1.0": "Published"}
        ),
        package(ref("cli"), {"2.0.0": "Published"}),
    )
    return make_plan(state_desired, state_live, "https://example", "us-east-1"), state_desired, state_live


def test_each_version_copied_into_a_refused_package_is_an_error_at_its_pin() -> None:
    plan, state_desired, state_live = promotion_plan()
    assert copy_targets(plan) == {UI}
    blocked = GroupPublish("/npm/acme/*", "STRONG", "BLOCK", "BLOCK", "/npm/acme/*")
    checked = with_copy_refusals(plan, state_desired, state_live, {UI: controls(None, blocked)})
    assert [(str(e.package), e.version, e.origin) for e in checked.errors] == [
        ("acme/prod/npm/acme/ui", "1.0.0", "manifests/test.yaml:12"),
        ("acme/prod/npm/acme/ui", "1.1.0", "manifests/test.yaml:12"),
    ]
    assert all(
        e.message.startswith(
            "refused: copy from staging into prod is blocked by origin controls: package group"
        )
        for e in checked.errors
    )
    assert checked.summary.errors == 2 and not checked.applyable
    assert checked.actions == plan.actions  # as with `protect`: the copies stay, the plan cannot be applied
    assert plan_problems(checked) == []  # a consistent plan, as apply checks a plan file
    assert json.loads(plan_json(checked))["summary"]["cannot_converge"] == 2


def test_a_plan_whose_copies_nothing_refuses_is_left_as_it_is() -> None:
    plan, state_desired, state_live = promotion_plan()
    assert with_copy_refusals(plan, state_desired, state_live, {UI: controls()}) is plan
