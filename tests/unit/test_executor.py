"""`BotoExecutor` on a real boto3 client answered in process by the local service with injected
faults: retries, Retry-After, counting, the journal, and retries of calls that may have gone through."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError

from reconciler.aws.client import Backend, connect
from reconciler.aws.executor import BotoExecutor
from reconciler.codeartifact import Status
from reconciler.journal import Journal
from reconciler.local import Faults, LocalCodeArtifact, local_client
from reconciler.local.errors import (
    AccessDeniedException,
    InternalServerException,
    ServiceError,
    ThrottlingException,
)
from reconciler.local.faults import FaultInjector
from reconciler.local.seed import SeedDocument, seed_service
from reconciler.ratelimit import RateLimiter
from tests.lostreplies import LosesReply
from tests.refs import read_journal
from tests.unit.applying import copy, update

REBUILT = "rebuilt-1.0.0-revision"
REBUILT_2 = "rebuilt-2.0.0-revision"
SEED = {
    "apiVersion": "reconciler/v1",
    "kind": "LocalSeed",
    "domains": [
        {
            "name": "acme",
            "repositories": [
                {
                    "name": "staging",
                    "packages": [{"format": "npm", "name": "app", "versions": ["2.0.0", "2.1.0"]}],
                },
                {
                    "name": "prod",
                    "packages": [{"format": "npm", "name": "app", "versions": ["1.0.0", "1.1.0"]}],
                },
                {
                    # A rebuilt 1.0.0 (other contents, so another revision) another writer can put in prod.
                    "name": "elsewhere",
                    "packages": [
                        {
                            "format": "npm",
                            "name": "app",
                            "versions": [
                                {"version": "1.0.0", "revision": REBUILT, "summary": "rebuilt"},
                                {"version": "2.0.0", "revision": REBUILT_2, "summary": "rebuilt"},
                            ],
                        }
                    ],
                },
            ],
        }
    ],
}


class ScriptedFaults(FaultInjector):
    """Answers the next write requests with the given errors, in order; everything else goes through."""

    def __init__(self) -> None:
        super().__init__(Faults())
        self.errors: list[ServiceError] = []

    def before(self, operation: str, writes: bool) -> None:
        if writes and self.errors:
            raise self.errors.pop(0)


class Recorder:
    def __init__(self) -> None:
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture
def faults() -> ScriptedFaults:
    return ScriptedFaults()


@pytest.fixture
def service(tmp_path: Path, faults: ScriptedFaults) -> Iterator[LocalCodeArtifact]:
    with LocalCodeArtifact(tmp_path / "ca.db", faults=faults) as svc:
        seed_service(svc, SeedDocument.model_validate(SEED))
        yield svc


@pytest.fixture
def client(service: LocalCodeArtifact) -> Any:
    """As apply makes it: botocore's own retries off, so that every attempt is the executor's."""
    return local_client(service, config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "apply.journal.jsonl"


def executor_for(client: Any, recorder: Recorder, journal_path: Path, **kwargs: Any) -> BotoExecutor:
    return BotoExecutor(client, journal=Journal(journal_path), sleep=recorder.sleep, **kwargs)


def with_revisions(client: Any, action: Any) -> Any:
    """The action with the live revisions of its versions (the seed makes random ones)."""
    source = action.source_repository or action.package.repository.repository
    listed = client.list_package_versions(domain="acme", repository=source, format="npm", package="app")
    revisions = {item["version"]: item["revision"] for item in listed["versions"]}
    changes = tuple(c._replace(prior_revision=revisions[c.version]) for c in action.versions)
    return action.with_versions(changes)


def status_of(client: Any, version: str, repository: str = "prod") -> str:
    return state_of(client, version, repository)[0]


def state_of(client: Any, version: str, repository: str = "prod") -> tuple[str, str]:
    """(status, revision) of a version, as the service holds it."""
    listed = client.list_package_versions(domain="acme", repository=repository, format="npm", package="app")
    return next(
        (item["status"], item["revision"]) for item in listed["versions"] if item["version"] == version
    )


def rebuild(client: Any, status: str = "Archived") -> None:
    """Another writer: puts the rebuilt 1.0.0 (another revision) in prod, then gives it `status`."""
    client.copy_package_versions(
        domain="acme",
        sourceRepository="elsewhere",
        destinationRepository="prod",
        format="npm",
        package="app",
        versions=["1.0.0"],
        allowOverwrite=True,
    )
    client.update_package_versions_status(
        domain="acme", repository="prod", format="npm", package="app", versions=["1.0.0"], targetStatus=status
    )


def events(records: list[dict[str, Any]]) -> list[str]:
    return [record["event"] for record in records]


def test_a_throttled_call_is_retried_no_sooner_than_retry_after_asks(
    client: Any, faults: ScriptedFaults, recorder: Recorder, journal_path: Path
) -> None:
    faults.errors = [ThrottlingException("Rate exceeded", retry_after_seconds=3)] * 2
    executor = executor_for(client, recorder, journal_path)
    result = executor.execute(with_revisions(client, update("1.0.0")))

    assert result.successful == {"1.0.0": "Archived"}
    assert len(recorder.slept) == 2
    assert all(delay >= 3.0 for delay in recorder.slept)
    assert executor.throttled == 2
    assert executor.calls == {"UpdatePackageVersionsStatus": 3}
    assert status_of(client, "1.0.0") == "Archived"


def test_internal_errors_are_retried_with_a_short_backoff_and_counted(
    client: Any, faults: ScriptedFaults, recorder: Recorder, journal_path: Path
) -> None:
    faults.errors = [InternalServerException("boom"), InternalServerException("boom")]
    executor = executor_for(client, recorder, journal_path)
    result = executor.execute(with_revisions(client, update("1.0.0", "1.1.0")))

    assert result.successful == {"1.0.0": "Archived", "1.1.0": "Archived"}
    assert executor.calls == {"UpdatePackageVersionsStatus": 3}
    assert executor.throttled == 0
    assert len(recorder.slept) == 2
    assert all(delay < 0.5 for delay in recorder.slept)


def test_an_error_that_retrying_cannot_fix_is_returned_at_once(
    client: Any, recorder: Recorder, journal_path: Path
) -> None:
    executor = executor_for(client, recorder, journal_path)
    result = executor.execute(update("1.0.0", package="no-such-package"))

    assert result.error is not None
    assert result.error[0] == "ResourceNotFoundException"
    assert executor.calls == {"UpdatePackageVersionsStatus": 1}
    assert recorder.slept == []


def test_retries_stop_after_max_retries_with_the_last_error(
    client: Any, faults: ScriptedFaults, recorder: Recorder, journal_path: Path
) -> None:
    faults.errors = [InternalServerException("still broken")] * 10
    executor = executor_for(client, recorder, journal_path, max_retries=3)
    result = executor.execute(with_revisions(client, update("1.0.0")))

    assert result.error == ("InternalServerException", "still broken (still failing after 3 retries)")
    # A 500 may come after the change was made: the versions are read again, and found untouched.
    assert executor.calls == {"UpdatePackageVersionsStatus": 4, "ListPackageVersions": 1}
    assert len(recorder.slept) == 3  # no pointless wait after the last try
    assert status_of(client, "1.0.0") == "Published"


def test_per_version_failures_are_returned_as_the_service_gave_them(
    client: Any, recorder: Recorder, journal_path: Path
) -> None:
    executor = executor_for(client, recorder, journal_path)
    result = executor.execute(update("1.0.0", "1.1.0"))  # revisions the service never had

    assert result.error is None
    assert result.successful == {}
    assert {version: code for version, (code, _) in result.failed.items()} == {
        "1.0.0": "MISMATCHED_REVISION",
        "1.1.0": "MISMATCHED_REVISION",
    }


def test_every_attempt_is_journaled_before_it_goes_out_and_with_its_answer(
    client: Any, faults: ScriptedFaults, recorder: Recorder, journal_path: Path
) -> None:
    faults.errors = [ThrottlingException("Rate exceeded", retry_after_seconds=2)]
    executor = executor_for(client, recorder, journal_path)
    executor.execute(with_revisions(client, update("1.0.0")))
    executor.journal.close()

    records = read_journal(journal_path)
    assert [(r["event"], r["attempt"]) for r in records] == [
        ("send", 0),
        ("error", 0),
        ("send", 1),
        ("call", 1),
    ]
    assert records[1]["code"] == "ThrottlingException"
    assert records[1]["retry_in"] >= 2
    assert records[3]["successful"] == {"1.0.0": "Archived"}
    assert records[3]["operation"] == "UpdatePackageVersionsStatus"
    assert records[3]["package"] == "acme/prod/npm/app"
    assert all(json.loads(line) for line in journal_path.read_text().splitlines())


def test_the_rate_limiter_is_asked_before_every_attempt(
    client: Any, faults: ScriptedFaults, recorder: Recorder, journal_path: Path
) -> None:
    asked: list[str] = []

    class Limiter(RateLimiter):
        def acquire(self, operation: str) -> float:
            asked.append(operation)
            return 0.0

    faults.errors = [InternalServerException("boom")]
    executor = executor_for(client, recorder, journal_path, limiter=Limiter())
    executor.execute(with_revisions(client, copy("2.0.0")))
    assert asked == ["CopyPackageVersions", "CopyPackageVersions"]


class DropsFirstAnswer:
    """A client whose first batch call is carried out but whose answer never arrives."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.dropped = False

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**params: Any) -> Any:
            response = method(**params)
            if not self.dropped:
                self.dropped = True
                raise ConnectionClosedError(endpoint_url="https://codeartifact.local.invalid")
            return response

        return call


@pytest.mark.parametrize("page_size", [1000, 1], ids=["one-page", "a-page-per-version"])
def test_a_status_change_whose_answer_was_lost_is_found_as_planned_and_ambiguous_never_applied(
    service: LocalCodeArtifact,
    client: Any,
    recorder: Recorder,
    journal_path: Path,
    page_size: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("reconciler.aws.executor.MAX_PAGE_SIZE", page_size)
    action = with_revisions(client, update("1.0.0", "1.1.0"))
    service.faults = lost = LosesReply("UpdatePackageVersionsStatus")
    executor = executor_for(client, recorder, journal_path)
    result = executor.execute(action)
    executor.journal.close()

    assert lost.lost == 1
    # Exactly as this write leaves them, which another writer's identical change would too: found,
    # ambiguous, never booked as this apply's success.
    assert result.successful == {}
    assert sorted(result.found) == ["1.0.0", "1.1.0"]
    assert all(status == "Archived" and "ambiguous" in why for status, why in result.found.values())
    assert result.failed == {}
    records = read_journal(journal_path)
    pages = 1 if page_size > 1 else 2  # prod holds two versions of app
    assert events(records) == ["send", "error", "send", *["read"] * pages, "verify", "call"]
    assert records[1]["code"] == "ConnectionClosedError"
    assert records[-2]["verdicts"] == {"1.0.0": "as-planned", "1.1.0": "as-planned"}
    assert sorted(records[-1]["as_planned"]) == ["1.0.0", "1.1.0"]
    assert records[-1]["successful"] == {}
    assert "ambiguous" not in records[-1]
    # The service holds what the report says: Archived, at the revision the plan saw.
    for change in action.versions:
        assert state_of(client, change.version) == ("Archived", change.prior_revision)
    assert executor.calls == {"UpdatePackageVersionsStatus": 2, "ListPackageVersions": pages}


@pytest.mark.parametrize("carried_out", [True, False], ids=["reply-lost", "request-dropped"])
def test_a_retry_that_finds_the_planned_status_at_another_revision_is_ambiguous_never_applied(
    service: LocalCodeArtifact, client: Any, recorder: Recorder, journal_path: Path, carried_out: bool
) -> None:
    action = with_revisions(client, update("1.0.0"))  # Published -> Archived
    # The first try loses its answer (carried out or not); meanwhile another writer puts a rebuilt
    # 1.0.0 in prod and archives it: the retry meets the planned status, but not this apply's write.
    service.faults = LosesReply(
        "UpdatePackageVersionsStatus", carried_out=carried_out, meanwhile=lambda: rebuild(client)
    )
    executor = executor_for(client, recorder, journal_path)
    result = executor.execute(action)
    executor.journal.close()

    assert result.successful == {}
    code, message = result.failed["1.0.0"]
    assert code == "AMBIGUOUS"
    assert message.startswith("ambiguous: ")
    assert f"now Archived at revision {REBUILT}" in message
    records = read_journal(journal_path)
    verify = next(r for r in records if r["event"] == "verify")
    assert verify["verdicts"] == {"1.0.0": "ambiguous"}
    assert verify["found"] == {"1.0.0": {"status": "Archived", "revision": REBUILT}}
    assert records[-1]["event"] == "call"
    assert records[-1]["ambiguous"] == ["1.0.0"]
    assert "as_planned" not in records[-1]
    assert state_of(client, "1.0.0") == ("Archived", REBUILT)


def test_a_copy_whose_answer_was_lost_is_found_as_planned_on_retry_never_booked_applied(
    service: LocalCodeArtifact, client: Any, recorder: Recorder, journal_path: Path
) -> None:
    service.faults = LosesReply("CopyPackageVersions")
    executor = executor_for(client, recorder, journal_path)
    action = with_revisions(client, copy("2.0.0"))
    result = executor.execute(action)

    assert result.successful == {}
    assert list(result.found) == ["2.0.0"] and result.found["2.0.0"][0] == "Published"
    assert state_of(client, "2.0.0") == ("Published", action.versions[0].prior_revision)


def test_a_lost_copy_reply_then_a_change_to_one_source_version_still_books_both_copies(
    service: LocalCodeArtifact, client: Any, recorder: Recorder, journal_path: Path
) -> None:
    action = with_revisions(client, copy("2.0.0", "2.1.0"))

    def archive_the_source() -> None:
        client.update_package_versions_status(
            domain="acme",
            repository="staging",
            format="npm",
            package="app",
            versions=["2.1.0"],
            targetStatus="Archived",
        )

    # The copy is carried out and its answer lost; then 2.1.0 is archived in staging, so the retry
    # is refused (NOT_ALLOWED for 2.1.0, SKIPPED for 2.0.0) although both were copied.
    service.faults = LosesReply("CopyPackageVersions", meanwhile=archive_the_source)
    executor = executor_for(client, recorder, journal_path)
    result = executor.execute(action)
    executor.journal.close()

    assert result.successful == {}
    assert {version: status for version, (status, _) in result.found.items()} == {
        "2.0.0": "Published",
        "2.1.0": "Published",
    }
    assert result.failed == {}
    records = read_journal(journal_path)
    retry = records[2]
    assert retry["event"] == "send" and retry["attempt"] == 1
    verify = next(r for r in records if r["event"] == "verify")
    assert verify["verdicts"] == {"2.0.0": "as-planned", "2.1.0": "as-planned"}
    assert sorted(records[-1]["as_planned"]) == ["2.0.0", "2.1.0"]
    assert records[-1]["failed"] == {}
    for change in action.versions:
        assert state_of(client, change.version) == ("Published", change.prior_revision)
    assert status_of(client, "2.1.0", repository="staging") == "Archived"


def test_a_copy_that_finds_the_version_in_the_destination_at_another_revision_is_ambiguous(
    service: LocalCodeArtifact, client: Any, recorder: Recorder, journal_path: Path
) -> None:
    def rebuild_200() -> None:
        client.copy_package_versions(
            domain="acme",
            sourceRepository="elsewhere",
            destinationRepository="prod",
            format="npm",
            package="app",
            versions=["2.0.0"],
        )

    # The copy's request is dropped; meanwhile another writer copies a rebuilt 2.0.0 into prod.
    service.faults = LosesReply("CopyPackageVersions", carried_out=False, meanwhile=rebuild_200)
    executor = executor_for(client, recorder, journal_path)
    result = executor.execute(with_revisions(client, copy("2.0.0")))
    executor.journal.close()

    assert result.successful == {}
    code, message = result.failed["2.0.0"]
    assert code == "AMBIGUOUS"
    assert f"now Published at revision {REBUILT_2}" in message
    assert read_journal(journal_path)[-1]["ambiguous"] == ["2.0.0"]
    assert state_of(client, "2.0.0") == ("Published", REBUILT_2)


def test_when_the_versions_cannot_be_read_again_the_answer_stands_marked_ambiguous(
    service: LocalCodeArtifact, client: Any, recorder: Recorder, journal_path: Path
) -> None:
    class CannotRead(LosesReply):
        def before(self, operation: str, writes: bool) -> None:
            if operation == "ListPackageVersions":
                raise AccessDeniedException("not allowed to list")
            super().before(operation, writes)

    action = with_revisions(client, update("1.0.0"))
    service.faults = CannotRead("UpdatePackageVersionsStatus")
    executor = executor_for(client, recorder, journal_path)
    result = executor.execute(action)
    executor.journal.close()

    assert result.successful == {}
    code, message = result.failed["1.0.0"]
    assert code == "MISMATCHED_STATUS"  # as the retry answered: reported moved, never applied
    assert "ambiguous" in message and "AccessDeniedException" in message
    verify = next(r for r in read_journal(journal_path) if r["event"] == "verify")
    assert verify["error"] == "AccessDeniedException"
    assert verify["verdicts"] == {"1.0.0": "ambiguous"}
    service.faults = None
    assert state_of(client, "1.0.0") == ("Archived", action.versions[0].prior_revision)


def test_an_apply_interrupted_after_a_lost_answer_reads_nothing_and_says_it_is_ambiguous(
    service: LocalCodeArtifact, client: Any, journal_path: Path
) -> None:
    stop = threading.Event()
    service.faults = LosesReply("UpdatePackageVersionsStatus", meanwhile=stop.set)  # Ctrl-C meanwhile
    executor = BotoExecutor(client, journal=Journal(journal_path), stop=stop, sleep=lambda seconds: None)
    result = executor.execute(with_revisions(client, update("1.0.0")))
    executor.journal.close()

    assert result.error is not None
    assert result.error[0] == "Interrupted"
    assert "ambiguous" in result.error[1]
    assert executor.calls == {"UpdatePackageVersionsStatus": 1}
    records = read_journal(journal_path)
    assert events(records) == ["send", "error", "verify"]
    assert records[-1]["verdicts"] == {"1.0.0": "ambiguous"}


def test_a_write_whose_answer_was_lost_and_whose_retries_all_fail_is_settled_by_reading_it_again(
    service: LocalCodeArtifact, client: Any, recorder: Recorder, journal_path: Path
) -> None:
    class LostThenBroken(LosesReply):
        def before(self, operation: str, writes: bool) -> None:
            if writes and self.seen >= 1:
                raise InternalServerException("still broken")
            super().before(operation, writes)

    action = with_revisions(client, update("1.0.0"))
    service.faults = LostThenBroken("UpdatePackageVersionsStatus")
    executor = executor_for(client, recorder, journal_path, max_retries=2)
    result = executor.execute(action)

    assert result.error is None
    assert result.successful == {}
    assert list(result.found) == ["1.0.0"] and result.found["1.0.0"][0] == "Archived"
    assert state_of(client, "1.0.0") == ("Archived", action.versions[0].prior_revision)


def test_a_version_moved_to_another_status_is_not_mistaken_for_an_earlier_try(
    client: Any, recorder: Recorder, journal_path: Path
) -> None:
    action = with_revisions(client, update("1.0.0", after=Status.ARCHIVED))
    client.update_package_versions_status(
        domain="acme",
        repository="prod",
        format="npm",
        package="app",
        versions=["1.0.0"],
        targetStatus="Unlisted",
    )
    executor = executor_for(DropsFirstAnswer(client), recorder, journal_path)
    result = executor.execute(action)

    assert result.successful == {}
    assert result.failed["1.0.0"][0] == "MISMATCHED_STATUS"


def test_the_client_apply_makes_for_the_executor_never_retries_on_its_own(tmp_path: Path) -> None:
    with LocalCodeArtifact(tmp_path / "empty.db"):
        pass
    connection = connect(Backend(local_db=str(tmp_path / "empty.db"), max_attempts=1))
    try:
        assert connection.client.meta.config.retries["total_max_attempts"] == 1
    finally:
        connection.close()


class RecordedEvent(threading.Event):
    """An event that records each wait on it: how long it was asked to wait, and whether it was set."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[tuple[float | None, bool]] = []

    def wait(self, timeout: float | None = None) -> bool:
        woken = super().wait(0)  # never blocks: the test sets it before the wait, or not at all
        self.waits.append((timeout, woken))
        return woken


def test_an_interrupted_apply_stops_waiting_to_retry_and_sends_no_retry(
    client: Any, faults: ScriptedFaults, journal_path: Path
) -> None:
    stop = RecordedEvent()

    class InterruptedInFlight(ThrottlingException):
        def __init__(self) -> None:
            super().__init__("Rate exceeded", retry_after_seconds=30)
            stop.set()  # Ctrl-C while the call is in flight

    faults.errors = [InterruptedInFlight()]
    executor = BotoExecutor(client, journal=Journal(journal_path), stop=stop)
    result = executor.execute(with_revisions(client, update("1.0.0")))

    # The wait to retry (30 s, as the service asked) is a wait on the stop event, which ends it.
    assert stop.waits == [(30.0, True)]
    assert result.error == ("Interrupted", "Rate exceeded (not retried: the apply was interrupted)")
    assert executor.calls == {"UpdatePackageVersionsStatus": 1}
    assert status_of(client, "1.0.0") == "Published"
