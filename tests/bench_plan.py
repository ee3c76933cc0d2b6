"""Benchmark of `plan` at a million versions: API calls, wall time, memory, bisection cost.

    python tests/bench_plan.py [--packages 2000 --versions 500 --workers 8 --repeat 5 --db PATH]

Seeds the local service (a SQLite file in a temporary directory) with PACKAGES x VERSIONS npm
versions (SemVer M.m.p, one in 20 a pre-release, mostly Published, published over two years;
about 10,000 distinct version strings at full scale), then plans two manifests whose glob entry
`name: "*"` decides every one of them:

* ranked: pre-releases -> Unlisted, keep_latest 10 per major -> Published, otherwise Archived;
* aged: the same, with `older_than: 365d -> Archived` before `otherwise: Unlisted`, so that every
  package is listed by publish time and the age threshold is placed by bisection.

Each run is `read_live_state` + `make_plan` in process (`connect(Backend(local_db=...))`), in a
fresh child process so that its peak resident memory is its own. Figures and targets:

* API calls next to the minimum: 1 DescribeDomain + ceil(PACKAGES / 1000) ListPackages pages +
  PACKAGES x ceil(VERSIONS / 1000) ListPackageVersions pages (target: ratio 1.00);
* plan wall time next to boto3 as shipped (botocore's own response parser; the plan reads with
  `reconciler.aws.parsing`) only paging ListPackageVersions over every package
  with the same concurrency (target: at most 1.3x);
* peak memory: growth of the process's peak RSS during the plan, per version (target: under 1 KB).
  It includes the in-process service's SQLite page caches (up to 2 MB per reader thread), a fixed
  cost that only shows at small scales (under about 100,000 versions);
* aged: DescribePackageVersion calls per package (target: at most log2(VERSIONS) + 2).

Not collected by pytest (only test_*.py files are).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOMAIN = "bench"
REPOSITORY = "npm-store"
DAY = 86400.0
SPAN = 730 * DAY  # publish times are spread over two years

TARGET_CALL_RATIO = 1.0
TARGET_TIME_RATIO = 1.3
TARGET_BYTES_PER_VERSION = 1024

_RULES_HEAD = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {{domain: {domain}, repository: {repository}}}
packages:
  - format: npm
    name: "*"
    rules:
      - prerelease: true
        status: Unlisted
      - keep_latest: 10
        per: major
        status: Published
"""
RANKED = _RULES_HEAD + "    otherwise: Archived\n"
AGED = _RULES_HEAD + "      - older_than: 365d\n        status: Archived\n    otherwise: Unlisted\n"


def package_name(index: int) -> str:
    return f"pkg-{index:04d}"


def version_of(package: int, index: int) -> str:
    """SemVer versions in increasing order of `index`; one in 20 is a pre-release. Packages start at
    different majors, so that versions repeat across packages only as much as they do in practice."""
    text = f"{package % 100 + index // 100}.{index // 10 % 10}.{index % 10}"
    return f"{text}-rc.1" if index % 20 == 19 else text


def status_of(index: int) -> str:
    if index % 50 == 3:
        return "Unlisted"
    if index % 97 == 5:
        return "Archived"
    return "Published"


def seed(db: Path, packages: int, versions: int, now: float) -> float:
    """Write the versions; returns the seconds it took."""
    from reconciler.local import LocalCodeArtifact
    from reconciler.local.seed import BulkVersion, bulk_load

    def rows() -> Iterator[BulkVersion]:
        for p in range(packages):
            name = package_name(p)
            offset = (p % 24) * 3600.0  # packages do not share their publish times
            for v in range(versions):
                published = now - SPAN * (1 - (v + 0.5) / versions) - offset
                yield BulkVersion(name, version_of(p, v), published, status_of(v))

    start = time.perf_counter()
    with LocalCodeArtifact(db) as service:
        bulk_load(service, DOMAIN, REPOSITORY, "npm", rows())
        with service.store.write() as conn:
            conn.execute("ANALYZE")
        service.store.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - start


def _cpu() -> float:
    """CPU seconds this process used so far (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _max_rss() -> int:
    """Peak resident set size of this process so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass(frozen=True)
class PlanRun:
    seconds: float
    read_seconds: float
    cpu_seconds: float
    rss_growth: int
    calls: dict[str, int]
    versions: int
    actions: int
    changes: int
    unchanged: int
    unmanaged: int
    errors: int


def run_plan(db: str, manifest: str, workers: int, gc_pause: bool = True) -> PlanRun:
    """Child process: one plan, timed, with the growth of peak RSS it caused; read and planned as
    `workflows.planning.read_and_plan` does (with the collector paused, unless `gc_pause` is off)."""
    import contextlib

    from reconciler.aws.client import Backend, connect
    from reconciler.manifest import load_manifests
    from reconciler.planner import make_plan
    from reconciler.workflows.gcpause import gc_paused
    from reconciler.workflows.reading import read_live_state

    desired = load_manifests([Path(manifest)])
    connection = connect(Backend(local_db=db))
    try:
        # botocore loads the service's model on the first call (tens of MB, once per process): not
        # the plan's. The listing's baseline warms up the same way, with its ListPackages calls.
        connection.client.describe_domain(domain=DOMAIN)
        before = _max_rss()
        cpu = _cpu()
        start = time.perf_counter()
        with gc_paused() if gc_pause else contextlib.nullcontext():
            live = read_live_state(connection.client, desired, time.time(), workers)
            read = time.perf_counter()
            plan = make_plan(desired, live, connection.endpoint, connection.region)
        end = time.perf_counter()
        cpu = _cpu() - cpu
        growth = _max_rss() - before
    finally:
        connection.close()
    summary = plan.summary
    return PlanRun(
        seconds=end - start,
        read_seconds=read - start,
        cpu_seconds=cpu,
        rss_growth=growth,
        calls=dict(plan.api_calls),
        versions=sum(plan.package_versions.values()),
        actions=len(plan.actions),
        changes=summary.changes,
        unchanged=summary.unchanged,
        unmanaged=summary.unmanaged,
        errors=summary.errors,
    )


def run_listing(db: str, workers: int, by_time: bool) -> tuple[float, float, int]:
    """Child process: boto3 as shipped (botocore's own response parser) alone, paging
    ListPackageVersions over every package through the same in-process service.

    Returns (seconds, CPU seconds, versions listed)."""
    from botocore.config import Config

    from reconciler.local import LocalCodeArtifact, local_client

    service = LocalCodeArtifact(db)
    client = local_client(service, config=Config(max_pool_connections=32))
    try:
        names: list[str] = []
        token: str | None = None
        while True:
            page = client.list_packages(
                domain=DOMAIN,
                repository=REPOSITORY,
                format="npm",
                maxResults=1000,
                **({"nextToken": token} if token else {}),
            )
            names.extend(package["package"] for package in page["packages"])
            token = page.get("nextToken")
            if not token:
                break

        def list_one(name: str) -> int:
            params: dict[str, Any] = {
                "domain": DOMAIN,
                "repository": REPOSITORY,
                "format": "npm",
                "package": name,
                "maxResults": 1000,
            }
            if by_time:
                params["sortBy"] = "PUBLISHED_TIME"
            listed = 0
            page_token: str | None = None
            while True:
                page = client.list_package_versions(
                    **params, **({"nextToken": page_token} if page_token else {})
                )
                listed += len(page["versions"])
                page_token = page.get("nextToken")
                if not page_token:
                    return listed

        cpu = _cpu()
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(list_one, names))
        seconds = time.perf_counter() - start
        cpu = _cpu() - cpu
    finally:
        service.close()
    return seconds, cpu, sum(results)


def _in_child(function: Any, *args: Any) -> Any:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(function, args)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 (the report, top to bottom, as it prints)
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--versions", type=int, default=500)
    parser.add_argument("--workers", type=int, default=8, help="read concurrency (plan's --concurrency)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="timed runs of the ranked plan and its listing (the best is kept)",
    )
    parser.add_argument(
        "--db", type=Path, help="database file, seeded if it does not exist (default: a temporary one)"
    )
    parser.add_argument(
        "--no-gc-pause",
        action="store_true",
        help="plan without pausing the garbage collector (to measure what the pause saves)",
    )
    args = parser.parse_args(argv)

    packages, versions = args.packages, args.versions
    total = packages * versions
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as tempdir:
        db = args.db or Path(tempdir) / "bench.db"
        seeded = "reused" if db.exists() else f"seeded in {seed(db, packages, versions, time.time()):.1f} s"
        print(
            f"scale: {packages:,} packages x {versions:,} versions = {total:,} versions "
            f"({seeded}), {args.workers} workers; ranked: best of {args.repeat} runs, aged: one run"
        )
        manifests = {}
        for name, text in (("ranked", RANKED), ("aged", AGED)):
            path = Path(tempdir) / f"{name}.yaml"
            path.write_text(text.format(domain=DOMAIN, repository=REPOSITORY), encoding="utf-8")
            manifests[name] = str(path)

        plans: dict[str, list[PlanRun]] = {"ranked": [], "aged": []}
        listings: dict[str, list[tuple[float, float]]] = {"ranked": [], "aged": []}
        for turn in range(args.repeat):
            # Taken in turns, so that the plan and its baseline see the same conditions. The aged
            # manifest's figures are counts (its time is for information): one run is enough.
            for name in ("ranked", "aged") if turn == 0 else ("ranked",):
                list_seconds, list_cpu, listed = _in_child(run_listing, str(db), args.workers, name == "aged")
                if listed != total:
                    raise SystemExit(f"the listing saw {listed:,} versions, not {total:,}")
                listings[name].append((list_seconds, list_cpu))
                plans[name].append(
                    _in_child(run_plan, str(db), manifests[name], args.workers, not args.no_gc_pause)
                )

    minimum = 1 + math.ceil(packages / 1000) + packages * math.ceil(versions / 1000)
    ok = True
    rows: list[tuple[str, str, str, str]] = []

    def target(name: str, figure: str, goal: str, passed: bool) -> None:
        nonlocal ok
        ok = ok and passed
        rows.append((name, figure, goal, _verdict(passed)))

    for name in ("ranked", "aged"):
        runs = plans[name]
        run = min(runs, key=lambda r: r.seconds)
        first = runs[0]
        if first.versions != total or first.unmanaged or first.errors:
            raise SystemExit(
                f"{name}: the plan saw {first.versions:,} versions, {first.unmanaged:,} unmanaged, "
                f"{first.errors:,} errors; expected {total:,}, 0, 0"
            )
        listing = min(seconds for seconds, _ in listings[name])
        listing_cpu = min(cpu for _, cpu in listings[name])
        calls = sum(first.calls.values())
        describes = first.calls.get("DescribePackageVersion", 0)
        reads = calls - describes
        print(
            f"\n{name}: {first.changes:,} changes in {first.actions:,} actions, "
            f"{first.unchanged:,} unchanged, 0 unmanaged; calls: "
            + ", ".join(f"{op} {count:,}" for op, count in sorted(first.calls.items()))
        )
        target(
            f"{name}: API calls / minimum" + (" (w/o Describe)" if describes else ""),
            f"{reads:,} / {minimum:,} = {reads / minimum:.2f}",
            f"<= {TARGET_CALL_RATIO:.2f}",
            reads <= minimum * TARGET_CALL_RATIO,
        )
        ratio = run.seconds / listing
        time_figure = f"{run.seconds:.1f} s / {listing:.1f} s = {ratio:.2f}x"
        plan_cpu = min(r.cpu_seconds for r in runs)
        print(
            f"{name}: plan run {run.seconds:.1f} s = read_live_state {run.read_seconds:.1f} s + make_plan "
            f"{run.seconds - run.read_seconds:.1f} s; boto3 listing alone {listing:.1f} s "
            f"(all runs: plan {', '.join(f'{r.seconds:.1f}' for r in runs)}; "
            f"listing {', '.join(f'{s:.1f}' for s, _ in listings[name])}); "
            f"CPU: plan {plan_cpu:.1f} s / listing {listing_cpu:.1f} s = {plan_cpu / listing_cpu:.2f}x"
        )
        if name == "ranked":
            target(
                f"{name}: plan time / boto3 listing",
                time_figure,
                f"<= {TARGET_TIME_RATIO:.1f}x",
                ratio <= TARGET_TIME_RATIO,
            )
            growth = max(r.rss_growth for r in runs)  # the worst run
            per_version = growth / total
            target(
                f"{name}: peak RSS growth per version",
                f"{per_version:,.0f} B ({growth / 2**20:,.0f} MiB)",
                f"< {TARGET_BYTES_PER_VERSION} B",
                per_version < TARGET_BYTES_PER_VERSION,
            )
        else:
            bound = math.log2(versions) + 2
            per_package = describes / packages
            rows.append((f"{name}: plan time / boto3 listing", time_figure, "(info)", ""))
            target(
                f"{name}: DescribePackageVersion per package",
                f"{describes:,} / {packages:,} = {per_package:.2f}",
                f"<= log2({versions})+2 = {bound:.2f}",
                per_package <= bound,
            )

    widths = [max(len(row[i]) for row in [*rows, ("figure", "measured", "target", "")]) for i in range(4)]
    print()
    for row in [("figure", "measured", "target", ""), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print(f"\nall targets: {_verdict(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
