"""The local service over real HTTP: a threaded server bound to loopback unless told otherwise."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from reconciler.local.protocol import HttpRequest
from reconciler.local.service import LocalCodeArtifact


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    server: LocalServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        url = urlsplit(self.path)
        headers = {key.lower(): value for key, value in self.headers.items()}
        response = self.server.service.handle(HttpRequest(self.command, url.path, url.query, headers, body))
        if response.drop:
            # Close the socket with no answer at all: the client sees a dropped connection.
            self.close_connection = True
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

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, service: LocalCodeArtifact, host: str = "127.0.0.1", port: int = 0, verbose: bool = False
    ):
        self.service = service
        self.verbose = verbose
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)

    @property
    def endpoint_url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"


class BackgroundServer:
    """A `LocalServer` on a thread of this process, for tests and the embedded default."""

    def __init__(self, service: LocalCodeArtifact, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = LocalServer(service, host, port)
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="local-codeartifact", daemon=True
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
