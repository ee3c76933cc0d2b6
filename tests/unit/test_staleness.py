"""Staleness: is every version a saved plan touches still as the plan saw it, already done, or moved?"""

from __future__ import annotations

import dataclasses

from reconciler.addresses import PackageRef
from reconciler.codeartifact import Status
from reconciler.plan import ActionKind
from reconciler.staleness import Moved, check_staleness, packages_to_check, without
from reconciler.state import PackageState, VersionState
from tests.unit.applying import address, copy, dispose, make_plan, update
from tests.unit.planning import package, ref

APP = address("app")
PROD = ref("app")
STAGING = ref("app", repository="staging")


def live(*states: PackageState) -> dict[PackageRef, PackageState]:
    return {state.ref: state for state in states}


def with_revision(state: PackageState, version: str, revision: str) -> PackageState:
    current = state.versions[version]
    versions = {**state.versions, version: VersionState(version, revision, current.status)}
    return PackageState(state.ref, versions)


def test_versions_as_the_plan_saw_them_are_ready() -> None:
    plan = make_plan(update("1.0.0"), dispose("0.9.0"), copy("2.0.0"))
    found = check_staleness(
        plan,
        live(
            package(PROD, {"1.0.0": "Published", "0.9.0": "Published"}),
            package(STAGING, {"2.0.0": "Published"}),
        ),
    )
    assert (found.moved, found.done, found.is_stale) == ([], [], False)


def test_a_version_whose_status_changed_has_moved_with_both_views() -> None:
    found = check_staleness(make_plan(update("1.0.0")), live(package(PROD, {"1.0.0": "Unlisted"})))
    assert found.moved == [
        Moved(
            APP,
            "1.0.0",
            ActionKind.UPDATE_STATUS,
            {"status": "Published", "revision": "rev-1.0.0"},
            {"status": "Unlisted", "revision": "rev-1.0.0"},
            "prod",
        )
    ]
    assert found.is_stale


def test_a_version_whose_revision_changed_has_moved() -> None:
    state = with_revision(package(PROD, {"1.0.0": "Published"}), "1.0.0", "republished")
    found = check_staleness(make_plan(dispose("1.0.0")), live(state))
    assert [(m.version, m.live) for m in found.moved] == [
        ("1.0.0", {"status": "Published", "revision": "republished"})
    ]


def test_a_version_that_is_gone_has_moved_to_absent() -> None:
    found = check_staleness(make_plan(update("1.0.0")), live(package(PROD, {"1.1.0": "Published"})))
    assert [(m.version, m.live) for m in found.moved] == [("1.0.0", None)]
    found = check_staleness(make_plan(update("1.0.0")), {})
    assert [(m.version, m.live) for m in found.moved] == [("1.0.0", None)]


def test_a_version_already_as_the_plan_leaves_it_with_the_same_revision_is_done() -> None:
    plan = make_plan(update("1.0.0"), dispose("0.9.0"))
    found = check_staleness(plan, live(package(PROD, {"1.0.0": "Archived", "0.9.0": "Disposed"})))
    assert found.moved == []
    assert found.done == [(APP, "1.0.0", ActionKind.UPDATE_STATUS), (APP, "0.9.0", ActionKind.DISPOSE)]


def test_the_planned_status_with_another_revision_is_moved_not_done() -> None:
    state = with_revision(package(PROD, {"1.0.0": "Archived"}), "1.0.0", "republished")
    found = check_staleness(make_plan(update("1.0.0")), live(state))
    assert found.done == []
    assert len(found.moved) == 1


def test_a_copy_whose_source_moved_has_moved_in_the_source_repository() -> None:
    found = check_staleness(make_plan(copy("2.0.0")), live(package(STAGING, {"2.0.0": "Archived"})))
    assert [(m.kind, m.where, m.live) for m in found.moved] == [
        (ActionKind.COPY, "staging", {"status": "Archived", "revision": "rev-2.0.0"})
    ]


def test_a_copy_whose_source_is_gone_has_moved() -> None:
    found = check_staleness(make_plan(copy("2.0.0")), live(package(STAGING, {})))
    assert [(m.version, m.live) for m in found.moved] == [("2.0.0", None)]


def test_a_copy_already_in_the_destination_with_the_source_revision_is_done() -> None:
    state = live(package(STAGING, {"2.0.0": "Published"}), package(PROD, {"2.0.0": "Published"}))
    found = check_staleness(make_plan(copy("2.0.0")), state)
    assert (found.moved, found.done) == ([], [(APP, "2.0.0", ActionKind.COPY)])


def test_a_copy_done_and_then_settled_by_the_plans_own_update_is_done_twice() -> None:
    plan = make_plan(copy("2.0.0"), update("2.0.0", after=Status.UNLISTED))
    state = live(package(STAGING, {"2.0.0": "Published"}), package(PROD, {"2.0.0": "Unlisted"}))
    found = check_staleness(plan, state)
    assert found.moved == []
    assert found.done == [(APP, "2.0.0", ActionKind.COPY), (APP, "2.0.0", ActionKind.UPDATE_STATUS)]


def test_a_copy_in_the_destination_whose_status_someone_changed_has_moved() -> None:
    state = live(package(STAGING, {"2.0.0": "Published"}), package(PROD, {"2.0.0": "Archived"}))
    found = check_staleness(make_plan(copy("2.0.0")), state)
    assert found.done == []
    assert [(m.planned, m.live, m.where) for m in found.moved] == [
        ({"status": None, "revision": None}, {"status": "Archived", "revision": "rev-2.0.0"}, "prod")
    ]


def test_another_version_in_the_destination_has_moved_unless_overwriting_is_allowed() -> None:
    destination = with_revision(package(PROD, {"2.0.0": "Published"}), "2.0.0", "someone-elses")
    state = live(package(STAGING, {"2.0.0": "Published"}), destination)
    assert len(check_staleness(make_plan(copy("2.0.0")), state).moved) == 1

    overwrite = dataclasses.replace(copy("2.0.0"), allow_overwrite=True)
    assert check_staleness(make_plan(overwrite), state).moved == []
    moved_source = live(package(STAGING, {"2.0.0": "Archived"}), destination)
    assert [m.where for m in check_staleness(make_plan(overwrite), moved_source).moved] == ["staging"]


def test_an_update_of_a_version_the_plan_copies_is_ready_before_the_copy() -> None:
    plan = make_plan(copy("2.0.0"), update("2.0.0", after=Status.UNLISTED))
    found = check_staleness(plan, live(package(STAGING, {"2.0.0": "Published"})))
    assert (found.moved, found.done) == ([], [])


def test_packages_to_check_are_every_target_and_copy_source_once() -> None:
    plan = make_plan(copy("2.0.0"), update("2.0.0"), update("1.0.0", package="lib"))
    assert packages_to_check(plan) == [ref("app"), ref("lib"), STAGING]


def test_without_drops_the_given_changes_and_the_actions_left_empty() -> None:
    plan = make_plan(update("1.0.0", "1.1.0"), dispose("0.9.0"))
    rest = without(plan, {(APP, "1.0.0", ActionKind.UPDATE_STATUS), (APP, "0.9.0", ActionKind.DISPOSE)})
    assert [(a.kind, [c.version for c in a.versions]) for a in rest.actions] == [
        (ActionKind.UPDATE_STATUS, ["1.1.0"])
    ]
    assert without(plan, {(APP, "1.0.0", ActionKind.DISPOSE)}) == plan
