"""Reading packages in several processes (`aws.spread`) over HTTP: the same live state, plan and
calls as one process reads, the failures it would raise, and the reads kept whole when another
process cannot start."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.aws import reads
from reconciler.aws.client import Backend, Recipe, connect
from reconciler.aws.spread import Spread
from reconciler.cli import cli
from reconciler.codeartifact import Format
from reconciler.errors import AwsError
from reconciler.local import BackgroundServer, LocalCodeArtifact
from reconciler.local.faults import Faults
from reconciler.state import ReadSpec
from tests.bench_plan import DOMAIN, RANKED, REPOSITORY, package_name, seed
from tests.functional.test_apply import aws_env

__all__ = ["aws_env"]  # a fixture used by the tests below

PACKAGES = 240  # enough for two other processes (100 packages a process at least)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("spread") / "spread.db"
    seed(db, PACKAGES, 3, time.time())
    return db


@pytest.fixture
def endpoint(seeded: Path, aws_env: None) -> Iterator[str]:
    with LocalCodeArtifact(seeded) as service, BackgroundServer(service) as server:
        yield server.endpoint_url


def _specs(count: int = PACKAGES) -> list[ReadSpec]:
    repository = RepositoryRef(DOMAIN, REPOSITORY)
    return [ReadSpec(PackageRef(repository, Format.NPM, None, package_name(p))) for p in range(count)]


def _slowed(client: Any, seconds: float) -> None:
    """Every call of `client` (this process's only: another process makes its own) waits first."""
    client.meta.events.register("before-send.codeartifact", lambda **_: time.sleep(seconds))


def test_two_processes_read_what_one_reads(endpoint: str) -> None:
    """Every package's state, in spec order, and every call told to this process's log, whichever
    process read it; the other process really read some (this one is slowed to leave it work)."""
    connection = connect(Backend(endpoint_url=endpoint, region="us-east-1", processes=1))
    try:
        alone = [reads.read_package(connection.client, spec) for spec in _specs()]
        before = Counter(connection.log.calls)
        told: list[str] = []
        connection.log.listen(lambda observed: told.append(observed.about["package"]))
        _slowed(connection.client, 0.1)
        spread = Spread(connection, concurrency=2)  # a read at a time each
        together = spread.read(connection.client, _specs())
    finally:
        connection.close()
    assert spread.elsewhere > 0
    assert together == alone
    assert [state.ref.package for state, _ in together if state] == [package_name(p) for p in range(PACKAGES)]
    assert sorted(told) == sorted(package_name(p) for p in range(PACKAGES))
    assert Counter(connection.log.calls) - before == Counter({"ListPackageVersions": PACKAGES})
    assert connection.limiter is not None and connection.limiter.share == 1.0  # given back


def test_a_failure_elsewhere_is_raised_as_here(endpoint: str) -> None:
    """A package of a repository that does not exist: the same AWS error as one process raises."""
    specs = _specs()
    missing = RepositoryRef(DOMAIN, "no-such-repository")
    specs[PACKAGES - 1] = ReadSpec(PackageRef(missing, Format.NPM, None, "gone"))
    connection = connect(Backend(endpoint_url=endpoint, region="us-east-1", processes=1))
    try:
        with pytest.raises(AwsError) as here:
            [reads.read_package(connection.client, spec) for spec in specs]
        _slowed(connection.client, 0.1)
        with pytest.raises(AwsError) as spread:
            Spread(connection, concurrency=2).read(connection.client, specs)
    finally:
        connection.close()
    assert (spread.value.code, str(spread.value)) == (here.value.code, str(here.value))
    assert spread.value.code == "ResourceNotFoundException"


def test_another_process_that_cannot_start_leaves_the_reads_here(endpoint: str) -> None:
    """A recipe another process cannot make a client from (no such Region spelling): this process
    reads every package itself, with the same result."""
    connection = connect(Backend(endpoint_url=endpoint, region="us-east-1", processes=1))
    try:
        expected = [reads.read_package(connection.client, spec) for spec in _specs()]
        connection.recipe = lambda: Recipe(endpoint, "not a Region!", "testing", "testing", None, 1)
        spread = Spread(connection, concurrency=None)
        assert spread.read(connection.client, _specs()) == expected
    finally:
        connection.close()
    assert spread.elsewhere == 0


def test_the_reading_processes_are_the_runs_shared_by_its_regions(endpoint: str) -> None:
    """Regions read at once: each Region's `Spread` takes its part of the processes, so that two
    Regions on a machine of N start N other processes in all, not 2N."""
    connection = connect(Backend(endpoint_url=endpoint, region="us-east-1", processes=4))
    try:
        assert Spread(connection, concurrency=None)._plan(10_000)[0] == 4
        assert Spread(connection, concurrency=None, regions=2)._plan(10_000)[0] == 2
        assert Spread(connection, concurrency=None, regions=8)._plan(10_000)[0] == 0
    finally:
        connection.close()


def test_few_packages_or_the_embedded_service_stay_in_one_process(seeded: Path, endpoint: str) -> None:
    """Below 100 packages another process, and on the embedded service (its database is this
    process's), no other process starts: the recipe is never asked for."""
    asked: list[int] = []
    connection = connect(Backend(endpoint_url=endpoint, region="us-east-1", processes=4))
    try:
        recipe = connection.recipe
        assert recipe is not None
        connection.recipe = lambda: asked.append(1) or recipe()
        Spread(connection, concurrency=None).read(connection.client, _specs(99))
    finally:
        connection.close()
    assert asked == []
    local = connect(Backend(local_db=str(seeded), processes=4))
    try:
        assert local.recipe is None
        spread = Spread(local, concurrency=None)
        assert len(spread.read(local.client, _specs())) == PACKAGES
    finally:
        local.close()
    assert spread.elsewhere == 0


def _plan(tmp_path: Path, endpoint: str, name: str, *options: str) -> tuple[dict[str, Any], list[str]]:
    manifest = tmp_path / "ranked.yaml"
    manifest.write_text(RANKED.format(domain=DOMAIN, repository=REPOSITORY), encoding="utf-8")
    plan, log = tmp_path / f"{name}.json", tmp_path / f"{name}.jsonl"
    result = CliRunner().invoke(
        cli,
        [
            "plan",
            str(manifest),
            "-o",
            str(plan),
            "--endpoint-url",
            endpoint,
            "--log-requests",
            str(log),
            *options,
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(plan.read_text(encoding="utf-8"))
    for moment in ("created_at", "evaluated_at"):
        document.pop(moment)
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    for record in calls:
        record.pop("time")
    return document, sorted(json.dumps(record, sort_keys=True) for record in calls)


def test_the_plan_of_several_processes_is_the_plan_of_one(tmp_path: Path, endpoint: str) -> None:
    """`plan --read-processes 1` over HTTP: the same plan (but for when it was made) and the same
    calls, line for line in the request log (but for when each was made), as `--read-processes 0`."""
    one = _plan(tmp_path, endpoint, "one", "--read-processes", "0")
    two = _plan(tmp_path, endpoint, "two", "--read-processes", "1")
    assert two == one
    assert one[0]["api_calls"]["ListPackageVersions"] == PACKAGES


@pytest.mark.parametrize("value", ["-1", "17", "many"])
def test_processes_out_of_range_is_a_usage_error(tmp_path: Path, value: str) -> None:
    manifest = tmp_path / "ranked.yaml"
    manifest.write_text(RANKED.format(domain=DOMAIN, repository=REPOSITORY), encoding="utf-8")
    result = CliRunner().invoke(cli, ["plan", str(manifest), "--read-processes", value])
    assert result.exit_code == 1
    assert "--read-processes" in result.output


def test_throttles_elsewhere_are_retried_and_counted(
    seeded: Path, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service throttles a share of requests: both processes' botocore retries absorb them, and
    every attempt is counted in this process's log."""
    monkeypatch.setenv("RECONCILER_RETRY_DELAY_SCALE", "0.01")  # another process inherits it
    faults = Faults(throttle_rate=0.03, seed=7)
    with LocalCodeArtifact(seeded, faults=faults) as service, BackgroundServer(service) as server:
        connection = connect(Backend(endpoint_url=server.endpoint_url, region="us-east-1", processes=1))
        try:
            _slowed(connection.client, 0.1)
            spread = Spread(connection, concurrency=2)
            together = spread.read(connection.client, _specs())
        finally:
            connection.close()
    assert spread.elsewhere > 0
    assert len(together) == PACKAGES and all(state is not None for state, _ in together)
    attempts = connection.log.calls["ListPackageVersions"]
    assert attempts == sum(calls["ListPackageVersions"] for _, calls in together) > PACKAGES


def test_a_process_that_ends_early_leaves_its_packages_here(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other process is killed as soon as it is ready: every package it was sent is read here."""
    from reconciler.aws import spread as module

    started = module._Child.wait_ready

    def killed_once_ready(child: Any) -> bool:
        ready = started(child)
        child.process.kill()
        child.process.join()
        return ready

    monkeypatch.setattr(module._Child, "wait_ready", killed_once_ready)
    connection = connect(Backend(endpoint_url=endpoint, region="us-east-1", processes=1))
    try:
        expected = [reads.read_package(connection.client, spec) for spec in _specs()]
        spread = Spread(connection, concurrency=2)
        assert spread.read(connection.client, _specs()) == expected
    finally:
        connection.close()
    assert spread.elsewhere == 0


def test_no_process_to_be_had_leaves_the_reads_here(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting another process fails (EAGAIN, too many open files): the one started before it and
    this process read every package, with the same result, and nothing is left running."""
    from reconciler.aws import spread as module

    start = module._Child.start
    started: list[Any] = []

    def second_fails(*args: Any) -> Any:
        if started:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        started.append(start(*args))
        return started[0]

    monkeypatch.setattr(module._Child, "start", second_fails)
    connection = connect(Backend(endpoint_url=endpoint, region="us-east-1", processes=2))
    try:
        expected = [reads.read_package(connection.client, spec) for spec in _specs()]
        assert Spread(connection, concurrency=None).read(connection.client, _specs()) == expected
    finally:
        connection.close()
    assert len(started) == 1 and not started[0].process.is_alive()


def test_a_bug_taking_another_processs_answers_is_raised_not_lost(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.aws import spread as module

    def broken(*_: Any) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(module._SpreadRead, "_answer", broken)
    connection = connect(Backend(endpoint_url=endpoint, region="us-east-1", processes=1))
    try:
        _slowed(connection.client, 0.1)  # leaves the other process packages to answer
        with pytest.raises(KeyError, match="a bug"):
            Spread(connection, concurrency=2).read(connection.client, _specs())
    finally:
        connection.close()


def test_import_in_several_processes_writes_what_one_process_writes(tmp_path: Path, endpoint: str) -> None:
    """`import --read-processes 1` over HTTP: the same manifest, byte for byte, as `--read-processes 0`."""
    written = {}
    for processes in ("0", "1"):
        out = tmp_path / f"imported-{processes}.yaml"
        result = CliRunner().invoke(
            cli,
            [
                *("import", "--domain", DOMAIN, "--repository", REPOSITORY, "-o", str(out)),
                *("--endpoint-url", endpoint, "--read-processes", processes),
            ],
        )
        assert result.exit_code == 0, result.output
        written[processes] = out.read_bytes()
    assert written["1"] == written["0"]
    assert written["0"].count(b"pkg-") >= PACKAGES


def test_reading_in_order_holds_a_few_packages_and_stops_when_closed(endpoint: str) -> None:
    """`read_in_order` in two processes: packages in spec order, never more than `ahead` read beyond
    the one given, and closing it early stops the other process and gives the quotas back."""
    connection = connect(Backend(endpoint_url=endpoint, region="us-east-1", processes=1))
    started: list[str] = []
    given = 0
    beyond: list[int] = []
    connection.log.listen(lambda observed: started.append(observed.about["package"]))
    try:
        _slowed(connection.client, 0.05)
        spread = Spread(connection, concurrency=4)
        reading = spread.read_in_order(connection.client, _specs(), ahead=6)
        for state, _ in reading:
            assert state is not None and state.ref.package == package_name(given)
            given += 1
            beyond.append(len(set(started)) - given)
            if given == 150:
                break
        reading.close()
    finally:
        connection.close()
    assert spread.elsewhere > 0
    assert max(beyond) <= 6
    assert len(set(started)) <= 150 + 6
    assert connection.limiter is not None and connection.limiter.share == 1.0


def test_other_processes_use_the_credentials_this_one_holds(
    tmp_path: Path, endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A profile whose credentials come from a command (as SSO and MFA helpers do): the command runs
    once, in this process; the other process, given the profile for its settings, never runs it."""
    marker = tmp_path / "resolved"
    helper = tmp_path / "credentials.sh"
    helper.write_text(
        f'#!/bin/sh\necho resolved >> "{marker}"\n'
        'echo \'{"Version": 1, "AccessKeyId": "testing", "SecretAccessKey": "testing"}\'\n',
        encoding="utf-8",
    )
    helper.chmod(0o755)
    config = tmp_path / "aws-config"
    config.write_text(f"[profile team]\ncredential_process = {helper}\n", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    connection = connect(Backend(endpoint_url=endpoint, region="us-east-1", profile="team", processes=1))
    try:
        _slowed(connection.client, 0.1)
        spread = Spread(connection, concurrency=2)
        assert len(spread.read(connection.client, _specs())) == PACKAGES
    finally:
        connection.close()
    assert spread.elsewhere > 0
    assert marker.read_text(encoding="utf-8").splitlines() == ["resolved"]


def test_a_reading_process_loads_neither_the_manifest_models_nor_pydantic() -> None:
    """What another process imports to read: the client and the states, not the manifests' models
    (a third of a second and a dozen megabytes a process)."""
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, reconciler.aws.spread; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "'reconciler.aws.spread'" in loaded
    assert "'reconciler.models'" not in loaded and "'pydantic'" not in loaded


def _prepared_and_marked() -> None:
    """The use case's settings for a reading process, then what they left, written where the test
    reads it (run in the other process)."""
    import gc
    import os

    from reconciler.workflows.gcpause import reading_process

    reading_process()
    Path(os.environ["SPREAD_MARK"]).write_text(
        f"{gc.get_threshold()[0]} {gc.get_freeze_count() > 0}", encoding="utf-8"
    )


def test_another_process_is_prepared_as_the_use_case_says(
    tmp_path: Path, endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its collector leaves alone what lives to the end and collects the young rarely."""
    mark = tmp_path / "mark"
    monkeypatch.setenv("SPREAD_MARK", str(mark))
    connection = connect(Backend(endpoint_url=endpoint, region="us-east-1", processes=1))
    try:
        _slowed(connection.client, 0.1)
        spread = Spread(connection, concurrency=2, prepare=_prepared_and_marked)
        assert len(spread.read(connection.client, _specs())) == PACKAGES
    finally:
        connection.close()
    assert spread.elsewhere > 0
    assert mark.read_text(encoding="utf-8") == "100000 True"
