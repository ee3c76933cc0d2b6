"""The local service over real HTTP: a threaded server bound to loopback unless told otherwise."""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from reconciler.local.errors import ValidationException
from reconciler.local.protocol import HttpRequest, serialize_error
from reconciler.local.service import LocalCodeArtifact


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    # Headers and body go out in two writes; with Nagle's algorithm the second waits for the
    # client's delayed ACK, adding ~40 ms to every response.
    disable_nagle_algorithm = True
    server: LocalServer

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length < 0:
                raise ValueError(f"negative Content-Length {length}")
            body = self.rfile.read(length) if length else b""
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                body = self._read_chunked()
        except ValueError:
            # The body cannot be framed, so neither can the next request: answer, then hang up.
            self.close_connection = True
            response = serialize_error(
                ValidationException(
                    "The request's Content-Length or chunk sizes are not valid", "CANNOT_PARSE"
                )
            )
        else:
            url = urlsplit(self.path)
            headers = {key.lower(): value for key, value in self.headers.items()}
            response = self.server.service.handle(
                HttpRequest(self.command, url.path, url.query, headers, body)
            )
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
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    # Every method reaches the service, which answers an unknown route with a modeled 400.
    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _serve

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 refuses (or delays by a SYN retry) bursts of new connections.
    request_queue_size = 128

    def __init__(
        self, service: LocalCodeArtifact, host: str = "127.0.0.1", port: int = 0, verbose: bool = False
    ):
        self.service = service
        self.verbose = verbose
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)

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

    def __init__(self, service: LocalCodeArtifact, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = LocalServer(service, host, port)
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
