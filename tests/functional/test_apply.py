"""`reconciler apply` through the command line against the local service: in process with --local,
and over HTTP with --endpoint-url (with faults injected where the scenario needs them)."""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result

from reconciler.applier import BatchResult
from reconciler.aws.client import connect
from reconciler.aws.executor import BotoExecutor
from reconciler.cli import cli
from reconciler.errors import AwsError
from reconciler.local import BackgroundServer, Faults, LocalCodeArtifact, attach
from reconciler.local.faults import FaultInjector
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT
from reconciler.local.seed import SeedDocument, seed_service
from reconciler.plan import Action
from reconciler.ratelimit import RateLimiter
from tests.refs import read_journal
from tests.virtualtime import VirtualClock

SEED = {
    "apiVersion": "reconciler/v1",
    "kind": "LocalSeed",
    "domains": [
        {
            "name": "acme",
            "repositories": [
                {
                    "name": "staging",
                    "packages": [
                        {"format": "npm", "name": "app", "versions": ["1.0.0", "1.1.0", "2.0.0", "2.1.0"]},
                    ],
                },
                {
                    "name": "prod",
                    "upstreams": ["staging"],
                    "packages": [
                        {"format": "npm", "name": "app", "versions": ["1.0.0", "1.1.0"]},
                        {
                            "format": "pypi",
                            "name": "lib",
                            "versions": [
                                "0.1",
                                "0.2",
                                "0.3",
                                "0.4",
                                "0.5",
                                {"version": "0.6", "status": "Unlisted"},
                            ],
                        },
                    ],
                },
            ],
        }
    ],
}

# 2 copies (one then Unlisted), 4 status updates, 1 dispose: 6 calls in 3 phases.
MANIFEST = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {domain: acme, repository: prod}
packages:
  - format: npm
    name: app
    versions:
      "1.0.0": Archived
      "2.0.0": {status: Published, copy_from: staging}
      "2.1.0": {status: Unlisted, copy_from: staging}
  - format: pypi
    name: lib
    versions:
      "0.1": Disposed
      "0.2": Archived
      "0.6": Published
"""
PLANNED = {
    ("copy", "acme/prod/npm/app", "2.0.0"),
    ("copy", "acme/prod/npm/app", "2.1.0"),
    ("update-status", "acme/prod/npm/app", "1.0.0"),
    ("update-status", "acme/prod/npm/app", "2.1.0"),
    ("update-status", "acme/prod/pypi/lib", "0.2"),
    ("update-status", "acme/prod/pypi/lib", "0.6"),
    ("dispose", "acme/prod/pypi/lib", "0.1"),
}
CONVERGED = {
    ("prod", "app", "1.0.0"): "Archived",
    ("prod", "app", "1.1.0"): "Published",
    ("prod", "app", "2.0.0"): "Published",
    ("prod", "app", "2.1.0"): "Unlisted",
    ("prod", "lib", "0.1"): "Disposed",
    ("prod", "lib", "0.2"): "Archived",
    ("prod", "lib", "0.3"): "Published",
    ("prod", "lib", "0.4"): "Published",
    ("prod", "lib", "0.5"): "Published",
    ("prod", "lib", "0.6"): "Published",
}
APP = {"domain": "acme", "format": "npm", "package": "app"}

Versions = dict[tuple[str, str, str], str]


@pytest.fixture(scope="module")
def seeded_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "seeded.db"
    with LocalCodeArtifact(path) as service:
        seed_service(service, SeedDocument.model_validate(SEED))
    return path


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    path = tmp_path / "manifests" / "prod.yaml"
    path.parent.mkdir()
    path.write_text(MANIFEST)
    return path


@pytest.fixture
def writer(db: Path) -> Iterator[Any]:
    """Another writer: a boto3 client on the same database, outside the reconciler."""
    with LocalCodeArtifact(db) as service:
        yield client_on(service)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials and no AWS configuration of the machine running the tests."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CODEARTIFACT", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@contextmanager
def served(db: Path, faults: Faults | None = None) -> Iterator[tuple[list[str], LocalCodeArtifact]]:
    """The database behind a local HTTP server: the backend options that reach it, and the service."""
    with LocalCodeArtifact(db, faults=faults) as service, BackgroundServer(service) as server:
        yield ["--endpoint-url", server.endpoint_url, "--region", "us-east-1"], service


@pytest.fixture(params=["local", "http"])
def backend(request: pytest.FixtureRequest, db: Path) -> Iterator[list[str]]:
    if request.param == "local":
        yield ["--local", str(db)]
        return
    request.getfixturevalue("aws_env")
    with served(db) as (options, _):
        yield options


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


# One session for the tests' own clients: it reads botocore's models once.
SESSION = boto3.session.Session(
    aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
)


def client_on(service: LocalCodeArtifact) -> Any:
    return attach(SESSION.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service)


def versions(db: Path) -> Versions:
    """Every version of every package in every repository, with its status."""
    with LocalCodeArtifact(db) as service:
        client = client_on(service)
        found: Versions = {}
        for repository in ("staging", "prod"):
            for package in client.list_packages(domain="acme", repository=repository)["packages"]:
                listed = client.list_package_versions(
                    domain="acme", repository=repository, format=package["format"], package=package["package"]
                )
                for item in listed["versions"]:
                    found[(repository, package["package"], item["version"])] = item["status"]
        return found


def prod(found: Versions) -> Versions:
    return {key: status for key, status in found.items() if key[0] == "prod"}


def report(result: Result) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def outcome_of(document: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    return {(v["action"], v["package"], v["version"]): v["outcome"] for v in document["versions"]}


def journal_records(directory: Path) -> list[dict[str, Any]]:
    return [record for path in sorted(directory.rglob("*.jsonl")) for record in read_journal(path)]


def changed_twice(records: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(operation, package, version) that more than one call reports as changed."""
    changes = Counter(
        (record["operation"], record["package"], version)
        for record in records
        if record["event"] == "call"
        for version in record["successful"]
    )
    return [key for key, count in changes.items() if count > 1]


def plan_to(path: Path, manifests: Path, backend: list[str]) -> None:
    result = run("plan", manifests, "-o", path, *backend)
    assert result.exit_code == 0, result.stderr


def assert_converged(manifests: Path, backend: list[str], tmp_path: Path) -> None:
    result = run("plan", manifests, "-o", tmp_path / "check.plan.json", "--detailed-exitcode", *backend)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "No changes" in result.stdout


def interrupt_after(
    calls: int, monkeypatch: pytest.MonkeyPatch, error: Callable[[], BaseException]
) -> list[Action]:
    """Make every BotoExecutor raise `error` once `calls` calls went through; returns those calls."""
    made: list[Action] = []
    original = BotoExecutor.execute

    def execute(self: BotoExecutor, action: Action) -> BatchResult:
        if len(made) >= calls:
            raise error()
        made.append(action)
        return original(self, action)

    monkeypatch.setattr(BotoExecutor, "execute", execute)
    return made


# --- (1) plan, apply the plan, plan again


def test_an_applied_plan_leaves_nothing_to_plan(
    backend: list[str], db: Path, manifests: Path, tmp_path: Path
) -> None:
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, backend)

    result = run("apply", plan_file, *backend)

    assert result.exit_code == 0, result.stderr
    # 6 writes, and the reads: 1 DescribeDomain (the target), 3 ListPackageVersions (staleness).
    assert "Apply complete: 7 applied, 0 unchanged, 0 moved, 0 failed, 0 not-attempted; 10 API calls." in (
        result.stdout
    )
    assert prod(versions(db)) == CONVERGED
    assert_converged(manifests, backend, tmp_path)
    records = read_journal(tmp_path / "prod.plan.journal.jsonl")
    assert [r["event"] for r in records].count("call") == 6
    assert [r["operation"] for r in records if r["event"] == "read"] == [
        "DescribeDomain",
        *["ListPackageVersions"] * 3,
    ]
    assert records[-1]["event"] == "done"
    assert records[-1]["calls"] == {
        "DescribeDomain": 1,
        "ListPackageVersions": 3,
        "CopyPackageVersions": 1,
        "UpdatePackageVersionsStatus": 4,
        "DisposePackageVersions": 1,
    }
    assert f"Journal: {tmp_path / 'prod.plan.journal.jsonl'}" in result.stderr


def test_applying_the_same_plan_again_changes_nothing_and_reports_it_unchanged(
    db: Path, manifests: Path, tmp_path: Path
) -> None:
    backend = ["--local", str(db)]
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, backend)
    assert run("apply", plan_file, *backend).exit_code == 0

    again = run("apply", plan_file, "--format", "json", *backend)

    assert again.exit_code == 0, again.stderr
    document = report(again)
    assert set(outcome_of(document).values()) == {"unchanged"}
    assert document["calls"] == 4  # the reads that found everything done; no write
    assert document["calls_by_operation"] == {"DescribeDomain": 1, "ListPackageVersions": 3}
    assert prod(versions(db)) == CONVERGED


def test_a_plan_file_is_recognised_by_its_content_whatever_its_name(
    db: Path, manifests: Path, tmp_path: Path
) -> None:
    backend = ["--local", str(db)]
    plan_file = tmp_path / "reviewed-plan"
    plan_to(plan_file, manifests, backend)

    result = run("apply", plan_file, *backend)

    assert result.exit_code == 0, result.stderr
    assert prod(versions(db)) == CONVERGED


# --- (2) another writer between plan and apply


def move_two_versions(writer: Any) -> None:
    """Unlist app 1.0.0 in prod (the plan archives it) and archive 2.0.0 in staging (the plan copies it)."""
    writer.update_package_versions_status(
        **APP, repository="prod", versions=["1.0.0"], expectedStatus="Published", targetStatus="Unlisted"
    )
    writer.update_package_versions_status(
        **APP, repository="staging", versions=["2.0.0"], expectedStatus="Published", targetStatus="Archived"
    )


def test_a_plan_whose_versions_moved_is_refused_and_shows_what_moved(
    db: Path, manifests: Path, tmp_path: Path, writer: Any
) -> None:
    backend = ["--local", str(db)]
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, backend)
    move_two_versions(writer)
    before = versions(db)

    result = run("apply", plan_file, *backend)

    assert result.exit_code == 1
    assert "Error: refused: 2 version(s) moved since the plan was made; nothing was changed" in result.stderr
    lines = result.stderr.splitlines()
    moved_app = next(line for line in lines if line.startswith("acme/prod/npm/app@1.0.0:"))
    assert re.fullmatch(
        r"acme/prod/npm/app@1\.0\.0: plan saw Published \(revision (\S+)\), now Unlisted \(revision \1\) in prod",
        moved_app,
    )
    moved_copy = next(line for line in lines if line.startswith("acme/prod/npm/app@2.0.0:"))
    assert re.fullmatch(
        r"acme/prod/npm/app@2\.0\.0: plan saw Published \(revision (\S+)\), now Archived \(revision \1\) in staging",
        moved_copy,
    )
    assert "--allow-moved" in result.stderr
    assert versions(db) == before
    records = read_journal(tmp_path / "prod.plan.journal.jsonl")
    assert [r["event"] for r in records if r["event"] != "read"] == ["apply", "refused"]
    assert records[-1]["reason"] == "refused: 2 version(s) moved since the plan was made; nothing was changed"
    assert records[-1]["moved"] == 2


def test_allow_moved_applies_only_what_is_still_valid_and_reports_the_moved_versions(
    db: Path, manifests: Path, tmp_path: Path, writer: Any
) -> None:
    backend = ["--local", str(db)]
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, backend)
    move_two_versions(writer)

    result = run("apply", plan_file, "--allow-moved", "--format", "json", *backend)

    assert result.exit_code == 1
    outcomes = outcome_of(report(result))
    assert set(outcomes) == PLANNED
    assert {key for key, outcome in outcomes.items() if outcome != "applied"} == {
        ("update-status", "acme/prod/npm/app", "1.0.0"),
        ("copy", "acme/prod/npm/app", "2.0.0"),
    }
    assert outcomes[("update-status", "acme/prod/npm/app", "1.0.0")] == "moved"
    assert outcomes[("copy", "acme/prod/npm/app", "2.0.0")] == "moved"
    moved = next(v for v in report(result)["versions"] if v["version"] == "1.0.0")
    assert moved["code"] == "MOVED_SINCE_PLAN"
    assert re.fullmatch(
        r"plan saw Published \(revision (\S+)\), now Unlisted \(revision \1\) in prod", moved["message"]
    )
    expected = {**CONVERGED, ("prod", "app", "1.0.0"): "Unlisted"}
    del expected[("prod", "app", "2.0.0")]
    assert prod(versions(db)) == expected


def test_a_version_that_moves_after_the_staleness_check_is_refused_by_the_guard_of_its_call(
    db: Path, manifests: Path, tmp_path: Path, writer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = ["--local", str(db)]
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, backend)
    original = BotoExecutor.execute

    def execute(self: BotoExecutor, action: Action) -> BatchResult:
        if action.package.package == "app" and action.kind.value == "update-status":
            writer.update_package_versions_status(
                **APP, repository="prod", versions=["1.0.0"], targetStatus="Unlisted"
            )
        return original(self, action)

    monkeypatch.setattr(BotoExecutor, "execute", execute)

    result = run("apply", plan_file, "--format", "json", *backend, "--concurrency", "1")

    assert result.exit_code == 1
    document = report(result)
    moved = [v for v in document["versions"] if v["outcome"] != "applied"]
    assert [(v["version"], v["outcome"], v["code"]) for v in moved] == [
        ("1.0.0", "moved", "MISMATCHED_STATUS")
    ]
    assert prod(versions(db))[("prod", "app", "1.0.0")] == "Unlisted"
    assert prod(versions(db))[("prod", "app", "2.1.0")] == "Unlisted"  # retried without 1.0.0


# --- (3) throttling and internal errors


def test_apply_converges_through_throttling_and_internal_errors_and_reports_truthfully(
    db: Path, manifests: Path, tmp_path: Path, aws_env: None
) -> None:
    plan_file = tmp_path / "prod.plan.json"
    with served(db) as (backend, service):
        plan_to(plan_file, manifests, backend)
        # Faults for the apply only (one request in five throttled, one in five a 500), seeded:
        # with one package at a time, the same requests meet the same faults on every run.
        service.faults = FaultInjector(Faults(throttle_rate=0.2, error_rate=0.2, seed=11))
        result = run("apply", plan_file, "--format", "json", "--concurrency", "1", *backend)
        service.faults = None
        assert result.exit_code == 0, result.stderr
        assert_converged(manifests, backend, tmp_path)

    document = report(result)
    assert set(outcome_of(document)) == PLANNED
    assert set(outcome_of(document).values()) == {"applied"}
    records = read_journal(tmp_path / "prod.plan.journal.jsonl")
    errors = Counter(r["code"] for r in records if r["event"] == "error")
    assert errors["ThrottlingException"] > 0 and errors["InternalServerException"] > 0
    sends = sum(1 for r in records if r["event"] == "send")
    reads = sum(r["attempts"] for r in records if r["event"] == "read")
    assert sends == 6 + sum(errors.values())
    assert document["calls"] == sends + reads == sum(document["calls_by_operation"].values())
    assert document["throttled"] == errors["ThrottlingException"]
    assert prod(versions(db)) == CONVERGED


def test_apply_recovers_writes_whose_answers_were_lost_and_changes_nothing_twice(
    db: Path, manifests: Path, tmp_path: Path, aws_env: None
) -> None:
    plan_file = tmp_path / "prod.plan.json"
    with served(db) as (backend, service):
        plan_to(plan_file, manifests, backend)
        # Half of the writes are carried out and then lose their answer: the retry meets its own
        # earlier change through the plan's guards, and must report it as planned (unchanged,
        # ambiguous: another writer's identical change would look the same), never moved.
        service.faults = FaultInjector(Faults(lost_reply_rate=0.5, seed=3))
        result = run("apply", plan_file, "--format", "json", "--concurrency", "1", *backend)
        service.faults = None
        assert result.exit_code == 0, result.stderr
        assert_converged(manifests, backend, tmp_path)

    document = report(result)
    assert set(outcome_of(document)) == PLANNED
    assert set(outcome_of(document).values()) == {"applied", "unchanged"}
    records = read_journal(tmp_path / "prod.plan.journal.jsonl")
    lost = [r for r in records if r["event"] == "error" and r["code"] == "ConnectionClosedError"]
    assert lost, "no answer was lost: the test did not exercise the retries"
    found = [v for v in document["versions"] if v["outcome"] == "unchanged"]
    assert found and all(v["code"] == "AMBIGUOUS" for v in found)
    assert prod(versions(db)) == CONVERGED


# --- (4) an apply killed halfway


@pytest.mark.parametrize("error", [KeyboardInterrupt, lambda: SystemExit(143)], ids=["ctrl-c", "exit"])
def test_an_interrupted_apply_finishes_when_the_same_plan_is_applied_again(
    db: Path,
    manifests: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    error: Callable[[], BaseException],
) -> None:
    backend = ["--local", str(db)]
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, backend)
    made = interrupt_after(2, monkeypatch, error)

    killed = run("apply", plan_file, "--concurrency", "1", *backend)

    assert killed.exit_code != 0
    assert len(made) == 2
    first = [r["event"] for r in read_journal(tmp_path / "prod.plan.journal.jsonl")]
    assert first.count("call") == 2
    assert first[-1] == "interrupted"
    monkeypatch.undo()

    again = run("apply", plan_file, "--format", "json", *backend)

    assert again.exit_code == 0, again.stderr
    outcomes = outcome_of(report(again))
    done_before = {(a.kind.value, str(a.package), c.version) for a in made for c in a.versions}
    assert {key for key, outcome in outcomes.items() if outcome == "unchanged"} == done_before
    assert {key for key, outcome in outcomes.items() if outcome == "applied"} == PLANNED - done_before
    assert prod(versions(db)) == CONVERGED
    assert_converged(manifests, backend, tmp_path)
    assert changed_twice(journal_records(tmp_path)) == []


def test_after_an_interrupted_apply_a_new_plan_applies_only_the_rest(
    db: Path, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = ["--local", str(db)]
    plan_to(tmp_path / "first.plan.json", manifests, backend)
    made = interrupt_after(3, monkeypatch, KeyboardInterrupt)
    assert run("apply", tmp_path / "first.plan.json", "--concurrency", "1", *backend).exit_code == 130
    monkeypatch.undo()

    plan_to(tmp_path / "second.plan.json", manifests, backend)
    result = run("apply", tmp_path / "second.plan.json", "--format", "json", *backend)

    assert result.exit_code == 0, result.stderr
    done_before = {(a.kind.value, str(a.package), c.version) for a in made for c in a.versions}
    assert set(outcome_of(report(result))) == PLANNED - done_before
    assert prod(versions(db)) == CONVERGED
    assert_converged(manifests, backend, tmp_path)
    assert changed_twice(journal_records(tmp_path)) == []


def test_sigterm_stops_an_apply_after_the_calls_in_flight_and_exits_143(
    db: Path, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = ["--local", str(db)]
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, backend)
    original = BotoExecutor.execute
    made: list[Action] = []

    def execute(self: BotoExecutor, action: Action) -> BatchResult:
        made.append(action)
        result = original(self, action)
        if len(made) == 1:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.2)  # the signal reaches the main thread while this call is still in flight
        return result

    monkeypatch.setattr(BotoExecutor, "execute", execute)
    handler = signal.getsignal(signal.SIGTERM)

    result = run("apply", plan_file, "--concurrency", "1", *backend)

    assert result.exit_code == 143
    assert "Terminated" in result.stderr
    assert len(made) == 1
    records = read_journal(tmp_path / "prod.plan.journal.jsonl")
    assert [r["event"] for r in records if r["event"] != "read"] == ["apply", "send", "call", "interrupted"]
    assert signal.getsignal(signal.SIGTERM) is handler
    # The partial report: the one call that went through, the rest not attempted, and the journal.
    assert "Apply interrupted: " in result.stdout
    assert f"Journal: {tmp_path / 'prod.plan.journal.jsonl'}" in result.stderr


# --- (5) blast radius

DISPOSING = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {domain: acme, repository: prod}
packages:
  - format: pypi
    name: lib
    versions: {"0.1": Disposed, "0.2": Disposed, "0.3": Disposed, "0.4": Disposed}
"""


def refuse_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    def connect(*args: object, **kwargs: object) -> None:
        raise AssertionError("apply connected to CodeArtifact")

    monkeypatch.setattr("reconciler.workflows.regions.connect", connect)


def test_a_plan_disposing_beyond_the_total_limit_is_refused_before_any_call(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dispose.yaml").write_text(DISPOSING)
    backend = ["--local", str(db)]
    plan_to(tmp_path / "dispose.plan.json", tmp_path / "dispose.yaml", backend)
    before = versions(db)
    refuse_connections(monkeypatch)

    result = run(
        "apply", tmp_path / "dispose.plan.json", "--max-dispose", "3", "--max-dispose-share", "1", *backend
    )

    assert result.exit_code == 1
    assert "Error: refused: the plan exceeds the blast-radius limits; nothing was changed" in result.stderr
    assert "allow it with --max-dispose 4" in result.stderr
    monkeypatch.undo()
    assert versions(db) == before


WRITES = {"send", "call", "error"}  # the journal's events of the plan's own calls


def test_a_plan_disposing_beyond_a_packages_share_is_refused_after_reading_before_any_change(
    db: Path, tmp_path: Path
) -> None:
    (tmp_path / "dispose.yaml").write_text(DISPOSING)
    backend = ["--local", str(db)]
    plan_to(tmp_path / "dispose.plan.json", tmp_path / "dispose.yaml", backend)
    before = versions(db)

    result = run("apply", tmp_path / "dispose.plan.json", *backend)

    assert result.exit_code == 1
    assert "Error: refused: the plan exceeds the blast-radius limits; nothing was changed" in result.stderr
    assert (
        "acme/prod/pypi/lib: the plan disposes 4 of its 6 versions (67%), more than the limit of 50%; "
        "allow it with --max-dispose-share 0.67"
    ) in result.stderr
    assert versions(db) == before
    events = [r["event"] for r in read_journal(tmp_path / "dispose.plan.journal.jsonl")]
    assert events[-1] == "refused" and not WRITES & set(events)


def test_editing_the_plans_own_package_counts_does_not_get_past_the_share_limit(
    db: Path, tmp_path: Path
) -> None:
    """The share is taken from the package as it is now, not from the plan file's package_versions."""
    (tmp_path / "dispose.yaml").write_text(DISPOSING)
    backend = ["--local", str(db)]
    path = tmp_path / "dispose.plan.json"
    plan_to(path, tmp_path / "dispose.yaml", backend)
    document = json.loads(path.read_text())
    document["package_versions"] = dict.fromkeys(document["package_versions"], 1000)
    path.write_text(json.dumps(document))
    before = versions(db)

    result = run("apply", path, *backend)

    assert result.exit_code == 1
    assert "the plan disposes 4 of its 6 versions (67%)" in result.stderr
    assert versions(db) == before


@pytest.mark.parametrize("option", ["--max-dispose-share", "--rate-scale"])
def test_a_limit_of_nan_is_a_usage_error_not_no_limit(option: str, db: Path, tmp_path: Path) -> None:
    """click's FloatRange lets nan through any range (every comparison with it is false)."""
    (tmp_path / "dispose.yaml").write_text(DISPOSING)
    backend = ["--local", str(db)]
    plan_to(tmp_path / "dispose.plan.json", tmp_path / "dispose.yaml", backend)
    before = versions(db)

    result = run("apply", tmp_path / "dispose.plan.json", option, "nan", *backend)

    assert result.exit_code == 1
    assert f"Invalid value for '{option}': 'nan' is not a number" in result.stderr
    assert versions(db) == before


def test_plan_warns_in_review_that_apply_will_refuse_it(db: Path, tmp_path: Path) -> None:
    (tmp_path / "dispose.yaml").write_text(DISPOSING)

    result = run("plan", tmp_path / "dispose.yaml", "-o", tmp_path / "p.json", "--local", str(db))

    assert result.exit_code == 0, result.stderr
    assert "apply will refuse this plan unless allowed" in result.stdout
    assert "allow it with --max-dispose-share 0.67" in result.stdout


def test_the_share_the_refusal_names_lets_the_plan_through(db: Path, tmp_path: Path) -> None:
    (tmp_path / "dispose.yaml").write_text(DISPOSING)
    backend = ["--local", str(db)]
    plan_to(tmp_path / "dispose.plan.json", tmp_path / "dispose.yaml", backend)

    result = run("apply", tmp_path / "dispose.plan.json", "--max-dispose-share", "0.67", *backend)

    assert result.exit_code == 0, result.stderr
    assert sum(status == "Disposed" for status in versions(db).values()) == 4


# --- (6) a plan file for another target, or of another format


def edit_plan(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))


def test_a_plan_made_by_another_version_of_the_tool_is_refused(
    db: Path, manifests: Path, tmp_path: Path
) -> None:
    backend = ["--local", str(db)]
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, backend)
    edit_plan(plan_file, lambda d: d.update(tool_version="0.0.1"))
    before = versions(db)

    result = run("apply", plan_file, *backend)

    assert result.exit_code == 1
    assert "the plan was made by reconciler 0.0.1" in result.stderr
    assert versions(db) == before


def test_a_plan_is_refused_when_its_manifests_changed_since(
    db: Path, manifests: Path, tmp_path: Path
) -> None:
    backend = ["--local", str(db)]
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, backend)
    before = versions(db)
    target = next(manifests.rglob("*.yaml")) if manifests.is_dir() else manifests
    target.write_text(target.read_text() + "\n# edited after the plan\n")

    result = run("apply", plan_file, "--manifests", manifests, *backend)

    assert result.exit_code == 1
    assert "the manifests changed since the plan was made" in result.stderr
    assert versions(db) == before


def test_a_plan_applies_when_its_manifests_are_as_planned(db: Path, manifests: Path, tmp_path: Path) -> None:
    backend = ["--local", str(db)]
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, backend)

    result = run("apply", plan_file, "--manifests", manifests, *backend)

    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda d: d["target"].update(endpoint="https://codeartifact.eu-west-1.amazonaws.com"),
            "endpoint: plan",
        ),
        (lambda d: d["target"].update(region="eu-west-1"), "region: plan eu-west-1, now us-east-1"),
        (
            lambda d: d["target"]["domains"].update(acme="999999999999"),
            "domain acme: plan owner 999999999999",
        ),
        (
            # A plan file whose actions name a domain its target does not: not consistent (verify).
            lambda d: d["target"].update(domains={}),
            "domain acme is not in the plan's target",
        ),
    ],
    ids=["endpoint", "region", "domain-owner", "no-domain"],
)
def test_a_plan_made_for_another_target_is_refused_before_any_change(
    db: Path, manifests: Path, tmp_path: Path, edit: Callable[[dict[str, Any]], None], problem: str
) -> None:
    backend = ["--local", str(db)]
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, backend)
    edit_plan(plan_file, edit)
    before = versions(db)

    result = run("apply", plan_file, "--region", "us-east-1", *backend)

    assert result.exit_code == 1
    refusal = (
        "Error: refused: the plan file is not consistent ("
        if "not in the plan's target" in problem
        else "Error: refused: the plan was made for another target; nothing was changed"
    )
    assert refusal in result.stderr
    assert problem in result.stderr
    assert versions(db) == before
    # The journal records the refusal, and the only calls before it: an account is known by a call.
    records = read_journal(tmp_path / "prod.plan.journal.jsonl")
    assert [r["event"] for r in records if r["event"] != "read"] == ["apply", "refused"]
    reads = [r["operation"] for r in records if r["event"] == "read"]
    assert reads == (["DescribeDomain"] if "owner" in problem else [])
    assert records[-1]["calls"] == dict(Counter(reads))


def test_a_plan_file_of_another_format_version_is_refused_before_any_call(
    db: Path, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = ["--local", str(db)]
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, backend)
    edit_plan(plan_file, lambda document: document.update(format_version=2))
    refuse_connections(monkeypatch)

    result = run("apply", plan_file, *backend)

    assert result.exit_code == 1
    assert f"Error: {plan_file} has plan format version 2; this reconciler reads version 1" in result.stderr


def test_a_plan_with_versions_that_cannot_converge_is_refused_before_any_call(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken.yaml").write_text(MANIFEST.replace('"0.2": Archived', '"9.9": Archived'))
    plan_file = tmp_path / "broken.plan.json"
    assert run("plan", tmp_path / "broken.yaml", "-o", plan_file, "--local", db).exit_code == 1
    refuse_connections(monkeypatch)

    result = run("apply", plan_file, "--local", db)

    assert result.exit_code == 1
    assert "Error: refused: 1 version(s) in the plan cannot converge; nothing was changed" in result.stderr


# --- (7) manifests: confirmation


def test_applying_manifests_without_a_terminal_to_confirm_on_is_refused(
    db: Path, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = versions(db)

    result = run("apply", manifests, "--local", db)

    assert result.exit_code == 1
    assert "Error: refusing to apply without confirmation: no terminal to ask on" in result.stderr
    assert "--auto-approve" in result.stderr
    assert versions(db) == before


def test_applying_manifests_with_auto_approve_plans_and_applies(
    db: Path, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run("apply", manifests, "--auto-approve", "--local", db)

    assert result.exit_code == 0, result.stderr
    assert "Plan: 1 to dispose, 4 to update, 2 to copy" in result.stdout
    assert "Apply complete: 7 applied" in result.stdout
    assert prod(versions(db)) == CONVERGED
    saved = list((tmp_path / "plans").glob("*.plan.json"))
    assert len(saved) == 1
    assert saved[0].with_suffix(".journal.jsonl").exists()


def test_applying_manifests_counts_and_journals_the_reads_that_made_the_plan(
    db: Path, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run("apply", manifests, "--auto-approve", "--format", "json", "--local", db)

    assert result.exit_code == 0, result.stderr
    document = report(result)
    records = read_journal(Path(document["journal"]))
    reads: Counter[str] = Counter()
    for record in records:
        if record["event"] == "read":
            reads[record["operation"]] += record["attempts"]
    writes = {"CopyPackageVersions": 1, "UpdatePackageVersionsStatus": 4, "DisposePackageVersions": 1}
    assert reads["DescribeDomain"] == 1 and reads["ListPackageVersions"] >= 3
    assert document["calls_by_operation"] == dict(reads + Counter(writes))
    assert document["calls"] == sum(reads.values()) + 6


def test_applying_manifests_that_need_no_change_makes_no_call(
    db: Path, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("apply", manifests, "--auto-approve", "--local", db).exit_code == 0

    result = run("apply", manifests, "--local", db, "--format", "json")  # nothing to confirm

    assert result.exit_code == 0, result.stderr
    assert report(result)["versions"] == []


# --- (8) the JSON report


def test_the_json_report_lists_every_version_of_the_plan(db: Path, manifests: Path, tmp_path: Path) -> None:
    backend = ["--local", str(db)]
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, backend)

    result = run("apply", plan_file, "--format", "json", *backend)

    document = report(result)
    assert document["succeeded"] is True
    assert document["counts"] == {"applied": 7, "unchanged": 0, "moved": 0, "failed": 0, "not-attempted": 0}
    assert document["result"] == "applied"
    assert document["reason"] is None
    assert document["calls"] == 10
    assert document["calls_by_operation"] == {
        "CopyPackageVersions": 1,
        "DescribeDomain": 1,
        "DisposePackageVersions": 1,
        "ListPackageVersions": 3,
        "UpdatePackageVersionsStatus": 4,
    }
    assert document["journal"] == str(tmp_path / "prod.plan.journal.jsonl")
    assert len(document["versions"]) == 7
    assert set(outcome_of(document)) == PLANNED
    lib = next(v for v in document["versions"] if v["version"] == "0.6")
    assert lib == {
        "package": "acme/prod/pypi/lib",
        "version": "0.6",
        "action": "update-status",
        "from": "Unlisted",
        "to": "Published",
        "outcome": "applied",
        "code": "",
        "message": "",
    }


# --- (8b) a report and a journal for every outcome, refusals included


def test_a_refused_apply_writes_its_json_report_with_the_limits_exceeded_before_any_change(
    db: Path, tmp_path: Path
) -> None:
    (tmp_path / "dispose.yaml").write_text(DISPOSING)
    plan_to(tmp_path / "dispose.plan.json", tmp_path / "dispose.yaml", ["--local", str(db)])

    result = run("apply", tmp_path / "dispose.plan.json", "--format", "json", "--local", db)

    assert result.exit_code == 1
    document = report(result)
    assert document["result"] == "refused"
    assert document["succeeded"] is False
    assert (
        document["reason"]["summary"]
        == "refused: the plan exceeds the blast-radius limits; nothing was changed"
    )
    assert document["limits_exceeded"] == [
        "acme/prod/pypi/lib: the plan disposes 4 of its 6 versions (67%), more than the limit of 50%; "
        "allow it with --max-dispose-share 0.67"
    ]
    # Only the reads: the target's owner, and the package as it is now (the base of its share).
    assert set(document["calls_by_operation"]) == {"DescribeDomain", "ListPackageVersions"}
    assert document["versions"] == []
    records = read_journal(tmp_path / "dispose.plan.journal.jsonl")
    assert records[0]["event"] == "apply" and records[-1]["event"] == "refused"
    assert not WRITES & {r["event"] for r in records}
    assert records[-1]["limits_exceeded"] == document["limits_exceeded"]


def test_a_plan_refused_because_versions_moved_writes_the_moved_versions_in_its_json_report(
    db: Path, manifests: Path, tmp_path: Path, writer: Any
) -> None:
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, ["--local", str(db)])
    move_two_versions(writer)

    result = run("apply", plan_file, "--format", "json", "--local", db)

    assert result.exit_code == 1
    document = report(result)
    assert document["result"] == "refused"
    assert document["reason"]["summary"].startswith("refused: 2 version(s) moved since the plan was made")
    moved = {
        (m["package"], m["version"], m["where"]): (m["planned"]["status"], m["live"]["status"])
        for m in document["moved"]
    }
    assert moved == {
        ("acme/prod/npm/app", "1.0.0", "prod"): ("Published", "Unlisted"),
        ("acme/prod/npm/app", "2.0.0", "staging"): ("Published", "Archived"),
    }
    assert document["calls_by_operation"] == {"DescribeDomain": 1, "ListPackageVersions": 3}
    assert "Error: refused: 2 version(s) moved" in result.stderr


@pytest.mark.parametrize(
    ("edit", "summary"),
    [
        (lambda d: d.update(tool_version="0.0.1"), "refused: the plan was made by reconciler 0.0.1"),
        (lambda d: d["target"].update(region="eu-west-1"), "refused: the plan was made for another target"),
    ],
    ids=["tool-version", "region"],
)
def test_refusals_that_promise_no_call_make_none_and_are_reported_and_journaled(
    db: Path,
    manifests: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    edit: Callable[[dict[str, Any]], None],
    summary: str,
) -> None:
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, ["--local", str(db)])
    edit_plan(plan_file, edit)
    calls: list[str] = []  # every call of every client apply makes, its executor's included

    def counted(backend: Any) -> Any:
        connection = connect(backend)
        connection.log.listen(lambda call: calls.append(call.operation))
        return connection

    monkeypatch.setattr("reconciler.workflows.regions.connect", counted)

    result = run("apply", plan_file, "--format", "json", "--region", "us-east-1", "--local", db)

    assert result.exit_code == 1
    document = report(result)
    assert document["result"] == "refused"
    assert document["reason"]["summary"].startswith(summary)
    assert calls == []
    assert document["calls"] == 0
    assert [r["event"] for r in read_journal(tmp_path / "prod.plan.journal.jsonl")] == ["apply", "refused"]


def test_an_apply_that_fails_on_a_read_writes_its_json_report_and_journal(
    db: Path, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, ["--local", str(db)])

    def denied(*args: object) -> None:  # a role without codeartifact:ListPackageVersions
        raise AwsError("AccessDeniedException", "not authorized", "ListPackageVersions")

    monkeypatch.setattr("reconciler.workflows.applying.read_packages", denied)

    result = run("apply", plan_file, "--format", "json", "--local", db)

    assert result.exit_code == 1
    document = report(result)
    assert document["result"] == "failed"
    assert (
        document["reason"]["summary"]
        == "AWS error in ListPackageVersions: AccessDeniedException: not authorized"
    )
    assert document["calls_by_operation"] == {"DescribeDomain": 1}
    records = read_journal(tmp_path / "prod.plan.journal.jsonl")
    assert records[-1]["event"] == "failed"
    assert records[-1]["reason"] == document["reason"]["summary"]


def test_a_plan_file_that_cannot_be_read_still_gets_a_json_report(tmp_path: Path) -> None:
    plan_file = tmp_path / "broken.plan.json"
    plan_file.write_text("{not json")

    result = run("apply", plan_file, "--format", "json", "--local", tmp_path / "none.db")

    assert result.exit_code == 1
    document = report(result)
    assert document["result"] == "refused"
    assert document["reason"]["summary"]
    assert document["journal"] is None
    assert not list(tmp_path.glob("*.jsonl"))


# --- (9) Ctrl-C


def test_ctrl_c_during_apply_with_json_writes_the_partial_report(
    db: Path, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, ["--local", str(db)])
    interrupt_after(2, monkeypatch, KeyboardInterrupt)

    result = run("apply", plan_file, "--format", "json", "--concurrency", "1", "--local", db)

    assert result.exit_code == 130
    document = report(result)
    assert document["result"] == "interrupted"
    counts = document["counts"]
    assert counts["applied"] >= 2 and counts["applied"] + counts["not-attempted"] == 7
    assert {v["message"] for v in document["versions"] if v["outcome"] == "not-attempted"} == {
        "the apply was interrupted before this version"
    }
    assert f"Journal: {tmp_path / 'prod.plan.journal.jsonl'}" in result.stderr


def test_ctrl_c_during_apply_exits_130_and_the_journal_says_so(
    db: Path, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = ["--local", str(db)]
    plan_file = tmp_path / "prod.plan.json"
    plan_to(plan_file, manifests, backend)
    before = versions(db)
    interrupt_after(0, monkeypatch, KeyboardInterrupt)

    result = run("apply", plan_file, *backend)

    assert result.exit_code == 130
    assert result.stderr.endswith("Interrupted.\n")
    records = read_journal(tmp_path / "prod.plan.journal.jsonl")
    assert [r["event"] for r in records if r["event"] != "read"] == ["apply", "interrupted"]
    assert records[-1]["error"] == "KeyboardInterrupt"
    assert versions(db) == before
    # The partial report: every version not attempted, and where the journal is.
    assert "Apply interrupted: 0 applied, 0 unchanged, 0 moved, 0 failed, 7 not-attempted; 4 API calls." in (
        result.stdout
    )
    assert f"Journal: {tmp_path / 'prod.plan.journal.jsonl'}" in result.stderr


# --- the client-side rate limiter against AWS's quotas


def big_seed(packages: int, updated: int, copied: int) -> dict[str, Any]:
    names = [f"pkg{i}" for i in range(packages)]
    return {
        "apiVersion": "reconciler/v1",
        "kind": "LocalSeed",
        "domains": [
            {
                "name": "big",
                "repositories": [
                    {
                        "name": "staging",
                        "packages": [
                            {"format": "npm", "name": n, "versions": [f"2.{i}.0" for i in range(copied)]}
                            for n in names
                        ],
                    },
                    {
                        "name": "prod",
                        "packages": [
                            {"format": "npm", "name": n, "versions": [f"1.{i}.0" for i in range(updated)]}
                            for n in names
                        ],
                    },
                ],
            }
        ],
    }


class NoLimits(RateLimiter):
    def acquire(self, operation: str) -> float:
        return 0.0


@pytest.mark.parametrize("limited", [True, False], ids=["limiter-on", "limiter-off"])
def test_a_big_apply_paced_by_the_rate_limiter_is_not_throttled_by_the_services_quotas(
    tmp_path: Path, aws_env: None, monkeypatch: pytest.MonkeyPatch, limited: bool
) -> None:
    # 3 packages: 150 versions each Unlisted (2 calls each), 101 copied (2 calls each): six copies
    # at once are more than CopyPackageVersions' 5 a second. The limiter, the executor's waits and
    # the service's quotas share one virtual clock: time moves only when a call waits, so the
    # pacing is checked exactly, whatever the load on the machine (the wall-clock version of this
    # run is a benchmark: tests/bench_apply.py).
    clock = VirtualClock()
    db = tmp_path / "big.db"
    with LocalCodeArtifact(db) as service:
        seed_service(service, SeedDocument.model_validate(big_seed(3, 150, 101)))
    entries = "".join(
        f"  - format: npm\n    name: pkg{i}\n    otherwise: Unlisted\n    rules:\n"
        "      - {match: '2.*', status: Published, copy_from: staging}\n"
        for i in range(3)
    )
    (tmp_path / "big.yaml").write_text(
        f"apiVersion: reconciler/v1\nkind: PackageLifecycle\ntarget: {{domain: big, repository: prod}}\n"
        f"packages:\n{entries}"
    )
    limiter = NoLimits if not limited else RateLimiter
    monkeypatch.setattr(
        "reconciler.workflows.applying.RateLimiter",
        functools.partial(limiter, clock=clock.now, sleep=clock.sleep),
    )
    monkeypatch.setattr(
        "reconciler.workflows.applying.BotoExecutor",
        functools.partial(BotoExecutor, sleep=clock.sleep_from_now),
    )
    with served(db, FaultInjector(Faults(quotas=True), clock=clock.now, sleep=clock.sleep)) as (backend, _):
        plan_to(tmp_path / "big.plan.json", tmp_path / "big.yaml", backend)
        result = run("apply", tmp_path / "big.plan.json", "--format", "json", *backend)

    assert result.exit_code == 0, result.stderr
    document = report(result)
    assert document["counts"]["applied"] == 3 * 150 + 3 * 101
    assert all(v["code"] != "ThrottlingException" for v in document["versions"])
    if limited:
        assert document["throttled"] == 0
    else:
        assert document["throttled"] >= 1  # the quotas are real: unpaced, the service throttles
