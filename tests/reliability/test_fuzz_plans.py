"""The short run of fuzz-plans (tests/reliability/fuzz_plans.py): no violation of any invariant."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from reconciler.planfile import plan_from_document, plan_json
from reconciler.planner import make_plan
from reconciler.verify import plan_problems
from tests.reliability import fuzz_plans, planedits
from tests.reliability.tally import Tally
from tests.unit.planning import desired, live, package, ref
from tests.unit.test_plan_targets import two_region_plan

TRIALS = 8  # the second over HTTP


def test_tampered_plans_are_refused_or_applied_exactly_as_written() -> None:
    tally = Tally(fuzz_plans.SUITE, seed=1)

    fuzz_plans.run(trials=TRIALS, seed=1, tally=tally)

    assert tally.invariants["inconsistent plan refused before any call"].trials > 0
    assert tally.invariants["writes only what the applied file says"].trials == 2 * TRIALS
    assert tally.violations == 0, tally.summary()


def _deleting_plan() -> dict[str, Any]:
    """A plan with an update to Archived, a dispose and deletes (one of a Disposed version)."""
    state = desired(
        {
            "format": "npm",
            "name": "cli",
            "versions": {"1.0.0": "Archived", "1.1.0": "Disposed", "1.2.0": "Deleted", "0.9.0": "Deleted"},
        }
    )
    versions = {"0.9.0": "Disposed", "1.0.0": "Published", "1.1.0": "Published", "1.2.0": "Unlisted"}
    made = make_plan(state, live(package(ref("cli"), versions)), "https://example", "us-east-1")
    assert plan_problems(made) == []
    document: dict[str, Any] = json.loads(plan_json(made))
    return document


@pytest.mark.parametrize(
    "edit", [planedits.disposed_and_deleted, planedits.deleting_what_is_gone, planedits.archive_deleted]
)
@pytest.mark.parametrize("seed", range(3))
def test_edits_of_a_plan_with_deletes_are_judged_by_verify_as_the_suite_expects(edit: Any, seed: int) -> None:
    document, kind = edit(random.Random(seed), _deleting_plan())

    problems = plan_problems(plan_from_document(document))

    assert (kind, bool(problems)) in ((planedits.INCONSISTENT, True), (planedits.CONSISTENT, False)), problems


@pytest.mark.parametrize("seed", range(60))
def test_every_edit_the_suite_draws_applies_to_a_plan_of_several_regions(seed: int) -> None:
    # The example data spans two Regions, so the suite edits plans that record `targets`, not
    # `target`; an edit may find nothing to apply to, never fail on the plan's shape.
    document: dict[str, Any] = json.loads(plan_json(two_region_plan()))

    changed, kind, _ = fuzz_plans.edited(random.Random(seed), document)

    assert kind in (planedits.INCONSISTENT, planedits.CONSISTENT, planedits.ANY)
    assert isinstance(changed, dict)
