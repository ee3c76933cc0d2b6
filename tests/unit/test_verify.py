"""A plan file cannot be bent: apply refuses, before any call, a plan the planner could not have made,
naming the action and version at fault, in its report and its journal."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.aws.client import Backend
from reconciler.cli import cli
from reconciler.codeartifact import Status
from reconciler.errors import PlanInconsistentError
from reconciler.plan import Plan
from reconciler.planfile import plan_document, plan_from_document, write_plan
from reconciler.planner import make_plan
from reconciler.verify import PROBLEMS_LISTED, check_plan, plan_problems
from reconciler.workflows.applying import ApplySettings, apply_saved_plan
from tests.refs import read_journal
from tests.unit.applying import make_plan as plan_of
from tests.unit.applying import update
from tests.unit.planning import desired, live, package, ref


def planned() -> Plan:
    """A plan as the planner makes it: a copy and the update that settles it, a plain copy, status
    updates and a dispose, in two packages."""
    return make_plan(
        desired(
            {
                "format": "npm",
                "name": "app",
                "versions": {
                    "0.1.0": "Disposed",
                    "0.2.0": "Archived",
                    "1.0.0": "Unlisted",
                    "2.0.0": {"status": "Unlisted", "copy_from": "staging"},
                    "3.0.0": {"status": "Published", "copy_from": "staging"},
                },
            },
            {"format": "npm", "name": "lib", "versions": {"1.0.0": "Archived", "0.9.0": "Disposed"}},
        ),
        live(
            package(ref("app"), {"0.1.0": "Published", "0.2.0": "Published", "1.0.0": "Published"}),
            package(ref("app", repository="staging"), {"2.0.0": "Published", "3.0.0": "Published"}),
            package(ref("lib"), {"0.9.0": "Archived", "1.0.0": "Published", "1.1.0": "Published"}),
        ),
        "local:test.db",
        "us-east-1",
    )


def document() -> dict[str, Any]:
    return plan_document(planned())


def test_the_plan_the_table_edits_is_consistent_and_has_every_kind_of_action() -> None:
    made = planned()
    kinds = [(a.kind.value, a.package.package, bool(a.source_repository)) for a in made.actions]
    assert kinds == [
        ("copy", "app", True),
        ("update-status", "app", False),
        ("update-status", "app", False),
        ("update-status", "app", True),
        ("update-status", "lib", False),
        ("dispose", "app", False),
        ("dispose", "lib", False),
    ]
    assert plan_problems(made) == []
    assert plan_problems(plan_from_document(json.loads(json.dumps(plan_document(made))))) == []


Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    """An edit setting one field: `path` is keys and list indexes joined by dots."""

    def edit(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        here: Any = doc
        for key in parents:
            here = here[int(key)] if isinstance(here, list) else here[key]
        if isinstance(here, list):
            here[int(last)] = value
        else:
            here[last] = value

    return edit


def _both(*edits: Edit) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        for one in edits:
            one(doc)

    return edit


def _retarget(index: int, status: str) -> Edit:
    """A consistent edit of one action's target: the action's and every version's `after`."""

    def edit(doc: dict[str, Any]) -> None:
        action = doc["actions"][index]
        action["target_status"] = status
        for version in action["versions"]:
            version["after"] = status

    return edit


def _duplicate_version(index: int) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        versions = doc["actions"][index]["versions"]
        versions.append(copy.deepcopy(versions[0]))

    return edit


def _move_version(source: int, destination: int) -> Edit:
    """Add a version of one action to another of the same package (statuses made to fit)."""

    def edit(doc: dict[str, Any]) -> None:
        moved = copy.deepcopy(doc["actions"][source]["versions"][0])
        target = doc["actions"][destination]
        moved.update(prior_status=target["expected_status"], after=target["target_status"])
        target["versions"].append(moved)

    return edit


def _swap(first: int, second: int) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        actions = doc["actions"]
        actions[first], actions[second] = actions[second], actions[first]

    return edit


# The actions of `planned()`, by index (their number in messages is one more):
# 0 copy app 2.0.0, 3.0.0 from staging; 1 update app 0.2.0 -> Archived; 2 update app 1.0.0 ->
# Unlisted; 3 the update settling app 2.0.0 (from staging) -> Unlisted; 4 update lib 1.0.0 ->
# Archived; 5 dispose app 0.1.0; 6 dispose lib 0.9.0 (Archived).
APP, LIB = "acme/prod/npm/app", "acme/prod/npm/lib"
TAMPERED: dict[str, tuple[Edit, str]] = {
    "a dispose that archives": (
        _set("actions.5.target_status", "Archived"),
        f"action 6 (dispose {APP}): a dispose disposes a Published, Unlisted or Archived version, not "
        "Published -> Archived",
    ),
    "a dispose that archives, versions and all": (
        _retarget(5, "Archived"),
        f"action 6 (dispose {APP}): a dispose disposes",
    ),
    "a version's after that is not the action's target": (
        _set("actions.5.versions.0.after", "Archived"),
        f"action 6 (dispose {APP}): version '0.1.0': after Archived, but the action makes it Disposed",
    ),
    "an update-status to Disposed": (
        _retarget(1, "Disposed"),
        f"action 2 (update-status {APP}): an update-status makes a version Published, Unlisted or "
        "Archived, not Published -> Disposed",
    ),
    "an update-status to Unfinished": (_retarget(1, "Unfinished"), "not Published -> Unfinished"),
    "an update-status to Deleted": (_retarget(1, "Deleted"), "not Published -> Deleted"),
    "an update-status that changes nothing": (_retarget(1, "Published"), "not Published -> Published"),
    "an update-status from Disposed": (
        _both(
            _set("actions.4.expected_status", "Disposed"),
            _set("actions.4.versions.0.prior_status", "Disposed"),
        ),
        f"action 5 (update-status {LIB}): an update-status cannot move a version Disposed -> Archived",
    ),
    "a version's prior status that is not the action's expected": (
        _set("actions.4.versions.0.prior_status", "Unlisted"),
        f"action 5 (update-status {LIB}): version '1.0.0': prior status Unlisted, but the action "
        "expects Published",
    ),
    "a version twice in one action": (
        _duplicate_version(6),
        f"action 7 (dispose {LIB}): version '0.9.0' twice in the action",
    ),
    "a version both updated and disposed": (
        _move_version(4, 6),
        f"{LIB} version '1.0.0' is changed by actions 5, 7",
    ),
    "a version in two updates of one package": (
        _move_version(1, 2),
        f"action 3 (update-status {APP}): version '0.2.0' is also in action 2, of the same kind and package",
    ),
    "a copied version also updated without settling": (
        _move_version(0, 1),
        f"{APP} version '2.0.0' is changed by actions 1, 2: a version is copied, updated, disposed or deleted",
    ),
    "a copy with its source repository removed": (
        _set("actions.0.source_repository", None),
        f"action 1 (copy {APP}): a copy without a source_repository",
    ),
    "a copy from its own repository": (
        _set("actions.0.source_repository", "prod"),
        f"action 1 (copy {APP}): a copy from its own repository",
    ),
    "a copy that changes the status": (
        _set("actions.0.target_status", "Archived"),
        f"action 1 (copy {APP}): a copy copies a Published or Unlisted version as it is, not "
        "Published -> Archived",
    ),
    "a copy of an Archived version": (
        _both(
            _retarget(0, "Archived"),
            _set("actions.0.expected_status", "Archived"),
            _set("actions.0.versions.0.prior_status", "Archived"),
            _set("actions.0.versions.1.prior_status", "Archived"),
        ),
        f"action 1 (copy {APP}): a copy copies a Published or Unlisted version as it is, not "
        "Archived -> Archived",
    ),
    "a source repository on a dispose": (
        _set("actions.5.source_repository", "staging"),
        f"action 6 (dispose {APP}): a source_repository (staging) on a dispose",
    ),
    "a source repository on a plain update": (
        _set("actions.4.source_repository", "staging"),
        f"action 5 (update-status {LIB}): version '1.0.0': source_repository staging on an update that "
        "settles no copy",
    ),
    "a settling update whose copy comes from elsewhere": (
        _set("actions.3.source_repository", "dev"),
        f"action 4 (update-status {APP}): version '2.0.0': source_repository dev on an update that "
        "settles no copy of this version from dev",
    ),
    "a settling update that expects another revision than the copy brings": (
        _set("actions.3.versions.0.prior_revision", "rev-other"),
        "settles a copy that arrives Published (revision rev-2.0.0), not Published (revision rev-other)",
    ),
    "allow_overwrite on an update": (
        _set("actions.1.allow_overwrite", True),
        f"action 2 (update-status {APP}): allow_overwrite or include_from_upstream",
    ),
    "a dispose before the updates": (
        _swap(4, 5),
        f"action 6 (update-status {LIB}): out of order",
    ),
    "a settling update before its copy": (
        _swap(0, 3),
        f"action 4 (copy {APP}): out of order",
    ),
    "a domain the target does not record": (
        _set("actions.4.package.domain", "other"),
        "action 5 (update-status other/prod/npm/lib): domain other is not in the plan's target",
    ),
    "another owner than the target records": (
        _set("actions.4.package.domain_owner", "999988887777"),
        f"action 5 (update-status {LIB}): domain acme owner 999988887777, but the plan's target records "
        "111122223333",
    ),
    "actions of one domain naming different owners": (
        _set("actions.4.package.domain_owner", "111122223333"),
        "domain acme: its actions name different owners",
    ),
    "a summary that undercounts disposes": (
        _set("summary.to_dispose", 1),
        "summary: to_dispose is 1, but the plan holds 2",
    ),
    "a summary that miscounts copies": (
        _set("summary.to_copy", 0),
        "summary: to_copy is 0, but the plan holds 2",
    ),
    "a summary that miscounts updates": (
        _set("summary.to_update", 9),
        "to_update is 9, but the plan holds 4",
    ),
    "a summary that hides errors": (
        _set("summary.cannot_converge", 3),
        "cannot_converge is 3, but the plan holds 0",
    ),
}


@pytest.mark.parametrize("name", TAMPERED)
def test_every_kind_of_inconsistency_is_found_and_named(name: str) -> None:
    edit, named = TAMPERED[name]
    doc = document()
    edit(doc)
    problems = plan_problems(plan_from_document(doc))
    assert any(named in problem for problem in problems), problems


def refuse_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    def connect(*args: object, **kwargs: object) -> None:
        raise AssertionError("apply connected to CodeArtifact")

    monkeypatch.setattr("reconciler.workflows.regions.connect", connect)


@pytest.mark.parametrize("name", TAMPERED)
def test_apply_refuses_every_tampered_plan_before_any_call_in_its_report_and_journal(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit, named = TAMPERED[name]
    doc = document()
    edit(doc)
    path = tmp_path / "tampered.plan.json"
    path.write_text(json.dumps(doc))
    refuse_connections(monkeypatch)
    monkeypatch.setattr("reconciler.workflows.applying.__version__", doc["tool_version"])

    result = apply_saved_plan(path, [], Backend(), ApplySettings(progress=False))

    assert result.result == "refused"
    assert isinstance(result.stopped, PlanInconsistentError)
    assert result.stopped.summary.startswith("refused: the plan file is not consistent")
    assert named in result.stopped.detail
    assert sum(result.calls.values()) == 0
    assert result.report.outcomes == []
    records = read_journal(tmp_path / "tampered.plan.journal.jsonl")
    assert [r["event"] for r in records] == ["apply", "refused"]
    assert named in records[-1]["detail"]


def test_the_untampered_plan_passes_the_same_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "honest.plan.json"
    write_plan(planned(), path)
    refuse_connections(monkeypatch)
    monkeypatch.setattr("reconciler.workflows.applying.__version__", planned().tool_version)

    # It gets as far as connecting: every check from the plan alone let it through.
    with pytest.raises(AssertionError, match="apply connected"):
        apply_saved_plan(path, [], Backend(), ApplySettings(progress=False))


def test_an_action_of_more_than_100_versions_is_refused() -> None:
    made = plan_of(update(*(f"1.0.{n}" for n in range(101))))
    problems = plan_problems(made)
    assert any("101 versions, more than the 100 a call takes" in problem for problem in problems)


def test_an_unfinished_upload_may_be_published_and_nothing_else() -> None:
    published = plan_of(update("1.0.0", prior=Status.UNFINISHED, after=Status.PUBLISHED))
    archived = plan_of(update("1.0.0", prior=Status.UNFINISHED, after=Status.ARCHIVED))
    assert not [p for p in plan_problems(published) if "update-status" in p]
    assert any("cannot move a version Unfinished -> Archived" in p for p in plan_problems(archived))


def test_a_refusal_lists_the_first_problems_and_counts_the_rest() -> None:
    made = plan_of(*(update(f"1.0.{n}", after=Status.DISPOSED) for n in range(30)))
    with pytest.raises(PlanInconsistentError) as caught:
        check_plan(made)
    lines = caught.value.detail.splitlines()
    problems = len(plan_problems(made))
    assert f"({problems} problems)" in caught.value.summary
    assert lines[PROBLEMS_LISTED] == f"... and {problems - PROBLEMS_LISTED} more"
    assert lines[-1].startswith("A plan is applied only as the planner wrote it")


def test_the_json_report_of_a_tampered_plan_names_the_problem_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit, named = TAMPERED["a dispose that archives"]
    doc = document()
    edit(doc)
    path = tmp_path / "tampered.plan.json"
    path.write_text(json.dumps(doc))
    refuse_connections(monkeypatch)
    monkeypatch.setattr("reconciler.workflows.applying.__version__", doc["tool_version"])

    result = CliRunner().invoke(cli, ["apply", str(path), "--output", "json"])

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["result"] == "refused"
    assert report["reason"]["summary"].startswith("refused: the plan file is not consistent")
    assert named in report["reason"]["detail"]
    assert report["calls"] == 0 and report["versions"] == []
    assert "Error: refused: the plan file is not consistent" in result.stderr


def test_an_accepted_version_the_plan_also_changes_or_miscounts_is_refused() -> None:
    from tests.unit.test_planner import accepting_plan

    original = plan_document(accepting_plan())
    assert plan_problems(plan_from_document(original)) == []
    miscounted = {**original, "summary": {**original["summary"], "accepted": 1}}
    assert plan_problems(plan_from_document(miscounted)) == ["summary: accepted is 1, but the plan holds 4"]
    changed = dict(original)
    action = changed["actions"][0]
    twice = {
        **original["accepted"][0],
        "version": action["versions"][0]["version"],
        "package": action["package"],
    }
    changed["accepted"] = [*original["accepted"][1:], twice]
    assert plan_problems(plan_from_document(changed)) == [
        "accepted: acme/prod/npm/app version '2.0.0' is accepted as it is, and changed by an action"
    ]
