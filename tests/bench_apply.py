"""Benchmark of `apply` at AWS's default quotas: 10,000 status changes across 500 packages.

    python tests/bench_apply.py [--packages 500 --versions 20 --latency 0.03 --concurrency 8 --rate-scale 1]

Seeds the local service (a SQLite file in a temporary directory) with PACKAGES x VERSIONS Published
npm versions and serves it over HTTP on loopback (`BackgroundServer`) with LATENCY seconds added to
every request and AWS's default request-rate quotas enforced (`Faults(latency=..., quotas=True)`):
a request over a quota is answered ThrottlingException, as AWS does. A manifest unlists every
version (`name: "*"`, `otherwise: Unlisted`); the plan is made with `read_live_state` + `make_plan`
and applied as `reconciler apply` does: `apply_plan` with a `BotoExecutor` on a client without
botocore retries, a `RateLimiter` at the default quotas and a journal. Figures and targets:

* apply wall time next to its lower bound: the minimum calls (one UpdatePackageVersionsStatus per
  package, at most 100 versions each) at the account's 100 writes/s, or the latency of those calls
  spread over CONCURRENCY threads if that is longer (target: at most 1.15x);
* throttling errors that reached the user: versions whose outcome is failed with
  ThrottlingException (target: 0); throttles absorbed by retries are shown too;
* API calls next to the minimum (target: ratio 1.00).

Not collected by pytest (only test_*.py files are).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from reconciler.applier import Outcome, apply_plan
from reconciler.aws.client import Backend, connect
from reconciler.aws.executor import BotoExecutor
from reconciler.codeartifact import ACCOUNT_WRITE_QUOTA, MAX_VERSIONS_PER_CALL, Status
from reconciler.journal import Journal
from reconciler.local import LocalCodeArtifact
from reconciler.local.faults import Faults
from reconciler.local.seed import BulkVersion, bulk_load
from reconciler.local.server import BackgroundServer
from reconciler.manifest import load_manifests
from reconciler.planner import make_plan
from reconciler.ratelimit import RateLimiter
from reconciler.workflows.reading import read_live_state

DOMAIN = "bench"
REPOSITORY = "npm-store"
REGION = "us-east-1"

TARGET_TIME_RATIO = 1.15
TARGET_CALL_RATIO = 1.0

MANIFEST = f"""\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {{domain: {DOMAIN}, repository: {REPOSITORY}, region: {REGION}}}
packages:
  - format: npm
    name: "*"
    otherwise: Unlisted
"""


def _rows(packages: int, versions: int, now: float) -> Iterator[BulkVersion]:
    for p in range(packages):
        for v in range(versions):
            yield BulkVersion(f"pkg-{p:04d}", f"1.{v // 10}.{v % 10}", now - (versions - v) * 3600.0)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=500)
    parser.add_argument("--versions", type=int, default=20, help="versions per package")
    parser.add_argument("--latency", type=float, default=0.03, help="seconds added to every request")
    parser.add_argument("--concurrency", type=int, default=8, help="packages changed in parallel")
    parser.add_argument(
        "--rate-scale",
        type=float,
        default=1.0,
        help="the client's rate limits as a multiple of the quotas (apply's --rate-scale); above 1, the "
        "service throttles and the executor's retries absorb it",
    )
    args = parser.parse_args(argv)
    # The local service accepts any credentials; never let a real profile's be used.
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_SESSION_TOKEN="local")

    with tempfile.TemporaryDirectory(prefix="bench-apply-") as tempdir:
        db = Path(tempdir) / "bench.db"
        manifest = Path(tempdir) / "unlist.yaml"
        manifest.write_text(MANIFEST, encoding="utf-8")
        faults = Faults(latency=(args.latency, args.latency), quotas=True)
        with LocalCodeArtifact(db, faults=faults) as service:
            bulk_load(
                service, DOMAIN, REPOSITORY, "npm", _rows(args.packages, args.versions, service.clock())
            )
            with BackgroundServer(service) as server:
                code = _bench(args, server.endpoint_url, manifest, Path(tempdir) / "apply.journal.jsonl")
                with service.store.read() as conn:
                    left = conn.execute(
                        "SELECT COUNT(*) FROM package_version WHERE status != ?", (Status.UNLISTED.value,)
                    ).fetchone()[0]
    if left:
        print(f"\n{left:,} versions are not Unlisted after the apply")
        return 1
    return code


def _bench(args: argparse.Namespace, endpoint_url: str, manifest: Path, journal_path: Path) -> int:
    backend = Backend(endpoint_url=endpoint_url, region=REGION)
    desired = load_manifests([manifest])
    connection = connect(backend)
    try:
        start = time.perf_counter()
        live = read_live_state(connection.client, desired, time.time(), args.concurrency)
        plan = make_plan(desired, live, connection.endpoint, connection.region)
        plan_seconds = time.perf_counter() - start
    finally:
        connection.close()
    changes = plan.summary.changes
    minimum = args.packages * math.ceil(args.versions / MAX_VERSIONS_PER_CALL)
    print(
        f"scale: {args.packages:,} packages x {args.versions} versions = {changes:,} status changes in "
        f"{len(plan.actions):,} actions; {args.latency * 1000:.0f} ms latency per request, AWS's default "
        f"quotas, {args.concurrency} threads, over HTTP (plan made in {plan_seconds:.1f} s)"
    )

    # As `reconciler apply` does (commands/apply.py): no botocore retries, the executor retries.
    executor_connection = connect(dataclasses.replace(backend, max_attempts=1))
    stop = threading.Event()
    try:
        with Journal(journal_path) as journal:
            limiter = RateLimiter(scale=args.rate_scale)
            executor = BotoExecutor(executor_connection.client, limiter, journal, stop=stop)
            start = time.perf_counter()
            report = apply_plan(plan, executor, max_workers=args.concurrency, stop=stop)
            seconds = time.perf_counter() - start
    finally:
        executor_connection.close()

    calls = sum(executor.calls.values())
    quota_bound = minimum / ACCOUNT_WRITE_QUOTA
    latency_bound = math.ceil(minimum / args.concurrency) * args.latency
    bound = max(quota_bound, latency_bound)
    throttled_out = sum(
        1 for item in report.outcomes if item.outcome is Outcome.FAILED and item.code == "ThrottlingException"
    )
    counts = {outcome.value: report.count(outcome) for outcome in Outcome if report.count(outcome)}
    print(f"outcomes: {', '.join(f'{name} {count:,}' for name, count in counts.items())}")

    ratio = seconds / bound
    bound_name = "quota" if quota_bound >= latency_bound else "latency"
    rows = [
        (
            "apply wall time / lower bound",
            f"{seconds:.2f} s / {bound:.2f} s = {ratio:.2f}x",
            f"<= {TARGET_TIME_RATIO:.2f}x",
            ratio <= TARGET_TIME_RATIO,
        ),
        (
            "throttling errors reaching the user",
            f"{throttled_out:,} versions",
            "0",
            throttled_out == 0,
        ),
        (
            "API calls / minimum",
            f"{calls:,} / {minimum:,} = {calls / minimum:.2f}",
            f"<= {TARGET_CALL_RATIO:.2f}",
            calls <= minimum * TARGET_CALL_RATIO,
        ),
    ]
    print(
        f"lower bound: {minimum:,} calls at {ACCOUNT_WRITE_QUOTA:.0f} writes/s = {quota_bound:.2f} s; "
        f"latency {math.ceil(minimum / args.concurrency)} calls x {args.latency * 1000:.0f} ms per thread = "
        f"{latency_bound:.2f} s; bound: {bound_name}"
    )
    print(
        f"throttles absorbed by retries: {executor.throttled:,}; versions applied: {counts.get('applied', 0):,}"
    )
    figures = [(name, measured, goal, _verdict(ok)) for name, measured, goal, ok in rows]
    header = ("figure", "measured", "target", "")
    widths = [max(len(row[i]) for row in [header, *figures]) for i in range(4)]
    print()
    for row in [header, *figures]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    ok = all(row[3] for row in rows) and report.succeeded
    print(f"\nall targets: {_verdict(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
