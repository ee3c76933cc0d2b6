"""The long runs of the reliability suites: `python -m tests.reliability SUITE --trials N --seed S`.

Prints `N trials, V violations` for every invariant of the suite; exits 0 when there is no
violation, 2 when there is one (with the trial and seed that reproduce it), 1 on a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from tests.reliability.tally import Tally

# Suite name -> the module that runs it (`run(trials: int, seed: int, tally: Tally) -> None`).
SUITES = {
    "chaos": "tests.reliability.chaos",
    "fuzz-manifests": "tests.reliability.fuzz_manifests",
    "fuzz-plans": "tests.reliability.fuzz_plans",
    "fuzz-api": "tests.reliability.fuzz_api",
    "durability": "tests.reliability.durability",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability", description=__doc__)
    parser.add_argument("suite", choices=sorted(SUITES))
    parser.add_argument("--trials", type=int, required=True, help="how many trials to run")
    parser.add_argument("--seed", type=int, default=1, help="the seed the trials are drawn from")
    args = parser.parse_args(argv)
    if args.trials < 1:
        parser.error("--trials must be at least 1")
    module = importlib.import_module(SUITES[args.suite])
    tally = Tally(args.suite, args.seed)
    started = time.monotonic()
    module.run(args.trials, args.seed, tally)
    print(tally.summary())
    print(f"  ({time.monotonic() - started:.0f} s)")
    return 2 if tally.violations else 0


if __name__ == "__main__":
    sys.exit(main())
