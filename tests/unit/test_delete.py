"""`Deleted` as a declared status: planned as a guarded `delete` (DeletePackageVersions), after the
disposes, refused by protections, counted by the blast-radius limits, and shown in every view."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from reconciler.aws.executor import _verdict
from reconciler.aws.requests import action_request
from reconciler.codeartifact import Status
from reconciler.drift import DriftKind, detect_drift
from reconciler.limits import Limits, delete_refusal, limit_problems
from reconciler.models import Origin
from reconciler.plan import ActionKind, Plan
from reconciler.planfile import plan_from_document, plan_json
from reconciler.planner import make_plan
from reconciler.render.drift import render_drift_markdown, render_drift_text
from reconciler.render.plan import render_plan_markdown, render_plan_text
from reconciler.staleness import check_staleness
from reconciler.state import LiveState
from reconciler.verify import plan_problems
from tests.unit.planning import desired, live, package, ref

CLI = ref("cli")


def plan_for(entry: dict[str, Any], state: LiveState) -> Plan:
    made = make_plan(desired(entry), state, endpoint="https://example", region="us-east-1")
    assert plan_problems(made) == []
    return made


def changes(plan: Plan) -> list[tuple[str, str, str, str]]:
    return [
        (action.kind.value, change.version, change.prior_status.value, change.after.value)
        for action in plan.actions
        for change in action.versions
    ]


def test_a_pin_declared_deleted_becomes_a_delete_guarded_by_the_status_seen() -> None:
    plan = plan_for(
        {"format": "npm", "name": "cli", "versions": {"1.0.0": "Deleted", "1.1.0": "Published"}},
        live(package(CLI, {"1.0.0": "Unlisted", "1.1.0": "Published"})),
    )
    [action] = plan.actions
    assert action.kind is ActionKind.DELETE and action.kind.is_destructive
    assert action.kind.operation == "DeletePackageVersions"
    # No versionRevisions (DeletePackageVersions has none) and no targetStatus: Deleted never goes
    # out on the wire.
    assert action_request(action) == {
        "domain": "acme",
        "repository": "prod",
        "format": "npm",
        "package": "cli",
        "versions": ["1.0.0"],
        "expectedStatus": "Unlisted",
    }
    assert (plan.summary.to_delete, plan.summary.unchanged, plan.summary.changes) == (1, 1, 1)


def test_a_version_absent_and_declared_deleted_is_in_sync() -> None:
    plan = plan_for(
        {"format": "npm", "name": "cli", "versions": {"1.0.0": "Deleted"}},
        live(package(CLI, {"2.0.0": "Published"})),
    )
    assert plan.is_empty and plan.summary.unchanged == 1 and not plan.errors and not plan.warnings


def test_a_disposed_version_can_be_deleted_and_nothing_else_changes_for_disposed() -> None:
    plan = plan_for(
        {"format": "npm", "name": "cli", "versions": {"1.0.0": "Deleted", "1.1.0": "Archived"}},
        live(package(CLI, {"1.0.0": "Disposed", "1.1.0": "Disposed"})),
    )
    assert changes(plan) == [("delete", "1.0.0", "Disposed", "Deleted")]
    assert [e.message for e in plan.errors] == ["cannot converge: Disposed is final (declared Archived)"]


def test_an_unfinished_upload_is_not_deleted_by_a_declaration() -> None:
    plan = plan_for(
        {"format": "npm", "name": "cli", "versions": {"1.0.0": "Deleted"}},
        live(package(CLI, {"1.0.0": "Unfinished"})),
    )
    assert plan.is_empty and [e.message for e in plan.errors] == [
        "cannot converge: an Unfinished upload can only be Published"
    ]


def test_deletes_run_last_after_the_disposes_in_batches_of_100() -> None:
    versions = {f"1.0.{n}": "Published" for n in range(150)}
    plan = plan_for(
        {
            "format": "npm",
            "name": "cli",
            "versions": {"2.0.0": "Disposed", "2.1.0": "Archived"},
            "rules": [{"range": "<2.0.0", "status": "Deleted"}],
        },
        live(package(CLI, {**versions, "2.0.0": "Published", "2.1.0": "Published"})),
    )
    assert [(a.kind, len(a.versions)) for a in plan.actions] == [
        (ActionKind.UPDATE_STATUS, 1),
        (ActionKind.DISPOSE, 1),
        (ActionKind.DELETE, 100),
        (ActionKind.DELETE, 50),
    ]
    assert plan.summary.to_delete == 150


def test_otherwise_deleted_takes_only_open_versions() -> None:
    plan = plan_for(
        {"format": "npm", "name": "cli", "versions": {"3.0.0": "Published"}, "otherwise": "Deleted"},
        live(
            package(
                CLI, {"1.0.0": "Archived", "2.0.0": "Disposed", "2.5.0": "Unfinished", "3.0.0": "Published"}
            )
        ),
    )
    assert changes(plan) == [("delete", "1.0.0", "Archived", "Deleted")]


@pytest.mark.parametrize("how", ["pin", "rule", "otherwise"])
def test_protect_refuses_a_delete_as_it_refuses_a_dispose(how: str) -> None:
    entry: dict[str, Any] = {"format": "npm", "name": "cli", "protect": [">=2.0.0"]}
    if how == "pin":
        entry["versions"] = {"2.1.0": "Deleted"}
    elif how == "rule":
        entry["rules"] = [{"match": "*", "status": "Deleted"}]
    else:
        entry["otherwise"] = "Deleted"
    plan = plan_for(entry, live(package(CLI, {"1.0.0": "Published", "2.1.0": "Published"})))
    assert not plan.applyable
    assert [(e.version, e.message.split(" (")[0]) for e in plan.errors] == [
        ("2.1.0", "refused: Deleted of a version protected by >=2.0.0")
    ]


def test_protect_in_use_refuses_a_delete_naming_the_file_and_line() -> None:
    state = desired({"format": "npm", "name": "cli", "otherwise": "Deleted"})
    [entry] = state.entries
    named = {(None, "cli"): {"1.0.0": Origin("deploy/package-lock.json", 7)}}
    in_use = type(state)(
        entries=(type(entry)(**{**entry.__dict__, "in_use": named}),), digest=state.digest, files=state.files
    )
    plan = make_plan(in_use, live(package(CLI, {"1.0.0": "Published"})), "https://example", "us-east-1")
    [error] = plan.errors
    assert error.message.startswith(
        "refused: Deleted of a version in use: named by deploy/package-lock.json:7"
    )


def test_accept_is_unaffected_by_a_declared_delete() -> None:
    plan = plan_for(
        {"format": "npm", "name": "cli", "otherwise": "Deleted", "accept": ["Unlisted"]},
        live(package(CLI, {"1.0.0": "Unlisted", "2.0.0": "Published"})),
    )
    assert changes(plan) == [("delete", "2.0.0", "Published", "Deleted")]
    [accepted] = plan.accepted
    assert (accepted.version, accepted.live, accepted.declared) == ("1.0.0", Status.UNLISTED, Status.DELETED)


def test_a_promotion_declared_deleted_copies_nothing() -> None:
    plan = plan_for(
        {
            "format": "npm",
            "name": "cli",
            "versions": {"2.0.0": {"status": "Deleted", "copy_from": "staging"}},
        },
        live(package(CLI, {}), package(ref("cli", repository="staging"), {"2.0.0": "Published"})),
    )
    assert plan.is_empty and not plan.warnings


def deleting_plan() -> Plan:
    return plan_for(
        {
            "format": "npm",
            "name": "cli",
            "versions": {"1.0.0": "Deleted", "1.1.0": "Disposed", "0.9.0": "Deleted"},
        },
        live(
            package(
                CLI, {"0.9.0": "Disposed", "1.0.0": "Published", "1.1.0": "Published", "2.0.0": "Published"}
            )
        ),
    )


def test_deletes_count_toward_both_blast_radius_limits_and_need_allowing() -> None:
    plan = deleting_plan()
    state = {
        CLI: package(
            CLI, {"0.9.0": "Disposed", "1.0.0": "Published", "1.1.0": "Published", "2.0.0": "Published"}
        )
    }
    # Three destroyed in all (the Disposed 0.9.0 included); two of the three open versions.
    assert limit_problems(plan, Limits(max_dispose=2, max_dispose_share=0.5), state) == [
        "the plan disposes or deletes 3 versions, more than the limit of 2; allow it with --max-dispose 3",
        "acme/prod/npm/cli: the plan disposes or deletes 2 of its 3 versions (67%), more than the limit "
        "of 50%; allow it with --max-dispose-share 0.67",
    ]
    assert limit_problems(plan, Limits(max_dispose=3, max_dispose_share=0.67), state) == []
    assert delete_refusal(plan, Limits()) == (
        "refused: the plan deletes 2 versions, and deletes are not allowed; nothing was changed"
    )
    assert delete_refusal(plan, Limits(allow_delete=True)) is None


def test_a_plan_with_deletes_round_trips_and_a_plan_without_writes_no_delete_count() -> None:
    plan = deleting_plan()
    document = json.loads(plan_json(plan))
    assert document["summary"]["to_delete"] == 2
    assert [a["kind"] for a in document["actions"]] == ["dispose", "delete", "delete"]  # one a status seen
    assert plan_from_document(document) == plan
    quiet = plan_for(
        {"format": "npm", "name": "cli", "versions": {"1.0.0": "Archived"}},
        live(package(CLI, {"1.0.0": "Published"})),
    )
    assert "to_delete" not in json.loads(plan_json(quiet))["summary"]


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            {"expected_status": "Deleted"},
            "a delete deletes a Published, Unlisted, Archived or Disposed version",
        ),
        (
            {"target_status": "Disposed"},
            "a delete deletes a Published, Unlisted, Archived or Disposed version",
        ),
        ({"source_repository": "staging"}, "a source_repository (staging) on a delete"),
    ],
)
def test_verify_refuses_a_tampered_delete(edit: dict[str, str], problem: str) -> None:
    document = json.loads(plan_json(deleting_plan()))
    delete = document["actions"][-1]
    delete.update(edit)
    for change in delete["versions"]:
        change["prior_status"], change["after"] = delete["expected_status"], delete["target_status"]
    assert any(problem in found for found in plan_problems(plan_from_document(document)))


def test_verify_refuses_a_delete_before_a_dispose_and_a_wrong_count() -> None:
    document = json.loads(plan_json(deleting_plan()))
    document["actions"].reverse()
    document["summary"]["to_delete"] = 5
    problems = plan_problems(plan_from_document(document))
    assert (
        "action 3 (dispose acme/prod/npm/cli): out of order (copies, then status updates, then disposes, then deletes)"
        in problems
    )
    assert "summary: to_delete is 5, but the plan holds 2" in problems


def test_a_version_already_gone_is_a_delete_done_and_one_that_moved_is_moved() -> None:
    plan = deleting_plan()
    now = {CLI: package(CLI, {"0.9.0": "Disposed", "1.1.0": "Published", "2.0.0": "Published"})}
    staleness = check_staleness(plan, now)
    assert [(key.version, key.kind) for key in staleness.done] == [("1.0.0", ActionKind.DELETE)]
    assert not staleness.moved
    moved = check_staleness(
        plan, {CLI: package(CLI, {"0.9.0": "Disposed", "1.0.0": "Archived", "1.1.0": "Published"})}
    )
    assert [(m.version, m.kind) for m in moved.moved] == [("1.0.0", ActionKind.DELETE)]


def test_a_delete_whose_answer_was_lost_is_settled_by_whether_the_version_is_still_there() -> None:
    action = deleting_plan().actions[-1]
    change = next(c for c in action.versions if c.version == "1.0.0")
    assert _verdict(action, change, None) == "as-planned"
    assert _verdict(action, change, ("Published", "rev-1.0.0")) == "untouched"
    assert _verdict(action, change, ("Published", "other")) == "moved"
    assert _verdict(action, change, ("Archived", "rev-1.0.0")) == "moved"


def test_every_view_shows_deletes_apart_and_first() -> None:
    plan = deleting_plan()
    text = render_plan_text(plan)
    assert "Plan: 2 to delete, 1 to dispose, 0 to update, 0 to copy" in text
    assert "  x delete (irreversible: the version and its assets are removed from the repository)" in text
    assert "    x 1.0.0  Published -> Deleted" in text
    markdown = render_plan_markdown(plan)
    assert markdown.splitlines()[1] == "## Reconciler plan: 2 to delete, 1 to dispose, 0 to update, 0 to copy"
    assert "| to delete | to dispose |" in markdown and "| **2** | **1** |" in markdown
    assert "Irreversible: 2 to delete, 1 to dispose in 1 package.** A deleted version is removed" in markdown
    assert "| **delete** | `1.0.0` | Published → **Deleted** |" in markdown
    assert "the apply job refuses it unless given `--allow-delete` (the action's `allow-delete: true`)" in (
        markdown
    )
    # A plan without deletes reads as before.
    quiet = plan_for(
        {"format": "npm", "name": "cli", "versions": {"1.0.0": "Archived"}},
        live(package(CLI, {"1.0.0": "Published"})),
    )
    assert "delete" not in render_plan_text(quiet) + render_plan_markdown(quiet)


def test_the_bytes_a_sized_plan_reclaims_are_said_to_be_its_disposes_and_deletes() -> None:
    sized = dataclasses.replace(deleting_plan(), reclaimed_bytes={str(CLI): 2048})
    phrase = "The disposes and deletes reclaim 2.0 kB of assets (2,048 bytes)."
    assert phrase in render_plan_text(sized)
    assert phrase in render_plan_markdown(sized)


def test_drift_reports_a_version_declared_deleted_that_is_there_and_shows_it_apart() -> None:
    report = detect_drift(deleting_plan())
    [item] = [i for i in report.items if i.version == "1.0.0"]
    assert (item.kind, item.live, item.declared) == (DriftKind.STATUS, Status.PUBLISHED, Status.DELETED)
    assert "| wrong status | `1.0.0` | Published | **Deleted** |" in render_drift_markdown(report)
    assert "| wrong status | `1.1.0` | Published | Disposed |" in render_drift_markdown(report)
    text = render_drift_text(report, color=True)
    deleted = next(line for line in text.splitlines() if "1.0.0" in line)
    disposed = next(line for line in text.splitlines() if "1.1.0" in line)
    assert deleted.split("~")[0] != disposed.split("~")[0]  # another colour
