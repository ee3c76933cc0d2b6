"""The local CodeArtifact service: one request in, one response out, whatever the transport.

The in-process adapter (botocore's `before-send` event), the HTTP server and the WSGI callable all
go through `LocalCodeArtifact.handle`, so the three ways in cannot behave differently.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from reconciler.local import writelog
from reconciler.local.context import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Context, Options
from reconciler.local.errors import InternalServerException, ServiceError, ValidationException
from reconciler.local.faults import DropConnection, FaultInjector, Faults
from reconciler.local.names import normalize_request
from reconciler.local.operations import OPERATIONS
from reconciler.local.protocol import (
    HttpRequest,
    HttpResponse,
    parse_request,
    routes,
    serialize_error,
    serialize_result,
)
from reconciler.local.store import Store

log = logging.getLogger("reconciler.local")

# SigV4's credential scope names the Region the client signed for: AKID/date/REGION/service/aws4_request.
# The credential scope's Region as the client signed it, whatever its spelling: a Region the service
# does not know holds nothing, as on AWS, rather than falling back to the default one.
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/codeartifact/aws4_request")
_ACCOUNT = re.compile(r"[0-9]{12}")


class LocalCodeArtifact:
    """CodeArtifact's API over a SQLite database file."""

    def __init__(
        self,
        db: str | os.PathLike[str] = ":memory:",
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        faults: Faults | FaultInjector | None = None,
        options: Options | None = None,
        clock: Callable[[], float] = time.time,
        record_writes: bool = False,
    ) -> None:
        if not _ACCOUNT.fullmatch(account_id):
            raise ValueError(f"account id must be 12 digits, not {account_id!r}")
        self.store = Store(db)
        self.account_id = account_id
        self.options = options or Options()
        self.clock = clock
        # A `FaultInjector` brings its own clock and sleep (tests pass fakes); `Faults` gets real ones.
        if isinstance(faults, Faults):
            faults = FaultInjector(faults) if faults.active else None
        self.faults = faults
        # The record of committed writes (`writelog`), kept only when asked for.
        self.record_writes = record_writes
        if record_writes:
            with self.store.write() as conn:
                writelog.create_table(conn)
        self._routes = routes()

    def context(self, conn: Any, region: str = DEFAULT_REGION, base_url: str = "http://localhost") -> Context:
        return Context(conn, self.account_id, region, self.clock, self.options, base_url)

    def handle(self, request: HttpRequest) -> HttpResponse:
        operation = self._routes.get((request.method, request.path))
        if operation is None:
            return serialize_error(
                ValidationException(f"No operation at {request.method} {request.path}", "UNKNOWN_OPERATION")
            )
        implemented = OPERATIONS.get(operation.name)
        try:
            if implemented is None:
                raise ValidationException(
                    f"{operation.name} is not implemented by the local CodeArtifact service",
                    "UNKNOWN_OPERATION",
                )
            if self.faults is not None:
                self.faults.before(operation.name, implemented.writes)
            params = parse_request(operation, request)
            # Package names, namespaces and versions as CodeArtifact reads them (NuGet, Swift).
            params = normalize_request(params, pypi=self.options.normalize_pypi_request_names)
            region = _region(request)
            transaction = self.store.write() if implemented.writes else self.store.read()
            with transaction as conn:
                result = implemented.function(self.context(conn, region, _base_url(request)), **params)
                if self.record_writes and implemented.writes:
                    self._record(conn, operation.name, request, params, result)
            if self.faults is not None:
                self.faults.after(implemented.writes)
            return serialize_result(operation, result)
        except DropConnection:
            return HttpResponse(0, drop=True)
        except ServiceError as error:
            return serialize_error(error)
        except Exception:
            # A bug of ours must still look like AWS to the client: a 500 it can retry.
            log.exception("internal error in %s", operation.name)
            return serialize_error(InternalServerException("An internal error occurred"))

    def _record(
        self, conn: Any, operation: str, request: HttpRequest, params: dict[str, Any], result: dict[str, Any]
    ) -> None:
        # In the write's own transaction: recorded exactly when, and only if, the write commits.
        principal = writelog.principal(request.headers.get("authorization", ""))
        writelog.record(
            conn, time=self.clock(), operation=operation, principal=principal, params=params, result=result
        )

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """The service as a WSGI application (a dropped connection becomes a 503 with no body).

        Framing and size are the WSGI server's; a CONTENT_LENGTH that is not a number of bytes is a 400.
        """
        declared = str(environ.get("CONTENT_LENGTH") or "0").strip()
        if not declared.isdigit() or not declared.isascii():
            response = serialize_error(
                ValidationException("The request's Content-Length is not a number of bytes", "CANNOT_PARSE")
            )
            start_response(
                "400 Bad Request", [*response.headers.items(), ("Content-Length", str(len(response.body)))]
            )
            return [response.body]
        length = int(declared)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        response = self.handle(
            HttpRequest(
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO", "/"),
                environ.get("QUERY_STRING", ""),
                headers,
                body,
                environ.get("wsgi.url_scheme", "http"),
            )
        )
        if response.drop:
            start_response("503 Service Unavailable", [("Content-Length", "0")])
            return [b""]
        start_response(
            f"{response.status} {_REASONS.get(response.status, 'Status')}",
            [*response.headers.items(), ("Content-Length", str(len(response.body)))],
        )
        return [response.body]

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> LocalCodeArtifact:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _base_url(request: HttpRequest) -> str:
    # A request without a Host header (HTTP/1.0) still gets a usable, if local-only, URL.
    return f"{request.scheme}://{request.headers.get('host') or 'localhost'}"


def _region(request: HttpRequest) -> str:
    match = _SCOPE.search(request.headers.get("authorization", ""))
    return match.group(1) if match else DEFAULT_REGION


_REASONS = {
    200: "OK",
    400: "Bad Request",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
}
