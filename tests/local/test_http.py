"""The service over real HTTP: boto3's whole lifecycle, and raw malformed requests that must get a
modeled 4xx (never a 5xx, a dropped connection or a traceback)."""

from __future__ import annotations

import hashlib
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from reconciler.local import BackgroundServer, LocalCodeArtifact
from tests.local.builders import (
    DOMAIN,
    REPO,
    coordinates,
    generic,
    publish,
    raises_client_error,
    seed_packages,
    setup_repository,
    statuses,
)

pytestmark = pytest.mark.http

QUERY = "domain=acme&repository=staging&format=generic&namespace=tools&package=cli"
# What the server's browser guard looks for (it checks the shape, not the signature).
SIGNED = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/codeartifact/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
}


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        decoded = json.loads(self.body)
        assert isinstance(decoded, dict)
        return decoded


@pytest.fixture
def raw(service: LocalCodeArtifact, server: BackgroundServer) -> Iterator[Any]:
    seed_packages(service, [generic(["1.0.0", "2.0.0"])])
    address = urlsplit(server.endpoint_url)
    connections: list[http.client.HTTPConnection] = []

    def send(
        method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> RawResponse:
        connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=10)
        connections.append(connection)
        connection.request(method, path, body=body, headers={**SIGNED, **(headers or {})})
        response = connection.getresponse()
        return RawResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())

    yield send
    for connection in connections:
        connection.close()


def _assert_modeled_client_error(response: RawResponse, code: str = "ValidationException") -> dict[str, Any]:
    assert 400 <= response.status < 500, response
    assert response.headers["x-amzn-errortype"] == code
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert isinstance(body["message"], str)
    assert body["message"]
    assert "Traceback" not in body["message"]
    return body


MALFORMED: dict[str, tuple[str, str, bytes | None, dict[str, str]]] = {
    "unknown path": ("POST", "/v1/nothing-here", b"{}", {}),
    "root path": ("GET", "/", None, {}),
    "wrong method": ("GET", f"/v1/package/versions?{QUERY}", None, {}),
    "delete method": ("DELETE", f"/v1/package/version?{QUERY}&version=1.0.0", None, {}),
    "patch method": ("PATCH", f"/v1/domain?domain={DOMAIN}", b"{}", {}),
    "options method": ("OPTIONS", "/v1/domains", None, {}),
    "body not json": (
        "POST",
        f"/v1/package/versions/update_status?{QUERY}",
        b"versions=1.0.0",
        {"Content-Type": "application/json"},
    ),
    "body not utf-8": ("POST", "/v1/domains", b"\xff\xfe\x00", {"Content-Type": "application/json"}),
    "body a json array": ("POST", "/v1/domains", b"[]", {"Content-Type": "application/json"}),
    "body nested too deeply": ("POST", "/v1/domains", b"[" * 50_000 + b"]" * 50_000, {}),
    "integer not an integer": ("POST", f"/v1/package/versions?{QUERY}&max-results=ten", None, {}),
    "integer a float": ("POST", f"/v1/package/versions?{QUERY}&max-results=1.5", None, {}),
    "integer in body a string": ("POST", "/v1/domains", b'{"maxResults": "10"}', {}),
    "boolean not a boolean": (
        "POST",
        f"/v1/package/version/publish?{QUERY}&version=3.0.0&asset=a.bin&unfinished=maybe",
        b"x",
        {"x-amz-content-sha256": hashlib.sha256(b"x").hexdigest()},
    ),
    "boolean in body a string": (
        "POST",
        f"/v1/package/versions/copy?domain={DOMAIN}&source-repository={REPO}&destination-repository=prod"
        "&format=generic&namespace=tools&package=cli",
        b'{"versions": ["1.0.0"], "allowOverwrite": "yes"}',
        {},
    ),
    "missing required query member": (
        "POST",
        "/v1/package/versions?domain=acme&repository=staging",
        None,
        {},
    ),
    "missing required body member": (
        "POST",
        f"/v1/package/versions/update_status?{QUERY}",
        b'{"versions": ["1.0.0"]}',
        {},
    ),
    "missing required header": (
        "POST",
        f"/v1/package/version/publish?{QUERY}&version=3.0.0&asset=a.bin",
        b"x",
        {},
    ),
    "sha256 header not hex": (
        "POST",
        f"/v1/package/version/publish?{QUERY}&version=3.0.0&asset=a.bin",
        b"x",
        {"x-amz-content-sha256": "Z" * 64},
    ),
    "bad percent encoding": ("GET", "/v1/domain?domain=%ff%fe", None, {}),
    "empty required value": ("GET", "/v1/domain?domain=", None, {}),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_requests_get_a_modeled_client_error(raw: Any, case: str) -> None:
    method, path, body, headers = MALFORMED[case]
    _assert_modeled_client_error(raw(method, path, body, headers))


def test_an_unknown_path_is_an_unknown_operation(raw: Any) -> None:
    body = _assert_modeled_client_error(raw("POST", "/v1/nothing-here", b"{}"))
    assert body["reason"] == "UNKNOWN_OPERATION"


def test_missing_required_members_are_all_named(raw: Any) -> None:
    body = _assert_modeled_client_error(raw("POST", "/v1/package/versions?domain=acme&repository=staging"))
    assert body["reason"] == "FIELD_VALIDATION_FAILED"
    assert "at 'format'" in body["message"]
    assert "at 'package'" in body["message"]


def test_a_content_length_that_is_not_a_number_is_a_client_error(raw: Any) -> None:
    _assert_modeled_client_error(raw("POST", "/v1/domains", b"{}", {"Content-Length": "two"}))


def test_a_negative_content_length_is_a_client_error(raw: Any) -> None:
    _assert_modeled_client_error(raw("POST", "/v1/domains", b"", {"Content-Length": "-5"}))


def test_a_bad_request_leaves_the_server_serving(raw: Any, http_client: Any) -> None:
    raw("POST", "/v1/domains", b"{}", {"Content-Length": "two"})
    raw("PATCH", "/v1/domains")
    assert [d["name"] for d in http_client.list_domains()["domains"]] == [DOMAIN]


def test_a_missing_resource_is_a_404_with_its_type_in_the_body(raw: Any) -> None:
    response = raw("GET", "/v1/repository?domain=acme&repository=ghost")
    body = _assert_modeled_client_error(response, "ResourceNotFoundException")
    assert response.status == 404
    assert body["resourceType"] == "repository"
    assert body["resourceId"] == "ghost"
    assert response.headers["x-amzn-requestid"]


def test_urllib_sees_the_same_error_contract(server: BackgroundServer) -> None:
    request = urllib.request.Request(
        f"{server.endpoint_url}/v1/domain?domain=Bad_Domain", method="GET", headers=SIGNED
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400
    assert caught.value.headers["x-amzn-ErrorType"] == "ValidationException"
    assert json.loads(caught.value.read())["reason"] == "FIELD_VALIDATION_FAILED"


def test_a_successful_answer_is_json_with_a_request_id(raw: Any) -> None:
    response = raw("POST", "/v1/domains", b"{}", {"Content-Type": "application/json"})
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-amzn-requestid"]
    assert [d["name"] for d in response.json()["domains"]] == [DOMAIN]


def test_a_read_without_body_or_content_type_is_served(raw: Any) -> None:
    response = raw("POST", f"/v1/package/versions?{QUERY}&sortBy=PUBLISHED_TIME&max-results=1")
    assert response.status == 200
    body = response.json()
    assert [v["version"] for v in body["versions"]] == ["2.0.0"]
    assert isinstance(body["nextToken"], str)


def test_an_asset_downloads_as_raw_bytes_with_its_headers(raw: Any) -> None:
    response = raw("GET", f"/v1/package/version/asset?{QUERY}&version=1.0.0&asset=cli-1.0.0.bin")
    assert response.status == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-assetname"] == "cli-1.0.0.bin"
    assert response.headers["x-packageversion"] == "1.0.0"
    assert len(response.headers["x-packageversionrevision"]) == 44
    assert response.body == b"generic:tools:cli@1.0.0\n"


def test_the_whole_lifecycle_over_http(http_client: Any) -> None:
    setup_repository(http_client, REPO, "prod")
    publish(http_client, "1.0.0", b"one", asset="one.bin", unfinished=True)
    published = publish(http_client, "1.0.0", b"two", asset="two.bin")
    publish(http_client, "2.0.0", b"next")

    copied = http_client.copy_package_versions(
        domain=DOMAIN,
        sourceRepository=REPO,
        destinationRepository="prod",
        format="generic",
        namespace="tools",
        package="cli",
        versions=["1.0.0", "2.0.0"],
    )
    archived = http_client.update_package_versions_status(
        **coordinates(), versions=["1.0.0"], expectedStatus="Published", targetStatus="Archived"
    )
    disposed = http_client.dispose_package_versions(
        **coordinates(), versions=["1.0.0"], expectedStatus="Archived"
    )
    deleted = http_client.delete_package_versions(**coordinates(repository="prod"), versions=["2.0.0"])

    assert set(copied["successfulVersions"]) == {"1.0.0", "2.0.0"}
    assert archived["successfulVersions"]["1.0.0"] == {
        "revision": published["versionRevision"],
        "status": "Archived",
    }
    assert disposed["successfulVersions"]["1.0.0"]["status"] == "Disposed"
    assert deleted["successfulVersions"]["2.0.0"]["status"] == "Deleted"
    assert statuses(http_client) == {"1.0.0": "Disposed", "2.0.0": "Published"}
    assert statuses(http_client, repository="prod") == {"1.0.0": "Published"}
    download = http_client.get_package_version_asset(
        **coordinates(repository="prod"), packageVersion="1.0.0", asset="two.bin"
    )
    assert download["asset"].read() == b"two"
    with raises_client_error("ConflictException"):
        http_client.get_package_version_asset(**coordinates(), packageVersion="1.0.0", asset="two.bin")
