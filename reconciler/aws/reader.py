"""Reading live state.

Reading costs exactly one paginated ListPackageVersions listing (1,000 a page) per package and
repository involved, ListPackages only where a glob name needs expanding, and DescribePackageVersion
only to place age thresholds: with a listing sorted by publish time, each threshold is found by
bisection, about log2(n) calls per package and threshold instead of one per version.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.aws.client import call, pages
from reconciler.codeartifact import MAX_PAGE_SIZE, Status
from reconciler.errors import AwsError, ReconcilerError
from reconciler.gcpause import gc_paused
from reconciler.models import DesiredState
from reconciler.planner import ReadSpec, glob_scopes, read_specs, resolve_entries
from reconciler.state import LiveState, PackageScope, PackageState, VersionState, version_state

_STATUSES = {status.value: status for status in Status}
_NO_ORIGIN: dict[str, Any] = {}


def read_live_state(
    client: Any, desired: DesiredState, now: float, max_workers: int = 8, grace_seconds: float | None = None
) -> LiveState:
    """Everything the manifests speak about, read once, with reads for different packages in parallel.

    With `grace_seconds`, every package is listed by publish time and the versions published in
    the last `grace_seconds` are located (drift's --grace).
    """
    with gc_paused():  # a state per version listed: see reconciler.gcpause
        return _read_live_state(client, desired, now, max_workers, grace_seconds)


def _read_live_state(
    client: Any, desired: DesiredState, now: float, max_workers: int, grace_seconds: float | None
) -> LiveState:
    live = LiveState(now=now)
    lock = threading.Lock()

    def merge(calls: Counter[str]) -> None:
        with lock:
            live.calls.update(calls)

    domains = sorted({(d.target.domain, d.target.domain_owner) for d in desired.entries}, key=str)
    for domain, owner in domains:
        calls: Counter[str] = Counter()
        params = {"domain": domain, **({"domainOwner": owner} if owner else {})}
        live.domain_owners[domain] = call(client, "DescribeDomain", calls, **params)["domain"]["owner"]
        merge(calls)

    scopes = [
        (scope, prefix) for scope, prefixes in glob_scopes(desired).items() for prefix in _minimal(prefixes)
    ]
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        for scope, names, calls in pool.map(lambda job: _list_packages(client, *job), scopes):
            live.package_names.setdefault(scope, set()).update(names)
            merge(calls)
        resolved = resolve_entries(desired, live.package_names)
        for item in resolved:
            for repository in item.upstream_sources:
                source = item.source(repository).repository
                if source not in live.upstream_chains:
                    chain_calls: Counter[str] = Counter()
                    live.upstream_chains[source] = _upstream_chain(client, source, chain_calls)
                    merge(chain_calls)
        specs = read_specs(resolved, now, grace_seconds, live.upstream_chains)
        for state, calls in pool.map(lambda spec: _read_package(client, spec), specs):
            if state is not None:
                live.packages[state.ref] = state
            merge(calls)
    return live


def read_packages(
    client: Any, refs: list[PackageRef], max_workers: int = 8
) -> tuple[dict[PackageRef, PackageState], Counter[str]]:
    """The current versions of the given packages (absent: the package does not exist)."""
    states: dict[PackageRef, PackageState] = {}
    total: Counter[str] = Counter()
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        for state, calls in pool.map(lambda ref: _read_package(client, ReadSpec(ref)), refs):
            if state is not None:
                states[state.ref] = state
            total.update(calls)
    return states, total


def _upstream_chain(client: Any, source: RepositoryRef, calls: Counter[str]) -> tuple[str, ...]:
    """The repositories a copy with includeFromUpstream searches after `source`: its upstreams,
    depth first in their listed order, each once, at most 25 repositories in all (CodeArtifact's limit)."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order or len(order) >= 25:
            return
        order.append(name)
        described = call(
            client,
            "DescribeRepository",
            calls,
            **_scope_params(RepositoryRef(source.domain, name, source.domain_owner)),
        )["repository"]
        for upstream in described.get("upstreams", []):
            visit(upstream["repositoryName"])

    visit(source.repository)
    return tuple(order[1:])


def _minimal(prefixes: set[str]) -> list[str]:
    """Drop prefixes another prefix already covers ("web-" covers "web-sdk")."""
    kept: list[str] = []
    for prefix in sorted(prefixes):
        if not any(prefix.startswith(other) for other in kept):
            kept.append(prefix)
    return kept


def _scope_params(repository: RepositoryRef) -> dict[str, str]:
    params = {"domain": repository.domain, "repository": repository.repository}
    if repository.domain_owner:
        params["domainOwner"] = repository.domain_owner
    return params


def _list_packages(
    client: Any, scope: PackageScope, prefix: str
) -> tuple[PackageScope, set[str], Counter[str]]:
    repository, format, namespace = scope
    calls: Counter[str] = Counter()
    params: dict[str, Any] = {
        **_scope_params(repository),
        "format": format.value,
        "maxResults": MAX_PAGE_SIZE,
    }
    if prefix:
        params["packagePrefix"] = prefix
    names: set[str] = set()
    try:
        for page in pages(client, "ListPackages", calls, params):
            for package in page["packages"]:
                # namespace is a prefix filter server-side; keep only this exact namespace.
                if package.get("namespace") == namespace:
                    names.add(package["package"])
    except AwsError as error:
        if error.code != "ResourceNotFoundException":
            raise
        raise ReconcilerError(f"{repository}: {error.message}") from None
    return scope, names, calls


def _package_params(ref: PackageRef) -> dict[str, str]:
    params = {**_scope_params(ref.repository), "format": ref.format.value, "package": ref.package}
    if ref.namespace:
        params["namespace"] = ref.namespace
    return params


def _read_package(client: Any, spec: ReadSpec) -> tuple[PackageState | None, Counter[str]]:
    ref = spec.ref
    calls: Counter[str] = Counter()
    params: dict[str, Any] = {**_package_params(ref), "maxResults": MAX_PAGE_SIZE}
    if spec.time_sorted:
        params["sortBy"] = "PUBLISHED_TIME"
    listed: list[dict[str, Any]] = []
    default: str | None = None
    try:
        for page in pages(client, "ListPackageVersions", calls, params):
            listed.extend(page["versions"])
            default = page.get("defaultDisplayVersion", default)
    except AwsError as error:
        if error.code == "ResourceNotFoundException" and error.resource_type == "package":
            return None, calls  # the package does not exist in this repository (yet)
        raise
    time_sorted = spec.time_sorted
    origin_types: dict[str, str] = {}  # one string per origin type, not one per version
    versions: dict[str, VersionState] = {}
    for rank, item in enumerate(listed):
        origin_type = item.get("origin", _NO_ORIGIN).get("originType", "UNKNOWN")
        versions[item["version"]] = version_state(
            item["version"],
            item.get("revision", ""),
            _STATUSES.get(item["status"]) or _status(ref, item),
            origin_types.setdefault(origin_type, origin_type),
            rank if time_sorted else None,
        )
    newest_first = [item["version"] for item in listed] if spec.thresholds else []
    times: dict[str, float] = {}  # thresholds of one package share what bisection already read
    published_after = {
        threshold: _bisect(lambda v: _published_time(client, ref, v, times, calls), newest_first, threshold)
        for threshold in sorted(spec.thresholds)
    }
    state = PackageState(ref, versions, default, spec.time_sorted, published_after)
    return state, calls


def _bisect(published_time: Callable[[str], float], newest_first: list[str], threshold: float) -> int:
    """How many versions (the newest ones) were published at or after `threshold`."""
    low, high = 0, len(newest_first)
    while low < high:
        middle = (low + high) // 2
        if published_time(newest_first[middle]) < threshold:
            high = middle
        else:
            low = middle + 1
    return low


def _published_time(
    client: Any, ref: PackageRef, version: str, times: dict[str, float], calls: Counter[str]
) -> float:
    if version in times:
        return times[version]
    params: dict[str, Any] = {**_package_params(ref), "packageVersion": version}
    described = call(client, "DescribePackageVersion", calls, **params)["packageVersion"]
    published = described.get("publishedTime")
    # A version with no publish time (an upload still in progress) counts as the newest: an age rule
    # must never take it for old.
    times[version] = float(published.timestamp()) if published is not None else float("inf")
    return times[version]


def _status(ref: PackageRef, item: dict[str, Any]) -> Status:
    try:
        return Status(item["status"])
    except ValueError:
        raise ReconcilerError(
            f"{ref}@{item['version']}: CodeArtifact reports status {item['status']!r}, which this version "
            "of the reconciler does not know",
            "Upgrade the reconciler, or leave the package out of the manifests for now.",
        ) from None
