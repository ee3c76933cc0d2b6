"""One database file shared by threads and processes: guarded writes stay atomic, and listings
use the indexes."""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from reconciler.local import BackgroundServer, LocalCodeArtifact, local_client
from tests.local.builders import seed
from tests.local.serving import boto3_client

VERSIONS = [f"1.{minor}.0" for minor in range(10)]
PACKAGE = {
    "domain": "acme",
    "repository": "staging",
    "format": "generic",
    "namespace": "tools",
    "package": "cli",
}
WORKERS = 6
PROCESSES = 4
BARRIER_TIMEOUT = 60.0

Outcome = tuple[str, str]  # (version, "won" or the failure's error code or the exception)


def _seed(db: Path) -> None:
    packages = [
        {"format": "generic", "namespace": "tools", "name": "cli", "versions": VERSIONS},
        *(
            {
                "format": "generic",
                "namespace": "tools",
                "name": f"other-{n}",
                "versions": [f"0.{v}.0" for v in range(20)],
            }
            for n in range(5)
        ),
    ]
    with LocalCodeArtifact(db) as service:
        seed(service, [{"name": "staging", "packages": packages}], "acme")


def _archive_each(client: Any, order_seed: int) -> list[Outcome]:
    """Archive every version, one call each, in an order of this worker's own, expecting Published."""
    versions = list(VERSIONS)
    random.Random(order_seed).shuffle(versions)
    outcomes: list[Outcome] = []
    for version in versions:
        try:
            response = client.update_package_versions_status(
                **PACKAGE, versions=[version], expectedStatus="Published", targetStatus="Archived"
            )
        except Exception as error:
            outcomes.append((version, f"{type(error).__name__}: {error}"))
            continue
        if version in response["successfulVersions"]:
            outcomes.append((version, "won"))
        else:
            outcomes.append((version, response["failedVersions"][version]["errorCode"]))
    return outcomes


# In each pool process: the barrier all of them meet at (given when the process starts, the only
# way a barrier can be shared with spawned processes).
_barrier: Any = None


def _join_pool(barrier: Any) -> None:
    global _barrier  # noqa: PLW0603 - per-process state handed over by the pool initializer
    _barrier = barrier


def _archive_in_process(db: str, order_seed: int) -> list[Outcome]:
    """In a pool process: its own service on the shared file, racing the other processes.

    While a process waits at the barrier it cannot take another task, so with as many tasks as
    processes each process runs exactly one."""
    try:
        with LocalCodeArtifact(db) as service:
            client = local_client(service)
            _barrier.wait(BARRIER_TIMEOUT)
            return _archive_each(client, order_seed)
    except Exception as error:
        return [("*", f"{type(error).__name__}: {error}")]


def _open_fresh_files(paths: list[str]) -> list[str]:
    """In a pool process: opens each new database file at the same moment as the other processes."""
    failures: list[str] = []
    for path in paths:
        _barrier.wait(BARRIER_TIMEOUT)
        try:
            with LocalCodeArtifact(path) as service, service.store.read() as conn:
                conn.execute("SELECT COUNT(*) FROM domain").fetchone()
        except Exception as error:
            failures.append(f"{path}: {type(error).__name__}: {error}")
    return failures


@pytest.fixture(scope="module")
def processes() -> Iterator[Any]:
    """Spawned processes (no state inherited from this one), shared by the tests: spawning is slow."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES, initializer=_join_pool, initargs=(context.Barrier(PROCESSES),)) as pool:
        yield pool


def _assert_one_winner_per_version(outcomes: list[Outcome], contenders: int) -> None:
    assert len(outcomes) == contenders * len(VERSIONS)
    unexpected = [outcome for outcome in outcomes if outcome[1] not in ("won", "MISMATCHED_STATUS")]
    assert unexpected == []
    wins = Counter(version for version, result in outcomes if result == "won")
    assert wins == dict.fromkeys(VERSIONS, 1)


def _statuses(db: Path) -> dict[str, str]:
    with LocalCodeArtifact(db) as service:
        listed = local_client(service).list_package_versions(**PACKAGE)
    return {v["version"]: v["status"] for v in listed["versions"]}


@pytest.mark.parametrize("transport", ["in-process", pytest.param("http", marks=pytest.mark.http)])
def test_threads_racing_the_same_guarded_update_have_exactly_one_winner_per_version(
    tmp_path: Path, transport: str
) -> None:
    db = tmp_path / "shared.db"
    _seed(db)
    barrier = threading.Barrier(WORKERS)
    with LocalCodeArtifact(db) as service, BackgroundServer(service) as server:

        def worker(order_seed: int) -> list[Outcome]:
            client = local_client(service) if transport == "in-process" else boto3_client(server.endpoint_url)
            barrier.wait(BARRIER_TIMEOUT)
            return _archive_each(client, order_seed)

        with ThreadPoolExecutor(WORKERS) as pool:
            outcomes = [outcome for part in pool.map(worker, range(WORKERS)) for outcome in part]

    _assert_one_winner_per_version(outcomes, WORKERS)
    assert _statuses(db) == dict.fromkeys(VERSIONS, "Archived")


def test_an_update_racing_one_paused_between_its_check_and_its_write_waits_and_then_mismatches(
    tmp_path: Path,
) -> None:
    db = tmp_path / "shared.db"
    _seed(db)
    checking, other_done = threading.Event(), threading.Event()
    outcomes: dict[str, str] = {}

    def pause_at_the_check(statement: str) -> None:
        if "FROM package_version" in statement and not checking.is_set():
            checking.set()
            other_done.wait(0.5)  # long enough for the other update to run, were it not locked out

    def update(name: str, target: str, service: LocalCodeArtifact, pause: bool = False) -> None:
        if pause:
            service.store.connection().set_trace_callback(pause_at_the_check)
        response = local_client(service).update_package_versions_status(
            **PACKAGE, versions=["1.0.0"], expectedStatus="Published", targetStatus=target
        )
        failed = response["failedVersions"].get("1.0.0")
        outcomes[name] = failed["errorCode"] if failed else "won"

    def run(name: str, target: str, service: LocalCodeArtifact, pause: bool = False) -> None:
        try:
            update(name, target, service, pause)
        except Exception as error:
            outcomes[name] = f"{type(error).__name__}: {error}"
        finally:
            if not pause:
                other_done.set()

    with LocalCodeArtifact(db) as service:
        first = threading.Thread(target=run, args=("first", "Archived", service, True))
        first.start()
        assert checking.wait(10)
        second = threading.Thread(target=run, args=("second", "Unlisted", service))
        second.start()
        first.join(30)
        second.join(30)

    assert outcomes == {"first": "won", "second": "MISMATCHED_STATUS"}
    assert _statuses(db)["1.0.0"] == "Archived"


def test_processes_racing_the_same_guarded_update_have_exactly_one_winner_per_version(
    tmp_path: Path, processes: Any
) -> None:
    db = tmp_path / "shared.db"
    _seed(db)

    parts = processes.starmap(_archive_in_process, [(str(db), n) for n in range(PROCESSES)], chunksize=1)
    outcomes = [outcome for part in parts for outcome in part]

    _assert_one_winner_per_version(outcomes, PROCESSES)
    assert _statuses(db) == dict.fromkeys(VERSIONS, "Archived")


def test_processes_opening_the_same_new_database_file_at_once_all_succeed(
    tmp_path: Path, processes: Any
) -> None:
    paths = [str(tmp_path / f"fresh-{n}.db") for n in range(40)]

    parts = processes.map(_open_fresh_files, [paths] * PROCESSES, chunksize=1)

    assert [failure for part in parts for failure in part] == []


def test_opening_a_new_database_file_another_connection_has_locked_waits_for_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the file is still in rollback-journal mode: no switch to WAL now
    opened: list[str] = []

    def open_service() -> None:
        try:
            with LocalCodeArtifact(db) as service, service.store.read() as conn:
                opened.append(conn.execute("PRAGMA journal_mode").fetchone()[0])
        except Exception as error:
            opened.append(f"{type(error).__name__}: {error}")

    opener = threading.Thread(target=open_service)
    opener.start()
    time.sleep(0.2)
    waited = not opened
    holder.execute("COMMIT")
    holder.close()
    opener.join(30)

    assert waited
    assert opened == ["wal"]


# --- query plans ----------------------------------------------------------------------------------


def _plans(service: LocalCodeArtifact, call: Callable[[], object]) -> dict[str, list[str]]:
    """The query plan of every SELECT that `call` runs on this thread's connection."""
    conn = service.store.connection()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        call()
    finally:
        conn.set_trace_callback(None)
    selects = [statement for statement in statements if statement.lstrip().upper().startswith("SELECT")]
    assert selects, "the call ran no queries on this thread's connection"
    return {
        statement: [row["detail"] for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}")]
        for statement in selects
    }


@pytest.mark.parametrize("sort_by", [None, "PUBLISHED_TIME"], ids=["default-order", "published-time"])
@pytest.mark.parametrize("page", ["first", "next"])
def test_listing_one_packages_versions_searches_an_index_and_never_scans(
    tmp_path: Path, sort_by: str | None, page: str
) -> None:
    db = tmp_path / "plans.db"
    _seed(db)
    with LocalCodeArtifact(db) as service:
        client = local_client(service)
        params: dict[str, Any] = {**PACKAGE, "maxResults": 3}
        if sort_by:
            params["sortBy"] = sort_by
        if page == "next":
            params["nextToken"] = client.list_package_versions(**params)["nextToken"]

        plans = _plans(service, lambda: client.list_package_versions(**params))

    on_versions = {statement: plan for statement, plan in plans.items() if "package_version" in statement}
    assert on_versions, "no query read package_version"
    for statement, plan in plans.items():
        # A page is joined from a subquery of at most one page and one row: scanning that is no scan.
        scans = [step for step in plan if step.startswith("SCAN") and not step.startswith("SCAN (subquery")]
        assert not scans, (statement, plan)
        assert not any("TEMP B-TREE" in step for step in plan), (statement, plan)
    for statement, plan in on_versions.items():
        assert any(step.startswith("SEARCH package_version USING") and "INDEX" in step for step in plan), (
            statement,
            plan,
        )


def test_a_database_file_is_in_wal_mode(tmp_path: Path) -> None:
    db = tmp_path / "wal.db"
    with LocalCodeArtifact(db):
        with sqlite3.connect(db) as conn:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        conn.close()

    assert mode == "wal"


@pytest.mark.http
def test_the_http_server_closes_a_client_connections_database_connection_when_it_ends(tmp_path: Path) -> None:
    with LocalCodeArtifact(tmp_path / "served.db") as service, BackgroundServer(service) as server:
        for _ in range(5):
            client = boto3_client(server.endpoint_url)
            client.list_domains()
            client._endpoint.http_session.close()
        deadline = time.monotonic() + 10
        while service.store.open_connections > 1 and time.monotonic() < deadline:
            time.sleep(0.01)

        assert service.store.open_connections <= 1  # the one this thread opened to create the schema
