"""The chaos suite's rig: the fault injector with a concurrent writer and a kill switch, and running
the command line (in process, or as a child process that can be killed) with quick retries."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.loaders import Loader
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.local import LocalCodeArtifact, attach
from reconciler.local.faults import DropConnection, FaultInjector, Faults
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT
from reconciler.local.protocol import HttpRequest, HttpResponse

# Retries wait a hundredth of what they would (RECONCILER_RETRY_DELAY_SCALE): a throttle's
# Retry-After of 1 s becomes 10 ms, so a trial is not a run of sleeps.
RETRY_DELAY_SCALE = "0.01"
WRITER_KEY = "AKIACHAOSWRITER"


@dataclass(frozen=True)
class Ran:
    """One run of the command line: its exit code and what it printed."""

    code: int
    stdout: str
    stderr: str

    @property
    def internal_error(self) -> bool:
        return self.code == 3 or "Traceback" in self.stdout + self.stderr


def environment(key: str) -> dict[str, str | None]:
    """The environment of a run as `key`: no AWS configuration of the machine, quick retries."""
    return {
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": "chaos",
        "AWS_SESSION_TOKEN": None,
        "AWS_PROFILE": None,
        "AWS_ENDPOINT_URL": None,
        "AWS_ENDPOINT_URL_CODEARTIFACT": None,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "RECONCILER_RETRY_DELAY_SCALE": RETRY_DELAY_SCALE,
        "NO_COLOR": "1",
    }


def run_cli(args: list[str], key: str) -> Ran:
    """The command line in this process (the local service's server threads keep serving)."""
    result = CliRunner().invoke(cli, args, env=environment(key))
    return Ran(result.exit_code, result.stdout, result.stderr)


class Child:
    """The command line in a forked child process, so that it can be killed with SIGKILL.

    Forked from this process, it starts with every module already imported (a fresh interpreter
    would add a second per run); it writes its output to files and exits with the command's code.
    """

    def __init__(self, args: list[str], key: str, workdir: Path) -> None:
        self.stdout_path = workdir / "child.stdout"
        self.stderr_path = workdir / "child.stderr"
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            _child_main(args, key, self.stdout_path, self.stderr_path)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> tuple[int, bool]:
        """The exit code (or -signal) and whether SIGKILL ended it."""
        _, status = os.waitpid(self.pid, 0)
        if os.WIFSIGNALED(status):
            return -os.WTERMSIG(status), os.WTERMSIG(status) == signal.SIGKILL
        return os.WEXITSTATUS(status), False

    def output(self) -> tuple[str, str]:
        read = lambda path: path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""  # noqa: E731
        return read(self.stdout_path), read(self.stderr_path)


def _child_main(args: list[str], key: str, stdout: Path, stderr: Path) -> None:
    code = 3
    try:
        for fd, path in ((1, stdout), (2, stderr)):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        for name, value in environment(key).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        try:
            cli.main(args=args, prog_name="reconciler")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


class Writer:
    """Another client (its own access key, no faults) that changes the statuses of planned versions
    while apply runs: `act()` changes one, drawn from `candidates` (package params, version,
    statuses it may set)."""

    def __init__(self, db: Path, rng: random.Random, candidates: list[tuple[dict[str, str], str, list[str]]]):
        self.service = LocalCodeArtifact(db, record_writes=True)
        session = boto3.session.Session(
            aws_access_key_id=WRITER_KEY, aws_secret_access_key="chaos", region_name="us-east-1"
        )
        client = session.client(
            "codeartifact", endpoint_url=IN_PROCESS_ENDPOINT, config=Config(retries={"total_max_attempts": 1})
        )
        self.client = attach(client, self.service)
        self.rng = rng
        self.candidates = candidates
        self.acts = 0
        self._lock = threading.Lock()

    def act(self) -> None:
        with self._lock:
            if not self.candidates:
                return
            params, version, statuses = self.rng.choice(self.candidates)
            status = self.rng.choice(statuses)
            self.acts += 1
            # A version not there yet (a copy to come) is refused: the attempt itself is the point.
            with contextlib.suppress(ClientError, BotoCoreError):
                self.client.update_package_versions_status(**params, versions=[version], targetStatus=status)

    def close(self) -> None:
        self.service.close()


class ChaosInjector(FaultInjector):
    """The service's seeded faults, plus: before a write, `writer` may act (share `writer_rate`);
    a write whose reply is lost may have the writer act before the client learns anything; and
    once the `kill_at`-th write committed, `kill()` runs (SIGKILL to the apply process)."""

    def __init__(
        self,
        faults: Faults,
        *,
        writer: Writer | None = None,
        writer_rate: float = 0.0,
        kill_at: int | None = None,
        kill: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(faults)
        self.writer = writer
        self.writer_rate = writer_rate
        self.kill_at = kill_at
        self.kill = kill
        self.committed = 0
        self.killed = False
        self._draws = random.Random(f"{faults.seed}:chaos")  # not the faults' own draws
        self._count_lock = threading.Lock()

    def _writer_acts(self, share: float) -> None:
        if self.writer is None:
            return
        with self._count_lock:
            acts = self._draws.random() < share
        if acts:
            self.writer.act()

    def before(self, operation: str, writes: bool) -> None:
        if writes:
            self._writer_acts(self.writer_rate)
        super().before(operation, writes)

    def after(self, writes: bool) -> None:
        if not writes:
            return
        with self._count_lock:
            self.committed += 1
            kill_now = self.kill_at is not None and self.committed == self.kill_at and not self.killed
            if kill_now:
                self.killed = True
            lost = self._draws.random() < self.faults.lost_reply_rate
        if kill_now and self.kill is not None:
            self.kill()
        if lost:
            self._writer_acts(0.5)
            raise DropConnection()


class InFlight:
    """Counts the requests the service is handling, to wait until a killed client's last ones end."""

    def __init__(self, service: LocalCodeArtifact) -> None:
        self.count = 0
        self._condition = threading.Condition()
        handle = service.handle

        def counted(request: HttpRequest) -> HttpResponse:
            with self._condition:
                self.count += 1
            try:
                return handle(request)
            finally:
                with self._condition:
                    self.count -= 1
                    self._condition.notify_all()

        service.handle = counted  # type: ignore[method-assign]

    def wait_idle(self, timeout: float = 30.0) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: self.count == 0, timeout)


class ErrorLog(logging.Handler):
    """Collects the local service's logged internal errors (a 500 it did not inject)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> ErrorLog:
        logging.getLogger("reconciler.local").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("reconciler.local").removeHandler(self)


@contextlib.contextmanager
def shared_botocore_data() -> Iterator[None]:
    """botocore's data files (service models, endpoint rules) parsed once for the whole run.

    Every command run makes its own boto3 sessions, and botocore caches what it parses per
    session: unshared, parsing the same JSON files again is most of a trial's time. The same
    files give the same data, so sharing it changes nothing that is judged.
    """
    cache: dict[tuple[str, tuple[Any, ...]], Any] = {}
    lock = threading.RLock()  # load_service_model loads data files itself
    originals = {name: getattr(Loader, name) for name in _LOADER_METHODS}

    def shared(name: str) -> Callable[..., Any]:
        original = originals[name]

        def method(self: Loader, *args: Any, **kwargs: Any) -> Any:
            key = (name, (*args, *sorted(kwargs.items())))
            with lock:
                if key not in cache:
                    cache[key] = original(self, *args, **kwargs)
                return cache[key]

        return method

    for name in _LOADER_METHODS:
        setattr(Loader, name, shared(name))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(Loader, name, original)


_LOADER_METHODS = (
    "load_data_with_path",
    "list_available_services",
    "determine_latest_version",
    "load_service_model",
)
