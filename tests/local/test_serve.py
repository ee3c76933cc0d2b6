"""`reconciler local serve` end to end: a child process driven by boto3 over real HTTP."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from tests.local.builders import write_seed
from tests.local.serving import ServeProcess, boto3_client, running_server, serve_command

pytestmark = pytest.mark.http

ACCOUNT = "444455556666"
LINUX_LOOPBACK = pytest.mark.skipif(
    sys.platform != "linux", reason="needs 127.0.0.0/8 routed to loopback (Linux)"
)
SEED = """\
apiVersion: reconciler/v1
kind: LocalSeed
domains:
  - name: acme
    repositories:
      - name: staging
        packages:
          - format: generic
            namespace: tools
            name: cli
            versions: ["1.0.0", {version: "1.1.0", status: Unlisted}, "2.0.0"]
"""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """One server for the module: a seeded database and a non-default account id."""
    workdir = tmp_path_factory.mktemp("serve")
    seed_file = write_seed(workdir, SEED)
    with running_server(
        workdir, "--db", str(workdir / "local.db"), "--seed-file", str(seed_file), "--account-id", ACCOUNT
    ) as server:
        yield server


def _port(url: str) -> int:
    match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)", url)
    assert match, f"not a loopback endpoint: {url!r}"
    return int(match.group(1))


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _list(client: Any) -> dict[str, str]:
    listed = client.list_package_versions(
        domain="acme", repository="staging", format="generic", namespace="tools", package="cli"
    )
    return {v["version"]: v["status"] for v in listed["versions"]}


def test_serve_prints_a_loopback_endpoint_on_a_free_port_as_its_first_line(seeded: ServeProcess) -> None:
    port = _port(seeded.endpoint_url)

    assert port > 0
    assert _accepts("127.0.0.1", port)


@LINUX_LOOPBACK
def test_serve_binds_only_127_0_0_1_by_default(seeded: ServeProcess) -> None:
    # Linux routes all of 127.0.0.0/8 to the loopback interface: a wildcard bind would accept this.
    assert not _accepts("127.0.0.2", _port(seeded.endpoint_url))


@LINUX_LOOPBACK
def test_serve_on_the_wildcard_address_prints_a_usable_loopback_url(tmp_path: Path) -> None:
    with running_server(tmp_path, "--db", str(tmp_path / "local.db"), "--host", "0.0.0.0") as server:
        port = _port(server.endpoint_url)
        assert _accepts("127.0.0.1", port)
        assert _accepts("127.0.0.2", port)  # so the default-bind test above can tell the difference


def test_serve_answers_boto3_at_the_printed_endpoint_with_the_seeded_data(seeded: ServeProcess) -> None:
    client = boto3_client(seeded.endpoint_url)

    assert _list(client) == {"1.0.0": "Published", "1.1.0": "Unlisted", "2.0.0": "Published"}


def test_serve_answers_a_client_configured_only_by_aws_endpoint_url_codeartifact(
    seeded: ServeProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_ENDPOINT_URL_CODEARTIFACT", seeded.endpoint_url)
    client = boto3_client(None)

    assert client.meta.endpoint_url == seeded.endpoint_url
    assert [d["name"] for d in client.list_domains()["domains"]] == ["acme"]


def test_serve_uses_the_account_id_flag_as_domain_owner_and_in_arns(seeded: ServeProcess) -> None:
    client = boto3_client(seeded.endpoint_url)

    domain = client.describe_domain(domain="acme")["domain"]
    repository = client.describe_repository(domain="acme", repository="staging")["repository"]

    assert domain["owner"] == ACCOUNT
    assert domain["arn"] == f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:domain/acme"
    assert repository["domainOwner"] == ACCOUNT
    assert repository["arn"] == f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:repository/acme/staging"


def test_serve_keeps_the_data_in_the_db_file_across_restarts(tmp_path: Path) -> None:
    db = str(tmp_path / "kept.db")
    with running_server(tmp_path, "--db", db) as first:
        boto3_client(first.endpoint_url).create_domain(domain="kept")
        assert first.stop() == 0
    with running_server(tmp_path, "--db", db) as second:
        domains = boto3_client(second.endpoint_url).list_domains()["domains"]

    assert [d["name"] for d in domains] == ["kept"]


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_promptly_and_closes_the_database_on_a_signal(tmp_path: Path, signal_number: int) -> None:
    db = tmp_path / "local.db"
    with running_server(tmp_path, "--db", str(db)) as server:
        client = boto3_client(server.endpoint_url)
        client.create_domain(domain="acme")  # leaves a keep-alive connection and its thread open
        # stop() fails the test if the server is not gone within STOP_TIMEOUT (a hang guard, not a
        # measure): an idle keep-alive connection must not hold the shutdown up.
        code = server.stop(signal_number)

    assert code == 0
    assert "Traceback" not in server.stderr
    # SQLite removes the write-ahead log when the last connection closes: the service closed them all.
    assert not Path(f"{db}-wal").exists()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--port", "70000"], "--port"),
        (["--throttle-rate", "2"], "--throttle-rate"),
        (["--error-rate", "lots"], "--error-rate"),
        (["--latency", "soon"], "--latency"),
        (["--latency", "50-10"], "--latency"),
        (["--latency", "inf"], "--latency"),
        (["--account-id", "12"], "--account-id"),
        (["--throttle-rate", "0.6", "--drop-rate", "0.6"], "add up to at most 1"),
        (["--seed-file", "no-such-seed.yaml"], "--seed-file"),
        (["--no-such-flag"], "--no-such-flag"),
    ],
)
def test_serve_rejects_a_bad_flag_with_a_usage_error_naming_it(
    tmp_path: Path, args: list[str], named: str
) -> None:
    result = CliRunner().invoke(cli, ["local", "serve", "--db", str(tmp_path / "x.db"), *args])

    assert result.exit_code == 1, result.output
    assert named in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "x.db").exists()


def test_serve_process_answers_a_bad_flag_with_exit_code_1_and_no_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        serve_command("--db", str(tmp_path / "x.db"), "--port", "-1"),
        cwd=tmp_path,
        capture_output=True,
        check=False,
        text=True,
        timeout=30,
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert "Error: Invalid value for '--port'" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_reports_a_port_in_use_as_an_error_without_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["local", "serve", "--db", str(tmp_path / "x.db"), "--port", str(port)]
        )

    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_serve_reports_an_invalid_seed_file_as_an_error_without_a_traceback(tmp_path: Path) -> None:
    seed_file = tmp_path / "seed.yaml"
    seed_file.write_text("apiVersion: reconciler/v1\nkind: LocalSeed\ndomains: [{name: Bad_Name}]\n")

    result = CliRunner().invoke(
        cli, ["local", "serve", "--db", str(tmp_path / "x.db"), "--seed-file", str(seed_file)]
    )

    assert result.exit_code == 1
    assert str(seed_file) in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "x.db").exists()  # as `local seed`: a refused seed creates no database


def test_seed_command_rejects_a_bad_account_id_with_a_usage_error_naming_it(tmp_path: Path) -> None:
    seed_file = write_seed(tmp_path, SEED)

    result = CliRunner().invoke(
        cli, ["local", "seed", str(seed_file), "--db", str(tmp_path / "x.db"), "--account-id", "12"]
    )

    assert result.exit_code == 1, result.output
    assert "--account-id" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
