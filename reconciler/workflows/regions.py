"""The Regions of a run: which Region each manifest entry is in, and one connection per Region.

CodeArtifact is regional: a domain of one Region is not seen from another, and a client speaks to
one Region. A run whose manifests name several `target.region`s therefore reads (and applies) each
Region with a client of its own. In such a run every repository names its Region
(`RepositoryRef.region`), and `Connections.of` gives the connection of a repository's Region; in a
run of one Region no repository names one (its plans and views are what they always were) and the
one connection serves them all.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from reconciler.addresses import RepositoryRef
from reconciler.applier import BatchResult
from reconciler.aws.client import Backend, Connection, connect, default_region
from reconciler.aws.executor import BotoExecutor
from reconciler.errors import ReconcilerError
from reconciler.models import DeclaredEntry, DesiredState
from reconciler.plan import Action

T = TypeVar("T")


def regional(desired: DesiredState, backend: Backend) -> tuple[DesiredState, dict[str | None, Backend]]:
    """The manifests with each entry's Region settled, and the backend of each Region of the run.

    An entry that names no Region is in --region's (or, with several Regions named, the one a client
    would find with none given: AWS_REGION, AWS_DEFAULT_REGION, the profile's, the local service's);
    with one Region named and no --region, in that one, as a run of one Region always was. --region
    may not contradict a Region the manifests name. With one Region, entries name none and the one
    backend is keyed None; with several, every entry names its Region, and each Region has a backend.
    """
    named = sorted({entry.target.region for entry in desired.entries if entry.target.region})
    contradicted = [region for region in named if backend.region is not None and region != backend.region]
    if contradicted:
        raise ReconcilerError(
            f"--region {backend.region} contradicts the manifests' target region {', '.join(contradicted)}",
            "Drop --region (the manifests name their Regions), or plan manifests of that Region.",
        )
    unnamed = any(entry.target.region is None for entry in desired.entries)
    if len(named) <= 1:
        region = backend.region or (named[0] if named else None)
        settled = _unique(_settled(desired, lambda _: None))
        return settled, {None: dataclasses.replace(backend, region=region)}
    default = default_region(backend)
    if unnamed and default is None:
        raise ReconcilerError(
            f"the manifests target several Regions ({', '.join(named)}) and some name none",
            "Give target.region in every manifest, or --region (or AWS_REGION) for those that name none.",
        )
    regions = sorted({*named, *([default] if unnamed and default else [])})
    settled = _unique(_settled(desired, lambda region: region or default))
    return settled, {region: dataclasses.replace(backend, region=region) for region in regions}


def _unique(desired: DesiredState) -> DesiredState:
    """A package is declared once per repository of a Region: the manifests' own check compares the
    Regions as written, and this one the Regions as settled (a document that names its Region and one
    that names none may be of one Region)."""
    seen: dict[tuple[object, ...], DeclaredEntry] = {}
    for declared in desired.entries:
        target, entry = declared.target, declared.entry
        identity = (
            target.region,
            target.domain,
            target.repository,
            entry.format,
            entry.namespace,
            entry.is_glob,
            entry.name,
        )
        first = seen.setdefault(identity, declared)
        if first is not declared:
            name = f"{entry.namespace}/{entry.name}" if entry.namespace else entry.name
            raise ReconcilerError(
                f"{declared.origin}: {entry.format.value} {name} in {target.domain}/{target.repository} "
                f"is also declared at {first.origin}",
                "Both documents are of one Region (one names it, the other is in it by default): "
                "declare the package once.",
            )
    return desired


def _settled(desired: DesiredState, region_of: Callable[[str | None], str | None]) -> DesiredState:
    entries = tuple(
        dataclasses.replace(
            entry, target=entry.target.model_copy(update={"region": region_of(entry.target.region)})
        )
        for entry in desired.entries
    )
    return dataclasses.replace(desired, entries=entries)


def in_region(desired: DesiredState, region: str | None) -> DesiredState:
    """The entries of one Region of a settled run (`regional`)."""
    entries = tuple(entry for entry in desired.entries if entry.target.region == region)
    return dataclasses.replace(desired, entries=entries)


@dataclass
class Connections:
    """A connection per Region of the run (keyed None in a run of one Region); `close()` when done."""

    by_region: dict[str | None, Connection]

    def of(self, repository: RepositoryRef) -> Connection:
        """The connection of the Region `repository` is in."""
        if repository.region is None and len(self.by_region) == 1:
            return next(iter(self.by_region.values()))
        return self.by_region[repository.region]

    def workers(self, concurrency: int | None) -> int:
        """How many packages to read at once in any one Region (`Connection.workers`)."""
        return max(connection.workers(concurrency) for connection in self.by_region.values())

    def __iter__(self) -> Iterator[Connection]:
        return iter(self.by_region.values())

    def items(self) -> list[tuple[str | None, Connection]]:
        return list(self.by_region.items())

    def close(self) -> None:
        errors: list[BaseException] = []
        for connection in self.by_region.values():
            try:
                connection.close()
            except BaseException as exc:  # every connection is closed, whatever one of them raises
                errors.append(exc)
        if errors:
            raise errors[0]


def connect_all(backends: dict[str | None, Backend]) -> Connections:
    """A connection per Region, made one after another (a client that cannot be made closes the
    ones made before it)."""
    made: dict[str | None, Connection] = {}
    try:
        for region, backend in backends.items():
            made[region] = connect(backend)
    except BaseException:
        Connections(made).close()
        raise
    return Connections(made)


def each_region(connections: Connections, work: Callable[[str | None, Connection], T]) -> dict[str | None, T]:
    """`work(region, connection)` for every Region at once (the Regions are independent: each has its
    own client and its own endpoint), its results by Region; the first failure is raised."""
    items = connections.items()
    if len(items) == 1:
        region, connection = items[0]
        return {region: work(region, connection)}
    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        futures = {
            region: pool.submit(_naming_region, work, region, connection) for region, connection in items
        }
        return {region: future.result() for region, future in futures.items()}


def _naming_region(
    work: Callable[[str | None, Connection], T], region: str | None, connection: Connection
) -> T:
    """`work(region, connection)`, a failure the user can act on naming its Region: an AWS answer
    such as "Domain not found. Domain: acme" does not say which Region's domain is missing."""
    try:
        return work(region, connection)
    except ReconcilerError as error:
        error.summary = f"{region}: {error.summary}"
        error.args = (error.summary, *error.args[1:])
        raise


class RegionalExecutor:
    """Makes each action's call with the executor of its Region (`applier.Executor`); its calls and
    throttled responses are those of all of them."""

    def __init__(self, executors: dict[str | None, BotoExecutor]) -> None:
        self.executors = executors

    def execute(self, action: Action) -> BatchResult:
        region = action.package.repository.region
        executor = self.executors[region] if region is not None else next(iter(self.executors.values()))
        return executor.execute(action)

    @property
    def calls(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for executor in self.executors.values():
            total.update(executor.calls)
        return total

    @property
    def throttled(self) -> int:
        return sum(executor.throttled for executor in self.executors.values())
