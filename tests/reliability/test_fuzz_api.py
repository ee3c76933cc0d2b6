"""The short run of fuzz-api (tests/reliability/fuzz_api.py): no violation of any invariant."""

from __future__ import annotations

import pytest

from tests.reliability import fuzz_api
from tests.reliability.tally import Tally

pytestmark = pytest.mark.http


def test_fuzzed_requests_get_aws_shaped_answers_and_change_nothing_when_refused() -> None:
    tally = Tally(fuzz_api.SUITE, seed=1)

    fuzz_api.run(trials=100, seed=1, tally=tally)

    assert tally.invariants["every answer is AWS-shaped"].trials == 100
    assert tally.invariants["no write from a failed request"].trials > 50
    assert tally.violations == 0, tally.summary()
