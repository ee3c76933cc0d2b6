"""The reliability suites: chaos, fuzz and durability, each seeded, bounded and reproducible.

Each suite is a module with `run(trials, seed, tally)`; its short run is a test in the default suite
and its long run a command: `python -m tests.reliability SUITE --trials N --seed S`.
"""
