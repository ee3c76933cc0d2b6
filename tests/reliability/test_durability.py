"""The durability suite: a short run of real kills, and proof that its checks catch what they name.

The long run is `python -m tests.reliability durability --trials 100 --seed 1` (docs/reliability.md).
"""

from __future__ import annotations

import random
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.local import LocalCodeArtifact, attach
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT
from reconciler.local.store import Store
from tests.reliability import durability
from tests.reliability.durable_writes import STAGE, Version, Write, Writer
from tests.reliability.tally import Tally

SHORT_RUN = 3  # kills: about 15 s


def test_a_short_run_of_kills_loses_no_acknowledged_write(capsys: pytest.CaptureFixture[str]) -> None:
    tally = Tally("durability", 7)

    figures = durability.run(SHORT_RUN, 7, tally)

    assert tally.violations == 0, tally.summary()
    assert figures.kills == SHORT_RUN
    assert figures.acknowledged > 0  # the trials wrote before they killed
    assert not figures.rejected  # and every write was one the service could carry out
    checked = {name: invariant.trials for name, invariant in tally.invariants.items()}
    # Trials 0 and 2 share a file: the second checks what the first left.
    assert checked == {
        "integrity ok": SHORT_RUN,
        "restarts": SHORT_RUN,
        "acknowledged writes present": SHORT_RUN,
        "no partial write": SHORT_RUN,
        "earlier trials intact": 1,
    }
    assert f"{SHORT_RUN} kills" in capsys.readouterr().out


def test_the_store_keeps_a_commit_through_a_killed_process(tmp_path: Path) -> None:
    """What makes an acknowledged write survive kill -9: WAL, and a commit that writes the WAL
    before it returns (synchronous NORMAL or FULL; OFF would leave it to the process's exit)."""
    store = Store(tmp_path / "codeartifact.db")
    try:
        conn = store.connection()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] >= 1  # 1 NORMAL, 2 FULL, 3 EXTRA
    finally:
        store.close()


# --- the checks catch a lost write and a partial one ----------------------------------------------


@pytest.fixture
def written(tmp_path: Path, boto_session: boto3.session.Session) -> Iterator[tuple[Path, Writer, Any]]:
    """A writer's acknowledged writes against an in-process service, and a client to read them."""
    db = tmp_path / "codeartifact.db"
    with LocalCodeArtifact(db) as service:
        client = attach(boto_session.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service)
        durability._setup(client)
        writer = Writer("t0w0", client, random.Random(3))
        writer.run(40, threading.Event())
        assert writer.error is None
        assert writer.acknowledged == 40 and not writer.rejected
        yield db, writer, client


def _check(writer: Writer, client: Any) -> Tally:
    tally = Tally("durability", 0)
    durability._check_writers(
        [writer], durability.Reader(client), "seed 0, trial 0", tally, durability.Figures()
    )
    return tally


def _present_versions(writer: Writer, repository: str) -> list[tuple[str, ...]]:
    return sorted(
        key
        for key, state in writer.state.items()
        if key[0] == "version" and key[1] == repository and isinstance(state, Version)
    )


def test_every_acknowledged_write_reads_back(written: tuple[Path, Writer, Any]) -> None:
    _, writer, client = written

    tally = _check(writer, client)

    assert tally.violations == 0, tally.summary()


def test_a_lost_acknowledged_write_is_a_violation(written: tuple[Path, Writer, Any]) -> None:
    db, writer, client = written
    _, _, package, version = _present_versions(writer, STAGE)[0]
    with sqlite3.connect(db) as conn:  # what a store that lost a commit would hold
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("DELETE FROM asset")
        conn.execute(
            "DELETE FROM package_version WHERE version = ? AND package_id IN "
            "(SELECT p.id FROM package p JOIN repository r ON r.id = p.repository_id "
            "WHERE r.name = ? AND p.name = ?)",
            (version, STAGE, package),
        )

    tally = _check(writer, client)

    assert tally.invariants["acknowledged writes present"].violations == 1
    assert "seed 0, trial 0" in tally.invariants["acknowledged writes present"].examples[0]


def test_a_batch_applied_to_some_of_its_versions_is_a_partial_write(
    written: tuple[Path, Writer, Any],
) -> None:
    _, writer, client = written
    first, second = [
        key for key in _present_versions(writer, STAGE) if writer.state[key].status != "Archived"
    ][:2]
    client.update_package_versions_status(
        domain="durable",
        repository=STAGE,
        format="generic",
        namespace="dur",
        package=first[2],
        versions=[first[3]],
        targetStatus="Archived",
    )
    # The batch in flight at the kill named both versions; the service holds it on one only.
    before = {key: writer.state.pop(key) for key in (first, second)}
    writer.in_flight = Write(
        "UpdatePackageVersionsStatus",
        before,
        {key: Version("Archived", state.revision, state.assets) for key, state in before.items()},
    )

    tally = _check(writer, client)

    assert tally.invariants["no partial write"].violations == 1
    assert tally.invariants["acknowledged writes present"].violations == 0


def test_an_answered_publish_that_is_not_there_is_a_lost_write(written: tuple[Path, Writer, Any]) -> None:
    _, writer, client = written
    key = ("version", STAGE, writer.package, "9.9.9")
    writer.in_flight = Write(
        "PublishPackageVersion", {key: None}, {key: Version("Published", "*", frozenset({("a", "b")}))}
    )
    writer.in_flight.answered = True  # a 2xx arrived, its body cut short

    tally = _check(writer, client)

    assert tally.invariants["acknowledged writes present"].violations == 1


def test_the_seeded_mix_reaches_every_kind_of_write(
    tmp_path: Path, boto_session: boto3.session.Session
) -> None:
    with LocalCodeArtifact(tmp_path / "codeartifact.db") as service:
        client = attach(boto_session.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service)
        durability._setup(client)
        writer = Writer("t0w0", client, random.Random(5))
        writer.run(150, threading.Event())
    assert writer.error is None

    assert not writer.rejected
    assert set(writer.operations) == {
        "PublishPackageVersion",
        "UpdatePackageVersionsStatus",
        "CopyPackageVersions",
        "DisposePackageVersions",
        "DeletePackageVersions",
        "TagResource",
        "PutPackageOriginConfiguration",
        "CreateRepository",
        "AssociateExternalConnection",
    }
