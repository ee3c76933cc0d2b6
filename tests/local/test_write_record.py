"""The service's record of committed writes: exactly the writes that committed, each with the access
key that signed it, in process, over HTTP and through `reconciler local serve --record-writes`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.local import BackgroundServer, LocalCodeArtifact, attach
from reconciler.local.faults import DropConnection, FaultInjector, Faults
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT
from reconciler.local.writelog import read_writes
from tests.local.builders import seed
from tests.local.serving import running_server

NO_RETRIES = Config(retries={"total_max_attempts": 1})
PACKAGE = {"domain": "acme", "repository": "prod", "format": "pypi", "package": "lib"}
SEED = [{"name": "prod", "packages": [{"format": "pypi", "name": "lib", "versions": ["1.0", "1.1"]}]}]


def client_as(service: LocalCodeArtifact, key: str) -> Any:
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key="x", region_name="us-east-1")
    return attach(
        session.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT, config=NO_RETRIES), service
    )


class OneFault(FaultInjector):
    """Faults only the next write: before it runs (`lost=False`) or after it commits (`lost=True`)."""

    def __init__(self, lost: bool) -> None:
        super().__init__(Faults())
        self.lost = lost
        self.armed = True

    def before(self, operation: str, writes: bool) -> None:
        if writes and self.armed and not self.lost:
            self.armed = False
            raise DropConnection()

    def after(self, writes: bool) -> None:
        if writes and self.armed and self.lost:
            self.armed = False
            raise DropConnection()


def revision(client: Any, version: str) -> str:
    described = client.describe_package_version(**PACKAGE, packageVersion=version)
    return str(described["packageVersion"]["revision"])


def archive(client: Any, version: str) -> dict[str, Any]:
    return client.update_package_versions_status(  # type: ignore[no-any-return]
        **PACKAGE,
        versions=[version],
        expectedStatus="Published",
        versionRevisions={version: revision(client, version)},
        targetStatus="Archived",
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "record.db"
    with LocalCodeArtifact(path) as service:
        seed(service, SEED)
    return path


def test_a_committed_write_is_recorded_with_its_principal_parameters_and_result(db: Path) -> None:
    with LocalCodeArtifact(db, record_writes=True) as service:
        applied = archive(client_as(service, "AKIAAPPLY"), "1.0")
        client_as(service, "AKIAOTHER").update_package_versions_status(
            **PACKAGE, versions=["1.1"], targetStatus="Unlisted"
        )
    first, second = read_writes(db)
    assert (first["operation"], first["principal"]) == ("UpdatePackageVersionsStatus", "AKIAAPPLY")
    assert first["request"]["versions"] == ["1.0"]
    assert first["request"]["expectedStatus"] == "Published"
    assert first["request"]["versionRevisions"] == {"1.0": applied["successfulVersions"]["1.0"]["revision"]}
    assert first["result"]["successfulVersions"] == applied["successfulVersions"]
    assert second["principal"] == "AKIAOTHER"
    assert second["seq"] > first["seq"]


def test_reads_and_writes_refused_before_they_ran_are_not_recorded(db: Path) -> None:
    injector = OneFault(lost=False)
    with LocalCodeArtifact(db, record_writes=True, faults=injector) as service:
        client = client_as(service, "AKIAAPPLY")
        client.list_package_versions(**PACKAGE)
        with pytest.raises(ConnectionClosedError):
            archive(client, "1.0")
        with pytest.raises(ClientError):  # rolled back: the package does not exist
            client.update_package_versions_status(
                **{**PACKAGE, "package": "nope"}, versions=["1"], targetStatus="Archived"
            )
        assert (
            client.describe_package_version(**PACKAGE, packageVersion="1.0")["packageVersion"]["status"]
            == "Published"
        )
    assert read_writes(db) == []


def test_a_write_whose_reply_is_lost_is_recorded_as_committed(db: Path) -> None:
    with LocalCodeArtifact(db, record_writes=True, faults=OneFault(lost=True)) as service:
        client = client_as(service, "AKIAAPPLY")
        with pytest.raises(ConnectionClosedError):
            archive(client, "1.0")
        assert (
            client.describe_package_version(**PACKAGE, packageVersion="1.0")["packageVersion"]["status"]
            == "Archived"
        )
    (write,) = read_writes(db)
    assert write["principal"] == "AKIAAPPLY"
    assert write["result"]["successfulVersions"]["1.0"]["status"] == "Archived"


def test_without_the_option_nothing_is_recorded(db: Path) -> None:
    with LocalCodeArtifact(db) as service:
        archive(client_as(service, "AKIAAPPLY"), "1.0")
    assert read_writes(db) == []


def test_the_record_is_kept_over_http_too(db: Path) -> None:
    with LocalCodeArtifact(db, record_writes=True) as service, BackgroundServer(service) as server:
        session = boto3.session.Session(
            aws_access_key_id="AKIAHTTP", aws_secret_access_key="x", region_name="us-east-1"
        )
        archive(session.client("codeartifact", endpoint_url=server.endpoint_url, config=NO_RETRIES), "1.1")
    assert [(w["operation"], w["principal"]) for w in read_writes(db)] == [
        ("UpdatePackageVersionsStatus", "AKIAHTTP")
    ]


def test_serve_record_writes_and_local_writes_print_the_record(db: Path, tmp_path: Path) -> None:
    with running_server(tmp_path, "--db", str(db), "--record-writes") as server:
        session = boto3.session.Session(
            aws_access_key_id="AKIASERVE", aws_secret_access_key="x", region_name="us-east-1"
        )
        archive(session.client("codeartifact", endpoint_url=server.endpoint_url, config=NO_RETRIES), "1.0")
    result = CliRunner().invoke(cli, ["local", "writes", "--db", str(db)])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    printed = json.loads(line)
    assert (printed["operation"], printed["principal"], printed["request"]["versions"]) == (
        "UpdatePackageVersionsStatus",
        "AKIASERVE",
        ["1.0"],
    )


def test_local_writes_of_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["local", "writes", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "no database at" in result.output
