"""The short run of fuzz-manifests (tests/reliability/fuzz_manifests.py): no violation of any invariant."""

from __future__ import annotations

from tests.reliability import fuzz_manifests
from tests.reliability.tally import Tally


def test_fuzzed_manifests_never_break_validate_or_plan() -> None:
    tally = Tally(fuzz_manifests.SUITE, seed=1)

    fuzz_manifests.run(trials=30, seed=1, tally=tally)

    assert tally.invariants["no internal error"].trials == 60
    assert tally.violations == 0, tally.summary()
