"""Requests to the local CodeArtifact service, for fuzz-api: built from botocore's own model, or bytes
no HTTP client would send.

`parameters` fills an operation's input shape with values that fit it, mostly names the example data
holds (domain acme, repositories staging and prod, its packages and versions) so that requests reach
the operations' logic, not only their validation; `mutated` then breaks them: a required member left
out, an unknown one added, a value of the wrong shape, out of its range, huge, exotic Unicode, a wrong
enum. `http_request` lays parameters out as the model's REST-JSON protocol says (URI, query string,
headers, JSON body or payload), without botocore, so anything can be sent. `malformed` is raw bytes:
bad request lines, framing, bodies, methods and paths, and clients that hang up early.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from botocore.model import OperationModel, Shape, StructureShape

from tests.reliability import generators as gen

SIGNED = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/codeartifact/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
)
# Names the example data (manifests/local/example-data.yaml) holds, by member name.
KNOWN: dict[str, list[Any]] = {
    "domain": ["acme", "acme", "other"],
    "domainOwner": ["111122223333", "111122223333", "999999999999"],
    "repository": ["staging", "prod", "npm-proxy", "nope"],
    "sourceRepository": ["staging", "prod", "npm-proxy"],
    "destinationRepository": ["prod", "staging"],
    "namespace": ["acme", "tools", "com.acme"],
    "package": [
        "web-sdk",
        "lodash",
        "acme-data",
        "deploy-cli",
        "Acme.Logging",
        "acme-core",
        "billing-service",
    ],
    "packageVersion": ["1.0.0", "2.1.0", "0.9.0", "4.17.21"],
    "versions": [["1.0.0"], ["2.1.0", "2.2.0"], ["0.9.0", "0.10.1", "0.11.0"]],
    "expectedStatus": ["Published", "Unlisted", "Archived"],
    "targetStatus": ["Published", "Unlisted", "Archived"],
    "packageGroup": ["/npm/acme/*", "/*"],
    "externalConnection": ["public:npmjs", "public:pypi"],
    "resourceArn": ["arn:aws:codeartifact:us-east-1:111122223333:domain/acme"],
}
HUGE = [10**5, 10**6]
EXOTIC = [
    "\U0001f600" * 3,
    "\u202e",
    "\x00",
    "a\r\nX-Injected: 1",
    "\ud800",
    "caf\u00e9",
    "\ufeff",
    "%00",
    "../..",
]


def _string(rng: random.Random, name: str, shape: Shape) -> str:
    enum = shape.metadata.get("enum")
    if enum:
        return str(rng.choice(enum))
    low, high = shape.metadata.get("min", 1), min(shape.metadata.get("max", 40), 40)
    return "".join(
        rng.choice("abcdefghijklmnopqrstuvwxyz0123456789.-") for _ in range(rng.randint(low, max(low, high)))
    )


def value_of(rng: random.Random, name: str, shape: Shape, depth: int = 0) -> Any:
    """A value that fits `shape` (named `name` in its structure): a known name, mostly."""
    if name in KNOWN and rng.random() < 0.8:
        return rng.choice(KNOWN[name])
    kind = shape.type_name
    if kind == "structure" and depth < 4:
        return parameters(rng, shape, depth + 1)  # type: ignore[arg-type]
    if kind == "list" and depth < 4:
        member = shape.member  # type: ignore[attr-defined]
        return [value_of(rng, name, member, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "map" and depth < 4:
        key, item = shape.key, shape.value  # type: ignore[attr-defined]
        return {
            value_of(rng, "key", key, depth + 1): value_of(rng, name, item, depth + 1)
            for _ in range(rng.randint(0, 2))
        }
    if kind in ("integer", "long"):
        return rng.randint(shape.metadata.get("min", 0), min(shape.metadata.get("max", 1000), 1000))
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "blob":
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
    if kind == "timestamp":
        return rng.randint(0, 2_000_000_000)
    return _string(rng, name, shape)


def parameters(rng: random.Random, shape: StructureShape | None, depth: int = 0) -> dict[str, Any]:
    """Every required member of `shape`, and each optional one with even odds."""
    if shape is None:
        return {}
    required = set(shape.required_members)
    return {
        name: value_of(rng, name, member, depth)
        for name, member in shape.members.items()
        if name in required or rng.random() < 0.5
    }


def wrong_value(rng: random.Random, shape: Shape | None) -> Any:
    """A value that does not fit: another type, out of range, huge, exotic Unicode, a wrong enum."""
    pick = rng.random()
    metadata = shape.metadata if shape is not None else {}
    if pick < 0.25:
        return rng.choice(
            [None, True, 0, -1, 2**63, -(2**63) - 1, 1.5, "", [], {}, [1, "a"], {"a": {"b": []}}]
        )
    if pick < 0.45 and shape is not None and shape.type_name in ("integer", "long"):
        return rng.choice([metadata.get("min", 0) - 1, metadata.get("max", 10**6) + 1, 10**30, "12", "x"])
    if pick < 0.6:
        return "a" * rng.choice([metadata.get("max", 300) + 1, *HUGE])
    if pick < 0.8:
        return rng.choice(EXOTIC) * rng.randint(1, 3)
    if pick < 0.9 and metadata.get("enum"):
        return rng.choice(
            [str(metadata["enum"][0]).upper() + "X", str(metadata["enum"][0]).swapcase(), "NotAnEnum"]
        )
    return gen.value(rng)


def mutated(
    rng: random.Random, operation: OperationModel, params: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """`params` broken in one to three ways, and what was done; one request in five is left valid."""
    shape = operation.input_shape
    members = dict(shape.members) if shape is not None else {}
    done = []
    for _ in range(0 if rng.random() < 0.2 else rng.randint(1, 3)):
        what = rng.choice(["drop", "unknown", "wrong", "wrong", "wrong"])
        if what == "drop" and params:
            name = rng.choice(sorted(params))
            del params[name]
        elif what == "unknown":
            name = rng.choice(["bogusMember", "Domain", "__type", gen.text(rng, 6)])
            params[name] = gen.value(rng)
        elif members:
            name = rng.choice(sorted(members))
            params[name] = wrong_value(rng, members[name])
        else:
            continue
        done.append(f"{what} {name!r}")
    return params, ", ".join(done) or "valid"


# --- the REST-JSON protocol by hand


@dataclass
class Request:
    method: str
    target: str  # path and query string, percent-encoded
    headers: dict[str, bytes]
    body: bytes


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _quoted(value: Any) -> str:
    return quote(_text(value).encode("utf-8", "surrogatepass"), safe="")


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def http_request(operation: OperationModel, params: dict[str, Any]) -> Request:
    """`params` where the model says each travels; members it does not know go in the JSON body."""
    shape = operation.input_shape
    members = dict(shape.members) if shape is not None else {}
    payload = shape.serialization.get("payload") if shape is not None else None
    query: list[str] = []
    headers = {"Authorization": SIGNED.encode(), "Content-Type": b"application/json", "Connection": b"close"}
    body: dict[str, Any] = {}
    raw_body = b""
    for name, value in params.items():
        member = members.get(name)
        location = member.serialization.get("location") if member is not None else None
        wire = member.serialization.get("name", name) if member is not None else name
        if location == "querystring":
            for item in value if isinstance(value, list) else [value]:
                query.append(f"{quote(wire)}={_quoted(item)}")
        elif location == "header":
            headers[wire] = (
                _text(value).encode("utf-8", "surrogatepass").replace(b"\r", b"").replace(b"\n", b"")
            )
        elif name == payload:
            raw_body = value if isinstance(value, bytes) else _text(value).encode("utf-8", "surrogatepass")
        else:
            body[name] = _jsonable(value)
    if payload is None:
        raw_body = json.dumps(body, default=str).encode("utf-8", "surrogatepass") if body else b"{}"
    uri = operation.http["requestUri"]
    target = uri + ("&" if "?" in uri else "?") + "&".join(query) if query else uri
    return Request(operation.http["method"], target, headers, raw_body)


def encoded(request: Request) -> bytes:
    head = f"{request.method} {request.target} HTTP/1.1\r\nHost: localhost\r\n".encode()
    for name, value in request.headers.items():
        head += name.encode() + b": " + value + b"\r\n"
    return head + f"Content-Length: {len(request.body)}\r\n\r\n".encode() + request.body


# --- bytes no client would send


@dataclass
class Malformed:
    """Raw bytes to send; `hang_up` closes the connection after them without reading an answer
    (a truncated request, a slow client giving up), else one answer is expected."""

    name: str
    data: bytes
    hang_up: bool = False


_OK = "POST /v1/domains HTTP/1.1\r\nHost: x\r\nAuthorization: " + SIGNED + "\r\n"
_WRITE = (
    "POST /v1/package/versions/update_status?domain=acme&repository=staging&format=npm&package=acme-cli"
    " HTTP/1.1\r\nHost: x\r\nAuthorization: " + SIGNED + "\r\n"
)


def malformed(rng: random.Random) -> Malformed:
    return rng.choice(_MALFORMED)(rng)


def _request_line(rng: random.Random) -> Malformed:
    line = rng.choice(
        [
            b"GARBAGE",
            b"POST",
            b"POST /v1/domains",
            b"POST /v1/domains HTTP/0.9",
            b"POST /v1/domains HTTP/2.0",
            b"POST /v1/domains HTTP/1.1 extra",
            b"post /v1/domains HTTP/1.1",
            b"BREW /v1/domains HTTP/1.1",
            b"POST http://x/v1/domains HTTP/1.1",
            b"POST * HTTP/1.1",
            b"POST /v1/" + b"a" * 70_000 + b" HTTP/1.1",
            b"POST /v1/\xff\xfe\x00 HTTP/1.1",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
            b"",
            bytes(rng.randrange(256) for _ in range(rng.randint(1, 200))).replace(b"\n", b""),
        ]
    )
    return Malformed("request line", line + b"\r\nHost: x\r\n\r\n")


def _framing(rng: random.Random) -> Malformed:
    header = rng.choice(
        [
            "Content-Length: two",
            "Content-Length: -5",
            "Content-Length: +2",
            "Content-Length: 2\r\nContent-Length: 3",
            "Content-Length: 2\r\nContent-Length: 2",
            f"Content-Length: {10**12}",
            f"Content-Length: {2**63}",
            f"Content-Length: {10**40}",
            "Content-Length: 2\r\nTransfer-Encoding: chunked",
            "Transfer-Encoding: gzip",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
            "Content-Length:  2 ",
            "Content-Length: 0x2",
        ]
    )
    return Malformed("framing", f"{_OK}{header}\r\n\r\n{{}}".encode())


def _chunked(rng: random.Random) -> Malformed:
    body = rng.choice(
        [
            b"zz\r\n{}\r\n0\r\n\r\n",
            b"-2\r\n{}\r\n0\r\n\r\n",
            b"1\r\n{}\r\n0\r\n\r\n",
            b"0" * 5000 + b"2\r\n{}\r\n0\r\n\r\n",
            b"2;" + b"x" * 3000 + b"\r\n{}\r\n0\r\n\r\n",
            b"ffffffffffffffff\r\n{}\r\n0\r\n\r\n",
            b"2\r\n{}\r\n0\r\n" + b"X: y\r\n" * 150 + b"\r\n",
            b"2\r\n{}0\r\n\r\n",
            b"1;ext=1\r\n{\r\n1\r\n}\r\n0\r\n\r\n",
        ]
    )
    return Malformed("chunked", _OK.encode() + b"Transfer-Encoding: chunked\r\n\r\n" + body)


def _body(rng: random.Random) -> Malformed:
    body = rng.choice(
        [
            b"not json",
            b"\xff\xfe{}",
            b'{"versions": ["\xc3\x28"], "targetStatus": "Unlisted"}',
            b"[]",
            b"null",
            b'"{}"',
            b"[" * 100_000 + b"]" * 100_000,
            b'{"a": ' * 50_000 + b"1" + b"}" * 50_000,
            b'{"versions": [' + b"9" * 5000 + b'], "targetStatus": "Unlisted"}',
            b'{"versions": ["1.0.0"], "targetStatus": "Unlisted", "targetStatus": "Archived"}',
            b'{"versions": ["1.0.0"], "targetStatus": "Unlisted", "expectedStatus": 1e999}',
            b'{"versions": ["1.0.0"], "targetStatus": NaN}',
            b'{"versions": "1.0.0", "targetStatus": "Unlisted"}',
            b'{"versions": [["1.0.0"]], "targetStatus": "Unlisted"}',
            b'{"versions": ["\\ud800"], "targetStatus": "Unlisted"}',
            b"{}",
        ]
    )
    start = rng.choice([_OK, _WRITE])
    return Malformed("body", f"{start}Content-Length: {len(body)}\r\n\r\n".encode() + body)


def _route(rng: random.Random) -> Malformed:
    line = rng.choice(
        [
            "GET /v1/domains",
            "DELETE /",
            "PUT /v1/domain?domain=acme",
            "POST /v1/../etc/passwd",
            "POST /v1/domains/",
            "POST //v1/domains",
            "POST /v1/domains?%zz=1",
            "POST /v1/domain?domain=acme&domain=other",
            "POST /v1/domain?domain=%ff%fe",
            "HEAD /v1/domains",
            "OPTIONS /v1/domains",
            "PATCH /v1/domains",
            "POST /v2/domains",
        ]
    )
    return Malformed(
        "route",
        f"{line} HTTP/1.1\r\nHost: x\r\nAuthorization: {SIGNED}\r\nContent-Length: 2\r\n\r\n{{}}".encode(),
    )


def _headers(rng: random.Random) -> Malformed:
    header = rng.choice(
        [
            b"NoColonHere",
            b"X-Folded: a\r\n b",
            b"X-Big: " + b"a" * 70_000,
            b"X: y\r\n" * 150 + b"X: y",
            b"X-Bytes: \xff\xfe\x80",
            b"Origin: https://attacker.example",
            b"Sec-Fetch-Site: cross-site",
            b"Authorization: Bearer x",
            b"Authorization: AWS4-HMAC-SHA256",
            b"x-amz-content-sha256: " + b"z" * 64,
            b": empty-name",
        ]
    )
    start = _OK if not header.startswith(b"Authorization") else "POST /v1/domains HTTP/1.1\r\nHost: x\r\n"
    return Malformed("headers", start.encode() + header + b"\r\nContent-Length: 2\r\n\r\n{}")


_UNLIST = '{"versions": ["1.0.0"], "targetStatus": "Unlisted"}'


def _hang_up(rng: random.Random) -> Malformed:
    whole = f"{_WRITE}Content-Length: {len(_UNLIST)}\r\n\r\n{_UNLIST}".encode()
    return Malformed("hang up", whole[: rng.randint(0, len(whole) - 1)], hang_up=True)


def _unsigned(rng: random.Random) -> Malformed:
    unsigned = _WRITE.split("Authorization")[0]
    return Malformed("unsigned write", f"{unsigned}Content-Length: {len(_UNLIST)}\r\n\r\n{_UNLIST}".encode())


_MALFORMED = [
    _request_line,
    _framing,
    _chunked,
    _body,
    _body,
    _route,
    _headers,
    _hang_up,
    _hang_up,
    _unsigned,
]
