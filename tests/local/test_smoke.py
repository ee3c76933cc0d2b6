"""The service answers a real boto3 client the same way in process and over HTTP."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest


def _publish(client: Any, version: str, content: bytes = b"payload") -> dict[str, Any]:
    return client.publish_package_version(  # type: ignore[no-any-return]
        domain="acme",
        repository="staging",
        format="generic",
        namespace="tools",
        package="cli",
        packageVersion=version,
        assetContent=content,
        assetName="cli.tar.gz",
        assetSHA256=hashlib.sha256(content).hexdigest(),
    )


@pytest.mark.parametrize("which", ["client", "http_client"])
def test_publish_then_list_returns_the_published_version(which: str, request: pytest.FixtureRequest) -> None:
    client = request.getfixturevalue(which)
    client.create_domain(domain="acme")
    client.create_repository(domain="acme", repository="staging")
    published = _publish(client, "1.0.0")
    listed = client.list_package_versions(
        domain="acme", repository="staging", format="generic", namespace="tools", package="cli"
    )
    assert [v["version"] for v in listed["versions"]] == ["1.0.0"]
    assert listed["versions"][0]["revision"] == published["versionRevision"]
    assert listed["versions"][0]["status"] == "Published"
