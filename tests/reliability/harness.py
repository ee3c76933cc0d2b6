"""What the fuzz suites share: each trial's own random source, the command line run in process under a
time budget, the checks every run of it must pass, and a seeded local database with its fingerprint."""

from __future__ import annotations

import contextlib
import hashlib
import random
import re
import signal
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.local import LocalCodeArtifact
from reconciler.local.seed import load_seed, seed_service

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "manifests"
EXAMPLE_DATA = EXAMPLES / "local" / "example-data.yaml"
EXAMPLE_MANIFESTS = sorted([*EXAMPLES.glob("prod/*.yaml"), *EXAMPLES.glob("staging/*.yaml")])

# A run of one command on one fuzzed input takes well under a second of CPU; ten is generous. The
# budget is counted in CPU time, so that a machine loaded by other work does not count as a hang
# (alias-bomb manifests that `validate` refuses in 0.4 to 1.5 s on a quieter machine took 10 to 17 s
# at a load average of 20), and a run is stopped outright after `WALL_FACTOR` times as much wall time.
BUDGET_SECONDS = 10.0
WALL_FACTOR = 6


def trial_random(suite: str, seed: int, trial: int) -> random.Random:
    """The random source of one trial: a function of (suite, seed, trial) alone, so any trial runs
    again by itself (a string seed is hashed with SHA-512 by `random.seed`, the same on every run)."""
    return random.Random(f"{suite}:{seed}:{trial}")


def where(seed: int, trial: int) -> str:
    """How a violation names the trial that reproduces it."""
    return f"seed {seed} trial {trial}"


class Hang(BaseException):
    """The time budget of one run ran out (a BaseException, so no `except Exception` swallows it)."""


@dataclass(frozen=True)
class Run:
    """One command run in process: its result (None when it was stopped), and the CPU and wall time
    it took."""

    result: Result | None
    seconds: float
    budget: float = BUDGET_SECONDS
    wall: float = 0.0

    @property
    def hung(self) -> bool:
        return self.result is None or self.seconds > self.budget


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(
    *args: str | Path, budget: float = BUDGET_SECONDS, env: dict[str, str | None] | None = None
) -> Run:
    """`reconciler ARGS` in process (the exit code a user gets): `budget` seconds of CPU (this
    process's, every thread), stopped by SIGALRM after `WALL_FACTOR` times as many of wall time."""
    started, cpu = time.monotonic(), time.process_time()
    try:
        with _alarm(budget * WALL_FACTOR):
            result: Result | None = CliRunner().invoke(cli, [str(arg) for arg in args], env=env)
    except Hang:
        result = None
    return Run(result, time.process_time() - cpu, budget, time.monotonic() - started)


def internal_error(result: Result) -> str | None:
    """Why `result` is a bug of the tool (exit 3, an exception that is not an exit, a traceback), or None."""
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    if result.exit_code == 3 or "Error: unexpected" in output:
        return f"exit {result.exit_code}: {output[-600:]!r}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"exception {result.exception!r}"
    if "Traceback" in output:
        return f"a traceback: {output[-600:]!r}"
    return None


_FILE_LINE = re.compile(r"\d+: ")
_NO_MANIFEST = "no manifest found in {path} (*.yaml and *.yml files of kind PackageLifecycle)"
_MANIFEST_PROBLEMS = re.compile(r"Error: \d+ problems? in the manifests")


def unplaced_problems(result: Result, path: Path) -> list[str]:
    """The problems of a run that refused the manifest file `path` that do not start `PATH:LINE: `.

    Only a run that ends with the manifests' problems is judged (a plan can fail for other reasons,
    say a repository that does not exist, which is no line of a file)."""
    if result.exit_code != 1:
        return []
    header, *problems = result.stderr.splitlines() or [""]
    if not _MANIFEST_PROBLEMS.fullmatch(header):
        return []
    if problems == [_NO_MANIFEST.format(path=path)]:
        return []  # nothing in the file claims to be a manifest: there is no line to name
    if not problems:
        return [f"{header} (and none listed)"]
    prefix = f"{path}:"
    return [
        problem
        for problem in problems
        if not (problem.startswith(prefix) and _FILE_LINE.match(problem, len(prefix)))
    ]


def seeded_database(folder: Path) -> Path:
    """The example data of manifests/local/ seeded into a new database file in `folder`."""
    path = folder / "example.db"
    with LocalCodeArtifact(path) as service:
        seed_service(service, load_seed(EXAMPLE_DATA))
    with sqlite3.connect(path) as conn:  # one file, so that copying it copies everything
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def fingerprint(db: Path) -> str:
    """A hash of every row of every table of the database: equal before and after means no write."""
    digest = hashlib.sha256()
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        tables = [
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        ]
        for table in tables:
            digest.update(table.encode())
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid'):
                digest.update(repr(row).encode())
    return digest.hexdigest()
