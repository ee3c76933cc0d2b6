"""What the reader does with answers AWS may give but the local service never does."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.aws.reads import _published_time, read_package
from reconciler.codeartifact import Format
from reconciler.errors import ReconcilerError
from reconciler.scope import ReadSpec

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
