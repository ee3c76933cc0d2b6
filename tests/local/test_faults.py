"""Fault injection: throttling, internal errors, dropped connections, latency and AWS's quotas,
in process (with a fake clock) and through `reconciler local serve`'s flags."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.local import Faults, LocalCodeArtifact, local_client
from reconciler.local.faults import (
    ACCOUNT_READ_QUOTA,
    ACCOUNT_WRITE_QUOTA,
    OPERATION_QUOTAS,
    DropConnection,
    FaultInjector,
)
from tests.local.builders import copy_versions, seed
from tests.local.builders import publish as publish_version
from tests.local.serving import NO_RETRIES, ServeProcess, boto3_client, running_servers

DOMAIN = "acme"
PACKAGE = {
    "domain": DOMAIN,
    "repository": "staging",
    "format": "generic",
    "namespace": "tools",
    "package": "cli",
}
CONTENT = b"payload"
ASSET = "cli.bin"


@dataclass
class FakeTime:
    """A monotonic clock that only moves when told to, or by the latency it is asked to sleep."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _seed(service: LocalCodeArtifact) -> None:
    seed(
        service,
        [
            {
                "name": "staging",
                "packages": [
                    {
                        "format": "generic",
                        "namespace": "tools",
                        "name": "cli",
                        "versions": [
                            {"version": version, "assets": [{"name": ASSET, "content": "seeded"}]}
                            for version in ("1.0.0", "2.0.0", "3.0.0")
                        ],
                    }
                ],
            },
            {"name": "prod"},
        ],
        DOMAIN,
    )


Make = Callable[..., Any]


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Make]:
    """Build a seeded service with the given faults and a boto3 client (no retries) wired to it."""
    services: list[LocalCodeArtifact] = []

    def build(faults: Faults, fake: FakeTime | None = None, db: str = "codeartifact.db") -> Any:
        path = tmp_path / db
        fresh = not path.exists()
        injector = FaultInjector(faults, clock=fake.clock, sleep=fake.sleep) if fake else faults
        service = LocalCodeArtifact(path, faults=injector)
        services.append(service)
        if fresh:
            _seed(service)
        return local_client(service, config=NO_RETRIES)

    yield build
    for service in services:
        service.close()


def snapshot(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read straight from the database file."""
    with closing(sqlite3.connect(db)) as conn:
        tables = [
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        return {
            table: [tuple(row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")]
            for table in tables
        }


def outcome(call: Callable[[], object]) -> str:
    """`ok`, the error code of a service error, or `dropped`."""
    try:
        call()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    except (ConnectionClosedError, EndpointConnectionError):
        return "dropped"
    return "ok"


def throttled(call: Callable[[], object]) -> dict[str, Any]:
    """The response of a call that must be throttled; checks what every throttling answer carries."""
    with pytest.raises(ClientError) as caught:
        call()
    response: dict[str, Any] = caught.value.response
    assert response["Error"]["Code"] == "ThrottlingException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    retry_after = response["ResponseMetadata"]["HTTPHeaders"]["retry-after"]
    assert retry_after.isdigit()
    assert int(retry_after) >= 1
    assert response["retryAfterSeconds"] == int(retry_after)
    return response


def copy(client: Any) -> Any:
    return copy_versions(client, "staging", "prod", ["1.0.0"])


def publish(client: Any, version: str = "9.0.0") -> Any:
    return publish_version(client, version, CONTENT, asset=ASSET)


def update(client: Any, version: str = "1.0.0") -> Any:
    return client.update_package_versions_status(
        **PACKAGE, versions=[version], targetStatus="Archived", expectedStatus="Published"
    )


# --- in process -------------------------------------------------------------------------------


def test_throttle_rate_answers_429_throttling_exception_with_a_retry_after_header(make: Make) -> None:
    client = make(Faults(throttle_rate=1.0))

    throttled(client.list_domains)


def test_error_rate_answers_500_internal_server_exception(make: Make) -> None:
    client = make(Faults(error_rate=1.0))

    with pytest.raises(ClientError) as caught:
        client.list_domains()

    assert caught.value.response["Error"]["Code"] == "InternalServerException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_drop_rate_closes_the_connection_in_process(make: Make) -> None:
    client = make(Faults(drop_rate=1.0))

    with pytest.raises(ConnectionClosedError):
        client.list_domains()


def test_no_faults_by_default_answers_every_request(make: Make) -> None:
    client = make(Faults())

    assert [outcome(client.list_domains) for _ in range(20)] == ["ok"] * 20


@pytest.mark.parametrize(
    "faults",
    [Faults(throttle_rate=1.0), Faults(error_rate=1.0), Faults(drop_rate=1.0), Faults(quotas=True)],
    ids=["throttled", "internal-error", "dropped", "over-quota"],
)
def test_a_faulted_request_never_changes_data(make: Make, tmp_path: Path, faults: Faults) -> None:
    fake = FakeTime()
    client = make(faults, fake)
    if faults.quotas:  # spend the account's write tokens for this second, without changing anything
        for _ in range(int(ACCOUNT_WRITE_QUOTA)):
            client.update_package_versions_status(
                **PACKAGE, versions=["1.0.0"], targetStatus="Archived", expectedStatus="Unlisted"
            )
    before = snapshot(tmp_path / "codeartifact.db")
    writes: list[Callable[[], object]] = [
        lambda: update(client),
        lambda: client.dispose_package_versions(**PACKAGE, versions=["2.0.0"]),
        lambda: client.delete_package_versions(**PACKAGE, versions=["3.0.0"]),
        lambda: copy(client),
        lambda: publish(client),
        lambda: client.create_domain(domain="other"),
        lambda: client.create_repository(domain=DOMAIN, repository="more"),
    ]

    results = [outcome(write) for write in writes]

    assert "ok" not in results
    assert snapshot(tmp_path / "codeartifact.db") == before


def test_fixed_latency_sleeps_that_long_before_every_request(make: Make) -> None:
    fake = FakeTime()
    client = make(Faults(latency=(0.25, 0.25)), fake)

    for _ in range(3):
        client.list_domains()

    assert fake.slept == [0.25, 0.25, 0.25]


def test_latency_range_draws_delays_within_it_the_same_way_for_the_same_seed(make: Make) -> None:
    first, second = FakeTime(), FakeTime()
    one = make(Faults(latency=(0.01, 0.05), seed=3), first, db="one.db")
    other = make(Faults(latency=(0.01, 0.05), seed=3), second, db="two.db")

    for _ in range(10):
        one.list_domains()
        other.list_domains()

    assert first.slept == second.slept
    assert all(0.01 <= delay <= 0.05 for delay in first.slept)
    assert len(set(first.slept)) == 10


def test_the_same_seed_injects_the_same_faults_into_the_same_requests(make: Make) -> None:
    faults = Faults(throttle_rate=0.25, error_rate=0.25, drop_rate=0.25, seed=42)
    one = make(faults, db="one.db")
    other = make(faults, db="two.db")

    first = [outcome(one.list_domains) for _ in range(40)]
    second = [outcome(other.list_domains) for _ in range(40)]

    assert first == second
    assert set(first) == {"ok", "ThrottlingException", "InternalServerException", "dropped"}


def test_each_rate_is_the_share_of_requests_that_meets_its_fault() -> None:
    injector = FaultInjector(Faults(throttle_rate=0.1, error_rate=0.2, drop_rate=0.3, seed=7))
    counts = {"ok": 0, "ThrottlingException": 0, "InternalServerException": 0, "dropped": 0}

    for _ in range(4000):
        try:
            injector.before("ListDomains", writes=False)
            counts["ok"] += 1
        except DropConnection:
            counts["dropped"] += 1
        except Exception as error:
            counts[type(error).__name__] += 1

    assert counts["ThrottlingException"] == pytest.approx(400, abs=100)
    assert counts["InternalServerException"] == pytest.approx(800, abs=100)
    assert counts["dropped"] == pytest.approx(1200, abs=100)
    assert counts["ok"] == pytest.approx(1600, abs=100)


@pytest.mark.parametrize(
    "settings",
    [
        {"throttle_rate": 1.5},
        {"error_rate": -0.1},
        {"throttle_rate": 0.5, "error_rate": 0.3, "drop_rate": 0.3},
        {"latency": (0.05, 0.01)},
        {"latency": (-0.01, 0.01)},
        {"latency": (0.0, float("inf"))},
    ],
)
def test_faults_reject_impossible_settings(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Faults(**settings)


# --- quotas, with a fake clock ------------------------------------------------------------------


def test_the_sixth_copy_within_a_second_is_throttled_and_one_after_a_fifth_of_a_second_passes(
    make: Make,
) -> None:
    fake = FakeTime()
    client = make(Faults(quotas=True), fake)

    for _ in range(5):
        copy(client)
    response = throttled(lambda: copy(client))
    fake.advance(0.19)
    throttled(lambda: copy(client))
    fake.advance(0.01)

    assert response["retryAfterSeconds"] == 1
    assert copy(client)["failedVersions"] == {}


def test_a_throttled_operation_leaves_other_operations_their_own_quota(make: Make) -> None:
    fake = FakeTime()
    client = make(Faults(quotas=True), fake)
    for _ in range(5):
        copy(client)
    throttled(lambda: copy(client))

    assert publish(client)["status"] == "Published"
    assert update(client)["successfulVersions"]["1.0.0"]["status"] == "Archived"


QUOTA_CALLS: dict[str, Callable[[Any], object]] = {
    "CopyPackageVersions": copy,
    "PublishPackageVersion": publish,
    "ListPackageVersions": lambda client: client.list_package_versions(**PACKAGE),
    "ListPackages": lambda client: client.list_packages(domain=DOMAIN, repository="staging"),
    "ListPackageVersionAssets": lambda client: client.list_package_version_assets(
        **PACKAGE, packageVersion="1.0.0"
    ),
    "GetPackageVersionAsset": lambda client: client.get_package_version_asset(
        **PACKAGE, packageVersion="1.0.0", asset=ASSET
    )["asset"].read(),
}


@pytest.mark.parametrize("operation", sorted(QUOTA_CALLS))
def test_an_operation_with_its_own_quota_is_throttled_after_that_many_requests_in_a_second(
    make: Make, operation: str
) -> None:
    fake = FakeTime()
    client = make(Faults(quotas=True), fake)
    call = QUOTA_CALLS[operation]
    quota = int(OPERATION_QUOTAS[operation])

    for _ in range(quota):
        call(client)
    throttled(lambda: call(client))

    assert client.describe_domain(domain=DOMAIN)["domain"]["name"] == DOMAIN
    fake.advance(1.0)
    call(client)


def test_the_account_write_quota_applies_across_write_operations(make: Make) -> None:
    fake = FakeTime()
    client = make(Faults(quotas=True), fake)
    writes: list[Callable[[], object]] = (
        [lambda: copy(client)] * 5
        + [lambda: publish(client)] * 10
        + [lambda: client.dispose_package_versions(**PACKAGE, versions=["9.9.9"])] * 25
        + [lambda: client.delete_package_versions(**PACKAGE, versions=["9.9.9"])] * 25
        + [lambda: client.create_domain(domain=DOMAIN)] * 10
        + [lambda: update(client, "9.9.9")] * 25
    )
    assert len(writes) == ACCOUNT_WRITE_QUOTA

    results = [outcome(write) for write in writes]
    response = throttled(lambda: update(client))

    assert "ThrottlingException" not in results
    assert response["retryAfterSeconds"] == 1
    assert client.describe_domain(domain=DOMAIN)["domain"]["name"] == DOMAIN  # reads have their own quota
    fake.advance(1 / ACCOUNT_WRITE_QUOTA)
    assert update(client)["successfulVersions"]["1.0.0"]["status"] == "Archived"
    throttled(lambda: update(client, "2.0.0"))


def test_the_account_read_quota_applies_across_read_operations(make: Make) -> None:
    fake = FakeTime()
    client = make(Faults(quotas=True), fake)
    reads: list[Callable[[], object]] = [lambda: QUOTA_CALLS["ListPackageVersions"](client)] * 200
    reads += [lambda: QUOTA_CALLS["ListPackages"](client)] * 200
    reads += [lambda: QUOTA_CALLS["ListPackageVersionAssets"](client)] * 200
    reads += [lambda: QUOTA_CALLS["GetPackageVersionAsset"](client)] * 50
    reads += [lambda: client.describe_package_version(**PACKAGE, packageVersion="1.0.0")] * 100
    reads += [lambda: client.describe_domain(domain=DOMAIN)] * 50
    assert len(reads) == ACCOUNT_READ_QUOTA

    results = [outcome(read) for read in reads]
    response = throttled(lambda: client.describe_repository(domain=DOMAIN, repository="staging"))

    assert set(results) == {"ok"}
    assert response["retryAfterSeconds"] == 1
    assert update(client)["successfulVersions"]["1.0.0"]["status"] == "Archived"  # writes have their own
    fake.advance(1 / ACCOUNT_READ_QUOTA)
    assert client.describe_repository(domain=DOMAIN, repository="staging")["repository"]["name"] == "staging"


# --- through `reconciler local serve` flags ------------------------------------------------------

SEED = 7
MIXED = Faults(throttle_rate=0.4, error_rate=0.2, drop_rate=0.2, seed=SEED)
FLAGS = {
    "mixed": [
        "--throttle-rate", str(MIXED.throttle_rate), "--error-rate", str(MIXED.error_rate),
        "--drop-rate", str(MIXED.drop_rate), "--fault-seed", str(SEED),
    ],
    "quotas": ["--quotas"],
}  # fmt: skip
REQUESTS = 40


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServeProcess]]:
    """One server per set of fault flags, started together; each on its own database."""
    workdir = tmp_path_factory.mktemp("faults")
    arg_lists = [[*flags, "--db", str(workdir / f"{name}.db")] for name, flags in FLAGS.items()]
    with running_servers(workdir, *arg_lists) as started:
        yield dict(zip(FLAGS, started, strict=True))


def http_client(servers: dict[str, ServeProcess], name: str) -> Any:
    return boto3_client(servers[name].endpoint_url, config=NO_RETRIES)


@dataclass(frozen=True)
class Answer:
    """What a client got for one request: an outcome as `outcome()` names it, and the details."""

    outcome: str
    status: int | None = None
    retry_after: str | None = None
    retry_after_seconds: int | None = None
    error: type[Exception] | None = None


def answer(call: Callable[[], object]) -> Answer:
    try:
        call()
    except ClientError as error:
        response = error.response
        return Answer(
            str(response["Error"]["Code"]),
            response["ResponseMetadata"]["HTTPStatusCode"],
            response["ResponseMetadata"]["HTTPHeaders"].get("retry-after"),
            response.get("retryAfterSeconds"),
            type(error),
        )
    except (ConnectionClosedError, EndpointConnectionError) as error:
        return Answer("dropped", error=type(error))
    return Answer("ok", 200)


@pytest.fixture(scope="module")
def mixed(servers: dict[str, ServeProcess]) -> list[Answer]:
    """The answers to the first requests the server with every rate flag (and a seed) gets."""
    client = http_client(servers, "mixed")
    return [answer(client.list_domains) for _ in range(REQUESTS)]


def _of(answers: list[Answer], outcome: str) -> list[Answer]:
    found = [a for a in answers if a.outcome == outcome]
    assert found, f"no request met {outcome}"
    return found


@pytest.mark.http
def test_serve_fault_seed_flag_injects_the_faults_the_same_seed_does_in_process(
    mixed: list[Answer], make: Make
) -> None:
    client = make(MIXED)

    expected = [outcome(client.list_domains) for _ in range(REQUESTS)]

    assert [a.outcome for a in mixed] == expected
    assert set(expected) == {"ok", "ThrottlingException", "InternalServerException", "dropped"}


@pytest.mark.http
def test_serve_throttle_rate_flag_answers_429_with_a_retry_after_header(mixed: list[Answer]) -> None:
    for throttled_answer in _of(mixed, "ThrottlingException"):
        assert throttled_answer.status == 429
        assert throttled_answer.retry_after == "1"
        assert throttled_answer.retry_after_seconds == 1


@pytest.mark.http
def test_serve_error_rate_flag_answers_500_internal_server_exception(mixed: list[Answer]) -> None:
    assert {a.status for a in _of(mixed, "InternalServerException")} == {500}


@pytest.mark.http
def test_serve_drop_rate_flag_closes_connections_unanswered_and_keeps_serving(
    mixed: list[Answer], servers: dict[str, ServeProcess]
) -> None:
    assert {a.error for a in _of(mixed, "dropped")} <= {ConnectionClosedError, EndpointConnectionError}
    outcomes = [a.outcome for a in mixed]
    first_drop = outcomes.index("dropped")
    assert "ok" in outcomes[first_drop:]  # answered on a new connection after one was dropped
    assert servers["mixed"].process.poll() is None


@pytest.mark.parametrize(("flag", "latency"), [("300", (0.3, 0.3)), ("10-50", (0.01, 0.05))])
def test_serve_latency_flag_gives_the_service_that_latency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str, latency: tuple[float, float]
) -> None:
    # What the latency does to each request is checked on a fake clock above; here, that the flag
    # reaches the service, without timing a live server.
    served: list[LocalCodeArtifact] = []

    class NotServing:
        endpoint_url = "http://127.0.0.1:0"

        def __init__(self, service: LocalCodeArtifact, *args: object, **kwargs: object) -> None:
            served.append(service)

        def serve_forever(self) -> None:
            pass

        def server_close(self) -> None:
            pass

    monkeypatch.setattr("reconciler.local.cli.LocalServer", NotServing)

    result = CliRunner().invoke(cli, ["local", "serve", "--db", str(tmp_path / "l.db"), "--latency", flag])

    assert result.exit_code == 0, result.output
    faults = served[0].faults
    assert isinstance(faults, FaultInjector)
    assert faults.faults.latency == latency


@pytest.mark.http
def test_serve_quotas_flag_throttles_a_burst_of_copies_after_five(servers: dict[str, ServeProcess]) -> None:
    client = http_client(servers, "quotas")

    def copy_missing() -> object:
        return client.copy_package_versions(
            domain="nowhere",
            sourceRepository="a-repo",
            destinationRepository="b-repo",
            format="generic",
            namespace="tools",
            package="cli",
            versions=["1.0.0"],
        )

    first_five = [outcome(copy_missing) for _ in range(5)]
    burst = [answer(copy_missing) for _ in range(30)]  # each would have to take 0.2 s for no throttling

    assert first_five == ["ResourceNotFoundException"] * 5
    assert {a.outcome for a in burst} <= {"ResourceNotFoundException", "ThrottlingException"}
    throttled_answers = _of(burst, "ThrottlingException")
    assert {(a.status, a.retry_after, a.retry_after_seconds) for a in throttled_answers} == {(429, "1", 1)}
