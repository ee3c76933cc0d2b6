"""Import: list a repository's selected packages, then read every version of each (in parallel) and
hand each package's manifest lines on as soon as it and every package before it are read.

The reads run as plan's and drift's do: against AWS, paced at its quotas by the connection's
adaptive limiter, with as many in flight as reach the quotas at the latency seen (`--concurrency N`
a ceiling; over HTTP, in several processes when there are enough packages, `aws.spread`); against
the embedded service, a few at a time. At most twice as many packages as
workers (and 48 in all) are read ahead of the one written next: the manifest comes out in the
sorted order the listing gave, whatever order the reads end in, while memory holds some packages
rather than the repository (a million versions were 1 GB).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from reconciler.addresses import PackageRef
from reconciler.aws import reads
from reconciler.aws.client import Backend, connect
from reconciler.aws.spread import Spread
from reconciler.codeartifact import Format
from reconciler.errors import AwsError, ReconcilerError
from reconciler.importer import ImportSelection, ImportTally, imported_package, package_lines
from reconciler.scope import literal_prefix
from reconciler.state import ReadSpec
from reconciler.workflows.gcpause import reading_process

# Packages read ahead of the one written next, per worker: enough that a slow package does not
# leave the workers idle, few enough that memory holds a handful of packages.
READ_AHEAD = 2
# And at most this many in all. The adaptive pool has a worker for every call the limiter may ever
# keep in flight (128), but a package is one ListPackageVersions call a page, paced at 200/s: at
# 100 ms a call, 20 are in flight. Reads started beyond that wait on the limiter while holding
# finished packages in memory, and their threads fight the writing of the manifest for the GIL
# (half a million versions, in one benchmark run: 10-12 s of CPU with 256 read ahead, 8 s with 48,
# the reads alone 7.7 s).
MAX_AHEAD = 48


def import_repository(
    backend: Backend,
    selection: ImportSelection,
    write: Callable[[str], object],
    concurrency: int | None = None,
) -> ImportTally:
    """Read the selected packages of the repository and `write` each one's manifest lines, in order;
    the tally says what was written (the manifest's head depends on it). `concurrency`: packages
    read at once at most (None: as many as the connection's limiter keeps in flight)."""
    connection = connect(backend)
    tally = ImportTally(selection)
    try:
        refs = [
            PackageRef(selection.repository_ref, format, namespace, name)
            for format, namespace, name in _selected_packages(connection.client, selection, tally.calls)
        ]
        spread = Spread(connection, concurrency, reading_process)
        ahead = min(spread.workers * READ_AHEAD, MAX_AHEAD)
        specs = [ReadSpec(ref) for ref in refs]
        for ref, (state, calls) in zip(
            refs, spread.read_in_order(connection.client, specs, ahead), strict=True
        ):
            tally.calls.update(calls)
            if state is None:
                continue  # deleted between the two listings
            package = imported_package(ref, state)
            tally.add(package)
            write(package_lines(package))
    finally:
        connection.close()
    return tally


def _selected_packages(
    client: object, selection: ImportSelection, calls: Counter[str]
) -> list[tuple[Format, str | None, str]]:
    prefix = literal_prefix(selection.package) if selection.package else ""
    try:
        found = {
            package
            for package in reads.list_packages(
                client,
                selection.repository_ref,
                calls,
                format=selection.format,
                namespace=selection.namespace,  # a prefix filter: matched exactly by `selects`
                prefix=prefix,
            )
            if selection.selects(*package)
        }
    except AwsError as error:
        if error.code != "ResourceNotFoundException":
            raise
        raise ReconcilerError(
            f"{selection.repository_ref}: {error.message}",
            "Check --domain, --repository and --domain-owner (and the Region).",
        ) from None
    return sorted(found, key=lambda item: (item[0].value, item[1] or "", item[2]))
