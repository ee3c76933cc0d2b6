"""The local service over real HTTP: a threaded server bound to loopback unless told otherwise.

Every request gets an answer, whatever the client sends (docs/local-service.md, "Hostile clients"):

- a body larger than `MAX_REQUEST_BYTES` is refused with 413 before any of it is read;
- framing that cannot be read (a Content-Length that is not one decimal number, both Content-Length
  and Transfer-Encoding, a Transfer-Encoding other than chunked, a bad chunk) is a 400, and so is a
  request line that cannot be parsed (http.server's own answer), is empty or names HTTP/0.x;
- a request without an AWS SigV4-shaped `Authorization` header is refused with 403 unless the server
  runs with the auth check off, and a request a browser sends for another site's page (an `Origin`
  header, or `Sec-Fetch-Site` other than `none` or `same-origin`) always is: a page cannot add an
  `Authorization` header to a cross-origin request without a CORS preflight, which this server never
  grants, so a web page cannot change anything here;
- a client that hangs up (before its body is complete, or before the answer is written) ends its
  connection quietly, with no traceback.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from reconciler.local.errors import AccessDeniedException, ServiceError, ValidationException
from reconciler.local.protocol import HttpRequest, HttpResponse, serialize_error
from reconciler.local.service import LocalCodeArtifact

# The largest request body read. A PublishPackageVersion body is the asset itself and the store keeps
# an asset as one SQLite BLOB, which SQLite refuses above SQLITE_MAX_LENGTH, 1,000,000,000 bytes by
# default: no larger request could ever succeed (AWS's own asset quota, 5 GB, is larger still).
MAX_REQUEST_BYTES = 1_000_000_000
# How long one read of a request may wait for the client (and a keep-alive connection may stay idle):
# about what AWS's load balancers allow an idle connection.
READ_TIMEOUT = 60.0
# A body this small is read and dropped before a refusal, so that closing the connection does not
# reset it while the client is still sending (a reset can destroy the answer in the client's buffer).
_DRAIN_BYTES = 1 << 20
_CHUNK_LINE = 1024  # the longest chunk-size line read (hex size and extensions)
_LENGTH = re.compile(r"[0-9]{1,19}")
_CHUNK_SIZE = re.compile(rb"[0-9a-fA-F]{1,16}")
_SIGV4 = re.compile(r"AWS4-HMAC-SHA256 +Credential=\S+")
# What a browser says of a request for a page's own origin, or typed in by the user: not cross-site.
_FETCHED_BY_THE_USER = frozenset({"none", "same-origin"})


def binds_loopback_only(host: str) -> bool:
    """Whether a server bound to `host` is reachable from this machine only (every address it names
    is a loopback one; a name that does not resolve counts as reachable from elsewhere)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(found) and all(
        ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in found
    )


class _Framing(Exception):
    """The request's body cannot be delimited: answer it (the status says why), then hang up."""

    def __init__(self, error: ServiceError, status: int | None = None) -> None:
        super().__init__(error.message)
        self.response = serialize_error(error)
        if status is not None:
            self.response = HttpResponse(status, self.response.headers, self.response.body)


class _ClientGone(Exception):
    """The client closed its side before its request was complete: there is nobody to answer."""


def _cannot_frame(message: str) -> _Framing:
    return _Framing(ValidationException(message, "CANNOT_PARSE"))


def _too_large(limit: int) -> _Framing:
    return _Framing(
        ValidationException(f"The request body is larger than this service accepts ({limit} bytes)"), 413
    )


def guard_refusal(headers: dict[str, str], auth_check: bool) -> str | None:
    """Why a request with these (lower-case) headers is refused with 403, or None to serve it."""
    if (
        "origin" in headers
        or headers.get("sec-fetch-site", "none").strip().lower() not in _FETCHED_BY_THE_USER
    ):
        return (
            "Requests from web pages are refused: the local CodeArtifact service authenticates nothing, "
            "so it serves no browser"
        )
    if auth_check and not _SIGV4.match(headers.get("authorization", "").strip()):
        return (
            "The request is not signed: send it with an AWS SDK or the AWS CLI (any credentials do), "
            "or serve with --no-auth-check"
        )
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    # A request line that cannot be parsed is answered with a status line too (0.9 would have none).
    default_request_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm the second waits for the
    # client's delayed ACK, adding ~40 ms to every response.
    disable_nagle_algorithm = True
    server: LocalServer

    def _serve(self) -> None:
        headers = {key.lower(): value for key, value in self.headers.items()}
        try:
            response = self._answer(headers)
        except _ClientGone:
            self.close_connection = True
            return
        except _Framing as framing:
            # The body was not read, so the next request cannot be found: answer, then hang up.
            self.close_connection = True
            response = framing.response
        if response.drop:
            # Close the socket with no answer at all: the client sees a dropped connection.
            self.close_connection = True
            with contextlib.suppress(OSError):  # the client may have gone already
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _answer(self, headers: dict[str, str]) -> HttpResponse:
        length = self._content_length()
        refusal = guard_refusal(headers, self.server.auth_check)
        if refusal is not None:
            if length is not None and length <= _DRAIN_BYTES:
                self._read_exactly(length)
            raise _Framing(AccessDeniedException(refusal))
        limit = self.server.max_request_bytes
        if length is not None and length > limit:
            raise _too_large(limit)
        body = self._read_chunked(limit) if length is None else self._read_exactly(length)
        url = urlsplit(self.path)
        return self.server.service.handle(HttpRequest(self.command, url.path, url.query, headers, body))

    def _content_length(self) -> int | None:
        """The body's length from Content-Length (0 when absent), or None for a chunked body."""
        lengths = self.headers.get_all("Content-Length") or []
        encodings = [value.strip().lower() for value in self.headers.get_all("Transfer-Encoding") or []]
        if encodings:
            if lengths:
                raise _cannot_frame("A request cannot have both Content-Length and Transfer-Encoding")
            if encodings != ["chunked"]:
                raise _cannot_frame(
                    f"Transfer-Encoding {', '.join(encodings)} is not supported: only chunked"
                )
            return None
        values = {value.strip() for value in lengths}
        if len(values) > 1:
            raise _cannot_frame("The request has more than one Content-Length")
        value = values.pop() if values else "0"
        if not _LENGTH.fullmatch(value):
            raise _cannot_frame(f"The request's Content-Length is not a number of bytes: {value[:40]!r}")
        return int(value)

    def _read_exactly(self, length: int) -> bytes:
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            raise _ClientGone
        return body

    def _read_chunked(self, limit: int) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_CHUNK_LINE + 1)
            if not line:
                raise _ClientGone
            if len(line) > _CHUNK_LINE or not line.endswith(b"\n"):
                raise _cannot_frame("A chunk-size line is too long")
            size_text = line.split(b";", 1)[0].strip()
            if not _CHUNK_SIZE.fullmatch(size_text):
                raise _cannot_frame(f"Not a chunk size: {size_text[:20]!r}")
            size = int(size_text, 16)
            if size == 0:
                self._skip_trailers()
                return b"".join(chunks)
            total += size
            if total > limit:
                raise _too_large(limit)
            chunks.append(self._read_exactly(size))
            if self.rfile.readline(3).strip(b"\r\n") != b"":
                raise _cannot_frame("A chunk is longer than its size")

    def _skip_trailers(self) -> None:
        for _ in range(100):
            line = self.rfile.readline(_CHUNK_LINE + 1)
            if not line:
                raise _ClientGone
            if line in (b"\r\n", b"\n"):
                return
        raise _cannot_frame("Too many trailer fields")

    def parse_request(self) -> bool:
        """http.server's parse, with an answer for the request lines it drops: an empty one (it hangs up
        without a word) and one naming HTTP/0.x (it would answer as HTTP/0.9, a bare body with no
        status line, which no client can read as an answer)."""
        if not super().parse_request():
            if not self.requestline.strip():  # http.server hangs up on an empty line without a word
                self.send_error(400, "The request line is empty")
            return False
        if self.request_version.startswith("HTTP/0."):
            self.request_version = self.default_request_version
            self.send_error(400, "HTTP/0.x is not supported: send HTTP/1.0 or HTTP/1.1")
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's answer to a request it cannot parse (request line, headers), as a modeled JSON 4xx.

        Its own 501 (a method nobody serves) and 505 (an HTTP version past 1.x) become 400s too: the
        service answers every request it cannot serve with a 400, and keeps 5xx for its own faults.
        """
        self.close_connection = True
        status = 400 if code >= 500 else code
        response = serialize_error(ValidationException(message or "Bad request", "CANNOT_PARSE"))
        self.send_response(status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    # Every method reaches the service, which answers an unknown route with a modeled 400.
    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _serve

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def setup(self) -> None:
        # A client that stops sending (half a body, then nothing) must not hold a thread forever:
        # every read waits at most `read_timeout` seconds, then the connection is closed. An idle
        # keep-alive connection is closed after as long, as load balancers do.
        super().setup()
        self.connection.settimeout(self.server.read_timeout)


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 refuses (or delays by a SYN retry) bursts of new connections.
    request_queue_size = 128

    def __init__(
        self,
        service: LocalCodeArtifact,
        host: str = "127.0.0.1",
        port: int = 0,
        verbose: bool = False,
        *,
        auth_check: bool = True,
        max_request_bytes: int = MAX_REQUEST_BYTES,
        read_timeout: float = READ_TIMEOUT,
    ):
        self.service = service
        self.verbose = verbose
        self.auth_check = auth_check
        self.max_request_bytes = max_request_bytes
        self.read_timeout = read_timeout
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is no error of ours: no traceback for it.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        # One thread per client connection: its database connection goes when the thread does.
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.service.store.release()

    @property
    def endpoint_url(self) -> str:
        """The URL clients use; a wildcard bind address is shown as the loopback one of its family."""
        address, port = self.server_address[:2]
        host = address if isinstance(address, str) else bytes(address).decode()
        host = _WILDCARD_AS_LOOPBACK.get(host, host)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"


_WILDCARD_AS_LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1"}


class BackgroundServer:
    """A `LocalServer` on a thread of this process, for tests and the embedded default."""

    def __init__(
        self,
        service: LocalCodeArtifact,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        auth_check: bool = True,
        max_request_bytes: int = MAX_REQUEST_BYTES,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.server = LocalServer(
            service,
            host,
            port,
            auth_check=auth_check,
            max_request_bytes=max_request_bytes,
            read_timeout=read_timeout,
        )
        self._thread = threading.Thread(
            # A short poll interval: shutdown() waits up to one interval for the loop to notice.
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="local-codeartifact",
            daemon=True,
        )

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
