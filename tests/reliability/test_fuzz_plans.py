"""The short run of fuzz-plans (tests/reliability/fuzz_plans.py): no violation of any invariant."""

from __future__ import annotations

from tests.reliability import fuzz_plans
from tests.reliability.tally import Tally

TRIALS = 8  # the second over HTTP


def test_tampered_plans_are_refused_or_applied_exactly_as_written() -> None:
    tally = Tally(fuzz_plans.SUITE, seed=1)

    fuzz_plans.run(trials=TRIALS, seed=1, tally=tally)

    assert tally.invariants["inconsistent plan refused before any call"].trials > 0
    assert tally.invariants["writes only what the applied file says"].trials == 2 * TRIALS
    assert tally.violations == 0, tally.summary()
