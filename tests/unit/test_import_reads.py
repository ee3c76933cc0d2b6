"""Import reads packages in parallel, and hands them on in the listing's order with a bounded read-ahead."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.aws import reads
from reconciler.aws.spread import in_order
from reconciler.codeartifact import Format
from reconciler.state import PackageState, ReadSpec
from reconciler.workflows.importing import READ_AHEAD

REFS = [PackageRef(RepositoryRef("acme", "prod"), Format.NPM, None, f"pkg-{index}") for index in range(12)]


def test_packages_come_in_the_listings_order_whatever_order_their_reads_end_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fourth_read = threading.Event()
    started: list[PackageRef] = []
    lock = threading.Lock()

    def read_package(client: object, spec: ReadSpec) -> tuple[PackageState | None, Counter[str]]:
        with lock:
            started.append(spec.ref)
        if spec.ref == REFS[0]:
            assert fourth_read.wait(timeout=30), "the first read held back the others"
        if spec.ref == REFS[3]:
            fourth_read.set()
        state = None if spec.ref == REFS[5] else PackageState(spec.ref, {})  # the 6th was deleted
        return state, Counter({"ListPackageVersions": 1})

    monkeypatch.setattr(reads, "read_package", read_package)

    given: list[PackageRef] = []
    read_ahead: list[int] = []
    specs = [ReadSpec(ref) for ref in REFS]
    for ref, (state, calls) in zip(
        REFS, in_order(object(), specs, workers=2, ahead=2 * READ_AHEAD), strict=True
    ):
        with lock:
            read_ahead.append(len(started) - len(given))
        given.append(ref)
        assert (state is None) == (ref == REFS[5])
        assert calls == Counter({"ListPackageVersions": 1})

    assert given == REFS
    assert max(read_ahead) <= READ_AHEAD * 2


def test_an_error_in_a_read_stops_the_reads_not_yet_started(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[PackageRef] = []

    def read_package(client: object, spec: ReadSpec) -> tuple[PackageState | None, Counter[str]]:
        started.append(spec.ref)
        if spec.ref == REFS[1]:
            raise RuntimeError("the read failed")
        return PackageState(spec.ref, {}), Counter()

    monkeypatch.setattr(reads, "read_package", read_package)

    with pytest.raises(RuntimeError, match="the read failed"):
        list(in_order(object(), [ReadSpec(ref) for ref in REFS], workers=1, ahead=READ_AHEAD))

    assert len(started) <= 1 + READ_AHEAD
