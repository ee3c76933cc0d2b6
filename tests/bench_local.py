"""Benchmark of the local CodeArtifact service at a million versions, in process.

    python tests/bench_local.py [--packages 2000 --versions 500 --big 100000 --calls 200 --gc on|freeze]

Seeds one npm repository with PACKAGES x VERSIONS versions (plus, in a second repository, one
package of BIG versions for the paging checks), then measures through a real boto3 client:

* ListPackageVersions with maxResults=1000, paging through several packages;
* UpdatePackageVersionsStatus in batches of 100 (Published <-> Unlisted, with expectedStatus and
  versionRevisions, as the reconciler sends them);
* the same client calls answered by a pre-recorded response (the client's own cost), so that
  service share = (service+client - client) / client. The targets are at most 15% for
  ListPackageVersions pages and 25% for UpdatePackageVersionsStatus batches. Each figure shows the
  garbage collector's part of it (and the share without it), and the service's own CPU (its
  `handle`) inside the client's loop and alone on the same requests; `--gc freeze` freezes the
  objects alive once all is set up, as a long-running server would;
* that listing stays O(page) at this scale: the service's time for a first page, a page in the
  middle and the last page of a package, and for packages at the start and end of the table.

Not collected by pytest (only test_*.py files are).
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from reconciler.local import LocalCodeArtifact, local_client
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT
from reconciler.local.pagination import encode_token
from reconciler.local.protocol import HttpRequest, HttpResponse
from reconciler.local.seed import BulkVersion, bulk_load

DOMAIN = "bench"
REPOSITORY = "npm-store"
BIG_REPOSITORY = "npm-big"
BIG_PACKAGE = "big"
# The most the service may add to the client's own cost, per operation.
LIST_TARGET = 0.15
UPDATE_TARGET = 0.25


class _RawBody(io.BytesIO):
    def stream(self, amt: int = 65536, decode_content: bool | None = None) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk


def _version(index: int) -> str:
    return f"{index // 100}.{index // 10 % 10}.{index % 10}"


def _big_version(index: int) -> str:
    return f"5.0.{index:07d}"  # zero-padded: text order is numeric order


def _package(index: int) -> str:
    return f"pkg-{index:04d}"


def _rows(packages: int, versions: int, now: float) -> Iterator[BulkVersion]:
    for p in range(packages):
        name = _package(p)
        for v in range(versions):
            yield BulkVersion(name, _version(v), now - (versions - v) * 3600.0)


def _request_of(request: AWSPreparedRequest) -> HttpRequest:
    """What the in-process adapter hands the service for a prepared botocore request."""
    url = urlsplit(request.url)
    body = request.body
    content = body.encode() if isinstance(body, str) else bytes(body or b"")
    headers = {
        key.lower(): value.decode() if isinstance(value, bytes) else value
        for key, value in request.headers.items()
    }
    return HttpRequest(request.method, url.path or "/", url.query, headers, content)


def _bare_client() -> Any:
    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
    )
    return session.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT)


class Recorder:
    """A client whose requests the service answers, keeping the last request and response."""

    def __init__(self, service: LocalCodeArtifact) -> None:
        self.service = service
        self.request: HttpRequest | None = None
        self.response: HttpResponse | None = None
        self.client = _bare_client()
        self.client.meta.events.register("before-send.codeartifact", self._send)

    def _send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        self.request = _request_of(request)
        self.response = self.service.handle(self.request)
        return AWSResponse(
            request.url, self.response.status, self.response.headers, _RawBody(self.response.body)
        )


def replaying_client(response: HttpResponse) -> Any:
    """A client that gets `response` for every request, without the service: the client's own cost."""
    client = _bare_client()

    def replay(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, response.status, response.headers, _RawBody(response.body))

    client.meta.events.register("before-send.codeartifact", replay)
    return client


def _per_call_ms(run: Callable[[int], None], calls: int, repeat: int) -> float:
    """The best of `repeat` runs, in CPU milliseconds per call.

    CPU time of this process, not wall time: everything runs in process, so this is the cost of
    the calls themselves, and other processes competing for the machine inflate it much less.
    """
    return _interleaved([run], calls, repeat)[0].cpu


class _GcClock:
    """CPU time spent in the garbage collector, from its documented `gc.callbacks` hook."""

    def __init__(self) -> None:
        self.spent = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            self.spent += time.process_time() - self._start

    def __enter__(self) -> _GcClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


@dataclass(frozen=True)
class Cost:
    """CPU milliseconds per call, how many of them the garbage collector took, and how many the
    service's `handle` took (0 for the client alone)."""

    cpu: float
    gc: float
    service: float = 0.0


class MeteredService(LocalCodeArtifact):
    """The service, counting the CPU its `handle` spends: what it costs inside the client's loop,
    next to what it costs alone on the same requests."""

    spent = 0.0

    def handle(self, request: HttpRequest) -> HttpResponse:
        start = time.process_time()
        try:
            return super().handle(request)
        finally:
            self.spent += time.process_time() - start


def _interleaved(
    runs: list[Callable[[int], None]], calls: int, repeat: int, service: MeteredService | None = None
) -> list[Cost]:
    """`_per_call_ms` for several runs, taken in turns so that they see the same conditions; each
    with the garbage collector's share of that best run.

    The collector runs when allocations, anyone's, cross its thresholds, and a full collection
    walks every object of the process (boto3's models, the seeded service's caches): what it costs
    a call depends on the whole process, so it is shown apart."""
    best = [Cost(float("inf"), 0.0)] * len(runs)
    for _ in range(repeat):
        for index, run in enumerate(runs):
            # Each run starts with the collector's counts at zero, so that runs doing the same
            # allocations meet the same collections: otherwise a full collection (a tenth of a
            # second at a million versions) falls on whichever run crosses the threshold, and the
            # share moves by twenty points from one run to the next.
            gc.collect()
            if service is not None:
                service.spent = 0.0
            with _GcClock() as collector:
                start = time.process_time()
                run(calls)
                spent = time.process_time() - start
            if spent / calls * 1000.0 < best[index].cpu:
                served = service.spent if service is not None else 0.0
                best[index] = Cost(
                    spent / calls * 1000.0, collector.spent / calls * 1000.0, served / calls * 1000.0
                )
    return best


class _Lister:
    """Calls ListPackageVersions with maxResults=1000, paging through one package after another."""

    def __init__(self, client: Any, packages: int) -> None:
        self.client = client
        self.packages = packages
        self.package = 0
        self.token: str | None = None

    def __call__(self, calls: int) -> None:
        for _ in range(calls):
            params: dict[str, Any] = {
                "domain": DOMAIN,
                "repository": REPOSITORY,
                "format": "npm",
                "package": _package(self.package),
                "maxResults": 1000,
            }
            if self.token:
                params["nextToken"] = self.token
            self.token = self.client.list_package_versions(**params).get("nextToken")
            if not self.token:
                self.package = (self.package + 1) % self.packages


def _update_calls(client: Any, batches: list[dict[str, Any]]) -> Callable[[int], None]:
    """Each batch is flipped Published -> Unlisted and back, so every call changes 100 versions."""
    state = {"next": 0}

    def run(calls: int) -> None:
        for _ in range(calls):
            index = state["next"]
            batch = batches[index % len(batches)]
            unlist = (index // len(batches)) % 2 == 0
            result = client.update_package_versions_status(
                **batch,
                expectedStatus="Published" if unlist else "Unlisted",
                targetStatus="Unlisted" if unlist else "Published",
            )
            if result["failedVersions"]:
                raise SystemExit(f"update failed: {next(iter(result['failedVersions'].values()))}")
            state["next"] = index + 1

    return run


def _update_batches(client: Any, packages: int, versions: int, count: int) -> list[dict[str, Any]]:
    batches = []
    for p in range(min(packages, max(1, count // max(1, versions // 100)))):
        listed = client.list_package_versions(
            domain=DOMAIN, repository=REPOSITORY, format="npm", package=_package(p), maxResults=1000
        )["versions"]
        for start in range(0, len(listed) - 99, 100):
            chunk = listed[start : start + 100]
            batches.append(
                {
                    "domain": DOMAIN,
                    "repository": REPOSITORY,
                    "format": "npm",
                    "package": _package(p),
                    "versions": [v["version"] for v in chunk],
                    "versionRevisions": {v["version"]: v["revision"] for v in chunk},
                }
            )
    return batches


def _service_ms(service: LocalCodeArtifact, requests: list[HttpRequest], calls: int, repeat: int) -> float:
    """CPU ms per round of `requests` handled by the service alone (a round may pair a batch with
    the one that undoes it, so that every round changes the same versions)."""

    def run(n: int) -> None:
        for _ in range(n):
            for request in requests:
                response = service.handle(request)
                failed = b'"failedVersions":{"' in response.body  # a batch that changed nothing
                if response.status != 200 or failed:
                    raise SystemExit(f"unexpected {response.status}: {response.body[:200]!r}")

    return _per_call_ms(run, calls, repeat)


def _page_request(
    recorder: Recorder, repository: str, package: str, skip_pages: int, **extra: Any
) -> HttpRequest:
    """The request for page `skip_pages` (0 = first) of a package, pages of 100."""
    params: dict[str, Any] = {
        "domain": DOMAIN,
        "repository": repository,
        "format": "npm",
        "package": package,
        "maxResults": 100,
        **extra,
    }
    token = None
    for _ in range(skip_pages + 1):
        page = recorder.client.list_package_versions(**params, **({"nextToken": token} if token else {}))
        request = recorder.request
        token = page.get("nextToken")
    assert request is not None
    return request


def _jump_request(recorder: Recorder, repository: str, package: str, after: str, **extra: Any) -> HttpRequest:
    """A page request resuming after version `after`, without paging there (for very large packages)."""
    filters = {
        "domain": DOMAIN,
        "repository": repository,
        "format": "npm",
        "namespace": None,
        "package": package,
        "status": None,
        "sortBy": extra.get("sortBy"),
        "originType": None,
    }
    key: list[Any] = [after]
    if extra.get("sortBy") == "PUBLISHED_TIME":
        with recorder.service.store.read() as conn:
            row = conn.execute(
                """SELECT v.published_time FROM package_version v JOIN package p ON p.id = v.package_id
                   JOIN repository r ON r.id = p.repository_id WHERE r.name = ? AND p.name = ? AND v.version = ?""",
                (repository, package, after),
            ).fetchone()
        key = [row[0], after]
    token = encode_token("ListPackageVersions", filters, key)
    recorder.client.list_package_versions(
        domain=DOMAIN,
        repository=repository,
        format="npm",
        package=package,
        maxResults=100,
        nextToken=token,
        **extra,
    )
    assert recorder.request is not None and recorder.response is not None
    assert recorder.response.status == 200, recorder.response.body
    return recorder.request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--versions", type=int, default=500)
    parser.add_argument(
        "--big", type=int, default=100_000, help="versions of the extra large package (0: none)"
    )
    parser.add_argument("--calls", type=int, default=200, help="calls per measurement")
    parser.add_argument("--repeat", type=int, default=5, help="measurements per figure (the best is kept)")
    parser.add_argument("--db", type=Path, help="database file (default: a temporary one)")
    parser.add_argument(
        "--gc",
        choices=("on", "freeze"),
        default="on",
        help="freeze: gc.freeze() the objects alive once everything is set up, as a long-running "
        "service would, so that full collections no longer walk them",
    )
    args = parser.parse_args(argv)

    tempdir = None
    if args.db is None:
        tempdir = tempfile.TemporaryDirectory(prefix="bench-local-")
        args.db = Path(tempdir.name) / "bench.db"
    try:
        with MeteredService(args.db) as service:
            return _bench(service, args)
    finally:
        if tempdir is not None:
            tempdir.cleanup()


def _bench(service: MeteredService, args: argparse.Namespace) -> int:  # noqa: PLR0915 (the report, top to bottom, as it prints)
    now = service.clock()
    total = args.packages * args.versions
    start = time.perf_counter()
    written = bulk_load(service, DOMAIN, REPOSITORY, "npm", _rows(args.packages, args.versions, now))
    seconds = time.perf_counter() - start
    print(f"seeded {written:,} versions ({args.packages:,} packages x {args.versions}) in {seconds:.1f} s")
    if args.big:
        start = time.perf_counter()
        bulk_load(
            service,
            DOMAIN,
            BIG_REPOSITORY,
            "npm",
            (BulkVersion(BIG_PACKAGE, _big_version(v), now - (args.big - v)) for v in range(args.big)),
        )
        print(f"seeded {args.big:,} versions of one package in {time.perf_counter() - start:.1f} s")
    service.store.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = sum(os.path.getsize(p) for p in (args.db, Path(f"{args.db}-wal")) if p.exists())
    print(f"database: {size / 1e6:.0f} MB, {(size / max(1, total + args.big)):.0f} bytes per version\n")

    client = local_client(service)
    recorder = Recorder(service)
    calls, repeat = args.calls, args.repeat

    # (a) ListPackageVersions, pages of up to 1000, paging through packages.
    recorder.client.list_package_versions(
        domain=DOMAIN, repository=REPOSITORY, format="npm", package=_package(0), maxResults=1000
    )
    assert recorder.request is not None and recorder.response is not None
    list_request, list_response = recorder.request, recorder.response
    page_size = min(1000, args.versions)
    _Lister(client, args.packages)(20)  # warm up
    if args.gc == "freeze":
        # What a long-running service does once it has started: the objects alive now (boto3's
        # models, the service's routes and validators) are moved out of the collector's reach.
        gc.collect()
        gc.freeze()
    list_total, list_client = _interleaved(
        [_Lister(client, args.packages), _Lister(replaying_client(list_response), args.packages)],
        calls,
        repeat,
        service,
    )

    # (b) UpdatePackageVersionsStatus, batches of 100 versions.
    batches = _update_batches(client, args.packages, args.versions, 40)
    if not batches:
        raise SystemExit("--versions must be at least 100 for the update batches")
    _update_calls(client, batches)(2 * len(batches))  # warm up; every batch ends Published
    recorder.client.update_package_versions_status(
        **batches[0], expectedStatus="Published", targetStatus="Unlisted"
    )
    assert recorder.request is not None and recorder.response is not None
    unlist_request, update_response = recorder.request, recorder.response
    recorder.client.update_package_versions_status(
        **batches[0], expectedStatus="Unlisted", targetStatus="Published"
    )
    relist_request = recorder.request
    # Whole round trips, so that every batch is Published again after each measurement.
    update_calls = calls - calls % (2 * len(batches)) or 2 * len(batches)
    update_total, update_client = _interleaved(
        [_update_calls(client, batches), _update_calls(replaying_client(update_response), batches)],
        update_calls,
        repeat,
        service,
    )

    # The service alone on the same requests, for what it costs out of the client's loop.
    list_service = _service_ms(service, [list_request], calls, repeat)
    assert relist_request is not None
    update_service = _service_ms(service, [unlist_request, relist_request], calls, repeat) / 2

    rows = [
        (f"ListPackageVersions ({page_size}/page)", list_total, list_client, list_service, LIST_TARGET),
        (
            "UpdatePackageVersionsStatus (100/batch)",
            update_total,
            update_client,
            update_service,
            UPDATE_TARGET,
        ),
    ]
    print(
        f"{'operation':<42}{'service+client':>15}{'client only':>13}{'service':>9}{'service':>9}"
        f"{'service share':>15}{'target':>8}{'req/s':>7}"
    )
    print(
        f"{'CPU ms/call (of which GC)':<42}{'':>15}{'':>13}{'in loop':>9}{'alone':>9}{'(without GC)':>15}"
        f"{'':>8}{'':>7}"
    )
    verdicts = []
    for name, with_service, alone, service_alone, target in rows:
        share = (with_service.cpu - alone.cpu) / alone.cpu
        share_without_gc = (with_service.cpu - with_service.gc - alone.cpu + alone.gc) / (
            alone.cpu - alone.gc
        )
        verdicts.append(share <= target)
        print(
            f"{name:<42}{f'{with_service.cpu:.3f} ({with_service.gc:.2f})':>15}"
            f"{f'{alone.cpu:.3f} ({alone.gc:.2f})':>13}{with_service.service:>9.3f}{service_alone:>9.3f}"
            f"{f'{share:.0%} ({share_without_gc:.0%})':>15}{'<=':>5}{target:>3.0%}{1000 / with_service.cpu:>7.0f}"
        )
    verdict = "met" if all(verdicts) else "MISSED"
    print(f"targets: the service's share of the client's own cost: {verdict} (gc: {args.gc})\n")

    # Listing stays O(page): the service's own time per request (no client), pages of 100.
    checks: list[tuple[str, HttpRequest]] = [
        ("first package, first page", _page_request(recorder, REPOSITORY, _package(0), 0)),
        (
            f"package {args.packages // 2:,} of {args.packages:,}, first page",
            _page_request(recorder, REPOSITORY, _package(args.packages // 2), 0),
        ),
        (
            f"package {args.packages:,} of {args.packages:,}, first page",
            _page_request(recorder, REPOSITORY, _package(args.packages - 1), 0),
        ),
        (
            f"first package, page {args.versions // 200 + 1} (middle)",
            _page_request(recorder, REPOSITORY, _package(0), args.versions // 200),
        ),
        (
            "first package, middle page by PUBLISHED_TIME",
            _page_request(recorder, REPOSITORY, _package(0), args.versions // 200, sortBy="PUBLISHED_TIME"),
        ),
    ]
    if args.big:
        middle, last = _big_version(args.big // 2), _big_version(args.big - 101)
        checks += [
            (
                f"{args.big:,}-version package, first page",
                _page_request(recorder, BIG_REPOSITORY, BIG_PACKAGE, 0),
            ),
            (
                f"{args.big:,}-version package, middle page",
                _jump_request(recorder, BIG_REPOSITORY, BIG_PACKAGE, middle),
            ),
            (
                f"{args.big:,}-version package, last page",
                _jump_request(recorder, BIG_REPOSITORY, BIG_PACKAGE, last),
            ),
            (
                f"{args.big:,}-version package, middle by PUBLISHED_TIME",
                _jump_request(recorder, BIG_REPOSITORY, BIG_PACKAGE, middle, sortBy="PUBLISHED_TIME"),
            ),
        ]
    print(f"{'ListPackageVersions, 100/page, service only':<52}{'CPU ms/call':>12}")
    timings = []
    for name, request in checks:
        timing = _service_ms(service, [request], calls, repeat)
        timings.append(timing)
        print(f"{name:<52}{timing:>12.3f}")
    spread = max(timings) / statistics.median(timings)
    print(f"slowest / median: {spread:.2f} (O(page): close to 1 whatever the position)")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
