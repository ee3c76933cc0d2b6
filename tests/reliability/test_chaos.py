"""The chaos suite's short run, in the default test run: 30 seeded trials, no violation.

The long run is `python -m tests.reliability chaos --trials 1000 --seed 1` (README, "Reliability
suites"); a violation's detail names the seed and trial that reproduce it.
"""

from __future__ import annotations

import pytest

from tests.reliability import chaos
from tests.reliability.tally import Tally

TRIALS = 30


def test_thirty_chaos_trials_break_no_invariant(capsys: pytest.CaptureFixture[str]) -> None:
    tally = Tally("chaos", seed=7)
    kinds = chaos.run(TRIALS, 7, tally)
    summary = tally.summary()
    with capsys.disabled():
        print("\n" + summary)
    assert tally.violations == 0, summary
    counted = {name: invariant.trials for name, invariant in tally.invariants.items()}
    # Every invariant was exercised: applies killed and not, with a writer, plans under faults.
    assert all(counted[name] > 0 for name in chaos.INVARIANTS), counted
    assert counted[chaos.JOURNAL] == TRIALS
    assert 0 < counted[chaos.REPORT] < TRIALS
    # Deletes (versions declared Deleted) are among the writes judged: guarded by expectedStatus.
    assert kinds["plan with deletes"] > 0, kinds
