"""Benchmark of `plan` and `drift` against a model of real AWS: the local service in its own process,
over HTTP, with latency and AWS's default request-rate quotas.

    python tests/bench_http.py [--packages 2000 --versions 500 --single 100000 --latency 30]
                               [--read-processes N]

Two shapes, each seeded into its own SQLite file as `bench_plan.py` seeds (npm SemVer versions
published over two years): PACKAGES x VERSIONS, and one package of SINGLE versions (0: skip it).
For each, `reconciler local serve --latency LATENCY --quotas` runs in its own process, and the CLI
itself runs as a child process, as a user runs it: `plan` of the ranked and the aged manifests of
`bench_plan.py` (`--summary`, the plan file saved) and `drift` of the ranked one, each with
`--log-requests` and the adaptive default concurrency (`--concurrency` not given). Printed for each:

* wall time of the command, next to the bound AWS itself sets: the quota bound (each quota's calls
  / its rate: ListPackageVersions 200/s, ListPackages 200/s, the account's 800 reads/s; the largest
  binds) or, when larger, the latency bound (the longest chain of calls that must follow one another,
  x the latency: a package's pages, then its bisection), and their ratio (target: at most 1.3x);
* API calls next to the minimum (1 DescribeDomain, the ListPackages pages, every package's
  ListPackageVersions pages; target 1.00), and DescribePackageVersion per package and threshold
  (target: at most log2(n) + 2);
* throttled attempts (retried by botocore) and throttles that reached the user (target 0), from the
  request log;
* peak memory per version: the command's peak RSS (with the processes it starts to read, summed:
  `aws.spread`) less that of the same command over a manifest that matches no package (the
  interpreter, boto3 and the service model; it starts no other process), per version (target: at
  most 600 bytes).

Also printed: the wall time and peak RSS of that empty command (the fixed cost of a run).
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
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.bench_plan import AGED, DOMAIN, RANKED, REPOSITORY, seed

TARGET_TIME_RATIO = 1.3
TARGET_BYTES_PER_VERSION = 600
LIST_VERSIONS_RATE = 200.0
LIST_PACKAGES_RATE = 200.0
ACCOUNT_READ_RATE = 800.0
PAGE = 1000
EMPTY = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {{domain: {domain}, repository: {repository}}}
packages:
  - format: npm
    name: "no-such-package-*"
    otherwise: Published
"""


@dataclass(frozen=True)
class Run:
    """One command, as its child process ended."""

    exit_code: int
    seconds: float
    max_rss: int  # bytes
    calls: dict[str, int]  # calls answered, per operation
    attempts: int  # HTTP requests, retries included
    throttled_retried: int  # attempts beyond the first of a call that ended well
    throttles_reaching_user: int
    stderr: str


class Server:
    """`reconciler local serve` on `db` in its own process; `url` once it listens."""

    def __init__(self, db: Path, latency_ms: float, quotas: bool) -> None:
        command = [sys.executable, "-m", "reconciler", "local", "serve", "--db", str(db)]
        command += ["--latency", f"{latency_ms:g}"] if latency_ms else []
        command += ["--quotas"] if quotas else []
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=_env())
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.process.kill()
            raise SystemExit(f"the local service did not start: {self.url!r}")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=str(Path(__file__).resolve().parent.parent),
    )
    env.pop("RECONCILER_RETRY_DELAY_SCALE", None)  # AWS's own retry waits, as a user gets them
    return env


class TreeMemory:
    """The peak of the summed RSS of a process and its descendants (the reading processes a command
    starts, `reconciler.aws.spread`), sampled every 20 ms from /proc: wait4 reports one process's
    peak alone. Nothing on systems without /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self.peak = max(self.peak, sum(_rss(pid) for pid in _tree(self.pid)))


def _tree(root: int) -> list[int]:
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        queue.extend(int(child) for child in children)
    return found


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def run_cli(args: list[str], url: str, workdir: Path, name: str) -> Run:
    """The CLI as a child process, timed, with its peak RSS (from wait4) and its request log."""
    log = workdir / f"{name}.requests.jsonl"
    log.unlink(missing_ok=True)
    command = [sys.executable, "-m", "reconciler", *args, "--endpoint-url", url, "--log-requests", str(log)]
    stderr = workdir / f"{name}.stderr"
    with stderr.open("w") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=_env(), cwd=workdir)
        sampler = TreeMemory(process.pid)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        sampler.stop()
        process.returncode = os.waitstatus_to_exitcode(status)
    calls: dict[str, int] = {}
    attempts = retried = reached = 0
    for line in log.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        calls[record["operation"]] = calls.get(record["operation"], 0) + 1
        attempts += record["attempts"]
        if record["error"] in ("ThrottlingException", "Throttling"):
            reached += 1
        else:
            retried += record["attempts"] - 1
    return Run(
        process.returncode,
        seconds,
        # The command's own peak, or the peak of it and its reading processes together (sampled).
        max(usage.ru_maxrss * 1024, sampler.peak),
        calls,
        attempts,
        retried,
        reached,
        stderr.read_text(encoding="utf-8")[-2000:],
    )


@dataclass(frozen=True)
class Bound:
    quota: float  # seconds the quotas allow for these calls, at best
    quota_name: str  # the quota that binds
    latency: float  # the longest chain of calls one after another x the latency

    @property
    def binding(self) -> float:
        return max(self.quota, self.latency)


def bound_of(calls: dict[str, int], packages: int, versions: int, latency: float) -> Bound:
    reads = sum(calls.values())
    quotas = {
        "ListPackageVersions 200/s": calls.get("ListPackageVersions", 0) / LIST_VERSIONS_RATE,
        "ListPackages 200/s": calls.get("ListPackages", 0) / LIST_PACKAGES_RATE,
        "account reads 800/s": reads / ACCOUNT_READ_RATE,
    }
    name = max(quotas, key=lambda key: quotas[key])
    # DescribeDomain, then the ListPackages pages, then one package's pages and its bisection.
    describes = calls.get("DescribePackageVersion", 0) / packages
    chain = 1 + math.ceil(packages / PAGE) + math.ceil(versions / PAGE) + math.ceil(describes)
    return Bound(quotas[name], name, chain * latency)


def minimum_calls(packages: int, versions: int) -> int:
    return 1 + math.ceil(packages / PAGE) + packages * math.ceil(versions / PAGE)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def bench_shape(
    label: str,
    packages: int,
    versions: int,
    latency_ms: float,
    workdir: Path,
    rows: list[tuple[str, ...]],
    extra: list[str],
) -> bool:
    total = packages * versions
    db = workdir / "bench.db"
    seconds = seed(db, packages, versions, time.time())
    print(f"\n== {label}: {packages:,} x {versions:,} = {total:,} versions (seeded in {seconds:.1f} s)")
    manifests = {}
    for name, text in (("ranked", RANKED), ("aged", AGED), ("empty", EMPTY)):
        path = workdir / f"{name}.yaml"
        path.write_text(text.format(domain=DOMAIN, repository=REPOSITORY), encoding="utf-8")
        manifests[name] = str(path)
    server = Server(db, latency_ms, quotas=True)
    ok = True
    try:
        base = run_cli(["plan", manifests["empty"], "--no-save"], server.url, workdir, "empty")
        # Each command loads its own modules only: drift's memory is measured above a drift of nothing.
        bases = {"drift": run_cli(["drift", manifests["empty"]], server.url, workdir, "empty-drift")}
        print(
            f"fixed cost of a run (a manifest that matches nothing): {base.seconds:.2f} s, "
            f"peak RSS {base.max_rss / 2**20:.0f} MiB, exit {base.exit_code}; drift "
            f"{bases['drift'].seconds:.2f} s, {bases['drift'].max_rss / 2**20:.0f} MiB"
        )
        commands = {
            "plan ranked": ["plan", manifests["ranked"], "-o", "ranked.plan.json", "--summary"],
            "plan aged": ["plan", manifests["aged"], "-o", "aged.plan.json", "--summary"],
            "drift": ["drift", manifests["ranked"]],
        }
        for name, args in commands.items():
            run = run_cli([*args, *extra], server.url, workdir, name.replace(" ", "-"))
            expected = (0, 2) if name == "drift" else (0,)
            if run.exit_code not in expected:
                print(f"{name}: exit {run.exit_code}\n{run.stderr}")
                ok = False
                continue
            fixed = bases.get(name, base)
            ok = _report(label, name, run, fixed, packages, versions, latency_ms / 1000, rows) and ok
    finally:
        server.close()
    return ok


def _report(
    label: str,
    name: str,
    run: Run,
    base: Run,
    packages: int,
    versions: int,
    latency: float,
    rows: list[tuple[str, ...]],
) -> bool:
    total = packages * versions
    bound = bound_of(run.calls, packages, versions, latency)
    ratio = run.seconds / bound.binding
    binds = f"quota ({bound.quota_name})" if bound.quota >= bound.latency else "latency chain"
    describes = run.calls.get("DescribePackageVersion", 0)
    reads = sum(run.calls.values()) - describes
    minimum = minimum_calls(packages, versions)
    growth = max(0, run.max_rss - base.max_rss)
    per_version = growth / total
    print(
        f"{name}: {run.seconds:.2f} s; quota bound {bound.quota:.2f} s ({bound.quota_name}), latency "
        f"bound {bound.latency:.2f} s; calls "
        + ", ".join(f"{op} {count:,}" for op, count in sorted(run.calls.items()))
        + f"; {run.attempts:,} requests, {run.throttled_retried} retried; peak RSS "
        f"{run.max_rss / 2**20:.0f} MiB"
    )
    results = [
        (
            "wall / bound",
            f"{run.seconds:.2f} s / {bound.binding:.2f} s ({binds}) = {ratio:.2f}x",
            f"<= {TARGET_TIME_RATIO}x",
            ratio <= TARGET_TIME_RATIO,
        ),
        (
            "calls / minimum" + (" (w/o Describe)" if describes else ""),
            f"{reads:,} / {minimum:,} = {reads / minimum:.2f}",
            "1.00",
            reads <= minimum,
        ),
        (
            "throttles reaching the user",
            f"{run.throttles_reaching_user} ({run.throttled_retried} retried)",
            "0",
            run.throttles_reaching_user == 0,
        ),
        (
            "peak RSS growth / version",
            f"{per_version:,.0f} B ({growth / 2**20:,.0f} MiB)",
            f"<= {TARGET_BYTES_PER_VERSION} B",
            per_version <= TARGET_BYTES_PER_VERSION,
        ),
    ]
    if describes:
        limit = math.log2(versions) + 2
        results.append(
            (
                "Describe / package and threshold",
                f"{describes:,} / {packages:,} = {describes / packages:.2f}",
                f"<= log2({versions:,})+2 = {limit:.2f}",
                describes / packages <= limit,
            )
        )
    ok = True
    for figure, measured, goal, passed in results:
        ok = ok and passed
        rows.append((f"{label} {name}: {figure}", measured, goal, _verdict(passed)))
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--versions", type=int, default=500)
    parser.add_argument(
        "--single", type=int, default=100_000, help="versions of the one-package shape (0: skip)"
    )
    parser.add_argument("--latency", type=float, default=30.0, help="milliseconds per request")
    parser.add_argument(
        "--read-processes",
        type=int,
        default=None,
        help="passed on to the commands (not given: their default, one other process per CPU)",
    )
    args = parser.parse_args(argv)
    extra = [] if args.read_processes is None else ["--read-processes", str(args.read_processes)]
    rows: list[tuple[str, ...]] = []
    ok = True
    shapes = [("many", args.packages, args.versions)]
    if args.single:
        shapes.append(("single", 1, args.single))
    print(
        f"local service over HTTP, {args.latency:g} ms per request, AWS's default request-rate quotas"
        + (f", --read-processes {args.read_processes}" if extra else "")
    )
    for label, packages, versions in shapes:
        with tempfile.TemporaryDirectory(prefix=f"bench-http-{label}-") as tempdir:
            ok = bench_shape(label, packages, versions, args.latency, Path(tempdir), rows, extra) and ok
    header = ("figure", "measured", "target", "")
    widths = [max(len(row[i]) for row in [*rows, header]) for i in range(4)]
    print()
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print(f"\nall targets: {_verdict(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
