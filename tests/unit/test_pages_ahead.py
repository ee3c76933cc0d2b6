"""`client.pages` asks for the next page while the caller reads this one: with a real boto3 client
against the local service in process, a listing of several pages reads what it read before, call
for call; an error on a later page surfaces as it did; and a caller that stops early leaves no
thread behind, the page already asked for counted."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.aws import client as aws_client
from reconciler.aws.client import pages
from reconciler.aws.reads import read_package
from reconciler.codeartifact import Format
from reconciler.errors import AwsError
from reconciler.local import LocalCodeArtifact, local_client
from reconciler.local.seed import BulkVersion, bulk_load
from reconciler.state import ReadSpec

REF = PackageRef(RepositoryRef("acme", "prod"), Format.NPM, None, "big")
VERSIONS = 2_500  # three pages of at most 1,000
PARAMS = {"domain": "acme", "repository": "prod", "format": "npm", "package": "big", "maxResults": 1000}


@pytest.fixture(scope="module")
def service() -> Iterator[LocalCodeArtifact]:
    with LocalCodeArtifact(":memory:") as service:
        bulk_load(
            service,
            "acme",
            "prod",
            "npm",
            (BulkVersion("big", f"1.{v // 100}.{v % 100}", 1_700_000_000.0 + v) for v in range(VERSIONS)),
        )
        yield service


def _one_at_a_time(client: Any, calls: Counter[str]) -> list[dict[str, Any]]:
    """The listing as it was read before: each page asked for once the one before it is taken."""
    found, token = [], None
    while True:
        page = aws_client.call(
            client, "ListPackageVersions", calls, **PARAMS, **({"nextToken": token} if token else {})
        )
        found.append(page)
        token = page.get("nextToken")
        if not token:
            return found


def _next_page_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("next-page")]


def test_a_listing_of_several_pages_reads_what_it_read_one_page_at_a_time(service: LocalCodeArtifact) -> None:
    client = local_client(service)
    before: Counter[str] = Counter()
    expected = [page["versions"] for page in _one_at_a_time(client, before)]
    calls: Counter[str] = Counter()

    read = [page["versions"] for page in pages(client, "ListPackageVersions", calls, dict(PARAMS))]

    assert read == expected and len(read) == 3
    assert calls == before == Counter({"ListPackageVersions": 3})
    state, spent = read_package(client, ReadSpec(REF))
    assert state is not None and list(state.versions) == [item["version"] for page in read for item in page]
    assert spent == Counter({"ListPackageVersions": 3})
    assert _next_page_threads() == []


def test_an_error_on_a_later_page_surfaces_as_it_did(service: LocalCodeArtifact) -> None:
    client = local_client(service)
    asked: list[str] = []

    def refuse_the_second(params: dict[str, Any], **_: Any) -> None:
        asked.append(params.get("nextToken", ""))
        if len(asked) == 2:
            params["package"] = "gone"  # the package is deleted between two pages

    client.meta.events.register("provide-client-params.codeartifact.ListPackageVersions", refuse_the_second)
    calls: Counter[str] = Counter()
    listing = pages(client, "ListPackageVersions", calls, dict(PARAMS))
    assert len(next(listing)["versions"]) == 1000

    with pytest.raises(AwsError) as raised:
        next(listing)

    assert raised.value.code == "ResourceNotFoundException"
    assert raised.value.resource_type == "package"
    assert calls == Counter({"ListPackageVersions": 2})
    assert _next_page_threads() == []
    # read_package still words a package gone meanwhile as one that does not exist.
    asked.clear()
    assert read_package(client, ReadSpec(REF))[0] is None


def test_a_caller_that_stops_early_leaves_no_thread_and_the_page_asked_for_counted(
    service: LocalCodeArtifact,
) -> None:
    client = local_client(service)
    calls: Counter[str] = Counter()
    listing = pages(client, "ListPackageVersions", calls, dict(PARAMS))

    first = next(listing)
    listing.close()

    assert first["nextToken"]
    assert calls == Counter({"ListPackageVersions": 2})  # the second page was asked for meanwhile
    assert _next_page_threads() == []
