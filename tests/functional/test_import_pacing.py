"""`reconciler import` over HTTP reads as plan does: paced by the connection's adaptive limiter at
AWS's quotas (set low here so that a small repository meets them), with as many reads in flight as
the limiter's window allows when `--concurrency` is not given, and at most N when it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.aws.client import Backend, Connection
from reconciler.cli import cli
from reconciler.local import BackgroundServer, Faults, LocalCodeArtifact
from reconciler.workflows import importing
from tests.functional.pacing import DAY, PACKAGES, VERSIONS, local_aws_environment, seed_store


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return seed_store(tmp_path / "import.db", DAY)


@pytest.fixture(autouse=True)
def _aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local_aws_environment(tmp_path, monkeypatch)


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Connection]:
    """The connections import makes, kept to look at their limiter afterwards."""
    made: list[Connection] = []
    connect = importing.connect

    def keep(backend: Backend) -> Connection:
        made.append(connect(backend))
        return made[-1]

    monkeypatch.setattr(importing, "connect", keep)
    return made


def import_over_http(db: Path, out: Path, log: Path, faults: Faults | None, *options: str) -> str:
    with LocalCodeArtifact(db, faults=faults) as service, BackgroundServer(service) as server:
        result = CliRunner().invoke(
            cli,
            [
                "import",
                "--domain",
                "quota",
                "--repository",
                "store",
                "-o",
                str(out),
                "--endpoint-url",
                server.endpoint_url,
                "--log-requests",
                str(log),
                *options,
            ],
        )
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def logged(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_an_import_at_low_quotas_meets_no_throttle_error_and_writes_the_manifest_made_without_quotas(
    tmp_path: Path, db: Path, connections: list[Connection]
) -> None:
    # Far below AWS's defaults, which the client paces at: the service throttles the first burst,
    # and the client must slow down to these rates, not give up.
    low = Faults(quotas=True, rates=(("ListPackageVersions", 20.0), ("account_reads", 100.0)))

    free = import_over_http(db, tmp_path / "free.yaml", tmp_path / "free.jsonl", None)
    limited = import_over_http(db, tmp_path / "limited.yaml", tmp_path / "limited.jsonl", low)

    assert limited == free
    assert free.count('"1.0.') == PACKAGES * VERSIONS
    calls = logged(tmp_path / "limited.jsonl")
    assert [call for call in calls if call["error"] is not None] == []
    assert sum(1 for call in calls if call["operation"] == "ListPackageVersions") == PACKAGES
    # The service did throttle and botocore's retries absorbed every throttle; the import's reads
    # went through the limiter, which was told of each throttle (and so slowed down).
    retried = sum(call["attempts"] - 1 for call in calls)
    assert retried > 0
    limiter = connections[-1].limiter
    assert limiter is not None
    assert limiter.throttled == retried
    assert limiter.attempts == sum(call["attempts"] for call in calls)


# Long enough that every package's read is sent before the first is answered, on a loaded machine.
SLOW = Faults(latency=(0.3, 0.3))


def test_an_import_without_concurrency_keeps_more_reads_in_flight_than_the_old_fixed_eight(
    tmp_path: Path, db: Path, connections: list[Connection]
) -> None:
    import_over_http(db, tmp_path / "out.yaml", tmp_path / "log.jsonl", SLOW)

    (connection,) = connections
    assert connection.limiter is not None
    # 40 packages at 200 ListPackageVersions/s go out within 0.2 s, before the first answer.
    assert connection.limiter.peak_in_flight > 8


def test_an_import_with_concurrency_keeps_at_most_that_many_reads_in_flight(
    tmp_path: Path, db: Path, connections: list[Connection]
) -> None:
    # Enough latency that reads overlap, unless something holds them to three.
    some = Faults(latency=(0.05, 0.05))
    text = import_over_http(db, tmp_path / "out.yaml", tmp_path / "log.jsonl", some, "--concurrency", "3")

    (connection,) = connections
    assert connection.limiter is not None
    assert 1 <= connection.limiter.peak_in_flight <= 3
    assert text.count('"1.0.') == PACKAGES * VERSIONS
