"""Attach the service to a boto3 client in process, through botocore's public event system.

The `before-send` event fires after botocore has built, validated and signed the request, so the
client does all of its own work and only the socket is skipped.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ConnectionClosedError

from reconciler.local.protocol import HttpRequest
from reconciler.local.service import LocalCodeArtifact

# Any syntactically valid endpoint will do: nothing is ever sent to it.
IN_PROCESS_ENDPOINT = "https://codeartifact.local.invalid"


class _RawBody(io.BytesIO):
    """What botocore expects of urllib3's response: a file with `stream()`."""

    def stream(self, amt: int = 65536, decode_content: bool | None = None) -> Any:
        while chunk := self.read(amt):
            yield chunk


def attach(client: Any, service: LocalCodeArtifact) -> Any:
    """Route every request `client` makes to `service`; returns the client."""

    def before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        body = request.body
        if body is None:
            content = b""
        elif isinstance(body, bytes | bytearray):
            content = bytes(body)
        elif isinstance(body, str):
            content = body.encode()
        else:  # a file-like payload (PublishPackageVersion's asset)
            content = body.read()
        headers = {
            key.lower(): value.decode() if isinstance(value, bytes) else value
            for key, value in request.headers.items()
        }
        # On the wire the HTTP client adds Host; in process it is taken from the endpoint URL.
        headers.setdefault("host", url.netloc)
        response = service.handle(
            HttpRequest(request.method, url.path or "/", url.query, headers, content, url.scheme)
        )
        if response.drop:
            raise ConnectionClosedError(endpoint_url=request.url)
        return AWSResponse(request.url, response.status, response.headers, _RawBody(response.body))

    client.meta.events.register("before-send.codeartifact", before_send)
    return client


def local_client(
    service: LocalCodeArtifact,
    region: str = "us-east-1",
    *,
    session: boto3.session.Session | None = None,
    **client_kwargs: Any,
) -> Any:
    """A boto3 CodeArtifact client wired to `service` in process, with placeholder credentials (or
    made from `session`, whose credentials are never checked)."""
    if session is None:
        session = boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name=region
        )
    client = session.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT, **client_kwargs)
    return attach(client, service)
