"""Small builders for the local service's contract tests: data set up through the API or a seed."""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from reconciler.local import LocalCodeArtifact
from reconciler.local.seed import SeedDocument, seed_service

DOMAIN = "acme"
REPO = "staging"
NAMESPACE = "tools"
PACKAGE = "cli"
HASH_KEYS = {"MD5", "SHA-1", "SHA-256", "SHA-512"}


def setup_repository(client: Any, *repositories: str, domain: str = DOMAIN) -> None:
    """A domain and, in order, repositories in it (each created with no upstreams)."""
    client.create_domain(domain=domain)
    for repository in repositories or (REPO,):
        client.create_repository(domain=domain, repository=repository)


def publish(
    client: Any,
    version: str,
    content: bytes = b"payload",
    *,
    asset: str = "cli.tar.gz",
    unfinished: bool | None = None,
    repository: str = REPO,
    package: str = PACKAGE,
    namespace: str = NAMESPACE,
    sha256: str | None = None,
) -> dict[str, Any]:
    """Publish one asset of a generic package version."""
    params: dict[str, Any] = {
        "domain": DOMAIN,
        "repository": repository,
        "format": "generic",
        "namespace": namespace,
        "package": package,
        "packageVersion": version,
        "assetContent": content,
        "assetName": asset,
        "assetSHA256": sha256 or hashlib.sha256(content).hexdigest(),
    }
    if unfinished is not None:
        params["unfinished"] = unfinished
    return client.publish_package_version(**params)  # type: ignore[no-any-return]


def coordinates(
    repository: str = REPO, package: str = PACKAGE, namespace: str | None = NAMESPACE, format: str = "generic"
) -> dict[str, str]:
    """The keyword arguments naming one package in one repository."""
    found = {"domain": DOMAIN, "repository": repository, "format": format, "package": package}
    if namespace is not None:
        found["namespace"] = namespace
    return found


def copy_versions(
    client: Any, source: str, target: str, versions: list[str] | None = None, **params: Any
) -> dict[str, Any]:
    """CopyPackageVersions of the generic package tools/cli: `versions`, or what `params` select."""
    if versions is not None:
        params["versions"] = versions
    return client.copy_package_versions(  # type: ignore[no-any-return]
        domain=DOMAIN,
        sourceRepository=source,
        destinationRepository=target,
        format="generic",
        namespace=NAMESPACE,
        package=PACKAGE,
        **params,
    )


def put_origin(client: Any, publish: str, upstream: str, **params: Any) -> dict[str, Any]:
    """PutPackageOriginConfiguration of the generic package tools/cli, `params` overriding its coordinates."""
    return client.put_package_origin_configuration(  # type: ignore[no-any-return]
        **{**coordinates(), **params}, restrictions={"publish": publish, "upstream": upstream}
    )


def list_versions(client: Any, **params: Any) -> list[str]:
    merged = {**coordinates(), **params}
    return [v["version"] for v in client.list_package_versions(**merged)["versions"]]


def statuses(client: Any, **params: Any) -> dict[str, str]:
    merged = {**coordinates(), **params}
    return {v["version"]: v["status"] for v in client.list_package_versions(**merged)["versions"]}


def seed(service: LocalCodeArtifact, repositories: list[dict[str, Any]], domain: str = DOMAIN) -> None:
    """Load repositories (in seed-document form) into a fresh domain of the service."""
    seed_service(service, seed_document(repositories, domain))


def seed_document(repositories: list[dict[str, Any]], domain: str = DOMAIN) -> SeedDocument:
    """A seed document of one domain holding these repositories (in seed-document form)."""
    return domains_document([{"name": domain, "repositories": repositories}])


def domains_document(domains: list[dict[str, Any]]) -> SeedDocument:
    """A seed document of these domains (in seed-document form)."""
    return SeedDocument.model_validate(
        {"apiVersion": "reconciler/v1", "kind": "LocalSeed", "domains": domains}
    )


def write_seed(directory: Path, text: str, name: str = "seed.yaml") -> Path:
    """A seed file in `directory`: `text` dedented, without its leading blank lines."""
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def seed_packages(service: LocalCodeArtifact, packages: list[dict[str, Any]], repository: str = REPO) -> None:
    seed(service, [{"name": repository, "packages": packages}])


def generic(versions: list[Any], name: str = PACKAGE, namespace: str = NAMESPACE) -> dict[str, Any]:
    """A generic package of the seed document."""
    return {"format": "generic", "namespace": namespace, "name": name, "versions": versions}


@contextmanager
def raises_client_error(code: str) -> Iterator[dict[str, Any]]:
    """Expect a `ClientError` with this error code; yields its response for further checks."""
    response: dict[str, Any] = {}
    with pytest.raises(ClientError) as caught:
        yield response
    response.update(caught.value.response)
    assert response["Error"]["Code"] == code, response["Error"]


def error_of(call: Callable[[], object]) -> dict[str, Any]:
    """The response of a call that must fail with a `ClientError`."""
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response  # type: ignore[no-any-return]
