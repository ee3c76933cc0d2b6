"""Benchmark of `reconciler import` at a million versions: wall time next to AWS's quotas, calls,
memory, and the manifest streamed to its file.

    python tests/bench_import.py [--packages 2000 --versions 500 --workers N --latency 30 --no-quotas --db PATH]

Seeds the local service (a SQLite file, as `tests/bench_plan.py` seeds it: PACKAGES x VERSIONS npm
versions, mostly Published), serves it over HTTP in its own process (`reconciler local serve`, with
LATENCY ms added to every request and AWS's default request-rate quotas enforced unless
--no-quotas), then runs `reconciler import` of the whole repository in a child process of its own,
as a user would, with `--log-requests` to count every call and attempt, and with the adaptive
default concurrency (`--workers N` passes `--concurrency N` instead). Figures and targets:

* wall time next to the quota bound: the time AWS's quotas alone allow for the calls made (each
  operation's calls at its own rate, and all reads at the account's 800 reads/s; the binding one
  is used). Target: at most 1.3x;
* API calls next to the minimum: ceil(PACKAGES / 1000) ListPackages pages + PACKAGES x
  ceil(VERSIONS / 1000) ListPackageVersions pages (target: 1.00; retried attempts count);
* throttling errors that reached the user (target: 0);
* peak memory: the import process's whole peak resident set (Python, boto3 and its models
  included), with the processes it starts to read (`aws.spread`, their RSS summed, sampled), per
  version. Target: at most 600 bytes. The manifest it wrote is shown next to it:
  the packages are streamed to the file, never held whole.

Not collected by pytest (only test_*.py files are).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

# Run as a script (`python tests/bench_import.py`), the repository root is not on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reconciler.codeartifact import ACCOUNT_READ_QUOTA, DEFAULT_QUOTAS, MAX_PAGE_SIZE
from tests.bench_http import TreeMemory
from tests.bench_plan import DOMAIN, REPOSITORY, seed

TARGET_TIME_RATIO = 1.3
TARGET_BYTES_PER_VERSION = 600
ROOT = Path(__file__).resolve().parents[1]


def quota_bound(calls: Counter[str]) -> tuple[float, str]:
    """The least time AWS's default quotas allow for `calls` (every call here is a read), and which
    quota binds."""
    bounds = {f"{op} {DEFAULT_QUOTAS[op]:.0f}/s": n / DEFAULT_QUOTAS[op] for op, n in calls.items()}
    bounds[f"account reads {ACCOUNT_READ_QUOTA:.0f}/s"] = sum(calls.values()) / ACCOUNT_READ_QUOTA
    binding = max(bounds, key=lambda name: bounds[name])
    return bounds[binding], binding


def serve(db: Path, latency: int, quotas: bool, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "reconciler", "local", "serve", "--db", str(db), "--port", "0"]
    command += ["--latency", str(latency)] if latency else []
    command += ["--quotas"] if quotas else []
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    if not url.startswith("http"):
        server.kill()
        raise SystemExit(f"the local service did not start: {url!r}")
    return server, url


def run_import(
    url: str, out: Path, log: Path, workers: int | None, env: dict[str, str]
) -> tuple[float, float, int, str]:
    """The import in a child process: (wall seconds, CPU seconds, peak RSS in bytes, its stderr)."""
    command = [
        sys.executable,
        "-m",
        "reconciler",
        "import",
        "--domain",
        DOMAIN,
        "--repository",
        REPOSITORY,
        "-o",
        str(out),
        "--force",
        "--endpoint-url",
        url,
        *(["--concurrency", str(workers)] if workers else []),
        "--log-requests",
        str(log),
    ]
    start = time.perf_counter()
    child = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    tree = TreeMemory(child.pid)  # with the processes it starts to read
    assert child.stderr is not None
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    tree.stop()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"import exited {child.returncode}: {stderr}")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, max(usage.ru_maxrss * 1024, tree.peak), stderr  # Linux reports KiB


_READS_ALONE = """
import sys, time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.aws import reads
from reconciler.aws.client import Backend, connect
from reconciler.state import ReadSpec
url, domain, repository, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
connection = connect(Backend(endpoint_url=url))
workers = connection.workers(workers or None)
where = RepositoryRef(domain, repository)
refs = [PackageRef(where, *package) for package in reads.list_packages(connection.client, where, Counter())]
with ThreadPoolExecutor(max_workers=workers) as pool:
    listed = sum(len(state.versions) for state, _ in pool.map(
        lambda ref: reads.read_package(connection.client, ReadSpec(ref)), refs))
print(listed)
"""


def run_reads_alone(url: str, workers: int | None, env: dict[str, str]) -> tuple[float, float, int]:
    """The same reads with the same client and concurrency, in a child process started the same way,
    rendering and writing nothing: (wall seconds, CPU seconds, versions listed). What import costs
    above this is its own; what this costs above the quota bound is the machine's and the client's."""
    command = [sys.executable, "-c", _READS_ALONE, url, DOMAIN, REPOSITORY, str(workers or 0)]
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert child.stdout is not None
    listed = int(child.stdout.read().strip() or 0)
    _, _, usage = os.wait4(child.pid, 0)
    child.returncode = 0
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, listed


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 (the report, top to bottom, as it prints)
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--versions", type=int, default=500)
    parser.add_argument("--workers", type=int, help="import's --concurrency [default: not given, adaptive]")
    parser.add_argument("--latency", type=int, default=30, help="ms added to every request")
    parser.add_argument("--no-quotas", action="store_true", help="serve without AWS's request-rate quotas")
    parser.add_argument("--db", type=Path, help="database file, seeded if it does not exist")
    args = parser.parse_args(argv)

    packages, versions = args.packages, args.versions
    total = packages * versions
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tempdir:
        db = args.db or Path(tempdir) / "bench.db"
        seeded = "reused" if db.exists() else f"seeded in {seed(db, packages, versions, time.time()):.1f} s"
        print(
            f"scale: {packages:,} packages x {versions:,} versions = {total:,} versions ({seeded}); served "
            f"over HTTP in its own process, {args.latency} ms latency, "
            f"{'no quotas' if args.no_quotas else 'AWS default quotas enforced'}; "
            f"{f'--concurrency {args.workers}' if args.workers else 'adaptive concurrency'}"
        )
        server, url = serve(db, args.latency, not args.no_quotas, env)
        try:
            out, log = Path(tempdir) / "imported.yaml", Path(tempdir) / "requests.jsonl"
            # Taken in turns, reads alone first: both see the same machine.
            alone, alone_cpu, listed = run_reads_alone(url, args.workers, env)
            seconds, cpu, peak, stderr = run_import(url, out, log, args.workers, env)
        finally:
            server.terminate()
            _, _, served = os.wait4(server.pid, 0)
            server.returncode = 0
        service_cpu = served.ru_utime + served.ru_stime
        text = out.read_text(encoding="utf-8")
        pins = sum(1 for line in text.splitlines() if line.startswith('      "'))
        records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    if listed != total:
        raise SystemExit(f"the reads alone listed {listed:,} versions, not {total:,}")
    if pins != total:
        raise SystemExit(f"the manifest pins {pins:,} versions, not {total:,}")

    calls: Counter[str] = Counter()
    throttled = 0
    for record in records:
        calls[record["operation"]] += record["attempts"]
        throttled += record["error"] is not None and "Throttl" in str(record["error"])
    made = sum(calls.values())
    minimum = math.ceil(packages / MAX_PAGE_SIZE) + packages * math.ceil(versions / MAX_PAGE_SIZE)
    bound, binding = quota_bound(calls)
    ratio = seconds / bound
    per_version = peak / total
    print(stderr.strip())
    print(
        f"reads alone (same client, concurrency and process start, nothing rendered or written): "
        f"{alone:.1f} s = {alone / bound:.2f}x the quota bound, CPU {alone_cpu:.1f} s; "
        f"import / reads alone: wall {seconds / alone:.2f}x, CPU {cpu / alone_cpu:.2f}x"
    )
    print(
        f"CPU: import {cpu:.1f} s ({cpu / seconds:.0%} of its wall time), local service {service_cpu:.1f} s "
        f"(seeding not included); load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"calls: {', '.join(f'{op} {n:,}' for op, n in sorted(calls.items()))}; manifest {len(text) / 1e6:.1f} MB"
    )
    rows = [
        (
            "wall time / quota bound",
            f"{seconds:.1f} s / {bound:.1f} s ({binding}) = {ratio:.2f}x",
            f"<= {TARGET_TIME_RATIO}x",
            ratio <= TARGET_TIME_RATIO,
        ),
        ("API calls / minimum", f"{made:,} / {minimum:,} = {made / minimum:.2f}", "1.00", made <= minimum),
        ("throttling errors reaching the user", f"{throttled}", "0", throttled == 0),
        (
            "peak RSS per version",
            f"{per_version:.0f} B ({peak / 2**20:.0f} MiB, whole process)",
            f"<= {TARGET_BYTES_PER_VERSION} B",
            per_version <= TARGET_BYTES_PER_VERSION,
        ),
    ]
    widths = [max(len(str(row[i])) for row in rows) for i in range(3)]
    print()
    for name, figure, goal, passed in rows:
        print(
            f"  {name.ljust(widths[0])}  {figure.ljust(widths[1])}  {goal.ljust(widths[2])}  "
            f"{'PASS' if passed else 'MISS'}"
        )
    ok = all(row[3] for row in rows)
    print(f"\nall targets: {'PASS' if ok else 'MISS'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
