"""The example manifests in manifests/, planned and applied through the command line against the
example data they were written for, converge: a second plan is empty. So does quickstart.sh."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.aws.client import Backend
from reconciler.cli import cli
from reconciler.codeartifact import Status
from reconciler.limits import Limits, check_limits
from reconciler.plan import ActionKind, Plan
from reconciler.planfile import read_plan
from reconciler.staleness import packages_to_check
from reconciler.verify import plan_problems
from reconciler.workflows.applying import backends_for_plan
from reconciler.workflows.planning import read_and_plan
from reconciler.workflows.reading import read_packages
from reconciler.workflows.regions import connect_all

REPO = Path(__file__).parents[2]
MANIFESTS = REPO / "manifests"
EXAMPLE_FILES = sorted(
    path for path in MANIFESTS.rglob("*.y*ml") if (MANIFESTS / "local") not in path.parents
)
DAY = 86400.0


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def plan(paths: Path, db: Path, out: Path, *options: str) -> tuple[Result, Plan]:
    result = invoke("plan", paths, "--local", db, "-o", out, *options)
    return result, read_plan(out)


def apply(plan_file: Path, db: Path) -> Result:
    # The local service has no quotas: pace the calls at ten times AWS's default rates. The examples
    # declare a version Deleted (manifests/prod/python.yaml), which apply makes only when allowed.
    return invoke("apply", plan_file, "--local", db, "--rate-scale", "10", "--allow-delete")


@pytest.fixture(scope="module")
def example_plan(seeded_once: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Plan]:
    """The plan of every example manifest against the fresh example data (nothing applied)."""
    folder = tmp_path_factory.mktemp("plan")
    db = folder / "local.db"
    shutil.copy(seeded_once, db)
    return plan(MANIFESTS, db, folder / "plan.json")


def test_the_example_manifests_plan_copies_updates_disposes_and_deletes_without_errors_or_warnings(
    example_plan: tuple[Result, Plan],
) -> None:
    result, made = example_plan

    assert result.exit_code == 0, result.output
    assert made.errors == ()
    assert made.warnings == ()
    assert made.summary.to_copy > 0
    assert made.summary.to_update > 0
    assert made.summary.to_dispose > 0
    assert made.summary.to_delete > 0
    assert {action.kind for action in made.actions} == set(ActionKind)
    assert f"Plan: {made.summary.to_delete} to delete, {made.summary.to_dispose} to dispose" in result.stdout


def test_the_example_plan_is_consistent_as_apply_checks_a_plan_file(
    example_plan: tuple[Result, Plan],
) -> None:
    _, made = example_plan

    assert plan_problems(made) == []


def test_the_example_plan_stays_within_the_default_blast_radius_limits(
    example_plan: tuple[Result, Plan], seeded_once: Path
) -> None:
    _, made = example_plan
    refs = packages_to_check(made)
    live = {}
    connections = connect_all(backends_for_plan(made, Backend(local_db=str(seeded_once))))
    try:
        for region, connection in connections.items():  # each Region's packages with its own client
            found, _ = read_packages(
                connection.client, [ref for ref in refs if ref.repository.region == region]
            )
            live.update(found)
    finally:
        connections.close()

    check_limits(made, Limits(), live)  # raises LimitExceededError past 100 disposes or half a package

    assert made.summary.to_dispose <= Limits().max_dispose // 2  # disposes stay a small part of the plan


def test_the_example_plan_touches_every_repository_of_the_example_data(
    example_plan: tuple[Result, Plan],
) -> None:
    _, made = example_plan

    assert {action.package.repository.repository for action in made.actions} == {
        "npm-proxy",
        "staging",
        "prod",
    }


def test_in_the_example_plan_an_exact_entry_beats_the_glob_that_matches_the_same_package(
    example_plan: tuple[Result, Plan],
) -> None:
    _, made = example_plan
    proxy = {
        (action.package.package, version.version): (action.target_status, version.reason)
        for action in made.actions
        if action.package.repository.repository == "npm-proxy"
        for version in action.versions
    }

    # The glob unlists cached versions older than 300 days; lodash 4.17.20 is older, but its
    # exact entry pins it Archived, and nothing of the glob applies to lodash.
    assert proxy[("react", "18.2.0")][0] is Status.UNLISTED
    status, reason = proxy[("lodash", "4.17.20")]
    assert status is Status.ARCHIVED
    assert reason.startswith("pinned")
    assert set(proxy) == {("react", "18.2.0"), ("lodash", "4.17.20")}


def test_applying_the_example_plan_converges_so_that_a_second_plan_is_empty(db: Path, tmp_path: Path) -> None:
    _, made = plan(MANIFESTS, db, tmp_path / "plan.json")

    applied = apply(tmp_path / "plan.json", db)
    again, replanned = plan(MANIFESTS, db, tmp_path / "again.json", "--detailed-exitcode")

    assert not made.is_empty
    assert applied.exit_code == 0, applied.output
    assert "Apply complete" in applied.stdout
    assert again.exit_code == 0, again.output
    assert replanned.is_empty
    assert replanned.errors == ()
    assert "No changes. Live state matches the manifests." in again.stdout


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: str(path.relative_to(MANIFESTS)))
def test_each_example_file_applied_alone_to_fresh_data_converges(
    path: Path, db: Path, tmp_path: Path
) -> None:
    first, made = plan(path, db, tmp_path / "plan.json", "--detailed-exitcode")
    applied = apply(tmp_path / "plan.json", db)
    again, replanned = plan(path, db, tmp_path / "again.json", "--detailed-exitcode")

    assert first.exit_code == 2, first.output  # changes, and no errors
    assert made.errors == ()
    assert made.warnings == ()
    assert applied.exit_code == 0, applied.output
    assert again.exit_code == 0, again.output
    assert replanned.is_empty


@pytest.mark.parametrize("days", [-2, 2])
def test_the_example_plan_is_the_same_when_made_two_days_earlier_or_later(db: Path, days: int) -> None:
    # Age-based rules compare publish times (relative to seeding) with thresholds such as 90d; a
    # threshold that fell within hours of a version's age would make the examples flaky.
    now = time.time()
    plans = []
    for at in (now, now + days * DAY):
        fresh = read_and_plan([MANIFESTS], Backend(local_db=str(db)), 8, clock=lambda at=at: at)
        fresh.connections.close()
        plans.append(fresh.plan)

    def changes(made: Plan) -> list[tuple[str, str, str, str]]:
        return [
            (action.kind.value, str(action.package), version.version, action.target_status.value)
            for action in made.actions
            for version in action.versions
        ]

    assert changes(plans[1]) == changes(plans[0])


def test_quickstart_runs_the_whole_tutorial_and_exits_0(tmp_path: Path) -> None:
    workdir = tmp_path / "repo"
    shutil.copytree(MANIFESTS, workdir / "manifests")
    shutil.copy(REPO / "quickstart.sh", workdir / "quickstart.sh")
    (workdir / ".reconciler").mkdir()
    (workdir / ".reconciler" / "quickstart.db").write_text("an old database, to be replaced")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}

    done = subprocess.run(
        ["bash", "quickstart.sh"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for command in (
        "$ reconciler local seed manifests/local/example-data.yaml --db .reconciler/quickstart.db",
        "$ reconciler validate manifests",
        "$ reconciler plan manifests --local .reconciler/quickstart.db -o plans/quickstart.plan.json --summary",
        "$ reconciler apply plans/quickstart.plan.json --local .reconciler/quickstart.db --allow-delete",
        "$ reconciler drift manifests --local .reconciler/quickstart.db",
    ):
        assert command in out
    assert "Seeded .reconciler/quickstart.db" in out
    assert "Plan: " in out
    assert "Apply complete" in out
    assert "No changes. Live state matches the manifests." in out
    assert "No drift" in out
    assert (workdir / "plans" / "quickstart.plan.json").is_file()
