"""Building a CodeArtifact client: every way the backend's settings can be wrong is an expected
error with a message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.aws.client import Backend, connect
from reconciler.errors import ReconcilerError
from reconciler.local import LocalCodeArtifact


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "local.db"
    LocalCodeArtifact(path).close()
    return path


def failure(backend: Backend) -> ReconcilerError:
    with pytest.raises(ReconcilerError) as raised:
        connect(backend)
    return raised.value


@pytest.mark.parametrize("region", ["bad region!", "not a region!!", "us_east_1"])
def test_an_invalid_region_is_an_expected_error(region: str) -> None:
    error = failure(Backend(region=region, endpoint_url="http://127.0.0.1:9"))
    assert error.summary == f"invalid AWS Region: {region!r}"
    assert "us-east-1" in error.detail


def test_an_invalid_region_for_the_local_service_is_an_expected_error(db: Path) -> None:
    assert (
        failure(Backend(local_db=str(db), region="bad region!")).summary
        == "invalid AWS Region: 'bad region!'"
    )


def test_a_local_database_that_is_not_sqlite_is_an_expected_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are notes, not a database\n" * 100)

    error = failure(Backend(local_db=str(path)))

    assert error.summary == f"{path} is not a local CodeArtifact database: file is not a database"
    assert path.read_text() == "these are notes, not a database\n" * 100


def test_a_local_database_that_is_a_directory_is_an_expected_error(tmp_path: Path) -> None:
    error = failure(Backend(local_db=str(tmp_path)))
    assert error.summary.startswith(f"{tmp_path} is not a local CodeArtifact database: ")


def test_a_good_region_and_database_connect(db: Path) -> None:
    connection = connect(Backend(local_db=str(db), region="eu-west-2"))
    try:
        assert connection.region == "eu-west-2"
        assert connection.client.list_domains()["domains"] == []
    finally:
        connection.close()
