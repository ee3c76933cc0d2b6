"""The chaos suite: plan and apply against the local service under faults, a concurrent writer and
kill -9, each trial judged against the service's own record of the writes it committed.

A trial (seeded from `(seed, index)`, so `CHAOS_ONLY=INDEX python -m tests.reliability chaos
--trials N --seed S` runs trial INDEX of that run alone):

1. seeds a fresh database with a small population of `staging` and `prod`, several formats, one
   with a namespace, statuses mixed (`chaos_world`), and writes manifests for it;
2. serves it over HTTP (`BackgroundServer`) with the record of committed writes on, and plans
   without faults: the plan file apply will be given;
3. in some trials plans again under throttles, 500s and dropped connections: that plan either
   succeeds with exactly the fault-free plan's actions, or fails with exit 1 and an `Error:`
   message, and writes nothing;
4. applies the plan (`apply PLAN --output json --journal FILE`) under throttles, 500s, dropped
   connections and lost replies (seeded), in some trials with another writer changing the
   statuses of planned versions between apply's calls (and between a lost reply and its retry),
   in some trials killed with SIGKILL once its k-th write committed (then apply runs in a forked
   child process, and only its journal speaks for it);
5. judges the writes apply's access key committed (`chaos_judge`), the report and the journal;
6. with the writer stopped and no faults, plans and applies again (another access key) until a
   plan has no changes: at most 2 rounds.

The invariants, each counted once per trial it applies to, are defined in docs/reliability.md
("Chaos"). A trial costs about 0.5 s of CPU, nearly all of it the command line's five or six runs,
in this process (botocore's data files parsed once for the whole run) or, for a killed apply, in a
child forked from it (no interpreter to start): 1,000 trials took 511 s of CPU and 17 minutes of
wall time on a shared 2-core machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.local import BackgroundServer, LocalCodeArtifact
from reconciler.local.faults import FaultInjector, Faults
from reconciler.local.seed import SeedDocument, seed_service
from reconciler.local.writelog import read_writes
from tests.refs import read_journal
from tests.reliability import chaos_judge as judge
from tests.reliability.chaos_rig import (
    ChaosInjector,
    Child,
    ErrorLog,
    InFlight,
    Ran,
    Writer,
    run_cli,
    shared_botocore_data,
)
from tests.reliability.chaos_world import World, make_world
from tests.reliability.tally import Tally

APPLY_KEY = "AKIACHAOSAPPLY"
PLAN_KEY = "AKIACHAOSPLAN"
ROUND_KEY = "AKIACHAOSROUND"

GUARDED = "every write guarded"
IN_PLAN = "no write outside the plan"
ONCE = "nothing applied twice"
CONVERGES = "converges in 2 rounds"
REPORT = "report agrees with the service"
JOURNAL = "journal agrees with the service"
PLAN_FAULTS = "plan under faults is the fault-free plan or a clear error"
PLAN_WRITES = "plan writes nothing"
NO_BUG = "no internal error"
INVARIANTS = [GUARDED, IN_PLAN, ONCE, CONVERGES, REPORT, JOURNAL, PLAN_FAULTS, PLAN_WRITES, NO_BUG]

# Shares of trials: a plan under faults, a concurrent writer, a kill -9 of apply.
PLAN_UNDER_FAULTS = 0.5
WITH_WRITER = 0.4
KILLED = 0.2
ONLY = "CHAOS_ONLY"  # the one trial index to run, when set
KEEP = "CHAOS_KEEP"  # a directory to copy the files of every trial with a violation into


def run(trials: int, seed: int, tally: Tally, *, only: int | None = None) -> dict[str, int]:
    """Run the trials into `tally`; how many trials met each kind of chaos (and deletes)."""
    tally.declare(INVARIANTS)
    if only is None and os.environ.get(ONLY, "").strip():
        only = int(os.environ[ONLY])
    kinds = {
        "killed": 0,
        "writer": 0,
        "plan under faults": 0,
        "plan with deletes": 0,
        "re-applied after another writer restored it": 0,
    }
    with tempfile.TemporaryDirectory(prefix="chaos-") as root, shared_botocore_data():
        for index in range(trials):
            if only is not None and index != only:
                continue
            work = Path(root) / f"trial-{index}"
            work.mkdir()
            violations = tally.violations
            trial = Trial(seed, index, work, tally)
            for kind in trial.run():
                kinds[kind] += 1
            kinds["re-applied after another writer restored it"] += trial.reapplied
            keep = os.environ.get(KEEP, "").strip()
            if keep and tally.violations > violations:
                shutil.copytree(work, Path(keep) / work.name, dirs_exist_ok=True)
            shutil.rmtree(work, ignore_errors=True)
    print(", ".join(f"{n} {kind}" for kind, n in kinds.items()))
    return kinds


def trial_seed(seed: int, index: int) -> int:
    return int.from_bytes(hashlib.sha256(f"chaos:{seed}:{index}".encode()).digest()[:8], "big")


@dataclass
class Chaos:
    """What one trial's apply meets, drawn from its seed."""

    faults: Faults
    writer: bool
    kill_at: int | None
    concurrency: int


class Trial:
    def __init__(self, seed: int, index: int, work: Path, tally: Tally) -> None:
        self.rng = random.Random(trial_seed(seed, index))
        self.tag = f"--seed {seed}, trial {index} ({ONLY}={index})"
        self.work = work
        self.tally = tally
        self.db = work / "codeartifact.db"
        self.manifests = work / "manifests"
        self.world: World = make_world(self.rng)
        self.kinds: list[str] = []
        self.reapplied = 0  # second commits of one change, after another client put it back

    def check(self, name: str, problems: list[str]) -> None:
        self.tally.check(name, not problems, f"{self.tag}: " + "; ".join(problems[:3]))

    def run(self) -> list[str]:
        self.manifests.mkdir()
        for name, text in self.world.manifest_texts().items():
            (self.manifests / name).write_text(text, encoding="utf-8")
        with LocalCodeArtifact(self.db) as service:
            seed_service(service, SeedDocument.model_validate(self.world.seed_document()))
        service = LocalCodeArtifact(self.db, record_writes=True)
        in_flight = InFlight(service)
        try:
            with ErrorLog() as errors, BackgroundServer(service) as server:
                self.endpoint = ["--endpoint-url", server.endpoint_url, "--region", "us-east-1"]
                self._trial(service, in_flight)
            self.check(NO_BUG, [f"the service logged an internal error: {m}" for m in errors.messages])
        finally:
            service.close()
        return self.kinds

    def _trial(self, service: LocalCodeArtifact, in_flight: InFlight) -> None:
        plan_path = self.work / "chaos.plan.json"
        planned = self.cli(["plan", str(self.manifests), "-o", str(plan_path)], PLAN_KEY)
        if planned.code != 0:
            raise RuntimeError(f"{self.tag}: the fault-free plan failed: {planned.stderr}")
        plan = json.loads(plan_path.read_text(encoding="utf-8"))
        if any(action["kind"] == "delete" for action in plan["actions"]):
            self.kinds.append("plan with deletes")
        if self.rng.random() < PLAN_UNDER_FAULTS:
            self.kinds.append("plan under faults")
            self._plan_under_faults(service, plan)
        chaos = self._draw(plan)
        writer = self._writer(plan) if chaos.writer else None
        try:
            apply_ran, killed = self._chaotic_apply(service, in_flight, plan_path, chaos, writer)
        finally:
            if writer is not None:
                writer.close()
        self._judge(plan, apply_ran, killed)
        self._converge(plan)

    def cli(self, args: list[str], key: str) -> Ran:
        ran = run_cli([*args, *self.endpoint], key)
        self.check(
            NO_BUG, [f"{args[0]} exited {ran.code}: {ran.stderr[-500:]}"] if ran.internal_error else []
        )
        return ran

    # --- plan under faults

    def _plan_under_faults(self, service: LocalCodeArtifact, plan: dict[str, Any]) -> None:
        before = _last_seq(self.db)
        faults = Faults(
            throttle_rate=self.rng.choice([0.1, 0.2, 0.3]),
            error_rate=self.rng.choice([0.0, 0.05, 0.1]),
            drop_rate=self.rng.choice([0.0, 0.05, 0.1]),
            seed=self.rng.getrandbits(32),
        )
        service.faults = FaultInjector(faults)
        path = self.work / "faulted.plan.json"
        try:
            ran = self.cli(["plan", str(self.manifests), "-o", str(path)], PLAN_KEY)
        finally:
            service.faults = None
        problems: list[str] = []
        if ran.code == 0:
            actions = json.loads(path.read_text(encoding="utf-8"))["actions"]
            if actions != plan["actions"]:
                problems.append(
                    f"the plan under faults has other actions ({len(actions)} vs {len(plan['actions'])})"
                )
        elif ran.code != 1 or "Error:" not in ran.stderr:
            problems.append(f"exit {ran.code} without a clear error: {ran.stderr[-300:]!r}")
        self.check(PLAN_FAULTS, problems)
        written = [w for w in read_writes(self.db) if w["seq"] > before]
        self.check(PLAN_WRITES, [f"#{w['seq']} {w['operation']} by {w['principal']}" for w in written])

    # --- the chaotic apply

    def _draw(self, plan: dict[str, Any]) -> Chaos:
        faults = Faults(
            throttle_rate=self.rng.choice([0.0, 0.1, 0.2]),
            error_rate=self.rng.choice([0.0, 0.05, 0.1]),
            drop_rate=self.rng.choice([0.0, 0.05, 0.1]),
            lost_reply_rate=self.rng.choice([0.0, 0.1, 0.2, 0.3]),
            seed=self.rng.getrandbits(32),
        )
        writer = self.rng.random() < WITH_WRITER
        killed = self.rng.random() < KILLED
        kill_at = self.rng.randint(1, max(1, len(plan["actions"]))) if killed else None
        return Chaos(faults, writer, kill_at, self.rng.choice([1, 1, 2, 4]))

    def _writer(self, plan: dict[str, Any]) -> Writer:
        """Another client that moves planned versions: prod's (any open status) and the staging
        sources of copies (to the other copyable status, so every move can be corrected)."""
        candidates: list[tuple[dict[str, str], str, list[str]]] = []
        for action in plan["actions"]:
            params = {k: v for k, v in action["package"].items() if v is not None and k != "domain_owner"}
            for change in action["versions"]:
                candidates.append((params, change["version"], ["Published", "Unlisted", "Archived"]))
                if action["kind"] == "copy":
                    source = {**params, "repository": action["source_repository"]}
                    candidates.append((source, change["version"], ["Published", "Unlisted"]))
        return Writer(self.db, random.Random(self.rng.getrandbits(32)), candidates)

    def _chaotic_apply(
        self,
        service: LocalCodeArtifact,
        in_flight: InFlight,
        plan_path: Path,
        chaos: Chaos,
        writer: Writer | None,
    ) -> tuple[Ran | None, bool]:
        self.journal = self.work / "chaos.journal.jsonl"
        self.before_apply = _last_seq(self.db)
        args = ["apply", str(plan_path), "--output", "json", "--journal", str(self.journal), "--allow-delete"]
        args += ["--concurrency", str(chaos.concurrency), "--rate-scale", "10"]
        injector = ChaosInjector(chaos.faults, writer=writer, writer_rate=0.3, kill_at=chaos.kill_at)
        if writer is not None:
            self.kinds.append("writer")
        service.faults = injector
        try:
            if chaos.kill_at is None:
                ran = self.cli(args, APPLY_KEY)
                (self.work / "apply.stdout").write_text(ran.stdout, encoding="utf-8")
                (self.work / "apply.stderr").write_text(ran.stderr, encoding="utf-8")
                return ran, False
            child = Child([*args, *self.endpoint], APPLY_KEY, self.work)
            injector.kill = child.kill
            code, killed = child.wait()
            in_flight.wait_idle()
        finally:
            service.faults = None
        stdout, stderr = child.output()
        if killed:
            self.kinds.append("killed")
            self.check(NO_BUG, ["a killed apply printed a traceback"] if "Traceback" in stderr else [])
            return None, True
        ran = Ran(code, stdout, stderr)
        self.check(NO_BUG, [f"apply exited {ran.code}: {stderr[-500:]}"] if ran.internal_error else [])
        return ran, False

    def _judge(self, plan: dict[str, Any], ran: Ran | None, killed: bool) -> None:
        writes = [w for w in read_writes(self.db) if w["seq"] > self.before_apply]
        mine = [w for w in writes if w["principal"] == APPLY_KEY]
        others = judge.commits(w for w in writes if w["principal"] != APPLY_KEY)
        self.writer_touched = {(c.package, c.version) for c in others}
        apply_commits = judge.commits(mine)
        self.check(GUARDED, judge.unguarded(mine))
        self.check(IN_PLAN, judge.outside_plan(mine, plan))
        twice, excused = judge.applied_twice(apply_commits, others)
        self.check(ONCE, twice)
        self.reapplied = excused
        if not killed:
            assert ran is not None
            try:
                report = json.loads(ran.stdout)
            except json.JSONDecodeError:
                self.check(REPORT, [f"apply exited {ran.code} with no JSON report: {ran.stderr[-300:]!r}"])
            else:
                self.check(REPORT, judge.report_disagreements(report, apply_commits, others))
        journal = read_journal(self.journal) if self.journal.exists() else []
        self.check(JOURNAL, judge.journal_disagreements(journal, apply_commits, others))

    # --- convergence

    def _converge(self, plan: dict[str, Any]) -> None:
        expected = {(package, version) for _, package, version in judge.planned_versions(plan)}
        expected |= self.writer_touched
        problems: list[str] = []
        for round_ in range(3):
            path = self.work / f"round-{round_}.plan.json"
            ran = self.cli(["plan", str(self.manifests), "-o", str(path), "--detailed-exitcode"], ROUND_KEY)
            if ran.code == 0:
                break
            if ran.code != 2:
                problems.append(f"round {round_}: plan exited {ran.code}: {ran.stderr[-300:]!r}")
                break
            if round_ == 2:
                problems.append("a plan still has changes after 2 rounds of plan and apply")
                break
            again = judge.planned_versions(json.loads(path.read_text(encoding="utf-8")))
            stray = sorted({(p, v) for _, p, v in again} - expected)
            if stray:
                problems.append(f"round {round_} plans versions neither planned nor moved: {stray[:3]}")
            journal = str(self.work / "rounds.journal.jsonl")
            applied = self.cli(
                ["apply", str(path), "--journal", journal, "--rate-scale", "10", "--allow-delete"], ROUND_KEY
            )
            if applied.code != 0:
                problems.append(f"round {round_}: apply exited {applied.code}: {applied.stdout[-300:]!r}")
        self.check(CONVERGES, problems)


def _last_seq(db: Path) -> int:
    writes = read_writes(db)
    return writes[-1]["seq"] if writes else 0
