"""Packages planned as they are read (`planner.PlannedAhead`) make the plan `make_plan` makes after
every read, byte for byte: on the example data, whose manifests copy, protect, accept and delete."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.aws.client import Backend
from reconciler.manifest import load_manifests
from reconciler.planfile import plan_json
from reconciler.planner import PlannedAhead, make_plan
from reconciler.scope import resolve_entries
from reconciler.workflows.planning import read_and_plan
from tests.functional.test_examples import MANIFESTS


def _ahead(paths: list[Path], db: Path) -> tuple[str, str, PlannedAhead]:
    fresh = read_and_plan(paths, Backend(local_db=str(db)), None)
    fresh.connections.close()
    desired, live, targets = fresh.desired, fresh.live, fresh.plan.targets
    ahead = PlannedAhead(live.now)
    resolved = resolve_entries(desired, live.package_names)
    ahead.expect(resolved)
    for item in resolved:
        ahead.read(item.ref, live.packages.get(item.ref))
    after_every_read = make_plan(desired, live, targets[0].endpoint, targets[0].region, targets)
    with_ahead = make_plan(desired, live, targets[0].endpoint, targets[0].region, targets, ahead)
    return plan_json(after_every_read), plan_json(with_ahead), ahead


@pytest.mark.parametrize("which", ["every example", "prod only"])
def test_planning_each_package_as_it_is_read_makes_the_same_plan(db: Path, which: str) -> None:
    paths = [MANIFESTS] if which == "every example" else [MANIFESTS / "prod"]
    expected, made, ahead = _ahead(paths, db)
    assert made == expected
    copies = [item for item in resolve_entries(load_manifests(paths), {}) if item.copy_sources]
    assert ahead.tallies  # some packages were planned ahead ...
    assert all(item.ref not in ahead.tallies for item in copies)  # ... never one that copies


def test_parts_planned_at_another_moment_are_not_taken(db: Path) -> None:
    """A `PlannedAhead` of another `now` (ages are relative to it) is ignored: the plan is made anew."""
    fresh = read_and_plan([MANIFESTS], Backend(local_db=str(db)), None)
    fresh.connections.close()
    desired, live, targets = fresh.desired, fresh.live, fresh.plan.targets
    stale = PlannedAhead(live.now - 86400 * 400)
    resolved = resolve_entries(desired, live.package_names)
    stale.expect(resolved)
    for item in resolved:
        stale.read(item.ref, None)  # as if every package were missing: a very different plan
    made = make_plan(desired, live, targets[0].endpoint, targets[0].region, targets, stale)
    assert plan_json(made) == plan_json(
        make_plan(desired, live, targets[0].endpoint, targets[0].region, targets)
    )


# Unlisted by hand and accepted; pre-releases disposed, but protected below 1.0: plan errors.
GUARDED = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {{domain: {domain}, repository: {repository}}}
packages:
  - format: npm
    name: "*"
    protect: ["<1.0.0"]
    rules:
      - prerelease: true
        status: Disposed
      - status: Published
        accept: [Unlisted]
"""


@pytest.mark.parametrize("manifest", ["ranked", "aged", "guarded"])
def test_the_same_plan_with_warnings_errors_and_accepted_versions(tmp_path: Path, manifest: str) -> None:
    """Many packages ranked by version or placed by age, most of them changing the version users get
    by default (warnings), some disposing protected versions (errors) or accepting versions moved by
    hand: every package is planned ahead, and the plan is the same."""
    import time

    from tests.bench_plan import AGED, DOMAIN, RANKED, REPOSITORY, seed

    db = tmp_path / "bench.db"
    seed(db, 30, 60, time.time())
    path = tmp_path / f"{manifest}.yaml"
    text = {"ranked": RANKED, "aged": AGED, "guarded": GUARDED}[manifest]
    path.write_text(text.format(domain=DOMAIN, repository=REPOSITORY), encoding="utf-8")
    expected, made, ahead = _ahead([path], db)
    assert made == expected
    assert len(ahead.tallies) == 30
    if manifest == "guarded":
        assert '"errors": [\n    {' in expected and '"accepted": [\n    {' in expected
    else:
        assert '"warnings": [\n    "' in expected and '"unmanaged"' in expected
