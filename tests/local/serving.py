"""`reconciler local serve` as a child process, and boto3 clients pointed at it, for the tests."""

from __future__ import annotations

import itertools
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
# One attempt only: botocore's retries would otherwise hide the faults the tests look for.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})

_numbers = itertools.count()


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", "local", "serve", *args]


class ServeProcess:
    """A `reconciler local serve --port 0 ARGS` child process, started in `workdir`."""

    def __init__(self, workdir: Path, *args: str) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.stderr_path = workdir / f"serve-{next(_numbers)}.stderr"
        with self.stderr_path.open("w", encoding="utf-8") as stderr:
            self.process = subprocess.Popen(
                serve_command("--port", "0", *args),
                cwd=workdir,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self._url: str | None = None

    @property
    def endpoint_url(self) -> str:
        """The URL the server prints on its first line (waits for it)."""
        if self._url is None:
            stdout = self.process.stdout
            assert stdout is not None
            ready, _, _ = select.select([stdout], [], [], STARTUP_TIMEOUT)
            line = stdout.readline().strip() if ready else ""
            if not line:
                self.stop(signal.SIGKILL)
                raise AssertionError(
                    f"the server printed no endpoint (exit code {self.process.returncode}): {self.stderr}"
                )
            self._url = line
        return self._url

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, signal_number: int = signal.SIGTERM) -> int:
        """Signal the server and wait for it to exit; returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal_number)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"the server did not stop within {STOP_TIMEOUT}s of signal {signal_number}"
            ) from None
        finally:
            if self.process.stdout is not None:
                self.process.stdout.close()


@contextmanager
def running_servers(workdir: Path, *arg_lists: list[str]) -> Iterator[list[ServeProcess]]:
    """Start one server per argument list, all at once; each is stopped with SIGTERM on exit."""
    servers: list[ServeProcess] = []
    try:
        servers.extend(ServeProcess(workdir, *args) for args in arg_lists)
        for server in servers:
            assert server.endpoint_url
        yield servers
    finally:
        for server in servers:  # signal them all first, so they stop in parallel
            if server.process.poll() is None:
                server.process.send_signal(signal.SIGTERM)
        for server in servers:
            server.stop()


@contextmanager
def running_server(workdir: Path, *args: str) -> Iterator[ServeProcess]:
    with running_servers(workdir, list(args)) as (server,):
        yield server


def boto3_client(endpoint_url: str | None, config: Config | None = None, region: str = "us-east-1") -> Any:
    """A CodeArtifact client with placeholder credentials; `endpoint_url=None` leaves it to the environment."""
    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name=region
    )
    return session.client("codeartifact", endpoint_url=endpoint_url, config=config)
