"""fuzz-api: requests to the local service over HTTP, built from botocore's model or malformed by hand.

One request a trial, to a `BackgroundServer` (auth check on, as `reconciler local serve` runs) over
the example data: for every operation the service implements (reconciler/local/operations.py),
parameters that fit the model, mostly broken (apirequests.mutated), sent through a botocore client
with parameter validation off (a trial in `BOTOCORE_SHARE`), or laid out by hand as REST-JSON and
sent over a socket with a SigV4-shaped Authorization header; else raw bytes no client would send
(apirequests.malformed). Before each trial the database is the seeded one again when the trial
before wrote to it, so a trial does not depend on those before it.

Invariants:
- `no internal error`: no 500 (no faults are injected), and nothing logged at ERROR by the
  `reconciler.local` logger nor any traceback printed by the server;
- `every answer is AWS-shaped`: a 2xx, or a 4xx with an `x-amzn-ErrorType` and a JSON object body
  with a message; a request sent whole always gets an answer;
- `no hang`: every answer comes within `TIMEOUT` seconds, and the server answers a signed
  ListDomains after every trial;
- `no write from a failed request`: an error answer leaves `PRAGMA data_version` unchanged (it moves
  with every commit by another connection, so it is exact and costs nothing);
- `store stays consistent`: after the run, `PRAGMA integrity_check` is ok and
  `PRAGMA foreign_key_check` finds nothing.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import socket
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError, ReadTimeoutError
from botocore.model import OperationModel

from reconciler.local import BackgroundServer, LocalCodeArtifact
from reconciler.local.operations import OPERATIONS
from tests.reliability import apirequests
from tests.reliability.harness import seeded_database, trial_random, where
from tests.reliability.tally import Tally

SUITE = "fuzz-api"
INVARIANTS = [
    "no internal error",
    "every answer is AWS-shaped",
    "no hang",
    "no write from a failed request",
    "store stays consistent",
]
TIMEOUT = 10.0
BOTOCORE_SHARE = 0.35
MALFORMED_SHARE = 0.25
_HEALTH = (
    f"POST /v1/domains HTTP/1.1\r\nHost: x\r\nAuthorization: {apirequests.SIGNED}\r\n"
    "Content-Length: 2\r\n\r\n{}"
).encode()


@dataclass
class Answer:
    """What came back: the status (None: no answer), the error type header, the body."""

    status: int | None
    error_type: str | None = None
    body: bytes = b""
    expected: bool = True  # False: the client hung up, nobody is owed an answer
    payload: bool = False  # a 2xx whose body is a blob (an asset), not JSON
    head: bool = False  # the answer to a HEAD: its headers only
    detail: str = ""


class _Errors(logging.Handler):
    """Every record of ERROR or worse the service logs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


def read_answer(connection: socket.socket, head_only: bool = False) -> Answer:
    """One HTTP response from `connection`: its head, then as much body as Content-Length says
    (none for the answer to a HEAD request)."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            return Answer(None, detail=f"no answer ({len(received)} bytes)")
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {
        name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])
    }
    length = 0 if head_only else int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return Answer(status, headers.get("x-amzn-errortype"), body[:length], head=head_only)


def exchange(address: tuple[str, int], data: bytes, hang_up: bool = False) -> Answer:
    with socket.create_connection(address, timeout=TIMEOUT) as connection:
        with contextlib.suppress(ConnectionError):
            connection.sendall(data)
        if hang_up:
            return Answer(None, expected=False)
        try:
            return read_answer(connection, head_only=data.startswith(b"HEAD "))
        except ConnectionError as error:
            return Answer(None, detail=f"connection error: {error!r}")
        except TimeoutError as error:
            return Answer(None, detail=f"timed out: {error}")


def aws_shaped(answer: Answer) -> bool:
    if answer.status is None:
        return not answer.expected
    if 200 <= answer.status < 300:
        if answer.payload:
            return True
        with contextlib.suppress(ValueError):
            return isinstance(json.loads(answer.body or b"{}"), dict)
        return False
    if not answer.error_type:
        return False
    if answer.head:
        return True
    with contextlib.suppress(ValueError):
        body = json.loads(answer.body)
        return isinstance(body, dict) and isinstance(body.get("message"), str)
    return False


def _botocore_can_send(params: dict[str, Any]) -> bool:
    """Whether botocore serializes `params` in reasonable time: it turns a string given for a list into
    a list of its characters, and a million of them take it many seconds (the raw path sends them)."""
    return all(not isinstance(value, str) or len(value) <= 10_000 for value in params.values())


class Fuzzer:
    """The server, the clients and the store of one run."""

    def __init__(self, server: BackgroundServer, db: Path, pristine: Path) -> None:
        self.server = server
        host, port = server.server.server_address[:2]
        self.address = (str(host), int(port))
        self.db = db
        self.pristine = pristine
        self.monitor = sqlite3.connect(db, isolation_level=None)
        session = boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
        )
        config = Config(
            parameter_validation=False,
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=TIMEOUT,
            read_timeout=TIMEOUT,
        )
        self.client = session.client("codeartifact", endpoint_url=server.endpoint_url, config=config)
        self.client.meta.events.register("before-send.codeartifact", self._sent)
        self.sent = False
        model = botocore.session.get_session().get_service_model("codeartifact")
        self.operations = [model.operation_model(name) for name in sorted(OPERATIONS)]

    def _sent(self, **_: Any) -> None:
        self.sent = True

    def data_version(self) -> int:
        return int(self.monitor.execute("PRAGMA data_version").fetchone()[0])

    def reset(self) -> None:
        """The database as seeded (through SQLite's backup: the server keeps its connections)."""
        with contextlib.closing(sqlite3.connect(self.pristine)) as source:
            source.backup(self.monitor)

    def request(self, trial_rng: Any) -> tuple[Answer, str]:
        """One trial's request, sent; its answer and what it was."""
        if trial_rng.random() < MALFORMED_SHARE:
            bad = apirequests.malformed(trial_rng)
            return exchange(self.address, bad.data, bad.hang_up), f"malformed {bad.name}: {bad.data[:120]!r}"
        operation = trial_rng.choice(self.operations)
        params, how = apirequests.mutated(
            trial_rng, operation, apirequests.parameters(trial_rng, operation.input_shape)
        )
        what = f"{operation.name} ({how})"
        if trial_rng.random() < BOTOCORE_SHARE / (1 - MALFORMED_SHARE) and _botocore_can_send(params):
            answer = self.through_botocore(operation, params)
            if answer is not None:
                return answer, f"botocore {what}"
        request = apirequests.http_request(operation, params)
        answer = exchange(self.address, apirequests.encoded(request))
        answer.payload = (
            operation.output_shape is not None and "payload" in operation.output_shape.serialization
        )
        return answer, f"raw {what} {request.method} {request.target[:120]}"

    def through_botocore(self, operation: OperationModel, params: dict[str, Any]) -> Answer | None:
        """The answer botocore read, or None when botocore could not build the request at all."""
        self.sent = False
        try:
            response = getattr(self.client, botocore.xform_name(operation.name))(**params)
        except ClientError as error:
            metadata = error.response.get("ResponseMetadata", {})
            code = error.response.get("Error", {}).get("Code") or None
            message = error.response.get("Error", {}).get("Message")
            body = json.dumps({"message": message}).encode() if isinstance(message, str) else b""
            return Answer(metadata.get("HTTPStatusCode"), code, body)
        except ReadTimeoutError as error:
            return Answer(None, detail=f"timed out: {error}")
        except HTTPClientError as error:
            if isinstance(error.kwargs.get("error"), TypeError):
                return None  # a payload of the wrong type: the HTTP client refused to send it at all
            return Answer(None, detail=f"botocore: {error!r}")
        except Exception as error:
            return Answer(None, detail=f"botocore: {error!r}") if self.sent else None
        with contextlib.suppress(Exception):
            response.get("asset") and response["asset"].close()
        return Answer(response["ResponseMetadata"]["HTTPStatusCode"], payload=True)

    def healthy(self) -> bool:
        try:
            answer = exchange(self.address, _HEALTH)
        except OSError:
            return False
        return answer.status == 200


@contextlib.contextmanager
def _captured() -> Iterator[tuple[_Errors, io.StringIO]]:
    """The service's ERROR records, and what anything prints on stderr (socketserver's tracebacks)."""
    errors, printed = _Errors(), io.StringIO()
    logger = logging.getLogger("reconciler.local")
    logger.addHandler(errors)
    previous, sys.stderr = sys.stderr, printed
    try:
        yield errors, printed
    finally:
        sys.stderr = previous
        logger.removeHandler(errors)


def run(trials: int, seed: int, tally: Tally) -> None:
    tally.declare(INVARIANTS)
    with tempfile.TemporaryDirectory(prefix="reconciler-fuzz-api-") as folder:
        workdir = Path(folder)
        pristine = seeded_database(workdir)
        db = workdir / "service.db"
        db.write_bytes(pristine.read_bytes())
        with (
            LocalCodeArtifact(db) as service,
            BackgroundServer(service) as server,
            _captured() as (errors, printed),
        ):
            fuzzer = Fuzzer(server, db, pristine)
            for trial in range(trials):
                _trial(tally, fuzzer, errors, printed, seed, trial)
            _check_store(tally, fuzzer.monitor, where(seed, trials - 1))
            fuzzer.monitor.close()


def _trial(
    tally: Tally, fuzzer: Fuzzer, errors: _Errors, printed: io.StringIO, seed: int, trial: int
) -> None:
    rng = trial_random(SUITE, seed, trial)
    before = fuzzer.data_version()
    logged, shown = len(errors.records), printed.tell()
    try:
        answer, what = fuzzer.request(rng)
    except TimeoutError as error:
        answer, what = Answer(None, detail=f"timed out: {error}"), "a request"
    name = f"{where(seed, trial)}: {what}"
    tally.check("no hang", "timed out" not in answer.detail, f"{name}: {answer.detail}")
    new_logs = errors.records[logged:] + ([printed.getvalue()[shown:]] if printed.tell() > shown else [])
    tally.check(
        "no internal error",
        answer.status != 500 and not new_logs,
        f"{name}: {answer.status} {new_logs[:1]!r:.600}",
    )
    tally.check(
        "every answer is AWS-shaped",
        aws_shaped(answer),
        f"{name}: {answer.status} {answer.error_type} {answer.body[:200]!r} {answer.detail}",
    )
    healthy = fuzzer.healthy()
    tally.check("no hang", healthy, f"{name}: the server does not answer ListDomains after it")
    after = fuzzer.data_version()
    if answer.status is not None and answer.status >= 400:
        tally.check(
            "no write from a failed request",
            after == before,
            f"{name}: {answer.status} {answer.error_type}, but the store changed",
        )
    if after != before:
        fuzzer.reset()


def _check_store(tally: Tally, conn: sqlite3.Connection, name: str) -> None:
    integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    foreign = conn.execute("PRAGMA foreign_key_check").fetchall()
    tally.check(
        "store stays consistent",
        integrity == ["ok"] and not foreign,
        f"after {name}: {integrity[:3]} {foreign[:3]}",
    )
