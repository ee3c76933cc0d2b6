"""What the reader does with answers AWS may give but the local service never does."""

from __future__ import annotations

import gc
import weakref
from collections import Counter
from typing import Any

import pytest

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.aws.reads import _published_time, read_package
from reconciler.codeartifact import Format
from reconciler.errors import ReconcilerError
from reconciler.state import ReadSpec

REF = PackageRef(RepositoryRef("acme", "prod"), Format.NPM, None, "cli")


class _Client:
    def __init__(self, versions: list[dict[str, Any]], described: dict[str, Any]) -> None:
        self.versions = versions
        self.described = described

    def list_package_versions(self, **_: Any) -> dict[str, Any]:
        return {"versions": self.versions}

    def describe_package_version(self, **_: Any) -> dict[str, Any]:
        return {"packageVersion": self.described}


def test_a_version_without_a_publish_time_counts_as_the_newest() -> None:
    times: dict[str, float] = {}
    assert _published_time(_Client([], {"version": "1.0.0"}), REF, "1.0.0", times, Counter()) == float("inf")


def test_a_status_the_reconciler_does_not_know_is_a_clear_error() -> None:
    client = _Client([{"version": "1.0.0", "revision": "r", "status": "Quarantined"}], {})
    with pytest.raises(ReconcilerError, match="reports status 'Quarantined'"):
        read_package(client, ReadSpec(REF))


class _Item(dict[str, Any]):
    """A listed version that can be watched (a plain dict cannot have weak references)."""


class _PagedClient:
    """Pages of 1,000 versions; before each page it counts the items of the pages before the last
    two that are still alive (the next page is asked for while the caller reads the last one, and
    before the caller has let go of the one before it)."""

    def __init__(self, pages: int) -> None:
        self.pages = pages
        self.served: list[list[weakref.ref[_Item]]] = []
        self.alive_before_page: list[int] = []

    def list_package_versions(self, **params: Any) -> dict[str, Any]:
        gc.collect()
        self.alive_before_page.append(
            sum(1 for page in self.served[:-2] for item in page if item() is not None)
        )
        number = int(params.get("nextToken", "0"))
        items = [_Item(version=f"1.{number}.{i}", revision="r", status="Published") for i in range(1000)]
        self.served.append([weakref.ref(item) for item in items])
        last = number + 1 == self.pages
        return {"versions": items, **({} if last else {"nextToken": str(number + 1)})}


def test_a_large_package_is_kept_as_version_states_not_as_the_response_items() -> None:
    client = _PagedClient(pages=5)

    state, calls = read_package(client, ReadSpec(REF))

    assert state is not None and len(state.versions) == 5000
    assert calls["ListPackageVersions"] == 5
    # Each page's items are let go once they are version states (about a kilobyte each otherwise):
    # at most two pages are held, not the package.
    assert client.alive_before_page == [0, 0, 0, 0, 0]
