"""`reconciler local serve` answers every request, whatever the client sends: a body too large is a
413, framing that cannot be read a 400, a client that hangs up leaves no traceback, and unsigned or
cross-origin (browser) requests are refused with 403. Raw bytes over real sockets on 127.0.0.1, to a
server in a child process whose stderr the tests read."""

from __future__ import annotations

import io
import json
import socket
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from reconciler.local import BackgroundServer, LocalCodeArtifact, local_client
from reconciler.local.server import binds_loopback_only
from tests.local.builders import write_seed
from tests.local.serving import ServeProcess, boto3_client, running_server, running_servers

pytestmark = pytest.mark.http

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
            versions: ["1.0.0"]
"""
SIGNED = (
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/codeartifact/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64 + "\r\n"
)
LIST_DOMAINS = "POST /v1/domains HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
COORDINATES = "domain=acme&repository=staging&format=generic&namespace=tools&package=cli"
# What a web page's <form enctype="text/plain"> or fetch(..., {mode: "no-cors"}) can send anywhere.
BROWSER_UNLIST = (
    f"POST /v1/package/versions/update_status?{COORDINATES} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    "Content-Type: text/plain\r\nOrigin: https://attacker.example\r\nSec-Fetch-Site: cross-site\r\n"
    "Content-Length: {length}\r\n\r\n{body}"
)
UNLIST_BODY = '{"versions": ["1.0.0"], "targetStatus": "Unlisted"}'


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServeProcess, ServeProcess]]:
    """Two servers of the seed: the default one, and one with --no-auth-check."""
    workdir = tmp_path_factory.mktemp("hostile")
    seed_file = str(write_seed(workdir, SEED))
    with running_servers(
        workdir,
        ["--db", ":memory:", "--seed-file", seed_file],
        ["--db", ":memory:", "--seed-file", seed_file, "--no-auth-check"],
    ) as (checked, unchecked):
        yield checked, unchecked


@pytest.fixture
def server(servers: tuple[ServeProcess, ServeProcess]) -> ServeProcess:
    return servers[0]


def _address(server: ServeProcess | BackgroundServer) -> tuple[str, int]:
    url = urlsplit(server.endpoint_url)
    assert url.hostname == "127.0.0.1" and url.port
    return url.hostname, url.port


def exchange(server: ServeProcess | BackgroundServer, data: str | bytes) -> tuple[int, dict[str, Any]]:
    """Send `data` on a new connection and read until the server closes it: (status, JSON body or {})."""
    with socket.create_connection(_address(server), timeout=10) as connection:
        connection.sendall(data.encode() if isinstance(data, str) else data)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body.startswith(b"{") else {}


def _serves(server: ServeProcess | BackgroundServer) -> bool:
    status, body = exchange(server, LIST_DOMAINS + SIGNED + "Content-Length: 2\r\n\r\n{}")
    return status == 200 and [domain["name"] for domain in body["domains"]] == ["acme"]


# --- size and framing ----------------------------------------------------------------------------


@pytest.mark.parametrize("length", [10**12, 2**63, 10**18 + 1], ids=["10^12", "2^63", "10^18+1"])
def test_a_body_larger_than_the_limit_is_a_413_and_the_server_serves_on(
    server: ServeProcess, length: int
) -> None:
    status, body = exchange(server, LIST_DOMAINS + SIGNED + f"Content-Length: {length}\r\n\r\n{{}}")

    assert status == 413
    assert body["message"] == "The request body is larger than this service accepts (1000000000 bytes)"
    assert _serves(server)


MALFORMED = {
    "content-length not a number": "Content-Length: two\r\n\r\n{}",
    "content-length negative": "Content-Length: -5\r\n\r\n{}",
    "content-length with a sign": "Content-Length: +2\r\n\r\n{}",
    "content-length with underscores": "Content-Length: 0_2\r\n\r\n{}",
    "content-length of 10^40": f"Content-Length: {10**40}\r\n\r\n{{}}",
    "two content-lengths": "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    "content-length and chunked": "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "transfer-encoding not chunked": "Transfer-Encoding: gzip\r\n\r\n{}",
    "chunk size not hex": "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "chunk size negative": "Transfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n",
    "chunk longer than its size": "Transfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n",
    "chunk-size line too long": "Transfer-Encoding: chunked\r\n\r\n" + "0" * 5000 + "2\r\n{}\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_framing_that_cannot_be_read_is_a_400(server: ServeProcess, case: str) -> None:
    status, body = exchange(server, LIST_DOMAINS + SIGNED + MALFORMED[case])

    assert status == 400
    assert body["reason"] == "CANNOT_PARSE"


@pytest.mark.parametrize(
    "line",
    [
        b"GARBAGE\r\n\r\n",
        b"\r\nHost: x\r\n\r\n",  # an empty request line
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",  # a TLS hello
        b"GET / HTTP/9\r\n\r\n",
        b"POST /v1/domains HTTP/0.9\r\n\r\n",  # 0.9 would be answered with no status line
        b"BREW /v1/domains HTTP/1.1\r\n\r\n",
        b"POST /v1/domains HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n",
    ],
)
def test_a_request_line_that_cannot_be_parsed_is_a_400(server: ServeProcess, line: bytes) -> None:
    status, body = exchange(server, line)

    assert status in (400, 431), body  # 431: too many header fields
    assert body["reason"] == "CANNOT_PARSE"
    assert _serves(server)


def test_a_chunked_body_is_served(server: ServeProcess) -> None:
    status, body = exchange(
        server,
        LIST_DOMAINS
        + SIGNED
        + "Transfer-Encoding: chunked\r\n\r\n1;ext=1\r\n{\r\n1\r\n}\r\n0\r\nX-T: 1\r\n\r\n",
    )

    assert status == 200
    assert [domain["name"] for domain in body["domains"]] == ["acme"]


def test_a_chunked_body_over_the_limit_is_a_413(service: LocalCodeArtifact) -> None:
    with BackgroundServer(service, max_request_bytes=3) as small:
        chunks = "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n2\r\n{}\r\n0\r\n\r\n"
        assert exchange(small, LIST_DOMAINS + SIGNED + chunks)[0] == 413
        assert exchange(small, LIST_DOMAINS + SIGNED + "Content-Length: 4\r\n\r\n{}{}")[0] == 413


# --- clients that hang up ------------------------------------------------------------------------


def _reset(connection: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a client that crashes does."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def test_clients_that_hang_up_mid_request_or_before_the_answer_leave_no_traceback(
    server: ServeProcess,
) -> None:
    address = _address(server)
    for _ in range(5):
        # Half a body, then gone.
        with socket.create_connection(address, timeout=10) as connection:
            connection.sendall((LIST_DOMAINS + SIGNED + "Content-Length: 100\r\n\r\n{").encode())
        # Half a chunked body, then reset.
        connection = socket.create_connection(address, timeout=10)
        connection.sendall((LIST_DOMAINS + SIGNED + "Transfer-Encoding: chunked\r\n\r\n10\r\n{").encode())
        _reset(connection)
        # A whole request, then a reset before the answer is written.
        connection = socket.create_connection(address, timeout=10)
        connection.sendall((LIST_DOMAINS + SIGNED + "Content-Length: 2\r\n\r\n{}").encode())
        _reset(connection)

    assert _serves(server)
    assert "Traceback" not in server.stderr
    assert "Error" not in server.stderr


def test_a_client_that_stops_sending_is_disconnected_and_others_are_served_meanwhile(
    service: LocalCodeArtifact,
) -> None:
    # Half a body, then silence with the connection held open: the server's read gives up after its
    # read timeout and closes the connection, so no thread waits on it forever.
    with BackgroundServer(service, read_timeout=0.5) as server:
        local_client(service).create_domain(domain="acme")
        with socket.create_connection(_address(server), timeout=30) as stalled:
            stalled.sendall((LIST_DOMAINS + SIGNED + "Content-Length: 100\r\n\r\n{").encode())
            assert _serves(server)  # other clients are served while it stalls
            closed = stalled.recv(65536)  # blocks until the server gives up on it
        assert closed == b"" or closed.startswith(b"HTTP/1.1 4")
        assert _serves(server)


# --- the browser guard ---------------------------------------------------------------------------


def test_an_unsigned_request_is_refused_with_403_unless_the_auth_check_is_off(
    servers: tuple[ServeProcess, ServeProcess],
) -> None:
    checked, unchecked = servers
    unsigned = LIST_DOMAINS + "Content-Length: 2\r\n\r\n{}"

    status, body = exchange(checked, unsigned)
    assert status == 403
    assert body["message"].startswith("The request is not signed")
    assert (
        exchange(checked, LIST_DOMAINS + "Authorization: Basic eDp5\r\nContent-Length: 2\r\n\r\n{}")[0] == 403
    )
    assert exchange(unchecked, unsigned)[0] == 200


@pytest.mark.parametrize(
    "header",
    [
        "Origin: https://attacker.example",
        "Origin: null",
        "Sec-Fetch-Site: cross-site",
        "Sec-Fetch-Site: same-site",
    ],
)
def test_a_request_from_a_web_page_is_refused_with_403_even_signed_and_without_the_auth_check(
    servers: tuple[ServeProcess, ServeProcess], header: str
) -> None:
    for server in servers:
        status, body = exchange(server, LIST_DOMAINS + SIGNED + header + "\r\nContent-Length: 2\r\n\r\n{}")
        assert status == 403
        assert body["message"].startswith("Requests from web pages are refused")


def test_a_cross_origin_text_plain_post_changes_nothing(servers: tuple[ServeProcess, ServeProcess]) -> None:
    for server in servers:
        request = BROWSER_UNLIST.format(length=len(UNLIST_BODY), body=UNLIST_BODY)
        assert exchange(server, request)[0] == 403
        listed = boto3_client(server.endpoint_url).list_package_versions(
            domain="acme", repository="staging", format="generic", namespace="tools", package="cli"
        )
        assert {v["version"]: v["status"] for v in listed["versions"]} == {"1.0.0": "Published"}


def test_a_signed_request_the_user_makes_is_served(server: ServeProcess) -> None:
    for header in ("", "Sec-Fetch-Site: none\r\n", "Sec-Fetch-Site: same-origin\r\n"):
        status, _ = exchange(server, LIST_DOMAINS + SIGNED + header + "Content-Length: 2\r\n\r\n{}")
        assert status == 200


# --- binding ---------------------------------------------------------------------------------------


def test_binding_beyond_loopback_warns_that_nothing_is_authenticated(
    tmp_path: Path, server: ServeProcess
) -> None:
    with running_server(tmp_path, "--db", ":memory:", "--host", "0.0.0.0") as wildcard:
        assert exchange(wildcard, LIST_DOMAINS + SIGNED + "Content-Length: 2\r\n\r\n{}")[0] == 200
        warning = wildcard.stderr

    assert warning.startswith("Warning: listening on 0.0.0.0, reachable from other machines;")
    assert "authenticates nobody" in warning
    assert "Warning" not in server.stderr  # 127.0.0.1, the default: no warning


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.1.2.3", False),
    ],
)
def test_only_loopback_addresses_count_as_this_machine_only(host: str, loopback: bool) -> None:
    assert binds_loopback_only(host) is loopback


@pytest.mark.parametrize("length", ["two", "-5", "1_0", "٣"])
def test_the_wsgi_application_answers_a_bad_content_length_with_a_400(
    service: LocalCodeArtifact, length: str
) -> None:
    started: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/v1/domains",
        "CONTENT_LENGTH": length,
        "wsgi.input": io.BytesIO(b"{}"),
    }

    body = b"".join(service.wsgi(environ, lambda status, headers: started.append(status)))

    assert started == ["400 Bad Request"]
    assert json.loads(body)["reason"] == "CANNOT_PARSE"
