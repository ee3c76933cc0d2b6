"""fuzz-plans: tampered plan files applied against a fresh copy of the database they were made for.

A real plan of the example manifests against the example data (copies, status updates, disposes,
deletes) is made once per run. Each trial edits it (planedits: inconsistent edits, consistent ones, blind ones of
any field), then maybe writes it differently (whitespace and key order only, which keeps the digest;
or re-encoded, truncated, one byte flipped, nested in arrays). It runs `show` on the file, then
`apply --expect-digest ORIGINAL` and `apply` (with the default limits, or limits raised so that a
consistent edit is carried out; with `--allow-delete` or without, which refuses a plan that deletes) each against a fresh copy of the database, in process through the
embedded service, or, one trial in `HTTP_EVERY` (the second first), over HTTP to a `BackgroundServer`.

Invariants:
- `no internal error`: no run exits 3, raises or prints a traceback;
- `no hang`: each run takes at most `APPLY_BUDGET` seconds of CPU time (and is stopped after
  `harness.WALL_FACTOR` times as much wall time);
- `inconsistent plan refused before any call`: an inconsistent edit exits 1 with no call made
  (the JSON report's `calls`) and the database's rows unchanged;
- `writes only what the applied file says`: every version whose status changed (or that appeared)
  is in the edited plan, with that status as the target of its last action, and every version gone
  is one the plan deletes (target Deleted);
- `--expect-digest refuses every edit`: with the original plan's digest, an edited file is refused
  (exit 1, nothing written) unless its content's digest is the original one (whitespace, key order);
- `report never claims what did not happen`: every version the JSON report calls applied has the
  status it names in the database afterwards (Deleted: it is gone).
"""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.local import BackgroundServer, LocalCodeArtifact
from reconciler.planfile import plan_digest, plan_from_document
from tests.reliability import planedits
from tests.reliability.harness import (
    EXAMPLES,
    fingerprint,
    internal_error,
    run_cli,
    seeded_database,
    trial_random,
    where,
)
from tests.reliability.tally import Tally

SUITE = "fuzz-plans"
INVARIANTS = [
    "no internal error",
    "no hang",
    "inconsistent plan refused before any call",
    "writes only what the applied file says",
    "--expect-digest refuses every edit",
    "report never claims what did not happen",
]
HTTP_EVERY = 20
# A whole apply of the example plan takes a second or two of CPU.
APPLY_BUDGET = 60.0
# Credentials the local service accepts over HTTP (any signed request is), and nothing from the host.
HTTP_ENV: dict[str, str | None] = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": None,
    "AWS_PROFILE": None,
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "AWS_EC2_METADATA_DISABLED": "true",
}
RAISED_LIMITS = ("--max-dispose", "1000", "--max-dispose-share", "1")
ALLOW_DELETE = ("--allow-delete",)

Versions = dict[tuple[str, str], str]  # (package as the report names it, version) -> status


@dataclass
class Target:
    """One way to reach the database: its plan, the digest of that plan, and how to reset the data."""

    document: dict[str, Any]
    digest: str
    db: Path
    pristine: Path
    args: tuple[str, ...]
    env: dict[str, str | None] | None = None

    def reset(self) -> None:
        """The database as seeded (through SQLite's backup, so a server holding it open sees it)."""
        with (
            contextlib.closing(sqlite3.connect(self.pristine)) as source,
            contextlib.closing(sqlite3.connect(self.db)) as destination,
        ):
            source.backup(destination)


def versions(db: Path) -> Versions:
    """Every version's status, keyed as the apply report of the example plan (of two Regions) names
    it (region:domain/repository/format/[namespace/]name)."""
    query = """
        SELECT r.region, r.domain, r.name, p.format, p.namespace, p.name, v.version, v.status
        FROM package_version v JOIN package p ON v.package_id = p.id JOIN repository r ON p.repository_id = r.id
    """
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return {
            _key(
                region + ":" + "/".join(part for part in (domain, repo, fmt, namespace, name) if part),
                version,
            ): status
            for region, domain, repo, fmt, namespace, name, version, status in conn.execute(query)
        }


def _key(package: str, version: str) -> tuple[str, str]:
    """A version's key, with case folded: the service stores NuGet's names and versions normalised."""
    return package.lower(), version.lower()


def _package_name(package: Any) -> str:
    parts = [package.get(key) for key in ("domain", "repository", "format", "namespace", "package")]
    return f"{package.get('region')}:" + "/".join(str(part) for part in parts if part)


def planned_targets(document: Any) -> dict[tuple[str, str], str]:
    """(package, version) -> the target status of the last action (in phase order) that names it, in
    an edited plan document of any shape (what cannot be read names nothing)."""
    found: dict[tuple[str, str], tuple[int, str]] = {}
    actions = document.get("actions") if isinstance(document, dict) else None
    for action in actions if isinstance(actions, list) else []:
        with contextlib.suppress(Exception):
            phase = planedits.PHASE.get(action["kind"], -1)
            for change in action["versions"]:
                key = _key(_package_name(action["package"]), str(change["version"]))
                if phase >= found.get(key, (-1, ""))[0]:
                    found[key] = (phase, str(action["target_status"]))
    return {key: status for key, (_, status) in found.items()}


def _make_target(
    workdir: Path, db: Path, seeded: Path, endpoint: tuple[str, ...], env: dict[str, str | None] | None
) -> Target:
    path = workdir / f"{db.stem}.plan.json"
    result = run_cli("plan", EXAMPLES, *endpoint, "-o", path, env=env).result
    assert result is not None and result.exit_code == 0, result and result.output
    document = json.loads(path.read_text())
    return Target(document, plan_digest(plan_from_document(document)), db, seeded, endpoint, env)


@contextlib.contextmanager
def targets(workdir: Path) -> Iterator[tuple[Target, Target]]:
    """The database in process (`--local DB`) and over HTTP, each with its own plan."""
    seeded = seeded_database(workdir)
    for name in ("local", "http"):
        shutil.copy(seeded, workdir / f"{name}.db")
    local = _make_target(workdir, workdir / "local.db", seeded, ("--local", str(workdir / "local.db")), None)
    with LocalCodeArtifact(workdir / "http.db") as service, BackgroundServer(service) as server:
        # No --region: the example manifests name their Regions (two of them).
        endpoint = ("--endpoint-url", server.endpoint_url)
        yield local, _make_target(workdir, workdir / "http.db", seeded, endpoint, HTTP_ENV)


def written(rng: random.Random, document: Any) -> bytes:
    """The edited document as a file: canonical or reformatted JSON mostly, else re-encoded,
    truncated, one byte flipped, nested in arrays, or behind a BOM."""
    text = json.dumps(document, indent=rng.choice([None, 0, 2, 4]), sort_keys=rng.random() < 0.5)
    form = rng.choice(["plain"] * 24 + ["utf-16", "latin-1", "cut", "flip", "nest", "bom"])
    raw = text.encode("utf-8", "surrogatepass")
    if form == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    if form == "latin-1":
        return text.encode("latin-1", "replace")
    if form == "cut":
        return raw[: rng.randint(0, len(raw))]
    if form == "flip":
        at = rng.randrange(max(len(raw), 1))
        return raw[:at] + bytes([rng.randint(0, 255)]) + raw[at + 1 :]
    if form == "nest":
        depth = rng.choice([10, 1000, 100_000])
        return b"[" * depth + raw + b"]" * depth
    return b"\xef\xbb\xbf" + raw if form == "bom" else raw


def edited(rng: random.Random, document: dict[str, Any]) -> tuple[Any, str, str]:
    """(edited document, its kind, the edit's name); one trial in ten keeps the content as it is."""
    if rng.random() < 0.1:
        return document, planedits.CONSISTENT, "none"
    edit = rng.choice(planedits.EDITS)
    try:
        changed, kind = edit(rng, json.loads(json.dumps(document)))
    except (IndexError, ValueError):  # the plan has nothing this edit applies to
        return document, planedits.CONSISTENT, "none"
    return changed, kind, edit.__name__


def content_digest(raw: bytes) -> str | None:
    """The plan digest of a file's content, or None when it holds no plan."""
    try:
        return plan_digest(plan_from_document(json.loads(raw.decode("utf-8"))))
    except Exception:
        return None


def run(trials: int, seed: int, tally: Tally) -> None:
    tally.declare(INVARIANTS)
    with tempfile.TemporaryDirectory(prefix="reconciler-fuzz-plans-") as folder:
        workdir = Path(folder)
        with targets(workdir) as (local, http):
            pristine = versions(local.pristine)
            before = fingerprint(local.pristine)
            for trial in range(trials):
                target = http if trial % HTTP_EVERY == 1 else local
                _trial(tally, workdir, target, pristine, before, seed, trial)


@dataclass
class Applied:
    exit_code: int
    report: dict[str, Any]
    after: Versions


def _apply(
    tally: Tally, target: Target, path: Path, extra: tuple[str, ...], journal: Path, name: str
) -> Applied | None:
    run = run_cli(
        "apply",
        path,
        *target.args,
        "--output",
        "json",
        "--journal",
        journal,
        "--rate-scale",  # AWS's quotas, ten times over: the local service has none, only pacing
        "10",
        *extra,
        budget=APPLY_BUDGET,
        env=target.env,
    )
    tally.check("no hang", not run.hung, f"{name}: apply took {run.seconds:.1f} s of CPU ({run.wall:.1f} s)")
    if run.result is None:
        target.reset()
        return None
    bug = internal_error(run.result)
    tally.check("no internal error", bug is None, f"{name}: apply: {bug}")
    try:
        report = json.loads(run.result.stdout)
    except ValueError:
        report = {}
    return Applied(run.result.exit_code, report if isinstance(report, dict) else {}, versions(target.db))


def _trial(
    tally: Tally, workdir: Path, target: Target, pristine: Versions, before: str, seed: int, trial: int
) -> None:
    rng = trial_random(SUITE, seed, trial)
    document, kind, edit = edited(rng, target.document)
    raw = written(rng, document)
    path = workdir / "edited.plan.json"
    path.write_bytes(raw)
    name = f"{where(seed, trial)} ({edit}{' over HTTP' if target.env else ''})"
    shown = run_cli(
        "show", path, *rng.choice([[], ["--output", "json"], ["--output", "markdown"], ["--summary"]])
    )
    if shown.result is not None:
        bug = internal_error(shown.result)
        tally.check("no internal error", bug is None, f"{name}: show: {bug}")
    same = content_digest(raw) == target.digest
    planned = planned_targets(document)
    journal = workdir / "edited.journal.jsonl"
    extra = (RAISED_LIMITS if rng.random() < 0.5 else ()) + (ALLOW_DELETE if rng.random() < 0.5 else ())
    for expect in (("--expect-digest", target.digest), ()):
        target.reset()
        applied = _apply(tally, target, path, (*expect, *extra), journal, name)
        if applied is None:
            continue
        unchanged = fingerprint(target.db) == before
        if expect and not same:
            tally.check(
                "--expect-digest refuses every edit",
                applied.exit_code == 1 and unchanged,
                f"{name}: exit {applied.exit_code}, database {'unchanged' if unchanged else 'changed'}",
            )
        if not expect and kind == planedits.INCONSISTENT:
            calls = applied.report.get("calls")
            tally.check(
                "inconsistent plan refused before any call",
                applied.exit_code == 1 and unchanged and calls == 0,
                f"{name}: exit {applied.exit_code}, {calls} calls, database {'unchanged' if unchanged else 'changed'}",
            )
        _check_writes(tally, name, pristine, applied, planned)
        _check_report(tally, name, applied)


def _check_writes(
    tally: Tally, name: str, pristine: Versions, applied: Applied, planned: dict[tuple[str, str], str]
) -> None:
    outside = [
        f"{package} {version}: {pristine.get((package, version))} -> {status} (plan: {planned.get((package, version))})"
        for (package, version), status in applied.after.items()
        if pristine.get((package, version)) != status and planned.get((package, version)) != status
    ]
    gone = [
        f"{package} {version} is gone"
        for package, version in pristine.keys() - applied.after.keys()
        if planned.get((package, version)) != "Deleted"
    ]
    tally.check(
        "writes only what the applied file says", not outside and not gone, f"{name}: {(outside + gone)[:3]}"
    )


def _check_report(tally: Tally, name: str, applied: Applied) -> None:
    """Every version reported applied has the status its last applied action (by phase) names."""
    claimed: dict[tuple[str, str], tuple[int, str]] = {}
    entries = applied.report.get("versions") or []
    for entry in entries if isinstance(entries, list) else []:
        if entry.get("outcome") != "applied":
            continue
        key = _key(str(entry.get("package")), str(entry.get("version")))
        phase = planedits.PHASE.get(str(entry.get("action")), -1)
        if phase >= claimed.get(key, (-1, ""))[0]:
            claimed[key] = (phase, str(entry.get("to")))
    false = [
        f"{package} {version}: reported {status}, is {applied.after.get((package, version))}"
        for (package, version), (_, status) in claimed.items()
        if applied.after.get((package, version), "Deleted") != status
    ]
    tally.check("report never claims what did not happen", not false, f"{name}: {false[:3]}")
